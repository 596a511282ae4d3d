//! How much memory a run may use: the smallest of three quarters of the machine's memory, the process's
//! address-space limit (less what its threads reserve without using) and its cgroup's memory limit.

use std::fmt;
use std::path::{Path, PathBuf};

/// The memory a run may use, and which limit set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryLimit {
    /// Bytes a run's peak ([`memory_estimate`](super::memory_estimate)) may reach.
    pub bytes: u64,
    pub source: LimitSource,
}

/// Where a [`MemoryLimit`] comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitSource {
    /// Three quarters of the machine's installed memory (`MemTotal` in /proc/meminfo): the rest is left to the
    /// system and to other programs.
    Installed {
        /// The installed memory, in bytes.
        total: u64,
    },
    /// The installed memory could not be read: 16 GiB is assumed.
    Assumed,
    /// The process's address-space limit (`ulimit -v`, RLIMIT_AS), less the address space its threads and code
    /// reserve without using it: a stack and an allocator heap per thread, and the code.
    AddressSpace {
        /// The soft limit, in bytes.
        limit: u64,
        /// The bytes taken off it for the threads and the code.
        reserved: u64,
    },
    /// The memory limit of the process's control group (cgroup v2 `memory.max`, v1 `memory.limit_in_bytes`), which
    /// counts every process of the group.
    Cgroup {
        /// The limit, in bytes.
        limit: u64,
        /// The file that sets it.
        file: PathBuf,
    },
}

impl fmt::Display for LimitSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitSource::Installed { total } => {
                write!(f, "three quarters of this machine's {} of memory", Bytes(*total))
            }
            LimitSource::Assumed => write!(f, "an assumed 16 GiB: this system does not say how much memory it has"),
            LimitSource::AddressSpace { limit, reserved } => write!(
                f,
                "the address-space limit (ulimit -v) of {}, less {} its threads and code reserve",
                Bytes(*limit),
                Bytes(*reserved)
            ),
            LimitSource::Cgroup { limit, file } => {
                write!(
                    f,
                    "the memory limit of {} of its cgroup ({})",
                    Bytes(*limit),
                    file.display()
                )
            }
        }
    }
}

/// A number of bytes as people read it: whole MiB below 1 GiB, GiB with one decimal from there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 1 << 30 {
            write!(f, "{} MiB", self.0 >> 20)
        } else {
            write!(f, "{:.1} GiB", self.0 as f64 / (1u64 << 30) as f64)
        }
    }
}

/// The most memory a run may use here: the smallest of
/// - three quarters of the installed memory (16 GiB where /proc/meminfo cannot be read);
/// - the address-space limit (RLIMIT_AS, from /proc/self/limits), less the address space the run's threads and
///   code reserve without using it (the kernel counts it, the estimate does not);
/// - the memory limit of the process's cgroup and of each cgroup above it (v2 and v1, under /sys/fs/cgroup).
///
/// [`MemoryLimit::source`] says which one applied. There is no fixed cap: the estimate covers the whole run, so
/// three quarters of a large machine's memory is as safe as of a small one's.
pub fn memory_limit() -> MemoryLimit {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let installed = read("/proc/meminfo").as_deref().and_then(mem_total);
    let mut limit = match installed {
        Some(total) => MemoryLimit {
            bytes: total / 4 * 3,
            source: LimitSource::Installed { total },
        },
        None => MemoryLimit {
            bytes: 16 << 30,
            source: LimitSource::Assumed,
        },
    };
    let mut consider = |bytes: u64, source: LimitSource| {
        if bytes < limit.bytes {
            limit = MemoryLimit { bytes, source };
        }
    };
    if let Some(as_limit) = read("/proc/self/limits").as_deref().and_then(max_address_space) {
        let reserved = address_space_reserve(default_threads(), cores());
        consider(
            as_limit.saturating_sub(reserved),
            LimitSource::AddressSpace {
                limit: as_limit,
                reserved,
            },
        );
    }
    if let Some((bytes, file)) = read("/proc/self/cgroup").and_then(|c| cgroup_limit(Path::new("/sys/fs/cgroup"), &c)) {
        consider(bytes, LimitSource::Cgroup { limit: bytes, file });
    }
    limit
}

/// The installed memory in /proc/meminfo's text: its `MemTotal:` line, in KiB.
pub(super) fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The soft address-space limit in /proc/self/limits's text (its `Max address space` line, in bytes); None where it
/// is unlimited or the line is missing.
pub(super) fn max_address_space(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max address space"))?;
    // "Max address space   <soft>   <hard>   bytes": the soft limit is the one the kernel enforces.
    let soft = line["Max address space".len()..].split_whitespace().next()?;
    soft.parse().ok()
}

/// Address space a run reserves beyond the memory it touches (which [`memory_estimate`](super::memory_estimate)
/// counts), for pools of `threads` threads on `cores` cores. Each thread has a stack, and each but the main thread,
/// up to glibc's limit of 8 per core, a 64 MiB heap of its own for the allocator, which the kernel counts against
/// `ulimit -v` though little of it is used; then the program's code and libraries. A run has two pools of `threads`
/// threads (the command's, and rayon's global pool, which the analysis uses), the Ctrl-C handler's thread and, on a
/// terminal, the progress bar's. Measured on 2 cores, `RAYON_NUM_THREADS=2`, 10^4 and 1.3 × 10^6 iterations of the
/// reference model: peak address space 332 MiB above peak resident memory, with 5 threads besides the main one;
/// this reserves 412 MiB. `memory_limit` takes `threads` from rayon's default (`RAYON_NUM_THREADS`, or one per
/// core), which sets both pools; `--threads`, which sets only the command's, is not known where memory is checked.
pub(super) fn address_space_reserve(threads: usize, cores: usize) -> u64 {
    const STACK: u64 = (2 << 20) + 4096;
    const ARENA: u64 = 64 << 20;
    const CODE: u64 = 16 << 20;
    let threads = 2 * threads.max(1) as u64 + 2;
    let arenas = threads.min(8 * cores.max(1) as u64);
    threads * STACK + arenas * ARENA + CODE
}

/// The threads of a rayon pool built with the defaults: `RAYON_NUM_THREADS`, or one per core.
fn default_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .filter(|&t: &usize| t > 0)
        .unwrap_or_else(cores)
}

/// The cores this process may run on.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The value of a cgroup memory limit file; None for "max" (v2's "no limit"), a value too large to be a real limit
/// (v1 writes "no limit" as 2^63 rounded down to a page), or text that is not a number.
pub(super) fn cgroup_limit_value(text: &str) -> Option<u64> {
    let text = text.trim();
    if text == "max" {
        return None;
    }
    text.parse::<u64>().ok().filter(|&v| v < 1 << 60)
}

/// The memory limit files that apply to a process, from the text of its /proc/self/cgroup and the cgroup file
/// system's mount point `root`: for cgroup v2 (the `0::` line), `memory.max` of its cgroup and of each one above
/// it; for v1 (the line whose controllers include `memory`), `memory/…/memory.limit_in_bytes` likewise. Whether
/// they exist is not checked.
pub(super) fn cgroup_limit_files(proc_cgroup: &str, root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for line in proc_cgroup.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        let (base, file) = if controllers.is_empty() {
            (root.to_path_buf(), "memory.max")
        } else if controllers.split(',').any(|c| c == "memory") {
            (root.join("memory"), "memory.limit_in_bytes")
        } else {
            continue;
        };
        // The cgroup and each one above it, up to the mount point (a container often sees its own cgroup there).
        let mut dir = PathBuf::from(path.trim_start_matches('/'));
        loop {
            files.push(base.join(&dir).join(file));
            if !dir.pop() {
                break;
            }
        }
    }
    files
}

/// The smallest memory limit of the process's cgroups (see [`cgroup_limit_files`]), and the file that sets it;
/// None where no file exists or none sets a limit.
pub(super) fn cgroup_limit(root: &Path, proc_cgroup: &str) -> Option<(u64, PathBuf)> {
    cgroup_limit_files(proc_cgroup, root)
        .into_iter()
        .filter_map(|file| {
            let limit = cgroup_limit_value(&std::fs::read_to_string(&file).ok()?)?;
            Some((limit, file))
        })
        .min_by_key(|(limit, _)| *limit)
}
