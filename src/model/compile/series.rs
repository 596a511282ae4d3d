//! Values known before sampling: a context's table lookups, its `age`, and every expression of them and of time that
//! reads no sampled parameter. They are computed here once, for every boundary of every wave, so that the engine
//! reads them instead of computing them in every iteration; a lookup with no row, or a probability outside [0, 1],
//! is then an error in the scenario, found before anything runs.

use super::builder::ContextBuilder;
use crate::error::InputError;
use crate::expr::Program;
use crate::model::{TimeSeries, Wave};
use std::ops::Range;

/// A slot computed by something other than a program.
pub(super) enum Special {
    /// `age`: the stratum's starting age plus the years since entry.
    Age(f64),
    /// A table lookup.
    Lookup(Lookup),
}

/// A call of a table: which table, its key arguments, and where the call is written.
pub(super) struct Lookup {
    /// Index into the scenario's tables.
    pub(super) table: usize,
    pub(super) args: Vec<Program>,
    /// The call's place in the file, and the field it is in.
    pub(super) at: Range<usize>,
    pub(super) field: String,
}

/// The times a context's values are computed at: its waves and the cycle length.
pub(super) struct Frame<'w> {
    pub(super) waves: &'w [Wave],
    pub(super) per_year: usize,
    pub(super) dt: f64,
}

impl ContextBuilder<'_, '_> {
    /// The needed values known before sampling that change with time, for every boundary of every wave, and the
    /// values of the needed lookups that do not change with time (constants of the context).
    pub(super) fn known_values(
        &self,
        needed: &[bool],
        frame: &Frame,
    ) -> Result<(TimeSeries, Vec<(usize, f64)>), InputError> {
        let n = self.slot_names.len();
        let computed = |s: usize| self.programs[s].is_some() || self.specials.iter().any(|(x, _)| *x == s);
        let known: Vec<usize> = (self.n_draws + 3..n)
            .filter(|&s| needed[s] && !self.sampled[s] && computed(s))
            .collect();
        let (fixed, moving): (Vec<usize>, Vec<usize>) = known.iter().partition(|&&s| !self.dynamic[s]);
        // Lookups that do not change with time are constants; other slots known and fixed are computed as the
        // engine computes them (constants, or programs run once per iteration), but here too, for the values
        // that change with time to read.
        let mut values = vec![0.0; n];
        for &s in &fixed {
            values[s] = self.compute(s, &values, "")?;
        }
        let constants: Vec<(usize, f64)> = fixed
            .iter()
            .filter(|&&s| self.programs[s].is_none())
            .map(|&s| (s, values[s]))
            .collect();
        for &(slot, value) in &constants {
            self.check_probability(slot, value, "")?;
        }
        let mut series = TimeSeries {
            slots: moving.clone(),
            values: Vec::new(),
            unchanged: Vec::new(),
        };
        if moving.is_empty() {
            return Ok((series, constants));
        }
        let t = self.n_draws + 1;
        for wave in frame.waves {
            let offset = wave.entry_year * frame.per_year;
            let mut out = Vec::with_capacity((wave.cycles + 1) * moving.len());
            for k in 0..=wave.cycles {
                // The time slots as the engine sets them at boundary k.
                values[self.n_draws] = k as f64;
                values[t] = k as f64 * frame.dt;
                values[self.n_draws + 2] = (offset + k) as f64 * frame.dt;
                let when = self.when(k, wave);
                for &s in &moving {
                    values[s] = self.compute(s, &values, &when)?;
                    self.check_probability(s, values[s], &when)?;
                    out.push(values[s]);
                }
            }
            series.unchanged.push(TimeSeries::unchanged_of(&out, moving.len()));
            series.values.push(out);
        }
        Ok((series, constants))
    }

    /// " at cycle 3 of people entering in year 2, age 65, male", for messages.
    fn when(&self, k: usize, wave: &Wave) -> String {
        let entry = if wave.entry_year > 0 {
            format!(" of people entering in programme year {}", wave.entry_year + 1)
        } else {
            String::new()
        };
        let who = self.stratum.map_or(String::new(), |s| s.describe());
        let who = if who.is_empty() {
            who
        } else {
            format!(" ({who} at entry)")
        };
        format!(" at cycle {k}{entry}{who}")
    }

    /// The value of slot `s` from the values of the slots before it.
    fn compute(&self, s: usize, values: &[f64], when: &str) -> Result<f64, InputError> {
        if let Some(p) = &self.programs[s] {
            return Ok(p.eval(values));
        }
        match self.specials.iter().find(|(x, _)| *x == s).map(|(_, sp)| sp) {
            Some(Special::Age(start)) => Ok(start + values[self.n_draws + 1]),
            Some(Special::Lookup(l)) => {
                let args: Vec<f64> = l.args.iter().map(|a| a.eval(values)).collect();
                let table = &self.compiler.tables[l.table];
                table
                    .lookup(&args)
                    .map_err(|m| self.compiler.err(l.at.clone(), l.field.as_str(), format!("{m}{when}")))
            }
            None => Ok(values[s]),
        }
    }

    /// A transition probability known before sampling must lie in [0, 1].
    fn check_probability(&self, slot: usize, value: f64, when: &str) -> Result<(), InputError> {
        for (s, span, field) in &self.probability_entries {
            // The engine's own tolerance for rounding (a value just outside is taken as the bound).
            if *s == slot && !(-1e-9..=1.0 + 1e-9).contains(&value) {
                return Err(self.compiler.err(
                    span.clone(),
                    field.as_str(),
                    format!("this probability is {value}{when}, not between 0 and 1"),
                ));
            }
        }
        Ok(())
    }
}
