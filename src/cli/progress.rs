//! The progress bar a long run or sweep shows on a terminal, and Ctrl-C, which asks the work to stop.

use crate::simulate::Progress;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How long the work has, after Ctrl-C, to stop by itself before the process removes what it was writing and exits.
const STOP_WITHIN: Duration = Duration::from_millis(900);

/// Progress shared with the work, cancelled by Ctrl-C: the work then stops and writes nothing (a run removes the
/// directory it had started) instead of leaving half of its output. Work that does not stop within [`STOP_WITHIN`]
/// (a phase that does not look at the flag, such as writing a large table) is ended here: its incomplete run
/// directories are removed and the process exits with 130, saying `interrupted`.
pub fn cancellable_progress(interrupted: &'static str) -> Arc<Progress> {
    let progress = Arc::new(Progress::default());
    let flag = Arc::clone(&progress);
    // Setting the handler fails only when one is already set, which a single command per process never does.
    let _ = ctrlc::set_handler(move || {
        flag.cancel.store(true, Ordering::Relaxed);
        std::thread::sleep(STOP_WITHIN);
        crate::output::files::abandon_open_outputs();
        let _ = writeln!(std::io::stderr(), "error: {interrupted}");
        std::process::exit(130);
    });
    progress
}

/// Runs `work`, showing a progress bar (count, rate, time left) on stderr once it has taken a second, if stderr is a
/// terminal and `show` is true. `progress.done` counts finished units of `progress.total`.
pub fn with_progress<T>(show: bool, unit: &'static str, progress: &Arc<Progress>, work: impl FnOnce() -> T) -> T {
    if !show || !std::io::stderr().is_terminal() {
        return work();
    }
    let finished = Arc::new(AtomicBool::new(false));
    let drawer = {
        let finished = Arc::clone(&finished);
        let progress = Arc::clone(progress);
        std::thread::spawn(move || {
            // Quick work shows nothing: the bar appears only after a second, and once the work has set its total
            // (after reading its input).
            let mut waited = 0;
            while waited < 10 || progress.total.load(Ordering::Relaxed) == 0 {
                if finished.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
                waited += 1;
            }
            let style = indicatif::ProgressStyle::with_template(&format!(
                "{{bar:40}} {{human_pos}}/{{human_len}} {unit} · {{msg}}"
            ))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            // Built whole before its first frame is drawn.
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(progress.total.load(Ordering::Relaxed) as u64),
                indicatif::ProgressDrawTarget::hidden(),
            )
            .with_style(style)
            .with_message("starting");
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            let started = std::time::Instant::now() - Duration::from_secs(1);
            let mut counting = true;
            while !finished.load(Ordering::Relaxed) {
                let total = progress.total.load(Ordering::Relaxed) as u64;
                let done = progress.done.load(Ordering::Relaxed) as u64;
                bar.set_length(total);
                bar.set_position(done);
                if done < total {
                    // The estimate is ours, from the rate so far: indicatif's `{eta}` read "0s" throughout a run
                    // whose count the bar only polls.
                    let rate = done as f64 / started.elapsed().as_secs_f64();
                    bar.set_message(format!(
                        "{} {unit}/s · {}",
                        indicatif::HumanCount(rate as u64),
                        time_left(total - done, rate)
                    ));
                } else if counting {
                    // What follows the count has no count of its own to estimate from: the bar says what is being
                    // done and for how long, rather than a "0s left" that stays on the screen for seconds.
                    counting = false;
                    let after = indicatif::ProgressStyle::with_template(&format!(
                        "{{bar:40}} {{human_len}} {unit} done · {{msg}} · {{elapsed}} so far"
                    ))
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
                    bar.set_style(after);
                    bar.reset_elapsed();
                    bar.set_message("analysing and writing the outputs");
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        })
    };
    let out = work();
    finished.store(true, Ordering::Relaxed);
    let _ = drawer.join();
    out
}

/// The time left for `remaining` units at `rate` units a second, in words for the bar: rounded up to whole seconds
/// (never "0s" while work remains), minutes and hours where it is that long; "estimating" before any unit is done.
fn time_left(remaining: u64, rate: f64) -> String {
    if rate.is_nan() || rate <= 0.0 || rate.is_infinite() {
        return "estimating time left".to_string();
    }
    let seconds = (remaining as f64 / rate).ceil();
    if seconds > 1e7 {
        return "more than 100 days left".to_string();
    }
    let s = seconds as u64;
    match s {
        0..60 => format!("{s}s left"),
        60..3600 => format!("{}m {:02}s left", s / 60, s % 60),
        _ => format!("{}h {:02}m left", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::time_left;

    #[test]
    fn time_left_rounds_up_and_reads_in_seconds_minutes_or_hours() {
        // 2,767,424 iterations left at 2,232,438 a second: 1.24 s, shown as 2s (never less than what is left).
        assert_eq!(time_left(2_767_424, 2_232_438.0), "2s left");
        assert_eq!(time_left(1, 1e9), "1s left");
        assert_eq!(time_left(0, 5.0), "0s left");
        assert_eq!(time_left(600, 10.0), "1m 00s left");
        assert_eq!(time_left(3599, 1.0), "59m 59s left");
        assert_eq!(time_left(3600 * 5 + 61, 1.0), "5h 01m left");
        assert_eq!(time_left(10, 0.0), "estimating time left");
        assert_eq!(time_left(10, f64::NAN), "estimating time left");
        assert_eq!(time_left(u64::MAX, 1.0), "more than 100 days left");
    }
}
