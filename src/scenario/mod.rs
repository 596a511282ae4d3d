//! The scenario file format (TOML): the only code that reads it. [`raw`] holds the serde structs exactly as written,
//! with byte spans for errors; [`Scenario`] is a file read and parsed into them; [`overrides`] are the changes the
//! command line makes to its parameters; [`variant`] derives the variants the reproduction checks run. Checking and
//! compiling into a model happen in [`crate::model`].

pub mod echo;
mod finite;
pub mod overrides;
pub(crate) mod positions;
pub mod price_index;
pub mod raw;
mod table_reader;
pub mod tables;
mod toml_error;
pub mod variant;
pub mod what_if;

pub use overrides::{Override, SweepAxis};
pub use price_index::{PriceIndex, PriceYear};
pub use table_reader::MAX_TABLE_ROWS;
pub use tables::Table;

use crate::error::InputError;
use raw::RawScenario;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A scenario file as written: its text, the SHA-256 of its bytes, and its parsed tables.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Where it came from, as given (used in messages and provenance).
    pub path: PathBuf,
    pub text: String,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
    pub raw: RawScenario,
    /// The `[tables]`, read and checked, in name order.
    pub tables: Vec<Table>,
    /// The price index `[prices]` names, read and checked; None without `[prices]`.
    pub price_index: Option<PriceIndex>,
}

impl Scenario {
    /// Reads and parses a scenario file, and the table files it names (relative to it).
    pub fn read(path: &Path) -> Result<Self, InputError> {
        let bytes =
            std::fs::read(path).map_err(|e| InputError::file(path, format!("cannot read the scenario file: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            InputError::file(
                path,
                format!(
                    "the scenario file is not valid UTF-8 text (byte {})",
                    e.utf8_error().valid_up_to()
                ),
            )
        })?;
        Self::build(path, &text, true)
    }

    /// Parses scenario text without touching the file system; `path` names it in messages and provenance. A table in
    /// a file is an error here: only [`Scenario::read`] reads table files.
    pub fn parse(path: &Path, text: &str) -> Result<Self, InputError> {
        Self::build(path, text, false)
    }

    fn build(path: &Path, text: &str, read_files: bool) -> Result<Self, InputError> {
        finite::check_finite(path, text)?;
        let raw: RawScenario = toml::from_str(text).map_err(|e| toml_error::toml_error(path, text, &e))?;
        let tables = table_reader::read_tables(path, text, &raw, read_files)?;
        let price_index = price_index::read_index(path, text, &raw, read_files)?;
        Ok(Scenario {
            path: path.to_path_buf(),
            text: text.to_string(),
            sha256: Sha256::digest(text.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            raw,
            tables,
            price_index,
        })
    }
}

/// Whether scenario text declares published figures to reproduce (`[[reproduce]]` tables), without parsing it: how
/// `carecast reproduce` picks the bundled scenarios it checks.
pub fn declares_targets(text: &str) -> bool {
    text.contains("[[reproduce]]")
}
