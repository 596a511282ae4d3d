//! The memory check as a user meets it: under an address-space limit (`ulimit -v`, which bash sets for the binary it
//! runs), a run too big for it is refused with the memory it needs, the limit and the most iterations that fit,
//! and that many iterations run to the end.
#![cfg(target_os = "linux")]

mod common;

use carecast::model::{compile_text, Model, RunSettings};
use carecast::simulate::{largest_iterations_within, memory_estimate, streamed_memory_estimate, Bytes};
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

/// What one thread per pool reserves of the address space beyond its resident memory: 4 threads (the command's
/// pool, rayon's global pool, Ctrl-C, the progress bar), each with a 2 MiB stack and its guard page and a 64 MiB
/// allocator heap, and 16 MiB of code.
const RESERVE_ON_ONE_THREAD: u64 = 4 * ((2 << 20) + 4096) + 4 * (64 << 20) + (16 << 20);

/// Runs carecast with `args` under an address-space limit of `kib` KiB, with one thread per pool.
fn carecast_within(kib: u64, args: &[&str]) -> Output {
    Command::new("bash")
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_carecast"))
        .args(args)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .expect("bash runs")
}

fn scenario(path: &str) -> Model {
    compile_text(Path::new(path), &fs::read_to_string(path).unwrap()).unwrap_or_else(|e| panic!("{e}"))
}

fn estimate(model: &Model, iterations: usize) -> u64 {
    memory_estimate(model, &RunSettings { iterations, seed: 1 })
}

#[test]
fn a_run_over_the_address_space_limit_is_refused_and_the_iterations_it_suggests_run() {
    const LIMIT_KIB: u64 = 450_000;
    let tmp = common::tempdir();
    let out = tmp.path().to_str().unwrap();
    let run = |n: usize| {
        let n = n.to_string();
        carecast_within(
            LIMIT_KIB,
            &[
                "run",
                "scenarios/reference.toml",
                "--iterations",
                &n,
                "-q",
                // Every iteration written, in pieces: the pieces in flight fit in the estimate too.
                "--keep",
                "all",
                "--out",
                out,
            ],
        )
    };
    // 439 MiB of address space, less 280 MiB the threads reserve: 159 MiB for the run, about 10^5 iterations.
    let model = scenario("scenarios/reference.toml");
    let fits = largest_iterations_within(&model, LIMIT_KIB * 1024 - RESERVE_ON_ONE_THREAD, 100_000_000);
    assert!((50_000..200_000).contains(&fits), "{fits}");

    let refused = run(10_000_000);
    let e = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{e}");
    let need = Bytes(estimate(&model, 10_000_000));
    assert_eq!(need.to_string(), "4.5 GiB");
    assert!(
        e.contains(&format!(
            "10000000 iterations of this model would need about {need} of memory"
        )) && e.contains("more than the 159 MiB carecast can use here")
            && e.contains("the address-space limit (ulimit -v) of 439 MiB, less 280 MiB its threads and code reserve")
            && e.contains(&format!("at most {fits} iterations fit: use --iterations {fits}")),
        "{e}"
    );
    // One iteration more than fits: refused, with the same advice.
    let refused = run(fits + 1);
    let e = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{e}");
    assert!(e.contains(&format!("use --iterations {fits}")), "{e}");
    // As many as fit: the run goes to the end under the limit and writes every iteration.
    let accepted = run(fits);
    assert!(
        accepted.status.success(),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
    let dir = String::from_utf8(accepted.stdout).unwrap();
    let rows = fs::read_to_string(Path::new(dir.trim()).join("iterations.csv"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(rows, 1 + 2 * fits, "a header and a row per iteration and arm");
}

#[test]
fn too_many_iterations_for_memory_are_refused_when_checked() {
    // 10^8 iterations of a scenario whose run holds every iteration (adaptations: payback in weeks from a run binned
    // by cycle, subgroups, a cost-benefit account) need tens of GiB: more than an 8 GiB address-space limit allows,
    // so on any machine.
    const LIMIT_KIB: u64 = 8 << 20;
    let tmp = common::tempdir();
    let path = tmp.path().join("broken.toml");
    let text = fs::read_to_string("scenarios/adaptations.toml").unwrap();
    let (from, to) = ("iterations = 10000", "iterations = 100000000");
    assert!(text.contains(from));
    fs::write(&path, text.replacen(from, to, 1)).unwrap();
    let output = carecast_within(LIMIT_KIB, &["check", path.to_str().unwrap()]);
    let e = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{e}");
    let model = scenario("scenarios/adaptations.toml");
    let need = Bytes(estimate(&model, 100_000_000));
    let fits = largest_iterations_within(&model, LIMIT_KIB * 1024 - RESERVE_ON_ONE_THREAD, 100_000_000);
    assert!(
        e.contains("broken.toml:")
            && e.contains(&format!(
                "100000000 iterations of this model would need about {need} of memory"
            ))
            && need.to_string().ends_with("GiB")
            && e.contains(&format!("use --iterations {fits}")),
        "{e}"
    );
    // A scenario analysed a block at a time needs one block's memory at any number of iterations: checked and
    // accepted under the same limit.
    let path = tmp.path().join("large.toml");
    let text = fs::read_to_string("scenarios/example.toml").unwrap();
    fs::write(&path, text.replacen("iterations = 10000", "iterations = 100000000", 1)).unwrap();
    let output = carecast_within(LIMIT_KIB, &["check", path.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let streamed = streamed_memory_estimate(
        &scenario("scenarios/example.toml"),
        &RunSettings {
            iterations: 100_000_000,
            seed: 1,
        },
    );
    assert!(streamed < 1 << 30, "{}", Bytes(streamed));
}

#[test]
fn a_limit_that_leaves_no_room_says_so() {
    // 200 MiB of address space is less than one thread per pool reserves: not even one iteration fits.
    let tmp = common::tempdir();
    let out = tmp.path().to_str().unwrap();
    let output = carecast_within(
        200 << 10,
        &[
            "run",
            "scenarios/reference.toml",
            "--iterations",
            "1000",
            "-q",
            "--out",
            out,
        ],
    );
    let e = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{e}");
    assert!(
        e.contains("not even one iteration fits: raise the limit, or use fewer threads (RAYON_NUM_THREADS)"),
        "{e}"
    );
}
