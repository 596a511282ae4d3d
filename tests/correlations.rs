//! Correlated parameters and point estimates with their intervals, end to end: `[[correlations]]` keeps every
//! parameter's distribution and gives the Gaussian copula's rank correlations, `mvnormal` has its means and
//! covariance, both draw the same bits on any number of threads, bad matrices are refused naming the pair, and a
//! published "20% (5% to 35%)" keeps its 20%.

mod common;
use carecast::model::{Model, ParameterSpec};
use common::*;
use statrs::distribution::{Beta, ContinuousCDF, Gamma, LogNormal};
use std::f64::consts::PI;
use std::fs;
use std::path::Path;

const ITERATIONS: usize = 160_000;

/// A two-state model whose yearly death risk, cost and a cost multiplier are uncertain, with `extra` appended
/// (a correlation block, or other parameters).
fn correlated(parameters: &str, extra: &str) -> String {
    scenario_text(
        "correlated",
        &[("horizon_years", "1"), ("iterations", &ITERATIONS.to_string())],
        &format!(
            r#"
[parameters]
p_die = {{ dist = "beta", mean = 0.2, sd = 0.05 }}
cost = {{ dist = "gamma", shape = 2, scale = 500 }}
weight = {{ dist = "lognormal", meanlog = 0, sdlog = 0.3 }}
{parameters}
[[states]]
name = "alive"
per = "year"
costs = {{ council = "cost * weight" }}
outcomes = {{ qaly = 0.8 }}
[[states]]
name = "dead"
dead = true
[start]
alive = 1
[transitions]
alive = {{ dead = "p_die", alive = "remainder" }}
[[arms]]
name = "a"
[[arms]]
name = "b"
[cohort]
size = 1
{extra}
"#
        ),
    )
}

const BLOCK: &str = r#"
[[correlations]]
parameters = ["p_die", "cost", "weight"]
matrix = [[1, 0.6, -0.3], [0.6, 1, 0.2], [-0.3, 0.2, 1]]
"#;

/// Each named parameter's draws, one per iteration.
fn draws_of(model: &Model, threads: usize, names: &[&str]) -> Vec<Vec<f64>> {
    let results = run(model, threads);
    names
        .iter()
        .map(|n| {
            let slot = model
                .parameters
                .iter()
                .find(|p| p.name == *n)
                .and_then(|p| p.draw_slot)
                .expect("sampled");
            results.draws.column(slot).to_vec()
        })
        .collect()
}

/// Ranks 0..n of the values (no ties among continuous draws).
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    for (rank, &i) in order.iter().enumerate() {
        r[i] = rank as f64;
    }
    r
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let syy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    sxy / (sxx * syy).sqrt()
}

fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&ranks(x), &ranks(y))
}

/// Spearman's correlation of the whole sample and its Monte Carlo standard error, from the spread of 20 batches.
fn spearman_with_error(x: &[f64], y: &[f64]) -> (f64, f64) {
    let batches = 20;
    let size = x.len() / batches;
    let each: Vec<f64> = (0..batches)
        .map(|b| spearman(&x[b * size..(b + 1) * size], &y[b * size..(b + 1) * size]))
        .collect();
    let mean = each.iter().sum::<f64>() / batches as f64;
    let var = each.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (batches - 1) as f64;
    // A batch of n/20 has 20 times the variance of the whole sample.
    (spearman(x, y), (var / batches as f64).sqrt())
}

/// The Kolmogorov–Smirnov distance between the sample and a CDF.
fn ks(sample: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let mut s = sample.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len() as f64;
    s.iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
        })
        .fold(0.0, f64::max)
}

#[test]
fn correlated_parameters_keep_their_marginals_and_have_the_copulas_rank_correlations() {
    let model = model(&correlated("", BLOCK));
    let d = draws_of(&model, 2, &["p_die", "cost", "weight"]);
    // Marginals: Beta by moments has α = m·c, β = (1 − m)·c with c = m(1 − m)/sd² − 1 = 63, so Beta(12.6, 50.4);
    // Gamma(2, 500); LogNormal(0, 0.3). KS distance below its 0.1% critical value 1.95/√n.
    let critical = 1.95 / (ITERATIONS as f64).sqrt();
    let beta = Beta::new(12.6, 50.4).unwrap();
    let gamma = Gamma::new(2.0, 1.0 / 500.0).unwrap();
    let lognormal = LogNormal::new(0.0, 0.3).unwrap();
    assert!(ks(&d[0], |x| beta.cdf(x)) < critical, "p_die is not Beta(12.6, 50.4)");
    assert!(ks(&d[1], |x| gamma.cdf(x)) < critical, "cost is not Gamma(2, 500)");
    assert!(
        ks(&d[2], |x| lognormal.cdf(x)) < critical,
        "weight is not LogNormal(0, 0.3)"
    );
    // And their means, within 4 standard errors: 0.2 (sd 0.05), 1000 (sd √2·500), e^0.045 (sd of the lognormal).
    let n = ITERATIONS as f64;
    let mean = |x: &[f64]| x.iter().sum::<f64>() / n;
    assert!((mean(&d[0]) - 0.2).abs() < 4.0 * 0.05 / n.sqrt());
    assert!((mean(&d[1]) - 1000.0).abs() < 4.0 * 707.1 / n.sqrt());
    let lognormal_sd = ((0.09f64.exp() - 1.0) * 0.09f64.exp()).sqrt();
    assert!((mean(&d[2]) - 0.045f64.exp()).abs() < 4.0 * lognormal_sd / n.sqrt());
    // Ranks: a Gaussian copula with correlation ρ has Spearman's correlation (6/π)·asin(ρ/2), whatever the
    // marginals: 0.5819 for 0.6 (which 4 standard errors of under 0.004 tell from 0.6), −0.2876 for −0.3, 0.1909 for 0.2.
    for (i, j, rho) in [(0, 1, 0.6), (0, 2, -0.3), (1, 2, 0.2)] {
        let (s, se) = spearman_with_error(&d[i], &d[j]);
        let expected = 6.0 / PI * (rho / 2.0f64).asin();
        assert!(
            se < 0.004,
            "the Monte Carlo error {se} is too large to tell the copula's value from ρ"
        );
        assert!(
            (s - expected).abs() < 4.0 * se,
            "pair ({i}, {j}): Spearman {s}, expected {expected} ± {se}"
        );
    }
}

#[test]
fn without_a_block_the_same_parameters_are_uncorrelated() {
    // The test above could pass with correlations present anyway; here they are absent and Spearman is 0 ± 4/√n.
    let model = model(&correlated("", ""));
    let d = draws_of(&model, 2, &["p_die", "cost"]);
    assert!(spearman(&d[0], &d[1]).abs() < 4.0 / (ITERATIONS as f64).sqrt());
}

#[test]
fn correlated_draws_are_bit_identical_for_1_and_8_threads_and_leave_earlier_draws_alone() {
    let mut m = model(&correlated("", BLOCK));
    m.run_defaults.iterations = 3_000;
    let one = run(&m, 1);
    let eight = run(&m, 8);
    let bits = |r: &carecast::simulate::Results| r.draws.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&one), bits(&eight));
    assert_eq!(
        one.kernel_totals.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        eight.kernel_totals.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    // A parameter drawn before the first correlated one (names are read in alphabetical order) is drawn exactly as
    // without the block: the members draw nothing where they stand, and their joint draw comes after every other.
    let first = r#"a_first = { dist = "beta", mean = 0.3, sd = 0.1 }"#;
    let with = model(&correlated(first, BLOCK).replace("\"cost * weight\"", "\"cost * weight * a_first\""));
    let without = model(&correlated(first, "").replace("\"cost * weight\"", "\"cost * weight * a_first\""));
    let slot = |m: &Model| {
        m.parameters
            .iter()
            .find(|p| p.name == "a_first")
            .and_then(|p| p.draw_slot)
            .unwrap()
    };
    let (a, b) = (run(&with, 1), run(&without, 1));
    assert_eq!(slot(&with), 0);
    assert_eq!(
        a.draws.column(0).iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        b.draws.column(0).iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
}

#[test]
fn a_multivariate_normal_has_its_means_and_covariance() {
    // Coefficients 1 and −0.5 with sds 0.2 and 0.3 and correlation −0.012/(0.2·0.3) = −0.2.
    let coefficients = r#"coef = { dist = "mvnormal", names = ["b0", "b1"], mean = [1.0, -0.5], cov = [[0.04, -0.012], [-0.012, 0.09]] }"#;
    let text = correlated(coefficients, "").replace("\"cost * weight\"", "\"cost * weight * b0 * exp(b1)\"");
    let model = model(&text);
    let d = draws_of(&model, 2, &["b0", "b1"]);
    let n = ITERATIONS as f64;
    let mean = |x: &[f64]| x.iter().sum::<f64>() / n;
    let sd = |x: &[f64]| (x.iter().map(|v| (v - mean(x)).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    assert!((mean(&d[0]) - 1.0).abs() < 4.0 * 0.2 / n.sqrt());
    assert!((mean(&d[1]) + 0.5).abs() < 4.0 * 0.3 / n.sqrt());
    // The sd of a normal sample's sd is about σ/√(2n): 4 of those is 0.7% of σ at 160,000 draws.
    assert!((sd(&d[0]) / 0.2 - 1.0).abs() < 4.0 / (2.0 * n).sqrt());
    assert!((sd(&d[1]) / 0.3 - 1.0).abs() < 4.0 / (2.0 * n).sqrt());
    // Pearson's r has standard error (1 − ρ²)/√n.
    assert!((pearson(&d[0], &d[1]) + 0.2).abs() < 4.0 * 0.96 / n.sqrt());
    assert_eq!(model.correlations.len(), 1);
    assert_eq!(model.correlations[0].kind, "mvnormal");
    assert!((model.correlations[0].matrix[0][1] + 0.2).abs() < 1e-15);
}

/// What `carecast check` says: exit code, standard output and standard error.
fn check(text: &str) -> (Option<i32>, String, String) {
    let dir = tempdir();
    let path = dir.path().join("c.toml");
    fs::write(&path, text).unwrap();
    let out = carecast().arg("check").arg(&path).output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).replace(&path.display().to_string(), "c.toml");
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// The line and column of the first occurrence of `needle` in `text` (1-based), as the error should give them.
fn position(text: &str, needle: &str) -> String {
    let at = text.find(needle).expect("the needle is in the text");
    let line = text[..at].matches('\n').count() + 1;
    let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("{line}:{column}")
}

#[test]
fn bad_correlation_blocks_are_refused_naming_file_line_column_field_and_pair() {
    let block =
        |parameters: &str, matrix: &str| format!("[[correlations]]\nparameters = {parameters}\nmatrix = {matrix}\n");
    let cases = [
        // Each pair is possible, the three together are not: the message names the parameters and the pair.
        (
            block(
                r#"["p_die", "cost", "weight"]"#,
                "[[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]",
            ),
            "1]]",
            "correlations[0].matrix[2][2]",
            "not positive definite",
            "`cost` and `weight`",
        ),
        (
            block(r#"["p_die", "costs"]"#, "[[1, 0.5], [0.5, 1]]"),
            "\"costs\"",
            "correlations[0].parameters[1]",
            "no parameter is named `costs`",
            "did you mean `cost`",
        ),
        (
            block(r#"["p_die", "cost"]"#, "[[1, 1.2], [1.2, 1]]"),
            "1.2",
            "correlations[0].matrix[0][1]",
            "the correlation of `p_die` and `cost` is 1.2",
            "between -1 and 1",
        ),
        (
            block(r#"["p_die", "cost"]"#, "[[1, 0.5], [0.4, 1]]"),
            "0.4",
            "correlations[0].matrix[1][0]",
            "not symmetric",
            "`p_die` and `cost` is 0.5 in row 1 but 0.4 in row 2",
        ),
        (
            block(r#"["p_die", "cost"]"#, "[[1, 0.5], [0.5, 1], [0, 0]]"),
            "[[1, 0.5]",
            "correlations[0].matrix",
            "3 rows",
            "one per parameter: 2",
        ),
        (
            block(r#"["p_die", "p_die"]"#, "[[1, 0.5], [0.5, 1]]"),
            "\"p_die\"]",
            "correlations[0].parameters[1]",
            "named twice",
            "",
        ),
    ];
    for (extra, at, field, message, also) in cases {
        let text = correlated("", &extra);
        let (code, _, stderr) = check(&text);
        assert_eq!(code, Some(2), "{stderr}");
        let expected = format!("error: c.toml:{}: field `{field}`: ", position(&text, at));
        assert!(stderr.starts_with(&expected), "expected {expected}\ngot {stderr}");
        assert!(stderr.contains(message) && stderr.contains(also), "{stderr}");
    }
    // A fixed parameter has nothing to correlate.
    let text = correlated("fixed = 3", &block(r#"["p_die", "fixed"]"#, "[[1, 0.5], [0.5, 1]]"));
    let (code, _, stderr) = check(&text);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("`fixed` is not uncertain"), "{stderr}");
}

#[test]
fn bad_multivariate_normals_are_refused_naming_the_entry() {
    let mv = |mean: &str, cov: &str| {
        format!(r#"coef = {{ dist = "mvnormal", names = ["b0", "b1"], mean = {mean}, cov = {cov} }}"#)
    };
    let cases = [
        (
            mv("[1, 2]", "[[0.04, 0.5], [0.5, 0.09]]"),
            "0.5]",
            "parameters.coef.cov[0][1]",
            "larger in size than the product",
        ),
        (
            mv("[1, 2]", "[[0.04, 0], [0, -0.09]]"),
            "-0.09",
            "parameters.coef.cov[1][1]",
            "the variance of `b1`",
        ),
        (
            mv("[1]", "[[0.04, 0], [0, 0.09]]"),
            "[1]",
            "parameters.coef.mean",
            "`mean` has 1 entries but `names` has 2",
        ),
        (
            mv("0.5", "[[0.04, 0], [0, 0.09]]"),
            "{ dist = \"mvnormal\"",
            "parameters.coef.mean",
            "a list of means",
        ),
    ];
    for (parameter, at, field, message) in cases {
        let text = correlated(&parameter, "");
        let (code, _, stderr) = check(&text);
        assert_eq!(code, Some(2), "{stderr}");
        let expected = format!("error: c.toml:{}: field `{field}`: ", position(&text, at));
        assert!(stderr.starts_with(&expected), "expected {expected}\ngot {stderr}");
        assert!(stderr.contains(message), "{stderr}");
    }
}

#[test]
fn a_point_estimate_with_its_interval_keeps_the_point_and_check_shows_the_fit() {
    // "20% (5% to 35%)": the mean stays 0.20 exactly; no beta with that mean has so wide a symmetric interval (the
    // closest is 0.0559 to 0.406), so there is a warning naming the file, line, column and field.
    let p = r#"p_event = { dist = "beta", mean = 0.20, ci95 = [0.05, 0.35] }"#;
    let text = correlated(p, "").replace("\"cost * weight\"", "\"cost * weight * (1 + p_event)\"");
    let m = model(&text);
    let info = m.parameters.iter().find(|p| p.name == "p_event").unwrap();
    let ParameterSpec::Distribution {
        mean, low95, high95, ..
    } = &info.spec
    else {
        panic!("a distribution")
    };
    assert!((mean - 0.2).abs() <= 1e-15, "mean {mean}");
    assert!(
        (low95 - 0.0559).abs() < 0.0005 && (high95 - 0.406).abs() < 0.001,
        "{low95} {high95}"
    );
    let (code, stdout, _) = check(&text);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("base p_event: Beta(") && stdout.contains("mean 0.2000; 95% 0.0559 to 0.4060"),
        "{stdout}"
    );
    let warning = format!(
        "warning: c.toml:{}: field `parameters.p_event.ci95`: ",
        position(&text, "[0.05, 0.35]")
    );
    assert!(stdout.contains(&warning), "{stdout}");
    // A median and interval symmetric on the log scale is matched exactly, with no warning: RR 0.8 (0.64 to 1.0).
    let rr = r#"rr = { dist = "lognormal", median = 0.8, ci95 = [0.64, 1.0] }"#;
    let text = correlated(rr, "").replace("\"cost * weight\"", "\"cost * weight * rr\"");
    let (code, stdout, _) = check(&text);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("base rr: LogNormal(meanlog = −0.2231") && stdout.contains("95% 0.6400 to 1.00"),
        "{stdout}"
    );
    assert!(!stdout.contains("warning"), "{stdout}");
    // The check shows the correlations too.
    let (_, stdout, _) = check(&correlated("", BLOCK));
    assert!(
        stdout.contains("correlated (Gaussian copula, each keeping its distribution; scope base): p_die, cost, weight")
    );
    assert!(
        stdout.contains("p_die ~ cost: 0.6\n") && stdout.contains("cost ~ weight: 0.2\n"),
        "{stdout}"
    );
}

#[test]
fn a_median_alone_or_beside_a_mean_is_refused() {
    let alone = correlated(r#"x = { dist = "gamma", median = 3, sd = 1 }"#, "");
    let (code, _, stderr) = check(&alone);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains(&format!(
            "c.toml:{}: field `parameters.x.median`",
            position(&alone, "3, sd")
        )),
        "{stderr}"
    );
    let both = correlated(r#"x = { dist = "gamma", mean = 3, median = 2.8, ci95 = [2, 4] }"#, "");
    let (code, _, stderr) = check(&both);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("not both"), "{stderr}");
}

#[test]
fn set_on_a_correlated_parameter_changes_its_distribution_and_keeps_its_correlations() {
    use carecast::dist::Distribution;
    use carecast::model::Draw;
    let dir = tempdir();
    let path = dir.path().join("c.toml");
    fs::write(&path, correlated("", BLOCK)).unwrap();
    let loaded = carecast::commands::load(&path, &changes(Some(10), &["cost.scale=1000"])).unwrap();
    let slot = loaded
        .model
        .parameters
        .iter()
        .find(|p| p.name == "cost")
        .and_then(|p| p.draw_slot)
        .unwrap();
    let member = loaded.model.draws.iter().find_map(|d| match d {
        Draw::Member {
            slot: s, distribution, ..
        } if *s == slot => Some(*distribution),
        _ => None,
    });
    assert_eq!(member, Some(Distribution::gamma(2.0, 1000.0).unwrap()));
    // A multivariate normal's component is changed in the file, not on the command line.
    let mv = r#"coef = { dist = "mvnormal", names = ["b0", "b1"], mean = [1, 0], cov = [[1, 0], [0, 1]] }"#;
    fs::write(
        &path,
        correlated(mv, "").replace("\"cost * weight\"", "\"cost * weight * b0 * b1\""),
    )
    .unwrap();
    let e = carecast::commands::load(&path, &changes(Some(10), &["b0.mean=2"])).unwrap_err();
    assert!(e.to_string().contains("multivariate normal"), "{e}");
}

#[test]
fn a_block_correlates_the_definitions_of_its_scope() {
    // The arm overrides both parameters; a block with the arm's scope correlates the arm's definitions.
    let arm = "[[arms]]\nname = \"b\"\nparameters = { p_die = { dist = \"beta\", mean = 0.1, sd = 0.02 }, \
               cost = { dist = \"gamma\", shape = 4, scale = 250 } }";
    let block =
        "[[correlations]]\nparameters = [\"p_die\", \"cost\"]\nmatrix = [[1, -0.7], [-0.7, 1]]\nscope = \"arm:b\"\n";
    let text = correlated("", block).replace("[[arms]]\nname = \"b\"", arm);
    let m = model(&text);
    assert_eq!(m.correlations.len(), 1);
    assert_eq!(m.correlations[0].scope, "arm:b");
    let results = run(&m, 2);
    let column = |scope: &str, name: &str| {
        let slot = m
            .parameters
            .iter()
            .find(|p| p.scope == scope && p.name == name)
            .and_then(|p| p.draw_slot)
            .unwrap();
        results.draws.column(slot).to_vec()
    };
    // The arm's pair has the copula's −0.6829, the base pair is independent.
    let n = ITERATIONS as f64;
    let expected = 6.0 / PI * (-0.35f64).asin();
    assert!((spearman(&column("arm:b", "p_die"), &column("arm:b", "cost")) - expected).abs() < 4.0 / n.sqrt());
    assert!(spearman(&column("base", "p_die"), &column("base", "cost")).abs() < 4.0 / n.sqrt());
    // A scope the file does not have is refused, listing those it has.
    let text = correlated("", &block.replace("arm:b", "arm:c"));
    let (code, _, stderr) = check(&text);
    assert_eq!(code, Some(2));
    let at = position(&text, "\"arm:c\"");
    assert!(
        stderr.contains(&format!("c.toml:{at}: field `correlations[0].scope`")),
        "{stderr}"
    );
    assert!(stderr.contains("the scopes are base, arm:a, arm:b"), "{stderr}");
}

#[test]
fn a_run_reports_its_correlations_and_fit_warnings_in_summary_and_report() {
    // The block and a point estimate whose interval no beta can match (the warning of the test above).
    let p = r#"p_event = { dist = "beta", mean = 0.20, ci95 = [0.05, 0.35] }"#;
    let text = correlated(p, BLOCK).replace("\"cost * weight\"", "\"cost * weight * (1 + p_event)\"");
    let dir = tempdir();
    let path = dir.path().join("c.toml");
    fs::write(&path, &text).unwrap();
    let out = carecast()
        .args(["run", "--iterations", "200", "--quiet", "--out"])
        .arg(dir.path().join("out"))
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let run_dir = String::from_utf8_lossy(&out.stdout)
        .trim()
        .lines()
        .last()
        .unwrap()
        .to_string();
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(Path::new(&run_dir).join("summary.json")).unwrap()).unwrap();
    let group = &summary["correlations"][0];
    assert_eq!(group["parameters"], serde_json::json!(["p_die", "cost", "weight"]));
    assert_eq!(group["matrix"][0][1], 0.6);
    assert_eq!(group["matrix"][1][2], 0.2);
    let warning = summary["warnings"][0].as_str().unwrap();
    assert!(warning.contains("parameters.p_event.ci95"), "{warning}");
    let report = fs::read_to_string(Path::new(&run_dir).join("report.html")).unwrap();
    assert!(
        report.contains("<h3>Correlated parameters</h3>"),
        "no correlations in the report"
    );
    // Each pair once, with its correlation: p_die with cost at 0.6, cost with weight at 0.2.
    assert!(report.contains("<td>p_die</td><td>cost</td><td>0.6"), "{report}");
    assert!(report.contains("<td>cost</td><td>weight</td><td>0.2"), "{report}");
    assert!(
        report.contains("parameters.p_event.ci95"),
        "no fit warning in the report"
    );
}
