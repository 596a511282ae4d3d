//! `[cohort] results = "service"`: costs that belong to a service rather than to people (a team's budget), compared
//! for the service as a whole, with no cohort of people to divide them by.

use super::Compiler;
use crate::error::{suggest, InputError};
use crate::model::{Mode, ResultsFor, Settings};
use crate::scenario::raw::RawScenario;

impl Compiler<'_> {
    /// Whom the results are for: `[cohort] results`, `"person"` by default.
    pub(super) fn results_for(&self, raw: &RawScenario) -> Result<ResultsFor, InputError> {
        match &raw.cohort.get_ref().results {
            None => Ok(ResultsFor::Person),
            Some(r) => match r.get_ref().as_str() {
                "person" => Ok(ResultsFor::Person),
                "service" => Ok(ResultsFor::Service),
                other => Err(self.err(
                    r.span(),
                    "cohort.results",
                    format!(
                        "unknown value `{other}`: use \"person\" (results per person of the cohort) or \"service\" (for the service as a whole){}",
                        suggest(other, &["person", "service"])
                    ),
                )),
            },
        }
    }

    /// A service's results have no people behind them: no cohort, no per-person values, and only the arms' set-up
    /// and annual costs (which are the service's), so that nothing is divided by an invented cohort size.
    pub(super) fn check_service(
        &self,
        raw: &RawScenario,
        settings: &Settings,
        results_for: ResultsFor,
    ) -> Result<(), InputError> {
        if results_for != ResultsFor::Service {
            return Ok(());
        }
        let cohort = raw.cohort.get_ref();
        let why = "results for the service as a whole have no cohort of people";
        let people = [
            ("size", cohort.size.as_ref().map(|v| v.span())),
            ("entry", cohort.entry.as_ref().map(|v| v.span())),
            ("subgroups", cohort.subgroups.first().map(|v| v.span())),
            ("age", cohort.age.as_ref().map(|v| v.span())),
            ("male", cohort.male.as_ref().map(|v| v.span())),
        ];
        if let Some((key, Some(span))) = people.into_iter().find(|(_, span)| span.is_some()) {
            return Err(self.err(span, format!("cohort.{key}"), format!("`{key}` does not apply: {why}")));
        }
        if let Some(p) = &raw.settings.population {
            return Err(self.err(
                p.span(),
                "settings.population",
                format!("{why}: the budget impact is the service's own, so there is no population to count"),
            ));
        }
        if settings.mode == Mode::Individual {
            return Err(self.err(
                raw.settings.mode.span(),
                "settings.mode",
                format!("{why}, so they cannot be simulated person by person: use mode = \"cohort\""),
            ));
        }
        for (i, state) in raw.states.iter().enumerate() {
            let st = state.get_ref();
            let value = st.costs.keys().next().map(|k| ("costs", k.span()));
            let value = value.or(st.outcomes.keys().next().map(|k| ("outcomes", k.span())));
            if let Some((what, span)) = value {
                return Err(self.err(span, format!("states[{i}].{what}"), format!("a state's {what} are per person, and {why}: give the service's costs as the arms' `setup` or `annual` costs")));
            }
        }
        for (a, arm) in raw.arms.get_ref().iter().enumerate() {
            for (ci, c) in arm.get_ref().costs.iter().enumerate() {
                let cost = c.get_ref();
                let kind = cost.kind.get_ref().as_str();
                if !matches!(kind, "setup" | "annual") {
                    return Err(self.err(
                        cost.kind.span(),
                        format!("arms[{a}].costs[{ci}].kind"),
                        format!(
                            "a `{kind}` cost is paid per person, and {why}: a service's costs are `setup` or `annual`"
                        ),
                    ));
                }
                if let Some(cap) = &cost.capacity {
                    return Err(self.err(
                        cap.span(),
                        format!("arms[{a}].costs[{ci}].capacity"),
                        format!("capacity counts the people served, and {why}"),
                    ));
                }
            }
        }
        Ok(())
    }
}
