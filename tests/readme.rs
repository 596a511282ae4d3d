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

/// A number in words, as the README writes a count of scenarios.
fn in_words(n: usize) -> String {
    let words = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    ];
    words.get(n).map_or_else(|| n.to_string(), |w| w.to_string())
}

/// Thousands with commas: 3303 → "3,303".
fn grouped(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn the_readmes_account_of_the_published_figures_is_what_reproduce_finds() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let section = &readme[readme
        .find("one command checks them all")
        .expect("the reproduce section")..];
    let section = &section[..section.find("## What-if analysis").expect("the section ends")];
    let dir = common::tempdir();
    let out = carecast()
        .args(["reproduce", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // The counts: "Of 24 published figures in 7 scenarios: 7 emerge ..., 7 are themselves inputs, 10 cannot ...".
    let line = stdout.lines().find(|l| l.starts_with("Of ")).expect("a line of counts");
    let n: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    let [total, scenarios, emerge, inputs, cannot, outside] = n[..] else {
        panic!("six counts in {line}");
    };
    assert_eq!(outside, 0, "{line}");
    for claim in [
        format!("of {total} published figures"),
        format!("for all {}", in_words(scenarios)),
        format!("**{emerge} emerge from published inputs"),
        format!("**{inputs} are themselves inputs"),
        format!("**{cannot} cannot be reproduced"),
    ] {
        assert!(
            section.contains(&claim),
            "README should say \"{claim}\": reproduce printed {line}"
        );
    }
    // Each reproduced value the README quotes, as it quotes it, from reproduction.csv.
    let run = std::path::PathBuf::from(stdout.lines().last().unwrap().trim());
    let mut table = csv::Reader::from_path(run.join("reproduction.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = table.records().map(Result::unwrap).collect();
    let value = |scenario: &str, figure: &str| -> f64 {
        let row = rows
            .iter()
            .find(|r| &r[0] == scenario && r[1].contains(figure))
            .unwrap_or_else(|| panic!("no {scenario} figure \"{figure}\""));
        row[9].parse().unwrap()
    };
    let quoted = [
        format!("({:.3})", value("reablement", "no home care package")),
        format!("(−{:.2})", -value("reablement", "Social care costs in the 12 months")),
        format!("(£{:.2} per £1)", value("reablement", "almost entirely offset")),
        format!(
            "({:.1}% against 46.8%)",
            100.0 * value("telecare-wsd", "Share with an emergency")
        ),
        format!(
            "(£{})",
            grouped(value("telecare-council", "£3,600 per telecare user").round() as i64)
        ),
        format!(
            "the model's {:.2} rests",
            value("popp", "Savings on emergency bed days")
        ),
        format!(
            "about £{} per QALY",
            grouped((value("telecare-wsd", "Cost per QALY").round() as i64 / 10_000) * 10_000)
        ),
        format!("and {:.0}%)", 100.0 * value("telecare-wsd", "Probability telecare")),
        format!("({:.2} with North Yorkshire", value("telecare-council", "Essex")),
        format!("it is {:.2} per £1", value("adaptations", "One year's delay")),
        format!(
            "the model's {:.2} from",
            value("shared-lives", "New scheme for 85 people")
        ),
    ];
    // The README wraps lines: compare with every run of white space as one space.
    let flat = section.split_whitespace().collect::<Vec<_>>().join(" ");
    for q in quoted {
        assert!(
            flat.contains(&q),
            "README should quote \"{q}\", what reproduce computes"
        );
    }
}
