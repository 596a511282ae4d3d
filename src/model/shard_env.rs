//! `--shard auto`: the task's index and the array's size, read from the job scheduler's environment.

use super::Shard;

/// The variables `--shard auto` reads, by scheduler, in the order it looks for them.
pub const SCHEDULER_VARIABLES: &str = "SLURM_ARRAY_TASK_ID (Slurm), SGE_TASK_ID (Grid Engine), PBS_ARRAY_INDEX or \
     PBS_ARRAYID (PBS Pro, Torque), JOB_COMPLETION_INDEX (Kubernetes indexed jobs), AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch)";

/// The variable that gives the number of shards where the scheduler does not (PBS, Kubernetes).
pub const SHARDS_VARIABLE: &str = "CARECAST_SHARDS";

impl Shard {
    /// The shard of this task of a job array, from the scheduler's variables as `var` reads them, with the variable
    /// its index came from. Slurm, Grid Engine and AWS Batch give the array's size; PBS and Kubernetes do not, so
    /// there the number of shards comes from [`SHARDS_VARIABLE`]. An error says what was missing or inconsistent.
    pub fn from_environment(var: impl Fn(&str) -> Option<String>) -> Result<(Shard, String), String> {
        let number = |name: &str| -> Result<Option<usize>, String> {
            match var(name).map(|v| v.trim().to_string()) {
                None => Ok(None),
                Some(v) => v
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("{name} is `{v}`, not a whole number")),
            }
        };
        let required = |name: &str, why: &str| -> Result<usize, String> {
            number(name)?.ok_or_else(|| format!("{name} is not set: {why}"))
        };
        let shards_from_user = |scheduler: &str| {
            required(
                SHARDS_VARIABLE,
                &format!("{scheduler} does not tell a task how many tasks its array has; set {SHARDS_VARIABLE} to that number"),
            )
        };
        // Grid Engine sets SGE_TASK_ID to "undefined" in a job that is not an array.
        let sge = var("SGE_TASK_ID").filter(|v| v.trim() != "undefined");
        let (from, index, count) = if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
            let min = required("SLURM_ARRAY_TASK_MIN", "Slurm sets it in every array task")?;
            let max = required("SLURM_ARRAY_TASK_MAX", "Slurm sets it in every array task")?;
            let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1);
            let count = number("SLURM_ARRAY_TASK_COUNT")?.unwrap_or(max.saturating_sub(min) + 1);
            if step != 1 || count != max.saturating_sub(min) + 1 {
                return Err(format!(
                    "the Slurm array is not one unbroken range of task ids ({count} tasks from {min} to {max}, step \
                     {step}): submit it as --array=1-N, or give --shard K/N"
                ));
            }
            ("SLURM_ARRAY_TASK_ID", id.checked_sub(min).map(|i| i + 1), count)
        } else if sge.is_some() {
            let id = required("SGE_TASK_ID", "")?;
            let first = required("SGE_TASK_FIRST", "Grid Engine sets it in every array task")?;
            let last = required("SGE_TASK_LAST", "Grid Engine sets it in every array task")?;
            let step = number("SGE_TASK_STEPSIZE")?.unwrap_or(1).max(1);
            let offset = id.checked_sub(first).filter(|o| o % step == 0);
            (
                "SGE_TASK_ID",
                offset.map(|o| o / step + 1),
                last.saturating_sub(first) / step + 1,
            )
        } else if let Some(id) = number("PBS_ARRAY_INDEX")? {
            // PBS numbers subjobs as the array was submitted (-J 1-N): the index is the shard's number.
            ("PBS_ARRAY_INDEX", Some(id), shards_from_user("PBS")?)
        } else if let Some(id) = number("PBS_ARRAYID")? {
            ("PBS_ARRAYID", Some(id), shards_from_user("PBS (Torque)")?)
        } else if let Some(id) = number("JOB_COMPLETION_INDEX")? {
            // Kubernetes numbers an indexed job's pods from 0.
            ("JOB_COMPLETION_INDEX", Some(id + 1), shards_from_user("Kubernetes")?)
        } else if let Some(id) = number("AWS_BATCH_JOB_ARRAY_INDEX")? {
            // AWS Batch numbers an array's children from 0.
            let size = required("AWS_BATCH_JOB_ARRAY_SIZE", "AWS Batch sets it in every array child")?;
            ("AWS_BATCH_JOB_ARRAY_INDEX", Some(id + 1), size)
        } else {
            return Err(format!(
                "no job array task found in the environment: `auto` reads {SCHEDULER_VARIABLES}; outside a job array give --shard K/N"
            ));
        };
        match index {
            Some(index) if (1..=count).contains(&index) => Ok((Shard { index, count }, from.to_string())),
            _ => Err(format!(
                "{from} is `{}`, which is not one of the array's {count} tasks (numbered as the scheduler submitted them)",
                var(from).unwrap_or_default()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Shard::from_environment` over the variables `vars` (name, value).
    fn from(vars: &[(&str, &str)]) -> Result<(Shard, String), String> {
        Shard::from_environment(|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()))
    }

    fn shard(index: usize, count: usize, from: &str) -> Result<(Shard, String), String> {
        Ok((Shard { index, count }, from.to_string()))
    }

    #[test]
    fn each_scheduler_gives_the_shard_numbered_from_one() {
        let slurm = [
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "9"),
            ("SLURM_ARRAY_TASK_COUNT", "10"),
        ];
        assert_eq!(from(&slurm), shard(8, 10, "SLURM_ARRAY_TASK_ID"));
        // Grid Engine's -t 2-20:2 has tasks 2, 4, ..., 20: task 6 is the third of ten.
        let sge = [
            ("SGE_TASK_ID", "6"),
            ("SGE_TASK_FIRST", "2"),
            ("SGE_TASK_LAST", "20"),
            ("SGE_TASK_STEPSIZE", "2"),
        ];
        assert_eq!(from(&sge), shard(3, 10, "SGE_TASK_ID"));
        let pbs = [("PBS_ARRAY_INDEX", "4"), ("CARECAST_SHARDS", "5")];
        assert_eq!(from(&pbs), shard(4, 5, "PBS_ARRAY_INDEX"));
        let torque = [("PBS_ARRAYID", "1"), ("CARECAST_SHARDS", "2")];
        assert_eq!(from(&torque), shard(1, 2, "PBS_ARRAYID"));
        let k8s = [("JOB_COMPLETION_INDEX", "0"), ("CARECAST_SHARDS", "3")];
        assert_eq!(from(&k8s), shard(1, 3, "JOB_COMPLETION_INDEX"));
        let aws = [("AWS_BATCH_JOB_ARRAY_INDEX", "99"), ("AWS_BATCH_JOB_ARRAY_SIZE", "100")];
        assert_eq!(from(&aws), shard(100, 100, "AWS_BATCH_JOB_ARRAY_INDEX"));
    }

    #[test]
    fn what_does_not_make_a_shard_is_refused_saying_why() {
        let err = |vars: &[(&str, &str)]| from(vars).expect_err("refused");
        assert!(err(&[]).contains("no job array task found"));
        // Grid Engine outside an array job.
        assert!(err(&[("SGE_TASK_ID", "undefined")]).contains("no job array task found"));
        assert!(err(&[("JOB_COMPLETION_INDEX", "2")]).contains("set CARECAST_SHARDS"));
        let stepped = [
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "9"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "5"),
        ];
        assert!(err(&stepped).contains("not one unbroken range"));
        let beyond = [("PBS_ARRAY_INDEX", "6"), ("CARECAST_SHARDS", "5")];
        assert!(err(&beyond).contains("not one of the array's 5 tasks"));
        let zero = [("PBS_ARRAY_INDEX", "0"), ("CARECAST_SHARDS", "5")];
        assert!(err(&zero).contains("not one of the array's 5 tasks"));
        assert!(err(&[("AWS_BATCH_JOB_ARRAY_INDEX", "x")]).contains("not a whole number"));
    }
}
