//! The content-tag recipe as data: what a content tag hashes, part by part.
//!
//! The text hashed is one line per part, in this order:
//!
//! ```text
//! pipegen content tag v5
//! image <name>
//! context <path> <type> <id> | none   # git cat-file --batch-check="%(objecttype) %(objectname)"
//!                                     #   (`commit <id>`, the pinned commit, in a submodule)
//!   or, when an ignore file applies:
//! context <path> sent                 # then one line per file the builder receives:
//! <mode> <type> <id>\t<path>          #   `git ls-tree -r <commit>:<context>`, filtered
//! dockerfile <path> <type> <id> | none
//! input <path> <type> <id> | none      # per input without glob characters, in model order
//! glob <pattern>                      # per glob input, in model order, then one line per file:
//! :000000 <mode> 000… <blob> A\t<path> #   `git diff-tree -r <empty tree> <commit>:<prefix> -- ':(glob)<rest>'`,
//!                                     #   then the gitlinks it reaches (`Glob::reach_pathspecs`),
//! commit <id>                         #   or, for a prefix in a submodule, its pinned commit
//! attributes <path> <type> <id> | none # per `.gitattributes` that may govern how the checkout
//!                                     #   writes what the build reads (`Recipe::attribute_files`)
//! target <target>                     # when set
//! platforms <os/arch> <os/arch>…      # when set: the platforms it is built for, sorted
//! arg <NAME> <bytes>                  # per build argument, sorted by name, then the value and a newline
//! <value>
//! arg-with-parents <NAME> <bytes>     # per argument that refers to parents, sorted by name, then
//! <template>                          #   its template (`${parent:NAME}`, `$$` for `$`) and a newline
//! parent <ARG> <tag>                  # per parent, sorted by argument
//! from <dockerfile>                   # then one line per external base image of the Dockerfile
//! upstream <image> <digest>           #   at the commit (`crate::upstream::from`), in order
//! ```
//!
//! An object id is git's id of the tree or blob at that path in the pipeline's commit
//! (`git cat-file --batch-check`), so a context costs O(depth), not O(files); a glob lists only
//! the subtree under its literal directory prefix. A context with an ignore file (the one its
//! builder reads: [`crate::dockerignore::Builder::ignore_file_candidates`]) lists the files the
//! builder receives instead of its tree id, so a change to an ignored file changes no tag. Git
//! prints paths with `core.quotePath=true`: a name with a byte outside printable ASCII is
//! C-quoted, so every line is ASCII. The tag is the first [`CONTENT_TAG_LEN`] hex digits of the
//! SHA-256 of the text. A base image's digest is its registry's, resolved when the tag is
//! computed (the one written in a reference pinned by digest), so a new upstream image changes
//! the tags of the images built on it, and their children's through their parents' tags. `content_tags` hashes a recipe in Rust; the pipeline's script
//! (`emit::scripts::tag`) writes the same lines from the job's own variables.

use super::{Build, Parent};

/// Length of a content tag, in hex digits of the SHA-256.
pub const CONTENT_TAG_LEN: usize = 24;

/// First line of the hashed recipe: bump it when the recipe changes, so old tags are not reused.
pub const CONTENT_TAG_HEADER: &str = "pipegen content tag v5";

/// What a content tag hashes, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipe {
    pub parts: Vec<Part>,
}

/// One part of a recipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A line as it is (never holds a newline).
    Line(String),
    /// `<label> <path> <object id>`: git's id of the tree or blob at `path`, `none` when absent.
    Object { label: &'static str, path: String },
    /// The build context: `context <path> <object id>`, or, when an ignore file applies,
    /// `context <path> sent` and the files the builder receives.
    Context { path: String, dockerfile: String },
    /// `glob <pattern>`, then the files the glob matches under its literal directory prefix.
    Glob(Glob),
    /// `arg <NAME> <bytes>`, then the value (which may hold newlines) and a newline.
    Arg { name: String, value: String },
    /// `arg-with-parents <NAME> <bytes>`, then the template and a newline.
    ArgWithParents { name: String, template: String },
    /// `parent <ARG> <tag>`, the tag being the parent build's, known at run time.
    Parent(Parent),
    /// `from <dockerfile>`, then `upstream <image> <digest>` per external base image.
    Upstream(Upstream),
}

/// What decides a Dockerfile's external base images: the Dockerfile at the commit, the values
/// the build passes for its global `ARG`s, and the arguments naming parents (skipped: the
/// parent's tag is hashed already).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub dockerfile: String,
    /// Build arguments (name, value), as the build passes them.
    pub args: Vec<(String, String)>,
    /// Arguments that name a parent or refer to one.
    pub parent_args: Vec<String>,
}

/// A glob input split at its literal directory prefix: `gitaly/**/*.go` lists
/// `:(glob)**/*.go` inside the tree at `gitaly`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    pub pattern: String,
    /// The directories before the first component with a glob character (`.`: the root).
    pub prefix: String,
    /// The rest of the pattern, relative to `prefix`.
    pub rest: String,
}

impl Glob {
    /// Whether `pattern` has a glob character: [`Glob::parse`] without building the glob.
    pub fn is_glob(pattern: &str) -> bool {
        pattern.contains(['*', '?', '['])
    }

    /// Where an input lies: a glob's literal directory (what it matches lies below it), a plain
    /// path itself. Where a symbolic link on the way to the input can be.
    pub fn literal_part(input: &str) -> String {
        Glob::parse(input).map_or_else(|| input.to_string(), |glob| glob.prefix)
    }

    /// `None` when `pattern` has no glob character (it is then a plain path).
    pub fn parse(pattern: &str) -> Option<Glob> {
        if !Glob::is_glob(pattern) {
            return None;
        }
        let components: Vec<&str> = pattern.split('/').collect();
        let first = components.iter().position(|c| Glob::is_glob(c))?;
        Some(Glob {
            pattern: pattern.to_string(),
            prefix: if first == 0 { ".".to_string() } else { components[..first].join("/") },
            rest: components[first..].join("/"),
        })
    }

    /// The pathspec matched inside that tree.
    pub fn pathspec(&self) -> String {
        format!(":(glob){}", self.rest)
    }

    /// The pathspecs that find, inside that tree, the gitlinks (submodules) the glob reaches
    /// without matching them: a path below a gitlink `L` can match the pattern exactly when `L`
    /// matches one of its leading parts, `rest` up to a `/` (`**/*.go` reaches every gitlink
    /// through `**`, `*/x` reaches `lib` through `*`), so one pathspec per leading part, less
    /// the whole pattern (`:(exclude)`: a gitlink it matches is in its own listing already).
    /// Empty when `rest` is one component: only what it matches itself counts. The tag script's
    /// `pipegen_reach` builds the same list.
    pub fn reach_pathspecs(&self) -> Vec<String> {
        let mut specs: Vec<String> =
            self.rest.match_indices('/').map(|(at, _)| format!(":(glob){}", &self.rest[..at])).collect();
        if !specs.is_empty() {
            specs.push(format!(":(exclude,glob){}", self.rest));
        }
        specs
    }
}

/// The `.gitattributes` files that may govern how a checkout writes what `build` reads, each
/// once, in the order first reached: for the context, the Dockerfile and each plain input, the
/// one in every directory from the root down to the path's own directory; for each glob input,
/// down to and including its literal directory. Their `eol`, `text`, `ident`, `filter` and
/// `working-tree-encoding` attributes change the bytes the runner's checkout writes, so the
/// image. Those inside the context are in its tree already, but the context's ignore file may
/// leave them out of what it hashes, so they are listed too. (`.git/info/attributes` is never
/// in a checkout.) The tag script's `pipegen_governing` builds the same list from the job's
/// variables.
pub fn attribute_files(build: &Build) -> Vec<String> {
    let parent = |path: &str| path.rsplit_once('/').map_or(".", |(dir, _)| dir).to_string();
    let (globs, paths): (Vec<&String>, Vec<&String>) = build.inputs.iter().partition(|input| Glob::is_glob(input));
    let mut reached = vec![parent(&build.context), parent(&build.dockerfile)];
    reached.extend(paths.into_iter().map(|path| parent(path)));
    reached.extend(globs.into_iter().filter_map(|glob| Glob::parse(glob)).map(|glob| glob.prefix));
    let mut files: Vec<String> = Vec::new();
    for dir in reached {
        let mut governing = vec![".gitattributes".to_string()];
        if dir != "." {
            governing.extend(dir.match_indices('/').map(|(at, _)| format!("{}/.gitattributes", &dir[..at])));
            governing.push(format!("{dir}/.gitattributes"));
        }
        for file in governing {
            if !files.contains(&file) {
                files.push(file);
            }
        }
    }
    files
}

impl Recipe {
    /// The recipe of a content-tagged build.
    pub fn of(build: &Build) -> Recipe {
        let mut parts = vec![
            Part::Line(CONTENT_TAG_HEADER.to_string()),
            Part::Line(format!("image {}", build.this.id.image)),
            Part::Context { path: build.context.clone(), dockerfile: build.dockerfile.clone() },
            Part::Object { label: "dockerfile", path: build.dockerfile.clone() },
        ];
        let (globs, paths): (Vec<&String>, Vec<&String>) = build.inputs.iter().partition(|input| Glob::is_glob(input));
        parts.extend(paths.into_iter().map(|path| Part::Object { label: "input", path: path.clone() }));
        parts.extend(globs.into_iter().filter_map(|glob| Glob::parse(glob)).map(Part::Glob));
        parts.extend(attribute_files(build).into_iter().map(|path| Part::Object { label: "attributes", path }));
        if let Some(target) = &build.target {
            parts.push(Part::Line(format!("target {target}")));
        }
        if !build.platforms.is_empty() {
            let names: Vec<&str> = build.platforms.iter().map(|p| p.name()).collect();
            parts.push(Part::Line(format!("platforms {}", names.join(" "))));
        }
        let mut args = build.args.clone();
        args.sort();
        parts.extend(args.into_iter().map(|(name, value)| Part::Arg { name, value }));
        let mut templates = build.parent_args.clone();
        templates.sort();
        parts.extend(templates.into_iter().map(|(name, template)| Part::ArgWithParents { name, template }));
        let mut parents = build.parents.clone();
        parents.sort_by(|a, b| a.arg.cmp(&b.arg));
        let mut parent_args: Vec<String> = parents.iter().map(|p| p.arg.clone()).collect();
        parent_args.extend(build.parent_args.iter().map(|(name, _)| name.clone()));
        parts.extend(parents.into_iter().map(Part::Parent));
        parts.push(Part::Upstream(Upstream {
            dockerfile: build.dockerfile.clone(),
            args: build.args.clone(),
            parent_args,
        }));
        Recipe { parts }
    }

    /// The paths whose git object ids the recipe needs (the context's among them).
    pub fn objects(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Object { path, .. } | Part::Context { path, .. } => Some(path.as_str()),
            _ => None,
        })
    }

    /// The build context and its Dockerfile, whose ignore file decides what the context sends.
    pub fn context(&self) -> Option<(&str, &str)> {
        self.parts.iter().find_map(|p| match p {
            Part::Context { path, dockerfile } => Some((path.as_str(), dockerfile.as_str())),
            _ => None,
        })
    }

    /// What decides the external base images.
    pub fn upstream(&self) -> Option<&Upstream> {
        self.parts.iter().find_map(|p| match p {
            Part::Upstream(upstream) => Some(upstream),
            _ => None,
        })
    }

    /// The glob inputs.
    pub fn globs(&self) -> impl Iterator<Item = &Glob> {
        self.parts.iter().filter_map(|p| match p {
            Part::Glob(glob) => Some(glob),
            _ => None,
        })
    }

    /// The hashed text, given each object's id (`None`: absent), each glob's file lines, the
    /// files a context sends when an ignore file applies (`None`: none applies) and each
    /// parent's tag, and the external base images with their digests.
    pub fn text(
        &self,
        object: impl Fn(&str) -> Option<String>,
        glob_files: impl Fn(&Glob) -> Vec<String>,
        sent_files: impl Fn(&str, &str) -> Option<Vec<String>>,
        parent_tag: impl Fn(&Parent) -> String,
        bases: impl Fn(&Upstream) -> Vec<(String, String)>,
    ) -> String {
        self.rendered(object, glob_files, sent_files, parent_tag, bases).into_iter().fold(
            String::new(),
            |mut text, part| {
                text.push_str(&part.text);
                text.push('\n');
                text
            },
        )
    }

    /// Each part with its text (without the final newline), as [`Recipe::text`] joins them.
    pub fn rendered(
        &self,
        object: impl Fn(&str) -> Option<String>,
        glob_files: impl Fn(&Glob) -> Vec<String>,
        sent_files: impl Fn(&str, &str) -> Option<Vec<String>>,
        parent_tag: impl Fn(&Parent) -> String,
        bases: impl Fn(&Upstream) -> Vec<(String, String)>,
    ) -> Vec<Rendered<'_>> {
        let mut out = Vec::with_capacity(self.parts.len());
        for part in &self.parts {
            let text = match part {
                Part::Line(line) => line.clone(),
                Part::Object { label, path } => {
                    let id = object(path).unwrap_or_else(|| "none".to_string());
                    format!("{label} {path} {id}")
                }
                Part::Context { path, dockerfile } => match sent_files(path, dockerfile) {
                    Some(files) => {
                        let mut text = format!("context {path} sent");
                        for line in files {
                            text.push('\n');
                            text.push_str(&line);
                        }
                        text
                    }
                    None => {
                        let id = object(path).unwrap_or_else(|| "none".to_string());
                        format!("context {path} {id}")
                    }
                },
                Part::Glob(glob) => {
                    let mut text = format!("glob {}", glob.pattern);
                    for line in glob_files(glob) {
                        text.push('\n');
                        text.push_str(&line);
                    }
                    text
                }
                Part::Arg { name, value } => format!("arg {name} {}\n{value}", value.len()),
                Part::ArgWithParents { name, template } => {
                    format!("arg-with-parents {name} {}\n{template}", template.len())
                }
                Part::Parent(parent) => format!("parent {} {}", parent.arg, parent_tag(parent)),
                Part::Upstream(upstream) => {
                    let mut text = format!("from {}", upstream.dockerfile);
                    for (image, digest) in bases(upstream) {
                        text.push_str(&format!("\nupstream {image} {digest}"));
                    }
                    text
                }
            };
            out.push(Rendered { part, text });
        }
        out
    }
}

/// One part of a recipe and the text it adds to the hashed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered<'r> {
    pub part: &'r Part,
    pub text: String,
}

impl Part {
    /// What the part is about, the same in two recipes of one image whatever its value: `context`,
    /// `input <path>`, `arg <NAME>`, `parent <ARG>`… (the first line is `header`).
    pub fn key(&self) -> String {
        match self {
            Part::Line(line) if line.starts_with("pipegen content tag ") => "header".to_string(),
            Part::Line(line) => line.split(' ').next().unwrap_or_default().to_string(),
            Part::Object { label: "input", path } => format!("input {path}"),
            Part::Object { label: "attributes", path } => format!("attributes {path}"),
            Part::Object { label, .. } => label.to_string(),
            Part::Context { .. } => "context".to_string(),
            Part::Glob(glob) => format!("glob {}", glob.pattern),
            Part::Arg { name, .. } | Part::ArgWithParents { name, .. } => format!("arg {name}"),
            Part::Parent(parent) => format!("parent {}", parent.arg),
            Part::Upstream(_) => "upstream".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_split_at_their_literal_directories() {
        let g = Glob::parse("gitaly/**/*.go").unwrap();
        assert_eq!((g.prefix.as_str(), g.rest.as_str()), ("gitaly", "**/*.go"));
        let g = Glob::parse("*.lock").unwrap();
        assert_eq!((g.prefix.as_str(), g.rest.as_str()), (".", "*.lock"));
        let g = Glob::parse("a/b/c?/d").unwrap();
        assert_eq!((g.prefix.as_str(), g.rest.as_str()), ("a/b", "c?/d"));
        assert_eq!(Glob::parse(".tool-versions"), None);
        for pattern in ["gitaly/**/*.go", "a/b/c?/d", "x/[ab]", ".tool-versions", "a/b", "?"] {
            assert_eq!(Glob::is_glob(pattern), Glob::parse(pattern).is_some(), "{pattern}");
        }
    }

    #[test]
    fn a_glob_reaches_gitlinks_through_each_leading_part_of_its_pattern() {
        let reach = |pattern: &str| Glob::parse(pattern).unwrap().reach_pathspecs();
        assert_eq!(reach("vendor/**/*.go"), [":(glob)**", ":(exclude,glob)**/*.go"]);
        assert_eq!(reach("vendor/*/x/*.c"), [":(glob)*", ":(glob)*/x", ":(exclude,glob)*/x/*.c"]);
        // One component: a gitlink counts only when the pattern matches it itself.
        assert!(reach("vendor/*.go").is_empty());
        assert!(reach("vendor/lib/**").is_empty(), "the directory itself is looked up, not reached");
    }
}
