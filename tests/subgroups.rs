//! Results by subgroup: each subgroup run alone (`Model::for_subgroup`), checked against figures derived by hand, the
//! whole cohort as the share-weighted sum of its subgroups in cohort mode, the same bits on any number of threads,
//! and the files a run writes.

mod common;
use carecast::analysis::Analysis;
use carecast::commands::RunOutcome;
use carecast::model::Mode;
use common::*;

/// Two subgroups of a cohort of 100: "frail" (25%, yearly death probability 0.5) and "fit" (75%, 0.1). Two years,
/// yearly cycles, accrual at the start of each cycle, no discounting. Usual care costs the council £5,000 a year at
/// home; the service costs £4,000 a year at home, £1,000 per person at entry and £20,000 for the programme at its
/// start, and halves the death probability (`rr`). One outcome: a life year per year at home.
const TWO_GROUPS: &str = r#"
[parameters]
p_die = 0.1
rr = 1
home_cost = 5000
[[states]]
name = "home"
per = "year"
costs = { council = "home_cost" }
outcomes = { life_years = 1 }
[[states]]
name = "dead"
dead = true
[start]
home = 1
[transitions]
home = { dead = "p_die * rr", home = "remainder" }
[[arms]]
name = "usual"
[[arms]]
name = "service"
parameters = { rr = 0.5, home_cost = 4000 }
costs = [
  { name = "entry", kind = "one_off", payer = "council", amount = 1000 },
  { name = "team", kind = "setup", payer = "council", amount = 20000 },
]
[cohort]
size = 100
subgroups = [
  { name = "frail", share = 0.25, label = "Frail", parameters = { p_die = 0.5 } },
  { name = "fit", share = 0.75, label = "Fit" },
]
"#;

/// The two-subgroup scenario with `settings` (key, TOML value) over the skeleton's, run through `carecast run` on
/// `threads` threads.
fn run_two_groups(settings: &[(&str, &str)], body: &str, threads: usize) -> (RunOutcome, tempfile::TempDir) {
    let mut all = vec![
        ("horizon_years", "2"),
        ("discount_rate_costs", "0"),
        ("discount_rate_outcomes", "0"),
    ];
    all.extend_from_slice(settings);
    let text = scenario_text("two_groups", &all, body);
    let tmp = tempfile::tempdir().expect("temporary directory");
    let path = tmp.path().join("two_groups.toml");
    std::fs::write(&path, text).expect("scenario written");
    let ctx = carecast::commands::Context::new(Some(threads), Some(tmp.path().join("out"))).expect("a pool");
    let outcome = carecast::commands::run(&ctx, &path, &changes(None, &[])).unwrap_or_else(|e| panic!("{e}"));
    (outcome, tmp)
}

/// The service's net savings and life-year gain per person against usual care.
fn service(a: &Analysis) -> (f64, f64) {
    let c = &a.comparisons[0];
    (c.net_savings.mean, c.incremental_outcomes[0].mean)
}

#[test]
fn each_subgroup_alone_gives_its_hand_derived_figures_and_the_cohort_their_weighted_sum() {
    // Per person of a group with death probability p (rr halves it under the service; start accrual counts
    // boundaries 0 and 1, at home 1 and 1 − p):
    //   usual care:  5000·(2 − p);  service: 4000·(2 − p/2) + 1000 + 20000/100 (the team shared per person)
    //   net savings = 10000 − 5000p − 8000 + 2000p − 1200 = 800 − 3000p: frail (p = 0.5) −700, fit (p = 0.1) 500
    //   life years gained = (2 − p/2) − (2 − p) = p/2: frail 0.25, fit 0.05
    // The whole cohort: 0.25·(−700) + 0.75·500 = 200 and 0.25·0.25 + 0.75·0.05 = 0.1.
    let (outcome, _tmp) = run_two_groups(&[], TWO_GROUPS, 2);
    let total = service(&outcome.analysis);
    assert!((total.0 - 200.0).abs() < 1e-9, "{total:?}");
    assert!((total.1 - 0.1).abs() < 1e-12, "{total:?}");
    let groups: Vec<_> = (outcome.subgroups.iter())
        .map(|g| (g.name.as_str(), g.label.as_str(), g.people, service(&g.analysis)))
        .collect();
    assert_eq!(groups.len(), 2);
    for ((name, label, people, (savings, gain)), expected) in groups
        .into_iter()
        .zip([("frail", "Frail", 25, -700.0, 0.25), ("fit", "Fit", 75, 500.0, 0.05)])
    {
        assert_eq!((name, label, people), (expected.0, expected.1, expected.2));
        assert!((savings - expected.3).abs() < 1e-9, "{name}: {savings}");
        assert!((gain - expected.4).abs() < 1e-12, "{name}: {gain}");
    }
}

#[test]
fn each_subgroups_budget_counts_its_own_people() {
    // Arm cost − comparator cost per person, all payers, by programme year (see the test above):
    //   year 1: 4000 + 1000 + 200 − 5000 = +200;  year 2: 4000·(1 − p/2) − 5000·(1 − p) = −1000 + 3000p
    // frail (25 people, p = 0.5): +5,000 and +12,500; fit (75 people, p = 0.1): +15,000 and −52,500; the whole
    // cohort: +20,000 and −40,000 (their sums).
    let (outcome, _tmp) = run_two_groups(&[("start_date", "\"2027-04-01\"")], TWO_GROUPS, 2);
    let impact = |b: &carecast::analysis::budget::Budget, year: usize| {
        let row = (b.rows.iter())
            .find(|r| r.payer == "total" && r.year == year && r.basis == carecast::analysis::budget::Basis::Cash)
            .expect("a total row");
        row.impact
    };
    let total = outcome.budget.as_ref().expect("a budget");
    assert!((impact(total, 1) - 20_000.0).abs() < 1e-6 && (impact(total, 2) + 40_000.0).abs() < 1e-6);
    let expected = [(25.0, 5_000.0, 12_500.0), (75.0, 15_000.0, -52_500.0)];
    for (g, (population, one, two)) in outcome.subgroups.iter().zip(expected) {
        let b = g.budget.as_ref().expect("a subgroup budget");
        assert_eq!(b.population, population, "{}", g.name);
        assert!((impact(b, 1) - one).abs() < 1e-6, "{}: {}", g.name, impact(b, 1));
        assert!((impact(b, 2) - two).abs() < 1e-6, "{}: {}", g.name, impact(b, 2));
    }
}

#[test]
fn in_individual_mode_each_subgroup_has_its_own_people_and_bears_the_programme_per_person() {
    // Nobody dies (p_die = 0 in both groups), so individual mode is deterministic: net savings per person are
    // 5000·2 − 4000·2 − 1000 − 20000/100 = 800 in each group. Were the team's £20,000 spread over a group's own 25
    // people only, the frail group's would be 200.
    let body = TWO_GROUPS
        .replace("p_die = 0.1", "p_die = 0")
        .replace("parameters = { p_die = 0.5 }", "parameters = { p_die = 0 }");
    let (outcome, _tmp) = run_two_groups(&[("mode", "\"individual\"")], &body, 2);
    assert!((service(&outcome.analysis).0 - 800.0).abs() < 1e-9);
    let people: Vec<u64> = outcome.subgroups.iter().map(|g| g.people).collect();
    assert_eq!(people, [25, 75]);
    for g in &outcome.subgroups {
        assert!((service(&g.analysis).0 - 800.0).abs() < 1e-9, "{}", g.name);
    }
}

/// A figure of comparison i of an analysis.
type Figure = fn(&Analysis, usize) -> f64;

/// Checks that every comparison's mean figures in `total` are the share-weighted sums of the subgroups'.
fn assert_weighted_sum(outcome: &RunOutcome) {
    let total = &outcome.analysis;
    assert!(outcome.subgroups.len() >= 2);
    let weighted =
        |f: &dyn Fn(&Analysis) -> f64| -> f64 { (outcome.subgroups.iter()).map(|g| g.share * f(&g.analysis)).sum() };
    for (i, c) in total.comparisons.iter().enumerate() {
        let figures: [(&str, Figure); 3] = [
            ("net savings", |a, i| a.comparisons[i].net_savings.mean),
            ("incremental cost", |a, i| a.comparisons[i].incremental_cost.mean),
            ("first outcome", |a, i| a.comparisons[i].incremental_outcomes[0].mean),
        ];
        for (what, f) in figures {
            let (whole, sum) = (f(total, i), weighted(&|a: &Analysis| f(a, i)));
            assert!(
                (whole - sum).abs() <= 1e-9 * whole.abs().max(1.0),
                "{} vs {}: {what} {whole} vs weighted sum {sum}",
                c.arm,
                c.comparator
            );
        }
    }
    for (a, arm) in total.arms.iter().enumerate() {
        let sum = weighted(&|g: &Analysis| g.arms[a].cost.mean);
        assert!(
            (arm.cost.mean - sum).abs() <= 1e-9 * arm.cost.mean.abs(),
            "{}",
            arm.name
        );
    }
}

#[test]
fn in_cohort_mode_the_whole_cohort_is_the_share_weighted_sum_of_its_subgroups() {
    for name in ["adaptations", "shared-lives"] {
        let tmp = tempfile::tempdir().expect("temporary directory");
        let outcome = carecast::commands::run(&context(tmp.path()), &bundled_path(name), &changes(Some(200), &[]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(outcome.loaded.model.settings.mode, Mode::Cohort, "{name}");
        assert_weighted_sum(&outcome);
    }
}

#[test]
fn a_subgroup_alone_draws_the_same_parameters_and_gives_the_same_bits_on_any_thread_count() {
    let mut model = bundled("adaptations", Some(300), &[]).model;
    model.run_defaults.iterations = 300;
    let whole = run(&model, 1);
    for g in 0..model.subgroups.len() {
        let alone = model.for_subgroup(g).expect("two subgroups");
        let one = run(&alone, 1);
        // Every parameter is drawn as in the whole model's run, iteration by iteration.
        assert_eq!(one.draws, whole.draws, "subgroup {g}: draws");
        for threads in [2, 5] {
            let other = run(&alone, threads);
            let bits =
                |r: &carecast::simulate::Results| r.kernel_totals.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&one), bits(&other), "subgroup {g}, {threads} threads: totals");
            let yearly =
                |r: &carecast::simulate::Results| r.yearly_sample.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                yearly(&one),
                yearly(&other),
                "subgroup {g}, {threads} threads: per-year sample"
            );
            assert_eq!(one.payback_year, other.payback_year);
        }
    }
}

#[test]
fn subgroup_people_split_the_cohort_by_largest_remainder() {
    // 100 people in thirds: 33⅓ each; the one left over goes to the first (ties to the earlier subgroup).
    // 10 people at 0.25/0.75: 2.5 and 7.5, remainders tied, so the first gets the extra person: 3 and 7.
    for (size, shares, expected) in [(100, "1/3", vec![34, 33, 33]), (10, "quarter", vec![3, 7])] {
        let groups = match shares {
            "1/3" => {
                "subgroups = [{ name = \"a\", share = 0.3333333333333333 }, { name = \"b\", share = \
                      0.3333333333333333 }, { name = \"c\", share = 0.3333333333333333 }]"
            }
            _ => "subgroups = [{ name = \"a\", share = 0.25 }, { name = \"b\", share = 0.75 }]",
        };
        let body = TWO_GROUPS
            .replace("size = 100", &format!("size = {size}"))
            .split("subgroups = [")
            .next()
            .expect("the body before the subgroups")
            .to_string()
            + groups;
        let m = model(&scenario_text("split", &[], &body));
        assert_eq!(m.subgroup_people(), expected, "{size} people, {shares}");
    }
}

#[test]
fn a_scenario_with_one_subgroup_has_no_results_by_subgroup() {
    let loaded = bundled("reference", Some(16), &[]);
    assert_eq!(loaded.model.subgroups.len(), 1);
    assert!(loaded.model.for_subgroup(0).is_none());
    let tmp = tempfile::tempdir().expect("temporary directory");
    let outcome = carecast::commands::run(
        &context(tmp.path()),
        &bundled_path("reference"),
        &changes(Some(16), &[]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(outcome.subgroups.is_empty());
    assert!(!outcome.dir.join("subgroups.csv").exists());
    assert!(!outcome.dir.join("subgroups").exists());
}

#[test]
fn a_run_with_subgroups_writes_their_tables_summary_and_report_section() {
    let (outcome, _tmp) = run_two_groups(&[("start_date", "\"2027-04-01\"")], TWO_GROUPS, 2);
    let dir = &outcome.dir;
    let csv = std::fs::read_to_string(dir.join("subgroups.csv")).expect("subgroups.csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0], "\u{feff}subgroup,label,share,people,arm,comparator,measure,value,p2_5,p97_5",
        "one byte order mark, then the header"
    );
    // One iteration: the intervals are the value itself.
    assert!(
        lines.contains(&"all,Whole cohort,1,100,service,usual,net_savings,200,200,200"),
        "{csv}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("frail,Frail,0.25,25,service,usual,net_savings,-700")),
        "{csv}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("fit,Fit,0.75,75,service,usual,gain_life_years,0.05")),
        "{csv}"
    );
    for g in ["frail", "fit"] {
        for file in ["per_year.csv", "roi.csv", "payback.csv", "budget.csv"] {
            assert!(dir.join("subgroups").join(g).join(file).is_file(), "{g}/{file}");
        }
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).expect("summary.json")).expect("json");
    let by_group = summary["results_by_subgroup"].as_array().expect("results_by_subgroup");
    assert_eq!(by_group.len(), 2);
    assert_eq!(by_group[0]["subgroup"], "frail");
    assert_eq!(by_group[0]["people"], 25);
    let report = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    assert!(report.contains("<h2 id=\"for-whom-h\">For whom</h2>"));
    assert!(report.contains("Frail (25%, 25 people)") && report.contains("Fit (75%, 75 people)"));
    assert!(
        report.contains("−\u{2060}£700"),
        "the frail group's net savings in the report"
    );
}

#[test]
fn a_subgroup_may_not_be_named_all_beside_others() {
    let body = TWO_GROUPS.replace("name = \"frail\"", "name = \"all\"");
    let e = compile_error(&scenario_text("bad", &[], &body));
    assert!(e.contains("cohort.subgroups[0].name"), "{e}");
    assert!(e.contains("`all` names the whole cohort"), "{e}");
    assert!(e.contains("test.toml:"), "the file and line: {e}");
}

#[test]
fn each_subgroup_has_its_own_cost_benefit_account_and_the_cohort_their_weighted_sum() {
    // TWO_GROUPS with a [cba] block: 10% optimism bias on costs, 20% deadweight, a life year valued at £100 as
    // economic benefit. Per person of a group with death probability p (see the first test):
    //   care savings 5000·(2 − p) − 4000·(2 − p/2) = 2000 − 3000p; life years gained p/2, worth 50p
    //   benefits after deadweight 0.8·(2000 − 2950p); cost (1000 + 20000/100)·1.1 = 1320
    //   NPPV = 280 − 2360p: frail (p = 0.5) −900, fit (p = 0.1) 44; the cohort 0.25·(−900) + 0.75·44 = −192.
    let body = format!(
        "{TWO_GROUPS}\n[cba]\noptimism_bias_costs = 0.1\ndeadweight = 0.2\nsource = \"test shares\"\n\
         [cba.economic.life_years]\nvalue = 100\nsource = \"test value\"\n"
    );
    let (outcome, _tmp) = run_two_groups(&[], &body, 2);
    let nppv = |cba: &carecast::analysis::cba::Cba| cba.comparisons[0].line("net", "nppv").expect("nppv").figure.mean;
    assert!((nppv(outcome.cba.as_ref().expect("the cohort's account")) + 192.0).abs() < 1e-9);
    for (g, expected) in outcome.subgroups.iter().zip([-900.0, 44.0]) {
        let got = nppv(g.cba.as_ref().expect("a subgroup's account"));
        assert!((got - expected).abs() < 1e-9, "{}: {got}", g.name);
    }
    let dir = &outcome.dir;
    let frail = std::fs::read_to_string(dir.join("subgroups/frail/cba.csv")).expect("frail's cba.csv");
    assert!(
        frail.lines().any(|l| l.starts_with("service,usual,net,nppv,,-900,")),
        "{frail}"
    );
    let csv = std::fs::read_to_string(dir.join("subgroups.csv")).expect("subgroups.csv");
    // The interval comes from the kept per-year sample, held in single precision: 44.000000953674316.
    assert!(
        csv.lines()
            .any(|l| l.starts_with("fit,Fit,0.75,75,service,usual,nppv,44,44.0000")),
        "{csv}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).expect("summary.json")).expect("json");
    assert!(summary["results_by_subgroup"][0]["cba"]["comparisons"].is_array());
    let report = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    assert!(report.contains("Net present public value (cost-benefit account)"));
    assert!(report.contains("−\u{2060}£900"), "the frail group's NPPV in the report");
    // The workbook has both as sheets, numbers as numbers.
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let mut book: Xlsx<_> = open_workbook(dir.join("workbook.xlsx")).expect("a workbook");
    let rows = |book: &mut Xlsx<_>, name: &str| -> Vec<Vec<Data>> {
        let range = book
            .worksheet_range(name)
            .unwrap_or_else(|e| panic!("sheet {name}: {e}"));
        range.rows().map(|r| r.to_vec()).collect()
    };
    let account = rows(&mut book, "Cost-benefit");
    let line = (account.iter())
        .find(|r| r[3] == Data::String("net present public value".into()))
        .expect("the NPPV line");
    assert_eq!(
        line[5],
        Data::Float(nppv(outcome.cba.as_ref().expect("the cohort's account")))
    );
    let by_group = rows(&mut book, "By subgroup");
    let fit = (by_group.iter())
        .find(|r| r[0] == Data::String("fit".into()) && r[6].to_string().starts_with("Net present public value"))
        .expect("fit's NPPV row");
    assert_eq!(fit[7], Data::Float(44.0));
}

#[test]
fn the_progress_count_covers_the_subgroups_runs_and_ends_at_its_total() {
    // A run with subgroups simulates the cohort and then each subgroup alone: the bar's count must take in all of
    // them (not stop at the first and then sit on "analysing" while the rest are simulated), and end at its total.
    let tmp = tempfile::tempdir().unwrap();
    let progress = std::sync::Arc::new(carecast::simulate::Progress::default());
    let ctx = context(tmp.path()).with_progress(progress.clone());
    let outcome = carecast::commands::run(&ctx, &bundled_path("shared-lives"), &changes(Some(256), &[]))
        .unwrap_or_else(|e| panic!("{e}"));
    let (done, total) = (
        progress.done.load(std::sync::atomic::Ordering::Relaxed),
        progress.total.load(std::sync::atomic::Ordering::Relaxed),
    );
    assert!(outcome.subgroups.len() >= 2);
    assert_eq!(done, total, "the count ends at its total");
    // The cohort and each subgroup (every one has people here) at 256 iterations each, at least.
    assert!(total >= 256 * (1 + outcome.subgroups.len()), "total {total}");
}
