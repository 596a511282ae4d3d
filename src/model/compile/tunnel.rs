//! Tunnel states: a state declared with `tunnel = { cycles = N }` becomes N model states, one per cycle of a stay
//! (`name[1]`, ..., `name[N-1]`, and `name[N+]` for the rest of it), so that its costs, outcomes and exits can
//! depend on `time_in_state` while the engine sees an ordinary Markov model.
//!
//! The expansion happens here, at compile time, and nowhere else: entries into the state go to its first step;
//! staying moves one step on (or stays in the last); each step's costs, outcomes and transition row are the
//! declared state's, compiled with `time_in_state` read as that step's number.

use super::limits::MAX_STATES;
use super::Compiler;
use crate::error::{suggest, InputError};
use crate::expr::{self, Ast};
use crate::model::{StateInfo, TunnelStep};
use crate::scenario::raw::{ExprText, RawState};
use serde_spanned::Spanned;
use std::ops::Range;

/// The name expressions read for the cycle of the stay in a tunnel state: 1 in the first cycle.
pub(super) const TIME_IN_STATE: &str = "time_in_state";

/// How the states the file declares map onto the model's states.
pub(super) struct StateMap {
    /// The states as declared, in file order.
    pub(super) declared: Vec<StateInfo>,
    /// The model's states: each declared state, or each step of its tunnel, in file order.
    pub(super) model: Vec<StateInfo>,
    /// Per declared state, its model states.
    steps: Vec<Range<usize>>,
    /// Per model state, its declared state.
    declared_of: Vec<usize>,
}

impl StateMap {
    /// Declares the states in order, each with its tunnel length (None without a tunnel).
    pub(super) fn new(declared: Vec<StateInfo>, tunnels: &[Option<u32>]) -> Self {
        let mut model = Vec::new();
        let mut steps = Vec::new();
        let mut declared_of = Vec::new();
        for (d, (state, tunnel)) in declared.iter().zip(tunnels).enumerate() {
            let first = model.len();
            match *tunnel {
                None => model.push(state.clone()),
                Some(n) => model.extend((1..=n).map(|k| step(state, k, k == n))),
            }
            steps.push(first..model.len());
            declared_of.resize(model.len(), d);
        }
        StateMap {
            declared,
            model,
            steps,
            declared_of,
        }
    }

    /// The declared state's names, for lookups and suggestions.
    pub(super) fn declared_names(&self) -> Vec<&str> {
        self.declared.iter().map(|s| s.name.as_str()).collect()
    }

    /// The declared state named `name`.
    pub(super) fn find(&self, name: &str) -> Option<usize> {
        self.declared.iter().position(|s| s.name == name)
    }

    /// The model states of declared state `d`: one, or each step of its tunnel.
    pub(super) fn steps(&self, d: usize) -> Range<usize> {
        self.steps[d].clone()
    }

    /// The declared state of model state `i`.
    pub(super) fn declared_of(&self, i: usize) -> usize {
        self.declared_of[i]
    }

    /// The value of `time_in_state` in model state `i` (None outside a tunnel).
    pub(super) fn time_in_state(&self, i: usize) -> Option<u32> {
        self.model[i].tunnel.as_ref().map(|t| t.time_in_state)
    }

    /// Where people go from model state `from` (None: from outside, as at the start) when a row or the start
    /// sends them to declared state `to`: one step on when they stay in a tunnel (or the last step again), else
    /// the first step of `to`.
    pub(super) fn destination(&self, from: Option<usize>, to: usize) -> usize {
        match from {
            Some(i) if self.declared_of[i] == to => (i + 1).min(self.steps[to].end - 1),
            _ => self.steps[to].start,
        }
    }

    /// The model states a list of state names means: a declared name, all its steps; a step's name (`care[2]`,
    /// `care[3+]`), that step alone.
    pub(super) fn named(&self, name: &str) -> Option<Range<usize>> {
        if let Some(d) = self.find(name) {
            return Some(self.steps(d));
        }
        let i = self.model.iter().position(|s| s.tunnel.is_some() && s.name == name)?;
        Some(i..i + 1)
    }
}

/// Step `k` of a tunnel of the declared state.
fn step(state: &StateInfo, k: u32, last: bool) -> StateInfo {
    let (name, label) = if last {
        (
            format!("{}[{k}+]", state.name),
            format!("{} (cycle {k} of the stay onwards)", state.label),
        )
    } else {
        (
            format!("{}[{k}]", state.name),
            format!("{} (cycle {k} of the stay)", state.label),
        )
    };
    StateInfo {
        name,
        label,
        dead: false,
        tunnel: Some(TunnelStep {
            state: state.name.clone(),
            time_in_state: k,
            rest_of_stay: last,
        }),
    }
}

impl Compiler<'_> {
    /// The tunnel length of a declared state, checked: None without a tunnel.
    pub(super) fn tunnel_length(&self, i: usize, st: &RawState) -> Result<Option<u32>, InputError> {
        let Some(tunnel) = &st.tunnel else {
            return Ok(None);
        };
        let name = st.name.get_ref();
        if st.dead {
            return Err(self.err(
                tunnel.span(),
                format!("states[{i}].tunnel"),
                format!("state `{name}` is marked `dead = true`, where nobody leaves and nothing accrues, so time in it changes nothing; remove the tunnel"),
            ));
        }
        let cycles = &tunnel.get_ref().cycles;
        let n = cycles.get_ref().0;
        let most = MAX_STATES as i64;
        if !(2..=most).contains(&n) {
            return Err(self.err(
                cycles.span(),
                format!("states[{i}].tunnel.cycles"),
                format!("a tunnel follows the first cycles of a stay one by one: from 2 to {most} cycles (the last holds the rest of the stay), not {n}"),
            ));
        }
        Ok(Some(n as u32))
    }

    /// The error for a model with more states than supported once tunnels are counted: at the state that crosses
    /// the limit, or at the last tunnel before it, which is why there are so many.
    pub(super) fn too_many_states(&self, raw: &[Spanned<RawState>], map: &StateMap) -> InputError {
        let d = map.declared_of(MAX_STATES);
        let at = raw[..=d]
            .iter()
            .rev()
            .find_map(|s| s.get_ref().tunnel.as_ref().map(Spanned::span))
            .unwrap_or(raw[d].span());
        let tunnels = if raw.iter().any(|s| s.get_ref().tunnel.is_some()) {
            format!(
                ", counting each cycle of a tunnel as a state ({} in all)",
                map.model.len()
            )
        } else {
            String::new()
        };
        self.err(
            at,
            "states",
            format!("at most {MAX_STATES} states are supported{tunnels}"),
        )
    }

    /// The model states a list of state names means (see [`StateMap::named`]), or an error at the first unknown.
    pub(super) fn named_states(
        &self,
        map: &StateMap,
        names: &[Spanned<String>],
        field: &str,
    ) -> Result<Vec<usize>, InputError> {
        let mut out = Vec::new();
        for s in names {
            let range = map.named(s.get_ref()).ok_or_else(|| {
                self.err(
                    s.span(),
                    field,
                    format!(
                        "no state is named `{}`{}",
                        s.get_ref(),
                        suggest(s.get_ref(), &map.declared_names())
                    ),
                )
            })?;
            out.extend(range);
        }
        Ok(out)
    }
}

/// Whether an expression reads `time_in_state`.
pub(super) fn reads_time_in_state(ast: &Ast) -> bool {
    ast.names().iter().any(|&(n, _)| n == TIME_IN_STATE)
}

/// Whether a row entry or value, as written, reads `time_in_state`.
pub(super) fn text_reads_time_in_state(value: &ExprText) -> bool {
    matches!(value, ExprText::Text(t) if expr::parse(t).is_ok_and(|ast| reads_time_in_state(&ast)))
}

/// The message of an error made while compiling a tunnel step's expression, saying which step it was.
pub(super) fn in_step(mut e: InputError, time_in_state: Option<u32>) -> InputError {
    if let Some(k) = time_in_state {
        e.message.push_str(&format!(" (where {TIME_IN_STATE} = {k})"));
    }
    e
}
