//! `[scenario]` and `[settings]`: the scenario's metadata, horizon and cycle, run defaults, accrual, discount rates,
//! the willingness-to-pay grid and the primary outcome.

use super::limits::{MAX_CYCLES, MAX_ITERATIONS, MAX_NAME_LENGTH};
use super::Compiler;
use crate::error::{suggest, InputError};
use crate::model::schedule::{Accrual, CycleLength, DiscountSchedule, DiscountTiming, Discounting, RateStep};
use crate::model::{AccrualOf, Meta, Mode, RunSettings, Settings, WeightSet};
use crate::scenario::raw::{RawRate, RawScenario, RawSettings, RawWtp};
use crate::scenario::PriceYear;
use serde_spanned::Spanned;

impl Compiler<'_> {
    /// The year of `start_date`, which must be a 1 April written "YYYY-04-01": budget years are financial years
    /// (April to March), and programme year 1 starts on the start date.
    fn start_year(&self, date: &Spanned<String>) -> Result<i32, InputError> {
        let text = date.get_ref();
        let parts: Vec<&str> = text.split('-').collect();
        let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
        let well_formed = parts.len() == 3 && digits(parts[0], 4) && digits(parts[1], 2) && digits(parts[2], 2);
        let (year, month, day) = if well_formed {
            (parts[0].parse::<i32>().unwrap_or(0), parts[1], parts[2])
        } else {
            return Err(self.err(
                date.span(),
                "settings.start_date",
                format!("must be a date written \"YYYY-MM-DD\" (in quotes), such as \"2027-04-01\", not \"{text}\""),
            ));
        };
        if (month, day) != ("04", "01") {
            return Err(self.err(
                date.span(),
                "settings.start_date",
                format!("must be 1 April (\"{year}-04-01\"), not \"{text}\": budgets are by financial year, April to March, and programme years count from the start date, so each is one financial year only when the programme starts on 1 April"),
            ));
        }
        if !(1900..=2200).contains(&year) {
            return Err(self.err(
                date.span(),
                "settings.start_date",
                format!("the year must be from 1900 to 2200, not {year}"),
            ));
        }
        Ok(year)
    }

    pub(super) fn meta(&self, raw: &RawScenario) -> Result<Meta, InputError> {
        let name = raw.scenario.name.get_ref();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(self.err(
                raw.scenario.name.span(),
                "scenario.name",
                "the scenario name names the output directory, so it must be non-empty and use only letters, digits, '-' and '_'",
            ));
        }
        if name.len() > MAX_NAME_LENGTH {
            return Err(self.err(
                raw.scenario.name.span(),
                "scenario.name",
                format!(
                    "the scenario name names the output directory, so it may be at most {MAX_NAME_LENGTH} characters, not {}",
                    name.len()
                ),
            ));
        }
        Ok(Meta {
            name: name.clone(),
            title: raw.scenario.title.clone(),
            summary: raw.scenario.summary.clone(),
            currency: raw.scenario.currency.clone().unwrap_or_else(|| "GBP".to_string()),
            price_year: match &raw.scenario.price_year {
                Some(y) => {
                    Some(PriceYear::from_raw(y.get_ref()).map_err(|m| self.err(y.span(), "scenario.price_year", m))?)
                }
                None => None,
            },
            prices: None,
            results_for: self.results_for(raw)?,
            sources: raw
                .sources
                .iter()
                .map(|(k, v)| (k.clone(), v.get_ref().clone()))
                .collect(),
        })
    }

    /// The settings (all but the primary outcome, which needs the states) and the run defaults.
    pub(super) fn settings(&self, s: &RawSettings) -> Result<(Settings, RunSettings), InputError> {
        let horizon = *s.horizon_years.get_ref();
        if !(1..=1000).contains(&horizon) {
            return Err(self.err(
                s.horizon_years.span(),
                "settings.horizon_years",
                format!("must be a whole number of years from 1 to 1000, not {horizon}"),
            ));
        }
        let cycle = CycleLength::parse(s.cycle.get_ref()).ok_or_else(|| {
            self.err(
                s.cycle.span(),
                "settings.cycle",
                format!(
                    "unknown cycle length `{}`: use one of year, quarter, month, week (a cycle must divide a year){}",
                    s.cycle.get_ref(),
                    suggest(s.cycle.get_ref(), &["year", "quarter", "month", "week"])
                ),
            )
        })?;
        let run = self.run_settings(s)?;
        let mode = match s.mode.get_ref().as_str() {
            "cohort" => Mode::Cohort,
            "individual" => Mode::Individual,
            other => return Err(self.err(s.mode.span(), "settings.mode", format!("unknown mode `{other}`: use `cohort` (expected-value Markov trace) or `individual` (exact stochastic finite cohort){}", suggest(other, &["cohort", "individual"])))),
        };
        let accrual = self.accrual(&s.accrual, "settings.accrual")?;
        let discount_timing = match &s.discount_timing {
            None => DiscountTiming::Boundary,
            Some(t) => DiscountTiming::parse(t.get_ref()).ok_or_else(|| {
                self.err(
                    t.span(),
                    "settings.discount_timing",
                    format!(
                        "unknown discount timing `{}`: use boundary (each boundary's value discounted at its own time,                          the default) or cycle-start (each cycle's value discounted at the cycle's start){}",
                        t.get_ref(),
                        suggest(t.get_ref(), &["boundary", "cycle-start"])
                    ),
                )
            })?,
        };
        let discounting = Discounting::parse(s.discounting.get_ref()).ok_or_else(|| {
            self.err(
                s.discounting.span(),
                "settings.discounting",
                format!(
                    "unknown discounting `{}`: use discrete or continuous",
                    s.discounting.get_ref()
                ),
            )
        })?;
        let discount_costs = self.rate(&s.discount_rate_costs, "settings.discount_rate_costs")?;
        let discount_outcomes = self.rate(&s.discount_rate_outcomes, "settings.discount_rate_outcomes")?;
        let wtp = self.wtp(&s.wtp)?;
        let threshold = match &s.threshold {
            Some(t) if !(t.get_ref().is_finite() && *t.get_ref() >= 0.0) => {
                return Err(self.err(
                    t.span(),
                    "settings.threshold",
                    "must be a non-negative amount per unit of the primary outcome",
                ))
            }
            Some(t) => *t.get_ref(),
            None => 30_000.0,
        };
        let population = match &s.population {
            Some(p) if !(p.get_ref().is_finite() && *p.get_ref() > 0.0) => {
                return Err(self.err(p.span(), "settings.population", "must be a positive number of people"))
            }
            p => p.as_ref().map(|p| *p.get_ref()),
        };
        self.check_cycle_count(s, horizon, cycle)?;
        let start_year = s.start_date.as_ref().map(|d| self.start_year(d)).transpose()?;
        let settings = Settings {
            horizon_years: horizon as usize,
            cycle,
            mode,
            accrual,
            accrual_of: AccrualOf::default(),
            discounting,
            discount_timing,
            discount_costs,
            discount_outcomes,
            wtp,
            threshold,
            primary_outcome: None,
            cycles_per_bin: cycle.per_year(),
            n_bins: horizon as usize,
            keeps_sample: true,
            start_year,
            population,
            one_off_delays: Vec::new(),
        };
        Ok((settings, run))
    }

    /// An accrual convention as written at `field`.
    fn accrual(&self, a: &Spanned<String>, field: &str) -> Result<Accrual, InputError> {
        Accrual::parse(a.get_ref()).ok_or_else(|| {
            self.err(
                a.span(),
                field,
                format!(
                    "unknown accrual convention `{}`: use start, end, half-cycle (trapezoid) or simpson{}",
                    a.get_ref(),
                    suggest(a.get_ref(), &["start", "end", "half-cycle", "simpson"])
                ),
            )
        })
    }

    /// `[accrual]`: the conventions of cost groups and outcomes that differ from the scenario's.
    pub(super) fn accrual_of(&self, raw: &RawScenario, outcomes: &[String]) -> Result<AccrualOf, InputError> {
        let mut of = AccrualOf {
            outcomes: vec![None; outcomes.len()],
            ..AccrualOf::default()
        };
        let Some(a) = &raw.accrual else {
            return Ok(of);
        };
        let a = a.get_ref();
        if let Some(c) = &a.care_costs {
            of.care_costs = Some(self.accrual(c, "accrual.care_costs")?);
        }
        if let Some(c) = &a.intervention_costs {
            of.intervention_costs = Some(self.accrual(c, "accrual.intervention_costs")?);
        }
        for (name, convention) in &a.outcomes {
            let field = format!("accrual.outcomes.{}", name.get_ref());
            let i = self.outcome_index(name, &field, outcomes)?;
            of.outcomes[i] = Some(self.accrual(convention, &field)?);
        }
        Ok(of)
    }

    /// The file's iterations and seed.
    fn run_settings(&self, s: &RawSettings) -> Result<RunSettings, InputError> {
        let iterations = *s.iterations.get_ref();
        if !(1..=MAX_ITERATIONS as i64).contains(&iterations) {
            return Err(self.err(
                s.iterations.span(),
                "settings.iterations",
                format!("must be from 1 to {MAX_ITERATIONS}, not {iterations}"),
            ));
        }
        let seed = *s.seed.get_ref();
        if seed < 0 {
            return Err(self.err(s.seed.span(), "settings.seed", "must be a non-negative integer"));
        }
        Ok(RunSettings {
            iterations: iterations as usize,
            seed: seed as u64,
        })
    }

    /// The horizon in cycles must stay within [`MAX_CYCLES`].
    fn check_cycle_count(&self, s: &RawSettings, horizon: i64, cycle: CycleLength) -> Result<(), InputError> {
        let cycles = horizon as usize * cycle.per_year();
        if cycles > MAX_CYCLES {
            return Err(self.err(
                s.horizon_years.span(),
                "settings.horizon_years",
                format!(
                    "{horizon} years of {}ly cycles make {cycles} cycles; at most {MAX_CYCLES} are supported",
                    s.cycle.get_ref()
                ),
            ));
        }
        Ok(())
    }

    fn rate(&self, r: &Spanned<RawRate>, field: &str) -> Result<DiscountSchedule, InputError> {
        let bad_rate = |x: f64| !(x.is_finite() && (0.0..1.0).contains(&x));
        match r.get_ref() {
            RawRate::Flat(x) if bad_rate(*x) => Err(self.err(r.span(), field, format!("a discount rate is an annual fraction from 0 to 1 (0.035 for 3.5%), not {x}"))),
            RawRate::Flat(x) => Ok(DiscountSchedule::flat(*x)),
            RawRate::Named(n) if n == "treasury" => Ok(DiscountSchedule::treasury()),
            RawRate::Named(n) => Err(self.err(r.span(), field, format!("unknown discount schedule `{n}`: give a rate such as 0.035, \"treasury\" (HM Treasury declining schedule), or a list of {{ from_year, rate }} steps"))),
            RawRate::Steps(steps) => {
                if steps.is_empty() || steps[0].from_year != 0.0 || steps.windows(2).any(|w| w[1].from_year <= w[0].from_year) || steps.iter().any(|s| bad_rate(s.rate)) {
                    return Err(self.err(r.span(), field, "a discount schedule's steps must start at from_year = 0, increase in from_year, and have rates from 0 to 1"));
                }
                Ok(DiscountSchedule { steps: steps.iter().map(|s| RateStep { from_year: s.from_year, rate: s.rate }).collect() })
            }
        }
    }

    /// The willingness-to-pay grid: £0 to £50,000 in steps of £1,000 unless the file gives a list or a range.
    fn wtp(&self, wtp: &Option<Spanned<RawWtp>>) -> Result<Vec<f64>, InputError> {
        let Some(w) = wtp else {
            return Ok((0..=50).map(|i| i as f64 * 1000.0).collect());
        };
        let values: Vec<f64> = match w.get_ref() {
            RawWtp::List(v) => v.clone(),
            RawWtp::Range { from, to, step } => {
                if !(step.is_finite() && *step > 0.0 && from.is_finite() && to.is_finite() && to >= from)
                    || (to - from) / step > 100_000.0
                {
                    return Err(self.err(
                        w.span(),
                        "settings.wtp",
                        "a range needs from ≤ to and a positive step giving at most 100,000 points",
                    ));
                }
                let n = ((to - from) / step + 1e-9).floor() as usize;
                (0..=n).map(|i| from + i as f64 * step).collect()
            }
        };
        if values.is_empty()
            || values.iter().any(|v| !v.is_finite() || *v < 0.0)
            || values.windows(2).any(|p| p[1] <= p[0])
        {
            return Err(self.err(
                w.span(),
                "settings.wtp",
                "willingness-to-pay values must be non-negative, finite and increasing",
            ));
        }
        Ok(values)
    }

    /// The outcome the ICER divides by: the one named, else `qaly`, else the first (None without outcomes).
    pub(super) fn primary_outcome(&self, s: &RawSettings, outcomes: &[String]) -> Result<Option<usize>, InputError> {
        Ok(match &s.primary_outcome {
            Some(name) => Some(self.outcome_index(name, "settings.primary_outcome", outcomes)?),
            None => outcomes
                .iter()
                .position(|o| o == "qaly")
                .or(if outcomes.is_empty() { None } else { Some(0) }),
        })
    }
}

/// The accrual conventions and discountings that some flows use apart from the scenario's: each convention set in
/// `[accrual]` that differs from `settings.accrual`, as a cost or an outcome, once.
pub(super) fn weight_sets(settings: &Settings) -> Vec<WeightSet> {
    let of = &settings.accrual_of;
    let costs = [of.care_costs, of.intervention_costs].into_iter().map(|a| (a, true));
    let outcomes = of.outcomes.iter().map(|&a| (a, false));
    let mut sets: Vec<WeightSet> = Vec::new();
    for (accrual, is_cost) in costs.chain(outcomes) {
        match accrual {
            Some(accrual) if accrual != settings.accrual => {
                let set = WeightSet { accrual, is_cost };
                if !sets.contains(&set) {
                    sets.push(set);
                }
            }
            _ => {}
        }
    }
    sets
}

impl Settings {
    /// The weight set of a flow with the accrual convention `accrual` (None for the scenario's own).
    pub(super) fn weight_set(&self, sets: &[WeightSet], accrual: Option<Accrual>, is_cost: bool) -> Option<usize> {
        let accrual = accrual.filter(|&a| a != self.accrual)?;
        sets.iter().position(|s| *s == WeightSet { accrual, is_cost })
    }
}
