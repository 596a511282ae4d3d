//! The HTML report in a real browser: headless Chromium loads it from a file:// URL; there must be no console
//! messages (a blocked load, a content-security violation or a script error all print one), and every plot must be
//! drawn with a non-zero size. A screenshot is saved to output/browser-test/report.png for a person to look at.
//!
//! axe-core (vendored in tests/vendor/axe-core) checks bundled scenarios' reports against WCAG 2.2 A and AA; at a
//! 640 px window the page must not scroll sideways and plot text must be at least 9 px; every minus sign in the
//! report's text is tied to its number.
//!
//! Needs Chromium (Debian's `chromium` package; `.ci/run` installs it). Without it the test says so loudly and
//! passes, unless CARECAST_REQUIRE_BROWSER is set, as it is in CI, where a missing browser fails the test (the rule
//! every skipping test follows: `common::skip`).

mod common;

use common::{bundled_path, changes, chromium, context};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

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

/// The content-security policy every report declares; test copies add a script nonce to it.
const POLICY: &str = "default-src 'none';";

/// A copy of `report` beside it, named `name`, with `script` run at the end of its body (allowed by a nonce added to
/// the copy's content-security policy, which otherwise forbids every script).
fn instrumented(report: &Path, name: &str, script: &str) -> PathBuf {
    let html = fs::read_to_string(report).unwrap();
    assert!(html.contains(POLICY), "the report declares its content-security policy");
    let with_script = html
        .replacen(POLICY, &format!("{POLICY} script-src 'nonce-carecast-test';"), 1)
        .replacen(
            "</body>",
            &format!("<script nonce=\"carecast-test\">{script}</script></body>"),
            1,
        );
    let copy = report.with_file_name(name);
    fs::write(&copy, with_script).unwrap();
    copy
}

/// What a script wrote into `<pre id="result">`, from the DOM Chromium dumped (text there is HTML-escaped).
fn result_in(dom: &str, log: &str) -> String {
    let text = dom
        .split("<pre id=\"result\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap_or_else(|| panic!("the test's script wrote no result; browser log:\n{log}"));
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// A script that stores `expression`'s value (a promise of something JSON can write) in `<pre id="result">`.
fn store_result(expression: &str) -> String {
    format!(
        "Promise.resolve().then(() => {expression}).then(v => JSON.stringify(v), e => JSON.stringify('script failed: ' + e))\
         .then(t => {{ const pre = document.createElement('pre'); pre.id = 'result'; pre.textContent = t; document.body.appendChild(pre); }});"
    )
}

/// Runs a bundled scenario with few iterations; the folder is kept in `tmp`.
fn report_of(tmp: &Path, scenario: &str) -> PathBuf {
    let outcome = carecast::commands::run(&context(tmp), &bundled_path(scenario), &changes(Some(400), &[]))
        .unwrap_or_else(|e| panic!("{scenario}: {e}"));
    outcome.dir.join("report.html")
}

/// The reports of reablement's tornado, threshold and EVPPI analyses (the last with few iterations).
fn study_reports(tmp: &Path) -> Vec<(&'static str, PathBuf)> {
    let ctx = context(tmp);
    let path = bundled_path("reablement");
    let net = carecast::analysis::sensitivity::Measure::NetSavings;
    let tornado = carecast::commands::tornado_analysis(&ctx, &path, net, &[]).unwrap();
    let bcr = carecast::analysis::sensitivity::Measure::Bcr;
    let threshold = carecast::commands::threshold_analysis(&ctx, &path, "reablement_episode", bcr, None).unwrap();
    let evppi = carecast::commands::evppi(&ctx, &path, &changes(Some(400), &[]), None, &[]).unwrap();
    vec![
        ("reablement tornado", tornado.dir.join("report.html")),
        ("reablement threshold", threshold.dir.join("report.html")),
        ("reablement evppi", evppi.dir.join("report.html")),
    ]
}

/// What axe-core finds in a page: a line for each WCAG 2.x A or AA violation (its id, impact, help, first element
/// and count), and one for each element outside a plot whose contrast it could not check.
fn axe_findings(browser: &Path, page: &Path) -> Vec<String> {
    let axe = fs::read_to_string("tests/vendor/axe-core/axe.min.js").unwrap();
    let run = store_result(
        "axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }).then(r => \
         r.violations.map(v => `${v.id} (${v.impact}): ${v.help}; first at ${v.nodes[0].target}, ${v.nodes.length} in all`)\
         .concat(r.incomplete.filter(v => v.id === 'color-contrast').flatMap(v => v.nodes)\
           .filter(n => !document.querySelector(n.target[0])?.closest('svg'))\
           .map(n => `contrast not checkable at ${n.target}: ${n.any.map(a => a.message).join('; ')}`)))",
    );
    let copy = instrumented(page, "axe.html", &format!("{axe}\n{run}"));
    let (dom, log) = headless(browser, &copy, &["--dump-dom", "--virtual-time-budget=60000"]);
    let result = result_in(&dom, &log);
    serde_json::from_str(&result).unwrap_or_else(|e| panic!("{}: {e}: {result}", page.display()))
}

#[test]
fn bundled_reports_meet_wcag_2_2_aa_by_axe_core() {
    let Some(browser) = chromium() else {
        common::skip("no chromium on PATH (install Debian's chromium package, or set CARECAST_CHROMIUM)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // First, that the checker runs and finds things: a page with no language and an image with no text.
    let bad = tmp.path().join("bad.html");
    fs::write(
        &bad,
        format!("<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"{POLICY} img-src data:\">\
         <title>t</title></head><body><img src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\"></body></html>"),
    )
    .unwrap();
    let found = axe_findings(&browser, &bad);
    for id in ["html-has-lang", "image-alt"] {
        assert!(
            found.iter().any(|f| f.starts_with(id)),
            "axe-core missed {id}: {found:?}"
        );
    }
    // Reablement: two arms and every plot; Shared Lives: subgroups; personal budgets: a start date, so a budget.
    let found: Vec<String> = ["reablement", "shared-lives", "personal-budgets"]
        .iter()
        .flat_map(|scenario| {
            let report = report_of(tmp.path(), scenario);
            axe_findings(&browser, &report)
                .into_iter()
                .map(move |f| format!("{scenario}: {f}"))
        })
        .chain(study_reports(tmp.path()).into_iter().flat_map(|(what, report)| {
            axe_findings(&browser, &report)
                .into_iter()
                .map(move |f| format!("{what}: {f}"))
        }))
        .collect();
    assert!(
        found.is_empty(),
        "WCAG 2.2 A/AA findings by axe-core:\n{}",
        found.join("\n")
    );
}

#[test]
fn at_640_px_the_page_does_not_scroll_sideways_and_plot_text_is_at_least_9_px() {
    let Some(browser) = chromium() else {
        common::skip("no chromium on PATH (install Debian's chromium package, or set CARECAST_CHROMIUM)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let report = report_of(tmp.path(), "reablement");
    // Each plot's smallest text as drawn: its font size times the plot's scale on screen.
    let measure = store_result(
        "({ page: document.documentElement.scrollWidth, window: window.innerWidth, \
           text: Array.from(document.querySelectorAll('.plot svg'), s => s.getBoundingClientRect().width / s.viewBox.baseVal.width \
             * Math.min(...Array.from(s.querySelectorAll('text'), t => parseFloat(getComputedStyle(t).fontSize)))) })",
    );
    let copy = instrumented(&report, "narrow.html", &measure);
    let (dom, log) = headless(&browser, &copy, &["--dump-dom", "--window-size=640,2000"]);
    let result = result_in(&dom, &log);
    let sizes: serde_json::Value = serde_json::from_str(&result).unwrap_or_else(|e| panic!("{e}: {result}"));
    assert_eq!(sizes["window"], 640, "the window is 640 px wide: {result}");
    assert!(
        sizes["page"].as_f64().unwrap() <= 640.0,
        "the page scrolls sideways: {result}"
    );
    let text = sizes["text"].as_array().unwrap();
    assert!(text.len() >= 5, "reablement's report has at least five plots: {result}");
    // 9.68 px tick labels in a 1200 px plot kept at least 69rem (1104 px) wide: 8.9 px.
    assert!(
        text.iter().all(|t| t.as_f64().unwrap() >= 8.9),
        "plot text under 9 px: {result}"
    );

    // No line may break between a minus sign and its number, anywhere in the report's own text (the plots' text,
    // which never wraps, is left as it was drawn).
    let html = fs::read_to_string(&report).unwrap();
    let text_only: String = html
        .split("<svg")
        .map(|part| part.split_once("</svg>").map_or(part, |(_, after)| after))
        .collect();
    assert!(text_only.contains("−\u{2060}"), "the report has minus signs");
    assert!(
        !text_only.replace("−\u{2060}", "").contains('−'),
        "a minus sign not joined to its number"
    );
}

/// `svg` with every path of round dots ("M x y h0" pieces) written back as one circle per dot, as plotters drew them.
fn dots_as_circles(svg: &str) -> String {
    let attr = |line: &str, name: &str| {
        let start = line.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        line[start..].split('"').next().unwrap().to_string()
    };
    let mut out = String::new();
    for line in svg.lines() {
        if !(line.starts_with("<path d=\"M") && line.contains("stroke-linecap=\"round\"")) {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let r = attr(line, "stroke-width").parse::<u32>().unwrap() / 2;
        let (opacity, fill) = (attr(line, "stroke-opacity"), attr(line, "stroke"));
        for piece in attr(line, "d").split('M').skip(1) {
            let (x, y) = piece.strip_suffix("h0").unwrap().split_once(' ').unwrap();
            out.push_str(&format!(
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"{r}\" opacity=\"{opacity}\" fill=\"{fill}\" stroke=\"none\" stroke-width=\"1\"/>\n"
            ));
        }
    }
    out
}

#[test]
fn a_plane_drawn_as_paths_of_dots_looks_as_its_circles_do() {
    let Some(browser) = chromium() else {
        common::skip("no chromium on PATH (install Debian's chromium package, or set CARECAST_CHROMIUM)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // A cloud (reablement), and every dot on one vertical line with up to 91 on one pixel (shared-lives).
    for scenario in ["reablement", "shared-lives"] {
        let outcome = bundled_run(tmp.path(), scenario, 10_000);
        let paths = fs::read_to_string(outcome.dir.join("ce_plane.svg")).unwrap();
        let circles = dots_as_circles(&paths);
        let dots = circles.matches("<circle").count();
        assert!(
            dots > 10_000,
            "{scenario}: the plane's dots read back as circles: {dots}"
        );
        let drawn = paths.matches("<path d=\"M").count() + paths.matches("<circle").count();
        assert!(drawn * 10 < dots, "{scenario}: {drawn} elements draw the {dots} dots");
        let [pixels, most, differ, inked] = compare_in_chromium(&browser, tmp.path(), &paths, &circles);
        eprintln!(
            "{scenario}: the plane as paths against circles: {most} of 255 at most, {differ} of {pixels} pixels differ"
        );
        assert_eq!(pixels, 1200 * 800, "{scenario}");
        assert!(
            inked > 5_000,
            "{scenario}: the plane is drawn: {inked} pixels not white"
        );
        // Compositing rounds once per layer instead of once per dot: a few levels of 255 at most, nothing a person
        // sees (all the dots as one path, which paints overlaps once, differs by 173 on reablement's plane).
        assert!(
            most <= 8,
            "{scenario}: a pixel differs by {most} of 255 ({differ} of {pixels} differ at all)"
        );
    }
}

/// A bundled scenario run at `iterations` into `dir`, as `carecast run` runs it.
fn bundled_run(dir: &Path, scenario: &str, iterations: u64) -> carecast::commands::RunOutcome {
    carecast::commands::run(&context(dir), &bundled_path(scenario), &changes(Some(iterations), &[]))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// `svg` with each path of merged shapes (as carecast writes a run of bars, dashes or grid lines) written out again as
/// the separate shapes it holds: a polyline per subpath of an outline, a rectangle per subpath of a fill. Written here
/// from the path data alone, apart from the code that merges them.
fn shapes_apart(svg: &str) -> String {
    let mut out = String::new();
    for line in svg.lines() {
        let merged = line.strip_prefix("<path ").filter(|rest| !rest.starts_with("d=\""));
        let Some((style, data)) = merged.and_then(|rest| rest.strip_suffix("\"/>")?.split_once(" d=\"")) else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        for piece in data.split('M').skip(1) {
            if style.contains("fill=\"none\"") {
                let points: Vec<String> = piece.split('L').map(|p| p.replace(' ', ",")).collect();
                out.push_str(&format!("<polyline {style} points=\"{} \"/>\n", points.join(" ")));
            } else {
                // M x y h w v h h -w Z
                let (corner, rest) = piece.split_once('h').unwrap();
                let (x, y) = corner.split_once(' ').unwrap();
                let (w, rest) = rest.split_once('v').unwrap();
                let h = rest.split_once('h').unwrap().0;
                out.push_str(&format!(
                    "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" {style}/>\n"
                ));
            }
        }
    }
    out
}

#[test]
fn plots_with_their_bars_dashes_and_grid_lines_merged_look_as_the_shapes_apart_do() {
    let Some(browser) = chromium() else {
        common::skip("no chromium on PATH (install Debian's chromium package, or set CARECAST_CHROMIUM)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let outcome = bundled_run(tmp.path(), "example", 2_000);
    for stem in ["roi_reablement", "cumulative_reablement", "ceac", "ce_plane", "evpi"] {
        let merged = fs::read_to_string(outcome.dir.join(format!("{stem}.svg"))).unwrap();
        let apart = shapes_apart(&merged);
        let shapes = |svg: &str| {
            ["<polyline", "<line", "<rect", "<path"]
                .map(|e| svg.matches(e).count())
                .iter()
                .sum::<usize>()
        };
        assert!(
            shapes(&apart) > shapes(&merged),
            "{stem}: nothing was merged ({} shapes)",
            shapes(&merged)
        );
        let [pixels, most, differ, inked] = compare_in_chromium(&browser, tmp.path(), &merged, &apart);
        eprintln!(
            "{stem}: {} shapes merged into {}: {most} of 255 at most, {differ} of {pixels} pixels differ",
            shapes(&apart),
            shapes(&merged)
        );
        assert!(inked > 5_000, "{stem}: the plot is drawn: {inked} pixels not white");
        assert!(
            most <= 8,
            "{stem}: a pixel differs by {most} of 255 ({differ} of {pixels} differ at all)"
        );
    }
}

/// Two SVG texts drawn by Chromium onto canvases of their size and compared pixel by pixel: the pixels, the largest
/// difference in a colour channel, the pixels that differ at all, and the pixels of the first that are not white.
fn compare_in_chromium(browser: &Path, dir: &Path, a: &str, b: &str) -> [u64; 4] {
    let compare = store_result(&format!(
        "(async () => {{ \
           const draw = async svg => {{ const img = new Image(); \
             img.src = URL.createObjectURL(new Blob([svg], {{ type: 'image/svg+xml' }})); await img.decode(); \
             const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight; \
             const g = c.getContext('2d'); g.drawImage(img, 0, 0); return g.getImageData(0, 0, c.width, c.height).data; }}; \
           const a = await draw({}), b = await draw({}); \
           let most = 0, differ = 0, inked = 0; \
           for (let i = 0; i < a.length; i += 4) {{ let d = 0; \
             for (let k = 0; k < 3; k++) d = Math.max(d, Math.abs(a[i + k] - b[i + k])); \
             most = Math.max(most, d); if (d > 0) differ++; if (a[i] < 250 || a[i + 1] < 250 || a[i + 2] < 250) inked++; }} \
           return [a.length / 4, most, differ, inked]; }})()",
        serde_json::to_string(a).unwrap(),
        serde_json::to_string(b).unwrap()
    ));
    let page = dir.join("dots.html");
    fs::write(
        &page,
        format!("<!DOCTYPE html><html><body><script>{compare}</script></body></html>"),
    )
    .unwrap();
    let (dom, log) = headless(browser, &page, &["--dump-dom", "--virtual-time-budget=30000"]);
    let result = result_in(&dom, &log);
    serde_json::from_str(&result).unwrap_or_else(|e| panic!("{e}: {result}"))
}

#[test]
#[should_panic(expected = "may not skip: no browser")]
fn a_skip_fails_where_ci_requires_every_test_to_run() {
    common::skip_unless_required("no browser", true);
}
