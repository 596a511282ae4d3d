//! The short summary a run prints on the terminal.

use crate::analysis::stats::money;
use crate::analysis::Analysis;
use crate::model::{Mode, Model};
use crate::schedule::Discounting;
use std::fmt::Write;

/// Formats the headline table: mean costs and outcomes per arm, then each comparison.
pub fn summary_table(model: &Model, analysis: &Analysis) -> String {
    let mut s = String::new();
    let settings = &model.settings;
    let mode = match settings.mode {
        Mode::Cohort => "cohort mode",
        Mode::Individual => "individual mode",
    };
    let discounting = match settings.discounting {
        Discounting::Discrete => "discrete",
        Discounting::Continuous => "continuous",
    };
    let _ = writeln!(s, "{}", model.meta.title.as_deref().unwrap_or(&model.meta.name));
    let _ = writeln!(
        s,
        "{} iterations, {mode}, {} years of {} cycles, accrual: {}, {discounting} discounting: costs {}, outcomes {}",
        settings.iterations,
        settings.horizon_years,
        match settings.cycle {
            crate::schedule::CycleLength::Year => "yearly",
            crate::schedule::CycleLength::Quarter => "quarterly",
            crate::schedule::CycleLength::Month => "monthly",
            crate::schedule::CycleLength::Week => "weekly",
        },
        settings.accrual.name(),
        settings.discount_costs.describe(),
        settings.discount_outcomes.describe(),
    );
    let price_year = model.meta.price_year.map_or(String::new(), |y| format!(", price year {y}"));
    let _ = writeln!(s, "Mean per person, discounted ({}{price_year})", model.meta.currency);
    let _ = writeln!(s);

    let outcome_names: Vec<&str> = model.outcomes.iter().map(String::as_str).collect();
    let _ = write!(s, "{:<28} {:>12} {:>12} {:>12} {:>12} {:>12}", "arm", "total cost", "spend", "council", "NHS", "person");
    for o in &outcome_names {
        let _ = write!(s, " {o:>10}");
    }
    let _ = writeln!(s);
    for arm in &analysis.arms {
        let _ = write!(
            s,
            "{:<28} {:>12} {:>12} {:>12} {:>12} {:>12}",
            truncate(&arm.label, 28),
            money(arm.cost.mean),
            money(arm.spend.mean),
            money(arm.cost_by_payer[0]),
            money(arm.cost_by_payer[1]),
            money(arm.cost_by_payer[2])
        );
        for o in &arm.outcomes {
            let _ = write!(s, " {:>10.4}", o.mean);
        }
        let _ = writeln!(s);
    }

    for c in &analysis.comparisons {
        let _ = writeln!(s);
        let _ = writeln!(s, "{} vs {}:", c.arm, c.comparator);
        let interval = |lo: f64, hi: f64| format!("95% interval {} to {}", money(lo), money(hi));
        let _ = writeln!(
            s,
            "  incremental cost      {:>12}  ({})",
            money(c.incremental_cost.mean),
            interval(c.incremental_cost.p2_5, c.incremental_cost.p97_5)
        );
        for (o, d) in outcome_names.iter().zip(&c.incremental_outcomes) {
            let _ = writeln!(s, "  incremental {o:<10} {:>12.4}  (95% interval {:.4} to {:.4})", d.mean, d.p2_5, d.p97_5);
        }
        let _ = writeln!(
            s,
            "  net savings           {:>12}  ({}; P(cost-saving) = {:.3})",
            money(c.net_savings.mean),
            interval(c.net_savings.p2_5, c.net_savings.p97_5),
            c.prob_cost_saving
        );
        match (c.bcr, &c.bcr_distribution, c.prob_bcr_above_one) {
            (Some(b), Some(d), Some(p)) => {
                let _ = writeln!(
                    s,
                    "  benefit per £1 spent  {:>12}  (per-iteration 95% interval £{:.2} to £{:.2}; P(> £1) = {:.3})",
                    format!("£{b:.2}"),
                    d.p2_5,
                    d.p97_5,
                    p
                );
            }
            _ => {
                let _ = writeln!(s, "  benefit per £1 spent  {:>12}  (no intervention spend)", "n/a");
            }
        }
        if let (Some(icer), Some(name)) = (&c.icer, &analysis.primary_outcome) {
            let _ = writeln!(s, "  ICER                  {}", icer.describe(name));
        }
        if let (Some(inmb), Some(p), Some(name)) = (&c.inmb, c.prob_cost_effective, &analysis.primary_outcome) {
            let _ = writeln!(
                s,
                "  INMB at {} per {name}: {}  (P(cost-effective) = {:.3})",
                money(analysis.threshold),
                money(inmb.mean),
                p
            );
        }
    }
    s
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        text.chars().take(width - 1).collect::<String>() + "…"
    }
}
