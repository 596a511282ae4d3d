//! The short summary a run prints on the terminal.

use super::format::thousands;
use super::format::{
    count, describe_icer, error_digits, figure, fixed, gain_name, money, money_error, per_pound, per_unit, share,
    ShareStyle,
};
use crate::analysis::ratio_rule::NoRatio;
use crate::analysis::sensitivity::{Measure, Threshold, TornadoBar};
use crate::analysis::voi::EvppiRow;
use crate::analysis::{Analysis, Comparison};
use crate::model::schedule::Discounting;
use crate::model::{Mode, Model};
use std::fmt::Write;

/// Formats the headline table of a run: the settings, then [`results_table`].
pub fn summary_table(model: &Model, analysis: &Analysis) -> String {
    let mut s = run_header(model, analysis.iterations);
    s.push_str(&results_table(analysis));
    s
}

/// The lines that say what was run: title, iterations, mode, horizon, accrual and discounting.
fn run_header(model: &Model, iterations: usize) -> String {
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
        "{} iterations, {mode}, {} of {} cycles, accrual: {}, {discounting} discounting ({}): costs {}, outcomes {}",
        iterations,
        count(settings.horizon_years as u64, "year"),
        match settings.cycle {
            crate::model::schedule::CycleLength::Year => "yearly",
            crate::model::schedule::CycleLength::Quarter => "quarterly",
            crate::model::schedule::CycleLength::Month => "monthly",
            crate::model::schedule::CycleLength::Week => "weekly",
        },
        settings.describe_accrual(&model.outcomes),
        settings.discount_timing.describe(),
        settings.discount_costs.describe(),
        settings.discount_outcomes.describe(),
    );
    let price_year = model
        .meta
        .price_year
        .map_or(String::new(), |y| format!(", price year {y}"));
    let _ = writeln!(
        s,
        "Mean {}, discounted ({}{price_year}); ± is the Monte Carlo standard error of the mean",
        model.meta.results_for.per(),
        model.meta.currency
    );
    for arm in model.arms.iter().filter(|a| !a.savings.is_empty()) {
        let _ = writeln!(
            s,
            "{}: entered as savings (care costs avoided: they lower its care costs, not its spend): {}",
            arm.label,
            arm.savings.join(", ")
        );
    }
    let _ = writeln!(s);
    s
}

/// Mean costs and outcomes per arm (each outcome under its label), then each comparison with its ROI and payback.
pub fn results_table(analysis: &Analysis) -> String {
    let mut s = String::new();
    // Each outcome's column is as wide as its label.
    let widths: Vec<usize> = analysis
        .outcomes
        .iter()
        .map(|o| o.label.chars().count().max(10))
        .collect();
    // The arms' labels in full: the column is as wide as the longest, and at least 28.
    let arm_width = (analysis.arms.iter())
        .map(|a| a.label.chars().count())
        .max()
        .unwrap_or(0)
        .max(28);
    let _ = write!(s, "{:<arm_width$} {:>12} {:>12}", "arm", "total cost", "spend");
    // Each payer's column is as wide as its label, and at least 12.
    let payers = &analysis.payers;
    let payer_widths: Vec<usize> = payers.all().map(|p| payers.label(p).chars().count().max(12)).collect();
    for (p, w) in payers.all().zip(&payer_widths) {
        let _ = write!(s, " {:>w$}", payers.label(p));
    }
    for (o, w) in analysis.outcomes.iter().zip(&widths) {
        let _ = write!(s, " {:>w$}", o.label);
    }
    let _ = writeln!(s);
    for arm in &analysis.arms {
        let optional = |v: Option<f64>| v.map_or("n/a".to_string(), money);
        let _ = write!(
            s,
            "{:<arm_width$} {:>12} {:>12}",
            arm.label,
            money(arm.cost.mean),
            optional(arm.spend.map(|x| x.mean)),
        );
        for (p, w) in payer_widths.iter().enumerate() {
            let _ = write!(s, " {:>w$}", optional(arm.cost_by_payer.as_ref().map(|c| c[p])));
        }
        for (o, w) in arm.outcomes.iter().zip(&widths) {
            let _ = write!(s, " {:>w$.4}", o.mean);
        }
        let _ = writeln!(s);
    }

    for c in &analysis.comparisons {
        comparison_lines(&mut s, analysis, c);
    }
    let primary = analysis.primary();
    if let (Some(rows), Some(primary)) = (&analysis.incremental, primary) {
        if rows.len() > 2 {
            let _ = writeln!(
                s,
                "\nFully incremental analysis (all arms, by cost; mean {}):",
                primary.label
            );
            for r in rows {
                let icer = r.row.icer.map_or(String::new(), |v| {
                    format!("ICER {} per {}", money(v), per_unit(primary))
                });
                let w = rows.iter().map(|r| r.arm.chars().count()).max().unwrap_or(0).max(24);
                let _ = writeln!(
                    s,
                    "  {:<w$} {:>12} {:>10}  {:<22} {icer}",
                    r.arm,
                    money(r.row.mean_cost),
                    fixed(r.row.mean_effect, 4),
                    r.row.status.replace('_', " ")
                );
            }
        }
    }
    for w in &analysis.warnings {
        let _ = writeln!(s, "\nwarning: {w}");
    }
    s
}

/// One comparison: incremental cost and outcomes (each as a gain, in its own words), net savings, ICER, INMB, ROI
/// and payback.
fn comparison_lines(s: &mut String, analysis: &Analysis, c: &Comparison) {
    let _ = writeln!(s);
    let _ = writeln!(s, "{} vs {}:", c.arm, c.comparator);
    let interval = |lo: f64, hi: f64| format!("95% interval {} to {}", money(lo), money(hi));
    // The names' column fits the longest outcome's words.
    let w = analysis
        .outcomes
        .iter()
        .map(|o| gain_name(o).chars().count())
        .max()
        .unwrap_or(0)
        .max(21);
    let _ = writeln!(
        s,
        "  {:<w$} {:>12} ± {:<8} ({})",
        "incremental cost",
        money(c.incremental_cost.mean),
        money_error(c.incremental_cost.se, c.incremental_cost.mean),
        interval(c.incremental_cost.p2_5, c.incremental_cost.p97_5)
    );
    for (o, d) in analysis.outcomes.iter().zip(&c.incremental_outcomes) {
        let _ = writeln!(
            s,
            "  {:<w$} {:>12} ± {:<8} (95% interval {} to {})",
            gain_name(o),
            fixed(d.mean, 4),
            error_digits(d.se, d.mean, 4),
            fixed(d.p2_5, 4),
            fixed(d.p97_5, 4)
        );
    }
    let _ = writeln!(
        s,
        "  {:<w$} {:>12} ± {:<8} ({}; P(cost-saving) {})",
        "net savings",
        money(c.net_savings.mean),
        money_error(c.net_savings.se, c.net_savings.mean),
        interval(c.net_savings.p2_5, c.net_savings.p97_5),
        share(c.prob_cost_saving, ShareStyle::Probability, 3)
    );
    let primary = analysis.primary();
    if let (Some(icer), Some(primary)) = (&c.icer, primary) {
        let _ = writeln!(s, "  {:<w$} {}", "ICER", describe_icer(icer, primary));
    }
    if let (Some(inmb), Some(p), Some(primary)) = (&c.inmb, c.prob_cost_effective, primary) {
        let _ = writeln!(
            s,
            "  INMB at {} per {}: {}  (P(cost-effective) {} ± {})",
            money(analysis.threshold),
            per_unit(primary),
            money(inmb.mean),
            share(p, ShareStyle::Probability, 3),
            error_digits(c.prob_cost_effective_se.unwrap_or(0.0), p, 3)
        );
    }
    roi_lines(s, analysis, &c.arm);
    withheld_ratio_lines(s, c, w, analysis.per);
    let in_cycles = (analysis.payback_cycles.iter()).find(|p| p.arm == c.arm && p.unit != "year");
    if let Some(p) = in_cycles {
        let _ = writeln!(
            s,
            "  {:<w$} in {}; {} of iterations never pay back within the horizon",
            "payback",
            p.describe(),
            share(p.share_never, ShareStyle::Percent, 1)
        );
    } else if let Some(p) = analysis.payback.iter().find(|p| p.arm == c.arm) {
        let median = p
            .median_year
            .map_or("not within the horizon".to_string(), |y| format!("year {y}"));
        let _ = writeln!(
            s,
            "  {:<w$} median {median}; {} of iterations never pay back within the horizon",
            "payback",
            share(p.share_never, ShareStyle::Percent, 1)
        );
    }
}

/// Where the whole-system ratio is withheld: why, and the savings and spend it would have divided.
fn withheld_ratio_lines(s: &mut String, c: &Comparison, w: usize, per: &str) {
    let (Some(reason), Some(spend), Some(savings)) = (c.ratio_withheld, c.spend, c.savings) else {
        return;
    };
    let _ = writeln!(s, "  {:<w$} not shown: {}", "£ back per £1 spent", reason.explanation());
    let what = match reason {
        NoRatio::NoExtraSpend => format!(
            "saves {} {per} with no extra spend (95% interval {} to {})",
            money(c.net_savings.mean),
            money(c.net_savings.p2_5),
            money(c.net_savings.p97_5)
        ),
        NoRatio::SpendNearZero => format!(
            "care savings {} for {} of extra spend {per}; net savings {} (95% interval {} to {})",
            money(savings.mean),
            money(spend.mean),
            money(c.net_savings.mean),
            money(c.net_savings.p2_5),
            money(c.net_savings.p97_5)
        ),
    };
    let _ = writeln!(s, "  {:<w$} {what}", "");
}

/// "£ back per £1 spent" by payer: the whole system, each payer's own return, and the cross-payer returns.
fn roi_lines(s: &mut String, analysis: &Analysis, arm: &str) {
    let rows: Vec<_> = analysis
        .roi
        .iter()
        .filter(|r| r.arm == arm && r.basis == "all")
        .collect();
    // Lines first, so that the heading appears only above some.
    let mut lines = String::new();
    let name = |p: &str| analysis.payers.label_of(p);
    // As wide as the longest label, so that a payer the scenario names ("Housing association") keeps the columns.
    let w = (analysis.payers.all())
        .map(|p| analysis.payers.label(p).chars().count())
        .max()
        .unwrap_or(0)
        .max(12);
    for r in rows
        .iter()
        .filter(|r| r.savings_payer == r.spend_payer || r.spend_payer == "total" || r.savings_payer == "total")
    {
        if r.spend_payer == "total" && r.savings_payer != "total" {
            continue;
        }
        // "All savings per £1 of the council's spend" repeats the whole-system row when the council is the only
        // spender.
        let only_spender = rows.iter().any(|t| {
            t.savings_payer == "total" && t.spend_payer == "total" && (t.mean_spend - r.mean_spend).abs() < 1e-9
        });
        if r.savings_payer == "total" && r.spend_payer != "total" && only_spender {
            continue;
        }
        let cashable = analysis
            .roi
            .iter()
            .find(|c| {
                c.arm == arm
                    && c.basis == "cashable"
                    && c.savings_payer == r.savings_payer
                    && c.spend_payer == r.spend_payer
            })
            .map_or(String::new(), |c| {
                if (c.bcr - r.bcr).abs() > 1e-9 {
                    format!("; cashable only {}", per_pound(c.bcr))
                } else {
                    String::new()
                }
            });
        let _ = writeln!(
            lines,
            "    {:<w$} / {:<w$} {}  (per-iteration 95% interval {} to {}; P(> £1) {}{cashable})",
            name(&r.savings_payer),
            name(&r.spend_payer),
            per_pound(r.bcr),
            per_pound(r.bcr_per_iteration.p2_5),
            per_pound(r.bcr_per_iteration.p97_5),
            share(r.prob_bcr_above_one, ShareStyle::Probability, 3)
        );
    }
    for r in rows
        .iter()
        .filter(|r| r.savings_payer != r.spend_payer && r.savings_payer != "total" && r.spend_payer != "total")
        // Cross-payer returns ("the council spends, the NHS saves"), where that payer saves anything at all.
        .filter(|r| r.mean_savings != 0.0)
    {
        let _ = writeln!(
            lines,
            "    {:<w$} / {:<w$} {}  (P(> £1) {})",
            name(&r.savings_payer),
            name(&r.spend_payer),
            per_pound(r.bcr),
            share(r.prob_bcr_above_one, ShareStyle::Probability, 3)
        );
    }
    if !lines.is_empty() {
        let _ = writeln!(s, "  £ back per £1 spent (savings to / per £1 spent by):");
        s.push_str(&lines);
    }
}

/// The tornado as text: per comparison, the ten parameters that move the measure most.
pub fn tornado_table(measure: Measure, bars: &[TornadoBar]) -> String {
    let mut s = String::new();
    let show = |v: f64| match measure {
        Measure::Bcr => per_pound(v),
        _ => money(v),
    };
    let mut arms: Vec<&str> = bars.iter().map(|b| b.arm.as_str()).collect();
    arms.dedup();
    for arm in arms {
        let mine: Vec<&TornadoBar> = bars.iter().filter(|b| b.arm == arm).collect();
        let Some(first) = mine.first() else { continue };
        let _ = writeln!(
            s,
            "{} vs {}: {} at the parameters' means {}; each parameter from low to high, the rest at their means",
            first.arm,
            first.comparator,
            measure.words(),
            show(first.base)
        );
        let _ = writeln!(
            s,
            "  {:<34} {:>12} {:>12} {:>12} {:>12}",
            "parameter", "low", "high", "at low", "at high"
        );
        for b in mine.iter().take(10) {
            let name = if b.scope == "base" {
                b.parameter.clone()
            } else {
                format!("{} ({})", b.parameter, b.scope)
            };
            let _ = writeln!(
                s,
                "  {:<34} {:>12} {:>12} {:>12} {:>12}",
                name,
                figure(b.low),
                figure(b.high),
                show(b.at_low),
                show(b.at_high)
            );
        }
        if mine.len() > 10 {
            let _ = writeln!(s, "  ... {} more in tornado.csv", mine.len() - 10);
        }
    }
    s
}

/// Threshold results in words.
pub fn threshold_text(thresholds: &[Threshold]) -> String {
    let mut s = String::new();
    for t in thresholds {
        let show = |v: f64| match t.measure {
            Measure::Bcr => per_pound(v),
            _ => money(v),
        };
        let _ = writeln!(
            s,
            "{} vs {}: {} is {} at {} = {} (the base case)",
            t.arm,
            t.comparator,
            t.measure.words(),
            show(t.base_measure),
            t.parameter,
            figure(t.base_value)
        );
        if t.crossings.is_empty() {
            let _ = writeln!(
                s,
                "  it does not reach {} for {} between {} and {}",
                show(t.break_even),
                t.parameter,
                figure(t.range[0]),
                figure(t.range[1])
            );
        }
        for (c, below) in t.crossings.iter().zip(&t.share_below) {
            let where_ = below.map_or(String::new(), |p| {
                let percent = share(p, ShareStyle::Percent, 1);
                format!("; {percent} of its PSA distribution lies below that value")
            });
            let _ = writeln!(
                s,
                "  it equals {} at {} = {}{where_}",
                show(t.break_even),
                t.parameter,
                figure(*c)
            );
        }
    }
    s
}

/// Two-way results in words, per comparison: the base case, the range over the grid with where its ends lie, and
/// how many points reach break-even.
pub fn twoway_text(grids: &[crate::analysis::twoway::TwoWay]) -> String {
    let mut s = String::new();
    for g in grids {
        let show = |v: f64| match g.measure {
            Measure::Bcr => per_pound(v),
            _ => money(v),
        };
        let span = |a: &crate::analysis::twoway::TwoWayAxis| {
            format!(
                "{} from {} to {} ({} values)",
                a.parameter,
                figure(a.values.first().copied().unwrap_or(f64::NAN)),
                figure(a.values.last().copied().unwrap_or(f64::NAN)),
                a.values.len()
            )
        };
        let _ = writeln!(
            s,
            "{} vs {}: {} on the model at its means, over {} and {}",
            g.arm,
            g.comparator,
            g.measure.words(),
            span(&g.x),
            span(&g.y)
        );
        let _ = writeln!(
            s,
            "  base case ({} = {}, {} = {}): {}",
            g.x.parameter,
            figure(g.x.base),
            g.y.parameter,
            figure(g.y.base),
            show(g.base)
        );
        // (value, x, y) of every point with a value.
        let points: Vec<(f64, f64, f64)> = g
            .values
            .iter()
            .zip(&g.y.values)
            .flat_map(|(row, &y)| row.iter().zip(&g.x.values).map(move |(&v, &x)| (v, x, y)))
            .filter(|p| p.0.is_finite())
            .collect();
        let lowest = points.iter().min_by(|a, b| a.0.total_cmp(&b.0));
        let highest = points.iter().max_by(|a, b| a.0.total_cmp(&b.0));
        if let (Some(lo), Some(hi)) = (lowest, highest) {
            let at = |p: &(f64, f64, f64)| {
                format!(
                    "{} at {} = {}, {} = {}",
                    show(p.0),
                    g.x.parameter,
                    figure(p.1),
                    g.y.parameter,
                    figure(p.2)
                )
            };
            let _ = writeln!(s, "  lowest {}; highest {}", at(lo), at(hi));
        }
        let total = g.values.iter().map(Vec::len).sum::<usize>();
        let reached = points.iter().filter(|p| p.0 >= g.break_even).count();
        let _ = writeln!(
            s,
            "  {reached} of {total} points at or above break-even ({})",
            show(g.break_even)
        );
    }
    s
}

/// EVPPI per parameter and group, largest first, with the method; `per` is what λ is per.
pub fn evppi_table(rows: &[EvppiRow], lambda: f64, per: &str) -> String {
    let mut s = String::new();
    let all = rows;
    let mut rows: Vec<&EvppiRow> = rows.iter().collect();
    rows.sort_by(|a, b| {
        b.estimate
            .value
            .total_cmp(&a.estimate.value)
            .then(a.label.cmp(&b.label))
    });
    let evpi = rows.first().map_or(f64::NAN, |r| r.estimate.evpi);
    let _ = writeln!(
        s,
        "EVPPI per person at λ = {} per {per} (EVPI {})",
        money(lambda),
        money(evpi)
    );
    let _ = writeln!(s, "  {:<40} {:>12} {:>12}", "parameter or group", "EVPPI", "± SE");
    for r in rows {
        let _ = writeln!(
            s,
            "  {:<40} {:>12} {:>12}",
            if r.kind == "group" {
                format!("{} (group)", r.label)
            } else {
                r.label.clone()
            },
            money(r.estimate.value),
            money_error(r.estimate.se, r.estimate.value)
        );
    }
    // Each estimator once: published estimators disagree, so the method is part of the result.
    let mut methods: Vec<&str> = all.iter().map(|r| r.estimate.method.as_str()).collect();
    methods.sort_unstable();
    methods.dedup();
    for m in methods {
        let _ = writeln!(s, "  method: {m}");
    }
    s
}

/// "10000 iterations in 0.03 s on 2 threads", "1 iteration in under 0.01 s on 1 thread".
pub fn run_time(iterations: usize, seconds: f64, threads: usize) -> String {
    let s = |n: usize| if n == 1 { "" } else { "s" };
    let time = if seconds < 0.005 {
        "under 0.01".to_string()
    } else {
        format!("{seconds:.2}")
    };
    format!(
        "{iterations} iteration{} in {time} s on {threads} thread{}\n",
        s(iterations),
        s(threads)
    )
}

/// "15 points of 15 × 1 scenario(s)", with the shard where there is one.
pub fn sweep_line(manifest: &crate::output::sweep::Manifest, points: usize) -> String {
    format!(
        "{} points of {} × {} scenario(s){}\n",
        points,
        manifest.grid.points(),
        manifest.scenarios.len(),
        manifest
            .shard
            .map_or(String::new(), |s| format!(" (shard {}/{})", s.index, s.count))
    )
}

/// What `run --shard` and `evppi --shard` say of the shard they wrote.
pub fn shard_line(manifest: &crate::output::run_shard::RunShardManifest) -> String {
    let from = match manifest.shard_from.as_str() {
        "--shard" => String::new(),
        variable => format!(", from {variable}"),
    };
    let simulations = match manifest.parts.len() {
        1 => "1 simulation".to_string(),
        n => format!("{n} simulations"),
    };
    format!(
        "shard {}/{}{from}: iterations {} to {} of {} ({simulations}) in {:.2} s; `carecast merge` the {} shards\n",
        manifest.shard.index,
        manifest.shard.count,
        thousands(manifest.first as u64),
        thousands(manifest.end.saturating_sub(1) as u64),
        thousands(manifest.run.iterations as u64),
        manifest.simulation_seconds,
        manifest.shard.count,
    )
}

/// What `carecast check` says of a scenario that loads: its size.
pub fn check_line(path: &std::path::Path, m: &Model) -> String {
    let tables = match m.tables.len() {
        0 => String::new(),
        1 => ", 1 table".to_string(),
        n => format!(", {n} tables"),
    };
    // States as the file declares them; a tunnel's steps are states of the model, said apart.
    let declared = m
        .states
        .iter()
        .filter(|s| s.tunnel.as_ref().is_none_or(|t| t.time_in_state == 1))
        .count();
    let states = if declared == m.states.len() {
        format!("{declared} states")
    } else {
        format!(
            "{declared} states ({} with each cycle of a tunnel counted)",
            m.states.len()
        )
    };
    format!(
        "{}: ok — {states}, {}, {} ({} sampled){tables}, {}, {} of {}, accrual: {}, discounting {} ({})\n",
        path.display(),
        count(m.arms.len() as u64, "arm"),
        count(m.parameters.len() as u64, "parameter"),
        m.parameters.iter().filter(|p| p.draw_slot.is_some()).count(),
        count(m.outcomes.len() as u64, "outcome"),
        count(m.settings.horizon_years as u64, "year"),
        count(m.settings.cycles() as u64, "cycle"),
        m.settings.describe_accrual(&m.outcomes),
        m.settings.discounting.name(),
        m.settings.discount_timing.describe(),
    )
}

/// What `check` shows beyond its summary line: every sampled parameter with the distribution fitted to it (its
/// native parameters, mean and 95% interval), every group of correlated parameters with their correlations, and
/// every warning about how the file was read, so that the analyst sees what the figures were turned into.
pub fn check_details(m: &Model) -> String {
    use crate::model::ParameterSpec;
    use std::fmt::Write;
    let mut out = String::new();
    let fitted: Vec<_> = m
        .parameters
        .iter()
        .filter_map(|p| match &p.spec {
            ParameterSpec::Distribution {
                distribution,
                mean,
                low95,
                high95,
            } => Some((p, distribution.clone(), *mean, *low95, *high95)),
            ParameterSpec::DirichletComponent {
                alpha,
                component,
                mean,
                low95,
                high95,
            } => {
                let alpha: Vec<String> = alpha.iter().map(|a| super::format::number(*a)).collect();
                Some((
                    p,
                    format!("Dirichlet(α = [{}]) component {}", alpha.join(", "), component + 1),
                    *mean,
                    *low95,
                    *high95,
                ))
            }
            _ => None,
        })
        .collect();
    if !fitted.is_empty() {
        out.push_str("sampled parameters (scope, name: distribution; mean; 95% interval):\n");
    }
    let n = super::format::number;
    for (p, d, mean, low, high) in fitted {
        let _ = writeln!(
            out,
            "  {} {}: {d}; mean {}; 95% {} to {}",
            p.scope,
            p.name,
            n(mean),
            n(low),
            n(high)
        );
    }
    for c in &m.correlations {
        let how = if c.kind == "mvnormal" {
            "multivariate normal"
        } else {
            "Gaussian copula, each keeping its distribution"
        };
        let _ = writeln!(
            out,
            "correlated ({how}; scope {}): {}",
            c.scope,
            c.parameters.join(", ")
        );
        for (i, row) in c.matrix.iter().enumerate() {
            for (j, r) in row.iter().enumerate().skip(i + 1) {
                let _ = writeln!(out, "  {} ~ {}: {r}", c.parameters[i], c.parameters[j]);
            }
        }
    }
    out.push_str(&unentered_lines(m));
    out.push_str(&super::prices::check_lines(m.meta.prices.as_ref()));
    for w in &m.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}

/// The states that some arm (or subgroup of one) gives no way in, with where: their rows are left out there, neither
/// evaluated nor checked, since they could move no one (see [`crate::model::Context::unentered`]). A modelling
/// mistake in such a row (a probability of 2) is then silent in a run, so `check` names them.
fn unentered_lines(m: &Model) -> String {
    use std::fmt::Write;
    // By state, the arms with their subgroups (strata of one subgroup are one place), in the model's order.
    type ArmsAndGroups = Vec<(usize, Vec<usize>)>;
    let mut places: std::collections::BTreeMap<usize, ArmsAndGroups> = Default::default();
    for ctx in &m.contexts {
        for &state in &ctx.unentered {
            let arms = places.entry(state).or_default();
            match arms.iter_mut().find(|(a, _)| *a == ctx.arm) {
                Some((_, groups)) if !groups.contains(&ctx.subgroup) => groups.push(ctx.subgroup),
                Some(_) => {}
                None => arms.push((ctx.arm, vec![ctx.subgroup])),
            }
        }
    }
    if places.is_empty() {
        return String::new();
    }
    let mut out = String::from(concat!(
        "states an arm gives no way in: their rows are not evaluated there, so a probability out of [0, 1] in them ",
        "is not refused (it could move no one):\n"
    ));
    for (state, arms) in places {
        let arms: Vec<String> = (arms.into_iter())
            .map(|(arm, groups)| {
                let name = format!("arm `{}`", m.arms[arm].name);
                if m.subgroups.len() < 2 {
                    return name;
                }
                let groups: Vec<String> = groups.iter().map(|g| format!("`{}`", m.subgroups[*g].name)).collect();
                format!(
                    "{name} ({} {})",
                    if groups.len() == 1 { "subgroup" } else { "subgroups" },
                    groups.join(", ")
                )
            })
            .collect();
        let _ = writeln!(out, "  `{}`: {}", m.states[state].name, arms.join("; "));
    }
    out
}

/// Notes for arms whose plots got a different file name from the one their name makes, because another arm's name
/// makes the same ("drug A" and "drug_A"): which files are whose.
pub fn file_name_notes(arms: &[String]) -> String {
    let files = super::format::FileNames::new(arms);
    files
        .renamed()
        .iter()
        .map(|(name, part)| {
            format!(
                "note: arm `{name}` has the same file name as an arm before it, so its plots are named `{part}` (roi_{part}.svg, ...)\n"
            )
        })
        .collect()
}
