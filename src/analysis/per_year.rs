//! Per-year statistics of a run: for each arm, calendar year and measure (cost by payer, spend, care, total cost,
//! each outcome), the mean over all iterations and percentiles over the iterations whose per-year values were kept.

use crate::model::Model;
use crate::simulate::Results;

/// One arm's value of one measure in one calendar year, discounted.
#[derive(Debug, Clone, PartialEq)]
pub struct PerYearRow {
    /// Index of the arm.
    pub arm: usize,
    /// 1-based calendar year.
    pub year: usize,
    pub measure: String,
    /// Mean over all iterations, summed in double precision.
    pub mean: f64,
    /// Percentiles over the kept iterations, whose per-year values are single precision: they are only as precise
    /// as that.
    pub p2_5: f32,
    pub p50: f32,
    pub p97_5: f32,
}

/// The per-year table of a run, and how many iterations its percentiles come from.
#[derive(Debug, Clone)]
pub struct PerYear {
    pub rows: Vec<PerYearRow>,
    pub sample_size: usize,
}

impl PerYear {
    /// No rows from no iterations: the table of an analysis that did not compute one
    /// ([`super::analyse_run_with`]).
    pub fn not_computed() -> Self {
        PerYear {
            rows: Vec::new(),
            sample_size: 0,
        }
    }
}

/// The measures of the per-year table: total cost by payer (spend + care), spend and care in total, total cost, and
/// each outcome, each with the full columns it sums.
fn measures(model: &Model) -> Vec<(String, Vec<usize>)> {
    let (payers, columns) = (&model.payers, model.columns());
    let mut measures: Vec<(String, Vec<usize>)> = (payers.all())
        .map(|p| {
            (
                format!("cost_{}", payers.name(p)),
                vec![columns.care(p), columns.spend(p)],
            )
        })
        .collect();
    measures.push(("spend_total".into(), payers.all().map(|p| columns.spend(p)).collect()));
    measures.push(("care_total".into(), payers.all().map(|p| columns.care(p)).collect()));
    measures.push((
        "cost_total".into(),
        (payers.all())
            .flat_map(|p| [columns.care(p), columns.spend(p)])
            .collect(),
    ));
    for (o, name) in model.outcomes.iter().enumerate() {
        measures.push((name.clone(), vec![columns.outcome(o)]));
    }
    measures
}

/// At most this many bytes of kept values are gathered at once by each task of [`per_year`]: the cells of a group are
/// read from the sample in one sweep ([`Results::yearly_kernel_columns`]), so the larger the group, the fewer times
/// the sample's pages are visited; bounded so that the copies stay small beside the sample itself.
const GROUP_BYTES: usize = 16 << 20;

/// Computes the per-year table, arm by arm and year by year; the cells (arm, year) in groups of consecutive cells,
/// each group on its own task of the current rayon pool, collected in order, so the table is the same whatever the
/// number of threads (the groups' sizes change only which cells are read together, not any value).
pub fn per_year(model: &Model, results: &Results) -> PerYear {
    use rayon::prelude::*;
    // Percentiles are of at most the first PERCENTILE_VALUES iterations: gather no more.
    let k = results.yearly_sample_size().min(super::stats::PERCENTILE_VALUES);
    let measures = measures(model);
    let years = model.settings.horizon_years;
    let cells = model.arms.len() * years;
    // One group per thread where they fit in GROUP_BYTES (every kernel column counted, kept or not).
    let cell_bytes = (k * model.n_kernel_columns() * std::mem::size_of::<f32>()).max(1);
    let per_group = cells
        .div_ceil(rayon::current_num_threads())
        .min(GROUP_BYTES / cell_bytes)
        .max(1);
    let groups: Vec<std::ops::Range<usize>> = (0..cells)
        .step_by(per_group)
        .map(|first| first..(first + per_group).min(cells))
        .collect();
    let rows = groups
        .into_par_iter()
        .map_init(
            || (Vec::new(), vec![0.0; k]),
            |(columns, values), group| {
                results.yearly_kernel_columns(group.clone(), k, columns);
                let mut rows = Vec::with_capacity(group.len() * measures.len());
                for (cell, columns) in group.zip(columns.iter()) {
                    let (arm, year) = (cell / years, cell % years);
                    cell_rows((arm, year), &measures, results, columns, values, &mut rows);
                }
                rows
            },
        )
        .flatten_iter()
        .collect();
    PerYear { rows, sample_size: k }
}

/// The rows of one arm and year, from its kept `columns` ([`Results::yearly_kernel_columns`]), with `values` as
/// room for one measure's values.
fn cell_rows(
    (arm, year): (usize, usize),
    measures: &[(String, Vec<usize>)],
    results: &Results,
    columns: &[Option<Vec<f32>>],
    values: &mut [f64],
    rows: &mut Vec<PerYearRow>,
) {
    // Measures that read the same kernel columns have the same values (cashable care where all of it is cashable,
    // say), and one that reads none is zero: their percentiles are worked out once.
    let mut done: Vec<(Vec<usize>, [f32; 3])> = vec![(Vec::new(), [0.0; 3])];
    for (name, cols) in measures {
        let mean: f64 = cols.iter().map(|&c| results.yearly_mean[[arm, year, c]]).sum();
        let kernel: Vec<usize> = cols.iter().filter_map(|&c| results.kernel_column(c)).collect();
        let [p2_5, p50, p97_5] = match done.iter().find(|(read, _)| *read == kernel) {
            Some((_, percentiles)) => *percentiles,
            None => {
                Results::sum_kernel_columns(columns, &kernel, values);
                let percentiles = super::stats::quantiles(values, [0.025, 0.5, 0.975]).map(|q| q as f32);
                done.push((kernel, percentiles));
                percentiles
            }
        };
        rows.push(PerYearRow {
            arm,
            year: year + 1,
            measure: name.clone(),
            mean,
            p2_5,
            p50,
            p97_5,
        });
    }
}
