//! `carecast serve` over HTTP, as a browser (or an attacker's page) meets it: the results for a set of changes are
//! exactly what `carecast run --set` gives; the address carries the changes; "save as scenario" writes a file that
//! runs as the changes do and "save run" the run directory `carecast run` writes; requests from elsewhere, oversized
//! or state-changing GETs are refused; bad input gets the command line's message beside its field.
//! (tests/serve_browser.rs drives the page itself in headless Chromium.)

mod common;

use common::serving::Server;
use common::{carecast, tempdir};
use serde_json::{json, Value};
use std::path::Path;

/// `carecast run SCENARIO --iterations N --set ...` into `out`; its summary.json, with the run directory as `dir`.
fn run_set(out: &Path, scenario: &str, iterations: u64, set: &[&str]) -> Value {
    let mut args = vec![
        "run".to_string(),
        scenario.to_string(),
        "--iterations".into(),
        iterations.to_string(),
    ];
    for s in set {
        args.extend(["--set".to_string(), s.to_string()]);
    }
    args.extend(["--out".into(), out.display().to_string(), "-q".into()]);
    let output = carecast().args(&args).output().expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let dir = String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .expect("a directory")
        .to_string();
    let mut summary: Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(&dir).join("summary.json")).unwrap()).unwrap();
    // Where it was written, beside what it says.
    summary["dir"] = json!(dir);
    summary
}

/// The page's changes as it posts them.
fn changes(set: &[&str], iterations: u64) -> Value {
    let pairs: Vec<Value> = (set.iter())
        .map(|s| {
            let (k, v) = s.split_once('=').unwrap();
            json!([k, v])
        })
        .collect();
    json!({"session": "test", "changes": pairs, "iterations": iterations.to_string()})
}

#[test]
fn a_change_on_the_page_gives_exactly_what_run_set_gives() {
    let server = Server::start(&["scenarios"]);
    let tmp = tempdir();
    // Reablement: a distribution's mean, one end of an interval, and a cost given at another price year (changed at
    // the scenario's). Adaptations: weekly cycles (payback in weeks from a second run) and subgroups (which the page
    // leaves out).
    let cases: [(&str, &[&str]); 2] = [
        (
            "reablement",
            &[
                "home_care_weekly.mean=120",
                "p_no_package_after_reablement.ci95_low=0.5",
                "care_home_weekly.low=470",
                "care_home_weekly.high=560",
            ],
        ),
        ("adaptations", &[]),
    ];
    for (name, set) in cases {
        let answer = server.post(&format!("/s/{name}/run"), &changes(set, 2000));
        assert_eq!(
            answer.status,
            200,
            "{}",
            &answer.text()[..answer.text().len().min(2000)]
        );
        let live = answer.json();
        assert_eq!(live["ok"], true);
        let summary = run_set(tmp.path(), &format!("scenarios/{name}.toml"), 2000, set);
        let dir = Path::new(summary["dir"].as_str().unwrap()).to_path_buf();
        // Every number the run's summary.json gives, to the bit: the same serialisation of the same analysis.
        assert_eq!(
            live["results"], summary["results"],
            "{name}: the page's results differ from run --set's"
        );
        assert_eq!(live["iterations"], 2000);
        let html = live["html"].as_str().unwrap();
        assert!(html.contains("Headline: what each £1 buys back"), "{name}");
        // Each plot the page shows is the SVG the run directory holds, inlined byte for byte: £ back per £1, the
        // plane, acceptability and cumulative savings, as the scenario has them.
        let mut shown = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let on_page =
                stem.starts_with("roi_") || stem == "ce_plane" || stem == "ceac" || stem.starts_with("cumulative_");
            if path.extension().is_some_and(|e| e == "svg") && on_page {
                let file = std::fs::read_to_string(&path).unwrap();
                assert!(html.contains(&file), "{name}: {stem}.svg is not on the page as written");
                shown.push(stem);
            }
        }
        assert!(shown.len() >= 2, "{name}: {shown:?}");
        assert_eq!(
            html.matches("<svg ").count(),
            shown.len(),
            "{name}: the page's plots are {shown:?}"
        );
    }
}

#[test]
fn the_address_carries_the_changes_and_the_page_shows_their_results() {
    let server = Server::start(&["scenarios/reablement.toml"]);
    let index = server.get("/");
    assert_eq!(index.status, 200);
    assert!(index.text().contains("href=\"/s/reablement\""));
    let page = server.get("/s/reablement?set=home_care_weekly.mean%3D120&iterations=3000");
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(
        html.contains("value=\"120\" data-original=\"96\""),
        "the changed field shows the change"
    );
    assert!(
        html.contains("3,000 iterations, seed 2010, 1 change"),
        "the status says what ran"
    );
    let policy = page.header("content-security-policy").expect("a security policy");
    assert!(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"));
    // The same results as the page posts for the same change: the headline's first figure.
    let posted = server
        .post("/s/reablement/run", &changes(&["home_care_weekly.mean=120"], 3000))
        .json();
    let first_card = |h: &str| {
        h.split("<p class=\"figure\">")
            .nth(1)
            .and_then(|t| t.split("</p>").next())
            .map(String::from)
    };
    assert_eq!(first_card(&html), first_card(posted["html"].as_str().unwrap()));
    assert!(first_card(&html).is_some());
    let script = server.get("/app.js");
    assert_eq!(script.status, 200);
    assert!(script.header("content-type").unwrap().starts_with("text/javascript"));
}

#[test]
fn saved_scenarios_run_as_the_changes_do_and_saved_runs_are_run_directories() {
    let out = tempdir();
    let out_arg = out.path().display().to_string();
    let server = Server::start(&["scenarios/reablement.toml", "--out", &out_arg]);
    let set = [
        "home_care_weekly.mean=120",
        "care_home_weekly.low=470",
        "u_home_care.sd=0.04",
    ];
    let saved = server.post("/s/reablement/save-scenario", &changes(&set, 1500));
    assert_eq!(saved.status, 200, "{}", saved.text());
    assert!(saved
        .header("content-disposition")
        .unwrap()
        .contains("reablement-what-if.toml"));
    let text = saved.text();
    assert!(
        text.starts_with("# What-if of scenarios/reablement.toml (SHA-256 "),
        "{}",
        &text[..200]
    );
    assert!(text.contains("#   home_care_weekly.mean: 96 -> 120"));
    assert!(text.contains("care_home_weekly (parameters.care_home_weekly) is now written at 2010 prices"));
    let file = out.path().join("what-if.toml");
    std::fs::write(&file, &text).unwrap();
    let tmp = tempdir();
    let from_file = run_set(tmp.path(), &file.display().to_string(), 1500, &[]);
    let with_set = run_set(tmp.path(), "scenarios/reablement.toml", 1500, &set);
    assert_eq!(
        from_file["results"], with_set["results"],
        "the saved file runs as --set does"
    );

    let run = server.post("/s/reablement/save-run", &changes(&set, 1500));
    assert_eq!(run.status, 200, "{}", run.text());
    let run = run.json();
    let dir = Path::new(run["dir"].as_str().unwrap());
    assert!(dir.starts_with(out.path()), "{}", dir.display());
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["results"], with_set["results"]);
    assert_eq!(
        summary["provenance"]["overrides"],
        json!([
            "home_care_weekly.mean=120",
            "care_home_weekly.low=470",
            "u_home_care.sd=0.04"
        ])
    );
    let report = server.get(run["report"].as_str().unwrap());
    assert_eq!(report.status, 200);
    assert!(report.text().contains("<h2 id=\"headline-h\">"));
    assert_eq!(server.get("/runs/2/report.html").status, 404, "only runs it saved");
}

#[test]
fn requests_from_elsewhere_oversized_or_changing_state_by_get_are_refused() {
    let server = Server::start(&["scenarios/reablement.toml"]);
    let body = changes(&["home_care_weekly.mean=120"], 100).to_string();
    let post =
        |headers: &[(&str, &str)], body: &[u8]| server.request("POST", "/s/reablement/run", headers, body).status;
    // DNS rebinding: a page on another name that resolves here.
    assert_eq!(
        server.request("GET", "/", &[("Host", "evil.example:8150")], b"").status,
        421
    );
    let other_port = format!(
        "127.0.0.1:{}",
        server.host.rsplit(':').next().unwrap().parse::<u16>().unwrap() ^ 1
    );
    assert_eq!(
        server.request("GET", "/", &[("Host", other_port.as_str())], b"").status,
        421
    );
    // Changes from another origin, without one, or not as JSON (what a form on another site can send).
    assert_eq!(post(&[("Origin", "http://evil.example")], body.as_bytes()), 403);
    assert_eq!(post(&[("Origin", "")], body.as_bytes()), 403);
    assert_eq!(post(&[("Sec-Fetch-Site", "cross-site")], body.as_bytes()), 403);
    assert_eq!(
        post(
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes()
        ),
        415
    );
    assert_eq!(post(&[], &vec![b' '; 70 * 1024]), 413);
    assert_eq!(post(&[], b"{not json"), 400);
    // No GET changes anything; nothing outside the scenarios is served.
    assert_eq!(server.get("/s/reablement/save-run").status, 404);
    assert_eq!(server.get("/s/reablement/save-scenario").status, 404);
    assert_eq!(
        server.request("PUT", "/s/reablement/run", &[], body.as_bytes()).status,
        405
    );
    for path in [
        "/s/../../etc/passwd",
        "/scenarios/reablement.toml",
        "/s/reablement/../../Cargo.toml",
        "/runs/1/report.html",
    ] {
        assert_eq!(server.get(path).status, 404, "{path}");
    }
    assert_eq!(server.get(&format!("/?{}", "x".repeat(20_000))).status, 414);
}

#[test]
fn bad_input_gets_the_command_line_s_message_beside_its_field() {
    let server = Server::start(&["scenarios/reablement.toml", "--max-iterations", "50000"]);
    let errors = |set: &[&str], iterations: u64| {
        let answer = server.post("/s/reablement/run", &changes(set, iterations));
        assert_eq!(answer.status, 400, "{}", answer.text());
        answer.json()["errors"].clone()
    };
    let cli = |set: &str| {
        let output = carecast()
            .args(["run", "scenarios/reablement.toml", "--set", set])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        String::from_utf8_lossy(&output.stderr).trim().to_string()
    };
    assert_eq!(
        errors(&["home_care_weekly.sd=-3"], 100),
        json!([["home_care_weekly.sd", cli("home_care_weekly.sd=-3")]])
    );
    assert_eq!(
        errors(&["p_die_home_care.ci95_low=1.4"], 100),
        json!([["p_die_home_care.ci95_low", cli("p_die_home_care.ci95_low=1.4")]])
    );
    let unread = errors(&["home_care_weekly.mean=abc"], 100);
    assert_eq!(unread[0][0], "home_care_weekly.mean");
    assert!(
        unread[0][1].as_str().unwrap().contains("`abc` is not a finite number"),
        "{unread}"
    );
    let over = errors(&[], 60_000);
    assert_eq!(over[0][0], "iterations");
    assert!(over[0][1].as_str().unwrap().contains("from 1 to 50000"), "{over}");
    // The server still answers afterwards.
    assert_eq!(server.post("/s/reablement/run", &changes(&[], 100)).status, 200);
}

/// Waits until the page `test`'s run of reablement has done some iterations.
fn wait_until_running(server: &Server) {
    let started = std::time::Instant::now();
    while server.get("/s/reablement/progress?session=test").json()["done"].as_u64() == Some(0) {
        assert!(started.elapsed().as_secs() < 60, "the long run never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_page_s_next_change_cancels_its_run_still_going() {
    let server = Server::start(&["scenarios/reablement.toml", "--max-iterations", "20000000"]);
    std::thread::scope(|scope| {
        // Ten million iterations: seconds of work, unless the page's next change stops it.
        let long = scope.spawn(|| server.post("/s/reablement/run", &changes(&[], 10_000_000)));
        let started = std::time::Instant::now();
        wait_until_running(&server);
        let next = server.post("/s/reablement/run", &changes(&["home_care_weekly.mean=100"], 1000));
        assert_eq!(next.status, 200);
        let long = long.join().unwrap();
        assert_eq!(long.status, 409, "the long run was not cancelled");
        assert_eq!(long.json()["cancelled"], true);
        assert!(started.elapsed().as_secs_f64() < 5.0, "cancelled, it stopped at once");
    });
}

#[test]
fn an_earlier_change_arriving_after_a_later_one_is_refused_and_cancels_nothing() {
    let server = Server::start(&["scenarios/reablement.toml", "--max-iterations", "20000000"]);
    let numbered = |set: &[&str], iterations: u64, seq: u64| {
        let mut request = changes(set, iterations);
        request["seq"] = json!(seq);
        request
    };
    let done = || server.get("/s/reablement/progress?session=test").json()["done"].as_u64();
    std::thread::scope(|scope| {
        // The page's second change, ten million iterations, reaches the server first.
        let second = scope.spawn(|| server.post("/s/reablement/run", &numbered(&[], 10_000_000, 2)));
        wait_until_running(&server);
        // Its first arrives after it: refused at once, as overtaken, and the second runs on.
        let first = server.post("/s/reablement/run", &numbered(&["home_care_weekly.mean=100"], 1000, 1));
        assert_eq!(first.status, 409);
        assert_eq!(first.json()["cancelled"], true);
        let after = done();
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(done() > after, "the later change's run was stopped by the earlier one");
        // The third cancels it, as a page's next change does.
        let third = server.post("/s/reablement/run", &numbered(&["home_care_weekly.mean=100"], 1000, 3));
        assert_eq!(third.status, 200);
        assert_eq!(second.join().unwrap().status, 409);
    });
}

#[test]
fn serve_listens_on_loopback_unless_told_and_warns_when_told() {
    let server = Server::start(&["scenarios/reablement.toml"]);
    assert!(server.host.starts_with("127.0.0.1:"), "{}", server.host);
    let mut wide = Server::start(&["scenarios/reablement.toml", "--listen", "0.0.0.0:0"]);
    let mut warning = String::new();
    use std::io::BufRead;
    std::io::BufReader::new(&mut wide.stderr)
        .read_line(&mut warning)
        .unwrap();
    assert!(
        warning.starts_with("warning: listening on 0.0.0.0:0, not this machine's loopback address"),
        "{warning}"
    );
    let empty = tempdir();
    let empty = empty.path().display().to_string();
    for (args, says) in [
        (vec!["--listen", "nowhere"], "expected ADDRESS:PORT"),
        (vec![empty.as_str()], "no scenario could be served"),
        (vec!["no/such/file.toml"], "neither a scenario file nor a folder"),
        (vec!["--max-iterations", "0"], "--max-iterations"),
    ] {
        let output = carecast().arg("serve").args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains(says),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
