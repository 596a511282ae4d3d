//! Who pays: the council, the NHS and the person, always, in that order, then the organisations a scenario declares
//! in `[payers]` (housing, DWP, police), in the order it declares them; and the layout of the value columns, which
//! has a care, a cashable-care and a spend column for each of them.

use serde::Serialize;
use std::borrow::Cow;

/// Who pays a cost: a position among the model's payers ([`Payers`]), which hold its name and label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Payer(u16);

// The built-in payers are named as the enum they replace was, so that code naming them reads as it did.
#[allow(non_upper_case_globals)]
impl Payer {
    /// The council (adult social care): always the first payer.
    pub const Council: Payer = Payer(0);
    /// The NHS: always the second payer.
    pub const Nhs: Payer = Payer(1);
    /// The person and their family: always the third payer.
    pub const Person: Payer = Payer(2);
    /// The payers every model has, in column order; a scenario's own follow them.
    pub const BUILT_IN: [Payer; 3] = [Payer::Council, Payer::Nhs, Payer::Person];

    /// Position among the model's payers (column order).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The most payers a model may have: the built-in three and the scenario's own.
pub const MAX_PAYERS: usize = 32;

/// A built-in payer's name, its label in tables, and how sentences name it (and whether that takes a plural verb).
const BUILT_IN: [(&str, &str, &str, bool); 3] = [
    ("council", "council", "the council", false),
    ("nhs", "NHS", "the NHS", false),
    ("person", "person", "people and their families", true),
];

/// One payer's name (as scenarios and files write it) and how people read it. The built-in payers' texts are
/// borrowed, so that a model without payers of its own allocates none for them (every model is compiled, and cloned
/// for the cash and by-cycle runs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayerInfo {
    /// The identifier scenarios and file columns use: `housing`.
    pub name: Cow<'static, str>,
    /// What tables show: "Housing association" (the built-ins: "council", "NHS", "person" unless relabelled).
    pub label: Cow<'static, str>,
    /// How sentences name it: "the council", or the label for a payer the scenario declares or relabels.
    #[serde(skip)]
    pub words: Cow<'static, str>,
    /// Whether `words` takes a plural verb ("people and their families save").
    #[serde(skip)]
    pub plural: bool,
}

/// The payers of a model in column order: the built-in three, then the scenario's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Payers(Vec<PayerInfo>);

impl Default for Payers {
    fn default() -> Self {
        Payers(
            BUILT_IN
                .iter()
                .map(|&(name, label, words, plural)| PayerInfo {
                    name: Cow::Borrowed(name),
                    label: Cow::Borrowed(label),
                    words: Cow::Borrowed(words),
                    plural,
                })
                .collect(),
        )
    }
}

impl Payers {
    /// The built-in payers, relabelled where `labels` says (by name), then `extra` (name, label) in that order. The
    /// caller has checked the names (identifiers, none repeated, none built-in, at most [`MAX_PAYERS`] in all).
    pub fn new(labels: &[(String, String)], extra: &[(String, String)]) -> Self {
        let mut payers = Payers::default();
        for (name, label) in labels {
            if let Some(p) = payers.0.iter_mut().find(|p| p.name == name.as_str()) {
                (p.label, p.words, p.plural) = (label.clone().into(), label.clone().into(), false);
            }
        }
        for (name, label) in extra {
            payers.0.push(PayerInfo {
                name: name.clone().into(),
                label: label.clone().into(),
                words: label.clone().into(),
                plural: false,
            });
        }
        payers
    }

    /// Payers named in the CSV's columns, in the order given (the built-in three first): `carecast analyse` reads
    /// them from a PSA sample, which carries names but no labels, so a declared payer's label is its name.
    pub fn named(extra: &[String]) -> Self {
        let pairs: Vec<(String, String)> = extra.iter().map(|n| (n.clone(), n.clone())).collect();
        Payers::new(&[], &pairs)
    }

    /// How many payers there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: the built-in payers are always there.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether these are the built-in payers as they come (no payer declared, none relabelled).
    pub fn is_built_in(&self) -> bool {
        *self == Payers::default()
    }

    /// Every payer, in column order.
    pub fn all(&self) -> impl ExactSizeIterator<Item = Payer> + Clone {
        (0..self.0.len() as u16).map(Payer)
    }

    /// A payer's name, its label and how sentences name it.
    pub fn info(&self, p: Payer) -> &PayerInfo {
        &self.0[p.index()]
    }

    /// The name as written in scenarios and outputs: `council`, `housing`.
    pub fn name(&self, p: Payer) -> &str {
        &self.0[p.index()].name
    }

    /// The label people read in tables.
    pub fn label(&self, p: Payer) -> &str {
        &self.0[p.index()].label
    }

    /// The payer of a name, if there is one.
    pub fn parse(&self, name: &str) -> Option<Payer> {
        self.0.iter().position(|p| p.name == name).map(|i| Payer(i as u16))
    }

    /// Every payer's name, in column order (for "did you mean" and messages).
    pub fn names(&self) -> Vec<&str> {
        self.0.iter().map(|p| p.name.as_ref()).collect()
    }

    /// The names in words, "council, nhs, person or housing", joined by `last` ("or", "and").
    pub fn listed(&self, last: &str) -> String {
        let names = self.names();
        match names.split_last() {
            Some((tail, rest)) if !rest.is_empty() => format!("{} {last} {tail}", rest.join(", ")),
            _ => names.join(""),
        }
    }

    /// The payer of a name ("total" meaning everyone) as sentences name it: "the council", "all payers".
    pub fn words_of(&self, name: &str) -> &str {
        self.parse(name)
            .map_or("all payers", |p| self.0[p.index()].words.as_ref())
    }

    /// The payer of a name ("total" meaning everyone) as tables label it: "NHS", "all payers".
    pub fn label_of(&self, name: &str) -> &str {
        self.parse(name).map_or("all payers", |p| self.label(p))
    }

    /// The layout of the value columns for these payers.
    pub fn columns(&self) -> Columns {
        Columns::new(self.len())
    }
}

/// The layout of the value columns every arm accumulates: care costs by payer, the cashable part of them by payer,
/// intervention spend by payer, then the outcomes. With the built-in three payers, columns 0–2 are care, 3–5
/// cashable care, 6–8 spend and 9.. outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    payers: usize,
}

impl Columns {
    /// The layout of a model with the built-in payers only (none declared): for tests and examples that know so.
    pub const BUILT_IN: Columns = Columns { payers: 3 };

    /// The layout for `payers` payers.
    pub fn new(payers: usize) -> Self {
        Columns { payers }
    }

    /// Number of cost columns before the outcomes.
    pub fn cost_columns(self) -> usize {
        3 * self.payers
    }

    /// Downstream (care) cost column of a payer.
    pub fn care(self, p: Payer) -> usize {
        p.index()
    }

    /// Cashable part of the downstream cost of a payer.
    pub fn cashable(self, p: Payer) -> usize {
        self.payers + p.index()
    }

    /// Intervention spend column of a payer.
    pub fn spend(self, p: Payer) -> usize {
        2 * self.payers + p.index()
    }

    /// Column of outcome number `i`.
    pub fn outcome(self, i: usize) -> usize {
        self.cost_columns() + i
    }

    /// Whether a column holds the cashable part of a care cost (which is not added to totals: care holds it).
    pub fn is_cashable(self, column: usize) -> bool {
        (self.payers..2 * self.payers).contains(&column)
    }

    /// What a cost column holds ("care", "cashable_care" or "spend") and whose it is; None for an outcome's.
    pub fn cost_of(self, column: usize) -> Option<(&'static str, Payer)> {
        let kind = ["care", "cashable_care", "spend"].get(column / self.payers.max(1))?;
        Some((kind, Payer((column % self.payers) as u16)))
    }
}

/// Whether a name is one a PSA sample's CSV (a run's iterations.csv, or another model's output read by `carecast
/// analyse`) gives a fixed role: the iteration, the arm, the total cost, the effect, or a cost by kind and payer
/// (`care_housing` where a payer `housing` is declared). An outcome may not be named so, or the table would read back
/// with the roles mixed up.
pub fn is_reserved_column(name: &str, payers: &Payers) -> bool {
    ["iteration", "arm", "cost", "cost_total", "effect"].contains(&name)
        || payers.names().iter().any(|p| {
            ["care", "cashable_care", "spend"]
                .iter()
                .any(|kind| name == format!("{kind}_{p}"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_with_a_fourth_payer_put_every_kind_of_cost_together_then_the_outcomes() {
        let payers = Payers::new(&[], &[("housing".into(), "Housing association".into())]);
        let housing = payers.parse("housing").expect("declared");
        let c = payers.columns();
        // care 0..4, cashable 4..8, spend 8..12, outcomes 12..
        assert_eq!([c.care(Payer::Council), c.care(housing)], [0, 3]);
        assert_eq!([c.cashable(Payer::Council), c.cashable(housing)], [4, 7]);
        assert_eq!([c.spend(Payer::Council), c.spend(housing)], [8, 11]);
        assert_eq!(c.outcome(0), 12);
        assert_eq!(c.cost_of(7), Some(("cashable_care", housing)));
        assert_eq!(c.cost_of(12), None);
        assert!(c.is_cashable(4) && c.is_cashable(7) && !c.is_cashable(8) && !c.is_cashable(3));
    }

    #[test]
    fn the_built_in_layout_is_as_it_always_was() {
        let c = Payers::default().columns();
        assert_eq!(c.cost_columns(), 9);
        assert_eq!(
            [c.care(Payer::Person), c.cashable(Payer::Council), c.spend(Payer::Nhs)],
            [2, 3, 7]
        );
    }

    #[test]
    fn labels_words_and_reserved_names() {
        let payers = Payers::new(
            &[("council".into(), "Kent County Council".into())],
            &[("dwp".into(), "DWP".into())],
        );
        assert_eq!(payers.words_of("council"), "Kent County Council");
        assert_eq!(payers.words_of("nhs"), "the NHS");
        assert_eq!(payers.words_of("total"), "all payers");
        assert_eq!(payers.label_of("dwp"), "DWP");
        assert_eq!(payers.listed("or"), "council, nhs, person or dwp");
        assert!(is_reserved_column("spend_dwp", &payers));
        assert!(!is_reserved_column("spend_dwp", &Payers::default()));
        assert!(!payers.is_built_in() && Payers::default().is_built_in());
    }
}
