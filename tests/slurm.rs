//! The README's Slurm scripts on a real Slurm: a single-machine cluster (munged, slurmctld and one slurmd, all under a
//! temporary directory, on free ports) runs `scripts/slurm/sweep.sbatch` as a job array of four shards and
//! `scripts/slurm/merge.sbatch` after it (`--dependency=afterok`, as the README submits them), and every file of the
//! merged sweep must be byte for byte the file an unsharded `carecast sweep` of the same grid writes.
//!
//! Needs Slurm and munge (Debian's `slurmctld`, `slurmd`, `slurm-client` and `munge` packages; `.ci/run` installs
//! them). Without them the test says so loudly and passes, unless CARECAST_REQUIRE_SLURM is set, as it is in CI,
//! where missing tools fail it. The daemons run as the user running the test (root in CI).
//!
//! A sharded PSA is tested the same way, in the same cluster: `scripts/slurm/psa.sbatch` (`run --shard auto`) and the
//! same merge script, against an unsharded `carecast run`.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The variable that makes missing Slurm tools a failure rather than a skip (set by `.ci/run`).
const REQUIRE_SLURM: &str = "CARECAST_REQUIRE_SLURM";

/// The programs the test runs: the daemons, and the clients a user submits and watches jobs with.
const TOOLS: [&str; 7] = [
    "munged",
    "slurmctld",
    "slurmd",
    "sbatch",
    "sinfo",
    "scontrol",
    "scancel",
];

/// How many shards the test's array runs: more than one per CPU of a small machine, fewer than the grid's points.
const SHARDS: usize = 4;

/// The sweep the test shards: six points (3 × 2) of the teaching scenario, small enough to take a second in all.
const SWEEP: [&str; 7] = [
    "scenarios/example.toml",
    "--vary",
    "home_care_weekly.mean=60:140:3",
    "--vary",
    "reablement_episode.mean=1500:3000:2",
    "--iterations",
    "200",
];

/// The PSA the test shards: 2,000 iterations of the teaching scenario, 8 chunks of 256 iterations for the 4 shards.
const PSA: [&str; 4] = ["run", "scenarios/example.toml", "--iterations", "2000"];

/// How long the cluster may take to come up, and the jobs to finish, before the test fails saying what it saw.
const PATIENCE: Duration = Duration::from_secs(60);

/// Where a program is: on PATH, or in the sbin folders a user's PATH often lacks (where Debian puts the daemons).
fn find(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(tool))
        .find(|p| p.is_file())
}

/// Two different ports nobody listens on now (the controller's and the node's), so that the test's cluster never
/// meets a real one on this machine: both are held open until both are known.
fn free_ports() -> [u16; 2] {
    let listeners = [0, 1].map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port"));
    listeners.map(|l| l.local_addr().expect("its address").port())
}

/// This machine's short host name (`hostname -s`), which slurmctld must find in its own `SlurmctldHost`.
fn short_hostname() -> String {
    let full = fs::read_to_string("/proc/sys/kernel/hostname").expect("the host name");
    full.trim().split('.').next().unwrap_or_default().to_string()
}

/// The name of the user running the test, who becomes the cluster's SlurmUser.
fn user_name() -> String {
    let out = Command::new("id").arg("-un").output().expect("`id -un` runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The CPUs this machine offers, as `nproc` counts them.
fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A single-machine Slurm cluster under a temporary directory; dropping it cancels its jobs and stops its daemons,
/// whether the test passed or not.
struct Cluster {
    dir: tempfile::TempDir,
    tools: BTreeMap<&'static str, PathBuf>,
    daemons: Vec<Child>,
    jobs: Vec<String>,
}

impl Cluster {
    /// Writes the configuration and a munge key, and starts munged, slurmctld and slurmd.
    fn start(tools: BTreeMap<&'static str, PathBuf>) -> Cluster {
        let dir = tempfile::tempdir().expect("a temporary directory");
        // munged wants its socket's folder, and every folder above it, open to all (as /run/munge is).
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        for (sub, mode) in [
            ("munge", 0o700),
            ("run", 0o755),
            ("state", 0o700),
            ("spool", 0o755),
            ("log", 0o755),
        ] {
            fs::create_dir(dir.path().join(sub)).unwrap();
            fs::set_permissions(dir.path().join(sub), fs::Permissions::from_mode(mode)).unwrap();
        }
        let mut cluster = Cluster {
            dir,
            tools,
            daemons: Vec::new(),
            jobs: Vec::new(),
        };
        cluster.write_munge_key();
        fs::write(cluster.conf(), cluster.slurm_conf()).unwrap();
        let root = cluster.dir.path().to_path_buf();
        let socket = root.join("run/munge.socket");
        cluster.spawn(
            "munged",
            &[
                "--foreground".into(),
                format!("--socket={}", socket.display()),
                format!("--key-file={}", root.join("munge/munge.key").display()),
                format!("--seed-file={}", root.join("munge/seed").display()),
                format!("--pid-file={}", root.join("run/munged.pid").display()),
            ],
        );
        cluster.wait_for("munged's socket", || socket.exists().then_some(()));
        let conf = cluster.conf().display().to_string();
        cluster.spawn("slurmctld", &["-D".into(), "-f".into(), conf.clone()]);
        cluster.spawn(
            "slurmd",
            &["-D".into(), "-f".into(), conf, "-N".into(), short_hostname()],
        );
        cluster.wait_for("the node to be idle", || {
            let out = cluster.client("sinfo", &["--noheader", "--Node", "--format=%t"]);
            (out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "idle").then_some(())
        });
        cluster
    }

    /// The cluster's slurm.conf, which the daemons get with `-f` and the clients as `SLURM_CONF`.
    fn conf(&self) -> PathBuf {
        self.dir.path().join("slurm.conf")
    }

    /// A fresh 1024-byte key, readable by its owner alone, as munged insists.
    fn write_munge_key(&self) {
        let mut key = [0u8; 1024];
        fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut key))
            .expect("random bytes");
        let path = self.dir.path().join("munge/munge.key");
        fs::write(&path, key).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
    }

    /// The smallest configuration that runs jobs: one node (this machine, all its CPUs), no accounting, no cgroups,
    /// and a scheduler that looks at pending jobs every second rather than every minute.
    fn slurm_conf(&self) -> String {
        let root = self.dir.path();
        let at = |p: &str| root.join(p).display().to_string();
        let (host, user) = (short_hostname(), user_name());
        let [controller_port, node_port] = free_ports();
        [
            "ClusterName=carecast-test".to_string(),
            format!("SlurmctldHost={host}(127.0.0.1)"),
            format!("SlurmctldPort={controller_port}"),
            format!("SlurmdPort={node_port}"),
            format!("SlurmUser={user}"),
            format!("SlurmdUser={user}"),
            "AuthType=auth/munge".into(),
            format!("AuthInfo=socket={}", at("run/munge.socket")),
            "CredType=cred/munge".into(),
            format!("StateSaveLocation={}", at("state")),
            format!("SlurmdSpoolDir={}", at("spool")),
            format!("SlurmctldPidFile={}", at("run/slurmctld.pid")),
            format!("SlurmdPidFile={}", at("run/slurmd.pid")),
            "ProctrackType=proctrack/linuxproc".into(),
            "TaskPlugin=task/none".into(),
            "SelectType=select/cons_tres".into(),
            "SelectTypeParameters=CR_CPU".into(),
            "JobAcctGatherType=jobacct_gather/none".into(),
            "AccountingStorageType=accounting_storage/none".into(),
            "JobCompType=jobcomp/none".into(),
            "MpiDefault=none".into(),
            "MailProg=/bin/true".into(),
            "ReturnToService=2".into(),
            "SchedulerParameters=sched_interval=1".into(),
            // A failed shard cancels the merge waiting on it, rather than leaving it pending for ever.
            "DependencyParameters=kill_invalid_depend".into(),
            format!("NodeName={host} NodeAddr=127.0.0.1 CPUs={} State=UNKNOWN", cpus()),
            "PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP".into(),
        ]
        .join("\n")
            + "\n"
    }

    /// Starts a daemon in the foreground, its log (on stderr, with no log file configured) into `log/<name>.out`.
    fn spawn(&mut self, name: &'static str, args: &[String]) {
        let log = fs::File::create(self.dir.path().join(format!("log/{name}.out"))).unwrap();
        let child = Command::new(&self.tools[name])
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{name} starts: {e}"));
        self.daemons.push(child);
    }

    /// A client command pointed at this cluster, with no Slurm or sbatch settings inherited from the caller (a test
    /// run inside a Slurm job would otherwise carry its job's into the test's jobs).
    fn command(&self, tool: &str) -> Command {
        let mut command = Command::new(&self.tools[tool]);
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("SLURM_") || key.starts_with("SBATCH_") {
                command.env_remove(key.as_ref());
            }
        }
        command.env("SLURM_CONF", self.conf());
        command
    }

    /// Runs a client command on this cluster and returns what it printed.
    fn client(&self, tool: &str, args: &[&str]) -> Output {
        self.command(tool).args(args).output().expect("a Slurm client runs")
    }

    /// Submits a batch script with sbatch's options (script arguments last) and the given environment, which sbatch
    /// passes on to the job; returns the job id.
    fn submit(&mut self, args: &[String], env: &[(&str, String)]) -> String {
        let out = self
            .command("sbatch")
            .arg("--parsable")
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("sbatch runs");
        assert!(
            out.status.success(),
            "sbatch {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stderr),
            self.logs()
        );
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        self.jobs.push(id.clone());
        id
    }

    /// The state of a job (of an array's first task for an array), as scontrol reports it.
    fn state(&self, job: &str) -> String {
        let out = self.client("scontrol", &["show", "job", job]);
        let text = String::from_utf8_lossy(&out.stdout);
        let state = text.split_whitespace().find_map(|w| w.strip_prefix("JobState="));
        state.unwrap_or("UNKNOWN").to_string()
    }

    /// Waits until `ready` gives a value, checking every 100 ms; fails with the daemons' logs after [`PATIENCE`].
    fn wait_for<T>(&self, what: &str, mut ready: impl FnMut() -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            if let Some(value) = ready() {
                return value;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "waited {PATIENCE:?} for {what}{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Every log and job output under the cluster's folder, for a failure's message.
    fn logs(&self) -> String {
        let mut text = String::new();
        let mut files: Vec<PathBuf> = ["log", "jobs"]
            .iter()
            .flat_map(|d| fs::read_dir(self.dir.path().join(d)).into_iter().flatten())
            .map(|e| e.expect("a directory entry").path())
            .collect();
        files.sort();
        for file in files {
            let content = fs::read_to_string(&file).unwrap_or_default();
            let lines: Vec<&str> = content.lines().collect();
            let tail = lines[lines.len().saturating_sub(30)..].join("\n");
            text += &format!("\n--- {} (last 30 lines)\n{tail}", file.display());
        }
        text
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if !self.jobs.is_empty() {
            let _ = self.command("scancel").args(&self.jobs).output();
        }
        // slurmd first, then the controller, then munged, which both need until they stop.
        for daemon in self.daemons.iter_mut().rev() {
            let _ = Command::new("kill").arg("-TERM").arg(daemon.id().to_string()).status();
            let start = Instant::now();
            while matches!(daemon.try_wait(), Ok(None)) && start.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
    }
}

/// The run directory a command printed on its last line.
fn printed_dir(text: &str) -> PathBuf {
    PathBuf::from(text.lines().last().expect("a line naming the directory").trim())
}

/// A cluster started on this machine, or `None` (with the skip said on the terminal) where a tool is missing and
/// [`REQUIRE_SLURM`] is not set; where it is set, a missing tool fails the test.
fn cluster_or_skip() -> Option<Cluster> {
    let found: Vec<(&str, Option<PathBuf>)> = TOOLS.iter().map(|t| (*t, find(t))).collect();
    let missing: Vec<&str> = found.iter().filter(|(_, p)| p.is_none()).map(|(t, _)| *t).collect();
    if !missing.is_empty() {
        common::skip_unless_required_by(
            &format!(
                "no {} (install Debian's slurmctld, slurmd, slurm-client and munge packages)",
                missing.join(", ")
            ),
            REQUIRE_SLURM,
            std::env::var_os(REQUIRE_SLURM).is_some(),
        );
        return None;
    }
    Some(Cluster::start(
        found.into_iter().map(|(t, p)| (t, p.unwrap())).collect(),
    ))
}

impl Cluster {
    /// Submits `array_script` as a job array of [`SHARDS`] tasks with `args`, and `merge_script` to run when every task
    /// has succeeded, as the README does, with the array and CPUs sized for this machine (sbatch's options override
    /// the scripts' #SBATCH lines) and each job's output beside the cluster's logs; waits for the merge and returns
    /// the folder it wrote. The scripts write under `<cluster>/<name>`, `name` being the array script's file stem.
    fn array_then_merge(&mut self, array_script: &str, merge_script: &str, args: &[&str]) -> PathBuf {
        let name = Path::new(array_script)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let root = self.dir.path().to_path_buf();
        fs::create_dir_all(root.join("jobs")).unwrap();
        let env = [
            ("CARECAST_BIN", env!("CARGO_BIN_EXE_carecast").to_string()),
            ("CARECAST_OUT", root.join(&name).display().to_string()),
        ];
        let mut array = vec![
            format!("--array=1-{SHARDS}"),
            "--cpus-per-task=1".to_string(),
            format!("--output={}", root.join(format!("jobs/{name}-%A_%a.out")).display()),
            array_script.to_string(),
        ];
        array.extend(args.iter().map(|s| s.to_string()));
        let array_job = self.submit(&array, &env);
        let merge_output = root.join(format!("jobs/{name}-merge.out"));
        let merge_job = self.submit(
            &[
                format!("--dependency=afterok:{array_job}"),
                format!("--output={}", merge_output.display()),
                merge_script.to_string(),
            ],
            &env,
        );
        let end = self.wait_for(&format!("{merge_script} to end"), || {
            let state = self.state(&merge_job);
            let over = !matches!(state.as_str(), "PENDING" | "CONFIGURING" | "RUNNING" | "COMPLETING");
            over.then_some(state)
        });
        assert_eq!(end, "COMPLETED", "{merge_script} ended {end}{}", self.logs());
        let tasks = fs::read_dir(root.join(&name))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("task-"))
            .count();
        assert_eq!(tasks, SHARDS, "one folder per array task{}", self.logs());
        printed_dir(&fs::read_to_string(&merge_output).unwrap())
    }
}

/// Runs `carecast <command> <args>` unsharded on this machine into `out`; returns the folder it wrote.
fn unsharded(command: &str, args: &[&str], out: &Path) -> PathBuf {
    let o = common::carecast()
        .arg(command)
        .args(args)
        .args(["--quiet", "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    printed_dir(&String::from_utf8_lossy(&o.stdout))
}

#[test]
fn the_readmes_job_arrays_shard_a_sweep_and_a_psa_on_a_real_slurm_and_merge_byte_for_byte() {
    let started = Instant::now();
    let Some(mut cluster) = cluster_or_skip() else {
        return;
    };
    let merged = cluster.array_then_merge("scripts/slurm/sweep.sbatch", "scripts/slurm/merge.sbatch", &SWEEP);
    let whole = unsharded("sweep", &SWEEP, &cluster.dir.path().join("whole"));
    let count = common::outputs::assert_same_outputs(&merged, &whole, "sweep.csv");
    eprintln!(
        "slurm: {SHARDS} sweep shards and their merge ran and matched the unsharded sweep ({count} files) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let merged = cluster.array_then_merge("scripts/slurm/psa.sbatch", "scripts/slurm/merge.sbatch", &PSA);
    let whole = unsharded(PSA[0], &PSA[1..], &cluster.dir.path().join("whole-psa"));
    let count = common::outputs::assert_same_outputs(&merged, &whole, "iterations.csv");
    eprintln!(
        "slurm: {SHARDS} PSA shards and their merge ran and matched the unsharded run ({count} files) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn the_readmes_slurm_scripts_are_the_files_the_slurm_test_runs() {
    let readme = fs::read_to_string("README.md").unwrap();
    for script in [
        "scripts/slurm/sweep.sbatch",
        "scripts/slurm/psa.sbatch",
        "scripts/slurm/merge.sbatch",
    ] {
        let text = fs::read_to_string(script).unwrap();
        let block = format!("`{script}`:\n\n```sh\n{text}```\n");
        assert!(
            readme.contains(&block),
            "README.md must show {script} verbatim, in a sh block after a line naming it (`{script}`:)"
        );
    }
}

#[test]
#[should_panic(expected = "CARECAST_REQUIRE_SLURM is set")]
fn missing_slurm_fails_where_ci_requires_it() {
    common::skip_unless_required_by("no sbatch", REQUIRE_SLURM, true);
}
