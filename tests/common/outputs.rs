//! Comparing two commands' output folders file by file: what a merge of shards must give against the unsharded run.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Every file below `dir`, by its path relative to `dir`, with its bytes.
pub fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = fs::read(&path).unwrap();
                found.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    found
}

/// A file's bytes with the facts of one execution taken out: summary.json without its `timing` block, and a report
/// with the values of its "Run started", "Written" and "Threads" rows blanked and without a merge's "Simulated" row.
/// Every other file is compared as it is.
pub fn without_timing(name: &Path, bytes: &[u8]) -> Vec<u8> {
    match name.file_name().and_then(|n| n.to_str()) {
        Some("summary.json") => {
            let mut json: serde_json::Value = serde_json::from_slice(bytes).expect("summary.json is JSON");
            let timing = json.as_object_mut().expect("an object").remove("timing");
            assert!(timing.is_some(), "summary.json has a timing block");
            serde_json::to_vec_pretty(&json).unwrap()
        }
        Some("report.html") => {
            let mut text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
            // The row a merged run adds, whole.
            let row = "<dt>Simulated</dt><dd>";
            if let Some(start) = text.find(row) {
                let end = start + text[start..].find("</dd>").expect("the row ends") + "</dd>".len();
                text.replace_range(start..end, "");
            }
            // The values of one execution's rows.
            for label in ["Run started (UTC)", "Written (UTC)", "Threads"] {
                let open = format!("<dt>{label}</dt><dd><code>");
                if let Some(start) = text.find(&open).map(|i| i + open.len()) {
                    let len = text[start..].find("</code>").expect("the value ends");
                    text.replace_range(start..start + len, "VARIES");
                }
            }
            text.into_bytes()
        }
        _ => bytes.to_vec(),
    }
}

/// Checks that two folders hold the same files with the same bytes (apart from timing, see [`without_timing`]),
/// naming the first that differs, and that `expected` is among them; returns how many files there are.
pub fn assert_same_outputs(merged: &Path, whole: &Path, expected: &str) -> usize {
    let (merged, whole) = (files(merged), files(whole));
    assert_eq!(
        merged.keys().collect::<Vec<_>>(),
        whole.keys().collect::<Vec<_>>(),
        "the merged folder and the unsharded one hold different files"
    );
    assert!(
        merged.contains_key(Path::new(expected)),
        "no {expected}: {:?}",
        merged.keys()
    );
    for (name, bytes) in &merged {
        assert!(
            without_timing(name, bytes) == without_timing(name, &whole[name]),
            "{} differs between the merged folder and the unsharded one",
            name.display()
        );
    }
    merged.len()
}
