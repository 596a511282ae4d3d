//! Where outputs go on disk: run directories written whole or not at all, and the one place that turns a failed
//! write into an error naming the file.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Something carecast could not write. Each names the path, and keeps the system's reason as its source.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file could not be created or written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The directory that holds a scenario's runs could not be created.
    #[error("cannot create the output directory {}: {source}", path.display())]
    CreateParent { path: PathBuf, source: std::io::Error },
    /// A run's temporary directory could not be created.
    #[error("cannot create the run directory {}: {source}", path.display())]
    CreateRunDir { path: PathBuf, source: std::io::Error },
    /// A finished run could not be renamed into place.
    #[error("cannot move the finished run into {}: {source}", path.display())]
    Publish { path: PathBuf, source: std::io::Error },
    /// A table could not be read back to plot it.
    #[error("cannot plot {}: {why}", path.display())]
    PlotInput { path: PathBuf, why: String },
    /// A plot could not be drawn.
    #[error(transparent)]
    Plot(#[from] super::plots::PlotError),
}

impl OutputError {
    /// A failed write of `path`, for any error type.
    pub fn write(path: &Path, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        OutputError::Write {
            path: path.to_path_buf(),
            source: source.into(),
        }
    }
}

/// A text cell for a CSV file that a spreadsheet may open: text starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return would be taken for a formula, so it gets a leading `'` (as the OWASP guidance on CSV injection
/// advises). Numbers, such as `-0.5`, stay as they are. `carecast analyse` removes the `'` when it reads a file back.
pub fn text_cell(text: &str) -> String {
    let formula_like = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula_like && !text.trim().parse::<f64>().is_ok_and(f64::is_finite) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// Writes a whole file from a string.
pub fn write_text(path: &Path, text: &str) -> Result<(), OutputError> {
    fs::write(path, text).map_err(|e| OutputError::write(path, e))
}

/// The UTF-8 byte order mark that starts every CSV file carecast writes. Excel reads a CSV file without it in the
/// system's code page, so that "£" (two bytes in UTF-8) shows as "Â£"; with it, Excel, LibreOffice and Numbers read
/// UTF-8. CSV readers that know UTF-8 skip it (the csv crate, pandas, readr, Python's `utf-8-sig`).
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Writes a CSV file, starting with [`UTF8_BOM`]: `fill` writes the records (the header included), and every error
/// names the file.
pub fn write_csv(
    path: &Path,
    fill: impl FnOnce(&mut csv::Writer<BufWriter<fs::File>>) -> Result<(), csv::Error>,
) -> Result<(), OutputError> {
    let file = fs::File::create(path).map_err(|e| OutputError::write(path, e))?;
    let mut file = BufWriter::new(file);
    file.write_all(UTF8_BOM).map_err(|e| OutputError::write(path, e))?;
    let mut w = csv::Writer::from_writer(file);
    fill(&mut w).map_err(|e| OutputError::write(path, e))?;
    let mut inner = w.into_inner().map_err(|e| OutputError::write(path, e.to_string()))?;
    inner.flush().map_err(|e| OutputError::write(path, e))
}

/// Rows per piece of a table written by [`write_csv_in_pieces`].
const ROWS_PER_PIECE: usize = 8_192;

/// Writes a CSV file like [`write_csv`] whose `rows` data rows (after `header`) are each written by `write_row`
/// given the row's index. The rows are formatted in pieces in parallel on the current rayon pool (and compressed, each
/// piece a gzip member of its own, which gzip readers read on as one stream), and the pieces are written in order, a
/// few at a time so that memory stays bounded. Hand-made rather than a crate's: the per-iteration files of a
/// large run are most of its writing, and no CSV crate formats in parallel. The bytes do not depend on the number of
/// threads; plain text is the same bytes a row-by-row writer gives.
pub fn write_csv_in_pieces(
    path: &Path,
    gzip: bool,
    header: &[String],
    rows: usize,
    write_row: impl Fn(&mut Fields, usize) + Sync,
) -> Result<(), OutputError> {
    use rayon::prelude::*;
    let error = |e: std::io::Error| OutputError::write(path, e);
    let piece = |range: std::ops::Range<usize>, first: bool| -> Result<Vec<u8>, OutputError> {
        let mut text = Vec::new();
        if first {
            text.extend_from_slice(UTF8_BOM);
            let mut w = csv::WriterBuilder::new().from_writer(text);
            w.write_record(header).map_err(|e| OutputError::write(path, e))?;
            text = w.into_inner().map_err(|e| OutputError::write(path, e.to_string()))?;
        }
        let mut fields = Fields::default();
        let (mut rows, count) = (range.clone(), range.len());
        // Room for the whole piece, as long as its first row, at once: growing by doubling copied each piece's text
        // twice over.
        if let Some(row) = rows.next() {
            write_row(&mut fields, row);
            fields.reserve(fields.len() * count * 9 / 8);
        }
        rows.for_each(|row| write_row(&mut fields, row));
        let rows = fields.into_text();
        if text.is_empty() {
            text = rows;
        } else {
            text.extend_from_slice(&rows);
        }
        if !gzip {
            return Ok(text);
        }
        let mut member = flate2::write::GzEncoder::new(Vec::with_capacity(text.len() / 2), flate2::Compression::fast());
        member.write_all(&text).map_err(error)?;
        member.finish().map_err(error)
    };
    let mut file = BufWriter::with_capacity(1 << 20, fs::File::create(path).map_err(error)?);
    file.write_all(&piece(0..0, true)?).map_err(error)?;
    let starts: Vec<usize> = (0..rows).step_by(ROWS_PER_PIECE).collect();
    // At most 16 pieces in memory at once (about 20 to 40 MB of text), whatever the number of threads.
    let wave = (2 * rayon::current_num_threads()).clamp(2, 16);
    for starts in starts.chunks(wave) {
        let pieces: Vec<Vec<u8>> = starts
            .par_iter()
            .map(|&start| piece(start..(start + ROWS_PER_PIECE).min(rows), false))
            .collect::<Result<_, _>>()?;
        for p in pieces {
            file.write_all(&p).map_err(error)?;
        }
    }
    file.flush().map_err(error)
}

/// Writes a file whole under a hidden temporary name and renames it into place, so that a reader never sees half of
/// it.
pub fn write_atomically(path: &Path, fill: impl FnOnce(&Path) -> Result<(), OutputError>) -> Result<(), OutputError> {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().to_string());
    let temp = path.with_file_name(format!(".{name}.incomplete"));
    run_dir::register(&temp, &[]);
    let filled = fill(&temp);
    run_dir::unregister(&temp);
    if let Err(e) = filled {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    fs::File::open(&temp)
        .and_then(|f| f.sync_all())
        .map_err(|e| OutputError::write(path, e))?;
    fs::rename(&temp, path).map_err(|e| OutputError::write(path, e))?;
    if let Some(dir) = path.parent() {
        run_dir::sync_dir(dir);
    }
    Ok(())
}

mod fields;
mod run_dir;
pub use fields::{csv_field, Fields};
pub use run_dir::{abandon_open_outputs, start_flushing, start_flushing_tree, RunDir};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_a_spreadsheet_would_run_is_quoted_and_numbers_are_not() {
        for formula in ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\r=x", "=HYPERLINK(\"x\")"] {
            assert_eq!(text_cell(formula), format!("'{formula}"));
        }
        for plain in ["usual_care", "drug A", "-0.5", "+3", "1e-9", "", "a=b", "'already"] {
            assert_eq!(text_cell(plain), plain);
        }
        // -inf and NaN are not finite numbers, so they are quoted like any other text.
        assert_eq!(text_cell("-inf"), "'-inf");
    }
}
