//! What every command runs in: one thread pool, the progress counters the terminal shows (and Ctrl-C sets), and
//! the base directory its outputs go under. The only place that builds thread pools and run directories.

use super::error::{Error, RUN_INTERRUPTED};
use super::shard::Replay;
use crate::error::InputError;
use crate::model::{Model, RunSettings};
use crate::output::samples::Keep;
use crate::output::RunDir;
use crate::simulate::{self, Progress, RangeResults, Results};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The most worker threads a command may ask for: four per core, and at least 64. More only slow a run down, and
/// thousands take so long to start that the command seems to hang.
pub fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (4 * cores).max(64)
}

/// A command's thread pool, progress and output directory.
pub struct Context {
    /// Shared by the contexts [`Context::beside`] makes.
    pool: Arc<rayon::ThreadPool>,
    out: Option<PathBuf>,
    progress: Option<Arc<Progress>>,
    keep: Keep,
    /// Where a merge of a sharded run takes each simulation's results from, instead of the engine.
    replay: Option<Replay>,
}

impl Context {
    /// A pool of `threads` workers (rayon's default where None: RAYON_NUM_THREADS or all cores), with outputs under
    /// `out` (default `output`).
    pub fn new(threads: Option<usize>, out: Option<PathBuf>) -> Result<Self, Error> {
        let most = max_threads();
        if let Some(n) = threads.filter(|&n| n > most) {
            return Err(InputError::usage(
                "--threads",
                format!("{n} threads are far more than this machine's cores; use at most {most}"),
            )
            .into());
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.unwrap_or(0))
            .build()?;
        Ok(Context {
            pool: Arc::new(pool),
            out,
            progress: None,
            keep: Keep::default(),
            replay: None,
        })
    }

    /// Reports progress to, and takes cancellation (Ctrl-C) from, `progress`.
    pub fn with_progress(mut self, progress: Arc<Progress>) -> Self {
        self.progress = Some(progress);
        self
    }

    /// A context on the same thread pool and output directory with progress and cancellation of its own: one piece
    /// of work among several at once (each change on `carecast serve`'s page).
    pub fn beside(&self, progress: Arc<Progress>) -> Context {
        Context {
            pool: Arc::clone(&self.pool),
            out: self.out.clone(),
            progress: Some(progress),
            keep: self.keep,
            replay: None,
        }
    }

    /// Writes per-iteration files as `keep` says (default: [`Keep::default`]).
    pub fn with_keep(mut self, keep: Keep) -> Self {
        self.keep = keep;
        self
    }

    /// Takes each simulation's results from the shards of a sharded run, in the order the command asks for them.
    pub(super) fn with_replay(mut self, replay: Replay) -> Self {
        self.replay = Some(replay);
        self
    }

    /// How many shards' results the command reads (None: it simulates them).
    pub fn shards_merged(&self) -> Option<usize> {
        self.replay.as_ref().map(Replay::shards)
    }

    /// Whether a merge's command read every part of its shards (true when not merging).
    pub(super) fn replay_used_every_part(&self) -> bool {
        self.replay.as_ref().is_none_or(Replay::used_every_part)
    }

    /// Which iterations a run writes to its per-iteration files.
    pub fn keep(&self) -> Keep {
        self.keep
    }

    /// The number of worker threads.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Runs `work` on the pool.
    pub fn install<R: Send>(&self, work: impl FnOnce() -> R + Send) -> R {
        self.pool.install(work)
    }

    /// The progress counters, if anyone is watching.
    pub fn progress(&self) -> Option<&Progress> {
        self.progress.as_deref()
    }

    /// Whether the user has asked to stop.
    pub fn interrupted(&self) -> bool {
        self.progress.as_ref().is_some_and(|p| p.cancel.load(Ordering::Relaxed))
    }

    /// The directory given with `--out`, or `default`.
    pub fn out_or(&self, default: &Path) -> PathBuf {
        self.out.clone().unwrap_or_else(|| default.to_path_buf())
    }

    /// A new run directory `<out>/<scenario>/<time>-<tag>`. One that cannot be created is a usage error (exit code
    /// 2), like any other bad input.
    pub fn run_dir(&self, scenario: &str, tag: &str) -> Result<RunDir, Error> {
        RunDir::create(&self.out_or(Path::new("output")), scenario, tag)
            .map_err(|e| InputError::usage("--out", e.to_string()).into())
    }

    /// Runs the PSA on the pool, reporting progress; a run stopped by the user is [`Error::Interrupted`]. When merging
    /// a sharded run, the results are the shards' instead (`merge`).
    pub fn simulate(&self, model: &Model, run: &RunSettings) -> Result<Results, Error> {
        if let Some(replay) = &self.replay {
            return self.install(|| replay.next(model, run));
        }
        self.stopped_or(self.install(|| simulate::run(model, run, self.progress())))
    }

    /// Whether this command may simulate and analyse a run of `iterations` a block at a time (see
    /// `run::streamed`): its per-iteration files keep no more than the first block.
    pub(super) fn may_stream(&self, iterations: usize) -> bool {
        self.keep.rows(iterations) <= simulate::BLOCK
    }

    /// Runs the PSA on the pool a block of [`simulate::BLOCK`] iterations at a time, handing each block's results to
    /// `each` on the pool, which hands a block back when done with it (see [`simulate::run_blocks`]); returns the
    /// whole run's per-year means and the time spent simulating. When merging a sharded run, the blocks are the
    /// shards' instead, read one shard at a time.
    pub fn simulate_blocks<E>(
        &self,
        model: &Model,
        run: &RunSettings,
        each: impl FnMut(Results) -> Result<Option<Results>, E> + Send,
    ) -> Result<Result<simulate::BlocksRun, E>, Error>
    where
        E: Send + From<Error>,
    {
        if let Some(replay) = &self.replay {
            return Ok(self.install(|| replay.blocks(model, run, simulate::BLOCK, each)));
        }
        self.stopped_or(self.install(|| simulate::run_blocks(model, run, simulate::BLOCK, self.progress(), each)))
    }

    /// Sets the progress bar's total to `units` of work, for a command whose work comes in several simulations (a run
    /// with its extra runs and subgroups, or a shard of one), each of which then counts on it. A merge simulates
    /// nothing, and counts nothing.
    pub fn count_progress_over(&self, units: usize) {
        if let Some(p) = self.progress().filter(|_| self.replay.is_none()) {
            p.total.store(units, Ordering::Relaxed);
        }
    }

    /// Runs iterations `range` of the PSA (a piece of a shard), counted on the command's progress, whose total
    /// [`Context::count_progress_over`] set.
    pub fn simulate_range(&self, model: &Model, run: &RunSettings, range: Range<usize>) -> Result<RangeResults, Error> {
        self.stopped_or(self.install(|| simulate::run_piece(model, run, range, self.progress())))
    }

    /// The engine's outcome, or [`Error::Interrupted`] if the user stopped it.
    fn stopped_or<T>(&self, outcome: Result<T, simulate::SimulationError>) -> Result<T, Error> {
        outcome.map_err(|e| {
            if self.interrupted() {
                Error::Interrupted(RUN_INTERRUPTED)
            } else {
                e.into()
            }
        })
    }

    /// Fills `dir` with `write` and renames it into place; removes it instead if writing fails or the user asked to
    /// stop meanwhile (the outputs may be complete, but none are published).
    pub fn publish(&self, dir: RunDir, write: impl FnOnce(&Path) -> Result<(), Error>) -> Result<PathBuf, Error> {
        self.publish_or_say(dir, RUN_INTERRUPTED, write)
    }

    /// [`Context::publish`], saying `interrupted` if the user stopped it.
    pub fn publish_or_say(
        &self,
        dir: RunDir,
        interrupted: &'static str,
        write: impl FnOnce(&Path) -> Result<(), Error>,
    ) -> Result<PathBuf, Error> {
        if let Err(e) = write(dir.path()) {
            dir.abandon();
            return Err(e);
        }
        if self.interrupted() {
            dir.abandon();
            return Err(Error::Interrupted(interrupted));
        }
        Ok(dir.finish()?)
    }
}
