//! workbook.xlsx, read back as a spreadsheet reads it: every sheet's numbers are numbers, equal to summary.json's and,
//! for a three-year budget, to values worked out by hand; the file is the same bytes for the same run; and every CSV
//! starts with a UTF-8 byte order mark so that Excel shows "£" as "£", which carecast's own readers accept.

mod common;

use calamine::{open_workbook, Data, Reader, Xlsx};
use common::{carecast, run_quiet, scenario_text, tempdir};
use serde_json::Value;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

fn summary(dir: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).expect("summary.json")).expect("json")
}

/// One sheet's cells, row by row.
fn sheet(dir: &Path, name: &str) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = open_workbook(dir.join("workbook.xlsx")).expect("a workbook");
    let range = book
        .worksheet_range(name)
        .unwrap_or_else(|e| panic!("sheet {name}: {e}"));
    range.rows().map(|r| r.to_vec()).collect()
}

/// A number cell (and not text that looks like one).
fn float(cell: &Data) -> f64 {
    match cell {
        Data::Float(v) => *v,
        Data::Int(v) => *v as f64,
        other => panic!("not a number cell: {other:?}"),
    }
}

fn text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("not a text cell: {other:?}"),
    }
}

/// A file inside the workbook's zip.
fn part(dir: &Path, name: &str) -> String {
    let file = fs::File::open(dir.join("workbook.xlsx")).expect("workbook");
    let mut zip = zip::ZipArchive::new(file).expect("a zip");
    let mut s = String::new();
    zip.by_name(name)
        .expect(name)
        .read_to_string(&mut s)
        .expect("utf-8 XML");
    s
}

/// The sheet's rows whose first three cells are `arm`, `comparator` and `what`.
fn headline<'a>(rows: &'a [Vec<Data>], arm: &str, what: &str) -> &'a [Data] {
    rows.iter()
        .find(|r| text(&r[0]) == arm && text(&r[2]) == what)
        .unwrap_or_else(|| panic!("no headline line {what} for {arm}"))
}

#[test]
fn every_sheet_holds_summary_json_numbers_as_formatted_numbers() {
    let dir = tempdir();
    let run_dir = run_quiet(dir.path(), &["scenarios/adaptations.toml", "--iterations", "200"]);
    let json = summary(&run_dir);
    let results = &json["results"];
    let book: Xlsx<_> = open_workbook(run_dir.join("workbook.xlsx")).expect("a workbook");
    assert_eq!(
        book.sheet_names(),
        [
            "Inputs",
            "Parameters",
            "Headline",
            "Return by payer",
            "CEAC",
            "By subgroup"
        ],
        "no budget sheet without a start date, no cost-benefit sheet without [cba]; adaptations has subgroups"
    );

    let rows = sheet(&run_dir, "Headline");
    assert_eq!(text(&rows[0][4]), "Mean");
    let c = &results["comparisons"][0];
    let arm = c["arm"].as_str().unwrap();
    let cost = headline(&rows, arm, "Incremental cost");
    for (col, field) in [(4, "mean"), (5, "p2_5"), (6, "p97_5")] {
        assert_eq!(float(&cost[col]), c["incremental_cost"][field].as_f64().unwrap());
    }
    let inmb = headline(&rows, arm, "INMB at the threshold λ");
    assert_eq!(float(&inmb[4]), c["inmb"]["mean"].as_f64().unwrap());
    // P(cost-effective) with its interval ±1.96 Monte Carlo standard errors, clipped to [0, 1].
    let (p, se) = (
        c["prob_cost_effective"].as_f64().unwrap(),
        c["prob_cost_effective_se"].as_f64().unwrap(),
    );
    let pce = headline(&rows, arm, "P(cost-effective) at the threshold λ");
    assert_eq!(float(&pce[4]), p);
    assert!((float(&pce[5]) - (p - 1.96 * se).max(0.0)).abs() < 1e-15);
    let payback = &results["payback_cycles"][0];
    let line = headline(&rows, arm, "Payback (median; empty: beyond the horizon)");
    assert_eq!(text(&line[3]), "weeks");
    assert_eq!(float(&line[4]), payback["median"].as_f64().unwrap());

    // Return by payer: roi.csv's rows in its order, then the withheld ones.
    let roi = sheet(&run_dir, "Return by payer");
    for (k, r) in results["roi"].as_array().unwrap().iter().enumerate() {
        let row = &roi[k + 1];
        assert_eq!(text(&row[2]), r["savings_payer"].as_str().unwrap());
        assert_eq!(float(&row[7]), r["bcr"].as_f64().unwrap());
        assert_eq!(float(&row[11]), r["prob_bcr_above_one"].as_f64().unwrap());
    }

    // The CEAC: a row per λ, a column per arm.
    let ceac = sheet(&run_dir, "CEAC");
    let acc = &results["acceptability"];
    let lambdas = acc["lambda"].as_array().unwrap();
    assert_eq!(ceac.len(), lambdas.len() + 1);
    for (l, lambda) in lambdas.iter().enumerate() {
        assert_eq!(float(&ceac[l + 1][0]), lambda.as_f64().unwrap());
        for a in 0..2 {
            assert_eq!(float(&ceac[l + 1][1 + a]), acc["probability"][l][a].as_f64().unwrap());
        }
    }

    // By subgroup: each group's headline as in summary.json's results_by_subgroup.
    let by_group = sheet(&run_dir, "By subgroup");
    let first = &json["results_by_subgroup"][0];
    let net = (by_group.iter())
        .find(|r| text(&r[0]) == first["subgroup"].as_str().unwrap() && text(&r[6]) == "Net savings")
        .expect("the first subgroup's net savings");
    let expected = &first["results"]["comparisons"][0]["net_savings"];
    for (col, field) in [(7, "mean"), (8, "p2_5"), (9, "p97_5")] {
        assert_eq!(float(&net[col]), expected[field].as_f64().unwrap());
    }
    assert_eq!(float(&net[3]), first["people"].as_f64().unwrap());

    // Parameters: means and intervals as numbers, sources in full.
    let parameters = sheet(&run_dir, "Parameters");
    let first = &json["parameters"][0];
    let row = parameters
        .iter()
        .find(|r| text(&r[0]) == first["name"].as_str().unwrap())
        .expect("the first parameter");
    assert_eq!(float(&row[3]), first["spec"]["mean"].as_f64().unwrap());
    assert!(text(&row[7]).len() > 40, "the full citation, not its key: {:?}", row[7]);

    // The formats a spreadsheet shows them in, and the frozen header rows.
    let styles = part(&run_dir, "xl/styles.xml");
    for format in ["£#,##0;-£#,##0", "0.0%", "£0.00", "#,##0.000"] {
        assert!(
            styles.contains(&format!("formatCode=\"{format}\"")),
            "{format} in {styles}"
        );
    }
    let headline_xml = part(&run_dir, "xl/worksheets/sheet3.xml");
    assert!(headline_xml.contains("state=\"frozen\""), "{headline_xml}");
}

#[test]
fn the_workbook_is_the_same_bytes_for_the_same_run() {
    let dir = tempdir();
    let args = ["scenarios/telecare-council.toml", "--iterations", "50"];
    let first = run_quiet(&dir.path().join("a"), &args);
    let second = run_quiet(&dir.path().join("b"), &args);
    assert_eq!(
        fs::read(first.join("workbook.xlsx")).unwrap(),
        fs::read(second.join("workbook.xlsx")).unwrap()
    );
    let core = part(&first, "docProps/core.xml");
    assert!(core.contains("2000-01-01T00:00:00Z"), "the fixed creation time: {core}");
}

/// Three years for 100 people from 1 April 2027: council care £1,000 a year against £800 with a service that costs
/// the council £300 a person at entry, no deaths, costs at the start of each year.
fn three_years() -> String {
    let body = r#"
[parameters]
care_cost = 1000

[[states]]
name = "home"
per = "year"
costs = { council = "care_cost" }

[start]
home = 1

[transitions]
home = { home = 1 }

[[arms]]
name = "usual"
costs = []

[[arms]]
name = "service"
parameters = { care_cost = 800 }
costs = [{ name = "visit", kind = "one_off", payer = "council", amount = 300 }]

[cohort]
size = 100
"#;
    scenario_text(
        "budget",
        &[("horizon_years", "3"), ("start_date", "\"2027-04-01\"")],
        body,
    )
}

#[test]
fn a_three_year_budget_is_in_summary_json_and_the_workbook_as_worked_out_by_hand() {
    let dir = tempdir();
    let file = dir.path().join("budget.toml");
    fs::write(&file, three_years()).unwrap();
    let run_dir = run_quiet(&dir.path().join("out"), &[file.to_str().unwrap()]);
    let json = summary(&run_dir);
    let budget = &json["budget"];
    assert_eq!(budget["population"], 100.0);
    assert_eq!(budget["first_financial_year"], "2027/28");
    // For 100 people, the council in cash: year 1 (800 + 300 − 1,000) × 100 = +£10,000; years 2 and 3, −£20,000.
    // Discounted at 3.5% with costs at the start of each year: year 2 is −20,000 / 1.035, year 3 −20,000 / 1.035².
    let expect = [
        ("cash", "2027/28", 10_000.0),
        ("cash", "2028/29", -20_000.0),
        ("cash", "2029/30", -20_000.0),
        ("discounted", "2027/28", 10_000.0),
        ("discounted", "2028/29", -20_000.0 / 1.035),
        ("discounted", "2029/30", -20_000.0 / 1.035 / 1.035),
    ];
    let rows = budget["rows"].as_array().unwrap();
    let workbook = sheet(&run_dir, "Budget");
    assert_eq!(workbook.len(), rows.len() + 1, "a row per budget.csv row and a header");
    for (basis, year, impact) in expect {
        let at = rows
            .iter()
            .position(|r| r["payer"] == "council" && r["basis"] == basis && r["financial_year"] == year)
            .unwrap_or_else(|| panic!("no council {basis} {year}"));
        let r = &rows[at];
        assert!((r["impact"].as_f64().unwrap() - impact).abs() < 1e-6, "{r}");
        let cells = &workbook[at + 1];
        assert_eq!(
            (text(&cells[3]), text(&cells[4]), text(&cells[5])),
            (year.into(), "council".into(), basis.into())
        );
        assert!((float(&cells[11]) - impact).abs() < 1e-6, "{cells:?}");
        assert_eq!(float(&cells[11]), r["impact"].as_f64().unwrap());
    }
}

#[test]
fn every_csv_starts_with_a_byte_order_mark_and_carecast_reads_it_back() {
    let dir = tempdir();
    let run_dir = run_quiet(dir.path(), &["scenarios/adaptations.toml", "--iterations", "40"]);
    let mut csvs = 0;
    for entry in fs::read_dir(&run_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            let bytes = fs::read(&path).unwrap();
            assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{} has no BOM", path.display());
            assert!(!bytes[3..].starts_with(b"\xEF\xBB\xBF"), "one BOM, not two");
            csvs += 1;
        }
    }
    assert!(csvs >= 6, "{csvs} CSV files");
    // `carecast analyse` reads the run's own iterations.csv, BOM and all, and the same results come out.
    let output = carecast()
        .arg("analyse")
        .arg(run_dir.join("iterations.csv"))
        .args(["--effect", "weeks_at_home", "--out"])
        .arg(dir.path().join("analysed"))
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let analysed = PathBuf::from(String::from_utf8(output.stdout).unwrap().lines().last().unwrap());
    let again = summary(&analysed);
    assert_eq!(
        again["results"]["comparisons"][0]["incremental_cost"]["mean"],
        summary(&run_dir)["results"]["comparisons"][0]["incremental_cost"]["mean"]
    );
}

#[test]
fn a_pound_sign_in_a_byte_order_marked_csv_reads_as_a_pound_sign() {
    // What Excel, LibreOffice and the csv crate see: the BOM says UTF-8, so "£" is one character, not "Â£".
    let dir = tempdir();
    let path = dir.path().join("p.csv");
    let text = "\u{feff}iteration,arm,cost,effect\n0,a,1,0\n0,b £,2,1\n1,a,1,0\n1,b £,2,1\n";
    fs::write(&path, text).unwrap();
    let mut reader = csv::Reader::from_path(&path).unwrap();
    assert_eq!(reader.headers().unwrap().get(0), Some("iteration"));
    let output = carecast()
        .arg("analyse")
        .arg(&path)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("b £"), "{stdout}");
}
