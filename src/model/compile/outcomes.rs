//! `[outcomes]`: each outcome's label, unit and direction, checked against the outcomes the states accrue.

use super::Compiler;
use crate::error::{suggest, InputError};
use crate::model::{Better, OutcomeInfo};
use crate::scenario::raw::RawOutcome;
use serde_spanned::Spanned;
use std::collections::BTreeMap;

/// The message for a name that is not one of the states' outcomes, with a suggestion where one is close.
pub(super) fn no_such_outcome(name: &str, outcomes: &[String]) -> String {
    let known: Vec<&str> = outcomes.iter().map(String::as_str).collect();
    format!("no state has an outcome named `{name}`{}", suggest(name, &known))
}

impl Compiler<'_> {
    /// The index of the outcome `name` names, or an error at its place naming `field`.
    pub(super) fn outcome_index(
        &self,
        name: &Spanned<String>,
        field: impl Into<String>,
        outcomes: &[String],
    ) -> Result<usize, InputError> {
        (outcomes.iter().position(|o| o == name.get_ref()))
            .ok_or_else(|| self.err(name.span(), field, no_such_outcome(name.get_ref(), outcomes)))
    }

    /// Each outcome's label, unit and direction, in `names` order: the `[outcomes]` entry where there is one, the
    /// defaults (the name made readable, more is better) elsewhere. An entry for an outcome no state accrues, an
    /// empty label or unit, or a direction other than `higher` or `lower` is an error.
    pub(super) fn outcome_info(
        &self,
        raw: &BTreeMap<Spanned<String>, Spanned<RawOutcome>>,
        names: &[String],
    ) -> Result<Vec<OutcomeInfo>, InputError> {
        for key in raw.keys() {
            self.outcome_index(key, format!("outcomes.{}", key.get_ref()), names)?;
        }
        names
            .iter()
            .map(|name| {
                let mut info = OutcomeInfo::named(name);
                let Some((_, entry)) = raw.iter().find(|(k, _)| k.get_ref() == name) else {
                    return Ok(info);
                };
                let entry = entry.get_ref();
                let text = |value: &Option<Spanned<String>>, key: &str| -> Result<Option<String>, InputError> {
                    match value {
                        Some(v) if v.get_ref().trim().is_empty() || v.get_ref().chars().any(char::is_control) => {
                            Err(self.err(
                                v.span(),
                                format!("outcomes.{name}.{key}"),
                                format!("the {key} must be readable text, not empty and without control characters"),
                            ))
                        }
                        Some(v) => Ok(Some(v.get_ref().trim().to_string())),
                        None => Ok(None),
                    }
                };
                if let Some(label) = text(&entry.label, "label")? {
                    info.unit = label.clone();
                    info.label = label;
                }
                if let Some(unit) = text(&entry.unit, "unit")? {
                    info.unit = unit;
                }
                if let Some(better) = &entry.better {
                    info.better = Better::parse(better.get_ref()).ok_or_else(|| {
                        self.err(
                            better.span(),
                            format!("outcomes.{name}.better"),
                            format!(
                                "`{}` is not a direction: use \"higher\" (more is better) or \"lower\" (less is better)",
                                better.get_ref()
                            ),
                        )
                    })?;
                }
                Ok(info)
            })
            .collect()
    }
}
