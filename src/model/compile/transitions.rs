//! The starting distribution and the transition rows of a context: each entry a probability slot or the row's
//! `remainder`, with the checks on rows that can be made before running (constant sums, supports inside [0, 1]).

use super::builder::ContextBuilder;
use super::tunnel::{in_step, text_reads_time_in_state, StateMap};
use crate::error::{suggest, InputError};
use crate::expr::Program;
use crate::model::{ProbSource, Row};
use crate::scenario::raw::{ExprText, RawArm, RawScenario};
use serde_spanned::Spanned;
use std::collections::BTreeMap;
use std::ops::Range;

impl ContextBuilder<'_, '_> {
    /// The starting distribution: the arm's own, or the scenario's. People who start in a tunnel state start in
    /// the first cycle of their stay.
    pub(super) fn start_row(
        &mut self,
        arm: &RawArm,
        raw: &RawScenario,
        afield: &str,
        states: &StateMap,
    ) -> Result<Row, InputError> {
        let start_table = arm.start.as_ref().unwrap_or(&raw.start);
        let start_field = if arm.start.is_some() {
            format!("{afield}.start")
        } else {
            "start".to_string()
        };
        self.row(None, start_table.get_ref(), start_table.span(), &start_field, states)
    }

    /// Transition rows: the arm's rows replace the scenario's rows for the same state. Each step of a tunnel state
    /// gets the state's row, compiled with the step's `time_in_state`.
    pub(super) fn transition_rows(
        &mut self,
        arm: &RawArm,
        raw: &RawScenario,
        afield: &str,
        states: &StateMap,
    ) -> Result<Vec<Row>, InputError> {
        let compiler = self.compiler;
        let names = states.declared_names();
        // A misspelt origin is reported as such, before it shows up as a state without a row.
        for (k, _) in raw.transitions.get_ref().iter().chain(arm.transitions.iter()) {
            if !names.contains(&k.get_ref().as_str()) {
                return Err(compiler.err(
                    k.span(),
                    "transitions",
                    format!("no state is named `{}`{}", k.get_ref(), suggest(k.get_ref(), &names)),
                ));
            }
        }
        let mut rows = Vec::new();
        for (d, from) in names.iter().enumerate() {
            let arm_row = arm.transitions.iter().find(|(k, _)| k.get_ref() == from);
            let base_row = raw.transitions.get_ref().iter().find(|(k, _)| k.get_ref() == from);
            if states.declared[d].dead {
                // Dead means absorbing: a row out of it would move people the state says never leave.
                if let Some((key, _)) = arm_row.or(base_row) {
                    let field = match arm_row {
                        Some(_) => format!("{afield}.transitions.{from}"),
                        None => format!("transitions.{from}"),
                    };
                    return Err(compiler.err(
                        key.span(),
                        field,
                        format!(
                            "state `{from}` is marked `dead = true`, so nobody leaves it, but it has a transition row; remove the row, or remove `dead = true` if people do leave it"
                        ),
                    ));
                }
                continue;
            }
            let (row, field) = match (arm_row, base_row) {
                (Some((_, r)), _) => (r, format!("{afield}.transitions.{from}")),
                (None, Some((_, r))) => (r, format!("transitions.{from}")),
                (None, None) => {
                    return Err(compiler.err(raw.transitions.span(), "transitions", format!("state `{from}` has no transition row: give one (use `{from} = \"remainder\"` for staying), or mark the state `dead = true` if nobody leaves it")));
                }
            };
            for i in states.steps(d) {
                self.set_time_in_state(states.time_in_state(i));
                rows.push(self.row(Some(i), row.get_ref(), row.span(), &field, states)?);
            }
            self.set_time_in_state(None);
        }
        Ok(rows)
    }

    /// Compiles the transition row out of model state `from`, or the start distribution when `from` is None.
    fn row(
        &mut self,
        from: Option<usize>,
        table: &BTreeMap<Spanned<String>, Spanned<ExprText>>,
        span: Range<usize>,
        field: &str,
        states: &StateMap,
    ) -> Result<Row, InputError> {
        let is_start = from.is_none();
        let names = states.declared_names();
        // Errors that the step's `time_in_state` may have caused say which step it was.
        let step = self
            .time_in_state()
            .filter(|_| table.values().any(|v| text_reads_time_in_state(v.get_ref())));
        let mut entries = Vec::new();
        let mut remainder_seen = false;
        let mut constant_sum = 0.0;
        let mut all_constant = true;
        for (to, value) in table {
            let efield = format!("{field}.{}", to.get_ref());
            let d = states.find(to.get_ref()).ok_or_else(|| {
                self.compiler.err(
                    to.span(),
                    &efield,
                    format!("no state is named `{}`{}", to.get_ref(), suggest(to.get_ref(), &names)),
                )
            })?;
            let ti = states.destination(from, d);
            if matches!(value.get_ref(), ExprText::Text(t) if t.trim() == "remainder") {
                if remainder_seen {
                    return Err(self.compiler.err(
                        value.span(),
                        &efield,
                        "a row may have only one \"remainder\" entry (it is one minus the others)",
                    ));
                }
                remainder_seen = true;
                entries.push((ti, ProbSource::Remainder));
                continue;
            }
            let what = match from {
                None => format!("start share of {}", to.get_ref()),
                Some(i) => format!("P({} → {})", states.model[i].name, states.model[ti].name),
            };
            let slot = self.quantity(value, &efield, &what)?;
            match self.programs[slot].as_ref().and_then(Program::as_constant) {
                Some(p) if !(0.0..=1.0).contains(&p) => {
                    return Err(in_step(
                        self.compiler.err(
                            value.span(),
                            &efield,
                            format!("a probability must be between 0 and 1, not {}", pretty(p)),
                        ),
                        step,
                    ));
                }
                Some(p) => constant_sum += p,
                None => {
                    all_constant = false;
                    self.check_probability_support(slot, value.span(), &efield)?;
                    self.probability_entries.push((slot, value.span(), efield.clone()));
                }
            }
            if is_start && self.dynamic[slot] {
                return Err(self.compiler.err(
                    value.span(),
                    &efield,
                    "the starting distribution cannot depend on time",
                ));
            }
            entries.push((ti, ProbSource::Slot(slot)));
        }
        if entries.is_empty() {
            return Err(self
                .compiler
                .err(span, field, "this row is empty: give at least one destination state"));
        }
        // Only the constant entries can be summed now: the others are checked as each iteration draws them.
        let exact = all_constant && !remainder_seen;
        self.check_row_sum(constant_sum, exact, span, field)
            .map_err(|e| in_step(e, step))?;
        Ok(Row {
            from: from.unwrap_or(usize::MAX),
            entries,
        })
    }

    /// A row's constant entries may not sum above 1, and must sum to 1 when they are all there is (`exact`).
    fn check_row_sum(&self, constant_sum: f64, exact: bool, span: Range<usize>, field: &str) -> Result<(), InputError> {
        if constant_sum > 1.0 + 1e-9 {
            return Err(self.compiler.err(
                span,
                field,
                format!("the probabilities in this row sum to {}, above 1", pretty(constant_sum)),
            ));
        }
        if exact && (constant_sum - 1.0).abs() > 1e-9 {
            return Err(self.compiler.err(
                span,
                field,
                format!(
                    "the probabilities in this row sum to {}, not 1: make one entry \"remainder\" or correct them",
                    pretty(constant_sum)
                ),
            ));
        }
        Ok(())
    }

    /// A transition probability that is just a sampled parameter must come from a distribution inside [0, 1].
    fn check_probability_support(&self, slot: usize, span: Range<usize>, field: &str) -> Result<(), InputError> {
        if slot < self.n_draws {
            self.compiler.probability_slots.borrow_mut().push(slot);
            let (low, high) = self.compiler.supports.borrow()[slot];
            if low < 0.0 || high > 1.0 {
                return Err(self.compiler.err(span, field, format!("`{}` is used as a probability but its distribution can take values outside [0, 1] ({low} to {high}); use a beta distribution (or a Dirichlet for a whole row)", self.slot_names[slot])));
            }
        }
        Ok(())
    }
}

/// A number as people write it: 1.3, not 1.2999999999999998.
pub(super) fn pretty(x: f64) -> String {
    let rounded = (x * 1e12).round() / 1e12;
    format!("{rounded}")
}
