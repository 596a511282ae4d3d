//! A run's iterations a block at a time: ranges of the run (the engine's blocks, or the shards of a sharded run read
//! back) cut and put together into blocks that start at multiples of the block size, each handed on as [`Results`]
//! (and maybe handed back, for a later block of the engine's to be simulated into its memory), while the per-year
//! sums are added chunk by chunk in the run's order. Whichever ranges they come from, the blocks, and so everything
//! computed from them, are the same bits.

use super::engine::{add_chunk_sums, ResultArrays, RunPlan, SpareArrays};
use super::kernel::LANES;
use super::{RangeResults, Results, CHUNK};
use crate::model::{Model, RunSettings};
use ndarray::Array3;
use std::ops::Range;

/// Puts ranges of one run, given in order, into blocks of `block` iterations (a multiple of [`CHUNK`]) and hands each
/// block's results on.
pub struct Reblocker<'a> {
    model: &'a Model,
    run: RunSettings,
    block: usize,
    whole: RunPlan<'a>,
    yearly_sum: Vec<f64>,
    /// The pieces of the block being put together, in order.
    pending: Vec<RangeResults>,
    /// The first iteration the next range must start at.
    next: usize,
    /// The memory of the last block handed back, for [`Reblocker::take_spare`].
    spare: Option<SpareArrays>,
}

impl<'a> Reblocker<'a> {
    /// Ready for the ranges of a run of `model` for `run`, from its first iteration.
    pub fn new(model: &'a Model, run: &RunSettings, block: usize) -> Self {
        assert!(block > 0 && block.is_multiple_of(CHUNK), "a block is whole chunks");
        let whole = RunPlan::new(model, run, 0..run.iterations, None, true);
        Reblocker {
            model,
            run: *run,
            block,
            yearly_sum: vec![0.0; whole.per_iteration_bins],
            whole,
            pending: Vec::new(),
            next: 0,
            spare: None,
        }
    }

    /// Adds the next range of the run, handing `each` every block it completes; `each` hands a block back once done
    /// with it, for the engine to simulate a later block into its memory. An error (outside) says how the range does
    /// not fit the run: where it starts, or the sizes of its arrays; `each`'s own error comes back inside.
    pub fn push<E>(
        &mut self,
        part: RangeResults,
        each: &mut impl FnMut(Results) -> Result<Option<Results>, E>,
    ) -> Result<Result<(), E>, String> {
        if part.range.start != self.next {
            return Err(format!(
                "iterations {} to {} come next, not a range starting at {}",
                self.next, self.run.iterations, part.range.start
            ));
        }
        if part.range.end > self.run.iterations || part.range.is_empty() {
            return Err(format!(
                "a range of iterations {:?} is not part of this run",
                part.range
            ));
        }
        let plan = RunPlan::new(self.model, &self.run, part.range.clone(), None, true);
        if sizes(&part) != expected_sizes(&plan) {
            return Err("the range's arrays do not have the sizes this model's run gives".to_string());
        }
        add_chunk_sums(&self.whole, &part.chunk_sums, &mut self.yearly_sum);
        self.next = part.range.end;
        let cuts: Vec<Range<usize>> = block_pieces(part.range.clone(), self.block).collect();
        let (iterations, size) = (self.run.iterations, self.block);
        let block_end = move |r: &Range<usize>| r.end == iterations || r.end.is_multiple_of(size);
        if cuts.len() == 1 && part.range.start.is_multiple_of(self.block) && block_end(&part.range) {
            // A range that is one whole block (the engine's) goes on as it is.
            let block = self.assemble(vec![part]);
            return Ok(self.hand_on(block, each));
        }
        for cut in cuts {
            let ends_a_block = block_end(&cut);
            self.pending.push(piece(&plan, &part, cut));
            if ends_a_block {
                let pieces = std::mem::take(&mut self.pending);
                let block = self.assemble(pieces);
                if let Err(e) = self.hand_on(block, each) {
                    return Ok(Err(e));
                }
            }
        }
        Ok(Ok(()))
    }

    /// Hands `block` to `each`, keeping the memory of a block handed back.
    fn hand_on<E>(
        &mut self,
        block: Results,
        each: &mut impl FnMut(Results) -> Result<Option<Results>, E>,
    ) -> Result<(), E> {
        if let Some(back) = each(block)? {
            self.spare = Some(back.into_spare());
        }
        Ok(())
    }

    /// The memory of the last block `each` handed back, if any not yet taken.
    pub(super) fn take_spare(&mut self) -> Option<SpareArrays> {
        self.spare.take()
    }

    /// The whole run's per-year means `[arm, year, column]`, once every range is in; or which iterations are missing.
    pub fn finish(self) -> Result<Array3<f64>, String> {
        if self.next != self.run.iterations {
            return Err(format!(
                "iterations {} to {} are missing",
                self.next, self.run.iterations
            ));
        }
        Ok(Results::yearly_means(&self.whole, &self.yearly_sum))
    }

    /// One block's results from its pieces, in order (its per-year means are of its own iterations).
    fn assemble(&self, pieces: Vec<RangeResults>) -> Results {
        let range = pieces[0].range.start..pieces[pieces.len() - 1].range.end;
        let plan = RunPlan::new(self.model, &self.run, range, None, true);
        let mut own_sum = vec![0.0; plan.per_iteration_bins];
        for p in &pieces {
            add_chunk_sums(&plan, &p.chunk_sums, &mut own_sum);
        }
        let arrays = ResultArrays::concatenated(pieces);
        Results::assemble(&plan, arrays, &own_sum)
    }
}

/// Iterations `range` cut where blocks of `block` iterations (counted from the run's first) end: the first and last
/// pieces may be parts of blocks.
pub fn block_pieces(range: Range<usize>, block: usize) -> impl Iterator<Item = Range<usize>> {
    let mut start = range.start;
    std::iter::from_fn(move || {
        (start < range.end).then(|| {
            let end = ((start / block + 1) * block).min(range.end);
            let piece = start..end;
            start = end;
            piece
        })
    })
}

/// The lengths of a range's arrays.
fn sizes(part: &RangeResults) -> [usize; 5] {
    [
        part.totals.len(),
        part.payback.len(),
        part.draws.len(),
        part.yearly_sample.len(),
        part.chunk_sums.len(),
    ]
}

/// The lengths a range of `plan`'s iterations has.
fn expected_sizes(plan: &RunPlan) -> [usize; 5] {
    let n = plan.n;
    [
        n * plan.n_arms * plan.total_width,
        n * plan.n_arms,
        n * plan.draw_width,
        sample_iterations(plan, plan.first..plan.first + n).next_multiple_of(LANES) * plan.n_live,
        n.div_ceil(CHUNK) * plan.n_live,
    ]
}

/// How many of iterations `range` keep their per-year values (the run's first `plan.sample_size`).
fn sample_iterations(plan: &RunPlan, range: Range<usize>) -> usize {
    plan.sample_size.clamp(range.start, range.end) - range.start
}

/// Iterations `sub` (whole chunks, within it) of range `part` of `plan`'s iterations, copied.
fn piece(plan: &RunPlan, part: &RangeResults, sub: Range<usize>) -> RangeResults {
    let (from, to) = (sub.start - part.range.start, sub.end - part.range.start);
    let per_total = plan.n_arms * plan.total_width;
    let sample_before = sample_iterations(plan, part.range.start..sub.start).next_multiple_of(LANES) * plan.n_live;
    let sample_len = sample_iterations(plan, sub.clone()).next_multiple_of(LANES) * plan.n_live;
    let chunks = (from / CHUNK) * plan.n_live..to.div_ceil(CHUNK) * plan.n_live;
    RangeResults {
        range: sub,
        totals: part.totals[from * per_total..to * per_total].to_vec(),
        payback: part.payback[from * plan.n_arms..to * plan.n_arms].to_vec(),
        draws: part.draws[from * plan.draw_width..to * plan.draw_width].to_vec(),
        yearly_sample: part.yearly_sample[sample_before..sample_before + sample_len].to_vec(),
        chunk_sums: part.chunk_sums[chunks].to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::{run_blocks, run_range};
    use std::path::Path;

    fn reference(iterations: usize) -> (Model, RunSettings) {
        let text = std::fs::read_to_string("scenarios/reference.toml").unwrap();
        let model = crate::model::compile_text(Path::new("reference.toml"), &text).unwrap_or_else(|e| panic!("{e}"));
        (model, RunSettings { iterations, seed: 3 })
    }

    /// Each block's totals, draws, payback years and per-year sample, and the run's per-year means.
    type Blocks = (Vec<(usize, Vec<f64>, Vec<f64>, usize)>, Array3<f64>);

    fn record(blocks: &mut Vec<(usize, Vec<f64>, Vec<f64>, usize)>, r: Results) -> Result<Option<Results>, String> {
        let sample = r.yearly_sample_size();
        blocks.push((
            r.iterations(),
            r.kernel_totals.iter().copied().collect(),
            r.draws.iter().copied().collect(),
            sample,
        ));
        // Handed back, so that later blocks are simulated into its memory.
        Ok(Some(r))
    }

    #[test]
    fn ranges_of_any_whole_chunks_make_the_engines_blocks() {
        // 2,100 iterations in blocks of 768: the engine's blocks, against shards of 5, 1 and 3 chunks (and a part).
        let (model, run) = reference(2100);
        let mut engine = Vec::new();
        let means = run_blocks(&model, &run, 768, None, |r| record(&mut engine, r))
            .map(|done| done.map(|d| d.yearly_mean))
            .unwrap()
            .unwrap();
        let engine: Blocks = (engine, means);
        let mut blocks = Reblocker::new(&model, &run, 768);
        let mut pieces = Vec::new();
        for range in [0..1280, 1280..1536, 1536..2100] {
            let part = run_range(&model, &run, range, None).unwrap();
            blocks.push(part, &mut |r| record(&mut pieces, r)).unwrap().unwrap();
        }
        let reblocked: Blocks = (pieces, blocks.finish().unwrap());
        assert_eq!(engine.0.iter().map(|b| b.0).collect::<Vec<_>>(), [768, 768, 564]);
        assert_eq!(engine.0[0].3, 768, "the first block keeps its per-year values");
        assert_eq!(engine, reblocked);
        // The whole run's per-year means are the unsharded run's.
        let whole = crate::simulate::run(&model, &run, None).unwrap();
        assert_eq!(whole.yearly_mean, engine.1);
    }

    #[test]
    fn ranges_out_of_order_or_short_are_refused() {
        let (model, run) = reference(1024);
        let mut blocks = Reblocker::new(&model, &run, 512);
        let mut each = |r: Results| Ok::<_, ()>(Some(r));
        let second = run_range(&model, &run, 512..1024, None).unwrap();
        assert!(blocks
            .push(second, &mut each)
            .unwrap_err()
            .contains("iterations 0 to 1024 come next"));
        let first = run_range(&model, &run, 0..512, None).unwrap();
        blocks.push(first, &mut each).unwrap().unwrap();
        assert!(blocks
            .finish()
            .unwrap_err()
            .contains("iterations 512 to 1024 are missing"));
    }
}
