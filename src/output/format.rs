//! How numbers read in every output: money, pounds per £1, published-style figures, shares and plain numbers, with
//! typographic minus signs. One formatter per kind, used by the terminal, the tables' captions and the report.

use crate::analysis::{Icer, Quadrant};
use crate::model::{Better, OutcomeInfo};

/// Pounds per £1, always in pence: "£1.20", "−£0.23".
pub fn per_pound(x: f64) -> String {
    if !x.is_finite() {
        return "–".to_string();
    }
    let sign = if x < 0.0 { "−" } else { "" };
    format!("{sign}£{:.2}", x.abs())
}

/// Money for people: "£1,234", "−£56", "£1.2m".
pub fn money(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let sign = if v < 0.0 { "−" } else { "" };
    let a = v.abs();
    if a == 0.0 {
        // Nothing at all: no pence to show.
        "£0".to_string()
    } else if a >= 10_000_000.0 {
        format!("{sign}£{:.1}m", a / 1e6)
    } else if a >= 100.0 {
        format!("{sign}£{}", thousands(a.round() as u64))
    } else {
        format!("{sign}£{a:.2}")
    }
}

/// A number as a figure reads: from 100 up, whole numbers with thousands separators; below, 1–3 decimals; "–" for
/// none. Minus signs are typographic (−).
pub fn figure(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    let digits = if a >= 100.0 {
        thousands(a.round() as u64)
    } else if a >= 10.0 {
        format!("{a:.1}")
    } else {
        format!("{a:.3}")
    };
    format!(
        "{}{digits}",
        if x < 0.0 && digits.chars().any(|c| c != '0' && c != '.') {
            "−"
        } else {
            ""
        }
    )
}

/// Parameter changes as the command line wrote them, for a provenance row: "a=1, b.mean=2", or "none".
pub fn set_changes(overrides: &[String]) -> String {
    if overrides.is_empty() {
        "none".to_string()
    } else {
        overrides.join(", ")
    }
}

/// A count with its noun: "1 year", "5 years", "10,000 iterations".
pub(crate) fn count(n: u64, noun: &str) -> String {
    format!("{} {noun}{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// A whole number with thousands separators: "10,000".
pub(crate) fn thousands(n: u64) -> String {
    group_thousands(&n.to_string())
}

/// What the percentiles of a run of `iterations` are of, in words: "all 10,000 iterations", or "the first 100,000 of
/// 1,000,000 iterations (means, standard errors and probabilities: all of them)".
pub fn percentiles_of(iterations: usize) -> String {
    let bound = crate::analysis::stats::PERCENTILE_VALUES;
    if iterations <= bound {
        format!("all {} iterations", thousands(iterations as u64))
    } else {
        format!(
            "the first {} of {} iterations (means, standard errors and probabilities: all of them)",
            thousands(bound as u64),
            thousands(iterations as u64)
        )
    }
}

/// A run of digits with a comma before each group of three from the right: "1234567" → "1,234,567".
pub(crate) fn group_thousands(digits: &str) -> String {
    let mut out = String::new();
    let n = digits.chars().count();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A share as a whole percentage ("83%", "more than 99.5%"); "–" for none. See [`share`].
pub fn percent(p: f64) -> String {
    share(p, ShareStyle::Percent, 0)
}

/// A share in `iterations` simulations as a whole percentage that says how many back it: "83% of 2,000 simulations",
/// "more than 99.5% of 2,000 simulations".
pub fn percent_of(p: f64, iterations: usize) -> String {
    format!("{} of {} simulations", percent(p), thousands(iterations as u64))
}

/// How [`share`] writes a share of 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareStyle {
    /// In words, as a percentage: "83%", "more than 99.5%", "less than 0.5%".
    Percent,
    /// Compact, as a percentage, for plots: "83%", ">99.5%", "<0.5%".
    PercentCompact,
    /// As a probability after "P(...)": "= 0.830", "> 0.9995", "< 0.0005".
    Probability,
    /// As a probability in a table cell: "0.830", ">0.9995", "<0.0005".
    Decimal,
}

/// A share of 0 to 1 (of iterations, or a probability) with `decimals` decimals, never rounded to 0 or to the whole
/// unless it is exactly that: a share that would print as 100% (or 1.000) is "more than 99.5%" (or "> 0.9995"),
/// one that would print as 0% "less than 0.5%". "–" for none. Every share the outputs print comes through here,
/// so that the terminal, the report, the tables and the plots never round uncertainty away.
pub fn share(p: f64, style: ShareStyle, decimals: usize) -> String {
    if !p.is_finite() {
        return "–".into();
    }
    let whole = if matches!(style, ShareStyle::Probability | ShareStyle::Decimal) {
        1.0
    } else {
        100.0
    };
    let shown = format!("{:.decimals$}", p * whole);
    let half = 0.5 / 10f64.powi(decimals as i32);
    let bound = |v: f64| format!("{:.*}", decimals + 1, v);
    // Decided on the printed digits, so that whatever the rounding rule, nothing but 0 itself reads as 0.
    let reads = shown.parse::<f64>().unwrap_or(f64::NAN);
    let (relation, digits) = if p > 0.0 && reads == 0.0 {
        ("<", bound(half))
    } else if p < 1.0 && reads == whole {
        (">", bound(whole - half))
    } else {
        ("=", shown)
    };
    match (style, relation) {
        (ShareStyle::Probability, _) => format!("{relation} {digits}"),
        (ShareStyle::Decimal, "=") => digits,
        (ShareStyle::Decimal, _) => format!("{relation}{digits}"),
        (ShareStyle::PercentCompact, "=") | (ShareStyle::Percent, "=") => format!("{digits}%"),
        (ShareStyle::PercentCompact, _) => format!("{relation}{digits}%"),
        (ShareStyle::Percent, "<") => format!("less than {digits}%"),
        (ShareStyle::Percent, _) => format!("more than {digits}%"),
    }
}

/// The share of its estimate below which a standard error is the arithmetic's rounding (see [`error_digits`]).
const ROUNDING: f64 = 1e-12;

/// A Monte Carlo standard error `se` of the estimate `of` (or another error, never negative) with `decimals` places,
/// but never as none unless it is none: one that would read as 0 at those places is given to two significant figures
/// ("0.000065" rather than "0.000"), so that a large run's small error is not printed as certainty. An error under
/// 10⁻¹² of its estimate is the arithmetic's rounding where every iteration gave the same value (2.7·10⁻¹⁷ on
/// shared-lives' 3.6209 years), and reads as none. "–" for none.
pub fn error_digits(se: f64, of: f64, decimals: usize) -> String {
    if !se.is_finite() {
        return "–".into();
    }
    let text = fixed(se, decimals);
    if se > ROUNDING * of.abs() && text.parse::<f64>() == Ok(0.0) {
        // Two significant figures: the first digit's place, and one more.
        let places = (-se.log10()).ceil() as usize + 1;
        return if places <= 15 {
            fixed(se, places)
        } else {
            format!("{se:.1e}")
        };
    }
    text
}

/// [`money`] for a standard error `se` of the estimate `of`: below £100, pence, or two significant figures where pence
/// would read as none ("£0.0024" rather than "£0.00"); none at all is "£0", as [`money`] writes it (see
/// [`error_digits`] for an error that is the arithmetic's rounding).
pub fn money_error(se: f64, of: f64) -> String {
    if se.is_finite() && se <= ROUNDING * of.abs() {
        return money(0.0);
    }
    if !se.is_finite() || se >= 100.0 {
        return money(se);
    }
    format!("£{}", error_digits(se, of, 2))
}

/// [`money_label`] for an error or interval half-width `e` of the estimate `of`: the label as it reads, unless that
/// reads as none when `e` is not, which [`money_error`] then writes ("£0.0020" rather than "£0.00").
pub fn money_label_error(e: f64, of: f64) -> String {
    let label = money_label(e);
    let reads_none = label.trim_start_matches('£').parse::<f64>() == Ok(0.0);
    if e.is_finite() && e > 0.0 && reads_none {
        money_error(e, of)
    } else {
        label
    }
}

/// A number with as many decimals as its size needs ("1234", "12.35", "0.1235", "−0.0344"); "–" for none.
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        "–".into()
    } else if x.abs() >= 100.0 {
        fixed(x, 0)
    } else if x.abs() >= 1.0 {
        fixed(x, 2)
    } else {
        fixed(x, 4)
    }
}

/// `x` to `decimals` places for people to read: a minus sign (U+2212) rather than a hyphen, and none on a value
/// that rounds to zero ("0.0000", not "-0.0000").
pub fn fixed(x: f64, decimals: usize) -> String {
    let text = format!("{x:.decimals$}");
    match text.strip_prefix('-') {
        Some(digits) if digits.bytes().any(|b| matches!(b, b'1'..=b'9')) => format!("−{digits}"),
        Some(digits) => digits.to_string(),
        None => text,
    }
}

/// What λ and an ICER are "per": one unit of the outcome where more is better ("QALY"), one unit avoided where less
/// is ("bed day avoided").
pub fn per_unit(o: &OutcomeInfo) -> String {
    match o.better {
        Better::Higher => o.unit.clone(),
        Better::Lower => format!("{} avoided", o.unit),
    }
}

/// A gain ΔE as an amount of something: the label where more is better ("QALY"), the label avoided where less is
/// ("emergency bed days avoided").
pub fn gain(o: &OutcomeInfo) -> String {
    match o.better {
        Better::Higher => o.label.clone(),
        Better::Lower => format!("{} avoided", o.label),
    }
}

/// The name of ΔE in a sentence: "incremental QALY", "emergency bed days avoided".
pub fn gain_name(o: &OutcomeInfo) -> String {
    match o.better {
        Better::Higher => format!("incremental {}", o.label),
        Better::Lower => gain(o),
    }
}

/// Text with its first letter in capitals, for headings: "Emergency bed days avoided".
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// A short human reading of an ICER with its quadrant, in the outcome's words: "£12,345 per QALY gained",
/// "£62 per bed day avoided", "dominant (...)", ...; never a bare negative ratio.
pub fn describe_icer(icer: &Icer, o: &OutcomeInfo) -> String {
    let (unit, label) = (&o.unit, &o.label);
    let lower = o.better == Better::Lower;
    match (icer.quadrant, icer.value) {
        (Quadrant::MoreCostlyMoreEffective, Some(v)) if lower => format!("{} per {unit} avoided", money(v)),
        (Quadrant::MoreCostlyMoreEffective, Some(v)) => format!("{} per {unit} gained", money(v)),
        (Quadrant::LessCostlyLessEffective, Some(v)) if lower => {
            format!("{} saved per extra {unit} (less costly, more {label})", money(v))
        }
        (Quadrant::LessCostlyLessEffective, Some(v)) => {
            format!("{} saved per {unit} lost (less costly, less effective)", money(v))
        }
        (Quadrant::Dominant, _) if lower => format!("dominant (no more costly, fewer {label})"),
        (Quadrant::Dominant, _) => "dominant (no more costly, more effective)".to_string(),
        (Quadrant::Dominated, _) if lower => format!("dominated (no less costly, more {label})"),
        (Quadrant::Dominated, _) => "dominated (no less costly, less effective)".to_string(),
        _ => format!("none (no difference in {label})"),
    }
}

// Compact money, for plots, where space is short: three significant figures with k, m and bn ("£1.23k"), and axis
// ticks whose decimals follow the tick step. Prose and tables use `money` above.

/// Money as people read it: "£1.23k", "−£450", "£0.80", "£1.5m" (three significant figures).
pub fn money_label(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    let a = v.abs();
    let sign = if v < 0.0 && a >= 0.005 { "−" } else { "" };
    let (div, suffix) = unit(a);
    let scaled = a / div;
    let body = if div == 1.0 {
        if a < 10.0 {
            format!("{a:.2}")
        } else {
            format!("{a:.0}")
        }
    } else {
        let d = if scaled < 10.0 {
            2
        } else if scaled < 100.0 {
            1
        } else {
            0
        };
        trim_zeros(&format!("{scaled:.d$}"))
    };
    format!("{sign}£{body}{suffix}")
}

/// The unit a compact label uses for an amount: none, thousands, millions or billions.
fn unit(a: f64) -> (f64, &'static str) {
    if a >= 1e9 {
        (1e9, "bn")
    } else if a >= 1e6 {
        (1e6, "m")
    } else if a >= 1e3 {
        (1e3, "k")
    } else {
        (1.0, "")
    }
}

/// A decimal number without trailing zeros (and without a trailing point).
pub(crate) fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// Fewest decimals that show multiples of `step` exactly (2.5 needs 1, 0.25 needs 2).
pub(crate) fn decimals_for(step: f64) -> usize {
    for d in 0..8 {
        let scaled = step * 10f64.powi(d as i32);
        if (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0) {
            return d;
        }
    }
    8
}

/// A money tick; the decimals come from the tick step so neighbouring ticks never read the same.
pub fn money_tick(v: f64, step: f64) -> String {
    let a = v.abs();
    if a < step * 1e-6 {
        return "£0".to_string();
    }
    let sign = if v < 0.0 { "−" } else { "" };
    let (div, suffix) = unit(a);
    let body = if div == 1.0 {
        // Under £1,000: whole pounds, or pence whenever the step needs them ("£0.80", "£1.00").
        if decimals_for(step) == 0 {
            format!("{a:.0}")
        } else {
            format!("{:.*}", decimals_for(step).max(2), a)
        }
    } else {
        trim_zeros(&format!("{:.*}", decimals_for(step / div).min(4), a / div))
    };
    format!("{sign}£{body}{suffix}")
}

/// Money with an explicit sign: "+£1.2k", "−£300".
pub fn signed_money_label(v: f64) -> String {
    let s = money_label(v);
    if v > 0.0 && v.abs() >= 0.005 {
        format!("+{s}")
    } else {
        s
    }
}

/// Longest part of a file name made from user text, in characters: with a prefix such as `cumulative_` and an
/// extension it stays well inside the 255 bytes file systems allow.
pub const MAX_FILE_PART: usize = 64;

/// A file-name-safe version of a name from user text: ASCII letters, digits, `-` and `_` kept, anything else `_`,
/// at most [`MAX_FILE_PART`] characters.
pub fn file_part(name: &str) -> String {
    name.chars()
        .take(MAX_FILE_PART)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// File-name parts for a list of names (arms, say), each unique: where two names make the same [`file_part`]
/// ("drug A" and "drug_A"), the later ones get `-2`, `-3`... so that no file is written over another or shown
/// under the wrong title.
#[derive(Debug, Clone)]
pub struct FileNames {
    names: Vec<String>,
    parts: Vec<String>,
}

impl FileNames {
    /// Unique parts for `names`, in their order.
    pub fn new(names: &[String]) -> Self {
        let mut parts: Vec<String> = Vec::with_capacity(names.len());
        for name in names {
            let base = file_part(name);
            let mut part = base.clone();
            let mut n = 2;
            while parts.contains(&part) {
                part = format!("{base}-{n}");
                n += 1;
            }
            parts.push(part);
        }
        FileNames {
            names: names.to_vec(),
            parts,
        }
    }

    /// The part for `name` (its [`file_part`] if it is not in the list).
    pub fn of(&self, name: &str) -> String {
        self.names
            .iter()
            .position(|n| n == name)
            .map_or_else(|| file_part(name), |i| self.parts[i].clone())
    }

    /// The names whose part is not their plain [`file_part`], with the part they got: what a user should be told.
    pub fn renamed(&self) -> Vec<(&str, &str)> {
        self.names
            .iter()
            .zip(&self.parts)
            .filter(|(n, p)| file_part(n) != **p)
            .map(|(n, p)| (n.as_str(), p.as_str()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_readable() {
        assert_eq!(money(1234.4), "£1,234");
        assert_eq!(money(-56.0), "−£56.00");
        assert_eq!(money(12_345_678.0), "£12.3m");
        assert_eq!(money(1_000_000.0), "£1,000,000");
    }

    #[test]
    fn numbers_read_with_a_minus_sign_and_never_a_negative_zero() {
        assert_eq!(number(-0.0344), "−0.0344");
        assert_eq!(number(-1234.4), "−1234");
        assert_eq!(fixed(-0.00001, 4), "0.0000");
        assert_eq!(fixed(0.00001, 4), "0.0000");
        assert_eq!(fixed(-2.5, 1), "−2.5");
    }

    #[test]
    fn pounds_per_pound_put_the_sign_before_the_pound() {
        assert_eq!(per_pound(1.2), "£1.20");
        assert_eq!(per_pound(-0.234), "−£0.23");
        assert_eq!(per_pound(f64::NAN), "–");
    }

    #[test]
    fn figures_read_as_published_numbers_do() {
        assert_eq!(figure(517_400.0), "517,400");
        assert_eq!(figure(-469.4), "−469");
        assert_eq!(figure(15.14), "15.1");
        assert_eq!(figure(-0.0828), "−0.083");
        assert_eq!(figure(-0.0001), "0.000");
        assert_eq!(figure(f64::NAN), "–");
    }

    #[test]
    fn shares_never_round_to_none_or_all() {
        use ShareStyle::*;
        // Exact 0 and 1 print as such.
        assert_eq!(share(1.0, Percent, 0), "100%");
        assert_eq!(share(0.0, Percent, 0), "0%");
        assert_eq!(share(1.0, Probability, 3), "= 1.000");
        assert_eq!(share(0.0, Probability, 3), "= 0.000");
        // 0.9996 would print as 1.000 and 0.0004 as 0.000: the bound they lie beyond instead.
        assert_eq!(share(0.9996, Probability, 3), "> 0.9995");
        assert_eq!(share(0.0004, Probability, 3), "< 0.0005");
        assert_eq!(share(0.9994, Probability, 3), "= 0.999");
        assert_eq!(share(0.9996, Decimal, 3), ">0.9995");
        assert_eq!(share(0.25, Decimal, 3), "0.250");
        assert_eq!(share(1.0, Decimal, 3), "1.000");
        // Whole percentages: 99.5% and more (short of 100%) would read 100%; under 0.5% would read 0%.
        assert_eq!(share(0.997, Percent, 0), "more than 99.5%");
        assert_eq!(share(0.9996, Percent, 0), "more than 99.5%");
        assert_eq!(share(0.003, Percent, 0), "less than 0.5%");
        assert_eq!(share(0.994, Percent, 0), "99%");
        assert_eq!(share(0.006, Percent, 0), "1%");
        assert_eq!(share(0.5, Percent, 0), "50%");
        // With a decimal shown, the bounds move with it.
        assert_eq!(share(0.9996, Percent, 1), "more than 99.95%");
        assert_eq!(share(0.997, Percent, 1), "99.7%");
        assert_eq!(share(0.0001, Percent, 1), "less than 0.05%");
        assert_eq!(share(0.999, PercentCompact, 0), ">99.5%");
        assert_eq!(share(0.001, PercentCompact, 0), "<0.5%");
        assert_eq!(share(f64::NAN, Percent, 0), "–");
        assert_eq!(
            percent_of(1994.0 / 2000.0, 2000),
            "more than 99.5% of 2,000 simulations"
        );
    }

    #[test]
    fn errors_never_round_to_none() {
        // Printed with the places asked for where those show something.
        assert_eq!(error_digits(0.0123, 0.5, 3), "0.012");
        assert_eq!(error_digits(0.0, 0.5, 3), "0.000", "none is none");
        // A 3,000,000-iteration run's SE of a probability of 0.987: sqrt(0.987 × 0.013 / 3e6) = 6.5e-5, which
        // three places would print as 0.000; two significant figures instead.
        let se = (0.987f64 * 0.013 / 3e6).sqrt();
        assert_eq!(error_digits(se, 0.987, 3), "0.000065");
        assert_eq!(error_digits(0.001, 6.12, 2), "0.0010");
        assert_eq!(error_digits(0.00049, 0.5, 3), "0.00049");
        assert_eq!(
            error_digits(3e-20, 0.0, 3),
            "3.0e-20",
            "an estimate of 0 has no rounding to blame"
        );
        assert_eq!(error_digits(f64::NAN, 0.5, 3), "–");
        // Every iteration alike: what the sums leave over (shared-lives, 3.6209 years ± 2.7e-17) is none.
        assert_eq!(error_digits(2.7e-17, 3.6209, 4), "0.0000");
        assert_eq!(error_digits(4e-12, 3.6209, 4), "0.0000000000040");
        // Money: pence where they show something, £0 for none, thousands as money writes them.
        assert_eq!(money_error(2.36, 7691.0), "£2.36");
        assert_eq!(money_error(0.0024, 6.12), "£0.0024");
        assert_eq!(money_error(0.0, 10.0), "£0");
        assert_eq!(money_error(1e-13, 39_393.0), "£0");
        assert_eq!(money_error(1234.4, 1e6), "£1,234");
        // As a plot's label: the label's own form, but never £0.00 for an error that is not none.
        assert_eq!(money_label_error(45.0, 1230.0), "£45");
        assert_eq!(money_label_error(0.00196, 12.0), "£0.0020");
        assert_eq!(money_label_error(1.96e-15, 40.0), "£0");
        assert_eq!(money_label_error(0.0, 40.0), "£0.00");
    }

    #[test]
    fn icers_read_with_their_quadrant() {
        let qaly = OutcomeInfo::named("qaly");
        assert_eq!(describe_icer(&Icer::new(500.0, 0.1), &qaly), "£5,000 per QALY gained");
        assert!(describe_icer(&Icer::new(-100.0, 0.01), &qaly).starts_with("dominant"));
        assert!(describe_icer(&Icer::new(100.0, -0.01), &qaly).starts_with("dominated"));
        assert_eq!(
            describe_icer(&Icer::new(-300.0, -0.1), &qaly),
            "£3,000 saved per QALY lost (less costly, less effective)"
        );
        assert_eq!(
            describe_icer(&Icer::new(1.0, 0.0), &qaly),
            "none (no difference in QALY)"
        );
        assert_eq!(
            (per_unit(&qaly), gain_name(&qaly)),
            ("QALY".into(), "incremental QALY".into())
        );
    }

    #[test]
    fn an_outcome_where_less_is_better_reads_as_amounts_avoided() {
        let bed_days = OutcomeInfo {
            name: "bed_days".into(),
            label: "emergency bed days".into(),
            unit: "bed day".into(),
            better: Better::Lower,
        };
        // ΔE is the reduction: £620 more for 10 fewer bed days is £62 per bed day avoided.
        assert_eq!(
            describe_icer(&Icer::new(620.0, 10.0), &bed_days),
            "£62.00 per bed day avoided"
        );
        assert_eq!(
            describe_icer(&Icer::new(-620.0, -10.0), &bed_days),
            "£62.00 saved per extra bed day (less costly, more emergency bed days)"
        );
        assert_eq!(
            describe_icer(&Icer::new(-620.0, 10.0), &bed_days),
            "dominant (no more costly, fewer emergency bed days)"
        );
        assert_eq!(
            describe_icer(&Icer::new(620.0, -10.0), &bed_days),
            "dominated (no less costly, more emergency bed days)"
        );
        assert_eq!(per_unit(&bed_days), "bed day avoided");
        assert_eq!(capitalised(&gain_name(&bed_days)), "Emergency bed days avoided");
    }

    #[test]
    fn names_that_would_share_a_file_name_get_distinct_ones() {
        let names: Vec<String> = ["drug A", "drug_A", "drug/A", "other"].map(String::from).to_vec();
        let files = FileNames::new(&names);
        assert_eq!(files.of("drug A"), "drug_A");
        assert_eq!(files.of("drug_A"), "drug_A-2");
        assert_eq!(files.of("drug/A"), "drug_A-3");
        assert_eq!(files.of("other"), "other");
        assert_eq!(files.renamed(), [("drug_A", "drug_A-2"), ("drug/A", "drug_A-3")]);
        // A name that is itself a suffixed one does not take another's part.
        let tricky: Vec<String> = ["a-2", "a", "a"].map(String::from).to_vec();
        let files = FileNames::new(&tricky);
        assert_eq!(files.parts, ["a-2", "a", "a-3"]);
        // Long names are cut to a length every file system takes.
        assert_eq!(file_part(&"x".repeat(300)).len(), MAX_FILE_PART);
    }

    #[test]
    fn file_parts_keep_letters_digits_dashes_and_underscores() {
        assert_eq!(file_part("drug A/b-c_d"), "drug_A_b-c_d");
        assert_eq!(file_part("£é"), "__");
    }
}
