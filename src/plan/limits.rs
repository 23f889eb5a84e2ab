//! What only shows once variants are expanded: generated names that collide, and the
//! platforms' limits. Reported as model errors, so a pipeline the platform would reject is
//! never written.

use std::collections::HashMap;

use super::Plan;
use crate::model::{Diagnostic, ModelPath};

/// GitLab: a job may need at most this many jobs.
pub const GITLAB_MAX_NEEDS: usize = 50;

/// Where in the model a planned job comes from.
fn origin(plan: &Plan, index: usize) -> ModelPath {
    let builds = plan.builds.len();
    let offset = usize::from(plan.tags.is_some());
    if index < offset {
        ModelPath::keys(["images"])
    } else if index < offset + builds {
        ModelPath::keys(["images", plan.builds[index - offset].this.image.as_str()])
    } else {
        ModelPath::keys(["jobs", plan.jobs[index - offset - builds].job.as_str()])
    }
}

/// Which build or job of the model the planned job `index` is, for messages.
fn describe(plan: &Plan, index: usize) -> String {
    let offset = usize::from(plan.tags.is_some());
    if index < offset {
        "the tags job".to_string()
    } else if index < offset + plan.builds.len() {
        let build = &plan.builds[index - offset];
        crate::naming::label(&format!("the build of image `{}`", build.this.image), &build.this.variant)
    } else {
        let job = &plan.jobs[index - offset - plan.builds.len()];
        crate::naming::label(&format!("job `{}`", job.job), &job.variant)
    }
}

pub fn check(plan: &Plan) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let names = plan.job_names();

    let mut seen_gitlab: HashMap<&str, usize> = HashMap::new();
    let mut seen_github: HashMap<&str, usize> = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        for (seen, generated, platform) in [
            (&mut seen_gitlab, name.gitlab.as_str(), "GitLab job name"),
            (&mut seen_github, name.github.as_str(), "GitHub job id"),
        ] {
            if let Some(first) = seen.insert(generated, i) {
                problems.push(
                    Diagnostic::new(
                        "name-collision",
                        origin(plan, i),
                        format!(
                            "{} and {} would both get the {platform} `{generated}`",
                            describe(plan, first),
                            describe(plan, i)
                        ),
                    )
                    .at_key()
                    .label("generated name collides")
                    .related(origin(plan, first), "with the job generated here")
                    .help("rename an image, a job or an axis value so the generated names differ"),
                );
            }
        }
    }

    let mut seen_keys: HashMap<&str, usize> = HashMap::new();
    for (i, build) in plan.builds.iter().enumerate() {
        if let Some(first) = seen_keys.insert(build.this.key.as_str(), i) {
            let offset = usize::from(plan.tags.is_some());
            problems.push(
                Diagnostic::new(
                    "name-collision",
                    origin(plan, i + offset),
                    format!(
                        "{} and {} would share the tag variable `{}`",
                        describe(plan, first + offset),
                        describe(plan, i + offset),
                        crate::naming::tag_variable(&build.this.key)
                    ),
                )
                    .at_key()
                    .label("generated variable collides")
                    .related(origin(plan, first + offset), "with this build")
                    .help("axis values that differ only in case or punctuation (`A` and `a`, `3.2` and `3-2`) map to the same variable; rename one"),
            );
        }
    }

    let offset = usize::from(plan.tags.is_some()) + plan.builds.len();
    for (i, job) in plan.jobs.iter().enumerate() {
        if job.needs.len() > GITLAB_MAX_NEEDS {
            problems.push(
                Diagnostic::new(
                    "too-many-needs",
                    origin(plan, i + offset),
                    format!(
                        "job `{}` would need {} jobs; GitLab allows {GITLAB_MAX_NEEDS}",
                        job.name.gitlab,
                        job.needs.len()
                    ),
                )
                .at_key()
                .label("too many needs")
                .help("use fewer services built from model images in one job"),
            );
        }
    }
    problems
}
