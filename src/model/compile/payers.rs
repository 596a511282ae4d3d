//! `[payers]`: labels for the council, the NHS and the person, and the further payers (housing, DWP, police) whose
//! costs a scenario counts.

use super::Compiler;
use crate::error::{suggest, InputError};
use crate::model::{readable_name, Payers, MAX_PAYERS};
use crate::scenario::raw::RawPayer;
use serde_spanned::Spanned;
use std::collections::BTreeMap;

/// Names a payer may not take: roi.csv, budget.csv and per_year.csv write `total` for all payers, and `[[reproduce]]`
/// targets write `all`.
const RESERVED: [&str; 2] = ["total", "all"];

impl Compiler<'_> {
    /// The model's payers: the built-in three (relabelled where `[payers]` gives them a label), then the others
    /// `[payers]` names, in the order the file writes them.
    pub(super) fn payers(&self, raw: &BTreeMap<Spanned<String>, Spanned<RawPayer>>) -> Result<Payers, InputError> {
        let builtin = Payers::default();
        let mut entries: Vec<_> = raw.iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        let (mut labels, mut extra) = (Vec::new(), Vec::new());
        for (key, entry) in entries {
            let name = key.get_ref();
            let field = format!("payers.{name}");
            self.check_identifier(name, key.span(), &field)?;
            if RESERVED.contains(&name.as_str()) {
                return Err(self.err(
                    key.span(),
                    field,
                    format!("`{name}` cannot name a payer: the outputs write `total` for all payers together and [[reproduce]] writes `all`; choose another name"),
                ));
            }
            let label = match &entry.get_ref().label {
                Some(v) if v.get_ref().trim().is_empty() || v.get_ref().chars().any(char::is_control) => {
                    return Err(self.err(
                        v.span(),
                        format!("{field}.label"),
                        "the label must be readable text, not empty and without control characters",
                    ))
                }
                Some(v) => Some(v.get_ref().trim().to_string()),
                None => None,
            };
            match (builtin.parse(name), label) {
                (Some(_), Some(label)) => labels.push((name.clone(), label)),
                (Some(_), None) => {}
                (None, label) => extra.push((name.clone(), label.unwrap_or_else(|| readable_name(name)))),
            }
        }
        if builtin.len() + extra.len() > MAX_PAYERS {
            let key = raw
                .keys()
                .max_by_key(|k| k.span().start)
                .expect("more payers than the built-in ones");
            return Err(self.err(
                key.span(),
                "payers",
                format!("a model may have at most {MAX_PAYERS} payers, the council, the NHS and the person included"),
            ));
        }
        Ok(Payers::new(&labels, &extra))
    }

    /// The error for a payer name that is none of `payers`, at the name: the payers listed (`and` or `or` before the
    /// last, as `joined` says) and the nearest suggested.
    pub(super) fn unknown_payer(
        &self,
        payers: &Payers,
        name: &Spanned<String>,
        field: &str,
        lead: &str,
        joined: &str,
    ) -> InputError {
        self.err(
            name.span(),
            field,
            format!(
                "unknown payer `{}`: {lead} {}{}",
                name.get_ref(),
                payers.listed(joined),
                suggest(name.get_ref(), &payers.names())
            ),
        )
    }
}
