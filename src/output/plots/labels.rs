//! Numbers for people: money, ratio, percentage and count labels, tick formats, and outcome names as people read
//! them.

use super::data::usable;
use super::text::clean;
use crate::output::format::{decimals_for, group_thousands, money_label, money_tick, share, trim_zeros, ShareStyle};

/// Outcome name as people read it: "qaly" becomes "QALY", "bed_days" becomes "bed days"; other text is kept (the
/// default label of an outcome, [`crate::model::readable_name`], of the cleaned text).
pub fn display_outcome(name: &str) -> String {
    crate::model::readable_name(&clean(name))
}

/// An iteration count with thousands separators: "1,000,000".
pub(super) fn count_label(n: usize) -> String {
    group_thousands(&n.to_string())
}

/// "1 iteration", "2,000 iterations".
pub(super) fn plural(n: usize, noun: &str) -> String {
    crate::output::format::count(n as u64, noun)
}

/// A plain number with `decimals`, a real minus sign and thousands separators.
pub(super) fn number_label(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), format!(".{f}")),
        None => (s.clone(), String::new()),
    };
    let is_zero = s.chars().all(|c| c == '0' || c == '.');
    let sign = if v < 0.0 && !is_zero { "−" } else { "" };
    format!("{sign}{}{frac}", group_thousands(&int))
}

/// A number to three significant figures, with an explicit sign ("+0.0213", "−1.20").
pub(super) fn signed_number(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    let mag = if v == 0.0 { 0 } else { v.abs().log10().floor() as i32 };
    let d = (2 - mag).clamp(0, 6) as usize;
    let body = trim_zeros(&number_label(v, d));
    if v > 0.0 {
        format!("+{body}")
    } else {
        body
    }
}

/// A ratio of money to money: "£0.80" below £10, otherwise as money.
pub(super) fn ratio_label(v: f64) -> String {
    if v.is_finite() && v.abs() < 10.0 {
        let sign = if v < 0.0 && v.abs() >= 0.005 { "−" } else { "" };
        format!("{sign}£{:.2}", v.abs())
    } else {
        money_label(v)
    }
}

/// A share as a percentage that never rounds to a misleading 0% or 100%.
pub(super) fn percent_label(p: f64) -> String {
    share(p, ShareStyle::PercentCompact, 0)
}

/// How an axis writes its ticks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Fmt {
    /// Pounds: "£10k", "−£2k", "£1.5m", "£0.50".
    Money,
    /// Pounds back per pound spent: always pence below £10 ("£1.00", "£0.80").
    Ratio,
    /// A plain number: "0.01", "−0.02", "12,000".
    Number,
    /// A probability 0–1 written as a percentage.
    Probability,
    /// Values already in percent.
    Percent,
}

impl Fmt {
    pub(super) fn tick(self, v: f64, step: f64) -> String {
        match self {
            Fmt::Money => money_tick(v, step),
            Fmt::Ratio if v.abs() < 10.0 => ratio_label(v),
            Fmt::Ratio => money_tick(v, step),
            // A zero written "0.000" only adds noise at the origin.
            Fmt::Number if v == 0.0 => "0".to_string(),
            Fmt::Number => number_label(v, decimals_for(step).min(6)),
            Fmt::Probability => format!("{}%", number_label(v * 100.0, decimals_for(step * 100.0).min(3))),
            Fmt::Percent => format!("{}%", number_label(v, decimals_for(step).min(3))),
        }
    }
}

/// "50th", "2nd", "every 3rd".
pub(super) fn ordinal(k: usize) -> String {
    let suffix = match (k % 10, k % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{}{suffix}", count_label(k))
}

/// How values on an axis or in cells read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueFormat {
    /// Pounds: "£12k", "−£450".
    Money,
    /// Pounds back per pound spent: "£1.20".
    PerPound,
    /// A probability 0–1 written as a percentage: "35%".
    Probability,
    /// A plain number: "0.25", "12,000".
    Number,
}

impl ValueFormat {
    pub(super) fn fmt(self) -> Fmt {
        match self {
            ValueFormat::Money => Fmt::Money,
            ValueFormat::PerPound => Fmt::Ratio,
            ValueFormat::Probability => Fmt::Probability,
            ValueFormat::Number => Fmt::Number,
        }
    }

    /// One value, compact: "£12k", "£1.20", "35%", "0.25"; "n/a" if it is not a finite number.
    pub(super) fn label(self, v: f64) -> String {
        if !v.is_finite() {
            return "n/a".to_string();
        }
        match self {
            ValueFormat::Money if v.abs() < 0.005 => "£0".to_string(),
            ValueFormat::Money => money_label(v),
            ValueFormat::PerPound => ratio_label(v),
            ValueFormat::Probability if (0.0..=1.0).contains(&v) => percent_label(v),
            ValueFormat::Probability => format!("{}%", number_label(v * 100.0, 0)),
            ValueFormat::Number => plain_number(v),
        }
    }

    /// One value in full where a single figure has the room: money in whole pounds below £1m ("£2,518").
    pub(super) fn full(self, v: f64) -> String {
        match self {
            ValueFormat::Money if v.is_finite() && v.abs() >= 10.0 && v.abs() < 1e6 => {
                let sign = if v < 0.0 { "−" } else { "" };
                format!("{sign}£{}", number_label(v.abs(), 0))
            }
            _ => self.label(v),
        }
    }
}

/// A number to three significant figures (more for large whole numbers), with a real minus sign: "68.9", "128",
/// "0.25", "12,345".
pub(super) fn plain_number(v: f64) -> String {
    let s = signed_number(v);
    match s.strip_prefix('+') {
        Some(rest) => rest.to_string(),
        None => s,
    }
}

/// Most decimals a grid label shows to write a value exactly.
const MAX_GRID_DECIMALS: usize = 4;

/// Labels for the values of a grid axis, with the decimals their spacing needs and no more ("80", "90"; "0.10",
/// "0.15"), so neighbouring labels never read the same.
pub(super) fn grid_labels(values: &[f64]) -> Vec<String> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| usable(*v)).collect();
    sorted.sort_by(f64::total_cmp);
    let step = sorted
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d > 0.0)
        .fold(f64::INFINITY, f64::min);
    // The decimals every value needs to read exactly (0.15, 0.25, 0.35 need two, though their step needs one); only
    // where the values are not short decimals (thirds, say) the step decides, to three significant figures.
    // Exact to a millionth of the last digit shown: a computed grid value (0.15 + 2 × 0.1) carries rounding error.
    let exact_at = |v: f64| {
        (0..=MAX_GRID_DECIMALS).find(|&d| {
            let scaled = v * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() < 1e-6
        })
    };
    let exact: Option<Vec<usize>> = sorted.iter().map(|v| exact_at(*v)).collect();
    let decimals = match exact.and_then(|e| e.into_iter().max()) {
        Some(exact) => exact.max(decimals_for(step).min(MAX_GRID_DECIMALS)),
        None => {
            let significant = (2 - step.log10().floor() as i32).clamp(0, 6) as usize;
            decimals_for(step).min(significant)
        }
    };
    values
        .iter()
        .map(|&v| {
            if !usable(v) {
                "n/a".to_string()
            } else if v == 0.0 {
                "0".to_string()
            } else if step.is_finite() {
                number_label(v, decimals)
            } else {
                plain_number(v)
            }
        })
        .collect()
}
