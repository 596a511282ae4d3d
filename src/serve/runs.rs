//! A page's changes as a run: read from the page (its address or the JSON it posts) into `--set` changes with a
//! message for each field that cannot be read, run at most a few at once, a page's run cancelled by its next change,
//! and each failure turned back into a message beside the field it is about.

use crate::commands::{Error, ScenarioChanges};
use crate::error::InputError;
use crate::scenario::Override;
use crate::simulate::Progress;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

/// The most changes one request may carry.
pub const MAX_CHANGES: usize = 1_000;
/// The most pages whose runs are followed at once (the oldest is forgotten first).
const MAX_SESSIONS: usize = 256;
/// How long a run waits for a free slot before the page is told the server is busy.
const SLOT_WAIT: Duration = Duration::from_secs(3);

/// What a page sends: its changes, `name[.field]` and the text typed, and the run's iterations and seed as typed
/// (empty: the file's). `session` names the page, so that its next change can cancel this one, and `seq` numbers the
/// page's changes in the order made: requests can overtake each other on their way (each keystroke's is sent on a
/// connection of its own), and an earlier change arriving after a later one must not cancel it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    #[serde(default)]
    pub session: String,
    #[serde(default)]
    pub changes: Vec<(String, String)>,
    #[serde(default)]
    pub iterations: String,
    #[serde(default)]
    pub seed: String,
    #[serde(default)]
    pub seq: u64,
}

impl Request {
    /// The request a page's address makes: `?set=name.field=value&...&iterations=N&seed=S`.
    pub fn from_query(query: &str) -> Request {
        let mut out = Request::default();
        for (key, value) in form_urlencoded::parse(query.as_bytes()).take(MAX_CHANGES + 2) {
            match &*key {
                "set" => {
                    let (name, text) = value.split_once('=').unwrap_or((&value, ""));
                    out.changes.push((name.trim().to_string(), text.trim().to_string()));
                }
                "iterations" => out.iterations = value.trim().to_string(),
                "seed" => out.seed = value.trim().to_string(),
                _ => {}
            }
        }
        out
    }

    /// The changes as `--set` overrides with the iterations and seed, or a message for each field that cannot be
    /// read (by `name[.field]`, `iterations` or `seed`; "" for the request as a whole). Fields left empty are the
    /// file's.
    pub fn changes(&self, max_iterations: usize) -> Result<ScenarioChanges, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let mut out = ScenarioChanges::default();
        if self.changes.len() > MAX_CHANGES {
            errors.push((String::new(), format!("at most {MAX_CHANGES} changes at once")));
        }
        for (key, text) in self
            .changes
            .iter()
            .take(MAX_CHANGES)
            .filter(|(_, t)| !t.trim().is_empty())
        {
            match Override::parse(&format!("{key}={text}")) {
                Ok(o) => out.overrides.push(o),
                Err(e) => errors.push((key.clone(), format!("error: field `--set {key}={text}`: {e}"))),
            }
        }
        let whole = |text: &str| text.trim().replace([',', '_'], "").parse::<u64>().ok();
        if !self.iterations.trim().is_empty() {
            match whole(&self.iterations).filter(|n| (1..=max_iterations as u64).contains(n)) {
                Some(n) => out.iterations = Some(n),
                None => errors.push((
                    "iterations".into(),
                    format!(
                        "error: field `--iterations`: must be a whole number from 1 to {max_iterations} here, not `{}`",
                        self.iterations
                    ),
                )),
            }
        }
        if !self.seed.trim().is_empty() {
            match whole(&self.seed) {
                Some(s) => out.seed = Some(s),
                None => errors.push((
                    "seed".into(),
                    format!(
                        "error: field `--seed`: must be a whole number from 0 to {}, not `{}`",
                        u64::MAX,
                        self.seed
                    ),
                )),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

/// Where a command's error belongs on the page: beside the field of the change it is about (`--set name.field=...`,
/// `--iterations`), or above the results (""); with the message the command line would print.
pub fn place(error: &Error, changes: &ScenarioChanges) -> (String, String) {
    let key = match error {
        Error::Input(InputError { field, .. }) => {
            let by_change = (changes.overrides.iter())
                .find(|o| *field == format!("--set {}", o.describe()))
                .map(|o| o.field.as_ref().map_or(o.name.clone(), |f| format!("{}.{f}", o.name)));
            by_change.unwrap_or_else(|| match field.as_str() {
                "--iterations" => "iterations".into(),
                _ => String::new(),
            })
        }
        _ => String::new(),
    };
    (key, error.to_string())
}

/// The runs going on: at most `max` at once, and each page's latest, so that its next change can cancel it.
pub struct Runs {
    running: Mutex<usize>,
    freed: Condvar,
    max: usize,
    sessions: Mutex<HashMap<String, Latest>>,
    started: std::sync::atomic::AtomicU64,
}

/// A page's latest run: the order it started in among all runs, the page's number for its change, and its progress.
/// Kept after the run ends, so that an earlier change arriving later still finds itself overtaken.
struct Latest {
    number: u64,
    seq: u64,
    progress: Arc<Progress>,
}

/// Why a run got no slot.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Every slot stayed taken for [`SLOT_WAIT`].
    Busy,
    /// The page has made a later change already: this one's results would never be shown.
    Overtaken,
}

/// A run's place among [`Runs`], given back when it ends.
pub struct Slot<'a> {
    runs: &'a Runs,
    pub progress: Arc<Progress>,
}

impl Runs {
    pub fn new(max: usize) -> Runs {
        Runs {
            running: Mutex::new(0),
            freed: Condvar::new(),
            max: max.max(1),
            sessions: Mutex::new(HashMap::new()),
            started: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// A slot for the run of change `seq` of page `session` (empty: a page load, which nothing cancels), cancelling
    /// that page's run still going; refused when the page's latest change is a later one than `seq`, or when every
    /// slot stayed taken for [`SLOT_WAIT`].
    pub fn start(&self, session: &str, seq: u64) -> Result<Slot<'_>, Refused> {
        let progress = Arc::new(Progress::default());
        let number = self.started.fetch_add(1, Ordering::Relaxed);
        if !session.is_empty() {
            let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(latest) = sessions.get(session) {
                if seq < latest.seq {
                    return Err(Refused::Overtaken);
                }
                latest.progress.cancel.store(true, Ordering::Relaxed);
            }
            if sessions.len() >= MAX_SESSIONS && !sessions.contains_key(session) {
                if let Some(oldest) = sessions.iter().min_by_key(|(_, l)| l.number).map(|(k, _)| k.clone()) {
                    sessions.remove(&oldest);
                }
            }
            let latest = Latest {
                number,
                seq,
                progress: Arc::clone(&progress),
            };
            sessions.insert(session.to_string(), latest);
        }
        let running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut running, _) = self
            .freed
            .wait_timeout_while(running, SLOT_WAIT, |n| {
                *n >= self.max && !progress.cancel.load(Ordering::Relaxed)
            })
            .unwrap_or_else(PoisonError::into_inner);
        if *running >= self.max {
            return Err(Refused::Busy);
        }
        *running += 1;
        Ok(Slot { runs: self, progress })
    }

    /// How far page `session`'s latest run has gone: (iterations done, iterations in all).
    pub fn progress_of(&self, session: &str) -> (usize, usize) {
        let sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        sessions.get(session).map_or((0, 0), |l| {
            (
                l.progress.done.load(Ordering::Relaxed),
                l.progress.total.load(Ordering::Relaxed),
            )
        })
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.runs.running.lock().unwrap_or_else(PoisonError::into_inner) -= 1;
        self.runs.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_reads_as_the_changes_it_carries() {
        let r = Request::from_query("set=home_care_weekly.mean%3D120&set=p%3D0.5&iterations=20000&seed=7&x=1");
        assert_eq!(
            r.changes,
            vec![
                ("home_care_weekly.mean".to_string(), "120".to_string()),
                ("p".to_string(), "0.5".to_string())
            ]
        );
        let c = r.changes(1_000_000).unwrap();
        assert_eq!(c.iterations, Some(20_000));
        assert_eq!(c.seed, Some(7));
        assert_eq!(c.overrides[0].describe(), "home_care_weekly.mean=120");
    }

    #[test]
    fn each_unreadable_field_has_its_own_message() {
        let r = Request {
            changes: vec![("a.mean".into(), "abc".into()), ("b".into(), "".into())],
            iterations: "2000000".into(),
            seed: "-1".into(),
            ..Request::default()
        };
        let errors = r.changes(1_000_000).unwrap_err();
        let keys: Vec<&str> = errors.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a.mean", "iterations", "seed"]);
        assert!(errors[0].1.contains("`abc` is not a finite number"), "{}", errors[0].1);
    }

    #[test]
    fn a_page_s_next_run_cancels_its_last() {
        let runs = Runs::new(3);
        let first = runs.start("page", 1).unwrap();
        let second = runs.start("page", 2).unwrap();
        assert!(first.progress.cancel.load(Ordering::Relaxed));
        assert!(!second.progress.cancel.load(Ordering::Relaxed));
        let other = runs.start("other", 1).unwrap_or_else(|_| panic!("no slot"));
        drop(first);
        drop(other);
        drop(second);
        assert_eq!(*runs.running.lock().unwrap(), 0);
    }

    #[test]
    fn an_earlier_change_arriving_after_a_later_one_neither_runs_nor_cancels_it() {
        let runs = Runs::new(3);
        let later = runs.start("page", 5).unwrap();
        assert_eq!(runs.start("page", 4).err(), Some(Refused::Overtaken));
        assert!(!later.progress.cancel.load(Ordering::Relaxed));
        // Still so once the later change's run has ended. The same number again, and a later one, run.
        drop(later);
        assert_eq!(runs.start("page", 3).err(), Some(Refused::Overtaken));
        let again = runs.start("page", 5).unwrap();
        let next = runs.start("page", 6).unwrap();
        assert!(again.progress.cancel.load(Ordering::Relaxed));
        assert!(!next.progress.cancel.load(Ordering::Relaxed));
        // A page load has no session and is never refused as overtaken.
        assert!(runs.start("", 0).is_ok());
    }
}
