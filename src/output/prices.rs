//! Costs converted to the scenario's price year, as `check` and the report show them: each cost's values as
//! written, its price year, the index's factor and the values the model uses.

use crate::model::prices::{ConvertedCost, PriceConversions};
use std::fmt::Write;

/// Values by field, to the penny (to four decimals below 1, for a lognormal's `meanlog` or a gamma's `rate`):
/// "mean 100.00, sd 20.00".
pub(crate) fn values(values: &[(String, f64)]) -> String {
    let one = |(name, v): &(String, f64)| {
        if v.abs() >= 1.0 {
            format!("{name} {v:.2}")
        } else {
            format!("{name} {v:.4}")
        }
    };
    values.iter().map(one).collect::<Vec<_>>().join(", ")
}

/// The factor, to six decimals: enough to redo the conversion by hand.
pub(crate) fn factor(c: &ConvertedCost) -> String {
    format!("{:.6}", c.factor)
}

/// The index in one line: "prices: converted to 2018/19 with nhscii_pay_and_prices (covers ...): source".
pub(crate) fn index_line(p: &PriceConversions) -> String {
    format!(
        "prices: costs converted to {} prices with the index `{}` ({}): {}",
        p.to, p.index, p.covers, p.source
    )
}

/// What `check` prints about prices: the index and every conversion (nothing when the scenario names no index).
pub fn check_lines(p: Option<&PriceConversions>) -> String {
    let Some(p) = p else {
        return String::new();
    };
    let mut out = index_line(p);
    out.push('\n');
    if let Some(note) = &p.note {
        let _ = writeln!(out, "  note: {note}");
    }
    for c in &p.costs {
        let _ = writeln!(
            out,
            "  {} ({}): {} at {} prices × {} = {} at {} prices",
            c.name,
            c.field,
            values(&c.original),
            c.from,
            factor(c),
            values(&c.converted),
            p.to
        );
    }
    out
}
