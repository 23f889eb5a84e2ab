//! What GitLab refuses, checked on the plan and the rendered pipeline in one place, so a
//! pipeline over a limit is never written. Sources (GitLab docs): "CI/CD YAML syntax reference"
//! (`needs`, `parallel`, `retry`, `timeout`, `cache`), "Instance limits" (dotenv variables and
//! size, `ci_needs_size_limit`, `max_yaml_size_bytes`) and "Job names".

use super::{MAX_KEY_FILES, names};
use crate::emit::Rendering;
use crate::model::{Diagnostic, Duration};
use crate::plan::{CacheUse, JobId, Plan};
use crate::yaml::tree_size::TreeSize;

/// A pipeline's name (`workflow:name`) has at most this many characters.
pub const MAX_PIPELINE_NAME: usize = 255;
/// A job may need at most this many jobs (`ci_needs_size_limit`; an administrator can raise it).
pub const MAX_NEEDS: usize = 50;
/// A job name has at most this many characters.
pub const MAX_JOB_NAME: usize = 255;
/// `parallel` is at most this.
pub const MAX_PARALLEL: u32 = 200;
/// `retry` is at most this.
pub const MAX_RETRY: u32 = 2;
/// A job's `timeout` is at most a month (GitLab's `MAX_BUILD_TIMEOUT`), counted as 30 days.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// A job runs at most this many cache entries.
pub const MAX_CACHES: usize = 4;
/// A dotenv report holds at most this many variables on self-managed GitLab by default
/// (`dotenv_variables`; 50 on GitLab.com Free) and at most this many bytes (`dotenv_size`).
/// pipegen's reports hold one variable each, `PIPEGEN_TAG_<key>=<tag>` or a cache key, whose
/// length the job-name limit bounds (a few hundred bytes); `tests/limits.rs` measures them.
pub const MAX_DOTENV_VARIABLES: usize = 20;
pub const MAX_DOTENV_BYTES: usize = 5120;
/// The memory GitLab lets the parsed configuration take (`max_yaml_size_bytes`, 2 MB by
/// default; an administrator can raise it), which pipegen estimates from the text.
pub const MAX_CONFIG_BYTES: usize = 2 * 1024 * 1024;

/// Every limit `plan` or its rendered `file` crosses.
pub fn check(plan: &Plan, file: &Rendering) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let ids = plan.job_ids();
    let job_names: Vec<String> = ids.iter().map(names::job).collect();
    let mut seen: foldhash::HashMap<&str, &JobId> =
        std::collections::HashMap::with_capacity_and_hasher(ids.len(), Default::default());
    // GitLab names each shard of a `parallel` job `<name> <i>/<n>`, and that name is the job's.
    let shards: foldhash::HashMap<JobId, u32> =
        plan.runs.iter().filter_map(|r| r.shards.map(|n| (r.id(), n))).collect();
    for (id, name) in ids.iter().zip(&job_names) {
        match shards.get(id) {
            Some(n) => job_name(id, &format!("{name} {n}/{n}"), &mut problems),
            None => job_name(id, name, &mut problems),
        }
        if let Some(first) = seen.insert(name, id) {
            problems.push(
                Diagnostic::new(
                    "name-collision",
                    id.origin(),
                    format!("{first} and {id} would both get the GitLab job name `{name}`"),
                )
                .at_key()
                .label("generated name collides")
                .related(first.origin(), "with the job generated here")
                .help("rename an image, a job or an axis value so the generated names differ"),
            );
        }
    }
    // A scheduled refresh pipeline is named `<name>: upstream refresh`; GitLab refuses to create a
    // pipeline whose expanded name is too long ("Failed to build pipeline metadata").
    let (longest, which) = if plan.refresh.is_some() && !plan.is_empty() {
        (
            super::refresh_pipeline_name(plan),
            "with `refresh`, a scheduled pipeline's name (`workflow:name`) is `<name>: upstream refresh`,",
        )
    } else {
        (plan.name.clone(), "the model's name is the pipeline's name (`workflow:name`),")
    };
    let length = longest.chars().count();
    if length > MAX_PIPELINE_NAME {
        problems.push(
            Diagnostic::new(
                "name-too-long",
                crate::model::ModelPath::keys(["name"]),
                format!("GitLab limit: {which} {length} characters; GitLab allows {MAX_PIPELINE_NAME}"),
            )
            .label("over a GitLab limit")
            .help("shorten the name"),
        );
    }
    let max_needs = plan.raised.gitlab_needs.unwrap_or(MAX_NEEDS);
    for build in &plan.builds {
        let id = build.id();
        // A split build's own job merges its platforms: it needs each platform's job too.
        let needs = build.needs.len() + build.platform_job_count() + key_jobs(&build.caches);
        if needs > max_needs {
            problems.push(too_many_needs(&id, needs, max_needs, "", "give the image fewer parents or fewer platforms"));
        }
        if build.timeout > MAX_TIMEOUT {
            // Only a written timeout exceeds the limit: the default is far below it.
            problems.push(timeout_too_long(
                &id,
                format!("`timeout: {}`; GitLab allows at most a month ({MAX_TIMEOUT})", build.timeout),
                "shorten the image's timeout",
            ));
        }
        caches(&id, &build.caches, &mut problems);
    }
    for run in &plan.runs {
        let id = run.id();
        // GitLab expands a need on a `parallel` job into one need per shard (`a 1/3`, `a 2/3`,
        // …; `Gitlab::Ci::Config::Normalizer#expand_parallelized_needs`) before it checks
        // `ci_needs_size_limit` on the expanded list (`Seed::Build#needs_errors`): "If needs
        // refers to a job that uses the parallel keyword, it depends on all jobs created in
        // parallel". So each needed variant counts once per shard.
        let needed_shards = |n: &crate::plan::Need| shards.get(&n.job).map_or(1, |s| *s as usize);
        let needs = run.needs.iter().map(needed_shards).sum::<usize>() + key_jobs(&run.caches);
        if needs > max_needs {
            let sharded = run.needs.iter().any(|n| needed_shards(n) > 1);
            problems.push(too_many_needs(
                &id,
                needs,
                max_needs,
                if sharded { " (GitLab expands a need on a `parallel` job into one need per shard)" } else { "" },
                match (run.needs.iter().any(|n| matches!(n.job, JobId::Run { .. })), sharded) {
                    (_, true) => "use fewer services built from model images in one job, or need fewer variants or shards of other jobs (GitLab counts a need on a `parallel` job once per shard; a job with the axes of a job it `needs` waits for the matching variants alone)",
                    (true, false) => "use fewer services built from model images in one job, or need fewer variants of other jobs (a job with the axes of a job it `needs` waits for the matching variants alone)",
                    (false, false) => "use fewer services built from model images in one job",
                },
            ));
        }
        if let Some(shards) = run.shards
            && shards > MAX_PARALLEL
        {
            problems.push(over(
                &id,
                Diagnostic::new(
                    "too-many-shards",
                    id.origin(),
                    format!("`parallel: {shards}`; GitLab allows {MAX_PARALLEL}"),
                ),
                "split the job",
            ));
        }
        if run.retry > MAX_RETRY {
            problems.push(over(
                &id,
                Diagnostic::new(
                    "too-many-retries",
                    id.origin(),
                    format!("`retry: {}`; GitLab allows {MAX_RETRY}", run.retry),
                ),
                "retry at most twice",
            ));
        }
        if let (Some(timeout), Some(attempt)) = (run.timeout, run.attempt_timeout())
            && attempt > MAX_TIMEOUT
        {
            // One timeout comes to the total; with the services' waits, the two come to it.
            let (waits, verb) = match run.service_waits().as_secs() {
                0 => (String::new(), "comes"),
                _ => (
                    format!(
                        " and its services' health checks (`{}`), which GitLab's timeout covers too,",
                        run.service_waits()
                    ),
                    "come",
                ),
            };
            problems.push(timeout_too_long(
                &id,
                format!(
                    "`timeout: {timeout}`{waits} {verb} to {attempt}; GitLab allows at most a month ({MAX_TIMEOUT})"
                ),
                "shorten the timeout",
            ));
        }
        caches(&id, &run.caches, &mut problems);
    }
    if let Some(max_jobs) = plan.raised.gitlab_jobs {
        let jobs = job_count(plan);
        if jobs > max_jobs {
            problems.push(
                Diagnostic::new(
                    "too-many-jobs",
                    crate::model::ModelPath::keys(["limits", "gitlab", "jobs"]),
                    format!("GitLab limit: the pipeline would have {jobs} jobs (builds, platform builds, job variants and shards, cache-key jobs); the instance allows {max_jobs} (ci_pipeline_size)"),
                )
                .label("the instance's limit")
                .help("split the model into several models (one pipeline each), or raise the instance's ci_pipeline_size and this figure with it"),
            );
        }
    }
    let max_config = plan.raised.gitlab_config_bytes.unwrap_or(MAX_CONFIG_BYTES);
    // Measured while writing: what parsed_size would read back, without reading.
    let size = file.tree_size.unwrap_or_else(|| parsed_size(&file.text));
    let over = match file.stopped {
        // Writing stopped once the pipeline was certain to pass the limit.
        Some(stopped) => Some(format!("more than {max_config} bytes once parsed ({})", stopped.describe("bytes"))),
        None => (size > max_config).then(|| format!("about {size} bytes once parsed")),
    };
    if let Some(over) = over {
        let message =
            format!("the GitLab pipeline would take {over}; GitLab allows {max_config} (max_yaml_size_bytes)");
        let diagnostic = if plan.raised.gitlab_config_bytes.is_some() {
            // The model's own figure is what the pipeline passes.
            Diagnostic::new("pipeline-too-large", crate::model::ModelPath::keys(["limits", "gitlab", "config_bytes"]), message)
                .label("the instance's limit")
                .help("split the model into several models (one pipeline each), or raise the instance's max_yaml_size_bytes and this figure with it")
        } else {
            Diagnostic::new("pipeline-too-large", crate::emit::jobs_section(plan), message)
                .at_key()
                .label("too many builds and jobs for one pipeline")
                .help("split the model into several models (one pipeline each), or, on self-managed GitLab whose administrator raised max_yaml_size_bytes, set `limits: { gitlab: { config_bytes: N } }`")
        };
        problems.push(diagnostic);
    }
    problems
}

/// The jobs GitLab creates for the pipeline: one per build, platform build and job variant, a
/// `parallel` job's shards each, and the cache-key jobs.
fn job_count(plan: &Plan) -> usize {
    let builds: usize = plan.builds.iter().map(|b| b.platform_job_count() + 1).sum();
    let runs: usize = plan.runs.iter().map(|r| r.shards.map_or(1, |s| s as usize)).sum();
    let caches = plan.builds.iter().flat_map(|b| &b.caches).chain(plan.runs.iter().flat_map(|r| &r.caches));
    builds + runs + key_jobs(caches)
}

/// The cache-key jobs `caches` need: one per cache with more key files than `cache:key:files`
/// takes.
fn key_jobs<'a>(caches: impl IntoIterator<Item = &'a CacheUse>) -> usize {
    let mut names: Vec<&str> =
        caches.into_iter().filter(|c| c.key_files.len() > MAX_KEY_FILES).map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.len()
}

fn caches(id: &JobId, caches: &[CacheUse], problems: &mut Vec<Diagnostic>) {
    // Each model cache is an exact entry, and a rolling one when it has key files.
    let entries: usize = caches.iter().map(|c| if c.key_files.is_empty() { 1 } else { 2 }).sum();
    if entries > MAX_CACHES {
        problems.push(over(
            id,
            Diagnostic::new(
                "too-many-caches",
                id.origin(),
                format!(
                    "its {} caches would be {entries} GitLab cache entries; GitLab runs {MAX_CACHES}",
                    caches.len()
                ),
            ),
            "use at most two caches with key files in one job",
        ));
    }
}

fn job_name(id: &JobId, name: &str, problems: &mut Vec<Diagnostic>) {
    let length = name.chars().count();
    if length > MAX_JOB_NAME {
        problems.push(over(
            id,
            Diagnostic::new(
                "job-name-too-long",
                id.origin(),
                format!(
                    "its GitLab job name would have {length} characters (with a shard's ` <i>/<n>` where it has shards); GitLab allows {MAX_JOB_NAME}"
                ),
            ),
            "shorten the name or the axis values",
        ));
    }
}

/// `counted` says how `needs` was counted where that is not plain.
fn too_many_needs(id: &JobId, needs: usize, max: usize, counted: &str, fix: &str) -> Diagnostic {
    over(
        id,
        Diagnostic::new(
            "too-many-needs",
            id.origin(),
            format!("it would need {needs} jobs{counted}; GitLab allows {max}"),
        ),
        &format!(
            "{fix}; on self-managed GitLab whose administrator raised ci_needs_size_limit, set `limits: {{ gitlab: {{ needs: N }} }}`"
        ),
    )
}

/// `diagnostic`, said as a GitLab limit of the job `id`, with its fix.
/// A timeout diagnostic at the `timeout` value that causes it, when the model writes one; at
/// the job or image otherwise (a default timeout with retries or service waits).
/// A timeout over GitLab's limit, located at the `timeout` the model writes (only a written one
/// can be: the defaults are far below it).
fn timeout_too_long(id: &JobId, message: String, fix: &str) -> Diagnostic {
    over(id, Diagnostic::new("timeout-too-long", id.origin(), message), fix).at_value_of("timeout")
}

fn over(id: &JobId, diagnostic: Diagnostic, fix: &str) -> Diagnostic {
    // A name over a limit can be hundreds of characters: said once, shortened like quoted values.
    let (name, id) = (names::job(id), id.to_string());
    let (name, id) = (crate::model::printable::shorten(&name, 120), crate::model::printable::shorten(&id, 120));
    let message = format!("GitLab limit: {name} ({id}): {}", diagnostic.message);
    Diagnostic { message, ..diagnostic }.at_key().label("over a GitLab limit").help(fix.to_string())
}

/// An estimate of the memory Ruby takes for the parsed YAML, which GitLab measures: about 40
/// bytes per object besides its text, and 8 bytes per collection entry (24 per mapping entry).
/// It overestimates a little, so a pipeline it accepts is accepted. An alias counts as a copy of
/// the node it names. Measured while parsing, from the parser's events: no tree is built (the
/// tree of a large pipeline took most of a refused `emit`).
pub fn parsed_size(text: &str) -> usize {
    use saphyr_parser::{Event, Parser, ScalarStyle};
    let mut size = TreeSize::default();
    // Each open collection's anchor, to record its size when it closes.
    let mut anchors: Vec<usize> = Vec::new();
    let mut anchored: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let Ok((event, _)) = next else { return text.len() * 4 };
        match event {
            Event::Scalar(value, style, anchor, _) => {
                // A plain number, boolean or null is an object without text.
                let string = !(style == ScalarStyle::Plain && crate::yaml::reads_as_non_string(&value));
                let measured = size.scalar(string.then_some(value.as_ref()));
                if anchor > 0 {
                    anchored.insert(anchor, measured);
                }
            }
            Event::Alias(id) => size.node(anchored.get(&id).copied().unwrap_or(crate::yaml::tree_size::OBJECT)),
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                size.open(matches!(event, Event::MappingStart(..)));
                anchors.push(anchor);
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let measured = size.close();
                if let Some(anchor) = anchors.pop()
                    && anchor > 0
                {
                    anchored.insert(anchor, measured);
                }
            }
            _ => {}
        }
    }
    size.total()
}
