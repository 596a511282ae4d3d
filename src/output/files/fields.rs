//! The text of a CSV table's rows, written field by field without the csv crate: numbers never need quoting, and
//! the per-iteration files are millions of numbers (the csv crate's field writer, which looks at every byte of a
//! field for characters to quote, was 3.5% of a run's processor time at 10^4 by `perf`). Text fields are quoted
//! once, by the csv crate.

/// A piece of a CSV table: fields separated by commas, rows ended by a newline, as the csv crate writes them.
#[derive(Default)]
pub struct Fields {
    text: Vec<u8>,
    /// Whether the row has a field yet (the next one then needs a comma).
    started: bool,
    number: Shortest,
    integer: itoa::Buffer,
}

impl Fields {
    /// Appends a field already in CSV form (see [`csv_field`]).
    pub fn field(&mut self, csv: &[u8]) {
        self.comma();
        self.text.extend_from_slice(csv);
    }

    /// Appends a number, in the shortest text that reads back to the same f64, as ryu writes it.
    pub fn number(&mut self, v: f64) {
        self.comma();
        append_short(&mut self.text, self.number.format(v).as_bytes());
    }

    /// Appends again the fields written since `from` (a [`Fields::len`] taken after a field of this row): what
    /// writing the same values again gives, without formatting them again.
    pub fn repeat_since(&mut self, from: usize) {
        debug_assert!(
            from == self.text.len() || self.text[from] == b',',
            "`from` is at a field's comma"
        );
        self.text.extend_from_within(from..);
    }

    /// Appends a whole number.
    pub fn integer(&mut self, i: usize) {
        self.comma();
        self.text.extend_from_slice(self.integer.format(i).as_bytes());
    }

    /// Ends the row.
    pub fn end_row(&mut self) {
        self.text.push(b'\n');
        self.started = false;
    }

    /// The length of the text written so far, in bytes.
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Makes room for `bytes` more without growing again.
    pub fn reserve(&mut self, bytes: usize) {
        self.text.reserve(bytes);
    }

    /// The text written so far.
    pub fn into_text(self) -> Vec<u8> {
        self.text
    }

    fn comma(&mut self) {
        if self.started {
            self.text.push(b',');
        }
        self.started = true;
    }
}

/// Appends `bytes` to `text`: a number's text, 1 to 24 bytes (ryu's and zmij's longest), copied as two overlapping
/// pieces of fixed length. A copy of a length known only at run time is a call to `memmove`, made for each of the
/// millions of numbers of the per-iteration files: it was 1.6% of the processor time of a run of a million
/// iterations, beside zmij's own 2.9% (`perf`, 2026-12-07). Longer text is appended as it is.
#[inline]
fn append_short(text: &mut Vec<u8>, bytes: &[u8]) {
    let (n, start) = (bytes.len(), text.len());
    if !(1..=24).contains(&n) {
        return text.extend_from_slice(bytes);
    }
    text.extend_from_slice(&[0; 24]);
    // Two pieces cover `bytes`: one from its start and one ending at its end, overlapping where needed. The shortest
    // (a zero cost is `0`) are as many as the rest in some files.
    let to = &mut text[start..];
    match n {
        16.. => copy_ends::<16, 8>(to, bytes),
        8.. => copy_ends::<8, 8>(to, bytes),
        4.. => copy_ends::<4, 4>(to, bytes),
        2.. => copy_ends::<2, 2>(to, bytes),
        _ => copy_ends::<1, 1>(to, bytes),
    }
    text.truncate(start + n);
}

/// Copies into `to` the first `FIRST` and the last `LAST` bytes of `bytes` (at least `FIRST`, at most `FIRST + LAST`
/// long), each piece of a length known at compile time.
#[inline(always)]
fn copy_ends<const FIRST: usize, const LAST: usize>(to: &mut [u8], bytes: &[u8]) {
    let n = bytes.len();
    to[..FIRST].copy_from_slice(&bytes[..FIRST]);
    to[n - LAST..n].copy_from_slice(&bytes[n - LAST..]);
}

/// `text` as one CSV field, quoted where it needs to be, exactly as the csv crate writes it.
pub fn csv_field(text: &str) -> Vec<u8> {
    // Alone in a record, an empty field is quoted (so that the row is not blank); among others it is not.
    if text.is_empty() {
        return Vec::new();
    }
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = w.write_record([text]);
    let mut field = w.into_inner().unwrap_or_default();
    field.pop();
    field
}

/// The shortest text that reads back to the same f64, without an allocation per field (a million iterations make
/// tens of millions of fields), in ryu's form: `1e16`, `1.5e-7`, `NaN`, `inf`.
///
/// Why two crates: zmij takes about half ryu's time (13 against 27 ns for a 17-digit number, 2026-12-05), and the
/// per-iteration files were a fifth of a small run's processor time, half of that ryu's; but zmij writes a large
/// number's exponent as `e+16` where these files have always had ryu's `e16` (tools that read them back take
/// either). Numbers of 10^15 and more are left to ryu, so the files stay byte for byte what they were.
#[derive(Default)]
struct Shortest {
    fast: zmij::Buffer,
    ryu: ryu::Buffer,
}

impl Shortest {
    /// `v` as text (see [`Shortest`]).
    fn format(&mut self, v: f64) -> &str {
        // Below 10^15 neither writes a positive exponent; looking for zmij's `+` in every number cost 2% of a run.
        if v.abs() < 1e15 {
            self.fast.format(v)
        } else {
            self.ryu.format(v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{append_short, csv_field, Fields, Shortest};
    use proptest::prelude::*;

    /// The same text as ryu, which the per-iteration files have always been written with.
    fn assert_as_ryu(v: f64) {
        let (mut ours, mut ryu) = (Shortest::default(), ryu::Buffer::new());
        assert_eq!(ours.format(v), ryu.format(v), "{v:e}");
    }

    #[test]
    fn rows_are_the_bytes_the_csv_crate_writes() {
        let texts = [
            "plain",
            "a, b",
            "say \"no\"",
            "two\nlines",
            " spaced ",
            "",
            "£ back",
            "'=sum",
        ];
        let numbers = [0.0, -0.0, 1.5, -2e-7, 1e16, f64::NAN, f64::INFINITY, 123_456.789_012];
        let mut ours = Fields::default();
        let mut theirs = csv::Writer::from_writer(Vec::new());
        for (i, (text, number)) in texts.iter().zip(numbers).enumerate() {
            ours.integer(i);
            ours.field(&csv_field(text));
            ours.number(number);
            ours.end_row();
            let row = [
                i.to_string(),
                text.to_string(),
                ryu::Buffer::new().format(number).to_string(),
            ];
            theirs.write_record(&row).expect("in memory");
        }
        let theirs = theirs.into_inner().expect("in memory");
        assert_eq!(
            String::from_utf8_lossy(&ours.into_text()),
            String::from_utf8_lossy(&theirs)
        );
    }

    #[test]
    fn fields_repeated_are_the_text_of_writing_them_again() {
        let values = [60_377.779_600_994_734, -0.0, 0.0, 1e-7];
        let (mut repeated, mut written) = (Fields::default(), Fields::default());
        for w in [&mut repeated, &mut written] {
            w.integer(7);
            w.field(b"arm");
        }
        let from = repeated.len();
        values.iter().for_each(|&v| repeated.number(v));
        repeated.repeat_since(from);
        repeated.number(2.5);
        repeated.end_row();
        // Nothing written since: nothing repeated.
        repeated.integer(8);
        let empty_from = repeated.len();
        repeated.repeat_since(empty_from);
        repeated.end_row();
        for _ in 0..2 {
            values.iter().for_each(|&v| written.number(v));
        }
        written.number(2.5);
        written.end_row();
        written.integer(8);
        written.end_row();
        assert_eq!(
            String::from_utf8(repeated.text).unwrap(),
            String::from_utf8(written.text).unwrap()
        );
    }

    #[test]
    fn numbers_are_written_as_ryu_writes_them() {
        for v in [
            0.0,
            -0.0,
            1.0,
            -1.5,
            0.1,
            1e-5,
            1.5e-7,
            123_456.789,
            1e15,
            9_999_999_999_999_998.0,
            1e16,
            1.5e16,
            -2e300,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            assert_as_ryu(v);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn any_bits_are_written_as_ryu_writes_them(bits in any::<u64>(), money in -1e9f64..1e9) {
            assert_as_ryu(f64::from_bits(bits));
            assert_as_ryu(money);
            // And appended to a row as they read, after whatever the row holds.
            let mut row = Fields::default();
            row.field(b"arm");
            row.number(f64::from_bits(bits));
            row.number(money);
            let text = String::from_utf8(row.into_text()).expect("text");
            let (mut a, mut b) = (ryu::Buffer::new(), ryu::Buffer::new());
            prop_assert_eq!(text, format!("arm,{},{}", a.format(f64::from_bits(bits)), b.format(money)));
        }

        /// Text of every length from 0 to 39 bytes (past the 24 of the longest number) is appended whole, after text of
        /// any length up to 39 bytes.
        #[test]
        fn short_text_is_appended_as_it_is(
            before in prop::collection::vec(any::<u8>(), 0..40),
            bytes in prop::collection::vec(any::<u8>(), 0..40),
        ) {
            let mut text = before.clone();
            append_short(&mut text, &bytes);
            prop_assert_eq!(text, [before, bytes].concat());
        }
    }
}
