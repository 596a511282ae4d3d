//! Price indices: the years costs are priced in, the indices carecast carries (each a data file in `data/` with its
//! source and licence beside it) and a user's own index in a CSV file. An index never gives a year it does not hold:
//! nothing is interpolated or extrapolated.

use super::raw::RawPriceYear;
use crate::error::InputError;
use serde::{Serialize, Serializer};
use std::fmt;
use std::ops::Range;
use std::path::Path;

/// A price year: a calendar year (2015) or a financial year, April to March, named by the year it starts in
/// (`Financial(2015)` is 2015/16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PriceYear {
    Calendar(i64),
    Financial(i64),
}

impl PriceYear {
    /// The year as written in a scenario: a whole number is a calendar year, text of the form "2015/16" a financial
    /// year. Anything else is an error message.
    pub fn from_raw(raw: &RawPriceYear) -> Result<Self, String> {
        match raw {
            RawPriceYear::Calendar(y) if (1..=9999).contains(y) => Ok(PriceYear::Calendar(*y)),
            RawPriceYear::Calendar(y) => Err(format!("{y} is not a year")),
            RawPriceYear::Text(text) => Self::parse(text).ok_or_else(|| {
                format!(
                    "`{text}` is not a price year: write a calendar year as a number (2015) or a financial year in \
                     quotes (\"2015/16\")"
                )
            }),
        }
    }

    /// "2015/16" as a financial year, or "2015" as a calendar year (the form of an index file's `year` column).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let four = |s: &str| (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<i64>().ok())?;
        match text.split_once('/') {
            None => four(text).map(PriceYear::Calendar),
            Some((start, end)) => {
                let start = four(start)?;
                let follows = end.len() == 2
                    && end.bytes().all(|b| b.is_ascii_digit())
                    && end.parse::<i64>().ok()? == (start + 1) % 100;
                follows.then_some(PriceYear::Financial(start))
            }
        }
    }

    /// "calendar" or "financial".
    pub fn kind(self) -> &'static str {
        match self {
            PriceYear::Calendar(_) => "calendar",
            PriceYear::Financial(_) => "financial",
        }
    }

    fn start(self) -> i64 {
        match self {
            PriceYear::Calendar(y) | PriceYear::Financial(y) => y,
        }
    }

    /// The year before (the same kind).
    fn previous(self) -> Self {
        match self {
            PriceYear::Calendar(y) => PriceYear::Calendar(y - 1),
            PriceYear::Financial(y) => PriceYear::Financial(y - 1),
        }
    }
}

impl fmt::Display for PriceYear {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            PriceYear::Calendar(y) => write!(f, "{y}"),
            PriceYear::Financial(y) => write!(f, "{y}/{:02}", (y + 1) % 100),
        }
    }
}

// A calendar year stays a number in summary.json (as it always was); a financial year is its label.
impl Serialize for PriceYear {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            PriceYear::Calendar(y) => serializer.serialize_i64(*y),
            PriceYear::Financial(_) => serializer.serialize_str(&self.to_string()),
        }
    }
}

/// How an index's values read.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Values {
    /// Index levels: a cost moves by the ratio of two years' levels.
    Levels,
    /// % change into each year from the year before: a cost moves by the chained product of (1 + v/100).
    PercentChanges,
}

/// A price index: consecutive years of one kind with a value for each, its name and where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceIndex {
    /// The name a scenario gives it (`nhscii_pay_and_prices`), or the file it was read from.
    pub name: String,
    /// Its source and licence in full, or for a user's file, its path.
    pub citation: String,
    /// `(year, value)` for consecutive years, in order. For % changes, the first year is the base (value 0, read
    /// from no row): the first row is the change into the year after it.
    years: Vec<(PriceYear, f64)>,
    values: Values,
}

/// An index carecast carries: the name a scenario gives, its file in `data/`, the file's text and its citation.
struct BuiltinIndex {
    name: &'static str,
    file: &'static str,
    text: &'static str,
    citation: &'static str,
}

/// The indices carecast carries. Each is a data file of its own with its source and licence in `data/<file>.md`;
/// the NHSCII figures are CC BY-NC-SA 4.0, so they stay in their file and are embedded as that file's text.
const BUILTIN_INDICES: [BuiltinIndex; 2] = [
    BuiltinIndex {
        name: "nhscii_pay_and_prices",
        file: "data/nhscii-pay-and-prices.csv",
        text: include_str!("../../data/nhscii-pay-and-prices.csv"),
        citation: "NHS Cost Inflation Index, pay and prices (% change into each financial year, base 2014/15): \
                   Jones K.C. et al. (2026) Unit Costs of Health and Social Care 2025 Manual, PSSRU (University of \
                   Kent) & Centre for Health Economics (University of York), doi:10.22024/UniKent/01.02.115569. \
                   Licensed CC BY-NC-SA 4.0 (data/nhscii-pay-and-prices.md). 2024/25 is provisional.",
    },
    BuiltinIndex {
        name: "hmt_gdp_deflator",
        file: "data/hmt-gdp-deflator-sep2016.csv",
        text: include_str!("../../data/hmt-gdp-deflator-sep2016.csv"),
        citation: "HM Treasury, GDP deflators at market prices, and money GDP, September 2016 update (Quarterly \
                   National Accounts), calendar years, 2015 = 100 (data/hmt-gdp-deflator-sep2016.md). Contains public \
                   sector information licensed under the Open Government Licence v3.0.",
    },
];

/// The names of the indices carecast carries.
pub fn builtin_index_names() -> Vec<&'static str> {
    BUILTIN_INDICES.iter().map(|b| b.name).collect()
}

impl PriceIndex {
    /// An index carecast carries, by name; None for an unknown name.
    pub fn builtin(name: &str) -> Option<Self> {
        let b = BUILTIN_INDICES.iter().find(|b| b.name == name)?;
        let index = Self::read_csv(Path::new(b.file), b.text, b.name, b.citation);
        // The bundled files are checked by the tests; a broken one is a build defect, not an input error.
        Some(index.unwrap_or_else(|e| panic!("bundled index {} is broken: {e}", b.file)))
    }

    /// An index from CSV text: a `year` column (calendar years `2015` or financial years `2015/16`, one kind,
    /// consecutive, in order) and either an `index` column (levels, above 0) or a `pct_change` column (% change into
    /// each year from the one before, above −100). Errors point at the file's line and column.
    pub fn read_csv(path: &Path, text: &str, name: &str, citation: &str) -> Result<Self, InputError> {
        let err = |span: Range<usize>, field: &str, message: String| InputError::at(path, text, span, field, message);
        let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let header_end = text.find(['\r', '\n']).unwrap_or(text.len()).max(bom + 1);
        let header_at = bom..header_end;
        let mut reader = csv::ReaderBuilder::new().from_reader(&text.as_bytes()[bom..]);
        let headers: Vec<String> = (reader.headers())
            .map_err(|e| err(header_at.clone(), "header", format!("cannot read the header row: {e}")))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let find = |n: &str| headers.iter().position(|h| h == n);
        let columns = format!("the header has: {}", headers.join(", "));
        let year_column =
            find("year").ok_or_else(|| err(header_at.clone(), "header", format!("no `year` column; {columns}")))?;
        let (value_column, values) = match (find("index"), find("pct_change")) {
            (Some(c), None) => (c, Values::Levels),
            (None, Some(c)) => (c, Values::PercentChanges),
            _ => {
                return Err(err(
                    header_at,
                    "header",
                    format!(
                        "give exactly one of an `index` column (index levels) and a `pct_change` column (% change \
                         into each year from the year before); {columns}"
                    ),
                ))
            }
        };
        let value_name = headers[value_column].clone();
        let mut years: Vec<(PriceYear, f64)> = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let at = e
                    .position()
                    .map_or(header_at.clone(), |p| line_span(text, p.byte() as usize + bom));
                err(at, "row", format!("cannot read this row: {e}"))
            })?;
            let start = record.position().map_or(0, |p| p.byte() as usize) + bom;
            let line = line_span(text, start);
            let cell = |i: usize| match (record.range(i), text[line.clone()].contains('"')) {
                (Some(r), false) => start + r.start + i..start + r.end.max(r.start + 1) + i,
                _ => line.clone(),
            };
            let year_text = record.get(year_column).unwrap_or("").trim();
            let year = PriceYear::parse(year_text).ok_or_else(|| {
                err(
                    cell(year_column),
                    "year",
                    format!("`{year_text}` is not a year: write a calendar year (2015) or a financial year (2015/16)"),
                )
            })?;
            let raw = record.get(value_column).unwrap_or("").trim();
            let value = raw.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
                err(
                    cell(value_column),
                    &value_name,
                    format!("`{raw}` is not a finite number"),
                )
            })?;
            let out_of_range = match values {
                Values::Levels => (value <= 0.0).then_some("an index level must be above 0"),
                Values::PercentChanges => (value <= -100.0).then_some("a % change must be above -100"),
            };
            if let Some(why) = out_of_range {
                return Err(err(cell(value_column), &value_name, format!("{why}, not {raw}")));
            }
            if values == Values::PercentChanges && years.is_empty() {
                // The base year: the first change is from it.
                years.push((year.previous(), 0.0));
            }
            if let Some(&(last, _)) = years.last() {
                if year.kind() != last.kind() || year.start() != last.start() + 1 {
                    return Err(err(
                        cell(year_column),
                        "year",
                        format!(
                            "years must be consecutive {} years in order: {year} follows {last}",
                            last.kind()
                        ),
                    ));
                }
            }
            years.push((year, value));
        }
        if years.is_empty() {
            return Err(InputError::file(path, "the index has no rows"));
        }
        Ok(PriceIndex {
            name: name.to_string(),
            citation: citation.to_string(),
            years,
            values,
        })
    }

    /// The years the index covers, in words: "financial years 2014/15 to 2024/25".
    pub fn coverage(&self) -> String {
        let (first, last) = (self.years[0].0, self.years[self.years.len() - 1].0);
        format!("{} years {first} to {last}", first.kind())
    }

    /// Whether the index gives `year` (its kind and within its years).
    pub fn covers(&self, year: PriceYear) -> bool {
        self.position(year).is_some()
    }

    fn position(&self, year: PriceYear) -> Option<usize> {
        self.years.iter().position(|(y, _)| *y == year)
    }

    /// The factor that takes a cost at `from` prices to `to` prices: index(to) / index(from), or for % changes the
    /// product of (1 + v/100) over the years after `from` up to `to` (its inverse when `to` is earlier). None when
    /// the index does not cover both years.
    pub fn factor(&self, from: PriceYear, to: PriceYear) -> Option<f64> {
        let (i, j) = (self.position(from)?, self.position(to)?);
        Some(match self.values {
            Values::Levels => self.years[j].1 / self.years[i].1,
            Values::PercentChanges => {
                let chain = |a: usize, b: usize| {
                    self.years[a + 1..=b]
                        .iter()
                        .map(|(_, v)| 1.0 + v / 100.0)
                        .product::<f64>()
                };
                if j >= i {
                    chain(i, j)
                } else {
                    1.0 / chain(j, i)
                }
            }
        })
    }
}

/// The span of the line that starts at byte `start` of `text` (without its line break).
fn line_span(text: &str, start: usize) -> Range<usize> {
    let start = start.min(text.len());
    let end = text[start..].find(['\r', '\n']).map_or(text.len(), |i| start + i);
    start..end.max(start + 1)
}

/// The index `[prices]` names, read: a bundled one, or a CSV file relative to the scenario at `path` (read only when
/// `read_files` is set). None without `[prices]`.
pub(super) fn read_index(
    path: &Path,
    text: &str,
    raw: &super::raw::RawScenario,
    read_files: bool,
) -> Result<Option<PriceIndex>, InputError> {
    use super::raw::RawIndexChoice;
    let Some(prices) = &raw.prices else {
        return Ok(None);
    };
    let index = &prices.get_ref().index;
    let err = |message: String| InputError::at(path, text, index.span(), "prices.index", message);
    match index.get_ref() {
        RawIndexChoice::Named(name) => PriceIndex::builtin(name).map(Some).ok_or_else(|| {
            err(format!(
                "no index is named `{name}`{}; carecast carries {}, or give your own as {{ file = \"my-index.csv\" }}",
                crate::error::suggest(name, &builtin_index_names()),
                builtin_index_names().join(" and ")
            ))
        }),
        RawIndexChoice::File(file) => {
            if !read_files {
                return Err(err(
                    "an index in a file is read relative to the scenario file, so the scenario must be read from a \
                     file (this one was given as text)"
                        .into(),
                ));
            }
            let csv_path = path.parent().unwrap_or(Path::new("")).join(file);
            let bytes = std::fs::read(&csv_path)
                .map_err(|e| err(format!("cannot read the index file {}: {e}", csv_path.display())))?;
            let csv_text = String::from_utf8(bytes).map_err(|e| {
                err(format!(
                    "the index file {} is not valid UTF-8 text (byte {})",
                    csv_path.display(),
                    e.utf8_error().valid_up_to()
                ))
            })?;
            let citation = format!("the scenario's own index, file {file}");
            PriceIndex::read_csv(&csv_path, &csv_text, file, &citation).map(Some)
        }
    }
}
