//! The HTML report in a real browser: headless Chromium loads it from a file:// URL; there must be no console
//! messages (a blocked load, a content-security violation or a script error all print one), and every plot must be
//! drawn with a non-zero size. A screenshot is saved to output/browser-test/report.png for a person to look at.
//!
//! Needs Chromium (Debian's `chromium` package; `.ci/run` installs it). Without it the test says so loudly and
//! passes, unless CARECAST_REQUIRE_BROWSER is set, as it is in CI, where a missing browser fails the test (the rule
//! every skipping test follows: `common::skip`).

mod common;

use common::{bundled_path, changes, context};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("CARECAST_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(name))
                    .find(|p| p.is_file())
            })
        })
}

/// Runs headless Chromium on a file with extra arguments; returns (stdout, stderr).
fn headless(browser: &Path, page: &Path, args: &[&str]) -> (String, String) {
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
        ])
        .args(["--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000"])
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium starts");
    (
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

#[test]
fn the_report_renders_in_headless_chromium_without_console_errors() {
    let Some(browser) = chromium() else {
        common::skip("no chromium on PATH (install Debian's chromium package, or set CARECAST_CHROMIUM)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let outcome = carecast::commands::run(
        &context(tmp.path()),
        &bundled_path("example"),
        &changes(Some(2000), &[]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let report = outcome.dir.join("report.html");
    let html = fs::read_to_string(&report).unwrap();

    // A copy with one measuring script, allowed by a nonce added to the report's own content-security policy (which
    // otherwise forbids every script): it writes each SVG's rendered size into the title, which --dump-dom prints.
    let policy = "default-src 'none';";
    assert!(html.contains(policy), "the report declares its content-security policy");
    let measure = "<script nonce=\"carecast-test\">document.title = 'SIZES:' + JSON.stringify(\
        Array.from(document.querySelectorAll('svg'), s => { const r = s.getBoundingClientRect(); return [r.width, r.height]; }));</script>";
    let instrumented = html
        .replacen(policy, &format!("{policy} script-src 'nonce-carecast-test';"), 1)
        .replacen("</body>", &format!("{measure}</body>"), 1);
    let copy = outcome.dir.join("instrumented.html");
    fs::write(&copy, instrumented).unwrap();
    let (dom, log) = headless(&browser, &copy, &["--dump-dom"]);

    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages:\n{}", console.join("\n"));
    let sizes = dom
        .split("<title>SIZES:")
        .nth(1)
        .and_then(|rest| rest.split("</title>").next())
        .unwrap_or_else(|| panic!("the measuring script did not run; browser log:\n{log}"));
    let sizes: Vec<[f64; 2]> = serde_json::from_str(sizes).unwrap();
    let expected = html.matches("<svg ").count();
    assert!(expected >= 5, "the teaching example has at least five plots");
    assert_eq!(sizes.len(), expected, "every SVG is in the rendered page");
    for (i, [w, h]) in sizes.iter().enumerate() {
        assert!(*w > 100.0 && *h > 50.0, "SVG {i} rendered at {w}×{h}");
    }

    // A screenshot of the report itself, unmodified, for people to look at.
    let shots = Path::new("output/browser-test");
    fs::create_dir_all(shots).unwrap();
    let shot = fs::canonicalize(shots).unwrap().join("report.png");
    let _ = fs::remove_file(&shot);
    let (_, log) = headless(
        &browser,
        &report,
        &["--window-size=1200,3000", &format!("--screenshot={}", shot.display())],
    );
    let png = fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot ({e}); browser log:\n{log}"));
    assert!(png.starts_with(b"\x89PNG") && png.len() > 50_000, "a real screenshot");
}

#[test]
#[should_panic(expected = "may not skip: no browser")]
fn a_skip_fails_where_ci_requires_every_test_to_run() {
    common::skip_unless_required("no browser", true);
}
