//! Local cost-benefit conventions (`[cba]`) end to end: a two-year case worked out by hand, read back from cba.csv,
//! summary.json, the terminal and the report; and the errors for bad input.

mod common;

use common::{compile_error, run_scenario, scenario_text, tempdir};
use std::collections::HashMap;
use std::fs;
use std::path::Path;

/// One state everyone stays in for two yearly cycles, accrued at the start of each year and discounted at 3.5% a
/// year: year 1 counts in full, year 2 at 1/1.035. Usual care costs the council £1,000 a year (60% cashable) and the
/// new arm nothing; the new arm costs £500 per person at entry and gains 0.1 QALY a year. `cba` is the `[cba]` block.
fn scenario(cba: &str) -> String {
    scenario_text(
        "account",
        &[("horizon_years", "2")],
        &format!(
            r#"
[parameters]
care_cost = 1000
q = 0.5

[[states]]
name = "home"
per = "year"
costs = {{ council = {{ amount = "care_cost", cashable = 0.6 }} }}
outcomes = {{ qaly = "q" }}

[start]
home = 1

[transitions]
home = {{ home = 1 }}

[[arms]]
name = "usual"

[[arms]]
name = "new"
parameters = {{ care_cost = 0, q = 0.6 }}
costs = [{{ name = "kit", kind = "one_off", payer = "council", amount = 500 }}]

[cohort]
size = 100

{cba}
"#
        ),
    )
}

const CBA: &str = r#"
[cba]
optimism_bias_costs = 0.10
optimism_bias_benefits = 0.15
deadweight = 0.20
drop_off = 0.50
source = "illustrative shares for a test"

[cba.social.qaly]
value = 20000
source = "illustrative, not a published value"
"#;

/// cba.csv's rows by (group, line): mean, 2.5th and 97.5th percentiles, share and note.
fn rows(path: &Path) -> HashMap<(String, String), HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("cba.csv");
    let headers = reader.headers().expect("headers").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            let row: HashMap<String, String> = headers
                .iter()
                .map(String::from)
                .zip(r.iter().map(String::from))
                .collect();
            ((row["group"].clone(), row["line"].clone()), row)
        })
        .collect()
}

fn close(actual: &str, expected: f64, tolerance: f64) {
    let a: f64 = actual.parse().unwrap_or_else(|_| panic!("not a number: {actual:?}"));
    assert!(
        (a - expected).abs() <= tolerance * expected.abs().max(1.0),
        "{a} is not {expected}"
    );
}

#[test]
fn the_two_year_account_by_hand() {
    let dir = tempdir();
    let (stdout, run_dir) = run_scenario(dir.path(), &scenario(CBA));
    let rows = rows(&run_dir.join("cba.csv"));
    let get = |group: &str, line: &str| &rows[&(group.to_string(), line.to_string())];
    // Gross benefits a year: £600 cashable and £400 non-cashable council savings, 0.1 QALY × £20,000 = £2,000
    // social value; year 2 discounted by 1.035.
    let d = 1.0 / 1.035;
    close(
        &get("gross_benefit", "fiscal_cashable:council")["mean"],
        600.0 * (1.0 + d),
        1e-9,
    );
    close(
        &get("gross_benefit", "fiscal_non_cashable:council")["mean"],
        400.0 * (1.0 + d),
        1e-9,
    );
    close(&get("gross_benefit", "social:qaly")["mean"], 2000.0 * (1.0 + d), 1e-9);
    close(&get("gross_benefit", "total")["mean"], 3000.0 * (1.0 + d), 1e-9);
    // Each year keeps 0.85 × 0.8 = 0.68 after optimism bias and deadweight; year 2 keeps half of that after drop-off.
    // Benefits = 3000 × 0.68 + 3000/1.035 × 0.34 = 2040 + 985.50724638 = 3025.50724638.
    close(&get("benefit", "total")["mean"], 3025.507246376812, 1e-9);
    close(&get("benefit", "fiscal_cashable")["mean"], 408.0 + 204.0 * d, 1e-9);
    close(&get("benefit", "fiscal_non_cashable")["mean"], 272.0 + 136.0 * d, 1e-9);
    close(&get("benefit", "social")["mean"], 1360.0 + 680.0 * d, 1e-9);
    close(&get("benefit", "economic")["mean"], 0.0, 1e-9);
    // What each adjustment removed, in order: 15% of 3000(1 + d); 20% of what was left; none; none; half of year 2's.
    close(
        &get("adjustment", "optimism_bias_benefits")["mean"],
        450.0 * (1.0 + d),
        1e-9,
    );
    close(&get("adjustment", "deadweight")["mean"], 510.0 * (1.0 + d), 1e-9);
    close(&get("adjustment", "attribution_to_others")["mean"], 0.0, 1e-9);
    close(&get("adjustment", "displacement")["mean"], 0.0, 1e-9);
    close(&get("adjustment", "drop_off")["mean"], 1020.0 * d, 1e-9);
    assert_eq!(get("adjustment", "deadweight")["share"], "0.2");
    // Cost: £500 at entry (year 1, undiscounted) plus 10% optimism bias = £550. NPPV = 3025.507 − 550.
    close(&get("cost", "before_optimism_bias")["mean"], 500.0, 1e-9);
    close(&get("cost", "optimism_bias_costs")["mean"], 50.0, 1e-9);
    close(&get("cost", "total")["mean"], 550.0, 1e-9);
    close(&get("net", "nppv")["mean"], 2475.507246376812, 1e-9);
    // Nothing is uncertain, so the interval is the mean (to the single precision per-year values are kept in).
    close(&get("net", "nppv")["p2_5"], 2475.507246376812, 1e-6);
    close(&get("net", "nppv")["p97_5"], 2475.507246376812, 1e-6);
    // Ratios of means: fiscal (680 + 340 d) / 550; public value 3025.507 / 550.
    close(&get("ratio", "fiscal")["mean"], (680.0 + 340.0 * d) / 550.0, 1e-9);
    close(&get("ratio", "public_value")["mean"], 3025.507246376812 / 550.0, 1e-9);
    assert_eq!(get("ratio", "fiscal")["note"], "");

    assert!(stdout.contains("Local cost-benefit account"), "{stdout}");
    assert!(
        stdout.contains("− deadweight (would have happened anyway) (20%)"),
        "{stdout}"
    );
    assert!(stdout.contains("net present public value"), "{stdout}");
    assert!(stdout.contains("£2,476 (95% interval £2,476 to £2,476)"), "{stdout}");
    let summary = fs::read_to_string(run_dir.join("summary.json")).expect("summary.json");
    assert!(summary.contains("\"cba\""), "summary.json has the account");
    let report = fs::read_to_string(run_dir.join("report.html")).expect("report.html");
    assert!(report.contains("Local cost-benefit account"));
    assert!(report.contains("illustrative, not a published value"));
}

#[test]
fn no_block_no_account() {
    let dir = tempdir();
    let (stdout, run_dir) = run_scenario(dir.path(), &scenario(""));
    assert!(!run_dir.join("cba.csv").exists());
    assert!(!stdout.contains("cost-benefit"));
    let summary = fs::read_to_string(run_dir.join("summary.json")).expect("summary.json");
    assert!(!summary.contains("\"cba\""));
}

#[test]
fn a_cheaper_arm_has_no_ratio() {
    // The new arm's kit costs nothing: no extra spend, so no ratio, and the note says why.
    let dir = tempdir();
    let text = scenario(CBA).replace("amount = 500", "amount = 0");
    let (_, run_dir) = run_scenario(dir.path(), &text);
    let rows = rows(&run_dir.join("cba.csv"));
    let fiscal = &rows[&("ratio".to_string(), "fiscal".to_string())];
    assert_eq!(fiscal["mean"], "");
    assert_eq!(fiscal["note"], "no extra spend");
}

#[test]
fn bad_input_is_refused_with_its_place() {
    let cases = [
        (
            "deadweight = 0.20",
            "deadweight = 1.5",
            "cba.deadweight",
            "must be a share from 0 to 1",
        ),
        (
            "drop_off = 0.50",
            "drop_off = -0.1",
            "cba.drop_off",
            "must be a share from 0 to 1",
        ),
        (
            "optimism_bias_costs = 0.10",
            "optimism_bias_costs = -1",
            "cba.optimism_bias_costs",
            "0 or more",
        ),
        (
            "[cba.social.qaly]",
            "[cba.social.qalys]",
            "cba.social.qalys",
            "did you mean `qaly`?",
        ),
        ("value = 20000", "value = -5", "cba.social.qaly.value", "0 or more"),
        (
            "source = \"illustrative, not a published value\"",
            "source = \" \"",
            "cba.social.qaly.source",
            "where it comes from",
        ),
        (
            "source = \"illustrative, not a published value\"",
            "",
            "source",
            "missing",
        ),
        ("deadweight = 0.20", "deadwieght = 0.20", "deadwieght", "unknown field"),
    ];
    for (from, to, field, message) in cases {
        let text = scenario(CBA).replacen(from, to, 1);
        let e = compile_error(&text);
        assert!(e.contains(field) && e.contains(message), "{to}: {e}");
        assert!(e.contains("test.toml:"), "names the file, line and column: {e}");
    }
}

#[test]
fn a_declared_payer_has_its_own_fiscal_stream() {
    // A housing association pays £200 a year in "home" under usual care and nothing under the new arm, all
    // cashable: its saving of £200 a year is a fiscal stream of its own beside the council's.
    let text = scenario(CBA)
        .replace(
            "[[states]]",
            "[payers]\nhousing = { label = \"housing association\" }\n\n[[states]]",
        )
        .replace(
            "council = { amount = \"care_cost\", cashable = 0.6 }",
            "council = { amount = \"care_cost\", cashable = 0.6 }, housing = \"housing_cost\"",
        )
        .replace("q = 0.5\n", "q = 0.5\nhousing_cost = 200\n")
        .replace("care_cost = 0, q = 0.6", "care_cost = 0, q = 0.6, housing_cost = 0");
    let dir = tempdir();
    let (_, run_dir) = run_scenario(dir.path(), &text);
    let rows = rows(&run_dir.join("cba.csv"));
    let get = |group: &str, line: &str| &rows[&(group.to_string(), line.to_string())];
    let d = 1.0 / 1.035;
    close(
        &get("gross_benefit", "fiscal_cashable:housing")["mean"],
        200.0 * (1.0 + d),
        1e-9,
    );
    close(
        &get("gross_benefit", "fiscal_cashable:council")["mean"],
        600.0 * (1.0 + d),
        1e-9,
    );
    close(&get("gross_benefit", "total")["mean"], 3200.0 * (1.0 + d), 1e-9);
}
