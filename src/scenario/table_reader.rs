//! Reading `[tables]`: each table's rows from a CSV file beside the scenario, from inline rows, or from a built-in
//! table, checked into a [`Table`] with a value for every combination of its keys. Errors in a CSV file point at its
//! line and column; errors in the scenario at the key that is wrong.

use super::raw::{RawBeyond, RawScenario, RawTable, RawTableCell, RawTableKeys};
use super::tables::{Beyond, Builtin, Key, KeyKind, Origin, Table, BUILTINS};
use crate::error::{suggest, InputError};
use serde_spanned::Spanned;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The keys a table may have.
const KEY_NAMES: [&str; 4] = ["age", "sex", "cycle", "time_in_state"];

/// The most rows a table may have: a lookup table, not a data set.
pub const MAX_TABLE_ROWS: usize = 1_000_000;

/// A key's value in one row: a sex (0 male, 1 female) or a whole number.
type KeyValue = i64;

/// One row read: its keys' values, its value, and where it is (for errors about it).
struct Row {
    keys: Vec<KeyValue>,
    value: f64,
    at: Place,
}

/// Where a row or cell is: a span of the scenario's text or of a CSV file's.
#[derive(Clone)]
struct Place {
    span: Range<usize>,
    field: String,
}

/// The text a table's errors point into: the scenario's, or a CSV file's.
struct Source<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Source<'_> {
    fn err(&self, at: &Place, message: impl Into<String>) -> InputError {
        InputError::at(self.path, self.text, at.span.clone(), at.field.clone(), message)
    }
}

/// Every table of the scenario at `path` (whose text is `text`), in name order. Tables in CSV files are read only
/// when `read_files` is set (relative to the scenario file's directory); otherwise such a table is an error.
pub(super) fn read_tables(
    path: &Path,
    text: &str,
    raw: &RawScenario,
    read_files: bool,
) -> Result<Vec<Table>, InputError> {
    let scenario = Source { path, text };
    let mut tables = Vec::new();
    for (name, table) in &raw.tables {
        let field = format!("tables.{}", name.get_ref());
        let t = table.get_ref();
        if let Some(src) = &t.source {
            if !raw.sources.contains_key(src.get_ref()) {
                let known: Vec<&str> = raw.sources.keys().map(String::as_str).collect();
                return Err(scenario.err(
                    &place(src.span(), &format!("{field}.source")),
                    format!(
                        "no source is named `{}` in [sources]{}",
                        src.get_ref(),
                        suggest(src.get_ref(), &known)
                    ),
                ));
            }
        }
        let beyond = beyond(&scenario, &t.beyond, &field)?;
        let reading = Reading {
            scenario: &scenario,
            field: &field,
            table: t,
            span: table.span(),
        };
        let (keys, value_column, origin, rows, csv) = reading.rows(read_files)?;
        let grid_source = csv.as_ref().map_or(
            Source {
                path: scenario.path,
                text: scenario.text,
            },
            |(p, t)| Source { path: p, text: t },
        );
        let (keys, values) = grid(&grid_source, &keys, rows, &field, table.span(), csv.is_some())?;
        tables.push(Table {
            name: name.get_ref().clone(),
            keys,
            values,
            value_column,
            beyond,
            origin,
            source: t.source.as_ref().map(|s| s.get_ref().clone()),
            note: t.note.clone(),
            span: name.span(),
        });
    }
    Ok(tables)
}

fn place(span: Range<usize>, field: &str) -> Place {
    Place {
        span,
        field: field.to_string(),
    }
}

/// The rule past the largest key: `"last"`, `"error"` or a finite number.
fn beyond(scenario: &Source, raw: &Spanned<RawBeyond>, field: &str) -> Result<Beyond, InputError> {
    let at = place(raw.span(), &format!("{field}.beyond"));
    match raw.get_ref() {
        RawBeyond::Number(v) if v.is_finite() => Ok(Beyond::Value(*v)),
        RawBeyond::Number(v) => Err(scenario.err(&at, format!("`beyond` must be a finite number, not {v}"))),
        RawBeyond::Rule(r) if r == "last" => Ok(Beyond::Last),
        RawBeyond::Rule(r) if r == "error" => Ok(Beyond::Error),
        RawBeyond::Rule(r) => Err(scenario.err(
            &at,
            format!(
                "unknown rule `{r}`: past its last row a table gives \"last\" (the last row's value), a number (such \
                 as 1 for a probability of death past the oldest age), or \"error\"{}",
                suggest(r, &["last", "error"])
            ),
        )),
    }
}

/// A table's rows, keys and origin, read from wherever the table says.
struct Reading<'a> {
    scenario: &'a Source<'a>,
    field: &'a str,
    table: &'a RawTable,
    span: Range<usize>,
}

/// What [`Reading::rows`] gives: the keys' names, the value column, the origin, the rows, and the CSV file's path
/// and text when the rows came from one (their errors point into it).
type Read = (Vec<String>, String, Origin, Vec<Row>, Option<(PathBuf, String)>);

impl Reading<'_> {
    fn rows(&self, read_files: bool) -> Result<Read, InputError> {
        let t = self.table;
        let given = [t.file.is_some(), t.builtin.is_some(), t.rows.is_some()];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(self.scenario.err(
                &place(self.span.clone(), self.field),
                "a table takes its rows from one of `file` (a CSV file beside the scenario), `builtin` (a table \
                 carecast carries) or `rows` (written inline)",
            ));
        }
        if let Some(name) = &t.builtin {
            return self.builtin(name);
        }
        let keys = self.keys()?;
        let value_column = t.value.as_ref().map_or("value".to_string(), |v| v.get_ref().clone());
        if keys.contains(&value_column) {
            let at = t.value.as_ref().map_or(self.span.clone(), |v| v.span());
            return Err(self.scenario.err(
                &place(at, &format!("{}.value", self.field)),
                format!("`{value_column}` is a key of this table, so it cannot be its value column too"),
            ));
        }
        if let Some(file) = &t.file {
            let at = place(file.span(), &format!("{}.file", self.field));
            if !read_files {
                return Err(self.scenario.err(
                    &at,
                    "a table in a file is read relative to the scenario file, so the scenario must be read from a \
                     file (this one was given as text)",
                ));
            }
            let csv_path = self
                .scenario
                .path
                .parent()
                .unwrap_or(Path::new(""))
                .join(file.get_ref());
            let bytes = std::fs::read(&csv_path).map_err(|e| {
                self.scenario
                    .err(&at, format!("cannot read the table file {}: {e}", csv_path.display()))
            })?;
            let text = String::from_utf8(bytes).map_err(|e| {
                self.scenario.err(
                    &at,
                    format!(
                        "the table file {} is not valid UTF-8 text (byte {})",
                        csv_path.display(),
                        e.utf8_error().valid_up_to()
                    ),
                )
            })?;
            let rows = read_csv(&csv_path, &text, &keys, &value_column)?;
            let origin = Origin::File {
                path: file.get_ref().clone(),
            };
            return Ok((keys, value_column, origin, rows, Some((csv_path, text))));
        }
        let rows = self.inline_rows(&keys, &value_column)?;
        Ok((keys, value_column, Origin::Inline, rows, None))
    }

    /// The table's keys, as `by` lists them: one to three names from [`KEY_NAMES`], none twice.
    fn keys(&self) -> Result<Vec<String>, InputError> {
        let Some(by) = &self.table.by else {
            return Err(self.scenario.err(
                &place(self.span.clone(), &format!("{}.by", self.field)),
                "a table needs `by`: its keys in the order lookups give them, from age, sex, cycle and time_in_state \
                 (e.g. by = [\"age\", \"sex\"])",
            ));
        };
        let at = place(by.span(), &format!("{}.by", self.field));
        let keys = match by.get_ref() {
            RawTableKeys::One(k) => vec![k.clone()],
            RawTableKeys::Many(list) => list.clone(),
        };
        if keys.is_empty() || keys.len() > 3 {
            return Err(self.scenario.err(&at, "a table has one to three keys"));
        }
        for (i, k) in keys.iter().enumerate() {
            if !KEY_NAMES.contains(&k.as_str()) {
                return Err(self.scenario.err(
                    &at,
                    format!(
                        "unknown key `{k}`: a table's keys are age (whole years), sex (male or female), cycle and \
                         time_in_state (whole cycles){}",
                        suggest(k, &KEY_NAMES)
                    ),
                ));
            }
            if keys[..i].contains(k) {
                return Err(self.scenario.err(&at, format!("the key `{k}` is given twice")));
            }
        }
        Ok(keys)
    }

    /// A table carecast carries: by age and sex, values `qx`.
    fn builtin(&self, name: &Spanned<String>) -> Result<Read, InputError> {
        let at = place(name.span(), &format!("{}.builtin", self.field));
        let Some(b): Option<&Builtin> = BUILTINS.iter().find(|b| b.name == name.get_ref()) else {
            let names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
            return Err(self.scenario.err(
                &at,
                format!(
                    "no table is built in as `{}`; the built-in tables are {}{}",
                    name.get_ref(),
                    names.join(", "),
                    suggest(name.get_ref(), &names)
                ),
            ));
        };
        let keys = vec!["age".to_string(), "sex".to_string()];
        if let Some(by) = &self.table.by {
            let given = match by.get_ref() {
                RawTableKeys::One(k) => vec![k.clone()],
                RawTableKeys::Many(list) => list.clone(),
            };
            if given != keys {
                return Err(self.scenario.err(
                    &place(by.span(), &format!("{}.by", self.field)),
                    format!("the built-in table `{}` is by [\"age\", \"sex\"]", b.name),
                ));
            }
        }
        if let Some(v) = &self.table.value {
            if v.get_ref() != "qx" {
                return Err(self.scenario.err(
                    &place(v.span(), &format!("{}.value", self.field)),
                    format!("the built-in table `{}` has one value column, `qx`", b.name),
                ));
            }
        }
        let rows = read_csv(Path::new(b.file), b.text, &keys, "qx")?;
        let origin = Origin::Builtin {
            name: b.name.to_string(),
            file: b.file.to_string(),
            citation: b.citation.to_string(),
        };
        Ok((
            keys,
            "qx".to_string(),
            origin,
            rows,
            Some((PathBuf::from(b.file), b.text.to_string())),
        ))
    }

    /// Rows written inline: each a table with a cell for every key and for the value column.
    fn inline_rows(&self, keys: &[String], value_column: &str) -> Result<Vec<Row>, InputError> {
        let Some(rows) = &self.table.rows else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for (r, row) in rows.get_ref().iter().enumerate() {
            let rfield = format!("{}.rows[{r}]", self.field);
            let cell = |name: &str| row.get_ref().iter().find(|(k, _)| k.get_ref() == name).map(|(_, v)| v);
            for k in row.get_ref().keys() {
                if k.get_ref() != value_column && !keys.contains(k.get_ref()) {
                    let mut known: Vec<&str> = keys.iter().map(String::as_str).collect();
                    known.push(value_column);
                    return Err(self.scenario.err(
                        &place(k.span(), &rfield),
                        format!(
                            "`{}` is neither a key of this table nor its value column ({}){}",
                            k.get_ref(),
                            known.join(", "),
                            suggest(k.get_ref(), &known)
                        ),
                    ));
                }
            }
            let missing = |what: &str| {
                self.scenario.err(
                    &place(row.span(), &rfield),
                    format!("this row has no `{what}`: every row gives each key and the value"),
                )
            };
            let mut values = Vec::new();
            for key in keys {
                let c = cell(key).ok_or_else(|| missing(key))?;
                let text = match c.get_ref() {
                    RawTableCell::Number(x) => format!("{x}"),
                    RawTableCell::Text(t) => t.clone(),
                };
                let parsed = key_value(key, &text, matches!(c.get_ref(), RawTableCell::Number(_)));
                values.push(parsed.map_err(|m| self.scenario.err(&place(c.span(), &format!("{rfield}.{key}")), m))?);
            }
            let v = cell(value_column).ok_or_else(|| missing(value_column))?;
            let value = match v.get_ref() {
                RawTableCell::Number(x) if x.is_finite() => *x,
                _ => {
                    return Err(self.scenario.err(
                        &place(v.span(), &format!("{rfield}.{value_column}")),
                        "a table's value must be a finite number",
                    ))
                }
            };
            out.push(Row {
                keys: values,
                value,
                at: place(row.span(), &rfield),
            });
        }
        Ok(out)
    }
}

/// A key's value as written: `male`/`female` for sex, a whole number otherwise (`number` when written as a TOML
/// number, so that 65.0 reads as 65).
fn key_value(key: &str, text: &str, number: bool) -> Result<KeyValue, String> {
    let text = text.trim();
    if key == "sex" {
        return match text {
            "male" => Ok(0),
            "female" => Ok(1),
            _ => Err(format!("`{text}` is not a sex: write male or female")),
        };
    }
    let parsed = if number {
        text.parse::<f64>()
            .ok()
            .filter(|x| x.fract() == 0.0 && x.abs() <= 1e9)
            .map(|x| x as i64)
    } else {
        text.parse::<i64>().ok().filter(|x| x.abs() <= 1_000_000_000)
    };
    parsed.ok_or_else(|| format!("`{text}` is not a whole number, as the key `{key}` needs"))
}

/// The rows of a CSV file: a header naming the keys and the value column (other columns are left alone), then one
/// row per combination of the keys' values.
fn read_csv(path: &Path, text: &str, keys: &[String], value_column: &str) -> Result<Vec<Row>, InputError> {
    let source = Source { path, text };
    // A byte-order mark (as spreadsheets write) is not part of the first column's name.
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut reader = csv::ReaderBuilder::new().from_reader(&text.as_bytes()[bom..]);
    let header_end = text.find('\n').unwrap_or(text.len());
    let header_at = place(0..header_end.max(1), "header");
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| source.err(&header_at, format!("cannot read the header row: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let column = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            source.err(
                &header_at,
                format!("no `{name}` column; the header has: {}", headers.join(", ")),
            )
        })
    };
    let key_columns: Vec<usize> = keys.iter().map(|k| column(k)).collect::<Result<_, _>>()?;
    let value_index = column(value_column)?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let at = e.position().map_or(header_at.clone(), |p| {
                place(line_span(text, p.byte() as usize + bom), "row")
            });
            source.err(&at, format!("cannot read this row: {e}"))
        })?;
        let start = record.position().map_or(0, |p| p.byte() as usize) + bom;
        let line = line_span(text, start);
        // A field's place: exact when the line has no quotes (then fields are the text between commas).
        let cell = |i: usize, name: &str| -> Place {
            let quoted = text[line.clone()].contains('"');
            match (record.range(i), quoted) {
                (Some(r), false) => place(start + r.start + i..start + r.end.max(r.start + 1) + i, name),
                _ => place(line.clone(), name),
            }
        };
        let mut values = Vec::with_capacity(keys.len());
        for (key, &c) in keys.iter().zip(&key_columns) {
            let text = record.get(c).unwrap_or("");
            values.push(key_value(key, text, false).map_err(|m| source.err(&cell(c, key), m))?);
        }
        let raw = record.get(value_index).unwrap_or("").trim();
        let value = raw.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
            source.err(
                &cell(value_index, value_column),
                format!("`{raw}` is not a finite number, as the value column `{value_column}` needs"),
            )
        })?;
        rows.push(Row {
            keys: values,
            value,
            at: cell(0, "row"),
        });
    }
    Ok(rows)
}

/// The span of the line that starts at byte `start` of `text` (without its line break).
fn line_span(text: &str, start: usize) -> Range<usize> {
    let start = start.min(text.len());
    let end = text[start..].find(['\r', '\n']).map_or(text.len(), |i| start + i);
    start..end.max(start + 1)
}

/// The keys with their ranges and the values in row-major order: every combination of the keys' values must have
/// exactly one row, whole-number keys running without gaps from their smallest to their largest value.
fn grid(
    source: &Source,
    names: &[String],
    rows: Vec<Row>,
    field: &str,
    table_span: Range<usize>,
    from_file: bool,
) -> Result<(Vec<Key>, Vec<f64>), InputError> {
    // A missing combination is the table's fault as a whole: in a file, said of the file.
    let whole_table = |message: String| {
        if from_file {
            InputError::file(source.path, message)
        } else {
            source.err(&place(table_span.clone(), field), message)
        }
    };
    if rows.is_empty() {
        return Err(whole_table("the table has no rows".into()));
    }
    let mut keys = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let kind = if name == "sex" {
            KeyKind::Sex
        } else {
            let first = rows.iter().map(|r| r.keys[i]).min().unwrap_or(0);
            let last = rows.iter().map(|r| r.keys[i]).max().unwrap_or(0);
            let count = usize::try_from(last - first + 1).unwrap_or(usize::MAX);
            if count > MAX_TABLE_ROWS {
                return Err(whole_table(format!(
                    "the key `{name}` runs from {first} to {last}: a table has at most {MAX_TABLE_ROWS} rows"
                )));
            }
            KeyKind::Whole { first, count }
        };
        keys.push(Key {
            name: name.clone(),
            kind,
        });
    }
    let counts: Vec<usize> = keys
        .iter()
        .map(|k| match k.kind {
            KeyKind::Sex => 2,
            KeyKind::Whole { count, .. } => count,
        })
        .collect();
    let size = counts
        .iter()
        .try_fold(1usize, |a, &c| a.checked_mul(c))
        .unwrap_or(usize::MAX);
    if size > MAX_TABLE_ROWS {
        return Err(whole_table(format!(
            "the keys' ranges make {size} combinations: a table has at most {MAX_TABLE_ROWS} rows"
        )));
    }
    let index = |row: &Row| {
        keys.iter().zip(&row.keys).fold(0, |at, (k, &v)| match k.kind {
            KeyKind::Sex => at * 2 + v as usize,
            KeyKind::Whole { first, count } => at * count + (v - first) as usize,
        })
    };
    let mut filled: Vec<Option<usize>> = vec![None; size];
    let mut values = vec![0.0; size];
    for (r, row) in rows.iter().enumerate() {
        let i = index(row);
        if let Some(earlier) = filled[i] {
            return Err(source.err(
                &row.at,
                format!(
                    "a second row for {}: each combination of keys has one row (the first is row {})",
                    describe(&keys, &row.keys),
                    earlier + 1
                ),
            ));
        }
        filled[i] = Some(r);
        values[i] = row.value;
    }
    if let Some(missing) = filled.iter().position(Option::is_none) {
        // The missing row's keys, from its position in row-major order.
        let mut rest = missing;
        let mut combination = vec![0; keys.len()];
        for i in (0..keys.len()).rev() {
            let position = (rest % counts[i]) as KeyValue;
            rest /= counts[i];
            combination[i] = match keys[i].kind {
                KeyKind::Sex => position,
                KeyKind::Whole { first, .. } => first + position,
            };
        }
        return Err(whole_table(format!(
            "no row for {}: a table needs a row for every combination of its keys, whole numbers running without \
             gaps from the smallest to the largest",
            describe(&keys, &combination)
        )));
    }
    Ok((keys, values))
}

/// "age 67, sex female", for messages.
fn describe(keys: &[Key], values: &[KeyValue]) -> String {
    let parts: Vec<String> = keys
        .iter()
        .zip(values)
        .map(|(k, &v)| match k.kind {
            KeyKind::Sex => format!("sex {}", if v == 0 { "male" } else { "female" }),
            KeyKind::Whole { .. } => format!("{} {v}", k.name),
        })
        .collect();
    parts.join(", ")
}
