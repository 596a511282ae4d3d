//! The report's headline cards (£ back per £1 by payer, in words), its cost-effectiveness table and the Monte Carlo
//! precision of its headline figures.

use super::{interval, label_of, Card, Headline, ReportInput, Table};
use crate::analysis::ratio_rule::NoRatio;
use crate::analysis::stats::Summary;
use crate::analysis::{Analysis, Comparison, RoiRow};
use crate::model::OutcomeInfo;
use crate::output::format::{
    capitalised, count, describe_icer, error_digits, gain_name, money, money_error, number, per_pound, per_unit,
    percent_of, share, ShareStyle,
};

pub(super) fn roi<'a>(input: &'a ReportInput, c: &Comparison, savings: &str) -> Option<&'a RoiRow> {
    input.analysis.roi.iter().find(|r| {
        r.arm == c.arm
            && r.comparator == c.comparator
            && r.savings_payer == savings
            && r.spend_payer == "total"
            && r.basis == "all"
    })
}

/// One payer bearing every saving and all the spend: its card and the whole system's say the same, so they are
/// shown as one. `figures` holds each card's key and figures, in card order.
fn merge_one_payer(cards: &mut Vec<Card>, figures: &[(&str, [f64; 5])]) {
    if let [(_, a), (total, b)] = figures {
        if *total == "total" && a == b {
            cards.pop();
            if let Some(card) = cards.last_mut() {
                card.who
                    .push_str(" (all the savings: the whole system's figures are the same)");
            }
        }
    }
}

pub(super) fn headline(input: &ReportInput, c: &Comparison, over: &str) -> Headline {
    let arm = label_of(input, &c.arm);
    let comparator = label_of(input, &c.comparator);
    let iterations = input.analysis.iterations;
    let per = input.analysis.per;
    let mut cards = Vec::new();
    // Each card's key and figures, to see when one payer's card is the whole system's over again.
    let mut figures = Vec::new();
    let spends = crate::output::figures::whose_pound(input.analysis, &c.arm, &c.comparator);
    // (key, who, whether `who` is plural)
    let known = &input.analysis.payers;
    let payers = (known.all().map(|p| known.info(p)))
        .map(|p| (p.name.as_ref(), p.words.as_ref(), p.plural))
        .chain([("total", "the whole system", false)]);
    for (key, who, plural) in payers {
        let Some(r) = roi(input, c, key) else { continue };
        let (is, saves, comes) = if plural {
            ("are", "save", "come")
        } else {
            ("is", "saves", "comes")
        };
        let (net, p_ahead) = if key == "total" {
            (c.net_savings, c.prob_cost_saving)
        } else {
            match c
                .net_savings_by_payer
                .as_ref()
                .and_then(|v| v.iter().find(|p| p.payer == key))
            {
                Some(p) => (p.net_savings, p.prob_cost_saving),
                None => continue,
            }
        };
        // A payer with no costs in either arm has nothing to report.
        if key != "total" && r.mean_savings == 0.0 && [net.mean, net.p2_5, net.p97_5].iter().all(|v| *v == 0.0) {
            continue;
        }
        let mut title = who.to_string();
        if let Some(first) = title.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        let net_words = if net.mean >= 0.0 {
            format!("{} {per} better off", money(net.mean))
        } else {
            format!("{} {per} worse off", money(-net.mean))
        };
        figures.push((key, [r.bcr, net.mean, net.p2_5, net.p97_5, p_ahead]));
        let back = if key == "total" {
            String::new()
        } else {
            format!(" to {who}")
        };
        cards.push(Card {
            who: title,
            figure: format!("{} back{back} per £1 {spends}", per_pound(r.bcr)),
            interval: format!("95% interval {}", interval(&r.bcr_per_iteration, per_pound)),
            probability: if key == "total" {
                format!("Probability it pays for itself: {}", percent_of(p_ahead, iterations))
            } else {
                format!("Probability {who} {comes} out ahead: {}", percent_of(p_ahead, iterations))
            },
            net: format!(
                "Net savings{}{over}: {} {per} (95% interval {})",
                if key == "total" { "" } else { " to this payer" },
                money(net.mean),
                interval(&net, money)
            ),
            sentence: format!(
                "For every £1 spent on {arm}, {who} {} {} on care{over} compared with {comparator}. {}, {who} {is} {net_words} on average, and {comes} out ahead in {}.",
                if r.bcr >= 0.0 { saves } else if plural { "pay an extra" } else { "pays an extra" },
                per_pound(r.bcr.abs()),
                if key == "total" {
                    "Counting all of the spend"
                } else if plural {
                    "Counting what they spend themselves"
                } else {
                    "Counting what it spends itself"
                },
                percent_of(p_ahead, iterations)
            ),
        });
    }
    merge_one_payer(&mut cards, &figures);
    if let Some(card) = withheld_card(c, (&arm, &comparator), over, (per, iterations)) {
        cards.push(card);
    }
    Headline {
        arm,
        comparator,
        cards,
        payback: payback_sentence(input, c),
        spend_note: spend_note(c, per),
    }
}

/// The whole system's card where the ratio rule withholds its ratio: what it saves, and why there is no ratio.
fn withheld_card(
    c: &Comparison,
    (arm, comparator): (&str, &str),
    over: &str,
    (per, iterations): (&str, usize),
) -> Option<Card> {
    let (reason, spend, savings) = (c.ratio_withheld?, c.spend?, c.savings?);
    let net = c.net_savings;
    let figure = match reason {
        NoRatio::NoExtraSpend if net.mean >= 0.0 => {
            format!("Saves {} {per} with no extra spend", money(net.mean))
        }
        NoRatio::NoExtraSpend => format!("Costs {} more {per}, with no extra spend", money(-net.mean)),
        NoRatio::SpendNearZero => "No £-per-£1 figure: the extra spend is within noise of zero".to_string(),
    };
    Some(Card {
        who: "The whole system".to_string(),
        figure,
        interval: format!("Net savings: 95% interval {}", interval(&net, money)),
        probability: format!(
            "Probability it costs no more: {}",
            percent_of(c.prob_cost_saving, iterations)
        ),
        net: format!(
            "Care savings {} {per} for {} of extra spend{over}",
            money(savings.mean),
            money(spend.mean)
        ),
        sentence: format!(
            "No \"£ back per £1 spent\" is shown for {arm} against {comparator}: {}.",
            reason.explanation()
        ),
    })
}

/// "Payback: in year 2 (the median over the simulations); ..."
fn payback_sentence(input: &ReportInput, c: &Comparison) -> String {
    let iterations = input.analysis.iterations;
    input
        .analysis
        .payback
        .iter()
        .find(|p| p.arm == c.arm && p.comparator == c.comparator)
        .map_or_else(String::new, |p| {
            let horizon = p.share_by_year.len();
            let in_cycles = (input.analysis.payback_cycles.iter())
                .find(|q| q.arm == c.arm && q.comparator == c.comparator && q.unit != "year" && q.median.is_some());
            if let Some(q) = in_cycles {
                return format!(
                    "Payback: in {}, the median over the simulations; {} do not pay back within {horizon} years.",
                    q.describe(),
                    percent_of(p.share_never, iterations)
                );
            }
            match p.median_year {
                Some(y) => format!(
                    "Payback: in year {y} (the median over the simulations); {} do not pay back within {horizon} years.",
                    percent_of(p.share_never, iterations)
                ),
                None => format!(
                    "Payback: in most simulations ({}) it does not pay for itself within {horizon} years.",
                    percent_of(p.share_never, iterations)
                ),
            }
        })
}

/// What the extra intervention spend is, and what "£ back per £1 spent" divides by.
fn spend_note(c: &Comparison, per: &str) -> String {
    c.spend.map_or_else(String::new, |s| {
        let divides = match c.ratio_withheld {
            Some(_) => "",
            None => " \"£ back per £1 spent\" divides each payer's care-cost savings by all of it.",
        };
        format!(
            "Extra intervention spend: {} {per} (95% interval {}).{divides}",
            money(s.mean),
            interval(&s, money)
        )
    })
}

/// The cost-effectiveness table on the primary outcome `outcome`, its gain in the decision's direction (the amount
/// avoided where less is better).
pub(super) fn ce_table(input: &ReportInput, outcome: &OutcomeInfo) -> Table {
    let a = input.analysis;
    Table {
        caption: format!(
            "Incremental results {}, against each arm's comparator (threshold λ = {} per {}{})",
            a.per,
            money(a.threshold),
            per_unit(outcome),
            if a.threshold == 0.0 {
                ": no money value is placed on the outcome, so INMB is the net savings"
            } else {
                ", the most one is taken to be worth"
            }
        ),
        headers: [
            "Intervention",
            "Comparator",
            "Incremental cost (95% interval)",
            &format!("{} (95% interval)", capitalised(&gain_name(outcome))),
            "ICER",
            "INMB at λ (95% interval)",
            "Probability cost-effective at λ",
        ]
        .map(String::from)
        .to_vec(),
        rows: a
            .comparisons
            .iter()
            .map(|c| {
                let de = primary_delta(a, c);
                vec![
                    label_of(input, &c.arm),
                    label_of(input, &c.comparator),
                    format!(
                        "{} ({})",
                        money(c.incremental_cost.mean),
                        interval(&c.incremental_cost, money)
                    ),
                    de.map_or("–".into(), |d| {
                        format!("{} ({})", number(d.mean), interval(&d, number))
                    }),
                    c.icer.map_or("–".into(), |i| describe_icer(&i, outcome)),
                    c.inmb
                        .map_or("–".into(), |s| format!("{} ({})", money(s.mean), interval(&s, money))),
                    match (c.prob_cost_effective, c.prob_cost_effective_se) {
                        (Some(p), Some(se)) => {
                            format!(
                                "{} (Monte Carlo SE {})",
                                share(p, ShareStyle::Decimal, 3),
                                error_digits(se, p, 3)
                            )
                        }
                        _ => "–".into(),
                    },
                ]
            })
            .collect(),
    }
}

/// ΔE on the primary outcome of a comparison, as a gain (the amount avoided where less is better).
pub(super) fn primary_delta(a: &Analysis, c: &Comparison) -> Option<Summary> {
    let name = a.primary_outcome.as_ref()?;
    let index = a.outcome_names.iter().position(|o| o == name)?;
    c.incremental_outcomes.get(index).copied()
}

/// Standard errors of the headline figures, and whether the iterations were enough.
pub(super) fn precision(input: &ReportInput) -> (Table, String) {
    let a = input.analysis;
    let mut rows = Vec::new();
    let mut enough = true;
    // Enough: the 95% Monte Carlo error of each headline mean is within 1% of its size, or within a penny per £1
    // (ratios) or 0.01 (probabilities).
    // Each figure's error is shown to two significant figures where its own format would round it to none.
    type Show = (fn(f64) -> String, fn(f64, f64) -> String);
    let mut check = |figure: String, mean: f64, se: f64, absolute: f64, show: Show| {
        let ok = 1.96 * se <= (0.01 * mean.abs()).max(absolute);
        enough &= ok;
        rows.push(vec![
            figure,
            show.0(mean),
            show.1(se, mean),
            if ok { "yes".into() } else { "no".into() },
        ]);
    };
    for c in &a.comparisons {
        let name = format!("{} vs {}", label_of(input, &c.arm), label_of(input, &c.comparator));
        if let Some(r) = roi(input, c, "total") {
            check(
                format!("{name}: £ back per £1 (whole system)"),
                r.bcr,
                r.bcr_se,
                0.01,
                (per_pound, money_error),
            );
        }
        check(
            format!("{name}: net savings {}", a.per),
            c.net_savings.mean,
            c.net_savings.se,
            1.0,
            (money, money_error),
        );
        if let (Some(p), Some(se)) = (c.prob_cost_effective, c.prob_cost_effective_se) {
            let show: Show = (|x| share(x, ShareStyle::Decimal, 3), |se, p| error_digits(se, p, 3));
            check(format!("{name}: probability cost-effective"), p, se, 0.01, show);
        }
    }
    let verdict = if enough {
        format!("{} were enough: every headline figure above is known to within 1% (or a penny per £1, or 0.01 for probabilities) at 95% confidence.", count(a.iterations as u64, "iteration"))
    } else {
        format!("{} were not enough for every headline figure to be known to within 1% (or a penny per £1, or 0.01 for probabilities) at 95% confidence: run more iterations before quoting the figures marked \"no\".", count(a.iterations as u64, "iteration"))
    };
    (
        Table {
            caption: "Monte Carlo standard errors of the headline figures".into(),
            headers: ["Figure", "Estimate", "Monte Carlo standard error", "Precise enough?"]
                .map(String::from)
                .to_vec(),
            rows,
        },
        verdict,
    )
}
