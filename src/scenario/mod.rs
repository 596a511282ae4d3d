//! The scenario file format (TOML). `raw` holds the serde structs exactly as written; compilation into a checked
//! model happens in [`crate::model`].

pub mod raw;
