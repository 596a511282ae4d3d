//! Run directories on disks that other runs, other containers and other machines share.
//!
//! A run writes into a hidden `.incomplete-<id>.<host>.<boot>.<pid>` directory and holds a lock on its `.lock` file
//! for as long as it runs. Publishing flushes every file and the directory to disk, then renames the directory to
//! its final name with one `rename`, which fails rather than replace a finished run; a name that is taken is never
//! checked for and then claimed, so two runs finishing together both publish. An incomplete directory left by a run
//! that died is removed only when that is proven: its lock is free and it was made on this machine since its last
//! boot by a process that no longer exists; any other (another machine's, another boot's) whose lock is free is
//! removed only after [`FOREIGN_AGE_DAYS`] days, in case that machine's locks do not reach here.

use super::OutputError;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// How old an incomplete directory of another machine must be, besides having no live lock, before it is removed.
pub const FOREIGN_AGE_DAYS: u64 = 30;

/// The incomplete run directories of this process, so that an interrupted process can remove them on its way out.
static OPEN: Mutex<Vec<(PathBuf, Vec<PathBuf>)>> = Mutex::new(Vec::new());

/// A new run directory `base/<scenario>/<run-id>`, written into a hidden temporary directory and renamed into place
/// when complete.
pub struct RunDir {
    temp: PathBuf,
    final_dir: PathBuf,
    /// The directories this run created on the way (base and scenario folder), removed again if it fails and they
    /// are empty.
    created: Vec<PathBuf>,
    /// Held for the life of the run: while it is locked, no other process takes the directory for dead.
    lock: Option<fs::File>,
}

impl RunDir {
    /// Prepares a new, never-used run directory name under `base/<scenario name>/`, ending in `tag` (e.g. `seed42`).
    pub fn create(base: &Path, scenario: &str, tag: &str) -> Result<Self, OutputError> {
        let parent = base.join(scenario);
        let created: Vec<PathBuf> = [parent.clone(), base.to_path_buf()]
            .into_iter()
            .filter(|d| !d.as_os_str().is_empty() && !d.exists())
            .collect();
        fs::create_dir_all(&parent).map_err(|source| OutputError::CreateParent {
            path: parent.clone(),
            source,
        })?;
        let stamp = humantime::format_rfc3339_seconds(SystemTime::now())
            .to_string()
            .replace([':', 'Z'], "");
        let id = format!("{stamp}-{tag}");
        remove_dead_incomplete(&parent);
        let me = Identity::here(std::process::id());
        let temp = parent.join(format!(".incomplete-{id}.{}.{}.{}", me.host, me.boot, me.pid));
        fs::create_dir(&temp).map_err(|source| OutputError::CreateRunDir {
            path: temp.clone(),
            source,
        })?;
        let lock = take_lock(&temp);
        register(&temp, &created);
        Ok(RunDir {
            temp,
            final_dir: parent.join(id),
            created,
            lock,
        })
    }

    /// The directory to write into while the run is incomplete.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// Flushes every file to disk and renames the directory into place, adding -2, -3... to its name while the name
    /// is taken: a run never overwrites another.
    pub fn finish(mut self) -> Result<PathBuf, OutputError> {
        sync_tree(&self.temp).map_err(|e| OutputError::write(&self.temp, e))?;
        // The lock file goes before the rename; the lock itself is held until this returns.
        let _ = fs::remove_file(self.temp.join(".lock"));
        let mut target = self.final_dir.clone();
        let mut n = 1;
        loop {
            match fs::rename(&self.temp, &target) {
                Ok(()) => break,
                // rename(2) refuses to replace a directory that has files in it: the name belongs to another run.
                Err(e) if name_taken(&e) => {
                    n += 1;
                    target = PathBuf::from(format!("{}-{n}", self.final_dir.display()));
                }
                Err(source) => return Err(OutputError::Publish { path: target, source }),
            }
        }
        if let Some(parent) = target.parent() {
            sync_dir(parent);
        }
        unregister(&self.temp);
        self.lock.take();
        Ok(target)
    }

    /// Removes the incomplete directory, and the folders this run created for it if they are empty (after a
    /// failure or an interruption: nothing is left behind).
    pub fn abandon(self) {
        let _ = fs::remove_dir_all(&self.temp);
        unregister(&self.temp);
        for dir in &self.created {
            // Fails, as it should, if another run has put something there meanwhile.
            let _ = fs::remove_dir(dir);
        }
    }
}

/// Removes this process's incomplete outputs (run directories, files being written whole), for a process that is
/// about to exit before its work could stop (Ctrl-C during a phase that cannot be interrupted). A directory is
/// renamed first so that no file written after this lands in a directory that looks alive.
pub fn abandon_open_outputs() {
    let open: Vec<(PathBuf, Vec<PathBuf>)> = OPEN.lock().map(|o| o.clone()).unwrap_or_default();
    for (path, created) in open {
        if path.is_dir() {
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().to_string());
            let trash = path.with_file_name(format!("{name}.removing"));
            let doomed = if fs::rename(&path, &trash).is_ok() { trash } else { path };
            let _ = fs::remove_dir_all(&doomed);
        } else {
            let _ = fs::remove_file(&path);
        }
        for dir in &created {
            let _ = fs::remove_dir(dir);
        }
    }
}

/// Notes an incomplete output of this process, and the folders it created for it (see [`abandon_open_outputs`]).
pub(super) fn register(path: &Path, created: &[PathBuf]) {
    if let Ok(mut open) = OPEN.lock() {
        open.push((path.to_path_buf(), created.to_vec()));
    }
}

/// Forgets an output that is complete or removed.
pub(super) fn unregister(dir: &Path) {
    if let Ok(mut open) = OPEN.lock() {
        open.retain(|(d, _)| d != dir);
    }
}

/// Whether a failed rename failed because its target is a directory that is not empty (or exists).
fn name_taken(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::DirectoryNotEmpty | std::io::ErrorKind::AlreadyExists
    ) || matches!(e.raw_os_error(), Some(17 | 39 | 66))
}

/// Flushes every file under `dir`, and the directories, to disk. The files are flushed from several threads at once:
/// each flush of a small file waits for the file system's journal, and flushes waiting together can share a commit
/// where one after another each waits for its own (a whole run of 10^4 iterations took 0.955 of its time so, measured 2026-12-06: see docs/performance-history.md).
fn sync_tree(dir: &Path) -> std::io::Result<()> {
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    list_tree(dir, &mut files, &mut dirs)?;
    sync_files(&files)?;
    // Directories last, deepest first: each directory's entries are flushed after the files they name.
    for d in dirs.iter().rev() {
        sync_dir(d);
    }
    Ok(())
}

/// Starts flushing `files` to disk on threads of their own, and returns at once: [`RunDir::finish`] flushes every file
/// again and reports any failure, and flushing a file already on disk returns at once (twenty files of 200 kB, one
/// after another: 0.5–0.6 ms flushed again, 1.5–5.7 ms written afresh, 2026-12-07), so this only moves the wait for
/// the disk off the end of a run, beside what is computed and written after. A file written meanwhile or gone is the
/// final flush's.
pub fn start_flushing(files: Vec<PathBuf>) {
    std::thread::spawn(move || {
        let _ = sync_files(&files);
    });
}

/// [`start_flushing`] of every file now under `dir`.
pub fn start_flushing_tree(dir: &Path) {
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        let (mut files, mut dirs) = (Vec::new(), Vec::new());
        if list_tree(&dir, &mut files, &mut dirs).is_ok() {
            let _ = sync_files(&files);
        }
    });
}

/// Flushes `files` to disk from several threads at once (see [`sync_tree`]).
fn sync_files(files: &[PathBuf]) -> std::io::Result<()> {
    // Flushing is waiting, not computing: these threads take no core from the run's pool.
    const FLUSHERS: usize = 8;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let flush_some = || -> std::io::Result<()> {
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(path) = files.get(i) else { return Ok(()) };
            fs::File::open(path)?.sync_all()?;
        }
    };
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..FLUSHERS.min(files.len()))
            .map(|_| scope.spawn(flush_some))
            .collect();
        let mut outcome = flush_some();
        for helper in helpers {
            let flushed = helper
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("a flushing thread failed")));
            outcome = outcome.and(flushed);
        }
        outcome
    })
}

/// The files under `dir` into `files` and the directories (`dir` first, each before those inside it) into `dirs`.
fn list_tree(dir: &Path, files: &mut Vec<PathBuf>, dirs: &mut Vec<PathBuf>) -> std::io::Result<()> {
    dirs.push(dir.to_path_buf());
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            list_tree(&path, files, dirs)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

/// Flushes a directory's entries to disk, where the system allows it (best effort: not every file system does).
pub(super) fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Who made an incomplete directory: host name, boot and process.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity {
    host: String,
    boot: String,
    pid: u32,
}

impl Identity {
    /// This machine, since its last boot, and process `pid`.
    fn here(pid: u32) -> Self {
        let read = |p: &str| fs::read_to_string(p).map(|s| s.trim().to_string()).unwrap_or_default();
        let clean = |s: String, fallback: &str| {
            let s: String = s
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .take(32)
                .collect();
            if s.is_empty() {
                fallback.to_string()
            } else {
                s
            }
        };
        Identity {
            host: clean(read("/proc/sys/kernel/hostname"), "host"),
            boot: clean(
                read("/proc/sys/kernel/random/boot_id")
                    .replace('-', "")
                    .chars()
                    .take(12)
                    .collect(),
                "boot",
            ),
            pid,
        }
    }

    /// The identity in an incomplete directory's name, if it has one: `.incomplete-<id>.<host>.<boot>.<pid>`.
    fn of(name: &str) -> Option<Self> {
        let rest = name.strip_prefix(".incomplete-")?;
        let mut parts = rest.rsplitn(4, '.');
        let pid = parts.next()?.parse().ok()?;
        let boot = parts.next()?.to_string();
        let host = parts.next()?.to_string();
        parts.next()?;
        Some(Identity { host, boot, pid })
    }
}

/// Removes the incomplete run directories in `parent` whose runs are proven dead (see the module's comment).
fn remove_dead_incomplete(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else { return };
    let here = Identity::here(0);
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if !name.starts_with(".incomplete-") || !entry.path().is_dir() {
            continue;
        }
        let lock_free = lock_is_free(&entry.path());
        if lock_free == Some(false) {
            continue;
        }
        let age = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .unwrap_or(Duration::ZERO);
        if is_dead(Identity::of(&name).as_ref(), &here, lock_free.is_some(), age) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Creates the directory's `.lock` file already locked, or none at all.
///
/// The file is locked under another name and then renamed into place (the lock belongs to the file, not its name):
/// a `.lock` that another run's clean-up can see is never free while its run is alive. Creating `.lock` and then
/// locking it let a clean-up in between find it free and remove a live run's directory. Where locks do not work,
/// there is no `.lock`, and the clean-up goes by the process alone.
fn take_lock(dir: &Path) -> Option<fs::File> {
    let unlocked = dir.join(".lock-being-taken");
    let file = fs::File::create(&unlocked).ok()?;
    if file.try_lock().is_ok() && fs::rename(&unlocked, dir.join(".lock")).is_ok() {
        return Some(file);
    }
    let _ = fs::remove_file(&unlocked);
    None
}

/// Whether the directory's lock can be taken now: Some(true) if it can (no live run holds it), Some(false) if a run
/// holds it, None if there is no lock file to tell.
fn lock_is_free(dir: &Path) -> Option<bool> {
    let file = fs::File::open(dir.join(".lock")).ok()?;
    Some(file.try_lock().is_ok())
}

/// The rule, for a directory whose lock no live run holds: dead if it was made on this machine since its last boot
/// and its process is gone (or its lock file is free, which a live carecast would hold), or if it is older than
/// [`FOREIGN_AGE_DAYS`] days (another machine's, one from before the last boot, or one with no identity in its
/// name).
fn is_dead(made_by: Option<&Identity>, here: &Identity, had_lock: bool, age: Duration) -> bool {
    let old = age > Duration::from_secs(FOREIGN_AGE_DAYS * 24 * 3600);
    match made_by {
        Some(id) if id.host == here.host && id.boot == here.boot => {
            !Path::new(&format!("/proc/{}", id.pid)).exists() || (had_lock && id.pid != std::process::id())
        }
        // Another boot with the same host name could as well be another machine of that name: age alone decides.
        _ => old,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_read_back_from_directory_names() {
        let id = Identity::of(".incomplete-2026-12-03T234138-shard-1-of-3.node-7.1a2b3c.4242").unwrap();
        assert_eq!(
            id,
            Identity {
                host: "node-7".into(),
                boot: "1a2b3c".into(),
                pid: 4242
            }
        );
        // The format of carecast before this one: no identity, so only age can tell.
        assert!(Identity::of(".incomplete-2026-12-03T234138-seed1-4242").is_none());
    }

    #[test]
    fn only_what_is_proven_dead_is_removed() {
        let here = Identity {
            host: "here".into(),
            boot: "b1".into(),
            pid: 0,
        };
        let day = Duration::from_secs(24 * 3600);
        let alive = Identity {
            pid: std::process::id(),
            ..here.clone()
        };
        let gone = Identity {
            pid: u32::MAX - 1,
            ..here.clone()
        };
        // This machine, this boot: dead exactly when the process is gone.
        assert!(!is_dead(Some(&alive), &here, false, Duration::ZERO));
        assert!(is_dead(Some(&gone), &here, false, Duration::ZERO));
        // A lock file that a live carecast would hold, found free: its process is not that run.
        assert!(is_dead(
            Some(&Identity { pid: 1, ..here.clone() }),
            &here,
            true,
            Duration::ZERO
        ));
        // This host name, another boot (maybe another machine of that name): only when old.
        let rebooted = Identity {
            boot: "b0".into(),
            ..alive.clone()
        };
        assert!(!is_dead(Some(&rebooted), &here, true, day));
        assert!(is_dead(Some(&rebooted), &here, true, 31 * day));
        // Another machine (a Slurm node, another container): only when old, however free its lock looks from here.
        let elsewhere = Identity {
            host: "node-9".into(),
            ..alive
        };
        assert!(!is_dead(Some(&elsewhere), &here, true, 29 * day));
        assert!(is_dead(Some(&elsewhere), &here, true, 31 * day));
        assert!(!is_dead(None, &here, true, day));
        assert!(is_dead(None, &here, false, 31 * day));
    }

    #[test]
    #[cfg(unix)]
    fn every_file_of_a_tree_is_flushed_and_a_file_that_cannot_be_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("shards").join("a");
        fs::create_dir_all(&sub).unwrap();
        for i in 0..30 {
            fs::write(dir.path().join(format!("f{i}.csv")), "x").unwrap();
        }
        fs::write(sub.join("deep.csv"), "y").unwrap();
        let (mut files, mut dirs) = (Vec::new(), Vec::new());
        list_tree(dir.path(), &mut files, &mut dirs).unwrap();
        assert_eq!(files.len(), 31);
        // Each directory after the one holding it, so flushing them in reverse flushes the deepest first.
        let depth = |d: &PathBuf| d.components().count();
        assert_eq!(dirs.len(), 3);
        assert!(dirs.windows(2).all(|w| depth(&w[0]) < depth(&w[1])));
        sync_tree(dir.path()).expect("flushes");
        // A name that cannot be opened (a link to nothing), whichever flushing thread meets it.
        std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("f15.link")).unwrap();
        assert!(sync_tree(dir.path()).is_err());
    }

    #[test]
    fn flushing_early_changes_no_file_and_leaves_the_final_flush_its_errors() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..20 {
            fs::write(dir.path().join(format!("f{i}.csv")), format!("{i}")).unwrap();
        }
        start_flushing_tree(dir.path());
        // Files written, and a name that cannot be flushed made, while the early flush may be running.
        fs::write(dir.path().join("late.csv"), "late").unwrap();
        std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("bad.link")).unwrap();
        assert!(
            sync_tree(dir.path()).is_err(),
            "the final flush still meets the name it cannot flush"
        );
        fs::remove_file(dir.path().join("bad.link")).unwrap();
        sync_tree(dir.path()).expect("flushes");
        for i in 0..20 {
            assert_eq!(
                fs::read_to_string(dir.path().join(format!("f{i}.csv"))).unwrap(),
                format!("{i}")
            );
        }
        assert_eq!(fs::read_to_string(dir.path().join("late.csv")).unwrap(), "late");
        // A tree removed while it is flushed early is no error anywhere.
        let gone = tempfile::tempdir().unwrap();
        fs::write(gone.path().join("x.csv"), "x").unwrap();
        start_flushing_tree(gone.path());
        drop(gone);
    }
}
