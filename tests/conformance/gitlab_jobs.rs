//! gitlab-ci-local 4.64.1 as a second parser of GitLab pipelines: its `--list-json` (run in a
//! throwaway git repository holding the pipeline as `.gitlab-ci.yml`) must name exactly the jobs
//! of pipegen's plan, each with exactly the plan's `needs`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use pipegen::emit::gitlab::names;
use pipegen::plan::{Need, Plan};
use serde::Deserialize;

use crate::corpus::describe_run;
use crate::support;

/// A job as gitlab-ci-local lists it.
#[derive(Debug, Deserialize)]
pub struct ListedJob {
    pub name: String,
    /// Absent: no `needs:` (the job waits for earlier stages).
    pub needs: Option<Vec<ListedNeed>>,
}

#[derive(Debug, Deserialize)]
pub struct ListedNeed {
    pub job: String,
    pub artifacts: bool,
}

/// Run `gitlab-ci-local --list-json` on `text` inside `dir` (which must be empty). `Err` holds
/// the tool's report when it rejects the pipeline.
pub fn list_json(text: &str, dir: &Path) -> Result<Vec<ListedJob>, String> {
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).expect("create the throwaway repository");
    std::fs::write(repo.join(".gitlab-ci.yml"), text).expect("write .gitlab-ci.yml");
    std::fs::write(repo.join(".gitignore"), "/.gitlab-ci-local/\n").expect("write .gitignore");
    let git = |args: &[&str]| {
        let mut command = Command::new(support::tool("git"));
        command
            .args(["-c", "user.name=pipegen conformance", "-c", "user.email=conformance@pipegen.invalid"])
            .args(["-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"])
            .args(args)
            .current_dir(&repo);
        let (code, stdout, stderr) = support::run(&mut command);
        assert_eq!(code, 0, "{}", describe_run(&command, code, &stdout, &stderr));
    };
    git(&["init", "-q", "-b", "main"]);
    // Never contacted; it gives gitlab-ci-local a project path and a default branch.
    git(&["remote", "add", "origin", "https://gitlab.example.com/pipegen/conformance.git"]);
    git(&["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"]);
    git(&["add", ".gitlab-ci.yml", ".gitignore"]);
    git(&["commit", "-q", "-m", "pipeline under test"]);

    let mut command = Command::new(support::tool("gitlab-ci-local"));
    command.arg("--home").arg(dir.join("home")).arg("--list-json").current_dir(&repo);
    let (code, stdout, stderr) = support::run(&mut command);
    if code != 0 {
        return Err(describe_run(&command, code, &stdout, &stderr));
    }
    serde_json::from_str(&stdout).map_err(|e| {
        format!("--list-json is not the expected JSON ({e})\n{}", describe_run(&command, code, &stdout, &stderr))
    })
}

/// The name gitlab-ci-local gives shard `index` of `total` of a `parallel: N` job. (GitLab's
/// UI writes `name index/total`; both run N copies with the job's `needs`.)
pub fn shard_name(name: &str, index: u32, total: u32) -> String {
    format!("{name}: [{index}/{total}]")
}

/// A planned need as GitLab lists it: the job's name and whether it takes its artifacts.
type PlannedNeed = (String, bool);

/// Every job of the plan as GitLab runs it (shards expanded) with the jobs it needs: the builds
/// of the plan, and the cache-key job of each cache with more key files than `key:files` takes.
pub fn planned(plan: &Plan) -> BTreeMap<String, Vec<PlannedNeed>> {
    let needs = |needs: &[Need], caches: &[pipegen::plan::CacheUse]| {
        let mut listed: Vec<PlannedNeed> = needs.iter().map(|n| (names::job(&n.job), n.takes_tag)).collect();
        for cache in caches.iter().filter(|c| c.key_files.len() > pipegen::emit::gitlab::MAX_KEY_FILES) {
            let job = names::cache_key_job(&cache.name);
            if !listed.iter().any(|(n, _)| *n == job) {
                listed.push((job, true));
            }
        }
        listed
    };
    let mut jobs = BTreeMap::new();
    for build in &plan.builds {
        if build.split() {
            // One job per platform needs what the build needs; the build's own job merges them.
            for platform_job in build.platform_jobs() {
                jobs.insert(names::job(&platform_job), needs(&build.needs, &build.caches));
            }
            let mut merge = needs(&build.needs, &[]);
            merge.extend(build.platform_jobs().iter().map(|j| (names::job(j), true)));
            jobs.insert(names::build(&build.this.id), merge);
        } else {
            jobs.insert(names::build(&build.this.id), needs(&build.needs, &build.caches));
        }
        for cache in build.caches.iter().filter(|c| c.key_files.len() > pipegen::emit::gitlab::MAX_KEY_FILES) {
            jobs.insert(names::cache_key_job(&cache.name), Vec::new());
        }
    }
    for run in &plan.runs {
        let name = names::job(&run.id());
        for cache in run.caches.iter().filter(|c| c.key_files.len() > pipegen::emit::gitlab::MAX_KEY_FILES) {
            jobs.insert(names::cache_key_job(&cache.name), Vec::new());
        }
        match run.shards {
            Some(total) => {
                for index in 1..=total {
                    jobs.insert(shard_name(&name, index, total), needs(&run.needs, &run.caches));
                }
            }
            None => {
                jobs.insert(name, needs(&run.needs, &run.caches));
            }
        }
    }
    if plan.is_empty() {
        jobs.insert("pipegen:nothing".to_string(), Vec::new());
    }
    jobs
}

/// How the listed jobs differ from the plan; empty when they agree. Every job must have an
/// explicit `needs:` (an absent one would wait for the earlier stages), each need taking the
/// needed job's artifacts exactly when the plan says it reads its tag (or cache key).
pub fn differences(plan: &Plan, listed: &[ListedJob]) -> Vec<String> {
    let planned = planned(plan);
    let mut problems = Vec::new();
    let mut seen = BTreeMap::new();
    for job in listed {
        if seen.insert(job.name.as_str(), ()).is_some() {
            problems.push(format!("job `{}` is listed twice", job.name));
        }
        let Some(expected) = planned.get(&job.name) else {
            problems.push(format!("job `{}` is not in the plan", job.name));
            continue;
        };
        let Some(needs) = &job.needs else {
            problems.push(format!("job `{}` has no `needs:`, so it waits for every earlier stage", job.name));
            continue;
        };
        let mut actual: Vec<(&str, bool)> = needs.iter().map(|n| (n.job.as_str(), n.artifacts)).collect();
        let mut wanted: Vec<(&str, bool)> = expected.iter().map(|(n, a)| (n.as_str(), *a)).collect();
        actual.sort_unstable();
        wanted.sort_unstable();
        if actual != wanted {
            problems.push(format!("job `{}` needs {actual:?} (job, artifacts), the plan says {wanted:?}", job.name));
        }
    }
    for name in planned.keys() {
        if !seen.contains_key(name.as_str()) {
            problems.push(format!("job `{name}` of the plan is not in the pipeline"));
        }
    }
    problems
}
