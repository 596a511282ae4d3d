//! The results of a range of a run's iterations (a shard), and their bytes: what `run --shard` writes and `merge`
//! reads back, exactly, before [`join`](super::join) rebuilds the unsharded run's results from them.

use crate::simulate::kernel::{Lanes, LANES};
use std::ops::Range;

/// The results of iterations `range` of a run, as the engine filled them (see [`Results`](super::Results)).
#[derive(Debug, Clone, PartialEq)]
pub struct RangeResults {
    /// Which of the run's iterations these are.
    pub range: Range<usize>,
    /// `[iteration, arm, kernel column]`, as the engine lays it out.
    pub(super) totals: Vec<f64>,
    /// `[iteration, arm]`.
    pub(super) payback: Vec<Option<u16>>,
    /// `[iteration, draw slot]`.
    pub(super) draws: Vec<f64>,
    /// The range's part of the run's kept per-year sample (empty past it).
    pub(super) yearly_sample: Vec<f32>,
    /// Each chunk's per-year partial sums, by live bin (`[chunk, live bin]`): kept apart, not added up, because the
    /// run's per-year means add them one after another from the run's first chunk, and floating-point addition
    /// done in another grouping would change the last bits.
    pub(super) chunk_sums: Vec<Lanes>,
}

/// The first bytes of a range's file, with the format's version.
const MAGIC: &[u8; 16] = b"carecast-range-1";

impl RangeResults {
    /// The range's results as bytes (little-endian; see [`RangeResults::from_bytes`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let size = MAGIC.len()
            + 7 * 8
            + 8 * (self.totals.len() + self.draws.len() + LANES * self.chunk_sums.len())
            + 4 * (self.payback.len() + self.yearly_sample.len());
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(MAGIC);
        let lengths = [
            self.range.start,
            self.range.end,
            self.totals.len(),
            self.payback.len(),
            self.draws.len(),
            self.yearly_sample.len(),
            self.chunk_sums.len(),
        ];
        for n in lengths {
            out.extend_from_slice(&(n as u64).to_le_bytes());
        }
        for v in &self.totals {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for p in &self.payback {
            out.extend_from_slice(&p.map_or(u32::MAX, u32::from).to_le_bytes());
        }
        for v in &self.draws {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in &self.yearly_sample {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for lanes in &self.chunk_sums {
            for v in lanes {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        debug_assert_eq!(out.len(), size);
        out
    }

    /// Reads back what [`RangeResults::to_bytes`] wrote; an error says what is wrong with the bytes. Whether they
    /// fit a model's run is [`join`](super::join)'s check.
    pub fn from_bytes(bytes: &[u8]) -> Result<RangeResults, String> {
        let mut reader = Reader { bytes, at: 0 };
        if reader.take(MAGIC.len())? != MAGIC {
            return Err("this is not a range of a carecast run (or one written by another version)".to_string());
        }
        let mut lengths = [0usize; 7];
        for n in &mut lengths {
            *n = usize::try_from(reader.u64()?).map_err(|_| "a length is too large".to_string())?;
        }
        let [start, end, totals, payback, draws, sample, sums] = lengths;
        let needed = [(totals, 8), (payback, 4), (draws, 8), (sample, 4), (sums, 8 * LANES)]
            .iter()
            .try_fold(0usize, |acc, &(n, size)| acc.checked_add(n.checked_mul(size)?));
        if start > end || needed != Some(bytes.len() - reader.at) {
            return Err(format!(
                "the file is {} bytes, not the size its header gives: it is cut short or damaged",
                bytes.len()
            ));
        }
        let f64s = |r: &mut Reader, n| -> Result<Vec<f64>, String> {
            let raw = r.take(8 * n)?;
            Ok(raw
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect())
        };
        let totals = f64s(&mut reader, totals)?;
        let payback = (reader.take(4 * payback)?.chunks_exact(4))
            .map(|b| match u32::from_le_bytes(b.try_into().expect("4 bytes")) {
                u32::MAX => Ok(None),
                y => u16::try_from(y)
                    .map(Some)
                    .map_err(|_| format!("a payback year of {y} is not possible")),
            })
            .collect::<Result<_, _>>()?;
        let draws = f64s(&mut reader, draws)?;
        let yearly_sample = (reader.take(4 * sample)?.chunks_exact(4))
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect();
        let flat = f64s(&mut reader, sums * LANES)?;
        let chunk_sums = flat
            .chunks_exact(LANES)
            .map(|c| c.try_into().expect("LANES values"))
            .collect();
        Ok(RangeResults {
            range: start..end,
            totals,
            payback,
            draws,
            yearly_sample,
            chunk_sums,
        })
    }
}

/// Reads a byte slice from the front.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| format!("the file ends after {} bytes: it is cut short", self.bytes.len()))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::{shard_range, CHUNK};

    #[test]
    fn shards_are_whole_chunks_that_cover_the_run_once_in_order() {
        // 2,600 iterations are 11 chunks: 3, 4 and 4 of them (the last one short).
        let three: Vec<_> = (1..=3).map(|k| shard_range(2600, k, 3).expect("a shard")).collect();
        assert_eq!(three, [0..768, 768..1792, 1792..2600]);
        for (n, count) in [(1, 1), (256, 1), (257, 2), (12_900, 50), (1_000_000, 7)] {
            let mut next = 0;
            for k in 1..=count {
                let r = shard_range(n, k, count).expect("a shard");
                assert_eq!(r.start, next);
                assert!(r.start.is_multiple_of(CHUNK) && !r.is_empty());
                next = r.end;
            }
            assert_eq!(next, n);
        }
        assert_eq!(shard_range(1000, 1, 5), None, "4 chunks cannot make 5 shards");
        assert_eq!(shard_range(1000, 0, 2), None);
        assert_eq!(shard_range(1000, 3, 2), None);
    }

    #[test]
    fn bytes_read_back_to_the_same_results_and_damage_is_refused() {
        let range = RangeResults {
            range: 256..300,
            totals: vec![1.5, -0.0, f64::MIN_POSITIVE, 1e300],
            payback: vec![None, Some(0), Some(u16::MAX)],
            draws: vec![0.1, 0.2],
            yearly_sample: vec![1.25, -3.5],
            chunk_sums: vec![[0.5; LANES], [2.0; LANES]],
        };
        let bytes = range.to_bytes();
        let back = RangeResults::from_bytes(&bytes).expect("reads back");
        assert_eq!(back, range);
        assert!(back.totals[1].is_sign_negative(), "-0 stays -0");
        assert!(RangeResults::from_bytes(&bytes[..bytes.len() - 1])
            .unwrap_err()
            .contains("cut short"));
        let mut other = bytes.clone();
        other[0] = b'x';
        assert!(RangeResults::from_bytes(&other).unwrap_err().contains("not a range"));
        assert!(RangeResults::from_bytes(&bytes[..10])
            .unwrap_err()
            .contains("cut short"));
    }
}
