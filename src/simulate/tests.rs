//! Tests of the engine: the lane path against the general path, structural zeros, the kept per-year values, totals
//! read from kernel Columns, and failure reports.

use crate::model::{compile_text, Columns, Model, RunSettings};
use crate::simulate::engine::run_with;
use crate::simulate::kernel::{live_bins, sample_parameters, simulate_iteration, Workspace};
use crate::simulate::{iteration_rng, run, yearly_sample_size, Results, CHUNK};
use std::path::Path;

/// The reference scenario with `iterations` and each (from, to) replacement applied (each must apply).
pub(super) fn reference(iterations: usize, edits: &[(&str, &str)]) -> (Model, RunSettings) {
    bundled("reference", iterations, edits)
}

/// The bundled scenario `name` with `iterations` and each (from, to) replacement applied (each must apply).
pub(super) fn bundled(name: &str, iterations: usize, edits: &[(&str, &str)]) -> (Model, RunSettings) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.toml"));
    let mut text = std::fs::read_to_string(&path).expect("the bundled scenario is readable");
    for (from, to) in edits {
        assert!(text.contains(from), "the {name} scenario no longer contains {from:?}");
        text = text.replacen(from, to, 1);
    }
    let model = compile_text(&path, &text).unwrap_or_else(|e| panic!("{e}"));
    let settings = RunSettings {
        iterations,
        ..model.run_defaults
    };
    (model, settings)
}

pub(super) fn bits<'a>(values: impl IntoIterator<Item = &'a f64>) -> Vec<u64> {
    values.into_iter().map(|v| v.to_bits()).collect()
}

/// Asserts that two runs gave the same totals, yearly means and payback years, bit for bit.
pub(super) fn assert_same_bits(a: &Results, b: &Results) {
    assert_eq!(bits(&a.kernel_totals), bits(&b.kernel_totals));
    assert_eq!(bits(&a.yearly_mean), bits(&b.yearly_mean));
    assert_eq!(a.payback_year, b.payback_year);
}

/// Edits that leave states out of the lane trace: with no outcome in `independent`, it has no flow but leads to
/// states with flows, so it stays; with no cost or outcome in `residential` either, that state leads only to
/// `dead` and is left out with it. A quarter of people start there, so the trace loses mass from the start.
const UNTRACED: [(&str, &str); 3] = [
    ("outcomes = { qaly = \"u_independent\" }", ""),
    (
        "costs = { council = \"cost_residential\", nhs = \"cost_nhs\" }\noutcomes = { qaly = \"u_care\" }",
        "",
    ),
    ("independent = 1\n", "independent = 0.75\nresidential = 0.25\n"),
];

#[test]
fn the_lane_trace_leaves_out_the_states_no_value_depends_on() {
    let traced = |edits: &[(&str, &str)]| Workspace::new(&reference(8, edits).0).traced_state_counts();
    // Per context (one per arm): `dead` is left out of the reference model's four states.
    assert_eq!(traced(&[]), [3, 3]);
    assert_eq!(traced(&UNTRACED), [2, 2]);
}

/// The bins `live_bins` calls structural zeros, checked to be exactly +0 in every one of `iterations` iterations
/// of the general path; returns how many there are.
fn check_structural_zeros(model: &Model, iterations: u64) -> usize {
    let live = live_bins(model);
    let mut ws = Workspace::new(model);
    for i in 0..iterations {
        let mut rng = iteration_rng(model.run_defaults.seed, i);
        sample_parameters(model, &mut rng, &mut ws.draws);
        simulate_iteration(model, &mut ws, &rng).expect("simulates");
        for (b, (&v, &l)) in ws.bins.iter().zip(&live).enumerate() {
            assert!(l || v.to_bits() == 0, "{}: bin {b} is {v}, not +0", model.meta.name);
        }
    }
    live.iter().filter(|&&l| !l).count()
}

#[test]
fn structural_zeros_stay_zero_and_the_sample_leaves_them_out() {
    // The reference model: 2 arms × 20 years × 4 kernel columns. Its only spend is the intervention's one-off
    // package in year 0, so usual care's 20 years and the intervention's later 19 of spend are zeros: 39.
    let (model, settings) = reference(600, &[]);
    assert_eq!(model.n_kernel_columns(), 4);
    assert_eq!(check_structural_zeros(&model, 64), 39);
    let results = run(&model, &settings, None).expect("runs");
    assert_eq!(results.yearly_sample.len(), 600 * (160 - 39));
    // Entry over three years moves the one-off spend into years 0 to 2, so 17 of the intervention's years of
    // council spend are zeros, not 19. Programme costs (NHS spend: annual for years 0 to 2, set-up in year 0) add
    // a kernel column whose zeros are usual care's 20 years and the intervention's years 3 to 19. A time-varying
    // care cost (accrued cycle by cycle, not through occupancy) adds none.
    let edits = [
        ("size = 1000", "size = 1000\nentry = [0.5, 0.3, 0.2]"),
        (
            "amount = 1500 }",
            "amount = 1500 }, { name = \"team\", kind = \"annual\", payer = \"nhs\", amount = 30000, \
             from_year = 0, to_year = 3 }, { name = \"set-up\", kind = \"setup\", payer = \"nhs\", amount = 5000 }",
        ),
        (
            "costs = { council = \"cost_home_care\", nhs = \"cost_nhs\" }",
            "costs = { council = \"cost_home_care * (1 + 0.01 * t)\", nhs = \"cost_nhs\" }",
        ),
    ];
    let (model, _) = reference(64, &edits);
    assert_eq!(model.n_kernel_columns(), 5);
    assert_eq!(check_structural_zeros(&model, 64), (20 + 17) + (20 + 17));
    // An annual person-paid fee from year 2 to year 4 is paid in the cycles starting at 2 and 3: of its column,
    // usual care's 20 years and 18 of the intervention's are zeros.
    let person = [(
        "amount = 1500 }",
        "amount = 1500 }, { name = \"fee\", kind = \"annual\", payer = \"person\", amount = 100, from_year = 2, \
         to_year = 4 }",
    )];
    assert_eq!(check_structural_zeros(&reference(64, &person).0, 64), 39 + 20 + 18);
    // Every bundled scenario.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for entry in std::fs::read_dir(dir).expect("scenarios/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let model = crate::model::load(&path).unwrap_or_else(|e| panic!("{e}")).model;
            check_structural_zeros(&model, 16);
        }
    }
}

/// Edits that add correlated parameters (drawn lane by lane through the scalar code) and a multivariate normal.
const CORRELATED: [(&str, &str); 3] = [
    (
        "rr = 1\n",
        "rr = 1\ncoef = { dist = \"mvnormal\", names = [\"b0\", \"b1\"], mean = [100, 0], \
         cov = [[400, -3], [-3, 0.09]] }\n",
    ),
    ("nhs = \"cost_nhs\"", "nhs = \"cost_nhs + b0 * exp(b1)\""),
    (
        "[[states]]",
        "[[correlations]]\nparameters = [\"cost_home_care\", \"u_care\", \"p_die_home\"]\n\
         matrix = [[1, -0.4, 0.3], [-0.4, 1, -0.5], [0.3, -0.5, 1]]\n\n[[states]]",
    ),
];

#[test]
fn the_lane_path_gives_the_general_paths_results_bit_for_bit() {
    let quarterly = [("cycle = \"year\"", "cycle = \"quarter\"")];
    let outcome_rate = [("discount_rate_outcomes = 0.035", "discount_rate_outcomes = 0.015")];
    let simpson = [("accrual = \"half-cycle\"", "accrual = \"simpson\"")];
    let cohort = "size = 1000\nentry = [0.5, 0.3, 0.2]\nsubgroups = [{ name = \"a\", share = 0.4, parameters = \
                  { cost_nhs = 4000 } }, { name = \"b\", share = 0.6 }]";
    let waves = [("size = 1000", cohort)];
    let annual = "amount = 1500 }, { name = \"team\", kind = \"annual\", payer = \"nhs\", amount = 30000, \
                  from_year = 0, to_year = 3 }, { name = \"set-up\", kind = \"setup\", payer = \"nhs\", \
                  amount = 5000 }";
    let programme = [("amount = 1500 }", annual)];
    // Derived parameters: plain arithmetic (evaluated on lanes) and functions and conditionals (lane by lane).
    let derived = [
        (
            "rr = 1\n",
            "rr = 1\nhome_nhs = \"(cost_nhs - 100) / (2 * u_care) + 1 / rr - 3\"\n\
             res_nhs = \"if(u_care > 0.55, max(cost_nhs, 2600), sqrt(cost_nhs) * 50)\"\n",
        ),
        ("nhs = \"cost_nhs\"", "nhs = \"home_nhs\""),
        ("nhs = \"cost_nhs\"", "nhs = \"res_nhs\""),
    ];
    // Every kind of distribution, so that the lane sampler's draws (vectorised or lane by lane) meet the scalar
    // sampler's: a Dirichlet row, a beta with a shape below 1, uniform, triangular, PERT, normal and gamma.
    let families = [
        (
            "rr = 1\n",
            "rr = 1\nres = { dist = \"dirichlet\", alpha = [30, 8, 2], names = [\"p_stay\", \"p_die_res\", \"p_x\"] }\n\
             p_rare = { dist = \"beta\", alpha = 0.6, beta = 40 }\n\
             extra = { dist = \"uniform\", low = 0, high = 200 }\n\
             tri = { dist = \"triangular\", min = 100, mode = 300, max = 900 }\n\
             pert = { dist = \"pert\", min = 50, mode = 80, max = 200 }\n\
             shift = { dist = \"normal\", mean = 0, sd = 30 }\n\
             g1 = { dist = \"gamma\", shape = 1.2, scale = 100 }\n",
        ),
        (
            "residential = { dead = \"p_die_residential\", residential = \"remainder\" }",
            "residential = { dead = \"p_die_res + p_x\", residential = \"p_stay\" }",
        ),
        (
            "home_care = { residential = \"p_home_to_residential * rr\"",
            "home_care = { residential = \"p_home_to_residential * rr + p_rare\"",
        ),
        (
            "nhs = \"cost_nhs\"",
            "nhs = \"cost_nhs + extra + tri + pert + shift + g1\"",
        ),
    ];
    // A tunnel of 3 cycles (6 model states) with a costlier first year and more deaths in the first two.
    let tunnel = [
        (
            "per = \"year\"\ncosts = { council = \"cost_residential\"",
            "per = \"year\"\ntunnel = { cycles = 3 }\ncosts = { council = \"cost_residential * if(time_in_state == 1, 1.4, 1)\"",
        ),
        (
            "residential = { dead = \"p_die_residential\"",
            "residential = { dead = \"p_die_residential * if(time_in_state <= 2, 1.5, 1)\"",
        ),
    ];
    // 1,003 iterations end on a short block; the edits cover the cases the lane path handles differently.
    let cases: [&[(&str, &str)]; 11] = [
        &[],
        &quarterly,
        &outcome_rate,
        &simpson,
        &waves,
        &programme,
        &derived,
        &families,
        &UNTRACED,
        &CORRELATED,
        &tunnel,
    ];
    for edits in cases {
        let (model, settings) = reference(1003, edits);
        assert!(crate::simulate::kernel::lanes_supported(&model), "{edits:?}");
        let lanes = run_with(&model, &settings, None, true).expect("runs");
        let general = run_with(&model, &settings, None, false).expect("runs");
        assert_eq!(
            bits(&lanes.kernel_totals),
            bits(&general.kernel_totals),
            "totals, {edits:?}"
        );
        assert_eq!(bits(&lanes.yearly_mean), bits(&general.yearly_mean), "means, {edits:?}");
        let sample = |r: &Results| r.yearly_sample.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(sample(&lanes), sample(&general), "sample, {edits:?}");
        assert_eq!(lanes.payback_year, general.payback_year, "payback, {edits:?}");
        assert_eq!(bits(&lanes.draws), bits(&general.draws), "draws, {edits:?}");
    }
}

#[test]
fn every_bundled_scenario_gives_the_same_bits_on_both_paths() {
    // Among them a weekly model whose transition has a condition on time (adaptations' delayed entry), which the lane
    // path evaluates for eight iterations at once while every lane takes the same branch.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut compared = 0;
    for entry in std::fs::read_dir(dir).expect("scenarios/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let loaded = crate::model::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let settings = RunSettings {
            iterations: 203,
            ..loaded.model.run_defaults
        };
        let lanes = run_with(&loaded.model, &settings, None, true).expect("runs");
        let general = run_with(&loaded.model, &settings, None, false).expect("runs");
        let name = path.display();
        assert_eq!(
            bits(&lanes.kernel_totals),
            bits(&general.kernel_totals),
            "totals, {name}"
        );
        assert_eq!(bits(&lanes.yearly_mean), bits(&general.yearly_mean), "means, {name}");
        assert_eq!(lanes.payback_year, general.payback_year, "payback, {name}");
        compared += 1;
    }
    assert!(compared >= 13, "{compared} scenarios");
}

/// Edits that give the reference model values and probabilities that change with time: background mortality from
/// the national life table by age and sex (a cohort of two starting ages and a sex mix, entering over three years),
/// a care cost that grows with time, a utility with a conditional on time, and a function of a lookup.
const LIFE_TABLE: [(&str, &str); 5] = [
    (
        "[parameters]",
        "[tables.qx]\nbuiltin = \"ons_england_2017_2019\"\nbeyond = 1\n\n[parameters]",
    ),
    (
        "size = 1000",
        "size = 1000\nentry = [0.5, 0.3, 0.2]\nage = { 60 = 0.5, 70 = 0.5 }\nmale = 0.4",
    ),
    (
        "dead = \"p_die_independent\"",
        "dead = \"min(1, qx(age, sex) * (1 + p_die_independent))\"",
    ),
    ("dead = \"p_die_home\"", "dead = \"qx(age, sex) + p_die_home\""),
    (
        "costs = { council = \"cost_home_care\", nhs = \"cost_nhs\" }\noutcomes = { qaly = \"u_care\" }",
        "costs = { council = \"cost_home_care * (1 + 0.01 * t)\", nhs = \"cost_nhs\" }\n\
         outcomes = { qaly = \"if(t < 5, u_care, u_care * 0.9)\" }",
    ),
];

#[test]
fn the_lane_path_gives_the_general_paths_results_bit_for_bit_when_values_change_with_time() {
    let quarterly = [
        ("cycle = \"year\"", "cycle = \"quarter\""),
        (
            "min(1, qx(age, sex) * (1 + p_die_independent))",
            "convert_prob(min(1, qx(age, sex) * (1 + p_die_independent)), 1, 0.25)",
        ),
        (
            "qx(age, sex) + p_die_home",
            "convert_prob(qx(age, sex), 1, 0.25) + p_die_home / 4",
        ),
    ];
    let timing = [(
        "primary_outcome = \"qaly\"",
        "primary_outcome = \"qaly\"\ndiscount_timing = \"cycle-start\"\ndiscount_rate_outcomes = 0.015",
    )];
    let timing = [("discount_rate_outcomes = 0.035\n", ""), timing[0]];
    let own_accrual = [(
        "[parameters]",
        "[accrual]\ncare_costs = \"end\"\noutcomes = { qaly = \"simpson\" }\nintervention_costs = \"start\"\n\n[parameters]",
    )];
    // Accrual of its own for values fixed in time too: the reference model with no time in it.
    let own_accrual_only: [(&str, &str); 1] = [(
        "[parameters]",
        "[accrual]\noutcomes = { qaly = \"end\" }\n\n[parameters]",
    )];
    let recurring = [(
        "amount = 1500 }",
        "amount = 1500 }, { name = \"visits\", kind = \"recurring\", payer = \"nhs\", amount = \"40 + 0.5 * age\", \
         per = \"month\", states = [\"independent\", \"home_care\"] }",
    )];
    let cases: [Vec<(&str, &str)>; 6] = [
        LIFE_TABLE.to_vec(),
        [&LIFE_TABLE[..], &quarterly[..]].concat(),
        [&LIFE_TABLE[..], &timing[..]].concat(),
        [&LIFE_TABLE[..], &own_accrual[..], &recurring[..]].concat(),
        own_accrual_only.to_vec(),
        [&LIFE_TABLE[..], &UNTRACED[..]].concat(),
    ];
    for edits in &cases {
        let (model, settings) = reference(1003, edits);
        assert!(crate::simulate::kernel::lanes_supported(&model), "{edits:?}");
        assert!(model.contexts.iter().all(|c| c.per_boundary), "{edits:?}");
        let lanes = run_with(&model, &settings, None, true).expect("runs");
        let general = run_with(&model, &settings, None, false).expect("runs");
        assert_eq!(
            bits(&lanes.kernel_totals),
            bits(&general.kernel_totals),
            "totals, {edits:?}"
        );
        assert_eq!(bits(&lanes.yearly_mean), bits(&general.yearly_mean), "means, {edits:?}");
        let sample = |r: &Results| r.yearly_sample.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(sample(&lanes), sample(&general), "sample, {edits:?}");
        assert_eq!(lanes.payback_year, general.payback_year, "payback, {edits:?}");
    }
    // The life-table model's strata: 2 ages × 2 sexes per arm, each with its own series of qx.
    let (model, _) = reference(8, &LIFE_TABLE);
    assert_eq!(model.contexts.len(), 2 * 4);
    assert!(model.contexts.iter().all(|c| !c.series.slots.is_empty()));
}

#[test]
fn a_probability_that_leaves_the_unit_interval_in_some_lane_is_reported_as_the_general_path_reports_it() {
    // Past age 100 the table gives 1, so the independent row's probabilities sum above 1 for some draws.
    let edits = [
        &LIFE_TABLE[..2],
        &[(
            "dead = \"p_die_independent\"",
            "dead = \"qx(age + 30, sex) * 0.5 + p_die_independent * 6\"",
        )][..],
    ]
    .concat();
    let (model, settings) = reference(3000, &edits);
    let lanes = run_with(&model, &settings, None, true).expect_err("fails");
    let general = run_with(&model, &settings, None, false).expect_err("fails");
    assert_eq!(lanes, general);
}

#[test]
fn kept_per_year_values_read_back_as_each_iteration_computed_them() {
    // 600 iterations: two full chunks and a short third one, each laid out bin by bin in its own piece.
    let (model, settings) = reference(600, &[]);
    check_kept_values(&model, &settings, &[0, 7, 255, 256, 300, 511, 512, 599]);
    // More iterations than the sample keeps, so the sample ends part of the way through a chunk.
    let kept = yearly_sample_size(&model, usize::MAX);
    assert_ne!(kept % CHUNK, 0, "the sample should end inside a chunk");
    let (model, settings) = reference(kept + 300, &[]);
    check_kept_values(&model, &settings, &[kept / CHUNK * CHUNK, kept - 2, kept - 1]);
}

#[test]
fn full_column_totals_are_read_from_the_kernel_columns() {
    use crate::model::Payer;
    let (model, settings) = reference(40, &[]);
    let r = run(&model, &settings, None).expect("runs");
    let council = Columns::BUILT_IN.care(Payer::Council);
    let mut ws = Workspace::new(&model);
    for i in [0, 17, 39] {
        let mut rng = iteration_rng(settings.seed, i as u64);
        sample_parameters(&model, &mut rng, &mut ws.draws);
        simulate_iteration(&model, &mut ws, &rng).expect("simulates");
        for arm in 0..2 {
            // The council care column's years, summed in order.
            let k = model
                .kernel_columns
                .iter()
                .position(|&c| c == council)
                .expect("a council column");
            let years = ws.arm_bins(arm).chunks_exact(model.n_kernel_columns());
            let summed = years.fold(0.0, |sum, year| sum + year[k]);
            assert_eq!(r.total(i, arm, council).to_bits(), summed.to_bits());
            for p in Payer::BUILT_IN {
                // No cost line has a cashable share below 1, so all care costs are cashable.
                assert_eq!(
                    r.total(i, arm, Columns::BUILT_IN.cashable(p)),
                    r.total(i, arm, Columns::BUILT_IN.care(p))
                );
                if p != Payer::Council {
                    assert_eq!(r.total(i, arm, Columns::BUILT_IN.spend(p)), 0.0);
                }
            }
            // Nothing is paid by the person in the reference model.
            assert_eq!(r.total(i, arm, Columns::BUILT_IN.care(Payer::Person)), 0.0);
        }
        // The prevention package (£1,500, paid at entry, undiscounted) is the only spend.
        assert_eq!(r.total(i, 0, Columns::BUILT_IN.spend(Payer::Council)), 0.0);
        assert_eq!(r.total(i, 1, Columns::BUILT_IN.spend(Payer::Council)), 1500.0);
        let care = r.total(i, 1, council) + r.total(i, 1, Columns::BUILT_IN.care(Payer::Nhs));
        assert!((r.total_cost(i, 1) - care - 1500.0).abs() < 1e-9 * care);
    }
    // Half of home care's council cost cashable: the cashable column is its own, between half the care cost and all.
    let half = [(
        "costs = { council = \"cost_home_care\", nhs = \"cost_nhs\" }",
        "costs = { council = { amount = \"cost_home_care\", cashable = 0.5 }, nhs = \"cost_nhs\" }",
    )];
    let (model, settings) = reference(40, &half);
    let r = run(&model, &settings, None).expect("runs");
    for i in 0..40 {
        let (care, cashable) = (
            r.total(i, 0, council),
            r.total(i, 0, Columns::BUILT_IN.cashable(Payer::Council)),
        );
        assert!(0.5 * care < cashable && cashable < care, "{cashable} of {care}");
    }
}

/// Checks that the run's kept per-year values of `iterations` equal those the general path computes for them.
fn check_kept_values(model: &Model, settings: &RunSettings, iterations: &[usize]) {
    let results = run(model, settings, None).expect("runs");
    assert_eq!(
        results.yearly_sample_size(),
        yearly_sample_size(model, settings.iterations)
    );
    let years = model.settings.horizon_years;
    let mut ws = Workspace::new(model);
    for &i in iterations {
        let mut rng = iteration_rng(settings.seed, i as u64);
        sample_parameters(model, &mut rng, &mut ws.draws);
        simulate_iteration(model, &mut ws, &rng).expect("simulates");
        for arm in 0..model.arms.len() {
            let bins = ws.arm_bins(arm);
            for year in 0..years {
                for (k, &column) in model.kernel_columns.iter().enumerate() {
                    let expected = bins[year * model.n_kernel_columns() + k] as f32;
                    assert_eq!(results.yearly_kernel_value(i, arm, year, k), expected, "iteration {i}");
                    assert_eq!(results.yearly_value(i, arm, year, column), f64::from(expected));
                }
            }
        }
    }
    // The same values gathered an arm and year at a time, for every kept iteration (a column not kept is zero).
    let kept = results.yearly_sample_size();
    let mut cells = Vec::new();
    for arm in 0..model.arms.len() {
        for year in 0..years {
            let cell = arm * years + year;
            // Read alone, and with the cells after it (the same values either way).
            results.yearly_kernel_columns(cell..cell + 1, kept, &mut cells);
            let alone = cells[0].clone();
            results.yearly_kernel_columns(cell..model.arms.len() * years, kept, &mut cells);
            assert_eq!(cells[0], alone, "arm {arm}, year {year}");
            // And fewer iterations than the sample keeps, ending part of the way into a block of lanes.
            let fewer = kept - 3;
            let mut short = Vec::new();
            results.yearly_kernel_columns(cell..cell + 1, fewer, &mut short);
            let truncated: Vec<Option<Vec<f32>>> = (alone.iter())
                .map(|c| c.as_ref().map(|values| values[..fewer].to_vec()))
                .collect();
            assert_eq!(short[0], truncated, "arm {arm}, year {year}, {fewer} iterations");
            let columns = &cells[0];
            assert_eq!(columns.len(), model.n_kernel_columns());
            for (k, column) in columns.iter().enumerate() {
                for i in 0..kept {
                    let expected = results.yearly_kernel_value(i, arm, year, k);
                    let got = column.as_ref().map_or(0.0, |c| c[i]);
                    assert_eq!(
                        got.to_bits(),
                        expected.to_bits(),
                        "iteration {i}, arm {arm}, year {year}"
                    );
                }
            }
            // The cost columns summed for this cell alone (see `check_cell_sums`).
            check_cell_sums(model, &results, cell..cell + 1, kept);
        }
    }
    // And for runs of cells together, not starting at the first, over every kept iteration and over fewer, ending
    // part of the way into a block of lanes.
    let cells = model.arms.len() * years;
    check_cell_sums(model, &results, 0..cells, kept);
    check_cell_sums(model, &results, 1..cells, kept - 3);
}

/// Checks [`Results::yearly_cell_sums`] of `cells` over the first `n` kept iterations: every cost column summed
/// (those the model never writes among them, which add 0), and the same columns in reverse, against adding each
/// iteration's values one by one from −0.
fn check_cell_sums(model: &Model, results: &Results, cells: std::ops::Range<usize>, n: usize) {
    let years = model.settings.horizon_years;
    let cost_columns: Vec<usize> = (0..model.columns().cost_columns()).collect();
    let reversed: Vec<usize> = cost_columns.iter().rev().copied().collect();
    for set in [&cost_columns, &reversed] {
        let mut sums = vec![f64::NAN; n * cells.len()];
        results.yearly_cell_sums(cells.clone(), set, n, &mut sums);
        for (cell, cell_sums) in cells.clone().zip(sums.chunks_exact(n)) {
            let (arm, year) = (cell / years, cell % years);
            for (i, got) in cell_sums.iter().enumerate() {
                let expected = (set.iter()).fold(-0.0, |sum, &c| sum + results.yearly_value(i, arm, year, c));
                assert_eq!(
                    got.to_bits(),
                    expected.to_bits(),
                    "iteration {i} of {n}, arm {arm}, year {year}"
                );
            }
        }
    }
}

#[test]
fn sums_of_kept_columns_keep_the_sign_of_zero_that_adding_value_by_value_gives() {
    // Three columns whose values in 64 iterations are every combination of signed zeros and numbers that cancel,
    // each column kept or absent (absent: +0 in every iteration), added in two orders: the sums must have the bits
    // of adding the values one by one from −0, the absent ones' +0 in their places.
    let values = [-0.0f32, 0.0, 1.5, -1.5];
    let column = |c: u32| -> Vec<f32> { (0..64).map(|i| values[(i / 4usize.pow(c)) % 4]).collect() };
    for absent in 0..8u32 {
        let columns: Vec<Option<Vec<f32>>> = (0..3).map(|c| (absent & (1 << c) == 0).then(|| column(c))).collect();
        for kernel in [[0, 1, 2], [2, 0, 1], [1, 2, 0]] {
            let mut sums = vec![f64::NAN; 64];
            Results::sum_kernel_columns(&columns, &kernel, &mut sums);
            for (i, got) in sums.iter().enumerate() {
                let expected = (kernel.iter()).fold(-0.0, |sum, &k| {
                    sum + columns[k].as_ref().map_or(0.0, |values| f64::from(values[i]))
                });
                assert_eq!(
                    got.to_bits(),
                    expected.to_bits(),
                    "absent {absent:03b}, order {kernel:?}, iteration {i}"
                );
            }
        }
    }
}

#[test]
fn the_lane_path_reports_failures_as_the_general_path_does() {
    // An invalid probability in some iterations, and a non-finite cost in others.
    let probability = [("dead = \"p_die_residential\"", "dead = \"p_die_residential * 3.0\"")];
    let non_finite = [
        ("rr = 1\n", "rr = 1\nhome_nhs = \"ln(p_die_home - 0.065)\"\n"),
        ("nhs = \"cost_nhs\"", "nhs = \"home_nhs\""),
    ];
    // The same invalid probability in a row fixed in time beside rows that change with time, which the lane path
    // computes once rather than at every boundary.
    let beside_changing = [&LIFE_TABLE[..], &probability[..]].concat();
    let (model, _) = reference(8, &beside_changing);
    let ctx = &model.contexts[0];
    assert!(ctx.dynamic_transitions() && ctx.changing_rows.len() < ctx.rows.len());
    for edits in [&probability[..], &non_finite[..], &beside_changing[..]] {
        let (model, settings) = reference(3000, edits);
        let lanes = run_with(&model, &settings, None, true).expect_err("fails");
        let general = run_with(&model, &settings, None, false).expect_err("fails");
        assert_eq!(lanes, general);
    }
}

#[test]
fn a_model_binned_by_cycle_gives_the_same_bits_on_both_paths_and_the_same_years() {
    // Quarterly cycles, entry over three years and programme costs: the cases whose bins depend on the cycle.
    let cohort = "size = 1000\nentry = [0.5, 0.3, 0.2]";
    let annual = "amount = 1500 }, { name = \"team\", kind = \"annual\", payer = \"nhs\", amount = 30000, \
                  from_year = 0, to_year = 3 }, { name = \"set-up\", kind = \"setup\", payer = \"nhs\", \
                  amount = 5000 }";
    let edits = [
        ("cycle = \"year\"", "cycle = \"quarter\""),
        ("size = 1000", cohort),
        ("amount = 1500 }", annual),
    ];
    let (model, settings) = reference(203, &edits);
    let by_cycle = model.binned_by_cycle().expect("quarterly cycles");
    assert_eq!(by_cycle.settings.bins(), 4 * model.settings.bins());
    let lanes = run_with(&by_cycle, &settings, None, true).expect("runs");
    let general = run_with(&by_cycle, &settings, None, false).expect("runs");
    assert_eq!(bits(&lanes.yearly_mean), bits(&general.yearly_mean));
    assert_eq!(lanes.payback_year, general.payback_year);
    // Only its payback is read: it keeps no per-bin sample (the yearly run does).
    assert_eq!((lanes.yearly_sample_size(), lanes.yearly_sample.len()), (0, 0));
    // Summed by year, the quarters give the yearly run's values, and the payback quarter falls in the payback year.
    let yearly = run_with(&model, &settings, None, true).expect("runs");
    assert_eq!(yearly.yearly_sample_size(), 203);
    let shape = yearly.yearly_mean.shape().to_vec();
    for arm in 0..shape[0] {
        for year in 0..shape[1] {
            for c in 0..shape[2] {
                let quarters: f64 = (0..4).map(|q| lanes.yearly_mean[[arm, 4 * year + q, c]]).sum();
                let v = yearly.yearly_mean[[arm, year, c]];
                assert!(
                    (quarters - v).abs() <= 1e-9 * v.abs().max(1.0),
                    "{arm} {year} {c}: {quarters} {v}"
                );
            }
        }
    }
    // Cumulative net savings are the same at each year's end, so an iteration that pays back by the end of year y
    // pays back by quarter 4y; it may pay back sooner, in a quarter after which the year's later quarters take it
    // below zero again (as in one iteration of these 203).
    let mut same = 0;
    for (q, y) in lanes.payback_year.iter().zip(&yearly.payback_year) {
        if let Some(y) = y {
            assert!(q.is_some_and(|q| q.div_ceil(4) <= *y), "quarter {q:?}, year {y}");
        }
        same += usize::from(q.map(|q| q.div_ceil(4)) == *y);
    }
    assert!(same >= 200 * 2, "{same} of 406 agree");
    assert!(
        model.by_cycle().unwrap().by_cycle().is_none(),
        "binned by cycle already"
    );
    assert_payback_costs_alone_give_the_same_bits(&model, &settings, &lanes);
}

/// The model for payback by cycle ([`Model::by_cycle`]), which accrues only the costs payback reads, gives `binned`
/// (a run of [`Model::binned_by_cycle`], every column accrued) bit for bit in those columns and in payback, on both
/// paths, and zero in the others; and it has columns left out.
fn assert_payback_costs_alone_give_the_same_bits(model: &Model, settings: &RunSettings, binned: &Results) {
    let by_cycle = model.by_cycle().expect("cycles shorter than a year");
    let read: Vec<bool> = (0..model.n_kernel_columns()).map(|k| model.payback_reads(k)).collect();
    assert!(read.contains(&true) && read.contains(&false), "{read:?}");
    for lanes in [true, false] {
        let alone = run_with(&by_cycle, settings, None, lanes).expect("runs");
        assert_eq!(alone.payback_year, binned.payback_year, "lanes: {lanes}");
        for ((index, v), b) in alone.yearly_mean.indexed_iter().zip(binned.yearly_mean.iter()) {
            let payback_reads = binned.kernel_column(index.2).is_some_and(|k| read[k]);
            let expected = if payback_reads { b.to_bits() } else { 0 };
            assert_eq!(v.to_bits(), expected, "{index:?}, lanes: {lanes}");
        }
    }
}

#[test]
fn a_model_with_strata_tables_tunnels_and_conventions_binned_by_cycle_gives_the_same_bits_on_both_paths() {
    // Monthly cycles: strata reading the life table, a cost from a table by cycle, a tunnel costed by time in
    // state, care costs and QALYs under conventions of their own, cycle-start discounting, entry over two years.
    let text = r#"
[scenario]
name = "depth"
[settings]
horizon_years = 3
cycle = "month"
iterations = 24
seed = 5
mode = "cohort"
accrual = "start"
discounting = "discrete"
discount_rate_costs = 0.035
discount_rate_outcomes = 0.015
discount_timing = "cycle-start"
[tables.qx]
builtin = "ons_england_2017_2019"
beyond = 1
[tables.checks]
by = "cycle"
beyond = "last"
rows = [{ cycle = 0, value = 120 }, { cycle = 1, value = 60 }]
[tables.stay]
by = "time_in_state"
beyond = "last"
rows = [{ time_in_state = 1, value = 2400 }, { time_in_state = 2, value = 1200 }]
[accrual]
care_costs = "end"
outcomes = { qaly = "half-cycle" }
[parameters]
p_care = { dist = "beta", mean = 0.02, sd = 0.005 }
rr = 1
[[states]]
name = "well"
per = "year"
costs = { council = "checks(cycle)" }
outcomes = { qaly = 0.8 }
[[states]]
name = "care"
per = "year"
tunnel = { cycles = 3 }
costs = { council = "stay(time_in_state)" }
outcomes = { qaly = 0.5 }
[[states]]
name = "dead"
dead = true
[start]
well = 1
[transitions]
well = { dead = "convert_prob(qx(age, sex), 1, 1 / 12)", care = "p_care * rr", well = "remainder" }
care = { dead = "convert_prob(qx(age, sex), 1, 1 / 12)", well = "0.05", care = "remainder" }
[[arms]]
name = "usual_care"
[[arms]]
name = "support"
parameters = { rr = { dist = "lognormal", ci95 = [0.6, 0.9] } }
costs = [{ name = "visits", kind = "recurring", payer = "council", amount = 600, per = "year" }]
[cohort]
size = 1000
entry = [0.6, 0.4]
age = { 70 = 0.5, 85 = 0.5 }
male = 0.4
"#;
    let model = compile_text(Path::new("depth.toml"), text).unwrap_or_else(|e| panic!("{e}"));
    let by_cycle = model.by_cycle().expect("monthly cycles");
    let settings = model.run_defaults;
    let lanes = run_with(&by_cycle, &settings, None, true).expect("runs");
    let general = run_with(&by_cycle, &settings, None, false).expect("runs");
    assert_same_bits(&lanes, &general);
    let binned = model.binned_by_cycle().expect("monthly cycles");
    assert_payback_costs_alone_give_the_same_bits(
        &model,
        &settings,
        &run_with(&binned, &settings, None, true).expect("runs"),
    );
}

#[test]
fn delayed_one_off_costs_and_savings_give_the_same_bits_on_both_paths() {
    // A one-off cost paid 7 months after each wave's entry (in the year, and in the quarter, it falls in) and a
    // saving: the lane path and the general path must add them to the same bins, by year and by cycle.
    let edits = [
        ("cycle = \"year\"", "cycle = \"quarter\""),
        ("size = 1000", "size = 1000\nentry = [0.5, 0.3, 0.2]"),
        (
            "amount = 1500 }",
            "amount = 1500, delay = \"7 months\" }, { name = \"avoided\", kind = \"saving\", payer = \"nhs\", \
             amount = 100, per = \"year\", cashable = 0.5 }",
        ),
    ];
    let (model, settings) = reference(61, &edits);
    for m in [model.by_cycle().expect("quarterly"), model.clone()] {
        let lanes = run_with(&m, &settings, None, true).expect("runs");
        let general = run_with(&m, &settings, None, false).expect("runs");
        assert_same_bits(&lanes, &general);
    }
    // The cashable share of the saving is a column payback does not read.
    let binned = model.binned_by_cycle().expect("quarterly");
    assert_payback_costs_alone_give_the_same_bits(
        &model,
        &settings,
        &run_with(&binned, &settings, None, true).expect("runs"),
    );
}
