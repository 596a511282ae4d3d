//! Hand-derived cost-benefit accounts: the two-line case, then each adjustment alone.

use super::{evaluate, Category};
use crate::model::cba::CbaSettings;

fn settings() -> CbaSettings {
    CbaSettings {
        optimism_bias_costs: 0.0,
        optimism_bias_benefits: 0.0,
        deadweight: 0.0,
        attribution_to_others: 0.0,
        displacement: 0.0,
        drop_off: 0.0,
        source: None,
        economic: Vec::new(),
        social: Vec::new(),
    }
}

fn close(actual: f64, expected: f64) {
    assert!((actual - expected).abs() < 1e-9, "{actual} is not {expected}");
}

/// £1,000 of cashable savings in each of two years, not discounted.
fn two_years() -> (Vec<Category>, Vec<Vec<f64>>) {
    (vec![Category::FiscalCashable], vec![vec![1000.0, 1000.0]])
}

#[test]
fn the_two_line_case_by_hand() {
    // One benefit stream of £1,000 a year for 2 years and a cost of £500 in year 1, discounted at 3.5% a year from
    // the start of year 1: year 2's benefit is worth 1000 / 1.035 = 966.18357488 today.
    // Optimism bias 10% on costs: 500 × 1.10 = 550.
    // Benefits, year by year: optimism bias 15% keeps 0.85, deadweight 20% keeps 0.8, drop-off 50% a year keeps 0.5
    // of year 2's:
    //   year 1: 1000 × 0.85 × 0.8       = 680
    //   year 2: 966.18357488 × 0.85 × 0.8 × 0.5 = 328.50241546
    //   total 1008.50241546; NPPV = 1008.50241546 − 550 = 458.50241546.
    // What each removed, in order: optimism bias 0.15 × 1966.18357488 = 294.92753623; deadweight 0.2 × 0.85 ×
    // 1966.18357488 = 334.25120773; drop-off 0.5 × 0.68 × 966.18357488 = 328.50241546.
    let s = CbaSettings {
        optimism_bias_costs: 0.10,
        optimism_bias_benefits: 0.15,
        deadweight: 0.20,
        drop_off: 0.50,
        ..settings()
    };
    let year2 = 1000.0 / 1.035;
    let v = evaluate(&[Category::FiscalCashable], &[vec![1000.0, year2]], &[500.0, 0.0], &s);
    close(v.gross[0], 1966.183574879227);
    close(v.cost, 550.0);
    close(v.cost_added, 50.0);
    close(v.total_benefits(), 1008.5024154589372);
    close(v.nppv(), 458.5024154589372);
    close(v.removed[0], 294.92753623188406);
    close(v.removed[1], 334.2512077294686);
    close(v.removed[2], 0.0);
    close(v.removed[3], 0.0);
    close(v.removed[4], 328.5024154589372);
    // The lines add up: gross − everything removed = what is left.
    close(v.gross[0] - v.removed.iter().sum::<f64>(), v.total_benefits());
}

#[test]
fn each_adjustment_alone() {
    let (categories, streams) = two_years();
    let cost = [500.0, 0.0];
    // (settings, benefits left of 2,000, the adjustment's index and what it removed)
    let cases = [
        (
            CbaSettings {
                optimism_bias_benefits: 0.15,
                ..settings()
            },
            1700.0,
            0,
            300.0,
        ),
        (
            CbaSettings {
                deadweight: 0.2,
                ..settings()
            },
            1600.0,
            1,
            400.0,
        ),
        (
            CbaSettings {
                attribution_to_others: 0.25,
                ..settings()
            },
            1500.0,
            2,
            500.0,
        ),
        (
            CbaSettings {
                displacement: 0.1,
                ..settings()
            },
            1800.0,
            3,
            200.0,
        ),
        // Drop-off spares the first year: 1000 + 1000 × 0.5.
        (
            CbaSettings {
                drop_off: 0.5,
                ..settings()
            },
            1500.0,
            4,
            500.0,
        ),
    ];
    for (s, left, index, removed) in cases {
        let v = evaluate(&categories, &streams, &cost, &s);
        close(v.total_benefits(), left);
        for (i, r) in v.removed.iter().enumerate() {
            close(*r, if i == index { removed } else { 0.0 });
        }
        close(v.cost, 500.0);
        close(v.nppv(), left - 500.0);
    }
    // Optimism bias on costs touches only the cost: 500 × 1.4 = 700.
    let v = evaluate(
        &categories,
        &streams,
        &cost,
        &CbaSettings {
            optimism_bias_costs: 0.4,
            ..settings()
        },
    );
    close(v.total_benefits(), 2000.0);
    close(v.cost_added, 200.0);
    close(v.nppv(), 1300.0);
}

#[test]
fn later_adjustments_apply_to_what_earlier_ones_left() {
    // Deadweight 50% of 1,000 removes 500; attribution to others 50% of the 500 left removes 250; drop-off 100%
    // removes all of year 2 that is left (250) and none of year 1.
    let s = CbaSettings {
        deadweight: 0.5,
        attribution_to_others: 0.5,
        drop_off: 1.0,
        ..settings()
    };
    let v = evaluate(&[Category::Social], &[vec![1000.0, 1000.0]], &[0.0, 0.0], &s);
    close(v.removed[1], 1000.0);
    close(v.removed[2], 500.0);
    close(v.removed[4], 250.0);
    close(v.total_benefits(), 250.0);
    close(v.benefits[3], 250.0);
}

#[test]
fn categories_are_kept_apart() {
    let categories = [
        Category::FiscalCashable,
        Category::FiscalNonCashable,
        Category::Economic,
        Category::Social,
        Category::FiscalCashable,
    ];
    let streams = [vec![100.0], vec![20.0], vec![3.0], vec![0.5], vec![-10.0]];
    let v = evaluate(&categories, &streams, &[10.0], &settings());
    assert_eq!(v.benefits, [90.0, 20.0, 3.0, 0.5]);
    close(v.nppv(), 103.5);
}
