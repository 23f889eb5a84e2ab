//! `.dockerignore` as the builders apply it: which files of a build context an image build
//! receives, so that a content tag hashes exactly those.
//!
//! Two builders, two rule sets (see `docs/dockerignore.md` for every difference):
//! [`Builder::BuildKit`] (GitHub Actions: buildx) and [`Builder::Buildah`] (GitLab CI). For each,
//! [`Builder::ignore_file_candidates`] says which file holds the patterns, [`IgnoreFile::parse`]
//! reads them (every error of the file at once, located), and [`IgnoreFile::sent`] filters the
//! context's paths. [`awk::PROGRAM`] is the same filter for the pipeline, in POSIX awk.
//!
//! A pattern whose meaning depends on how a builder happens to translate it into a regular
//! expression (`\d`, `[*]`, `^`, buildah's `+`…) is refused with a clear error instead of
//! guessed: pipegen never hashes a context the builder would see differently.

pub mod awk;
mod go;
mod pattern;
mod reader;
mod walk;

pub use reader::{MAX_PATTERN_BYTES, Pattern};

/// The builder whose rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builder {
    /// BuildKit through buildx (the GitHub Actions pipeline).
    BuildKit,
    /// buildah (the GitLab CI pipeline).
    Buildah,
}

impl Builder {
    /// Its name in messages and in the awk program's `builder` variable.
    pub fn name(self) -> &'static str {
        match self {
            Builder::BuildKit => "buildkit",
            Builder::Buildah => "buildah",
        }
    }

    /// The repository paths that may hold the ignore file of a build of `context` with
    /// `dockerfile` (both repository-relative, as pipegen passes them to the builder), in the
    /// order the builder looks: the first that exists is the only one read, even when empty.
    ///
    /// BuildKit: `<dockerfile>.dockerignore` beside the Dockerfile, else the context's
    /// `.dockerignore`. buildah: `<context>/<dockerfile>.dockerignore`, then
    /// `<context>/<dockerfile>.containerignore` (buildah joins a relative `--file` to the context
    /// directory for this look-up), then the context's `.containerignore`, then `.dockerignore`.
    pub fn ignore_file_candidates(self, context: &str, dockerfile: &str) -> Vec<String> {
        match self {
            Builder::BuildKit => vec![format!("{dockerfile}.dockerignore"), join(context, ".dockerignore")],
            Builder::Buildah => {
                let beside = join(context, dockerfile);
                vec![
                    format!("{beside}.dockerignore"),
                    format!("{beside}.containerignore"),
                    join(context, ".containerignore"),
                    join(context, ".dockerignore"),
                ]
            }
        }
    }
}

/// `dir/name`, with `.` and the empty string meaning the repository root.
fn join(dir: &str, name: &str) -> String {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() || dir == "." { name.to_string() } else { format!("{dir}/{name}") }
}

/// One problem in an ignore file, located.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}\n  help: {help}")]
pub struct IgnoreError {
    /// The ignore file, as named to the caller.
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub help: String,
}

/// Every problem of one ignore file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct IgnoreErrors(pub Vec<IgnoreError>);

/// The patterns of one ignore file, read by one builder's rules.
#[derive(Debug, Clone)]
pub struct IgnoreFile {
    builder: Builder,
    patterns: Vec<Pattern>,
}

impl IgnoreFile {
    /// Read `content` (the ignore file's bytes; `file` names it in errors) as `builder` does.
    pub fn parse(file: &str, content: &[u8], builder: Builder) -> Result<IgnoreFile, IgnoreErrors> {
        let patterns = reader::read(file, content, builder).map_err(IgnoreErrors)?;
        Ok(IgnoreFile { builder, patterns })
    }

    /// No ignore file: every path is sent.
    pub fn none(builder: Builder) -> IgnoreFile {
        IgnoreFile { builder, patterns: Vec::new() }
    }

    pub fn builder(&self) -> Builder {
        self.builder
    }

    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// The paths among `paths` (relative to the context, slash-separated, as git lists files) that
    /// the build receives, in their order. Directories above a path need not be listed.
    pub fn sent<'a, P: AsRef<[u8]> + ?Sized>(&self, paths: impl IntoIterator<Item = &'a P>) -> Vec<&'a P> {
        match self.builder {
            Builder::BuildKit => {
                let mut walk = walk::BuildKitWalk::new(&self.patterns);
                paths.into_iter().filter(|p| walk.sent(p.as_ref())).collect()
            }
            Builder::Buildah => {
                let mut walk = walk::BuildahWalk::new(&self.patterns);
                paths.into_iter().filter(|p| walk.sent(p.as_ref())).collect()
            }
        }
    }

    /// Whether the build receives `path` (relative to the context).
    pub fn is_sent(&self, path: &[u8]) -> bool {
        !self.sent([path]).is_empty()
    }
}

#[cfg(test)]
mod tests;
