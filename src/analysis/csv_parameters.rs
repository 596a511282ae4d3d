//! Reading a PSA's parameter sample from CSV (`carecast analyse --parameters`), so that EVPPI can be estimated for
//! another model's PSA, or for a carecast run's own `parameters.csv`.
//!
//! One row per iteration: an `iteration` column, then one column per sampled parameter. The rows are joined to the
//! PSA sample on the iteration: every iteration of the PSA needs exactly one row, and every row an iteration of the
//! PSA, or the file is refused (a parameter value joined to the wrong iteration would give a wrong EVPPI quietly).

use super::csv_input::unneutralised;
use super::voi::SampledParameter;
use crate::error::InputError;
use ndarray::Array2;
use std::collections::BTreeMap;
use std::path::Path;

/// A parameter sample read from CSV: the parameters' columns and each iteration's values.
#[derive(Debug, Clone)]
pub struct ParameterTable {
    /// One per column after `iteration`: its header as `label` and `column`, the part before any `@` as `name` (so
    /// that a group member names every scope of a parameter, as for a run), and its position as `slot`.
    pub parameters: Vec<SampledParameter>,
    /// Values by iteration, with the line each was read from.
    rows: BTreeMap<u64, (usize, Vec<f64>)>,
}

impl ParameterTable {
    /// The values as `[iteration, parameter]`, in the order of `iterations` (the PSA's); every iteration of the PSA
    /// must have a row, and every row must be an iteration of the PSA. `path` names this file and `psa` the PSA's.
    pub fn aligned(&self, path: &Path, psa: &Path, iterations: &[u64]) -> Result<Array2<f64>, InputError> {
        if let Some(missing) = iterations.iter().find(|i| !self.rows.contains_key(i)) {
            return Err(InputError::file(
                path,
                format!(
                    "iteration {missing} of {} has no row here: the parameter sample must have a row for every \
                     iteration of the PSA",
                    psa.display()
                ),
            ));
        }
        if self.rows.len() > iterations.len() {
            let (extra, (line, _)) = self
                .rows
                .iter()
                .find(|(i, _)| iterations.binary_search(i).is_err())
                .expect("more rows than iterations, all of them present: one row is not an iteration");
            return Err(InputError {
                line: *line,
                column: 1,
                field: "iteration".into(),
                ..InputError::file(
                    path,
                    format!("iteration {extra} is not an iteration of {}", psa.display()),
                )
            });
        }
        let k = self.parameters.len();
        Ok(Array2::from_shape_fn((iterations.len(), k), |(i, j)| {
            self.rows[&iterations[i]].1[j]
        }))
    }
}

/// Parses a parameter sample in CSV; every problem names the file (`path`, which is not read), line and column.
pub fn parse_parameter_csv(path: &Path, text: &str) -> Result<ParameterTable, InputError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| InputError::file(path, format!("cannot read the header row: {e}")))?
        .iter()
        .map(|h| unneutralised(h).to_string())
        .collect();
    let at_header = |column: usize, message: String| InputError {
        line: 1,
        column,
        field: "header".into(),
        ..InputError::file(path, message)
    };
    let iteration = headers.iter().position(|h| h == "iteration").ok_or_else(|| {
        at_header(
            1,
            format!(
                "no `iteration` column: each row needs the iteration it belongs to; the header has: {}",
                headers.join(", ")
            ),
        )
    })?;
    let mut parameters = Vec::new();
    for (c, h) in headers.iter().enumerate().filter(|(c, _)| *c != iteration) {
        if h.is_empty() {
            return Err(at_header(c + 1, format!("column {} has no name", c + 1)));
        }
        if headers[..c].contains(h) {
            return Err(at_header(c + 1, format!("two columns are named `{h}`")));
        }
        parameters.push(SampledParameter {
            label: h.clone(),
            name: h.split('@').next().unwrap_or(h).to_string(),
            column: h.clone(),
            slot: parameters.len(),
        });
    }
    if parameters.is_empty() {
        return Err(at_header(1, "no parameter columns: only `iteration`".into()));
    }
    let mut rows = BTreeMap::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = record.map_err(|e| InputError {
            line,
            column: 1,
            ..InputError::file(path, format!("malformed row: {e}"))
        })?;
        let cell = |c: usize| record.get(c).unwrap_or("");
        let located = |c: usize, message: String| InputError {
            line,
            column: c + 1,
            field: headers[c].clone(),
            ..InputError::file(path, message)
        };
        let i: u64 = cell(iteration)
            .parse()
            .map_err(|_| located(iteration, "the iteration must be a whole number".into()))?;
        let values = (0..headers.len())
            .filter(|&c| c != iteration)
            .map(|c| {
                cell(c)
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| located(c, format!("`{}` is not a finite number", cell(c))))
            })
            .collect::<Result<Vec<f64>, _>>()?;
        if let Some((first, _)) = rows.insert(i, (line, values)) {
            return Err(located(
                iteration,
                format!("iteration {i} has a second row (the first is on line {first})"),
            ));
        }
    }
    Ok(ParameterTable { parameters, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ParameterTable, InputError> {
        parse_parameter_csv(Path::new("p.csv"), text)
    }

    #[test]
    fn rows_are_joined_on_the_iteration_in_the_psa_order() {
        let t = parse("iteration,b,effect@arm:new\n2,20,0.2\n0,0,0.0\n1,10,0.1\n").unwrap();
        let names: Vec<(&str, &str)> = t
            .parameters
            .iter()
            .map(|p| (p.name.as_str(), p.column.as_str()))
            .collect();
        assert_eq!(names, [("b", "b"), ("effect", "effect@arm:new")]);
        let v = t.aligned(Path::new("p.csv"), Path::new("psa.csv"), &[0, 1, 2]).unwrap();
        assert_eq!(v.column(0).to_vec(), [0.0, 10.0, 20.0]);
        assert_eq!(v.column(1).to_vec(), [0.0, 0.1, 0.2]);
    }

    #[test]
    fn mismatched_iterations_and_bad_cells_are_refused_with_their_place() {
        let t = parse("iteration,a\n0,1\n1,2\n5,3\n").unwrap();
        let e = t
            .aligned(Path::new("p.csv"), Path::new("psa.csv"), &[0, 1, 2])
            .unwrap_err();
        assert!(e.message.contains("iteration 2 of psa.csv has no row"), "{e}");
        let e = t
            .aligned(Path::new("p.csv"), Path::new("psa.csv"), &[0, 1])
            .unwrap_err();
        assert!(
            e.message.contains("iteration 5 is not an iteration of psa.csv") && e.line == 4,
            "{e}"
        );
        let e = parse("iteration,a\n0,1\n0,2\n").unwrap_err();
        assert!(e.message.contains("second row") && e.line == 3, "{e}");
        let e = parse("iteration,a\n0,nan\n").unwrap_err();
        assert_eq!((e.line, e.column, e.field.as_str()), (2, 2, "a"));
        let e = parse("iteration,a\n1.5,1\n").unwrap_err();
        assert!(e.message.contains("whole number"), "{e}");
        assert!(parse("a,b\n1,2\n")
            .unwrap_err()
            .message
            .contains("no `iteration` column"));
        assert!(parse("iteration\n0\n")
            .unwrap_err()
            .message
            .contains("no parameter columns"));
        assert!(parse("iteration,a,a\n0,1,2\n")
            .unwrap_err()
            .message
            .contains("two columns are named `a`"));
    }
}
