//! The scenarios a server offers: the files and folders it was given, each read and compiled once when it starts,
//! with the inputs its page can change.

use crate::error::InputError;
use crate::model::{compile, editable_inputs, AsWritten, EditableInput, Model};
use crate::scenario::Scenario;
use std::path::{Path, PathBuf};

/// Most scenarios one server offers (a folder with more is refused).
pub const MAX_SCENARIOS: usize = 500;

/// One scenario file as the server holds it.
pub struct Served {
    /// Its address on the server: `/s/<id>`, from its file name.
    pub id: String,
    /// The file as given (or found in a given folder).
    pub path: PathBuf,
    pub scenario: Scenario,
    /// The scenario compiled as written: what the page shows when a change cannot run.
    pub model: Model,
    pub as_written: AsWritten,
    pub inputs: Vec<EditableInput>,
}

/// The `.toml` files named by `paths` (a folder stands for the `.toml` files in it, in name order), each read once;
/// the ones that cannot be read or compiled are returned as messages. No file is ever read again after this, and
/// none but these is served.
pub fn read_all(paths: &[PathBuf]) -> Result<(Vec<Served>, Vec<String>), InputError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path)
                .map_err(|e| InputError::usage("SCENARIO_OR_FOLDER", format!("cannot read {}: {e}", path.display())))?;
            let mut found: Vec<PathBuf> = (entries.filter_map(Result::ok))
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
                .collect();
            found.sort();
            files.extend(found);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(InputError::usage(
                "SCENARIO_OR_FOLDER",
                format!("{} is neither a scenario file nor a folder", path.display()),
            ));
        }
    }
    if files.len() > MAX_SCENARIOS {
        return Err(InputError::usage(
            "SCENARIO_OR_FOLDER",
            format!(
                "{} scenario files are more than the {MAX_SCENARIOS} one server offers",
                files.len()
            ),
        ));
    }
    let (mut served, mut unreadable) = (Vec::new(), Vec::new());
    for path in files {
        match read_one(&path) {
            Ok((scenario, model, inputs)) => {
                let id = unique_id(&path, &served);
                served.push(Served {
                    id,
                    as_written: AsWritten::of(&scenario.text),
                    path,
                    scenario,
                    model,
                    inputs,
                });
            }
            Err(e) => unreadable.push(e.to_string()),
        }
    }
    Ok((served, unreadable))
}

fn read_one(path: &Path) -> Result<(Scenario, Model, Vec<EditableInput>), InputError> {
    let scenario = Scenario::read(path)?;
    let model = compile(&scenario)?;
    let inputs = editable_inputs(&scenario, &model)?;
    Ok((scenario, model, inputs))
}

/// The file's stem with anything but letters, digits, `-` and `_` made `-`, numbered where two files share it.
fn unique_id(path: &Path, served: &[Served]) -> String {
    let stem = path
        .file_stem()
        .map_or("scenario".into(), |s| s.to_string_lossy().to_string());
    let base: String = (stem.chars())
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut id = base.clone();
    let mut n = 2;
    while served.iter().any(|s| s.id == id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}
