//! `[cba]`: the local cost-benefit conventions, each share checked to lie from 0 to 1 and each money value to name
//! an outcome the states accrue and give its source.

use super::Compiler;
use crate::error::InputError;
use crate::model::cba::{CbaSettings, MonetisedOutcome};
use crate::scenario::raw::{RawMonetised, RawScenario};
use serde_spanned::Spanned;
use std::collections::BTreeMap;

impl Compiler<'_> {
    /// The scenario's `[cba]`, checked; None when it has none.
    pub(super) fn cba(&self, raw: &RawScenario, outcomes: &[String]) -> Result<Option<CbaSettings>, InputError> {
        let Some(cba) = &raw.cba else { return Ok(None) };
        let cba = cba.get_ref();
        let share = |v: &Option<Spanned<f64>>, key: &str, most: f64| -> Result<f64, InputError> {
            let Some(v) = v else { return Ok(0.0) };
            let x = *v.get_ref();
            if x.is_finite() && (0.0..=most).contains(&x) {
                return Ok(x);
            }
            let range = if most.is_finite() {
                "from 0 to 1 (0.2 is 20%)".to_string()
            } else {
                "0 or more (0.1 adds 10%)".to_string()
            };
            Err(self.err(
                v.span(),
                format!("cba.{key}"),
                format!("must be a share {range}, not {x}"),
            ))
        };
        let source = match &cba.source {
            Some(s) if s.get_ref().trim().is_empty() => {
                return Err(self.err(s.span(), "cba.source", "the source must not be empty"));
            }
            s => s.as_ref().map(|s| s.get_ref().trim().to_string()),
        };
        Ok(Some(CbaSettings {
            optimism_bias_costs: share(&cba.optimism_bias_costs, "optimism_bias_costs", f64::INFINITY)?,
            optimism_bias_benefits: share(&cba.optimism_bias_benefits, "optimism_bias_benefits", 1.0)?,
            deadweight: share(&cba.deadweight, "deadweight", 1.0)?,
            attribution_to_others: share(&cba.attribution_to_others, "attribution_to_others", 1.0)?,
            displacement: share(&cba.displacement, "displacement", 1.0)?,
            drop_off: share(&cba.drop_off, "drop_off", 1.0)?,
            source,
            economic: self.monetised(&cba.economic, "economic", outcomes)?,
            social: self.monetised(&cba.social, "social", outcomes)?,
        }))
    }

    /// `[cba.economic]` or `[cba.social]`: £ per unit of an outcome, with its source.
    fn monetised(
        &self,
        raw: &BTreeMap<Spanned<String>, Spanned<RawMonetised>>,
        kind: &str,
        outcomes: &[String],
    ) -> Result<Vec<MonetisedOutcome>, InputError> {
        let mut out = Vec::new();
        for (name, entry) in raw {
            let field = format!("cba.{kind}.{}", name.get_ref());
            let outcome = self.outcome_index(name, &field, outcomes)?;
            let entry = entry.get_ref();
            let value = *entry.value.get_ref();
            if !value.is_finite() || value < 0.0 {
                return Err(self.err(
                    entry.value.span(),
                    format!("{field}.value"),
                    format!("must be £ per unit, 0 or more, not {value}: value a harm as an outcome whose `better` is \"lower\" (each unit avoided then counts)"),
                ));
            }
            if entry.source.get_ref().trim().is_empty() {
                return Err(self.err(
                    entry.source.span(),
                    format!("{field}.source"),
                    "a money value must say where it comes from",
                ));
            }
            out.push(MonetisedOutcome {
                outcome,
                name: name.get_ref().clone(),
                value,
                source: entry.source.get_ref().trim().to_string(),
                note: entry.note.clone(),
            });
        }
        Ok(out)
    }
}
