//! Fixtures shared by every integration test: scenario text from a skeleton, compiling and loading it, running the
//! PSA on a chosen number of threads, running commands through the library, and the carecast binary itself.

#![allow(dead_code)]

pub mod by_hand;
pub mod outputs;
pub mod serving;

use carecast::commands::{Context, ScenarioChanges};
use carecast::model::{compile, compile_text, Loaded, Model, RunSettings};
use carecast::scenario::{Override, Scenario};
use carecast::simulate::{self, Results};
use std::path::{Path, PathBuf};

/// The settings every skeleton scenario starts from; [`scenario_text`] replaces any of them by key.
const DEFAULT_SETTINGS: [(&str, &str); 9] = [
    ("horizon_years", "10"),
    ("cycle", "\"year\""),
    ("iterations", "1"),
    ("seed", "7"),
    ("mode", "\"cohort\""),
    ("accrual", "\"start\""),
    ("discounting", "\"discrete\""),
    ("discount_rate_costs", "0.035"),
    ("discount_rate_outcomes", "0.035"),
];

/// A scenario named `name` with the default settings, each replaced or added by `settings` (key, TOML value), and
/// `body`: the parameters, states, start, transitions, arms, cohort and any other tables.
pub fn scenario_text(name: &str, settings: &[(&str, &str)], body: &str) -> String {
    let mut lines: Vec<String> = DEFAULT_SETTINGS
        .iter()
        .map(|(k, v)| {
            let v = settings.iter().find(|(key, _)| key == k).map_or(*v, |(_, v)| *v);
            format!("{k} = {v}")
        })
        .collect();
    lines.extend(
        settings
            .iter()
            .filter(|(k, _)| !DEFAULT_SETTINGS.iter().any(|(d, _)| d == k))
            .map(|(k, v)| format!("{k} = {v}")),
    );
    format!(
        "\n[scenario]\nname = \"{name}\"\n\n[settings]\n{}\n\n{body}\n",
        lines.join("\n")
    )
}

/// A scenario named `test` with the default settings plus the lines `settings`, and `body`.
pub fn scenario(settings: &str, body: &str) -> String {
    format!("{}\n{settings}\n\n{body}\n", scenario_text("test", &[], "").trim_end())
}

/// Compiles scenario text, panicking with the error message if it does not compile.
pub fn model(text: &str) -> Model {
    compile_text(Path::new("test.toml"), text).unwrap_or_else(|e| panic!("scenario should compile:\n{e}"))
}

/// The compile error of scenario text, as the user would see it.
pub fn compile_error(text: &str) -> String {
    match compile_text(Path::new("test.toml"), text) {
        Ok(_) => panic!("scenario should not compile"),
        Err(e) => e.to_string(),
    }
}

/// Scenario text parsed and compiled as if read from `name`, with the file's iterations and seed.
pub fn loaded(name: &str, text: &str) -> Loaded {
    let scenario = Scenario::parse(Path::new(name), text).unwrap_or_else(|e| panic!("{e}"));
    let model = compile(&scenario).unwrap_or_else(|e| panic!("{e}"));
    Loaded {
        run: model.run_defaults,
        model,
        scenario,
    }
}

/// A bundled scenario (`scenarios/<name>.toml`) loaded as a command would, with these iterations and `--set` values.
pub fn bundled(name: &str, iterations: Option<u64>, set: &[&str]) -> Loaded {
    carecast::commands::load(&bundled_path(name), &changes(iterations, set)).unwrap_or_else(|e| panic!("{e}"))
}

/// The path of a bundled scenario.
pub fn bundled_path(name: &str) -> PathBuf {
    PathBuf::from(format!("scenarios/{name}.toml"))
}

/// The changes a command makes: iterations instead of the file's, and `--set` values.
pub fn changes(iterations: Option<u64>, set: &[&str]) -> ScenarioChanges {
    ScenarioChanges {
        iterations,
        seed: None,
        overrides: set
            .iter()
            .map(|s| Override::parse(s).unwrap_or_else(|e| panic!("{e}")))
            .collect(),
    }
}

/// A command context on 2 threads writing under `out`.
pub fn context(out: &Path) -> Context {
    Context::new(Some(2), Some(out.to_path_buf())).expect("a thread pool")
}

/// Runs the PSA with the scenario file's iterations and seed on a pool of `threads` threads.
pub fn run(model: &Model, threads: usize) -> Results {
    run_with(model, &model.run_defaults, threads)
}

/// Runs the PSA with the given iterations and seed on a pool of `threads` threads.
pub fn run_with(model: &Model, settings: &RunSettings, threads: usize) -> Results {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    pool.install(|| simulate::run(model, settings, None))
        .unwrap_or_else(|e| panic!("run should succeed: {e}"))
}

/// Relative difference, for comparing with closed forms.
pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

/// The carecast binary this test run built, as a command to add arguments to.
pub fn carecast() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("carecast").expect("binary builds")
}

/// A fresh temporary directory, removed when dropped.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// This machine's identity as carecast writes it into incomplete run directories' names: `<host>.<boot>`.
pub fn host_identity() -> String {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default().trim().to_string();
    let host: String = read("/proc/sys/kernel/hostname")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(32)
        .collect();
    let boot: String = read("/proc/sys/kernel/random/boot_id")
        .replace('-', "")
        .chars()
        .take(12)
        .collect();
    format!("{host}.{boot}")
}

/// The variable CI sets (see .ci/run) so that no test may skip: a test that cannot run there fails instead.
pub const REQUIRE_ALL: &str = "CARECAST_REQUIRE_BROWSER";

/// Says that the calling test skips the rest of its work because `why`, on the terminal itself (the test harness
/// captures `eprintln!`, so a skipped test would otherwise read as a plain "ok"); panics instead where
/// [`REQUIRE_ALL`] is set, as it is in CI. The caller returns right after.
pub fn skip(why: &str) {
    skip_unless_required(why, std::env::var_os(REQUIRE_ALL).is_some());
}

/// [`skip`] with whether skipping is forbidden given.
pub fn skip_unless_required(why: &str, required: bool) {
    skip_unless_required_by(why, REQUIRE_ALL, required);
}

/// [`skip_unless_required`] for a test that its own variable makes required (`variable`, named in the messages).
pub fn skip_unless_required_by(why: &str, variable: &str, required: bool) {
    use std::io::Write;
    assert!(
        !required,
        "{variable} is set (as in CI), so this test may not skip: {why}"
    );
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    // Straight to the process's stderr, past the harness's capture, so that the skip is seen beside its "ok".
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED {test}: {why}. It reports \"ok\" but checked nothing; set {variable}=1 to make this a failure. ***"
    );
}

/// Writes `text` as a scenario file and runs `carecast run` on it; returns the terminal text and the run directory.
pub fn run_scenario(dir: &Path, text: &str) -> (String, PathBuf) {
    let file = dir.join("scenario.toml");
    std::fs::write(&file, text).expect("write scenario");
    let output = carecast()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.join("out"))
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).expect("utf8");
    let run_dir = PathBuf::from(stdout.trim_end().lines().last().expect("the run directory"));
    (stdout, run_dir)
}

/// Runs `carecast run --quiet` with `args` (the scenario first) into `out`; returns the run directory.
pub fn run_quiet(out: &Path, args: &[&str]) -> PathBuf {
    let output = carecast()
        .arg("run")
        .args(args)
        .arg("--quiet")
        .arg("--out")
        .arg(out)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    PathBuf::from(String::from_utf8(output.stdout).expect("utf8").trim_end())
}

/// Runs carecast with `args` and `--out out`, which must succeed; returns the directory it printed last.
pub fn ok_in(args: &[&str], out: &Path) -> PathBuf {
    let o = carecast().args(args).arg("--out").arg(out).output().unwrap();
    assert!(
        o.status.success(),
        "carecast {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stdout = String::from_utf8(o.stdout).unwrap();
    PathBuf::from(stdout.lines().last().expect("a directory").trim())
}

/// Headless Chromium for the browser tests: `CARECAST_CHROMIUM`, or `chromium` (Debian's package),
/// `chromium-browser` or `google-chrome` on the PATH.
pub fn chromium() -> Option<PathBuf> {
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
