//! Price years: costs converted from their own price year to the scenario's with a bundled index (NHSCII pay and
//! prices, the HM Treasury GDP deflator) or the user's own CSV, checked against factors worked out by hand from the
//! data files' values; every distribution family that a cost may have scaled exactly; and every error a user meets
//! (file, line, column, field, exit code 2).

mod common;
use carecast::model::{Columns, Model, ParameterSpec, Payer};
use common::*;

/// One living state for a year (start-of-cycle accrual, no discounting, nobody dies), whose council cost is the
/// parameter `cost` a year; the second arm adds a one-off `kit`. The scenario's price year is `year` (a TOML
/// value), `index` the `[prices]` lines (or none), `cost` the parameter's definition and `kit` the one-off cost's
/// extra keys.
fn priced(year: &str, index: &str, cost: &str, kit: &str) -> String {
    let body = format!(
        r#"
{index}

[parameters]
cost = {cost}

[[states]]
name = "care"
per = "year"
costs = {{ council = "cost" }}

[[states]]
name = "dead"
dead = true

[start]
care = 1

[transitions]
care = {{ care = 1 }}

[[arms]]
name = "usual"

[[arms]]
name = "new"
costs = [{{ name = "kit", kind = "one_off", payer = "council", amount = 300{kit} }}]

[cohort]
size = 1
"#
    );
    let text = scenario_text(
        "prices",
        &[
            ("horizon_years", "1"),
            ("discount_rate_costs", "0"),
            ("discount_rate_outcomes", "0"),
        ],
        &body,
    );
    let year_line = if year.is_empty() {
        String::new()
    } else {
        format!("price_year = {year}\n")
    };
    text.replacen("name = \"prices\"\n", &format!("name = \"prices\"\n{year_line}"), 1)
}

const NHSCII: &str = "[prices]\nindex = \"nhscii_pay_and_prices\"";
const DEFLATOR: &str = "[prices]\nindex = \"hmt_gdp_deflator\"";

/// The fixed value the model uses for the base parameter `name`.
fn fixed(m: &Model, name: &str) -> f64 {
    let p = m.parameters.iter().find(|p| p.name == name).expect("the parameter");
    match p.spec {
        ParameterSpec::Fixed { value } => value,
        _ => panic!("{name} is not fixed"),
    }
}

/// The mean and 95% interval the model gives the sampled base parameter `name`.
fn distribution(m: &Model, name: &str) -> (f64, f64, f64) {
    let p = m.parameters.iter().find(|p| p.name == name).expect("the parameter");
    match p.spec {
        ParameterSpec::Distribution {
            mean, low95, high95, ..
        } => (mean, low95, high95),
        _ => panic!("{name} is not sampled"),
    }
}

#[test]
fn nhscii_inflates_100_pounds_from_2015_16_to_2018_19_by_the_chained_changes() {
    // From the data file: 2016/17 +2.09%, 2017/18 +1.24%, 2018/19 +1.60%. By hand, 100 × 1.0209 × 1.0124 × 1.0160
    // = 105.009610656; the one-off £300 at 2016/17 prices is 300 × 1.0124 × 1.0160 = 308.579... (written out:
    // 1.0124 × 1.016 = 1.0285984).
    let text = priced(
        "\"2018/19\"",
        NHSCII,
        "{ dist = \"fixed\", value = 100, price_year = \"2015/16\" }",
        ", price_year = \"2016/17\"",
    );
    let m = model(&text);
    assert!(rel(fixed(&m, "cost"), 105.009610656) < 1e-12, "{}", fixed(&m, "cost"));
    // And what the run counts: a year of care, and in the new arm the kit too.
    let r = run(&m, 1);
    let care = r.total(0, 0, Columns::BUILT_IN.care(Payer::Council));
    assert!(rel(care, 105.009610656) < 1e-12, "{care}");
    let with_kit = r.total_cost(0, 1);
    assert!(rel(with_kit, 105.009610656 + 300.0 * 1.0285984) < 1e-12, "{with_kit}");
    // What the outputs show: each cost as written, its year, the factor and the converted value.
    let p = m.meta.prices.as_ref().expect("conversions recorded");
    assert_eq!(p.index, "nhscii_pay_and_prices");
    assert_eq!(p.to.to_string(), "2018/19");
    assert_eq!(p.covers, "financial years 2014/15 to 2024/25");
    assert!(p.source.contains("CC BY-NC-SA 4.0"), "{}", p.source);
    assert_eq!(p.costs.len(), 2);
    assert_eq!(p.costs[0].field, "parameters.cost");
    assert_eq!(p.costs[0].from.to_string(), "2015/16");
    assert_eq!(p.costs[0].original, vec![("value".to_string(), 100.0)]);
    assert!(rel(p.costs[0].factor, 1.05009610656) < 1e-12);
    assert_eq!(p.costs[1].field, "arms[1].costs[0]");
    assert!(rel(p.costs[1].converted[0].1, 308.57952) < 1e-12, "{:?}", p.costs[1]);
}

#[test]
fn nhscii_deflates_a_later_cost_by_the_inverse_chain() {
    // £100 at 2020/21 prices in 2018/19 prices: 100 / (1.0214 × 1.0249) = 95.5262332900...
    let text = priced(
        "\"2018/19\"",
        NHSCII,
        "{ dist = \"fixed\", value = 100, price_year = \"2020/21\" }",
        "",
    );
    assert!(rel(fixed(&model(&text), "cost"), 95.526233290002) < 1e-12);
    // The base year 2014/15 is covered (the first change is from it): £100 then is £100.40 in 2015/16.
    let text = priced(
        "\"2015/16\"",
        NHSCII,
        "{ dist = \"fixed\", value = 100, price_year = \"2014/15\" }",
        "",
    );
    assert!(rel(fixed(&model(&text), "cost"), 100.4) < 1e-12);
}

#[test]
fn the_gdp_deflator_converts_calendar_years_by_the_ratio_of_levels() {
    // Levels from the data file: 2008 90.045, 2012 96.14, 2013 97.972, 2014 99.585. £100 at 2008 prices in 2013
    // prices: 100 × 97.972 / 90.045 = 108.80337608973; a £300 state cost at 2014 prices in 2012 prices:
    // 300 × 96.14 / 99.585 = 289.62193101371 (at 2013 prices: 300 × 97.972 / 99.585 = 295.14083446302).
    let text = priced(
        "2013",
        DEFLATOR,
        "{ dist = \"fixed\", value = 100, price_year = 2008 }",
        ", price_year = 2014",
    );
    let m = model(&text);
    assert!(rel(fixed(&m, "cost"), 108.80337608973) < 1e-12);
    let kit = m.meta.prices.as_ref().unwrap().costs[1].converted[0].1;
    assert!(rel(kit, 295.14083446302) < 1e-12, "{kit}");
    let text = priced("2012", DEFLATOR, "1", ", price_year = 2014");
    let kit = model(&text).meta.prices.unwrap().costs[0].converted[0].1;
    assert!(rel(kit, 289.62193101371) < 1e-12, "{kit}");
}

#[test]
fn a_state_cost_given_as_a_number_converts() {
    // 100 × 1.0209 × 1.0124 × 1.0160, as above, as a state's cost line.
    let text = priced("\"2018/19\"", NHSCII, "0", "").replace(
        "costs = { council = \"cost\" }",
        "costs = { council = { amount = 100, price_year = \"2015/16\" } }",
    );
    let m = model(&text);
    let care = run(&m, 1).total(0, 0, Columns::BUILT_IN.care(Payer::Council));
    assert!(rel(care, 105.009610656) < 1e-12, "{care}");
    assert_eq!(m.meta.prices.unwrap().costs[0].field, "states[0].costs.council");
}

#[test]
fn every_family_a_cost_may_have_scales_exactly() {
    // A cost at 2015/16 prices converted to 2018/19 is the same cost at 2018/19 prices times the factor: its mean
    // and both ends of its 95% interval are multiplied by 1.05009610656, whatever the family.
    let factor = 1.05009610656;
    for dist in [
        "dist = \"fixed\", value = 80",
        "dist = \"uniform\", low = 60, high = 110",
        "dist = \"normal\", mean = 100, sd = 10",
        "dist = \"normal\", ci95 = [80, 120]",
        "dist = \"lognormal\", meanlog = 4.5, sdlog = 0.2",
        "dist = \"lognormal\", mean = 100, sd = 30",
        "dist = \"lognormal\", median = 95, ci95 = [70, 130]",
        "dist = \"gamma\", shape = 16, scale = 6",
        "dist = \"gamma\", shape = 16, rate = 0.2",
        "dist = \"gamma\", mean = 96, sd = 15",
        "dist = \"gamma\", ci95 = [1500, 3500]",
        "dist = \"gamma\", mean = 2400, ci95 = [1500, 3500]",
        "dist = \"triangular\", min = 50, mode = 90, max = 160",
        "dist = \"pert\", min = 50, mode = 90, max = 160, lambda = 3",
    ] {
        let as_is = model(&priced("\"2018/19\"", NHSCII, &format!("{{ {dist} }}"), ""));
        let converted = model(&priced(
            "\"2018/19\"",
            NHSCII,
            &format!("{{ {dist}, price_year = \"2015/16\" }}"),
            "",
        ));
        if dist.contains("fixed") {
            assert!(rel(fixed(&converted, "cost"), 80.0 * factor) < 1e-12);
            continue;
        }
        let (m0, lo0, hi0) = distribution(&as_is, "cost");
        let (m1, lo1, hi1) = distribution(&converted, "cost");
        // Fits from an interval are numerical: equal to their own tolerance, far tighter than a cent in £100.
        for (a, b, what) in [(m1, m0, "mean"), (lo1, lo0, "2.5%"), (hi1, hi0, "97.5%")] {
            assert!(rel(a, b * factor) < 1e-9, "{dist}: {what} {a} vs {b} × {factor}");
        }
    }
}

#[test]
fn a_cost_in_the_scenarios_price_year_needs_no_index_and_changes_nothing() {
    let plain = model(&priced("2013", "", "{ dist = \"gamma\", mean = 96, sd = 15 }", ""));
    let stated = model(&priced(
        "2013",
        "",
        "{ dist = \"gamma\", mean = 96, sd = 15, price_year = 2013 }",
        ", price_year = 2013",
    ));
    assert_eq!(distribution(&plain, "cost"), distribution(&stated, "cost"));
    assert!(stated.meta.prices.is_none());
}

/// `carecast check` on `scenario` written with `files` beside it: exit code, stdout and stderr.
fn check(scenario: &str, files: &[(&str, &str)]) -> (i32, String, String) {
    let dir = tempdir();
    std::fs::write(dir.path().join("s.toml"), scenario).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = carecast().arg("check").arg(dir.path().join("s.toml")).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The 1-based line and column of the first `needle` in `text`.
fn line_col(text: &str, needle: &str) -> String {
    let at = text.find(needle).expect("present");
    let line = text[..at].matches('\n').count() + 1;
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("{line}:{col}")
}

const OWN_INDEX: &str = "[prices]\nindex = { file = \"my-index.csv\" }";

#[test]
fn a_users_own_index_converts_by_levels_or_chained_changes() {
    // Levels: £100 at 2021 prices in 2022 prices, 100 × 110 / 104 = 105.76923076923.
    let text = priced(
        "2022",
        OWN_INDEX,
        "{ dist = \"fixed\", value = 100, price_year = 2021 }",
        "",
    );
    let (code, out, err) = check(&text, &[("my-index.csv", "year,index\n2020,100\n2021,104\n2022,110\n")]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("value 100.00 at 2021 prices × 1.057692 = value 105.77 at 2022 prices"),
        "{out}"
    );
    assert!(out.contains("index `my-index.csv`"), "{out}");
    // Changes into each year (with a byte-order mark and CRLF, as a spreadsheet saves it): £100 at 2019/20 in
    // 2021/22 is 100 × 1.03 × 1.05 = 108.15; the year before the first row is the base.
    let text = priced(
        "\"2021/22\"",
        OWN_INDEX,
        "{ dist = \"fixed\", value = 100, price_year = \"2019/20\" }",
        "",
    );
    let csv = "\u{feff}year,pct_change\r\n2020/21,3\r\n2021/22,5\r\n";
    let (code, out, err) = check(&text, &[("my-index.csv", csv)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("× 1.081500 = value 108.15 at 2021/22 prices"), "{out}");
}

#[test]
fn bad_index_files_are_refused_at_their_line_and_column() {
    let text = priced(
        "2022",
        OWN_INDEX,
        "{ dist = \"fixed\", value = 100, price_year = 2021 }",
        "",
    );
    for (csv, at, field, says) in [
        (
            "year,value\n2021,1\n",
            "1:1",
            "header",
            "give exactly one of an `index` column",
        ),
        ("when,index\n2021,1\n", "1:1", "header", "no `year` column"),
        (
            "year,index\n2021,1\n2023,2\n",
            "3:1",
            "year",
            "consecutive calendar years in order: 2023 follows 2021",
        ),
        ("year,index\n2021,1\n2022/23,2\n", "3:1", "year", "2022/23 follows 2021"),
        (
            "year,index\n2021,1\n2022,abc\n",
            "3:6",
            "index",
            "`abc` is not a finite number",
        ),
        (
            "year,index\n2021,0\n2022,1\n",
            "2:6",
            "index",
            "an index level must be above 0",
        ),
        ("year,pct_change\n2021,-100\n", "2:6", "pct_change", "above -100"),
        ("year,index\n21,1\n", "2:1", "year", "`21` is not a year"),
        ("year,index\n2021/23,1\n", "2:1", "year", "`2021/23` is not a year"),
    ] {
        let (code, _, err) = check(&text, &[("my-index.csv", csv)]);
        assert_eq!(code, 2, "{csv}: {err}");
        let expected = format!("my-index.csv:{at}: field `{field}`");
        assert!(
            err.contains(&expected) && err.contains(says),
            "{csv}: {expected} / {says}:\n{err}"
        );
    }
    let (code, _, err) = check(&text, &[("my-index.csv", "year,index\n")]);
    assert_eq!(code, 2);
    assert!(err.contains("the index has no rows"), "{err}");
    // No file: said at the scenario's `index`.
    let (code, _, err) = check(&text, &[]);
    assert_eq!(code, 2);
    let at = line_col(&text, "{ file");
    assert!(
        err.contains(&format!(
            "s.toml:{at}: field `prices.index`: cannot read the index file"
        )),
        "{err}"
    );
}

#[test]
fn every_price_year_mistake_is_refused_with_file_line_column_and_field() {
    let cost = |year: &str| format!("{{ dist = \"fixed\", value = 100, price_year = {year} }}");
    let cases: Vec<(String, &str, &str, &str)> =
        vec![
        // A calendar year with a financial index, and the other way round: the form the index uses is asked for.
        (
            priced("\"2018/19\"", NHSCII, &cost("2015"), ""),
            "price_year = 2015",
            "parameters.cost.price_year",
            "2015 is a calendar year, but the index `nhscii_pay_and_prices` is by financial years 2014/15 to 2024/25",
        ),
        (
            priced("2013", DEFLATOR, &cost("\"2008/09\""), ""),
            "price_year = \"2008/09\"",
            "parameters.cost.price_year",
            "2008/09 is a financial year, but the index `hmt_gdp_deflator` is by calendar years 1955 to 2015",
        ),
        // Outside the years covered: the cost's, or the scenario's.
        (
            priced("\"2018/19\"", NHSCII, &cost("\"2013/14\""), ""),
            "price_year = \"2013/14\"",
            "parameters.cost.price_year",
            "has no 2013/14: it covers financial years 2014/15 to 2024/25",
        ),
        (
            priced("2024", DEFLATOR, &cost("2010"), ""),
            "price_year = 2024",
            "scenario.price_year",
            "has no 2024: it covers calendar years 1955 to 2015",
        ),
        // Another price year and no index: never mixed silently.
        (
            priced("2013", "", &cost("2008"), ""),
            "price_year = 2008",
            "parameters.cost.price_year",
            "this cost is priced in 2008 and the scenario in 2013, and no index converts between them",
        ),
        (
            priced("2013", "", "1", ", price_year = 2010"),
            "price_year = 2010",
            "arms[1].costs[0].price_year",
            "no index converts between them",
        ),
        // A cost's year with no scenario year; an index with no scenario year.
        (
            priced("", "", &cost("2008"), ""),
            "price_year = 2008",
            "parameters.cost.price_year",
            "[scenario] gives no `price_year` to convert it to",
        ),
        (
            priced("", DEFLATOR, "1", ""),
            "\"hmt_gdp_deflator\"",
            "prices.index",
            "[scenario] gives no `price_year`",
        ),
        // Not a year; not an index.
        (
            priced("\"2018-19\"", "", "1", ""),
            "\"2018-19\"",
            "scenario.price_year",
            "`2018-19` is not a price year",
        ),
        (
            priced("2013", DEFLATOR, &cost("\"2008/10\""), ""),
            "\"2008/10\"",
            "parameters.cost.price_year",
            "`2008/10` is not a price year",
        ),
        (
            priced("2013", "[prices]\nindex = \"gdp_deflator\"", "1", ""),
            "\"gdp_deflator\"",
            "prices.index",
            "no index is named `gdp_deflator`; did you mean `hmt_gdp_deflator`?",
        ),
        // What is not a cost, or not a number.
        (
            priced("2013", DEFLATOR, "{ dist = \"beta\", mean = 0.5, sd = 0.1, price_year = 2008 }", ""),
            "price_year = 2008",
            "parameters.cost.price_year",
            "only a cost has a price year: a beta's values are shares",
        ),
        (
            priced("2013", DEFLATOR, "{ expr = \"2 * 50\", source = \"x\", price_year = 2008 }", "")
                .replace("[parameters]", "[sources]\nx = \"a source\"\n\n[parameters]"),
            "price_year = 2008",
            "parameters.cost.price_year",
            "a parameter given by `expr` takes its price year from the parameters it reads",
        ),
        (
            priced("2013", DEFLATOR, "100", "").replace("amount = 300", "amount = \"3 * cost\", price_year = 2008"),
            "price_year = 2008",
            "arms[1].costs[0].price_year",
            "only an amount given as a number states a price year",
        ),
        (
            priced("2013", DEFLATOR, "100", "").replace(
                "costs = { council = \"cost\" }",
                "costs = { council = { amount = \"cost\", price_year = 2008 } }",
            ),
            "price_year = 2008",
            "states[0].costs.council.price_year",
            "only an amount given as a number states a price year",
        ),
    ];
    for (text, needle, field, says) in cases {
        let (code, _, err) = check(&text, &[]);
        assert_eq!(code, 2, "{says}: {err}");
        let at = line_col(&text, needle);
        let at = if needle.starts_with("price_year") {
            // Errors about a price year point at its value, after `price_year = `.
            let (line, col) = at.split_once(':').unwrap();
            format!("{line}:{}", col.parse::<usize>().unwrap() + "price_year = ".len())
        } else {
            at
        };
        let expected = format!("s.toml:{at}: field `{field}`");
        assert!(
            err.contains(&expected) && err.contains(says),
            "{expected} / {says}:\n{err}"
        );
    }
}

#[test]
fn a_run_shows_each_conversion_in_summary_json_and_the_report() {
    let text = priced(
        "\"2018/19\"",
        NHSCII,
        "{ dist = \"fixed\", value = 100, price_year = \"2015/16\" }",
        "",
    );
    let dir = tempdir();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, &text).unwrap();
    let out = carecast()
        .arg("run")
        .arg(&path)
        .args(["--quiet", "--iterations", "20", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let run_dir = std::path::PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("summary.json")).unwrap()).unwrap();
    let scenario = &summary["scenario"];
    assert_eq!(scenario["price_year"], "2018/19");
    let prices = &scenario["prices"];
    assert_eq!(prices["index"], "nhscii_pay_and_prices");
    assert_eq!(prices["costs"][0]["from"], "2015/16");
    assert_eq!(prices["costs"][0]["original"][0][1], 100.0);
    let factor = prices["costs"][0]["factor"].as_f64().unwrap();
    assert!(rel(factor, 1.05009610656) < 1e-12);
    // The report escapes `/` as HTML does.
    let report = std::fs::read_to_string(run_dir.join("report.html"))
        .unwrap()
        .replace("&#x2f;", "/");
    for expected in [
        "Price years",
        "value 100.00",
        "2015/16",
        "1.050096",
        "value 105.01",
        "CC BY-NC-SA 4.0",
    ] {
        assert!(report.contains(expected), "the report lacks {expected:?}");
    }
}

#[test]
fn bundled_scenarios_convert_the_2008_care_home_fair_prices_with_the_deflator() {
    // laing2009's £463-£538 a week, taken as calendar 2008 prices. By hand from the deflator's levels (2007 87.555,
    // 2008 90.045, 2010 92.818, 2013 97.972): 463 × 87.555 / 90.045 = 450.19673496585 in 2007 prices,
    // 538 × 92.818 / 90.045 = 554.56809373091 in 2010 prices, 463 × 97.972 / 90.045 = 503.75963129546 in 2013.
    for (name, to, field, expected) in [
        ("adaptations", "2007", "low", 450.19673496585),
        ("reablement", "2010", "high", 554.56809373091),
        ("shared-lives", "2013", "low", 503.75963129546),
    ] {
        let loaded = bundled(name, Some(10), &[]);
        let p = loaded.model.meta.prices.as_ref().expect("the scenario converts");
        assert_eq!(p.index, "hmt_gdp_deflator");
        assert_eq!(p.to.to_string(), to);
        assert!(p.note.as_ref().is_some_and(|n| n.contains("calendar 2008")), "{name}");
        assert_eq!(p.costs.len(), 1, "{name}");
        assert_eq!(p.costs[0].from.to_string(), "2008");
        let value = p.costs[0].converted.iter().find(|(f, _)| f == field).unwrap().1;
        assert!(rel(value, expected) < 1e-12, "{name}: {value} vs {expected}");
    }
}
