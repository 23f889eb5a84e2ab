//! How many builds and job runs a model plans, counted before any is made: every combination of
//! an image's or job's axes is one, so a dozen axes of ten values each would be a trillion, and
//! enumerating them would exhaust the machine long before the platforms' own limits could be
//! checked. A pipeline holds far fewer: GitLab reads at most 2 MB of configuration and GitHub
//! 512,000 bytes of workflow, a few thousand jobs either way, so a model over [`MAX_PLANNED`] can
//! never be emitted and is refused here, with the counts, before anything is enumerated. So is
//! a job whose runs would wait for more runs of the jobs it needs than any pipeline could hold.

use super::diagnostic::Diagnostic;
use super::path::ModelPath;
use super::types::Model;
use crate::graph::ImageGraph;

/// The most builds and job runs (variants, before shards) pipegen plans for one model: ten times
/// what the largest pipeline either platform accepts could hold.
pub const MAX_PLANNED: u64 = 50_000;

/// One error per image or job with more variants than [`MAX_PLANNED`], or one for the whole model
/// when only their sum is over it.
pub fn check(model: &Model, graph: &ImageGraph<'_>) -> Vec<Diagnostic> {
    let count = |axes: &[String]| {
        axes.iter()
            .map(|axis| model.axes.get(axis).map_or(1, |values| values.len() as u64))
            .fold(1u64, u64::saturating_mul)
    };
    let mut found = Vec::new();
    let mut total = 0u64;
    for name in model.images.keys() {
        let axes = graph.axes_of(name);
        let variants = count(axes);
        total = total.saturating_add(variants);
        if variants > MAX_PLANNED {
            let at = ModelPath::keys(["images", name.as_str()]);
            let at = if model.images[name].axes.is_empty() { at } else { at.key("axes") };
            found.push(too_many(at, &format!("image `{name}`"), "builds", variants, axes, model));
        }
    }
    for (name, job) in &model.jobs {
        let axes = crate::plan::job_axes(model, graph, job);
        let variants = count(&axes);
        total = total.saturating_add(variants);
        if variants > MAX_PLANNED {
            let at = ModelPath::keys(["jobs", name.as_str()]);
            let at = if job.axes.is_empty() { at } else { at.key("axes") };
            found.push(too_many(at, &format!("job `{name}`"), "runs", variants, &axes, model));
        }
    }
    found.extend(too_many_needs(model, graph));
    if found.is_empty() && total > MAX_PLANNED {
        found.push(
            Diagnostic::new(
                "too-many-variants",
                ModelPath::root(),
                format!(
                    "the model plans {} builds and job runs in all (one per combination of each image's and job's axes); pipegen plans at most {}",
                    thousands(total),
                    thousands(MAX_PLANNED)
                ),
            )
            .label("too many variants in all")
            .help("a pipeline of either platform holds a few thousand jobs (GitLab reads at most 2 MB of configuration, GitHub 512,000 bytes of workflow): split the model into several, or vary fewer images over the axes"),
        );
    }
    found
}

fn too_many(at: ModelPath, owner: &str, what: &str, variants: u64, axes: &[String], model: &Model) -> Diagnostic {
    let factors: Vec<String> =
        axes.iter().map(|axis| format!("{axis} ({})", model.axes.get(axis).map_or(1, Vec::len))).collect();
    let count = if variants == u64::MAX { "more than 18 quintillion".to_string() } else { thousands(variants) };
    Diagnostic::new(
        "too-many-variants",
        at,
        format!(
            "{owner} varies over {} axes, {}: {count} {what}; pipegen plans at most {}",
            axes.len(),
            factors.join(" × "),
            thousands(MAX_PLANNED)
        ),
    )
    .label("too many combinations")
    .help("each combination of values is one job, and a pipeline of either platform holds a few thousand (GitLab reads at most 2 MB of configuration, GitHub 512,000 bytes of workflow): vary it over fewer axes or fewer values (its parents' axes count too)")
}

/// The most runs of needed jobs that the runs of one job wait for, in all, that pipegen plans.
/// Each variant of a job waits for the variants of a job it needs that agree with it on the axes
/// they share, all of them when they share none: two jobs within [`MAX_PLANNED`] sharing no axis
/// would be hundreds of millions of needs, held in memory before any platform limit could refuse
/// them. GitLab takes 50 needs per job, GitHub a workflow of 512,000 bytes (tens of thousands of
/// needs): this is ten times what either holds.
pub const MAX_PLANNED_NEEDS: u64 = 500_000;

/// One error per job whose runs would wait for more than [`MAX_PLANNED_NEEDS`] runs of the jobs
/// it needs, counted from the axes without enumerating a variant.
fn too_many_needs(model: &Model, graph: &ImageGraph<'_>) -> Vec<Diagnostic> {
    let size = |axis: &String| model.axes.get(axis).map_or(1, |values| values.len() as u64);
    let mut found = Vec::new();
    for (name, job) in &model.jobs {
        let axes = crate::plan::job_axes(model, graph, job);
        let variants = axes.iter().map(size).fold(1u64, u64::saturating_mul);
        let mut waits = 0u64;
        for needed in &job.needs {
            let Some(other) = model.jobs.get(needed.0.as_str()) else { continue };
            // Each run waits for the needed job's runs that agree on the shared axes: the product
            // of the needed job's other axes.
            let each = crate::plan::job_axes(model, graph, other)
                .iter()
                .filter(|axis| !axes.contains(axis))
                .map(size)
                .fold(1u64, u64::saturating_mul);
            waits = waits.saturating_add(variants.saturating_mul(each));
        }
        if waits > MAX_PLANNED_NEEDS {
            found.push(
                Diagnostic::new(
                    "too-many-needs",
                    ModelPath::keys(["jobs", name.as_str(), "needs"]),
                    format!(
                        "the {} runs of job `{name}` would wait for {} runs of the jobs it needs in all; pipegen plans at most {}",
                        thousands(variants),
                        thousands(waits),
                        thousands(MAX_PLANNED_NEEDS)
                    ),
                )
                .label("too many runs to wait for")
                .help("each run waits for every run of a needed job that agrees with it on the axes both have, all of them when they share none: give the jobs the same axes, or need fewer jobs"),
            );
        }
    }
    found
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(50_000), "50,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
