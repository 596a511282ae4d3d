//! `[cohort]`: its size, its subgroups, its strata by starting age and sex, and the waves in which it enters, with
//! each wave's accrual and discount weights per cycle boundary.

use super::limits::MAX_COHORT;
use super::Compiler;
use crate::error::InputError;
use crate::model::schedule::{Accrual, DiscountSchedule, DiscountTiming};
use crate::model::{BoundaryWeights, ResultsFor, Settings, Sex, Stratum, SubgroupInfo, Wave, WeightSet};
use crate::scenario::raw::{RawAge, RawCohort};
use serde_spanned::Spanned;

/// The oldest starting age a cohort may give, in years.
const MAX_AGE: f64 = 150.0;

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
            // Results by subgroup name the whole cohort `all` (subgroups.csv, the subgroups/ folder).
            if sg.name.get_ref() == "all" && cohort.subgroups.len() > 1 {
                return Err(self.err(
                    sg.name.span(),
                    format!("cohort.subgroups[{i}].name"),
                    "`all` names the whole cohort in results by subgroup; give this subgroup another name",
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

    /// The cohort's size; 1 for results for a service as a whole, which has none (so nothing is divided by it).
    pub(super) fn cohort_size(&self, cohort: &Spanned<RawCohort>, results_for: ResultsFor) -> Result<u64, InputError> {
        let Some(size) = &cohort.get_ref().size else {
            return match results_for {
                ResultsFor::Service => Ok(1),
                ResultsFor::Person => Err(self.err(cohort.span(), "cohort.size", "the cohort needs a `size` (people in it): per-person results divide programme costs by it; for costs that belong to a service rather than to people, write `results = \"service\"` instead")),
            };
        };
        let size = *size.get_ref();
        if !(1..=MAX_COHORT as i64).contains(&size) {
            return Err(self.err(
                cohort.get_ref().size.as_ref().expect("given").span(),
                "cohort.size",
                format!("the cohort must have from 1 to {MAX_COHORT} people, not {size}"),
            ));
        }
        Ok(size as u64)
    }

    /// The strata of every subgroup: each starting age (with its share) by each sex (with its share), ages first; one
    /// stratum of the whole subgroup when the cohort gives neither.
    pub(super) fn strata(&self, cohort: &RawCohort) -> Result<Vec<Stratum>, InputError> {
        let ages: Vec<(Option<f64>, f64)> = match &cohort.age {
            None => vec![(None, 1.0)],
            Some(a) => match a.get_ref() {
                RawAge::One(age) => {
                    if !(age.is_finite() && (0.0..=MAX_AGE).contains(age)) {
                        return Err(self.err(
                            a.span(),
                            "cohort.age",
                            format!("a starting age is in years, from 0 to {MAX_AGE}, not {age}"),
                        ));
                    }
                    vec![(Some(*age), 1.0)]
                }
                RawAge::Shares(shares) => {
                    let mut out = Vec::new();
                    for (age, share) in shares {
                        let field = format!("cohort.age.{}", age.get_ref());
                        let whole = age.get_ref().parse::<u32>().ok().filter(|a| f64::from(*a) <= MAX_AGE);
                        let Some(whole) = whole else {
                            return Err(self.err(age.span(), field, format!("`{}` is not an age: the shares of a cohort by age are keyed by whole years from 0 to {MAX_AGE}, as in {{ 65 = 0.4, 75 = 0.6 }}", age.get_ref())));
                        };
                        let x = *share.get_ref();
                        if !(x.is_finite() && x > 0.0 && x <= 1.0) {
                            return Err(self.err(
                                share.span(),
                                field,
                                format!("a share of the cohort must be above 0 and at most 1, not {x}"),
                            ));
                        }
                        out.push((Some(f64::from(whole)), x));
                    }
                    let total: f64 = out.iter().map(|a| a.1).sum();
                    if out.is_empty() || (total - 1.0).abs() > 1e-9 {
                        return Err(self.err(
                            a.span(),
                            "cohort.age",
                            format!("the shares of the cohort by age must sum to 1, but they sum to {total}"),
                        ));
                    }
                    // By age, whatever order the file gives them in.
                    out.sort_by(|a, b| a.0.partial_cmp(&b.0).expect("ages are finite"));
                    out
                }
            },
        };
        let sexes: Vec<(Option<Sex>, f64)> = match &cohort.male {
            None => vec![(None, 1.0)],
            Some(m) => {
                let male = *m.get_ref();
                if !(0.0..=1.0).contains(&male) {
                    return Err(self.err(
                        m.span(),
                        "cohort.male",
                        format!("`male` is the share of the cohort that is male, from 0 to 1, not {male}"),
                    ));
                }
                [(Some(Sex::Male), male), (Some(Sex::Female), 1.0 - male)]
                    .into_iter()
                    .filter(|s| s.1 > 0.0)
                    .collect()
            }
        };
        Ok(ages
            .iter()
            .flat_map(|&(age, a)| sexes.iter().map(move |&(sex, s)| Stratum { age, sex, share: a * s }))
            .collect())
    }

    /// One wave per programme year in which a non-zero share of the cohort enters (all in year 0 by default), with
    /// the boundary weights of each of `sets` besides the scenario's.
    pub(super) fn waves(
        &self,
        cohort: &RawCohort,
        settings: &Settings,
        sets: &[WeightSet],
    ) -> Result<Vec<Wave>, InputError> {
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
            .map(|(entry_year, &share)| wave(entry_year, share, settings, sets))
            .collect())
    }
}

/// The boundary weights of `accrual` discounted by `schedule` for people entering at cycle `offset` and followed for
/// `cycles` cycles: per boundary, (bin: calendar year or cycle, accrual weight × discount factor), one entry per bin
/// it reaches.
fn set_weights(
    accrual: Accrual,
    schedule: &DiscountSchedule,
    settings: &Settings,
    offset: usize,
    cycles: usize,
) -> BoundaryWeights {
    let dt = settings.cycle.years();
    let mut by_boundary: Vec<Vec<(usize, f64)>> = vec![Vec::new(); cycles + 1];
    for (c, weights) in accrual.cycle_weights(cycles).into_iter().enumerate() {
        let year = (offset + c) / settings.cycles_per_bin;
        for (k, w) in weights {
            let at = match settings.discount_timing {
                DiscountTiming::Boundary => offset + k,
                DiscountTiming::CycleStart => offset + c,
            };
            let wd = w * schedule.factor(at as f64 * dt, settings.discounting);
            match by_boundary[k].iter_mut().find(|(y, _)| *y == year) {
                Some(entry) => entry.1 += wd,
                None => by_boundary[k].push((year, wd)),
            }
        }
    }
    let mut start = vec![0];
    for list in &by_boundary {
        start.push(start[start.len() - 1] + list.len());
    }
    BoundaryWeights {
        entries: by_boundary.into_iter().flatten().collect(),
        start,
    }
}

/// The people entering in programme year `entry_year`: simulated to the end of the horizon, each boundary's value
/// weighted by accrual and discounting at its calendar time.
pub(in crate::model) fn wave(entry_year: usize, share: f64, settings: &Settings, sets: &[WeightSet]) -> Wave {
    let per_year = settings.cycle.per_year();
    let dt = settings.cycle.years();
    let offset = entry_year * per_year;
    let cycles = settings.cycles() - offset;
    let mut boundary_weights = vec![Vec::new(); cycles + 1];
    for (c, weights) in settings.accrual.cycle_weights(cycles).into_iter().enumerate() {
        let year = (offset + c) / settings.cycles_per_bin;
        for (k, w) in weights {
            // The time the value is discounted to: the boundary's own, or the cycle's start.
            let at = match settings.discount_timing {
                DiscountTiming::Boundary => offset + k,
                DiscountTiming::CycleStart => offset + c,
            };
            let calendar_t = at as f64 * dt;
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
    let one_off_paid = std::iter::once((offset / settings.cycles_per_bin, entry_cost_factor))
        .chain(
            settings
                .one_off_delays
                .iter()
                .map(|&delay| delayed_payment(settings, offset, delay)),
        )
        .collect();
    let same_weights = boundary_weights.iter().flatten().all(|(_, wc, wo)| wc == wo);
    let weights_flat: Vec<(usize, f64, f64)> = boundary_weights.iter().flatten().copied().collect();
    let weights_start: Vec<usize> = std::iter::once(0)
        .chain(boundary_weights.iter().scan(0, |n, list| {
            *n += list.len();
            Some(*n)
        }))
        .collect();
    let weight_sets = sets
        .iter()
        .map(|set| {
            let schedule = if set.is_cost {
                &settings.discount_costs
            } else {
                &settings.discount_outcomes
            };
            set_weights(set.accrual, schedule, settings, offset, cycles)
        })
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
        one_off_paid,
        weight_sets,
    }
}

/// When a one-off cost paid `delay` years after entry is paid by people who enter at cycle `offset`: the bin of the
/// cycle it falls in (a payment on a boundary falls in the cycle that starts there) and its discount factor, at its
/// own time (`boundary` timing) or at the start of that cycle (`cycle-start`). A payment at or after the end of the
/// horizon is not counted (factor 0), as no value after the horizon is.
fn delayed_payment(settings: &Settings, offset: usize, delay: f64) -> (usize, f64) {
    let per_year = settings.cycle.per_year() as f64;
    // Whole cycles into the delay; the tolerance keeps 7 months at 7 monthly cycles when 7/12 × 12 rounds below 7.
    let cycles_in = (delay * per_year + 1e-9).floor() as usize;
    let cycle = offset + cycles_in;
    if cycle >= settings.cycles() {
        return (offset / settings.cycles_per_bin, 0.0);
    }
    let at = match settings.discount_timing {
        DiscountTiming::Boundary => offset as f64 / per_year + delay,
        DiscountTiming::CycleStart => cycle as f64 / per_year,
    };
    (
        cycle / settings.cycles_per_bin,
        settings.discount_costs.factor(at, settings.discounting),
    )
}
