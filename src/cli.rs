//! The command line: clap definitions and dispatch. Each command lives in `commands/`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands::{self, OutputFormat};
use crate::emit::Target;
use crate::error::{Error, stderr_color};
use crate::exit::ExitStatus;
use crate::graph_render::GraphFormat;

/// Compile one model of container images into the CI pipelines that build and test them.
///
/// A model (pipegen.yaml) names base images, the components built from them, the final
/// images, their matrix variants, caches, services and test jobs. pipegen turns it into a
/// GitLab CI file and a GitHub Actions workflow in which every image is rebuilt only when what
/// it is made of changes, and every job starts as soon as what it needs is ready.
#[derive(Debug, Parser)]
#[command(name = "pipegen", version, about, long_about, propagate_version = true)]
#[command(
    after_help = "Exit codes: 0 ok, 1 outputs stale (check), 2 bad model or other error.\nModel reference: docs/model.md"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Where the model is.
#[derive(Debug, clap::Args)]
pub struct ModelArg {
    /// The model file [default: pipegen.yaml in the current directory]
    #[arg(long, short = 'm', value_name = "PATH")]
    pub model: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print one pipeline (--target), or write every file listed under `outputs` in the model.
    ///
    /// Writing is atomic: each file is replaced whole, and nothing is written unless the model
    /// is valid. A file that is already current is left untouched; a file that pipegen did not
    /// generate from this model (by its header) is not replaced without --force.
    Emit {
        /// Print this platform's pipeline on stdout instead of writing the outputs.
        #[arg(long, short = 't', value_enum)]
        target: Option<Target>,
        /// Replace output files that pipegen did not generate from this model (hand-written, or
        /// another model's); they are refused otherwise.
        #[arg(long, conflicts_with = "target")]
        force: bool,
        #[command(flatten)]
        model: ModelArg,
    },
    /// Check that the files under `outputs` are what `emit` would write (for CI and pre-commit).
    ///
    /// Prints a unified diff for each stale or missing file and the command that updates them.
    /// Exits 0 when all are current, 1 when one is stale or missing, 2 when the model is bad.
    Check {
        /// Print only the names of stale or missing files.
        #[arg(long, short = 'q')]
        quiet: bool,
        #[command(flatten)]
        model: ModelArg,
    },
    /// Print the JSON Schema of the model format (for editors and validators).
    Schema,
    /// Show which images a change rebuilds and why, which are new, gone or reused, and which
    /// jobs run.
    ///
    /// From git, pipegen computes every tag of the working tree (with the model as it is now)
    /// and of HEAD, or of --since REV (with the model as REV had it), and reports each build
    /// whose tag differs, with the files, model fields and parents that changed it. With
    /// --changed, it matches the given paths against what each build is made of instead.
    Plan {
        /// Changed paths to plan for, instead of asking git: relative to the current directory
        /// (or absolute), resolved lexically (`.` and `..` removed) to repository paths; a path
        /// outside the repository is an error.
        #[arg(long, num_args = 1.., value_name = "PATH")]
        changed: Option<Vec<PathBuf>>,
        /// Compare with this revision (e.g. origin/main) instead of HEAD.
        #[arg(long, value_name = "REV", conflicts_with = "changed")]
        since: Option<String>,
        /// The platform whose builder's ignore rules apply [default: the model's outputs' platforms]
        #[arg(long, short = 't', value_enum)]
        target: Option<Target>,
        #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        #[command(flatten)]
        model: ModelArg,
    },
    /// Print the tag each image gets at a commit, computed like the pipeline computes it.
    ///
    /// A context with a .dockerignore hashes the files its builder receives (buildah on GitLab,
    /// BuildKit on GitHub); when the two receive different files, a build has a tag per platform
    /// and both are printed, unless --target picks one.
    Tags {
        /// The commit to compute tags for, with the model file as that commit has it (as its
        /// pipeline was generated); the working tree's model when the commit has none.
        #[arg(long, default_value = "HEAD", value_name = "REV")]
        rev: String,
        /// Do not ask registries for the digests of external base images (`FROM debian:12`):
        /// the tags that hash one are marked `offline` and are not the pipeline's
        #[arg(long)]
        offline: bool,
        /// The platform whose builder's ignore rules apply [default: the model's outputs' platforms]
        #[arg(long, short = 't', value_enum)]
        target: Option<Target>,
        #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        #[command(flatten)]
        model: ModelArg,
    },
    /// Write a starting model, DIR/pipegen.yaml, from the repository's Dockerfiles.
    ///
    /// Finds Dockerfiles under DIR (Dockerfile, Containerfile, NAME.Dockerfile, Dockerfile.NAME;
    /// in a git work tree the files git lists, so .gitignore counts; never in .git, target or
    /// node_modules) and infers one image per Dockerfile, plus one per stage another Dockerfile
    /// builds from; parents from FROM, COPY --from and RUN --mount=from= (ARG defaults resolved,
    /// ARG NAME_IMAGE meaning image `name`, tags from build scripts), build contexts from build
    /// scripts or else COPY/ADD sources. It never writes `args`: ARG defaults are listed as
    /// comments, and ARGs without a default get a commented `args` entry to fill in.
    /// Images whose parent cannot be resolved are listed on stderr and in the model as comments,
    /// never guessed. The rules: docs/init.md. Exits 0 when it wrote (or printed) the model.
    Init {
        /// The repository (or the part of it) to adopt.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Replace an existing DIR/pipegen.yaml (it is refused otherwise).
        #[arg(long)]
        force: bool,
        /// Print the model on stdout instead of writing DIR/pipegen.yaml.
        #[arg(long)]
        stdout: bool,
    },
    /// Print the image graph: every build variant and job, grouped by stage.
    Graph {
        /// Mermaid renders in GitHub and GitLab Markdown; dot is for Graphviz.
        #[arg(long, short = 'f', value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
        #[command(flatten)]
        model: ModelArg,
    },
}

/// Run a parsed command line and say how it ended.
pub fn run(cli: Cli) -> Result<ExitStatus, Error> {
    match cli.command {
        Command::Emit { target, force, model } => commands::emit::run(model.model.as_deref(), target, force),
        Command::Check { quiet, model } => commands::check::run(model.model.as_deref(), quiet),
        Command::Schema => commands::schema::run(),
        Command::Init { dir, force, stdout } => commands::init::run(&dir, force, stdout),
        Command::Graph { format, model } => commands::graph::run(model.model.as_deref(), format),
        Command::Plan { changed, since, target, format, model } => {
            let changed = match changed {
                Some(paths) => commands::plan::ChangedPaths::Given(paths),
                None => commands::plan::ChangedPaths::Git { since },
            };
            commands::plan::run(model.model.as_deref(), changed, target, format)
        }
        Command::Tags { rev, offline, target, format, model } => {
            let bases = if offline { commands::tags::Bases::Offline } else { commands::tags::Bases::Resolve };
            commands::tags::run(model.model.as_deref(), &rev, target, format, bases)
        }
    }
}

/// The whole program: parse, run, report, exit.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() { ExitStatus::Error.into() } else { ExitStatus::Success.into() };
        }
    };
    match run(cli) {
        Ok(status) => status.into(),
        Err(error) => {
            commands::print_stderr(&error.render(stderr_color()));
            ExitStatus::Error.into()
        }
    }
}
