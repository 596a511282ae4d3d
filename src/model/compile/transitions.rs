//! The starting distribution and the transition rows of a context: each entry a probability slot or the row's
//! `remainder`, with the checks on rows that can be made before running (constant sums, supports inside [0, 1]).

use super::builder::ContextBuilder;
use super::states::DeadStates;
use crate::error::{suggest, InputError};
use crate::expr::Program;
use crate::model::{ProbSource, Row};
use crate::scenario::raw::{ExprText, RawArm, RawScenario};
use serde_spanned::Spanned;
use std::collections::BTreeMap;
use std::ops::Range;

impl ContextBuilder<'_, '_> {
    /// The starting distribution: the arm's own, or the scenario's.
    pub(super) fn start_row(
        &mut self,
        arm: &RawArm,
        raw: &RawScenario,
        afield: &str,
        states: &[&str],
    ) -> Result<Row, InputError> {
        let start_table = arm.start.as_ref().unwrap_or(&raw.start);
        let start_field = if arm.start.is_some() {
            format!("{afield}.start")
        } else {
            "start".to_string()
        };
        self.row(
            usize::MAX,
            start_table.get_ref(),
            start_table.span(),
            &start_field,
            states,
            true,
        )
    }

    /// Transition rows: the arm's rows replace the scenario's rows for the same state.
    pub(super) fn transition_rows(
        &mut self,
        arm: &RawArm,
        raw: &RawScenario,
        afield: &str,
        states: &[&str],
    ) -> Result<Vec<Row>, InputError> {
        let compiler = self.compiler;
        // A misspelt origin is reported as such, before it shows up as a state without a row.
        for (k, _) in raw.transitions.get_ref().iter().chain(arm.transitions.iter()) {
            if !states.contains(&k.get_ref().as_str()) {
                return Err(compiler.err(
                    k.span(),
                    "transitions",
                    format!("no state is named `{}`{}", k.get_ref(), suggest(k.get_ref(), states)),
                ));
            }
        }
        let mut rows = Vec::new();
        for (i, from) in states.iter().enumerate() {
            let arm_row = arm.transitions.iter().find(|(k, _)| k.get_ref() == from);
            let base_row = raw.transitions.get_ref().iter().find(|(k, _)| k.get_ref() == from);
            if raw.is_dead(i) {
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
            rows.push(self.row(i, row.get_ref(), row.span(), &field, states, false)?);
        }
        Ok(rows)
    }

    /// Compiles a transition row (or the start distribution when `is_start`).
    fn row(
        &mut self,
        from: usize,
        table: &BTreeMap<Spanned<String>, Spanned<ExprText>>,
        span: Range<usize>,
        field: &str,
        states: &[&str],
        is_start: bool,
    ) -> Result<Row, InputError> {
        let mut entries = Vec::new();
        let mut remainder_seen = false;
        let mut constant_sum = 0.0;
        let mut all_constant = true;
        for (to, value) in table {
            let efield = format!("{field}.{}", to.get_ref());
            let ti = states.iter().position(|s| s == to.get_ref()).ok_or_else(|| {
                self.compiler.err(
                    to.span(),
                    &efield,
                    format!("no state is named `{}`{}", to.get_ref(), suggest(to.get_ref(), states)),
                )
            })?;
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
            let what = if is_start {
                format!("start share of {}", to.get_ref())
            } else {
                format!("P({} → {})", states[from], to.get_ref())
            };
            let slot = self.quantity(value, &efield, &what)?;
            match self.programs[slot].as_ref().and_then(Program::as_constant) {
                Some(p) if !(0.0..=1.0).contains(&p) => {
                    return Err(self.compiler.err(
                        value.span(),
                        &efield,
                        format!("a probability must be between 0 and 1, not {}", pretty(p)),
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
        if constant_sum > 1.0 + 1e-9 {
            return Err(self.compiler.err(
                span,
                field,
                format!("the probabilities in this row sum to {}, above 1", pretty(constant_sum)),
            ));
        }
        if all_constant && !remainder_seen && (constant_sum - 1.0).abs() > 1e-9 {
            return Err(self.compiler.err(
                span,
                field,
                format!(
                    "the probabilities in this row sum to {}, not 1: make one entry \"remainder\" or correct them",
                    pretty(constant_sum)
                ),
            ));
        }
        Ok(Row { from, entries })
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
