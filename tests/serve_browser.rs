//! `carecast serve`'s page in a real browser: headless Chromium driven over the DevTools protocol (the
//! headless_chrome crate) opens each bundled scenario's page, types a new value into an input as a person would,
//! waits for the results to redraw, and checks the headline against `carecast run --set` for the same change. It
//! records how long each redraw took from the change to the new results on screen (at 10,000 iterations, the
//! bundled scenarios' own size), for values typed a key at a time (timed from the last keystroke; each keystroke
//! starts a run and cancels the one before) and for values pasted whole (one change), in a 1280 x 900 window and,
//! pasted, in one tall enough to show every plot; and saves screenshots at 1280 and 640 px for a person to look at
//! (output/browser-test/serve-*.png) with the timings (output/browser-test/serve-timings.txt).
//!
//! Needs Chromium (Debian's `chromium` package; `.ci/run` installs it). Without it the test says so loudly and
//! passes, unless CARECAST_REQUIRE_BROWSER is set, as it is in CI (`common::skip`).

mod common;

use common::chromium;
use common::serving::Server;
use common::{carecast, tempdir};
use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn browser(path: &Path, size: (u32, u32)) -> Browser {
    let options = LaunchOptions::default_builder()
        .path(Some(path.to_path_buf()))
        .sandbox(false)
        .window_size(Some(size))
        .args(vec![OsStr::new("--hide-scrollbars")])
        .idle_browser_timeout(Duration::from_secs(300))
        .build()
        .expect("launch options");
    Browser::new(options).expect("chromium starts")
}

/// Evaluates `js` in the page and returns its value.
fn eval(tab: &Tab, js: &str) -> Value {
    tab.evaluate(js, false).expect("evaluates").value.unwrap_or(Value::Null)
}

/// Waits until `js` is true in the page.
fn wait_for(tab: &Tab, js: &str, what: &str) {
    let started = Instant::now();
    while eval(tab, js) != Value::Bool(true) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Focuses the field `key` (`name.field`) and selects what is in it, as a person about to replace it would.
fn select_field(tab: &Tab, key: &str) {
    let selector = format!(
        "document.getElementById({})",
        serde_json::to_string(&format!("f-{key}")).unwrap()
    );
    eval(tab, &format!("{selector}.focus(); {selector}.select(); true"));
}

/// Types `text` into the field `key` as a person would, a key at a time.
fn type_into(tab: &Tab, key: &str, text: &str) {
    select_field(tab, key);
    tab.type_str(text).expect("types");
}

/// Puts `text` into the field `key` at once, as a paste does: one input event.
fn paste_into(tab: &Tab, key: &str, text: &str) {
    select_field(tab, key);
    tab.send_character(text).expect("inserts");
}

/// Changes made to each page each way (typed, then pasted); the timings reported are their medians.
const TRIALS: usize = 5;

/// The first editable distribution field of the page and twice [`TRIALS`] distinct new values for it, 5%, 10%, ... away
/// from the file's (below it for a low end or a probability), as (key, texts).
fn changes(tab: &Tab) -> (String, Vec<String>) {
    let found = eval(
        tab,
        "JSON.stringify((() => { for (const i of document.querySelectorAll('fieldset:not(.run) input[data-original]')) { \
           const v = Number(i.dataset.original); if (i.dataset.original !== '' && v > 0 && /\\.(mean|value|low|high|shape|alpha)$|^[a-z_0-9]+$/.test(i.name)) return [i.name, v]; } return null; })())",
    );
    let found: Value = serde_json::from_str(found.as_str().expect("a JSON text")).unwrap();
    // A scenario with no parameter a change can reach (its numbers are written in its arms' costs): new seeds.
    if found.is_null() {
        let seed = eval(tab, "document.getElementById('f-seed').value")
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap();
        return (
            "seed".into(),
            (1..=2 * TRIALS as u64).map(|i| (seed + i).to_string()).collect(),
        );
    }
    let key = found[0].as_str().expect("an editable field").to_string();
    let v = found[1].as_f64().unwrap();
    let texts = (1..=2 * TRIALS)
        .map(|i| {
            let step = 0.05 * i as f64;
            // Down for a low end or a value of 1 or less (a probability), up otherwise: each stays valid.
            let down = key.ends_with(".low") || v <= 1.0;
            let changed = if down { v * (1.0 - step) } else { v * (1.0 + step) };
            format!("{}", (changed * 1e4).round() / 1e4)
        })
        .collect();
    (key, texts)
}

/// Sets the field `key` of the open page to `text`, typed a key at a time or pasted whole, and waits for the page
/// to have drawn the change's results; returns the page's own times in ms from the change (the last keystroke) to the
/// answer received and to the results on screen (the end of the first frame drawn after they were inserted).
fn timed_change(tab: &Tab, key: &str, text: &str, typed: bool, what: &str) -> [f64; 2] {
    let before = eval(tab, "window.carecast.phases.length").as_f64().unwrap();
    if typed {
        type_into(tab, key, text);
    } else {
        paste_into(tab, key, text);
    }
    let done = if key == "seed" {
        format!(
            "String(window.carecast.last.seed) === {}",
            serde_json::to_string(text).unwrap()
        )
    } else {
        let set = format!("{key}={text}");
        format!(
            "window.carecast.last.set.includes({})",
            serde_json::to_string(&set).unwrap()
        )
    };
    wait_for(
        tab,
        &format!("!!(window.carecast.last && {done} && window.carecast.phases.length > {before})"),
        &format!("{what}'s redraw after {key}={text}"),
    );
    let phases = eval(
        tab,
        "JSON.stringify(window.carecast.phases[window.carecast.phases.length - 1])",
    );
    let phases: Value = serde_json::from_str(phases.as_str().unwrap()).unwrap();
    ["received", "shown"].map(|phase| phases[phase].as_f64().unwrap())
}

/// The height of a window in which every plot of any bundled scenario's page is in sight at 1280 px (the test checks
/// that each page's last plot ends within it; on 2026-12-07 the lowest ended 4,982 px down, example's): the page lays
/// out and paints only the plots in sight (`content-visibility: auto`), so the times in it are those of every plot
/// drawn.
const TALL: u32 = 7000;

/// The middle value.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Saves what the tab shows as a PNG at `path`, for a person to look at.
fn screenshot(tab: &Tab, path: &Path) {
    let png = tab
        .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
        .unwrap();
    std::fs::write(path, png).unwrap();
}

/// What axe-core (vendored in tests/vendor/axe-core) finds on the page: a line per WCAG 2.x A or AA violation.
fn axe_findings(tab: &Tab) -> Vec<String> {
    let axe = std::fs::read_to_string("tests/vendor/axe-core/axe.min.js").unwrap();
    tab.evaluate(&format!("{axe}\n;true"), false).expect("axe-core loads");
    let found = tab
        .evaluate(
            "axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }).then(r => \
             JSON.stringify(r.violations.map(v => `${v.id} (${v.impact}): ${v.help}; first at ${v.nodes[0].target}, ${v.nodes.length} in all`)))",
            true,
        )
        .expect("axe-core runs")
        .value
        .unwrap_or(Value::Null);
    serde_json::from_str(found.as_str().expect("a JSON text")).unwrap()
}

/// Whether two JSON trees hold the same values, numbers compared as the f64 they are: the page's numbers went through
/// JavaScript, whose JSON writes 812000.0 as 812000 (the same double).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn the_page_redraws_on_a_change_with_the_results_run_set_gives() {
    let Some(path) = chromium() else {
        common::skip("no chromium on PATH (install Debian's chromium package, or set CARECAST_CHROMIUM)");
        return;
    };
    let server = Server::start(&["scenarios"]);
    let out = Path::new("output/browser-test");
    std::fs::create_dir_all(out).unwrap();
    let chrome = browser(&path, (1280, 900));
    let tab = chrome.new_tab().expect("a tab");
    let tall = browser(&path, (1280, TALL));
    let tall_tab = tall.new_tab().expect("a tab");
    let names: Vec<String> = {
        tab.navigate_to(&server.url("/"))
            .unwrap()
            .wait_until_navigated()
            .unwrap();
        let list = eval(
            &tab,
            "JSON.stringify(Array.from(document.querySelectorAll('.scenario-list a'), a => a.getAttribute('href')))",
        );
        serde_json::from_str::<Vec<String>>(list.as_str().unwrap())
            .unwrap()
            .iter()
            .map(|h| h.trim_start_matches("/s/").to_string())
            .collect()
    };
    assert_eq!(names.len(), 13, "every bundled scenario is listed: {names:?}");
    let mut timings = format!(
        "scenario\titerations\tfield changed\tmedian ms of {TRIALS} typed changes (timed from the last keystroke) to the answer received\tto the results on screen (1280 x 900)\tmedian ms of {TRIALS} pasted changes (one input event) to the answer received\tto the results on screen (1280 x 900)\tto the results on screen, every plot in sight (1280 x {TALL})\n"
    );
    let tmp = tempdir();
    for name in &names {
        tab.navigate_to(&server.url(&format!("/s/{name}")))
            .unwrap()
            .wait_until_navigated()
            .unwrap();
        wait_for(
            &tab,
            "!!(window.carecast && document.getElementById('results-body').children.length)",
            "the page",
        );
        let iterations = eval(&tab, "document.getElementById('f-iterations').value")
            .as_str()
            .unwrap()
            .to_string();
        let (key, texts) = changes(&tab);
        // Typed changes first, then pasted ones: [received, shown] of each way.
        let mut phase_times: [[Vec<f64>; 2]; 2] = Default::default();
        for (i, text) in texts.iter().enumerate() {
            let way = usize::from(i >= TRIALS);
            let times = timed_change(&tab, &key, text, way == 0, name);
            for (all, t) in phase_times[way].iter_mut().zip(times) {
                all.push(t);
            }
        }
        // The pasted changes again in a window tall enough to show every plot.
        tall_tab
            .navigate_to(&server.url(&format!("/s/{name}")))
            .unwrap()
            .wait_until_navigated()
            .unwrap();
        wait_for(
            &tall_tab,
            "!!(window.carecast && document.getElementById('results-body').children.length)",
            "the page in the tall window",
        );
        let last_plot = eval(
            &tall_tab,
            "Math.max(...Array.from(document.querySelectorAll('#results-body svg'), s => s.getBoundingClientRect().bottom))",
        );
        let last_plot = last_plot.as_f64().expect("the page has plots");
        assert!(
            last_plot <= f64::from(TALL),
            "{name}: the last plot ends {last_plot} px down, below the {TALL} px window that should show every plot"
        );
        let all_plots: Vec<f64> = (texts[TRIALS..].iter())
            .map(|text| timed_change(&tall_tab, &key, text, false, name)[1])
            .collect();
        let text = texts.last().expect("a change").clone();
        let set = format!("{key}={text}");
        let arg = if key == "seed" {
            ["--seed", text.as_str()]
        } else {
            ["--set", set.as_str()]
        };
        let medians: Vec<String> = (phase_times.into_iter().flatten().chain([all_plots]))
            .map(|times| median(times).to_string())
            .collect();
        timings.push_str(&format!("{name}\t{iterations}\t{key}\t{}\n", medians.join("\t")));
        // The page's address now carries the change.
        let address = eval(&tab, "decodeURIComponent(location.search)")
            .as_str()
            .unwrap()
            .to_string();
        let carried = if key == "seed" {
            format!("seed={text}")
        } else {
            format!("set={set}")
        };
        assert!(address.contains(&carried), "{address}");
        // The results are run --set's, to the bit, and so is the headline the page shows.
        let live = eval(&tab, "JSON.stringify(window.carecast.last.results)");
        let live: Value = serde_json::from_str(live.as_str().unwrap()).unwrap();
        let output = carecast()
            .args(["run", &format!("scenarios/{name}.toml"), arg[0], arg[1], "-q", "--out"])
            .arg(tmp.path())
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).lines().last().unwrap());
        let summary: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
        assert!(
            same(&live, &summary["results"]),
            "{name}: the page's results are not run --set's"
        );
        let report = std::fs::read_to_string(dir.join("report.html")).unwrap();
        let on_page = eval(
            &tab,
            "Array.from(document.querySelectorAll('#results-body .card .figure'), p => p.textContent).join('|')",
        );
        let figures: Vec<&str> = report
            .split("<p class=\"figure\">")
            .skip(1)
            .filter_map(|t| t.split("</p>").next())
            .collect();
        assert_eq!(
            on_page.as_str().unwrap(),
            figures.join("|"),
            "{name}: the headline differs from the report's"
        );
        if name == "reablement" {
            // The page as it opens, with the change made: its top, the changed field in sight.
            eval(&tab, "document.activeElement.blur(); window.scrollTo(0, 0); document.getElementById('inputs').scrollTop = 0; true");
            std::thread::sleep(Duration::from_millis(300));
            screenshot(&tab, &out.join("serve-1280.png"));
            // Labelled, keyboard-reachable controls and readable contrast: WCAG 2.2 A and AA by axe-core.
            let findings = axe_findings(&tab);
            assert!(
                findings.is_empty(),
                "WCAG 2.2 A/AA findings by axe-core:\n{}",
                findings.join("\n")
            );
        }
    }
    std::fs::write(out.join("serve-timings.txt"), &timings).unwrap();
    eprintln!("\n{timings}");

    // A bad value gets the command line's message beside its field, and the page goes on working.
    tab.navigate_to(&server.url("/s/reablement"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    wait_for(&tab, "!!window.carecast", "the page");
    type_into(&tab, "home_care_weekly.sd", "-3");
    wait_for(
        &tab,
        "!document.getElementById('e-home_care_weekly.sd').hidden",
        "the field's message",
    );
    // The last good results stay, dimmed.
    let dimmed = eval(
        &tab,
        "document.getElementById('results-body').classList.contains('stale')",
    );
    assert_eq!(dimmed, Value::Bool(true), "the old results are not marked as old");
    let message = eval(&tab, "document.getElementById('e-home_care_weekly.sd').textContent");
    assert!(
        message
            .as_str()
            .unwrap()
            .contains("sd is -3, but it must be greater than 0"),
        "{message}"
    );
    type_into(&tab, "home_care_weekly.sd", "20");
    wait_for(
        &tab,
        "document.getElementById('e-home_care_weekly.sd').hidden",
        "the message to go",
    );

    // A run of more than 0.3 s shows its progress, then its results.
    tab.navigate_to(&server.url("/s/example"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    wait_for(&tab, "!!window.carecast", "the page");
    // Every text the status line shows from here on, in order.
    eval(
        &tab,
        "window.said = []; new MutationObserver(function () { \
           window.said.push(document.getElementById('status').textContent); \
         }).observe(document.getElementById('status'), { childList: true, characterData: true, subtree: true }); 0",
    );
    paste_into(&tab, "iterations", "1000000");
    wait_for(&tab, "!document.getElementById('progress').hidden", "the progress bar");
    let says = eval(&tab, "document.getElementById('status').textContent");
    assert!(says.as_str().unwrap().contains("of 1,000,000 iterations"), "{says}");
    // Before its progress, once it has run for 0.1 s, the status line says that it is running.
    let said = eval(&tab, "JSON.stringify(window.said)");
    assert!(
        said.as_str().unwrap().starts_with(r#"["Running…","Running: "#),
        "{said}"
    );
    wait_for(
        &tab,
        "!!(window.carecast.last && window.carecast.last.iterations === 1000000)",
        "the long run's results",
    );
    wait_for(
        &tab,
        "document.getElementById('progress').hidden",
        "the progress bar to go",
    );

    // At 640 px the inputs come above the results, in one column.
    let narrow = browser(&path, (640, 1200));
    let tab = narrow.new_tab().expect("a tab");
    tab.navigate_to(&server.url("/s/reablement?set=home_care_weekly.mean%3D120"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    wait_for(&tab, "!!window.carecast", "the page");
    let overflow = eval(
        &tab,
        "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    );
    assert_eq!(overflow.as_f64(), Some(0.0), "the page scrolls sideways at 640 px");
    screenshot(&tab, &out.join("serve-640.png"));
    let findings = axe_findings(&tab);
    assert!(
        findings.is_empty(),
        "WCAG 2.2 A/AA findings by axe-core at 640 px:\n{}",
        findings.join("\n")
    );
}
