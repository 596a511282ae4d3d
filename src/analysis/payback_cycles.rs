//! Payback in the model's own time unit: "pays back in 8 weeks (95% interval 6 to 13)" when cycles are weeks,
//! months or quarters, from a run whose bins are one cycle long ([`Model::by_cycle`]); in years otherwise.
//!
//! The percentiles are nearest-rank over all iterations, counting an iteration that never pays back as beyond the
//! horizon: the p-th is the first cycle by which at least p of the iterations have paid back (None when fewer ever
//! do). The median year of [`Payback`](super::Payback) is the same rule at p = ½.

use crate::analysis::PsaTable;
#[cfg(doc)]
use crate::model::Model;
use ndarray::Array2;
use serde::Serialize;

/// When an arm pays back against its comparator, in cycles.
#[derive(Debug, Clone, Serialize)]
pub struct CyclePayback {
    pub arm: String,
    pub comparator: String,
    /// The cycle: `week`, `month`, `quarter` or `year`.
    pub unit: String,
    /// Cycles in the horizon.
    pub horizon_cycles: usize,
    /// The median payback cycle (1 = the first), and the 2.5th and 97.5th percentiles; None: beyond the horizon.
    pub median: Option<u32>,
    pub p2_5: Option<u32>,
    pub p97_5: Option<u32>,
    /// Share of iterations that never pay back within the horizon.
    pub share_never: f64,
}

impl CyclePayback {
    /// "8 weeks (95% interval 6 to 13)", "8 weeks (95% interval 6 to beyond the horizon)", or "not within the
    /// horizon (52 weeks)".
    pub fn describe(&self) -> String {
        let Some(median) = self.median else {
            return format!(
                "not within the horizon ({} {})",
                self.horizon_cycles,
                self.units(self.horizon_cycles)
            );
        };
        let upper = self
            .p97_5
            .map_or_else(|| "beyond the horizon".to_string(), |c| c.to_string());
        let lower = self.p2_5.map_or(String::new(), |c| c.to_string());
        format!(
            "{median} {} (95% interval {lower} to {upper})",
            self.units(median as usize)
        )
    }

    /// The unit, plural unless `n` is 1.
    pub fn units(&self, n: usize) -> String {
        if n == 1 {
            self.unit.clone()
        } else {
            format!("{}s", self.unit)
        }
    }
}

/// Payback in cycles for every comparison of `table`, from `cycles`: each iteration's payback cycle per arm (from a
/// run binned by cycle, or the years themselves where cycles are years).
pub fn cycle_payback(
    table: &PsaTable,
    cycles: &Array2<Option<u16>>,
    unit: &str,
    horizon_cycles: usize,
) -> Vec<CyclePayback> {
    table
        .comparisons()
        .map(|(a, c)| {
            let column: Vec<Option<u16>> = cycles.column(a).to_vec();
            let n = column.len();
            let mut counts = vec![0usize; horizon_cycles];
            for k in column.iter().flatten() {
                counts[usize::from(*k) - 1] += 1;
            }
            of_counts((&table.arms[a], &table.arms[c]), unit, &counts, n)
        })
        .collect()
}

/// Payback of `arms` (arm, comparator) in cycles from the count of iterations paying back in each cycle (index 0 =
/// cycle 1) out of `n`, the rest never within the horizon.
pub(crate) fn of_counts(arms: (&str, &str), unit: &str, counts: &[usize], n: usize) -> CyclePayback {
    let never = n - counts.iter().sum::<usize>();
    CyclePayback {
        arm: arms.0.to_string(),
        comparator: arms.1.to_string(),
        unit: unit.to_string(),
        horizon_cycles: counts.len(),
        median: nearest_rank(counts, n, 0.5),
        p2_5: nearest_rank(counts, n, 0.025),
        p97_5: nearest_rank(counts, n, 0.975),
        share_never: never as f64 / n.max(1) as f64,
    }
}

pub(crate) fn nearest_rank(counts: &[usize], n: usize, p: f64) -> Option<u32> {
    let mut paid = 0;
    for (k, count) in counts.iter().enumerate() {
        paid += count;
        if paid > 0 && paid as f64 >= p * n as f64 {
            return Some((k + 1) as u32);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_counts_never_as_beyond_the_horizon() {
        // 40 iterations: 1 pays back in cycle 1, 19 in cycle 2, 18 in cycle 3, 2 never. 2.5% of 40 is 1 (cycle 1);
        // half is 20 (reached in cycle 2); 97.5% is 39, never reached (38 pay back).
        let counts = [1, 19, 18];
        assert_eq!(nearest_rank(&counts, 40, 0.025), Some(1));
        assert_eq!(nearest_rank(&counts, 40, 0.5), Some(2));
        assert_eq!(nearest_rank(&counts, 40, 0.975), None);
        assert_eq!(nearest_rank(&[0, 0], 5, 0.025), None);
    }

    #[test]
    fn it_reads_in_the_models_unit() {
        let p = CyclePayback {
            arm: "new".into(),
            comparator: "usual".into(),
            unit: "week".into(),
            horizon_cycles: 52,
            median: Some(8),
            p2_5: Some(6),
            p97_5: Some(13),
            share_never: 0.0,
        };
        assert_eq!(p.describe(), "8 weeks (95% interval 6 to 13)");
        let open = CyclePayback {
            p97_5: None,
            ..p.clone()
        };
        assert_eq!(open.describe(), "8 weeks (95% interval 6 to beyond the horizon)");
        let never = CyclePayback { median: None, ..p };
        assert_eq!(never.describe(), "not within the horizon (52 weeks)");
    }
}
