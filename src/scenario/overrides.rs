//! Changes to a scenario's parameters from the command line: `--set NAME[.FIELD]=VALUE` and the axes of a sweep
//! (`--vary NAME[.FIELD]=FROM:TO:STEPS`), and how one field of a parameter table is changed.

use super::raw::{RawAlpha, RawMean, RawParameterTable};
use serde::Serialize;
use serde_spanned::Spanned;
use std::ops::Range;

/// A change to a parameter: `name=value` (a fixed value) or `name.field=value` (one field of its distribution).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Override {
    pub name: String,
    pub field: Option<String>,
    pub value: f64,
}

impl Override {
    /// Parses `name=value` or `name.field=value`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (target, value) = text
            .split_once('=')
            .ok_or_else(|| format!("expected NAME=VALUE or NAME.FIELD=VALUE, not `{text}`"))?;
        let value: f64 = value
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| format!("`{}` is not a finite number (in `{text}`)", value.trim()))?;
        let (name, field) = Self::target(target)?;
        Ok(Override { name, field, value })
    }

    /// Splits `name` or `name.field` into its parts.
    pub fn target(text: &str) -> Result<(String, Option<String>), String> {
        let text = text.trim();
        let (name, field) = match text.split_once('.') {
            Some((n, f)) => (n, Some(f.to_string())),
            None => (text, None),
        };
        if name.is_empty() || field.as_deref().is_some_and(str::is_empty) {
            return Err(format!("expected NAME or NAME.FIELD, not `{text}`"));
        }
        Ok((name.to_string(), field))
    }

    /// As written on the command line.
    pub fn describe(&self) -> String {
        match &self.field {
            Some(f) => format!("{}.{f}={}", self.name, self.value),
            None => format!("{}={}", self.name, self.value),
        }
    }
}

/// One varied parameter of a sweep: `name` or `name.field` over `values`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepAxis {
    pub name: String,
    pub field: Option<String>,
    pub values: Vec<f64>,
}

impl SweepAxis {
    /// Parses `NAME[.FIELD]=FROM:TO:STEPS`: STEPS evenly spaced values from FROM to TO inclusive (STEPS ≥ 2, or 1
    /// for FROM alone).
    pub fn parse(text: &str) -> Result<Self, String> {
        let expected = || {
            format!("expected NAME=FROM:TO:STEPS or NAME.FIELD=FROM:TO:STEPS (e.g. effect.mean=0.5:1:6), not `{text}`")
        };
        let (target, range) = text.split_once('=').ok_or_else(expected)?;
        let parts: Vec<&str> = range.split(':').map(str::trim).collect();
        let [from, to, steps] = parts[..] else {
            return Err(expected());
        };
        let number = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite());
        let (Some(from), Some(to)) = (number(from), number(to)) else {
            return Err(expected());
        };
        let steps: usize = steps
            .parse()
            .ok()
            .filter(|n| (1..=1_000_000).contains(n))
            .ok_or_else(|| {
                format!("STEPS must be a whole number of values from 1 to 1,000,000, not `{steps}` (in `{text}`)")
            })?;
        let (name, field) = Override::target(target)?;
        let values = if steps == 1 {
            vec![from]
        } else {
            (0..steps)
                .map(|i| from + (to - from) * i as f64 / (steps - 1) as f64)
                .collect()
        };
        Ok(SweepAxis { name, field, values })
    }

    /// `name` or `name.field`.
    pub fn label(&self) -> String {
        match &self.field {
            Some(f) => format!("{}.{f}", self.name),
            None => self.name.clone(),
        }
    }

    /// The override that sets this axis to `value`.
    pub fn at(&self, value: f64) -> Override {
        Override {
            name: self.name.clone(),
            field: self.field.clone(),
            value,
        }
    }
}

/// Sets one numeric field of a parameter table, for an override.
pub fn set_field(t: &mut RawParameterTable, field: &str, value: f64, span: Range<usize>) -> Result<(), String> {
    let v = Some(Spanned::new(span.clone(), value));
    match field {
        "value" => t.value = v,
        "mean" => match &t.mean {
            Some(m) if matches!(m.get_ref(), RawMean::Many(_)) => {
                return Err("a multivariate normal's mean is a list: change it in the file".into())
            }
            _ => t.mean = Some(Spanned::new(span, RawMean::One(value))),
        },
        "median" => t.median = v,
        "sd" => t.sd = v,
        "low" => t.low = v,
        "high" => t.high = v,
        "min" => t.min = v,
        "mode" => t.mode = v,
        "max" => t.max = v,
        "lambda" => t.lambda = v,
        "beta" => t.beta = v,
        "shape" => t.shape = v,
        "scale" => t.scale = v,
        "rate" => t.rate = v,
        "meanlog" => t.meanlog = v,
        "sdlog" => t.sdlog = v,
        "alpha" => match &t.alpha {
            Some(a) if matches!(a.get_ref(), RawAlpha::Many(_)) => {
                return Err("a Dirichlet's alpha is a list: change it in the file".into())
            }
            _ => t.alpha = Some(Spanned::new(0..0, RawAlpha::One(value))),
        },
        "ci95_low" | "ci95_high" => {
            let [mut lo, mut hi] = match t.ci95.as_ref().map(|c| c.get_ref().as_slice()) {
                Some([lo, hi]) => [*lo, *hi],
                _ => {
                    return Err(format!(
                        "`{field}` changes one end of `ci95`, which this parameter does not have"
                    ))
                }
            };
            if field == "ci95_low" {
                lo = value;
            } else {
                hi = value;
            }
            t.ci95 = Some(Spanned::new(0..0, vec![lo, hi]));
        }
        other => {
            let fields = "value, mean, median, sd, low, high, min, mode, max, lambda, alpha, beta, shape, scale, rate, meanlog, sdlog, ci95_low, ci95_high";
            return Err(format!(
                "`{other}` is not a field that can be changed{}; the fields are {fields}",
                crate::error::suggest(other, &fields.split(", ").collect::<Vec<_>>())
            ));
        }
    }
    Ok(())
}
