//! The carecast command-line program: parses the arguments, runs the command, and exits with its code (0 success,
//! 1 a failed run, 2 bad input or usage, 130 interrupted).

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = carecast::cli::args::Cli::parse();
    match carecast::cli::execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A full or closed stderr must not turn an error into a panic: the exit code still says what happened.
            let _ = writeln!(std::io::stderr(), "{e}");
            ExitCode::from(e.exit_code())
        }
    }
}
