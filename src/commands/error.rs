//! The error of a command: any concern's error, with the exit code it gives the process.

use crate::analysis::sensitivity::SensitivityError;
use crate::error::InputError;
use crate::output::OutputError;
use crate::simulate::SimulationError;
use std::path::PathBuf;

/// Why a command failed. Bad input is exit code 2, a failed run or an unwritable output 1, an interruption 130.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input or usage, located in its file where possible.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The simulation failed (a probability outside [0, 1], a value that is not a finite number).
    #[error("error: {0}")]
    Simulation(#[from] SimulationError),
    /// An output could not be written.
    #[error("error: {0}")]
    Output(#[from] OutputError),
    /// The user stopped the command (Ctrl-C); nothing was written.
    #[error("error: {0}")]
    Interrupted(&'static str),
    /// The worker threads could not be started.
    #[error("error: cannot start worker threads: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
    /// One point of a sweep failed.
    #[error("error: {} at {point}: {source}", scenario.display())]
    SweepPoint {
        scenario: PathBuf,
        /// The point's parameter values, as `--set` would write them.
        point: String,
        #[source]
        source: SimulationError,
    },
    /// A scenario variant that a reproduction target reads could not be made: carecast's fault, not the file's.
    #[error(
        "error: {}: cannot derive the scenario variant for its reproduction targets ({reason})",
        scenario.display()
    )]
    Variant { scenario: PathBuf, reason: String },
    /// Some reproduced figures fall outside their stated tolerance.
    #[error("error: {outside} of {claimed} reproducible figures are outside their tolerance")]
    FiguresOutside { outside: usize, claimed: usize },
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Input(_) => 2,
            Error::Interrupted(_) => 130,
            _ => 1,
        }
    }
}

impl From<SensitivityError> for Error {
    fn from(e: SensitivityError) -> Self {
        match e {
            SensitivityError::Input(e) => Error::Input(e),
            SensitivityError::Simulation(e) => Error::Simulation(e),
        }
    }
}

/// What a run stopped with Ctrl-C says.
pub const RUN_INTERRUPTED: &str = "the run was interrupted before it finished; nothing was written";

/// What a sweep stopped with Ctrl-C says.
pub const SWEEP_INTERRUPTED: &str = "the sweep was interrupted; nothing was written";

/// What `carecast serve` says when Ctrl-C stops it.
pub const SERVE_STOPPED: &str = "carecast serve stopped (Ctrl-C); a run being saved then was not written";
