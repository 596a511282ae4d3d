//! `[cohort]`: its size, its subgroups, and the waves in which it enters, with each wave's accrual and discount
//! weights per cycle boundary.

use super::limits::MAX_COHORT;
use super::Compiler;
use crate::error::InputError;
use crate::model::{Settings, SubgroupInfo, Wave};
use crate::scenario::raw::RawCohort;

impl Compiler<'_> {
    /// The subgroups with their shares; one subgroup, `all`, when the file gives none.
    pub(super) fn subgroups(&self, cohort: &RawCohort) -> Result<Vec<SubgroupInfo>, InputError> {
        if cohort.subgroups.is_empty() {
            return Ok(vec![SubgroupInfo {
                name: "all".into(),
                label: "Whole cohort".into(),
                share: 1.0,
            }]);
        }
        let mut out: Vec<SubgroupInfo> = Vec::new();
        for (i, s) in cohort.subgroups.iter().enumerate() {
            let sg = s.get_ref();
            self.check_identifier(
                sg.name.get_ref(),
                sg.name.span(),
                &format!("cohort.subgroups[{i}].name"),
            )?;
            let share = *sg.share.get_ref();
            if !(share.is_finite() && share > 0.0 && share <= 1.0) {
                return Err(self.err(
                    sg.share.span(),
                    format!("cohort.subgroups[{i}].share"),
                    format!("a subgroup's share of the cohort must be above 0 and at most 1, not {share}"),
                ));
            }
            if out.iter().any(|o| &o.name == sg.name.get_ref()) {
                return Err(self.err(
                    sg.name.span(),
                    format!("cohort.subgroups[{i}].name"),
                    "this subgroup is defined twice",
                ));
            }
            out.push(SubgroupInfo {
                name: sg.name.get_ref().clone(),
                label: sg.label.clone().unwrap_or_else(|| sg.name.get_ref().clone()),
                share,
            });
        }
        let total: f64 = out.iter().map(|s| s.share).sum();
        if (total - 1.0).abs() > 1e-9 {
            return Err(self.err(
                cohort.subgroups[0].span(),
                "cohort.subgroups",
                format!("subgroup shares must sum to 1, but they sum to {total}"),
            ));
        }
        Ok(out)
    }

    pub(super) fn cohort_size(&self, cohort: &RawCohort) -> Result<u64, InputError> {
        let size = *cohort.size.get_ref();
        if !(1..=MAX_COHORT as i64).contains(&size) {
            return Err(self.err(
                cohort.size.span(),
                "cohort.size",
                format!("the cohort must have from 1 to {MAX_COHORT} people, not {size}"),
            ));
        }
        Ok(size as u64)
    }

    /// One wave per programme year in which a non-zero share of the cohort enters (all in year 0 by default).
    pub(super) fn waves(&self, cohort: &RawCohort, settings: &Settings) -> Result<Vec<Wave>, InputError> {
        let shares = match &cohort.entry {
            None => vec![1.0],
            Some(e) => {
                let v = e.get_ref();
                if v.is_empty()
                    || v.len() > settings.horizon_years
                    || v.iter().any(|x| !x.is_finite() || *x < 0.0)
                    || (v.iter().sum::<f64>() - 1.0).abs() > 1e-9
                {
                    return Err(self.err(e.span(), "cohort.entry", format!("entry gives the share of the cohort entering in each programme year: non-negative shares summing to 1, at most one per year of the horizon ({} years)", settings.horizon_years)));
                }
                v.clone()
            }
        };
        Ok(shares
            .iter()
            .enumerate()
            .filter(|(_, &share)| share != 0.0)
            .map(|(entry_year, &share)| wave(entry_year, share, settings))
            .collect())
    }
}

/// The people entering in programme year `entry_year`: simulated to the end of the horizon, each boundary's value
/// weighted by accrual and discounting at its calendar time.
pub(in crate::model) fn wave(entry_year: usize, share: f64, settings: &Settings) -> Wave {
    let per_year = settings.cycle.per_year();
    let dt = settings.cycle.years();
    let offset = entry_year * per_year;
    let cycles = settings.cycles() - offset;
    let mut boundary_weights = vec![Vec::new(); cycles + 1];
    for (c, weights) in settings.accrual.cycle_weights(cycles).into_iter().enumerate() {
        let year = (offset + c) / settings.cycles_per_bin;
        for (k, w) in weights {
            let calendar_t = (offset + k) as f64 * dt;
            let wc = w * settings.discount_costs.factor(calendar_t, settings.discounting);
            let wo = w * settings.discount_outcomes.factor(calendar_t, settings.discounting);
            let list: &mut Vec<(usize, f64, f64)> = &mut boundary_weights[k];
            match list.iter_mut().find(|(y, _, _)| *y == year) {
                Some(entry) => {
                    entry.1 += wc;
                    entry.2 += wo;
                }
                None => list.push((year, wc, wo)),
            }
        }
    }
    let entry_cost_factor = settings.discount_costs.factor(offset as f64 * dt, settings.discounting);
    let same_weights = boundary_weights.iter().flatten().all(|(_, wc, wo)| wc == wo);
    let weights_flat: Vec<(usize, f64, f64)> = boundary_weights.iter().flatten().copied().collect();
    let weights_start: Vec<usize> = std::iter::once(0)
        .chain(boundary_weights.iter().scan(0, |n, list| {
            *n += list.len();
            Some(*n)
        }))
        .collect();
    Wave {
        entry_year,
        entry_bin: offset / settings.cycles_per_bin,
        share,
        cycles,
        boundary_weights,
        weights_flat,
        weights_start,
        same_weights,
        entry_cost_factor,
    }
}
