//! Lookup tables as a scenario defines them (`[tables]`): keys, values, the rule past the largest key and where the
//! values came from; the tables carecast carries (the ONS national life tables); and the lookup itself.
//!
//! Reading a table (from a CSV file, inline rows or a built-in name) and every check on it are in
//! `table_reader`; a table reaches the model only whole and consistent.

use serde::Serialize;
use std::ops::Range;

/// What a key of a table is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeyKind {
    /// Sex: `male` (looked up as 0) or `female` (1).
    Sex,
    /// Whole numbers from `first` to `first + count − 1`, every one with a row; a lookup rounds its key down.
    Whole { first: i64, count: usize },
}

/// A table's key: its name (`age`, `sex`, `cycle`, `time_in_state`) and what it takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Key {
    pub name: String,
    #[serde(flatten)]
    pub kind: KeyKind,
}

impl Key {
    /// How many values the key takes.
    fn count(&self) -> usize {
        match self.kind {
            KeyKind::Sex => 2,
            KeyKind::Whole { count, .. } => count,
        }
    }
}

/// What a lookup past the largest value of a whole-number key gives.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Beyond {
    /// The value of the last row (for the other keys' values).
    Last,
    /// This value.
    Value(f64),
    /// Nothing: the lookup is refused.
    Error,
}

impl Beyond {
    /// The rule as a scenario writes it.
    pub fn describe(self) -> String {
        match self {
            Beyond::Last => "last".into(),
            Beyond::Value(v) => format!("{v}"),
            Beyond::Error => "error".into(),
        }
    }
}

/// Where a table's values came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A table carecast carries: its name, the file it was made from, and the full citation with the licence.
    Builtin {
        name: String,
        file: String,
        citation: String,
    },
    /// A CSV file, as the scenario names it, relative to the scenario file.
    File { path: String },
    /// Rows written in the scenario.
    Inline,
}

/// A lookup table, read and checked: a value for every combination of its keys' values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub name: String,
    pub keys: Vec<Key>,
    /// Row-major in key order (the last key varies fastest).
    #[serde(skip)]
    pub values: Vec<f64>,
    /// The column the values were read from.
    pub value_column: String,
    pub beyond: Beyond,
    pub origin: Origin,
    /// The scenario's `[sources]` key the table cites, if any.
    pub source: Option<String>,
    pub note: Option<String>,
    /// Where the table is declared in the scenario file.
    #[serde(skip)]
    pub span: Range<usize>,
}

impl Table {
    /// The value for the keys `args` (a whole-number key rounded down; sex 0 for male, 1 for female), or why there is
    /// none, in words for an error message.
    pub fn lookup(&self, args: &[f64]) -> Result<f64, String> {
        let mut index = 0;
        // A key past its last row under `beyond = <number>` gives that number, once every key has been checked.
        let mut past: Option<f64> = None;
        for (key, &x) in self.keys.iter().zip(args) {
            let position = match key.kind {
                KeyKind::Sex if x == 0.0 || x == 1.0 => x as usize,
                KeyKind::Sex => {
                    return Err(format!(
                        "the key `{}` of table `{}` is {x}, but a sex is 0 (male) or 1 (female)",
                        key.name, self.name
                    ))
                }
                KeyKind::Whole { first, count } => {
                    if !x.is_finite() {
                        return Err(format!(
                            "the key `{}` of table `{}` is {x}, not a number",
                            key.name, self.name
                        ));
                    }
                    // Rounded down, within 10⁻⁹ against rounding in cycle times (12 months of 1/12 year).
                    let whole = (x + 1e-9).floor();
                    let last = first + count as i64 - 1;
                    if whole < first as f64 {
                        return Err(format!(
                            "the key `{}` of table `{}` is {x}, below its first row ({first}); the table must cover \
                             every value its lookups use",
                            key.name, self.name
                        ));
                    }
                    if whole > last as f64 {
                        match self.beyond {
                            Beyond::Last => count - 1,
                            Beyond::Value(v) => {
                                past = Some(v);
                                count - 1
                            }
                            Beyond::Error => {
                                return Err(format!(
                                    "the key `{}` of table `{}` is {x}, past its last row ({last}), and the table's \
                                     `beyond` is \"error\"",
                                    key.name, self.name
                                ))
                            }
                        }
                    } else {
                        (whole as i64 - first) as usize
                    }
                }
            };
            index = index * key.count() + position;
        }
        Ok(past.unwrap_or(self.values[index]))
    }

    /// How many rows the table has (one per combination of its keys' values).
    pub fn rows(&self) -> usize {
        self.values.len()
    }
}

/// A table carecast carries: the name a scenario gives as `builtin`, the file in `data/`, its text and its citation.
pub(super) struct Builtin {
    pub(super) name: &'static str,
    pub(super) file: &'static str,
    pub(super) text: &'static str,
    pub(super) citation: &'static str,
}

/// The ONS national life tables (qx by single year of age 0–100 and sex), with their sources and licence as
/// `data/*.md` records them.
pub(super) const BUILTINS: [Builtin; 3] = [
    Builtin {
        name: "ons_england_2017_2019",
        file: "data/ons-life-table-england-2017-2019.csv",
        text: include_str!("../../data/ons-life-table-england-2017-2019.csv"),
        citation: "Office for National Statistics, National life tables: England, 2017-2019 (qx by single year of \
                   age and sex), workbook nationallifetables3yreng.xlsx, edition 1980-1982 to 2018-2020, published \
                   23 September 2021. Source: Office for National Statistics licensed under the Open Government \
                   Licence v3.0. © Crown copyright 2021.",
    },
    Builtin {
        name: "ons_england_2018_2020",
        file: "data/ons-life-table-england-2018-2020.csv",
        text: include_str!("../../data/ons-life-table-england-2018-2020.csv"),
        citation: "Office for National Statistics, National life tables: England, 2018-2020 (qx by single year of \
                   age and sex; includes 2020 COVID-19 deaths), workbook nationallifetables3yreng.xlsx, edition \
                   1980-1982 to 2018-2020, published 23 September 2021. Source: Office for National Statistics \
                   licensed under the Open Government Licence v3.0. © Crown copyright 2021.",
    },
    Builtin {
        name: "ons_uk_2020_2022",
        file: "data/ons-life-table-uk-2020-2022.csv",
        text: include_str!("../../data/ons-life-table-uk-2020-2022.csv"),
        citation: "Office for National Statistics, National life tables: United Kingdom, 2020-2022 (qx by single \
                   year of age and sex; UK, not England; provisional), workbook nltuk198020203.xlsx, published 11 \
                   January 2024. Source: Office for National Statistics licensed under the Open Government Licence \
                   v3.0. © Crown copyright 2024.",
    },
];

/// The names of the tables carecast carries.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTINS.iter().map(|b| b.name).collect()
}
