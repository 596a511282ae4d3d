//! The README's quick-start output is what the command prints: figures a command produces are never hand-typed.

mod common;

use common::carecast;

/// The lines of the README's first `text` block after "## Quick start".
fn quick_start_block(readme: &str) -> Vec<String> {
    let section = &readme[readme.find("## Quick start").expect("a quick start section")..];
    let start = section.find("```text\n").expect("a text block") + "```text\n".len();
    let end = start + section[start..].find("```").expect("the block ends");
    section[start..end].lines().map(str::to_string).collect()
}

/// Wall time and the run directory's timestamp differ from run to run; everything else must agree.
fn without_timing(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| {
            let timing = l.contains(" iterations in ") && l.contains(" s on ");
            !(timing || l.starts_with("output/"))
        })
        .cloned()
        .collect()
}

#[test]
fn the_quick_start_output_in_the_readme_is_what_the_command_prints() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let documented = quick_start_block(&readme);
    let dir = common::tempdir();
    let out = carecast()
        .args(["run", "scenarios/example.toml", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // The last line names the run directory, here under the temporary directory: the README's is under output/.
    let temp = dir.path().display().to_string();
    let printed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with(&temp))
        .map(str::to_string)
        .collect();
    let (documented, printed) = (without_timing(&documented), without_timing(&printed));
    assert!(
        documented.len() > 10,
        "the README's block is too short to be the output: {documented:?}"
    );
    for (i, (d, p)) in documented.iter().zip(&printed).enumerate() {
        assert_eq!(
            d,
            p,
            "README quick-start line {} differs from what `carecast run` prints",
            i + 1
        );
    }
    assert_eq!(
        documented.len(),
        printed.len(),
        "the README's block and the output differ in length: {printed:?}"
    );
}
