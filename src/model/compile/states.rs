//! `[[states]]`: the states of the model, and the outcomes their values name.

use super::limits::MAX_STATES;
use super::tunnel::StateMap;
use super::Compiler;
use crate::error::InputError;
use crate::model::{is_reserved_column, StateInfo};
use crate::scenario::raw::{RawCost, RawScenario, RawState};
use serde_spanned::Spanned;

impl Compiler<'_> {
    /// The states as declared, and the model's states once tunnels are expanded (see [`super::tunnel`]).
    pub(super) fn states(&self, raw: &[Spanned<RawState>]) -> Result<StateMap, InputError> {
        if raw.is_empty() {
            return Err(InputError::at(
                self.path,
                self.src,
                0..0,
                "states",
                "the scenario has no [[states]]; a model needs at least two",
            ));
        }
        let mut out: Vec<StateInfo> = Vec::new();
        let mut tunnels = Vec::new();
        for (i, s) in raw.iter().enumerate() {
            let st = s.get_ref();
            let name = st.name.get_ref();
            self.check_identifier(name, st.name.span(), &format!("states[{i}].name"))?;
            if out.iter().any(|o| &o.name == name) {
                return Err(self.err(
                    st.name.span(),
                    format!("states[{i}].name"),
                    format!("the state `{name}` is defined twice"),
                ));
            }
            let has_values = !st.costs.is_empty() || !st.outcomes.is_empty();
            if has_values && st.dead {
                return Err(self.err(
                    st.name.span(),
                    format!("states[{i}]"),
                    format!("state `{name}` is marked `dead = true`, where nothing accrues, but has costs or outcomes; remove them, or remove `dead = true`"),
                ));
            }
            if has_values && st.per.is_none() {
                return Err(self.err(s.span(), format!("states[{i}].per"), format!("state `{name}` has costs or outcomes but no `per`: say whether they are per year, quarter, month, week or cycle (units are never guessed)")));
            }
            if let Some(reserved) = st
                .outcomes
                .keys()
                .find(|k| is_reserved_column(k.get_ref(), &self.payers.borrow()))
            {
                return Err(self.err(
                    reserved.span(),
                    format!("states[{i}].outcomes.{}", reserved.get_ref()),
                    format!(
                        "`{}` names a column with a fixed role in the per-iteration table (iteration, arm, cost, cost_total, effect, and care_, cashable_care_ and spend_ by payer); give the outcome another name",
                        reserved.get_ref()
                    ),
                ));
            }
            tunnels.push(self.tunnel_length(i, st)?);
            out.push(StateInfo {
                name: name.clone(),
                label: st.label.clone().unwrap_or_else(|| name.clone()),
                dead: st.dead,
                tunnel: None,
            });
        }
        let map = StateMap::new(out, &tunnels);
        if map.model.len() > MAX_STATES {
            return Err(self.too_many_states(raw, &map));
        }
        Ok(map)
    }

    /// The outcome names the states give values for, in order of first appearance.
    pub(super) fn outcomes(&self, raw: &[Spanned<RawState>]) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for s in raw {
            for k in s.get_ref().outcomes.keys() {
                if !names.contains(k.get_ref()) {
                    names.push(k.get_ref().clone());
                }
            }
        }
        names
    }
}

/// Whether any state cost line has a cashable share below 1 (otherwise cashable = all care costs).
pub(super) fn has_noncashable(raw: &RawScenario) -> bool {
    raw.states.iter().any(|s| {
        s.get_ref().costs.values().any(
            |c| matches!(c.get_ref(), RawCost::Table(t) if t.cashable.as_ref().is_some_and(|v| *v.get_ref() < 1.0)),
        )
    })
}
