//! Payers beyond the council, the NHS and the person (`[payers]`): a housing association's costs, savings and return
//! worked out by hand through every output that lists payers, and the names a scenario may not give a payer.

mod common;

use carecast::model::Payer;
use common::{carecast, compile_error, model, run_scenario as run, scenario_text, tempdir};
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Two years for 100 people from 1 April 2027, nobody leaving, no discounting, costs at the start of each year.
/// Without the service: council care £1,000 a year, NHS £500, the housing association's £2,000 (arrears, repairs,
/// void periods). With it: council £900, NHS £500, housing £1,400; the council pays £400 a person at entry and the
/// housing association £100 a person a year.
///
/// Per person over the two years:
/// - care, without → with: council 2,000 → 1,800 (saves 200); NHS 1,000 → 1,000 (0); housing 4,000 → 2,800 (1,200);
/// - spend: council 400, housing 2 × 100 = 200; all payers 600;
/// - net savings (care saved − own spend): council 200 − 400 = −200; housing 1,200 − 200 = 1,000; all 1,400 − 600
///   = 800;
/// - £ back per £1: housing's savings per £1 of council spend 1,200 / 400 = 3.00; housing's per £1 of its own
///   200: 6.00; the council's per £1 of its own: 200 / 400 = 0.50; housing's per £1 of all spend 1,200 / 600 =
///   2.00; the whole system's 1,400 / 600 = 2.333….
const BODY: &str = r#"
[payers]
housing = { label = "Housing association" }

[parameters]
care_cost = 1000
housing_cost = 2000

[[states]]
name = "home"
per = "year"
costs = { council = "care_cost", nhs = 500, housing = "housing_cost" }
outcomes = { tenancies = 1 }

[start]
home = 1

[transitions]
home = { home = 1 }

[[arms]]
name = "usual"

[[arms]]
name = "support"
label = "Tenancy support"
parameters = { care_cost = 900, housing_cost = 1400 }
costs = [
  { name = "assessment", kind = "one_off", payer = "council", amount = 400 },
  { name = "caseworker", kind = "recurring", payer = "housing", amount = 100, per = "year" },
]

[cohort]
size = 100
"#;

fn text() -> String {
    scenario_text(
        "housing",
        &[
            ("horizon_years", "2"),
            ("start_date", "\"2027-04-01\""),
            ("discount_rate_costs", "0"),
            ("discount_rate_outcomes", "0"),
        ],
        BODY,
    )
}

/// The rows of a CSV file as maps from column name to cell, and its header.
fn csv_rows(path: &Path) -> (Vec<String>, Vec<HashMap<String, String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers: Vec<String> = reader.headers().expect("headers").iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| {
            headers
                .iter()
                .cloned()
                .zip(r.expect("record").iter().map(String::from))
                .collect()
        })
        .collect();
    (headers, rows)
}

fn number(cell: &str) -> f64 {
    cell.parse().unwrap_or_else(|_| panic!("not a number: {cell:?}"))
}

/// The roi.csv row of a basis, whose savings and whose spend.
fn roi<'a>(rows: &'a [HashMap<String, String>], savings: &str, spend: &str) -> &'a HashMap<String, String> {
    rows.iter()
        .find(|r| r["savings_payer"] == savings && r["spend_payer"] == spend && r["basis"] == "all")
        .unwrap_or_else(|| panic!("no roi row for {savings} per {spend}"))
}

#[test]
fn a_declared_payer_has_its_own_columns_after_the_built_in_ones() {
    let m = model(&text());
    let housing = m.payers.parse("housing").expect("declared");
    assert_eq!(housing.index(), 3);
    assert_eq!(m.payers.label(housing), "Housing association");
    assert_eq!(m.payers.name(Payer::Nhs), "nhs");
    // Care 0–3, cashable care 4–7, spend 8–11, the outcome 12.
    let c = m.columns();
    assert_eq!((c.care(housing), c.spend(housing), c.outcome(0)), (3, 11, 12));
    assert_eq!(m.n_columns(), 13);
    let r = common::run(&m, 1);
    assert_eq!(r.total(0, 0, c.care(housing)), 4000.0);
    assert_eq!(r.total(0, 1, c.care(housing)), 2800.0);
    assert_eq!(r.total(0, 1, c.spend(housing)), 200.0);
    assert_eq!(r.total(0, 1, c.spend(Payer::Council)), 400.0);
    // Total cost counts every payer: 1,800 + 1,000 + 2,800 + 400 + 200.
    assert_eq!(r.total_cost(0, 1), 6200.0);
}

#[test]
fn a_housing_payer_through_every_output() {
    let dir = tempdir();
    let (terminal, run_dir) = run(dir.path(), &text());

    // iterations.csv: each kind's payers together, housing last.
    let (header, rows) = csv_rows(&run_dir.join("iterations.csv"));
    assert_eq!(
        header[..14],
        [
            "iteration",
            "arm",
            "care_council",
            "care_nhs",
            "care_person",
            "care_housing",
            "cashable_care_council",
            "cashable_care_nhs",
            "cashable_care_person",
            "cashable_care_housing",
            "spend_council",
            "spend_nhs",
            "spend_person",
            "spend_housing",
        ]
    );
    let support = rows.iter().find(|r| r["arm"] == "support").expect("the support arm");
    assert_eq!(number(&support["care_housing"]), 2800.0);
    assert_eq!(number(&support["spend_housing"]), 200.0);
    assert_eq!(number(&support["cost_total"]), 6200.0);

    // roi.csv: whose savings per £1 of whose spend.
    let (_, roi_rows) = csv_rows(&run_dir.join("roi.csv"));
    for (savings, spend, bcr) in [
        ("housing", "council", 3.0),
        ("housing", "housing", 6.0),
        ("council", "council", 0.5),
        ("housing", "total", 2.0),
        ("total", "total", 1400.0 / 600.0),
    ] {
        let got = number(&roi(&roi_rows, savings, spend)["bcr"]);
        assert!((got - bcr).abs() < 1e-12, "{savings} per {spend}: {got}");
    }

    // budget.csv: 2 bases × 5 payers (council, NHS, person, housing, all) × 2 years. Housing in 2027/28, for 100
    // people in cash: 200,000 without, 100 × (1,400 + 100) = 150,000 with; it spends 10,000 and saves 60,000.
    let (_, budget) = csv_rows(&run_dir.join("budget.csv"));
    assert_eq!(budget.len(), 20);
    let housing = budget
        .iter()
        .find(|r| r["payer"] == "housing" && r["basis"] == "cash" && r["financial_year"] == "2027/28")
        .expect("a housing row");
    let got = [
        "comparator_cost",
        "arm_cost",
        "extra_spend",
        "care_savings",
        "budget_impact",
    ]
    .map(|k| number(&housing[k]));
    assert_eq!(got, [200_000.0, 150_000.0, 10_000.0, 60_000.0, -50_000.0]);

    // per_year.csv: housing's cost in year 1 with the service, per person: 1,400 + 100.
    let (_, per_year) = csv_rows(&run_dir.join("per_year.csv"));
    let row = per_year
        .iter()
        .find(|r| r["measure"] == "cost_housing" && r["arm"] == "support" && r["year"] == "1")
        .expect("a cost_housing row");
    assert_eq!(number(&row["mean"]), 1500.0);

    // summary.json: net savings by payer, and who the payers are.
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(run_dir.join("summary.json")).expect("summary")).expect("json");
    let by_payer = &summary["results"]["comparisons"][0]["net_savings_by_payer"];
    let housing = (by_payer.as_array().expect("a list").iter())
        .find(|p| p["payer"] == "housing")
        .expect("housing's net savings");
    assert_eq!(housing["net_savings"]["mean"], 1000.0);
    assert_eq!(summary["results"]["payers"][3]["label"], "Housing association");
    assert_eq!(summary["results"]["arms"][1]["cost_by_payer"][3], 3000.0);

    // The terminal: a column under the label, and the housing association's return on the council's spend.
    let lines: Vec<String> = terminal
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("council NHS person Housing association tenancies")),
        "{terminal}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Housing association / council £3.00")),
        "{terminal}"
    );

    // The report names it by its label, and the ROI plot has its panel.
    let report = fs::read_to_string(run_dir.join("report.html")).expect("report");
    assert!(
        report.contains("Housing association saves £2.00 on care"),
        "the housing card's sentence"
    );
    let svg = fs::read_to_string(run_dir.join("roi_support.svg")).expect("the ROI plot");
    assert!(svg.contains("Savings to Housing association"));
}

#[test]
fn carecast_analyse_reads_a_declared_payers_columns_back() {
    let dir = tempdir();
    let (_, run_dir) = run(dir.path(), &text());
    let out = dir.path().join("analysed");
    let output = carecast()
        .arg("analyse")
        .arg(run_dir.join("iterations.csv"))
        .args(["--effect", "tenancies", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let analysed = PathBuf::from(
        String::from_utf8(output.stdout)
            .expect("utf8")
            .trim_end()
            .lines()
            .last()
            .expect("dir"),
    );
    let (_, rows) = csv_rows(&analysed.join("roi.csv"));
    let got = number(&roi(&rows, "housing", "council")["bcr"]);
    assert!((got - 3.0).abs() < 1e-12, "{got}");
}

#[test]
fn carecast_analyse_refuses_a_payers_spend_without_its_care_costs() {
    let dir = tempdir();
    let csv = dir.path().join("psa.csv");
    fs::write(
        &csv,
        "iteration,arm,care_council,care_nhs,care_person,spend_council,spend_nhs,spend_person,spend_housing,cost_total,effect\n\
         0,a,1,0,0,0,0,0,0,1,1\n0,b,1,0,0,1,0,0,1,3,2\n",
    )
    .expect("write");
    let output = carecast()
        .arg("analyse")
        .arg(&csv)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("psa.csv:1:1")
            && stderr
                .contains("`spend_housing` reads as a cost of a payer `housing`, but the header has no `care_housing`"),
        "{stderr}"
    );
}

/// The compile error of the housing scenario with `from` replaced by `to`.
fn error_with(from: &str, to: &str) -> String {
    let text = text();
    assert!(text.contains(from), "{from}");
    compile_error(&text.replacen(from, to, 1))
}

#[test]
fn an_unknown_payer_is_refused_where_it_is_named_with_the_nearest_name() {
    // Line 28 of the scenario text is the state's costs; `housng` starts in column 45.
    let e = error_with("housing = \"housing_cost\" }", "housng = \"housing_cost\" }");
    assert!(
        e.contains("test.toml:28:45")
            && e.contains("states[0].costs")
            && e.contains(
                "unknown payer `housng`: costs are split by council, nhs, person and housing; did you mean `housing`?"
            ),
        "{e}"
    );
    let e = error_with("payer = \"housing\"", "payer = \"hosuing\"");
    assert!(
        e.contains("arms[1].costs[1].payer")
            && e.contains("unknown payer `hosuing`: use council, nhs, person or housing; did you mean `housing`?"),
        "{e}"
    );
}

#[test]
fn a_payer_named_twice_reserved_or_not_an_identifier_is_refused_with_where() {
    let e = error_with(
        "housing = { label = \"Housing association\" }",
        "housing = { label = \"Housing association\" }\nhousing = { label = \"Again\" }",
    );
    assert!(
        e.contains("test.toml:20:1") && e.contains("payers.housing") && e.contains("duplicate key"),
        "{e}"
    );
    let e = error_with("housing = { label", "total = { label");
    assert!(
        e.contains("test.toml:19:1") && e.contains("payers.total") && e.contains("`total` cannot name a payer"),
        "{e}"
    );
    let e = error_with("housing = { label", "\"social housing\" = { label");
    assert!(
        e.contains("payers.social housing") && e.contains("is not a valid name"),
        "{e}"
    );
    let e = error_with("label = \"Housing association\"", "label = \" \"");
    assert!(e.contains("payers.housing.label") && e.contains("readable text"), "{e}");
    let e = error_with(
        "housing = { label = \"Housing association\" }",
        "housing = { title = \"x\" }",
    );
    assert!(e.contains("unknown field `title`"), "{e}");
}

#[test]
fn an_outcome_may_not_take_a_declared_payers_column_name() {
    let e = error_with("outcomes = { tenancies = 1 }", "outcomes = { spend_housing = 1 }");
    assert!(
        e.contains("states[0].outcomes.spend_housing") && e.contains("names a column with a fixed role"),
        "{e}"
    );
    // Without the payer the name is free.
    let text = text()
        .replace("outcomes = { tenancies = 1 }", "outcomes = { spend_housing = 1 }")
        .replace("housing = { label = \"Housing association\" }", "")
        .replace(", housing = \"housing_cost\"", "")
        .replace("payer = \"housing\"", "payer = \"council\"");
    model(&text);
}

#[test]
fn a_built_in_payer_may_be_relabelled_and_is_then_named_so() {
    let m = model(&text().replace(
        "[payers]\n",
        "[payers]\ncouncil = { label = \"Kent County Council\" }\n",
    ));
    assert_eq!(m.payers.len(), 4);
    assert_eq!(m.payers.label(Payer::Council), "Kent County Council");
    assert_eq!(m.payers.info(Payer::Council).words, "Kent County Council");
    assert_eq!(m.payers.name(Payer::Council), "council");
}
