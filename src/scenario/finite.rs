//! Every number in a scenario is a finite number: TOML allows `nan` and `inf`, which no input of carecast means.
//! Checked on the document as written, before its tables are read, so that the error points at the number.

use crate::error::InputError;
use serde_spanned::Spanned;
use std::path::Path;
use toml::de::{DeTable, DeValue};

/// The first non-finite float in the document, as an error at its position; nothing for a document that does not
/// parse (the reader of its tables reports that).
pub(super) fn check_finite(path: &Path, text: &str) -> Result<(), InputError> {
    let Ok(document) = DeTable::parse(text) else {
        return Ok(());
    };
    match first_non_finite_in_table(document.get_ref(), "") {
        Some((field, span, written)) => Err(InputError::at(
            path,
            text,
            span,
            field,
            format!("`{written}` is not a finite number; every number in a scenario must be finite"),
        )),
        None => Ok(()),
    }
}

/// (dotted field, span, the number as written) of the first non-finite float, depth first in key order.
type Found = (String, std::ops::Range<usize>, String);

fn first_non_finite_in_table(table: &DeTable, prefix: &str) -> Option<Found> {
    table.iter().find_map(|(key, value)| {
        let field = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        first_non_finite(value, &field)
    })
}

// Arrays and tables nest as deep as the document, which the TOML parser has already bounded.
fn first_non_finite(value: &Spanned<DeValue>, field: &str) -> Option<Found> {
    match value.get_ref() {
        DeValue::Float(f) => {
            let written = f.as_str();
            let finite = written.replace('_', "").parse::<f64>().is_ok_and(f64::is_finite);
            (!finite).then(|| (field.to_string(), value.span(), written.to_string()))
        }
        DeValue::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| first_non_finite(item, &format!("{field}[{i}]"))),
        DeValue::Table(table) => first_non_finite_in_table(table, field),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<(), String> {
        check_finite(Path::new("s.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn nan_and_infinities_are_refused_where_they_are_written() {
        let e = check("[settings]\ndiscount_rate_costs = [{ from_year = nan, rate = 0.03 }]\n").unwrap_err();
        assert!(
            e.starts_with(
                "error: s.toml:2:38: field `settings.discount_rate_costs[0].from_year`: `nan` is not a finite number"
            ),
            "{e}"
        );
        for written in ["inf", "+inf", "-inf", "+nan", "-nan"] {
            let e = check(&format!(
                "[parameters]\nx = {{ dist = \"normal\", mean = {written}, sd = 1 }}\n"
            ))
            .unwrap_err();
            assert!(
                e.contains("field `parameters.x.mean`") && e.contains(&format!("`{written}`")),
                "{e}"
            );
        }
        let e = check("[[arms]]\nname = \"a\"\n[[arms]]\nname = \"b\"\ncosts = [{ amount = -inf }]\n").unwrap_err();
        assert!(e.contains("field `arms[1].costs[0].amount`") && e.contains("5:"), "{e}");
    }

    #[test]
    fn finite_numbers_and_unparsable_documents_pass_to_the_reader() {
        assert!(check("a = 1.5e300\nb = -0.0\nc = 1_000.5\nd = [1, 2.5]\ne = \"nan\"\n").is_ok());
        assert!(check("a = [unclosed").is_ok());
    }
}
