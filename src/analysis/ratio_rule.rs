//! When a "£ back per £1 spent" ratio means something: only when the extra spend it divides by is clearly above zero.
//!
//! A ratio whose denominator is zero, negative or within noise of zero says nothing about value for money: a spend
//! brought forward a year (the same spend, paid sooner, so it differs only by a year's discounting) once gave
//! "£226.68 back per £1". carecast shows the savings and the spend side by side instead, and says why.

use serde::Serialize;

/// The least share of iterations in which the extra spend must be positive: its per-iteration 95% interval then lies
/// above zero.
pub const MIN_SHARE_SPENDING: f64 = 0.975;

/// The largest |savings| per £1 of spend shown: beyond it the spend is under 1% of what it is set against, too small
/// next to the savings for their ratio to say anything about value for money.
pub const MAX_RATIO: f64 = 100.0;

/// Why no £-per-£1 ratio is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoRatio {
    /// The arm spends no more than its comparator on average: a cheaper way of doing the same thing.
    NoExtraSpend,
    /// The extra spend is positive on average but within noise of zero: negative or zero in more than 2.5% of the
    /// iterations, or under 1% of the savings.
    SpendNearZero,
}

impl NoRatio {
    /// The short form written in `roi.csv`'s `ratio_note` column.
    pub fn note(self) -> &'static str {
        match self {
            NoRatio::NoExtraSpend => "no extra spend",
            NoRatio::SpendNearZero => "extra spend within noise of zero",
        }
    }

    /// The rule in words, for the terminal and the report.
    pub fn explanation(self) -> String {
        match self {
            NoRatio::NoExtraSpend => {
                "it costs no more to provide than the comparator, so there is no extra spend to divide by".to_string()
            }
            NoRatio::SpendNearZero => format!(
                "the extra spend is too close to zero for a ratio to mean anything (a ratio is shown only when the extra spend is above zero in at least {}% of the simulations and at least 1% of the savings, so no more than £{MAX_RATIO:.0} back per £1)",
                100.0 * MIN_SHARE_SPENDING
            ),
        }
    }
}

/// Whether a ratio of mean savings to the mean of `spend` (per-iteration extra spend) may be shown: `Ok` when the
/// spend is clearly above zero, otherwise why not.
pub fn ratio_allowed(spend: &[f64], mean_savings: f64) -> Result<(), NoRatio> {
    let spending = spend.iter().filter(|s| **s > 0.0).count();
    ratio_verdict(spend.len(), spend.iter().sum::<f64>(), spending, mean_savings)
}

/// [`ratio_allowed`] from a spend's count `n`, sum (added in order) and count of positive values.
pub fn ratio_verdict(n: usize, sum_spend: f64, spending: usize, mean_savings: f64) -> Result<(), NoRatio> {
    let mean_spend = sum_spend / n.max(1) as f64;
    if n == 0 || mean_spend.is_nan() || mean_spend <= 0.0 {
        return Err(NoRatio::NoExtraSpend);
    }
    if (spending as f64) < MIN_SHARE_SPENDING * n as f64 || mean_savings.abs() > MAX_RATIO * mean_spend {
        return Err(NoRatio::SpendNearZero);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_extra_spend_when_the_mean_is_zero_or_negative() {
        assert_eq!(ratio_allowed(&[0.0, 0.0], 100.0), Err(NoRatio::NoExtraSpend));
        assert_eq!(ratio_allowed(&[-50.0, 10.0], 100.0), Err(NoRatio::NoExtraSpend));
        assert_eq!(ratio_allowed(&[], 100.0), Err(NoRatio::NoExtraSpend));
    }

    #[test]
    fn a_spend_that_is_not_positive_in_over_2_5_percent_of_iterations_is_noise() {
        // 40 iterations: one non-positive is 2.5% (allowed, 39/40 = 0.975), two are 5% (refused).
        let mut spend = vec![10.0; 40];
        spend[0] = 0.0;
        assert_eq!(ratio_allowed(&spend, 30.0), Ok(()));
        spend[1] = -1.0;
        assert_eq!(ratio_allowed(&spend, 30.0), Err(NoRatio::SpendNearZero));
    }

    #[test]
    fn a_spend_under_one_percent_of_the_savings_is_noise() {
        // The case: a spend brought forward, £10 of extra spend against £2,266.80 of savings (226.68 to 1).
        assert_eq!(ratio_allowed(&[10.0, 10.0], 2266.8), Err(NoRatio::SpendNearZero));
        // 100 to 1 is still shown; just above is not; losses count as their size.
        assert_eq!(ratio_allowed(&[10.0], 1000.0), Ok(()));
        assert_eq!(ratio_allowed(&[10.0], 1000.5), Err(NoRatio::SpendNearZero));
        assert_eq!(ratio_allowed(&[10.0], -1000.5), Err(NoRatio::SpendNearZero));
    }
}
