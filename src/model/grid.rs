//! A sweep's grid of parameter values (every combination of its axes' values) and the deterministic slices of it
//! (shards) that several machines run.

use crate::scenario::SweepAxis;
use serde::{Deserialize, Serialize};

/// The K-th of N deterministic slices of a sweep's points (1-based): points p with p mod N = K − 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parses `K/N`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("expected K/N with 1 ≤ K ≤ N (e.g. 3/10), not `{text}`");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether this slice holds `point`.
    pub fn includes(&self, point: usize) -> bool {
        point % self.count == self.index - 1
    }
}

/// The grid: every combination of the axes' values, the first axis varying slowest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub axes: Vec<GridAxis>,
}

/// One axis of the grid as recorded in a sweep's manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridAxis {
    /// `name` or `name.field`.
    pub parameter: String,
    pub values: Vec<f64>,
}

impl Grid {
    /// The grid of a sweep's axes.
    pub fn new(axes: &[SweepAxis]) -> Self {
        Grid {
            axes: axes
                .iter()
                .map(|a| GridAxis {
                    parameter: a.label(),
                    values: a.values.clone(),
                })
                .collect(),
        }
    }

    /// Number of points.
    pub fn points(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// The values of every axis at a point.
    pub fn at(&self, point: usize) -> Vec<f64> {
        let mut rest = point;
        let mut values = vec![0.0; self.axes.len()];
        for (k, axis) in self.axes.iter().enumerate().rev() {
            values[k] = axis.values[rest % axis.values.len()];
            rest /= axis.values.len();
        }
        values
    }
}
