//! Tests of the memory estimate's terms on the reference model, sized by hand, and of the parsers of the limits
//! that the system and the process set.

use super::estimate::{estimate_for, RunShape, BASE_BYTES};
use super::limits::{
    address_space_reserve, cgroup_limit, cgroup_limit_files, cgroup_limit_value, max_address_space, mem_total,
};
use super::{
    largest_iterations_within, largest_streamed_iterations_within, memory_estimate, streamed_memory_estimate,
    yearly_sample_size, Bytes, LimitSource,
};
use crate::model::{compile_text, Model, RunSettings};
use std::path::{Path, PathBuf};

/// The reference scenario, with each (from, to) replacement applied.
fn reference(edits: &[(&str, &str)]) -> Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference.toml");
    let mut text = std::fs::read_to_string(&path).expect("the reference scenario is readable");
    for (from, to) in edits {
        assert!(
            text.contains(from),
            "the reference scenario no longer contains {from:?}"
        );
        text = text.replacen(from, to, 1);
    }
    compile_text(&path, &text).unwrap_or_else(|e| panic!("{e}"))
}

fn run(iterations: usize) -> RunSettings {
    RunSettings { iterations, seed: 1 }
}

#[test]
fn the_reference_models_shape_by_hand() {
    // 2 arms, the intervention compared with usual care; kernel columns: council and NHS care, council spend, QALYs;
    // 12 sampled parameters (8 beta, 3 gamma, the lognormal relative risk); 20 years; of the 2 × 20 × 4 = 160 bins,
    // usual care's 20 years of spend and the intervention's last 19 are structural zeros: 121 live. ROI panels:
    // council, NHS (the person pays no care costs), whole system.
    let shape = RunShape::of(&reference(&[]));
    assert_eq!(
        shape,
        RunShape {
            arms: 2,
            comparisons: 1,
            kernel_columns: 4,
            outcomes: 1,
            payers: 3,
            draws: 12,
            years: 20,
            live_bins: 121,
            roi_panels: 3,
            primary_outcome: true,
        }
    );
    // Results: 2 arms × 4 columns × 8 bytes + 2 payback years × 4 + 12 draws × 8 = 64 + 8 + 96.
    assert_eq!(shape.results_per_iteration(), 168);
    // Table: per arm, 9 costs by payer and kind + total cost + 1 outcome, f64, and a payback year: 2 × (88 + 4).
    assert_eq!(shape.table_per_iteration(), 184);
    // One comparison holds 9 + 1 outcome vectors; the plotted values 3 panels + ΔE, ΔC + 1 drawn copy = 6.
    assert_eq!(shape.working_vectors(), 10);
    // Per chunk of 256 iterations: 121 bins × 8 lanes × 8 bytes + 16 bytes of allocator header.
    assert_eq!(shape.chunk_sums(256), 7760);
    assert_eq!(shape.chunk_sums(257), 2 * 7760);
    // Sample: 121 bins × 4 bytes (for whole blocks of 8) + 2 arms × 20 years × 8 bytes per kept iteration.
    assert_eq!(shape.sample(8), 8 * 484 + 8 * 320);
    assert_eq!(shape.sample(9), 16 * 484 + 9 * 320);
    // Cumulative net savings: 20 years + a column + its copy.
    assert_eq!(shape.sample_working_values(), 22);
}

#[test]
fn the_reference_estimate_by_hand() {
    let model = reference(&[]);
    // 10^6 iterations would fit 64 MiB / 484 bytes = 138,654 iterations' per-year values; 100,000 are kept, the most
    // any percentile reads.
    assert_eq!(yearly_sample_size(&model, 1_000_000), 100_000);
    let expected = BASE_BYTES
        + 1_000_000 * (168 + 184)
        + 3907 * 7760 // 10^6 / 256 = 3906.25 chunks
        + 100_000 * 484 + 100_000 * 320
        + 1_000_000 * 10 * 8 // the comparison's vectors, more than the kept iterations' 22 values
        + 101 * 100_000 * 8; // the running sums' 101 series keep 100,000 values each for percentiles
    assert_eq!(expected, 640_295_536);
    assert_eq!(memory_estimate(&model, &run(1_000_000)), expected);
    // 10^4 iterations are all kept; the cumulative net savings' 22 values each are then more than 10 vectors.
    let expected =
        BASE_BYTES + 10_000 * (168 + 184) + 40 * 7760 + 10_000 * (484 + 320) + 10_000 * 22 * 8 + 101 * 10_000 * 8;
    assert_eq!(memory_estimate(&model, &run(10_000)), expected);
}

#[test]
fn a_run_analysed_a_block_at_a_time_needs_one_blocks_memory_at_any_size() {
    let model = reference(&[]);
    let shape = RunShape::of(&model);
    // Series with running sums: per arm cost, spend, care, 3 payers' costs, 1 outcome (7, × 2 arms); the comparison's
    // ΔC, net savings, 1 ΔE, 3 payers' net savings, spend, savings, ratio, INMB (10), 4 × 2 savings perspectives and
    // 4 spend perspectives, each with its spend and 8 × 2 pairs (68): 14 + 87 = 101.
    assert_eq!(shape.running_series(), 101);
    // Past one block: the first block (2^17 iterations, 512 chunks, the 100,000 kept) with its working vectors (the
    // kept iterations' 22 values each are more than 10 vectors of the block), the block being analysed with its 8
    // savings perspectives' values, the next block being simulated, and 101 series of 100,000 kept values.
    let first = BASE_BYTES + 131_072 * 352 + 512 * 7760 + 100_000 * (484 + 320) + 100_000 * 22 * 8;
    let analysed = 131_072 * 352 + 512 * 7760 + 8 * 131_072 * 8;
    let simulated = 131_072 * 168 + 512 * 7760;
    let expected = first + analysed + simulated + 101 * 100_000 * 8;
    assert_eq!(expected, 330_179_968);
    for n in [1_000_000, 10_000_000, 1_000_000_000] {
        assert_eq!(streamed_memory_estimate(&model, &run(n)), expected, "{n} iterations");
    }
    // Within one block, the block is the run: the held estimate, which counts the running sums too.
    let n = 10_000;
    assert_eq!(
        streamed_memory_estimate(&model, &run(n)),
        memory_estimate(&model, &run(n))
    );
    assert_eq!(
        largest_streamed_iterations_within(&model, expected, 2_000_000_000),
        2_000_000_000
    );
}

#[test]
fn three_arms_without_a_primary_outcome_peak_in_the_plotted_values() {
    // Two interventions compared with usual care, and care costs for all three payers: each comparison plots 4
    // panels, 2 × 4 = 8 vectors, and 3 more while they are built: 11, more than one comparison's 9 + 1.
    let shape = RunShape {
        arms: 3,
        comparisons: 2,
        kernel_columns: 5,
        outcomes: 1,
        payers: 3,
        draws: 4,
        years: 5,
        live_bins: 60,
        roi_panels: 4,
        primary_outcome: false,
    };
    assert_eq!(shape.working_vectors(), 11);
    // With a primary outcome: 8 panels + 2 × (ΔE, ΔC) + 1 drawn copy.
    let plane = RunShape {
        primary_outcome: true,
        ..shape
    };
    assert_eq!(plane.working_vectors(), 13);
    // Results 3 × 5 × 8 + 3 × 4 + 4 × 8 = 164; table 3 × (11 × 8 + 4) = 276.
    assert_eq!(estimate_for(&shape, 1000, 1000) - estimate_for(&shape, 0, 0), {
        1000 * (164 + 276) + 4 * (60 * 64 + 16) + 1000 * (60 * 4 + 3 * 5 * 8) + 1000 * 11 * 8
    });
    // A third arm compared with the second: the shape counts comparisons from the model.
    let model = reference(&[(
        "costs = [{ name = \"prevention package\", kind = \"one_off\", payer = \"council\", amount = 1500 }]",
        "costs = [{ name = \"prevention package\", kind = \"one_off\", payer = \"council\", amount = 1500 }]\n\n\
         [[arms]]\nname = \"more\"\nlabel = \"More\"\ncompare_to = \"prevention\"",
    )]);
    assert_eq!((RunShape::of(&model).arms, RunShape::of(&model).comparisons), (3, 2));
}

#[test]
fn a_payer_the_scenario_declares_adds_its_three_columns_to_the_table_and_its_care_to_the_panels() {
    // A housing payer with residential care costs: a fifth kernel column (housing care), 4 payers of 3 cost columns
    // each in the table, and a fourth ROI panel (council, NHS, housing, whole system).
    let model = reference(&[
        (
            "[settings]",
            "[payers]\nhousing = { label = \"Housing association\" }\n\n[settings]",
        ),
        (
            "costs = { council = \"cost_residential\", nhs = \"cost_nhs\" }",
            "costs = { council = \"cost_residential\", nhs = \"cost_nhs\", housing = 100 }",
        ),
    ]);
    let shape = RunShape::of(&model);
    assert_eq!((shape.payers, shape.kernel_columns, shape.roi_panels), (4, 5, 4));
    // Per arm, 4 × 3 costs by payer and kind + total cost + 1 outcome, f64, and a payback year: 2 × (14 × 8 + 4).
    assert_eq!(shape.table_per_iteration(), 232);
}

#[test]
fn the_largest_run_that_fits_is_found_exactly() {
    let model = reference(&[]);
    let estimate = |n: usize| memory_estimate(&model, &run(n));
    for bytes in [100 << 20, 1 << 30, 3 << 30] {
        let n = largest_iterations_within(&model, bytes, 100_000_000);
        assert!(estimate(n) <= bytes && estimate(n + 1) > bytes, "{bytes}: {n}");
    }
    // Everything fits: the most allowed; nothing fits: 0.
    assert_eq!(largest_iterations_within(&model, 1 << 40, 5000), 5000);
    assert_eq!(largest_iterations_within(&model, BASE_BYTES, 5000), 0);
}

#[test]
fn installed_memory_from_meminfo() {
    let meminfo = "MemTotal:       24576000 kB\nMemFree:        12000000 kB\nMemAvailable:   22000000 kB\n";
    assert_eq!(mem_total(meminfo), Some(24_576_000 * 1024));
    assert_eq!(mem_total("MemFree: 1 kB\n"), None);
    assert_eq!(mem_total(""), None);
}

#[test]
fn the_address_space_limit_from_proc_self_limits() {
    let limits = |address_space: &str| {
        format!(
            "Limit                     Soft Limit           Hard Limit           Units     \n\
             Max cpu time              unlimited            unlimited            seconds   \n\
             Max data size             unlimited            unlimited            bytes     \n\
             Max address space         {address_space} bytes     \n\
             Max file locks            unlimited            unlimited            locks     \n"
        )
    };
    assert_eq!(
        max_address_space(&limits("unlimited            unlimited           ")),
        None
    );
    // The soft limit is the one enforced; the hard one only bounds what the process may raise it to.
    assert_eq!(
        max_address_space(&limits("1073741824           unlimited           ")),
        Some(1 << 30)
    );
    assert_eq!(
        max_address_space(&limits("536870912            1073741824          ")),
        Some(512 << 20)
    );
    assert_eq!(max_address_space("Max cpu time unlimited unlimited seconds\n"), None);
}

#[test]
fn what_threads_reserve_of_the_address_space() {
    let (stack, arena, code) = ((2 << 20) + 4096, 64 << 20, 16 << 20);
    // One thread per pool, the Ctrl-C handler and the progress bar: 4 threads, each with a stack and a heap.
    assert_eq!(address_space_reserve(1, 4), 4 * stack + 4 * arena + code);
    // 16 threads per pool on 2 cores: 34 stacks, but glibc makes at most 8 heaps per core.
    assert_eq!(address_space_reserve(16, 2), 34 * stack + 16 * arena + code);
}

#[test]
fn cgroup_limit_values() {
    assert_eq!(cgroup_limit_value("max\n"), None);
    assert_eq!(cgroup_limit_value("2147483648\n"), Some(2 << 30));
    // cgroup v1's "no limit": 2^63 − 1 rounded down to a 4 KiB page.
    assert_eq!(cgroup_limit_value("9223372036854771712\n"), None);
    assert_eq!(cgroup_limit_value(""), None);
    assert_eq!(cgroup_limit_value("-1"), None);
}

#[test]
fn cgroup_limit_files_for_v2_v1_and_both() {
    let root = Path::new("/sys/fs/cgroup");
    let v2 = "0::/user.slice/user-1000.slice/session-3.scope\n";
    assert_eq!(
        cgroup_limit_files(v2, root),
        [
            "/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope/memory.max",
            "/sys/fs/cgroup/user.slice/user-1000.slice/memory.max",
            "/sys/fs/cgroup/user.slice/memory.max",
            "/sys/fs/cgroup/memory.max",
        ]
        .map(PathBuf::from)
    );
    // A container's own cgroup, seen as the root.
    assert_eq!(
        cgroup_limit_files("0::/\n", root),
        [PathBuf::from("/sys/fs/cgroup/memory.max")]
    );
    // v1: only the memory controller's line counts, whether alone or with others.
    let v1 = "12:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n1:name=systemd:/docker/abc\n";
    assert_eq!(
        cgroup_limit_files(v1, root),
        [
            "/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/docker/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
        ]
        .map(PathBuf::from)
    );
    let joined = "5:blkio,memory:/job\n";
    assert_eq!(
        cgroup_limit_files(joined, root)[0],
        PathBuf::from("/sys/fs/cgroup/memory/job/memory.limit_in_bytes")
    );
    // Hybrid: both.
    assert_eq!(cgroup_limit_files(&format!("{v1}0::/x\n"), root).len(), 5);
    assert!(cgroup_limit_files("", root).is_empty());
}

#[test]
fn the_smallest_cgroup_limit_applies() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let write = |dir: &str, file: &str, text: &str| {
        std::fs::create_dir_all(root.join(dir)).unwrap();
        std::fs::write(root.join(dir).join(file), text).unwrap();
    };
    // v2: the job's cgroup has no limit of its own ("max"); the slice above it has 4 GiB.
    write("slurm/job_7/step_0", "memory.max", "max\n");
    write("slurm/job_7", "memory.max", "4294967296\n");
    let v2 = "0::/slurm/job_7/step_0\n";
    assert_eq!(
        cgroup_limit(root, v2),
        Some((4 << 30, root.join("slurm/job_7/memory.max")))
    );
    // A tighter limit below it wins.
    write("slurm/job_7/step_0", "memory.max", "1073741824\n");
    assert_eq!(
        cgroup_limit(root, v2),
        Some((1 << 30, root.join("slurm/job_7/step_0/memory.max")))
    );
    // v1: the container's limit file exists only at the mount point's top.
    write("memory", "memory.limit_in_bytes", "536870912\n");
    write("memory/docker", "memory.limit_in_bytes", "9223372036854771712\n");
    assert_eq!(
        cgroup_limit(root, "4:memory:/docker/abc\n"),
        Some((512 << 20, root.join("memory/memory.limit_in_bytes")))
    );
    // No files, or none with a limit: none.
    assert_eq!(cgroup_limit(root, "0::/elsewhere/entirely\n"), None);
    assert_eq!(cgroup_limit(&root.join("missing"), v2), None);
}

#[test]
fn limits_say_where_they_come_from() {
    assert_eq!(Bytes(512 << 20).to_string(), "512 MiB");
    assert_eq!(Bytes(3 << 29).to_string(), "1.5 GiB");
    let installed = LimitSource::Installed { total: 24 << 30 };
    assert_eq!(
        installed.to_string(),
        "three quarters of this machine's 24.0 GiB of memory"
    );
    let address_space = LimitSource::AddressSpace {
        limit: 2 << 30,
        reserved: 300 << 20,
    };
    assert_eq!(
        address_space.to_string(),
        "the address-space limit (ulimit -v) of 2.0 GiB, less 300 MiB its threads and code reserve"
    );
    let cgroup = LimitSource::Cgroup {
        limit: 4 << 30,
        file: PathBuf::from("/sys/fs/cgroup/job/memory.max"),
    };
    assert_eq!(
        cgroup.to_string(),
        "the memory limit of 4.0 GiB of its cgroup (/sys/fs/cgroup/job/memory.max)"
    );
}

#[test]
fn results_by_subgroup_add_one_subgroups_run_beside_what_stays_of_the_whole_cohorts() {
    // Two subgroups, the same shape otherwise (yearly cycles and no start date: no runs behind the whole one). What
    // stays of the whole run after its analysis is all of it but its working vectors, which at n ≤ 138,654 kept
    // iterations are the per-year ones: max(20 years, 4 columns) + 2 = 22 f64 a kept iteration (above the 10 of a
    // comparison), less the 3 ROI panels + ΔE + ΔC that the plotted values keep: 17 × 8 = 136 bytes an iteration.
    // A subgroup's run then adds the whole estimate less the fixed base once more.
    let one = reference(&[]);
    let two = reference(&[(
        "[cohort]\n",
        "[cohort]\nsubgroups = [{ name = \"a\", share = 0.5 }, { name = \"b\", share = 0.5 }]\n",
    )]);
    assert_eq!(RunShape::of(&one).plotted_vectors(), 5);
    for n in [1_000, 100_000] {
        let single = memory_estimate(&one, &run(n));
        let expected = 2 * single - BASE_BYTES - 136 * n as u64;
        assert_eq!(memory_estimate(&two, &run(n)), expected, "{n} iterations");
    }
}
