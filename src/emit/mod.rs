//! Translating a plan for one platform. Each backend (one folder) names the plan's jobs, owns
//! its limits and renders the plan, and says so in its [`Backend`]; `scripts` holds the shell
//! every backend runs. Backends are listed once, in [`Target::backend`] (and the enum itself,
//! which the command line reads).

pub mod github;
pub mod gitlab;
pub mod scripts;

use std::cell::Cell;
use std::fmt;

use crate::model::Diagnostic;
use crate::plan::Plan;

/// A CI platform pipegen writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Target {
    Gitlab,
    Github,
}

/// What a backend provides.
pub struct Backend {
    /// The platform's name on the command line and in messages.
    pub name: &'static str,
    /// The pipeline of a plan, without the header comment, written to the `extent` asked.
    pub render: fn(&Plan, Extent) -> Rendering,
    /// What in a plan, or in its rendered file, the platform would refuse.
    pub limits: fn(&Plan, &Rendering) -> Vec<Diagnostic>,
}

/// How much of a pipeline to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extent {
    /// All of it, whatever its size.
    Whole,
    /// All of it, unless it passes the size the platform accepts: once it is certain to, the
    /// platform refuses the file whatever follows, and the rest is not written ([`Stopped`]).
    UpToLimit,
}

/// A rendered pipeline.
#[derive(Debug, Clone)]
pub struct Rendering {
    /// The file's text; only its beginning when writing `stopped`.
    pub text: String,
    /// The size of the tree a reader builds from `text` ([`crate::yaml::tree_size`]), measured
    /// while it was written, by a backend whose platform limits it (GitLab).
    pub tree_size: Option<usize>,
    /// Set when writing stopped because the file was certain to pass the platform's size limit.
    pub stopped: Option<Stopped>,
}

/// Where writing a pipeline stopped once it was certain to pass the platform's size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// The plan's jobs begun by then.
    pub jobs_begun: usize,
    /// The plan's jobs in all.
    pub jobs: usize,
    /// The limited measure (bytes, or tree size) of what was written by then: more than the
    /// limit.
    pub measured: usize,
}

/// How many of the plan's jobs a backend's job serializer has begun: where writing stopped,
/// when it stopped ([`Stopped::jobs_begun`]).
#[derive(Debug, Default)]
pub(crate) struct JobsBegun(Cell<usize>);

impl JobsBegun {
    /// Count from zero (a render may write its jobs more than once): the function to call as
    /// each of the plan's jobs is begun.
    pub(crate) fn restart(&self) -> impl Fn() + Copy + '_ {
        self.0.set(0);
        move || self.0.set(self.0.get() + 1)
    }

    pub(crate) fn get(&self) -> usize {
        self.0.get()
    }
}

/// The section of the model a too-large pipeline is blamed on: its images when it has any, else
/// its jobs (a model may have either alone).
pub(crate) fn jobs_section(plan: &Plan) -> crate::model::ModelPath {
    crate::model::ModelPath::keys([if plan.builds.is_empty() { "jobs" } else { "images" }])
}

impl Stopped {
    /// `"by its job 97 of 18000 it takes 514203 bytes"`. No estimate of the whole: jobs differ
    /// too much in size (builds come before runs) for one to be honest.
    pub fn describe(&self, unit: &str) -> String {
        match self.jobs_begun {
            0 => format!("before its first job it takes {} {unit}", self.measured),
            begun => format!("by its job {begun} of {} it takes {} {unit}", self.jobs, self.measured),
        }
    }
}

impl Target {
    pub const ALL: [Target; 2] = [Target::Gitlab, Target::Github];

    /// The backend of each platform: the one list of backends.
    pub fn backend(self) -> &'static Backend {
        match self {
            Target::Gitlab => &gitlab::BACKEND,
            Target::Github => &github::BACKEND,
        }
    }

    pub fn name(self) -> &'static str {
        self.backend().name
    }

    /// The rules of the builder the platform's build jobs run: they decide which files of a
    /// context a build receives, and so its content tag.
    pub fn builder(self) -> crate::dockerignore::Builder {
        match self {
            Target::Gitlab => gitlab::PLATFORM.builder.ignore_rules(),
            Target::Github => github::PLATFORM.builder.ignore_rules(),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The complete file for `target`: header comment, then the pipeline.
pub fn render(plan: &Plan, target: Target) -> String {
    rendering(plan, target).text
}

/// The complete file for `target`, with what was measured while writing it.
pub fn rendering(plan: &Plan, target: Target) -> Rendering {
    rendering_to(plan, target, Extent::Whole)
}

/// The file for `target`, written to `extent`.
fn rendering_to(plan: &Plan, target: Target, extent: Extent) -> Rendering {
    let mut pipeline = (target.backend().render)(plan, extent);
    // In front of the pipeline's text, in its buffer: no second copy of a large output.
    pipeline.text.insert_str(0, &header(plan));
    // The header is comments: the tree is the pipeline's.
    pipeline
}

/// Everything the `targets` would refuse in the pipelines of `plan`, as model errors: a
/// pipeline over a limit is never written.
pub fn check(plan: &Plan, targets: &[Target]) -> Vec<Diagnostic> {
    render_checked(plan, targets).1
}

/// The complete file of each of `targets` (in that order), and everything those platforms would
/// refuse in them: each rendered once, for its limits and then for the commands that write or
/// compare it (rendering is most of `pipegen emit`'s time). A file certain to pass its
/// platform's size limit is not written to its end: with problems, no file is used.
pub fn render_checked(plan: &Plan, targets: &[Target]) -> (Vec<(Target, String)>, Vec<Diagnostic>) {
    let mut rendered = Vec::with_capacity(targets.len());
    let mut problems = Vec::new();
    for &target in targets {
        let file = rendering_to(plan, target, Extent::UpToLimit);
        problems.extend((target.backend().limits)(plan, &file));
        rendered.push((target, file.text));
    }
    (rendered, problems)
}

/// The platforms a model is meant for: those its `outputs` name, or every one when it names none.
pub fn targets_of(model: &crate::model::Model) -> Vec<Target> {
    let named: Vec<Target> = [(Target::Gitlab, &model.outputs.gitlab), (Target::Github, &model.outputs.github)]
        .into_iter()
        .filter_map(|(target, path)| path.as_ref().map(|_| target))
        .collect();
    if named.is_empty() { Target::ALL.to_vec() } else { named }
}

/// The first line of every generated file starts so; the model's path (as
/// [`header_model_name`] writes it) follows, then [`HEADER_MODEL_END`].
pub const HEADER_START: &str = "# Generated by pipegen from ";
pub const HEADER_MODEL_END: &str = ". Do not edit: change the model and run";

/// A model's repository path as the header writes it: one comment line, invisible characters
/// made visible.
pub fn header_model_name(model_file: &str) -> String {
    model_file
        .chars()
        .flat_map(|c| if crate::yaml::unfit_for_comment(c) { c.escape_default().collect::<Vec<_>>() } else { vec![c] })
        .collect()
}

/// Names the model and the command that regenerates the file. No version or date, so output
/// only changes when the model does. The model path is written so that it stays one comment line
/// whatever characters it holds, with its invisible ones visible.
fn header(plan: &Plan) -> String {
    let model = header_model_name(&plan.model_file);
    // A path starting with `-` would be read as an option by the command written here.
    let argument = if model.starts_with('-') { format!("./{model}") } else { model.clone() };
    format!("{HEADER_START}{model}{HEADER_MODEL_END}\n#   pipegen emit --model {}\n", crate::shell::quote(&argument))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headers_command_reads_a_model_named_like_an_option_as_a_path() {
        let loaded = crate::model::load("m.yaml", "pipegen: 1\nname: t\nregistry: r.example/t\n").unwrap();
        let plan = crate::plan::build(&loaded, "-x.yaml").unwrap();
        assert!(header(&plan).ends_with("#   pipegen emit --model ./-x.yaml\n"), "{}", header(&plan));
    }

    #[test]
    fn the_header_stays_two_comment_lines_whatever_the_model_path_holds() {
        let loaded = crate::model::load("m.yaml", "pipegen: 1\nname: t\nregistry: r.example/t\n").unwrap();
        let plan = crate::plan::build(&loaded, "odd\nname: injected\u{2028}x y\u{202E}lmy.yaml").unwrap();
        let text = header(&plan);
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.lines().all(|l| l.starts_with('#')), "{text}");
        assert!(text.contains("odd\\nname: injected\\u{2028}x y\\u{202e}lmy.yaml"), "{text}");
        assert!(text.ends_with("--model 'odd\\nname: injected\\u{2028}x y\\u{202e}lmy.yaml'\n"), "{text}");
    }
}
