//! Local cost-benefit conventions: the benefits of each comparison split into fiscal (the care savings, cashable and
//! not, by payer), economic and social value (outcomes valued in money), adjusted for optimism bias, deadweight,
//! attribution to others, displacement and drop-off, set against the extra spend with its optimism bias, giving the
//! net present public value and the benefit per £1 of cost.
//!
//! The guidance it follows is HM Treasury, Public Service Transformation Network and New Economy (2014), "Supporting
//! public service transformation: cost benefit analysis guidance for local partnerships"; docs/scenario-format.md
//! says what of it could be checked and which choices are carecast's own.
//!
//! Every adjustment is applied to each programme year's discounted value, in each kept iteration, in a fixed order
//! (optimism bias, deadweight, attribution to others, displacement, drop-off), so that each line says what it
//! removed and each figure has a 95% interval. Every step is linear, so the mean of the adjusted values is the
//! adjusted per-year means over all iterations: means use every iteration, intervals the kept ones.

use super::ratio_rule::{ratio_allowed, NoRatio};
use crate::model::cba::CbaSettings;
use crate::model::{Better, Model, Payer};
use crate::simulate::Results;
use serde::Serialize;

/// The adjustments of benefits, in the order they are applied: the key written in `cba.csv`, and their words.
pub const BENEFIT_ADJUSTMENTS: [(&str, &str); 5] = [
    ("optimism_bias_benefits", "optimism bias on benefits"),
    ("deadweight", "deadweight (would have happened anyway)"),
    ("attribution_to_others", "attribution to others"),
    ("displacement", "displacement (moved from elsewhere)"),
    ("drop_off", "drop-off after the first year"),
];

/// What a benefit stream counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Care savings to a payer that are released as cash.
    FiscalCashable,
    /// Care savings to a payer that are not (staff time, capacity freed).
    FiscalNonCashable,
    /// An outcome valued as an economic benefit.
    Economic,
    /// An outcome valued as a social benefit.
    Social,
}

impl Category {
    /// All categories, in the order reports show them.
    pub const ALL: [Category; 4] = [
        Category::FiscalCashable,
        Category::FiscalNonCashable,
        Category::Economic,
        Category::Social,
    ];

    /// The key written in `cba.csv`.
    pub fn key(self) -> &'static str {
        match self {
            Category::FiscalCashable => "fiscal_cashable",
            Category::FiscalNonCashable => "fiscal_non_cashable",
            Category::Economic => "economic",
            Category::Social => "social",
        }
    }

    /// The category in words.
    pub fn words(self) -> &'static str {
        match self {
            Category::FiscalCashable => "fiscal, cashable",
            Category::FiscalNonCashable => "fiscal, non-cashable",
            Category::Economic => "economic",
            Category::Social => "social",
        }
    }
}

/// One benefit stream before any adjustment: the gross, discounted value in each programme year.
#[derive(Debug, Clone)]
pub struct Stream {
    pub category: Category,
    /// Whose it is: a payer's name for fiscal streams, the outcome's name for economic and social ones.
    pub name: String,
    /// The same in words: the payer, or the outcome's label.
    pub label: String,
}

/// A figure with its mean over all iterations and its 95% interval over the kept ones.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figure {
    pub mean: f64,
    pub p2_5: f64,
    pub p97_5: f64,
}

/// The adjusted cost-benefit figures of one iteration, or of the means: what [`evaluate`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Values {
    /// Each stream's gross value over the horizon, in stream order.
    pub gross: Vec<f64>,
    /// What each benefit adjustment removed, in [`BENEFIT_ADJUSTMENTS`] order.
    pub removed: [f64; 5],
    /// Benefits after every adjustment, by [`Category::ALL`].
    pub benefits: [f64; 4],
    /// The extra spend before optimism bias, what optimism bias added, and the cost after it.
    pub cost_before: f64,
    pub cost_added: f64,
    pub cost: f64,
}

impl Values {
    /// Every benefit after adjustment.
    pub fn total_benefits(&self) -> f64 {
        self.benefits.iter().sum()
    }

    /// Net present public value: every adjusted benefit minus the adjusted cost.
    pub fn nppv(&self) -> f64 {
        self.total_benefits() - self.cost
    }

    /// Every figure in the order of `line_labels`.
    fn flat(&self) -> Vec<f64> {
        let mut v = self.gross.clone();
        v.push(self.gross.iter().sum());
        v.extend(self.removed);
        v.extend(self.benefits);
        v.push(self.total_benefits());
        v.extend([self.cost_before, self.cost_added, self.cost, self.nppv()]);
        v
    }
}

/// Applies the adjustments of `s` to benefit streams (`streams[k][y]`: stream `k`'s discounted value in programme
/// year `y + 1`) and to the extra spend (`cost[y]`), year by year.
pub fn evaluate(categories: &[Category], streams: &[Vec<f64>], cost: &[f64], s: &CbaSettings) -> Values {
    let shares = [
        s.optimism_bias_benefits,
        s.deadweight,
        s.attribution_to_others,
        s.displacement,
    ];
    let mut removed = [0.0; 5];
    let mut benefits = [0.0; 4];
    for (category, years) in categories.iter().zip(streams) {
        let c = Category::ALL.iter().position(|k| k == category).unwrap_or(0);
        for (y, &gross) in years.iter().enumerate() {
            let mut left = gross;
            for (r, share) in removed.iter_mut().zip(shares) {
                *r += left * share;
                left -= left * share;
            }
            let kept = left * (1.0 - s.drop_off).powi(y as i32);
            removed[4] += left - kept;
            benefits[c] += kept;
        }
    }
    let cost_before: f64 = cost.iter().sum();
    let cost_added = cost_before * s.optimism_bias_costs;
    Values {
        gross: streams.iter().map(|y| y.iter().sum()).collect(),
        removed,
        benefits,
        cost_before,
        cost_added,
        cost: cost_before + cost_added,
    }
}

/// One line of a comparison's cost-benefit account.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// `gross_benefit`, `adjustment`, `benefit`, `cost` or `net`.
    pub group: &'static str,
    /// What it is: `fiscal_cashable:council`, `deadweight`, `total`, `nppv`...
    pub key: String,
    /// The line in words.
    pub label: String,
    #[serde(flatten)]
    pub figure: Figure,
}

/// A ratio of benefits to the adjusted cost, or why it is not shown.
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    /// `fiscal` (fiscal benefits per £1 of cost) or `public_value` (every benefit per £1 of cost).
    pub key: &'static str,
    pub label: &'static str,
    /// Mean benefits over mean cost; None where the ratio rule withholds it.
    pub value: Option<f64>,
    /// Why it is withheld.
    pub withheld: Option<NoRatio>,
}

/// The cost-benefit account of one arm against its comparator.
#[derive(Debug, Clone, Serialize)]
pub struct CbaComparison {
    pub arm: String,
    pub comparator: String,
    pub lines: Vec<Line>,
    pub ratios: Vec<Ratio>,
}

impl CbaComparison {
    /// The line of `group` and `key`.
    pub fn line(&self, group: &str, key: &str) -> Option<&Line> {
        self.lines.iter().find(|l| l.group == group && l.key == key)
    }
}

/// The cost-benefit accounts of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Cba {
    /// The adjustments and money values applied.
    pub settings: CbaSettings,
    pub comparisons: Vec<CbaComparison>,
    /// How many iterations the intervals come from.
    pub sample_size: usize,
}

/// The benefit streams of the model: cashable and non-cashable care savings of each payer, then each outcome valued
/// as economic, then as social benefit.
fn streams(model: &Model, s: &CbaSettings) -> Vec<Stream> {
    let mut out = Vec::new();
    for category in [Category::FiscalCashable, Category::FiscalNonCashable] {
        out.extend(model.payers.all().map(|p| Stream {
            category,
            name: model.payers.name(p).to_string(),
            label: model.payers.label(p).to_string(),
        }));
    }
    for (category, valued) in [(Category::Economic, &s.economic), (Category::Social, &s.social)] {
        out.extend(valued.iter().map(|m| Stream {
            category,
            name: m.name.clone(),
            label: model.outcome_info[m.outcome].label.clone(),
        }));
    }
    out
}

/// Reads a comparison's per-year values, by full column (see [`Model::columns`]) and year, from either the means or one
/// kept iteration: each stream's gross benefit by year, and the extra spend by year.
fn read(
    model: &Model,
    s: &CbaSettings,
    (a, c): (usize, usize),
    value: &dyn Fn(usize, usize, usize) -> f64,
) -> (Vec<Vec<f64>>, Vec<f64>) {
    let years = model.settings.horizon_years;
    let by_year = |f: &dyn Fn(usize) -> f64| (0..years).map(f).collect::<Vec<f64>>();
    let mut streams = Vec::new();
    let columns = model.columns();
    let cashable_saving = |p: Payer, y: usize| value(c, y, columns.cashable(p)) - value(a, y, columns.cashable(p));
    let care_saving = |p: Payer, y: usize| value(c, y, columns.care(p)) - value(a, y, columns.care(p));
    for p in model.payers.all() {
        streams.push(by_year(&|y| cashable_saving(p, y)));
    }
    for p in model.payers.all() {
        streams.push(by_year(&|y| care_saving(p, y) - cashable_saving(p, y)));
    }
    for m in s.economic.iter().chain(&s.social) {
        let col = columns.outcome(m.outcome);
        let sign = match model.outcome_info[m.outcome].better {
            Better::Higher => 1.0,
            Better::Lower => -1.0,
        };
        streams.push(by_year(&|y| sign * (value(a, y, col) - value(c, y, col)) * m.value));
    }
    let spend = |arm: usize, y: usize| model.payers.all().map(|p| value(arm, y, columns.spend(p))).sum::<f64>();
    let cost = by_year(&|y| spend(a, y) - spend(c, y));
    (streams, cost)
}

/// The labels of every line, in the order [`Values`] flattens them.
fn line_labels(streams: &[Stream]) -> Vec<(&'static str, String, String)> {
    let mut out: Vec<(&'static str, String, String)> = streams
        .iter()
        .map(|st| {
            let key = format!("{}:{}", st.category.key(), st.name);
            ("gross_benefit", key, format!("{}: {}", st.category.words(), st.label))
        })
        .collect();
    out.push(("gross_benefit", "total".into(), "all benefits before adjustment".into()));
    for (key, words) in BENEFIT_ADJUSTMENTS {
        out.push(("adjustment", key.into(), format!("removed by {words}")));
    }
    for c in Category::ALL {
        out.push(("benefit", c.key().into(), format!("{} benefits", c.words())));
    }
    out.push(("benefit", "total".into(), "all benefits after adjustment".into()));
    out.push(("cost", "before_optimism_bias".into(), "extra spend".into()));
    out.push((
        "cost",
        "optimism_bias_costs".into(),
        "added by optimism bias on costs".into(),
    ));
    out.push(("cost", "total".into(), "cost after optimism bias".into()));
    out.push(("net", "nppv".into(), "net present public value".into()));
    out
}

/// The cost-benefit accounts of every comparison of a run of `model`.
pub fn cba(model: &Model, results: &Results, s: &CbaSettings) -> Cba {
    let streams = streams(model, s);
    let categories: Vec<Category> = streams.iter().map(|st| st.category).collect();
    let labels = line_labels(&streams);
    let columns = model.columns();
    let k = results.yearly_sample_size();
    let mut comparisons = Vec::new();
    for (a, arm) in model.arms.iter().enumerate() {
        let Some(c) = arm.comparator else { continue };
        let mean_value = |arm: usize, y: usize, col: usize| results.yearly_mean[[arm, y, col]];
        let (gross, cost) = read(model, s, (a, c), &mean_value);
        let means = evaluate(&categories, &gross, &cost, s);
        let samples: Vec<Vec<f64>> = (0..k)
            .map(|i| {
                let value = |arm: usize, y: usize, col: usize| results.yearly_value(i, arm, y, col);
                let (gross, cost) = read(model, s, (a, c), &value);
                evaluate(&categories, &gross, &cost, s).flat()
            })
            .collect();
        let lines = (labels.iter().zip(means.flat()).enumerate())
            .map(|(j, ((group, key, label), mean))| {
                let column: Vec<f64> = samples.iter().map(|v| v[j]).collect();
                let [p2_5, p97_5] = super::stats::quantiles(&column, [0.025, 0.975]);
                Line {
                    group,
                    key: key.clone(),
                    label: label.clone(),
                    figure: Figure { mean, p2_5, p97_5 },
                }
            })
            .collect();
        // The ratio rule on every iteration's adjusted cost: optimism bias scales it, so it is read from the totals.
        let spend: Vec<f64> = (0..results.kernel_totals.shape()[0])
            .map(|i| {
                let total = |arm: usize| {
                    model
                        .payers
                        .all()
                        .map(|p| results.total(i, arm, columns.spend(p)))
                        .sum::<f64>()
                };
                (total(a) - total(c)) * (1.0 + s.optimism_bias_costs)
            })
            .collect();
        let fiscal = means.benefits[0] + means.benefits[1];
        let ratio = |key, label, benefits: f64| Ratio {
            key,
            label,
            value: ratio_allowed(&spend, benefits).ok().map(|()| benefits / means.cost),
            withheld: ratio_allowed(&spend, benefits).err(),
        };
        comparisons.push(CbaComparison {
            arm: arm.name.clone(),
            comparator: model.arms[c].name.clone(),
            lines,
            ratios: vec![
                ratio("fiscal", "fiscal benefits per £1 of cost", fiscal),
                ratio(
                    "public_value",
                    "public value (all benefits) per £1 of cost",
                    means.total_benefits(),
                ),
            ],
        });
    }
    Cba {
        settings: s.clone(),
        comparisons,
        sample_size: k,
    }
}

#[cfg(test)]
mod tests;
