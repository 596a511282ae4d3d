//! The HTML report: well-formed, its headline figures equal summary.json's, nothing loads from outside, and a
//! scenario's own text is escaped.

mod common;

use carecast::output::format::{money, per_pound};
use common::{changes, context};
use std::fs;
use std::path::{Path, PathBuf};

/// Runs a scenario file into a temporary directory and returns (report.html, summary.json as JSON).
fn run_report(scenario: &Path, out: &Path) -> (String, serde_json::Value, PathBuf) {
    let outcome =
        carecast::commands::run(&context(out), scenario, &changes(Some(1000), &[])).unwrap_or_else(|e| panic!("{e}"));
    let html = fs::read_to_string(outcome.dir.join("report.html")).expect("report.html is written");
    let summary = fs::read_to_string(outcome.dir.join("summary.json")).unwrap();
    (html, serde_json::from_str(&summary).unwrap(), outcome.dir)
}

/// HTML elements that never have a closing tag.
const VOID: [&str; 14] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "param",
];

/// Checks that every element is closed, in order: a stack of open tags over the document (comments, the doctype and
/// self-closing SVG elements aside). Returns the first problem found.
fn well_formed(html: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start..];
        if rest.starts_with("<!--") {
            let end = rest.find("-->").ok_or("an unclosed comment")?;
            rest = &rest[end + 3..];
            continue;
        }
        let end = rest.find('>').ok_or("an unclosed tag")?;
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() {
            return Err(format!("a stray `<` before `{}`", &tag[..tag.len().min(20)]));
        }
        if tag.starts_with('/') {
            match stack.pop() {
                Some(open) if open == name => {}
                other => return Err(format!("`</{name}>` closes `{other:?}`")),
            }
        } else if !(tag.ends_with('/') || VOID.contains(&name.as_str())) {
            stack.push(name);
        }
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed elements: {stack:?}"))
    }
}

/// The values of every `src=` and `href=` attribute.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attribute in ["src=\"", "href=\"", "src='", "href='"] {
        let quote = attribute.chars().last().unwrap();
        for (i, _) in html.match_indices(attribute) {
            let value = &html[i + attribute.len()..];
            out.push(value[..value.find(quote).unwrap_or(0)].to_string());
        }
    }
    out
}

/// The text of the headline card of one payer in the report.
fn card<'a>(html: &'a str, who: &str) -> &'a str {
    let start = html
        .find(&format!("<p class=\"who\">{who}</p>"))
        .unwrap_or_else(|| panic!("no card for {who}"));
    let end = html[start..].find("</div>").unwrap();
    &html[start..start + end]
}

#[test]
fn the_report_is_well_formed_self_contained_and_its_headline_matches_summary_json() {
    let tmp = tempfile::tempdir().unwrap();
    let (html, summary, _) = run_report(Path::new("scenarios/example.toml"), tmp.path());
    well_formed(&html).unwrap_or_else(|e| panic!("report.html is not well formed: {e}"));

    // Nothing that would load: every link is to a place in the page, and there is nothing to fetch or run.
    for link in links(&html) {
        assert!(link.starts_with('#'), "a link or source that would load: {link}");
    }
    for forbidden in ["<script", "<link", "<iframe", "<img", "@import", "url("] {
        assert!(!html.contains(forbidden), "the report contains `{forbidden}`");
    }

    // Every headline figure equals summary.json's, as the report formats it.
    let results = &summary["results"];
    let comparison = &results["comparisons"][0];
    let roi = |savings: &str| {
        results["roi"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["savings_payer"] == savings && r["spend_payer"] == "total" && r["basis"] == "all")
            .unwrap_or_else(|| panic!("no ROI row for {savings}"))
    };
    let f = |v: &serde_json::Value| v.as_f64().unwrap();
    let percent = |p: f64| format!("{:.0}%", 100.0 * p);
    for (key, who) in [
        ("council", "The council"),
        ("nhs", "The NHS"),
        ("person", "People and their families"),
        ("total", "The whole system"),
    ] {
        let text = card(&html, who);
        let r = roi(key);
        // "£3.13 back to the council per £1 the council spends": whose savings per whose £1.
        let expected_ratio = format!("{} back", per_pound(f(&r["bcr"])));
        let expected_interval = format!(
            "95% interval {} to {}",
            per_pound(f(&r["bcr_per_iteration"]["p2_5"])),
            per_pound(f(&r["bcr_per_iteration"]["p97_5"]))
        );
        let (net, p) = if key == "total" {
            (&comparison["net_savings"], f(&comparison["prob_cost_saving"]))
        } else {
            let row = comparison["net_savings_by_payer"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["payer"] == key)
                .unwrap();
            (&row["net_savings"], f(&row["prob_cost_saving"]))
        };
        let expected_net = format!(
            "{} per person (95% interval {} to {})",
            money(f(&net["mean"])),
            money(f(&net["p2_5"])),
            money(f(&net["p97_5"]))
        );
        for expected in [expected_ratio, expected_interval, expected_net, percent(p)] {
            assert!(text.contains(&expected), "{who}: expected `{expected}` in:\n{text}");
        }
    }
    let payback = &results["payback"][0];
    let year = payback["median_year"].as_u64().expect("the teaching example pays back");
    assert!(
        html.contains(&format!("Payback: in year {year} (the median")),
        "payback year"
    );

    // The inputs and provenance are there: every parameter, its source's full citation, the seed and the command.
    for p in summary["parameters"].as_array().unwrap() {
        assert!(html.contains(&format!("<th scope=\"row\">{}</th>", p["name"].as_str().unwrap())));
    }
    assert!(html.contains("Glendinning C, Jones K, Baxter K, Rabiee P, Curtis L, Wilde A, Arksey H, Forder J (2010)"));
    // minijinja escapes `/` too, which a browser shows (and copies) as `/`.
    assert!(html.contains("carecast run scenarios&#x2f;example.toml --seed 20101 --iterations 1000"));
    assert!(html.contains("accrual: half-cycle"));
}

#[test]
fn a_scenarios_own_text_is_escaped_everywhere_it_appears() {
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read_to_string("scenarios/example.toml")
        .unwrap()
        .replace(
            "title = \"Home care reablement (teaching example)\"",
            "title = \"<script>alert('title')</script> & Co\"",
        )
        .replace(
            "summary = \"Older people",
            "summary = \"<img src=x onerror=alert(1)> Older people",
        )
        .replace(
            "label = \"Reablement first\"",
            "label = \"</td><script>alert('arm')</script>\"",
        )
        .replace("SPRU/PSSRU", "SPRU/PSSRU <a href=\\\"http://evil.example\\\">click</a>");
    let path = tmp.path().join("hostile.toml");
    fs::write(&path, text).unwrap();
    let (html, _, dir) = run_report(&path, tmp.path());
    well_formed(&html).unwrap_or_else(|e| panic!("report.html is not well formed: {e}"));
    for raw in ["<script", "<img", "<a href=\"http", "http://evil.example\""] {
        assert!(!html.contains(raw), "unescaped scenario text `{raw}` in the report");
    }
    for escaped in [
        "&lt;script&gt;alert(&#x27;title&#x27;)&lt;&#x2f;script&gt; &amp; Co",
        "&lt;img src=x onerror=alert(1)&gt;",
        "&lt;&#x2f;td&gt;&lt;script&gt;",
        "&lt;a href=&quot;http:&#x2f;&#x2f;evil.example&quot;&gt;",
    ] {
        assert!(html.contains(escaped), "expected `{escaped}` in the report");
    }
    // The plots carry the title too; their SVG text is escaped by the plotting library.
    let svg = fs::read_to_string(dir.join("ceac.svg")).unwrap();
    assert!(!svg.contains("<script") && svg.contains("&lt;script&gt;"));
}

#[test]
fn analyse_writes_a_report_too() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, _, dir) = run_report(Path::new("scenarios/example.toml"), tmp.path());
    let csv = carecast::analysis::csv_input::CsvOptions {
        effect: Some("qaly".into()),
        ..Default::default()
    };
    let options = carecast::analysis::AnalysisOptions {
        wtp: vec![0.0, 10000.0, 20000.0, 30000.0],
        threshold: 20000.0,
        population: None,
    };
    let ctx = context(&tmp.path().join("analysed"));
    let outcome = carecast::commands::analyse_file(&ctx, &dir.join("iterations.csv"), &csv, &options, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let html = fs::read_to_string(outcome.dir.join("report.html")).unwrap();
    well_formed(&html).unwrap_or_else(|e| panic!("{e}"));
    assert!(html.contains("The whole system") && html.contains("iterations.csv"));
    assert!(links(&html).iter().all(|l| l.starts_with('#')));
}
