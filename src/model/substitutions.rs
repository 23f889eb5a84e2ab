//! `${…}` wherever the model substitutes it: every reference names something in scope there,
//! and every path is still a path once the variant's values are in place.
//!
//! Where each form works:
//!
//! | text | `${axis}`, `${axis.field}` | `${parent:image}`, `${parent:image.tag}` |
//! |---|---|---|
//! | an image's `args` | the image's axes | its parents |
//! | an image's `context`, `dockerfile`, `inputs` | the image's axes | — |
//! | a cache's `paths` | the axes of every image and job that uses the cache | — |
//! | a job's `env` | the job's axes | — |
//! | a job's `script` | `${axis.field}` only (`${axis}` is the shell's, the axis being a variable) | — |

use std::collections::HashSet;

use super::diagnostic::Diagnostic;
use super::path::ModelPath;
use super::suggest;
use super::types::Model;
use super::withheld::Unsound;
use crate::graph::ImageGraph;
use crate::template::{self, Reference};
use crate::variant::{Variant, substitute};

/// `${{ … }}`, GitHub Actions' expression syntax, where `written` (a reference of `text`) starts
/// one. A model's values reach both platforms as data and never as expressions, so it would be
/// neither evaluated nor kept: what the user meant is a secret (a job's `secrets`), a platform
/// variable the script reads, or the literal text (`$${{`).
pub(super) fn github_expression(at: &ModelPath, text: &str, written: &str, owner: &str) -> Option<Diagnostic> {
    if !written.starts_with("${{") {
        return None;
    }
    // `written` is a slice of `text`: the expression runs from it to the first `}}` after it.
    let start = written.as_ptr() as usize - text.as_ptr() as usize;
    let end = text[start..].find("}}").map_or(text.len(), |end| start + end + 2);
    let expression = &text[start..end];
    let inner = expression.trim_start_matches("${{").trim_end_matches("}}").trim();
    let help = match inner.strip_prefix("secrets.") {
        Some(secret) if !secret.is_empty() && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => format!(
            "name the secret in the job's `secrets` (`secrets: [{secret}]`) and read `${secret}` in its script; write `$${{{{` for the literal text"
        ),
        _ => "model values reach both platforms as data: read a platform variable in the script (`$NAME`), name a secret in the job's `secrets`, or write `$${{` for the literal text".to_string(),
    };
    Some(
        Diagnostic::new(
            "github-expression",
            at.clone(),
            format!("`{expression}` in {owner} is a GitHub Actions expression, which a model cannot hold"),
        )
        .label("an expression, not a value")
        .help(help),
    )
}

/// Every problem of the model's `${…}`.
/// Images and jobs whose scope an error broke are left out ([`Unsound`]), and so are the caches
/// they use.
pub fn check(model: &Model, graph: &ImageGraph<'_>, unsound: &Unsound<'_>) -> Vec<Diagnostic> {
    let mut checker = Checker { model, found: Vec::new(), reported: HashSet::new() };
    for (name, image) in model.images.iter().filter(|(name, _)| !unsound.image(name)) {
        let owner = format!("image `{name}`");
        let at = ModelPath::keys(["images", name.as_str()]);
        let axes = graph.axes(name);
        let parents = graph.parents(name);
        let args = Scope { axes: &axes, parents: Some(&parents) };
        for (arg, value) in &image.args {
            checker.template(&at.key("args").key(arg.as_str()), value, &args, &owner);
        }
        let paths = Scope { axes: &axes, parents: None };
        let mut templates: Vec<(ModelPath, &str, PathKind)> = Vec::new();
        if let Some(context) = &image.context {
            templates.push((at.key("context"), context, PathKind::Plain));
        }
        if let Some(dockerfile) = &image.dockerfile {
            templates.push((at.key("dockerfile"), dockerfile, PathKind::Plain));
        }
        for (i, input) in image.inputs.iter().enumerate() {
            templates.push((at.key("inputs").index(i), &input.0, PathKind::Glob));
        }
        templates.retain(|(_, text, _)| template::is_template(text));
        let sound: Vec<bool> =
            templates.iter().map(|(path, text, _)| checker.template(path, text, &paths, &owner)).collect();
        let templates: Vec<_> = templates.into_iter().zip(sound).filter(|(_, ok)| *ok).map(|(t, _)| t).collect();
        if !templates.is_empty() {
            for variant in graph.variants(name) {
                for (path, text, kind) in &templates {
                    checker.substituted_path(path, text, *kind, &variant, &owner);
                }
            }
        }
    }
    for (name, job) in model.jobs.iter().filter(|(name, _)| !unsound.job(name)) {
        let owner = format!("job `{name}`");
        let at = ModelPath::keys(["jobs", name.as_str()]);
        let axes = crate::plan::job_axes(model, graph, job);
        let scope = Scope { axes: &axes, parents: None };
        for (key, value) in &job.env {
            checker.template(&at.key("env").key(key.as_str()), value, &scope, &owner);
        }
        for (i, line) in job.script.iter().enumerate() {
            checker.script(&at.key("script").index(i), line, &axes, &owner);
        }
    }
    // A cache's paths are checked in the scope of every user: not while one user's scope is unsound.
    let image_caches = model.images.iter().filter(|(name, _)| unsound.image(name)).flat_map(|(_, i)| &i.caches);
    let job_caches = model.jobs.iter().filter(|(name, _)| unsound.job(name)).flat_map(|(_, j)| &j.caches);
    let withheld: HashSet<&str> = image_caches.chain(job_caches).map(|c| c.0.as_str()).collect();
    for (name, cache) in model.caches.iter().filter(|(name, _)| !withheld.contains(name.as_str())) {
        checker.cache_paths(name, cache.paths.iter().map(|p| p.0.as_str()).collect(), graph);
    }
    checker.found
}

/// What a text may refer to where it is written.
struct Scope<'s> {
    axes: &'s [String],
    /// The images whose references it may use; `None` where no parent reference works.
    parents: Option<&'s [&'s str]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PathKind {
    /// No glob characters.
    Plain,
    /// An input: globs allowed.
    Glob,
}

struct Checker<'m> {
    model: &'m Model,
    found: Vec<Diagnostic>,
    /// (where, substituted text) already reported, so each bad path is reported once.
    reported: HashSet<(ModelPath, String)>,
}

impl Checker<'_> {
    /// The fields `${axis.…}` can name: `value`, then the axis entries' own.
    fn fields(&self, axis: &str) -> Vec<&str> {
        let own = self.model.axes.get(axis).and_then(|entries| entries.first());
        std::iter::once("value").chain(own.into_iter().flat_map(|e| e.fields().map(|(k, _)| k))).collect()
    }

    /// Check every reference of `text`; whether all were sound.
    fn template(&mut self, at: &ModelPath, text: &str, scope: &Scope<'_>, owner: &str) -> bool {
        let pieces = match template::pieces(text) {
            Ok(pieces) => pieces,
            Err(template::Unterminated) => {
                self.found.push(
                    Diagnostic::new("bad-substitution", at.clone(), format!("unterminated `${{` in {owner}"))
                        .label("`${` without `}`")
                        .help("write `${axis}` to insert an axis value, or `$$` for a literal `$`"),
                );
                return false;
            }
        };
        let before = self.found.len();
        for piece in pieces {
            let template::Piece::Reference { written, reference } = piece else { continue };
            if let Some(diagnostic) = github_expression(at, text, written, owner) {
                self.found.push(diagnostic);
                continue;
            }
            match reference {
                Reference::Axis { axis, field } => self.axis_reference(at, written, axis, field, scope.axes, owner),
                Reference::Parent { image, part } => self.parent_reference(at, written, image, part, scope, owner),
            }
        }
        self.found.len() == before
    }

    fn axis_reference(
        &mut self,
        at: &ModelPath,
        written: &str,
        axis: &str,
        field: Option<&str>,
        scope: &[String],
        owner: &str,
    ) {
        if !scope.iter().any(|a| a == axis) {
            let diagnostic = if self.model.axes.contains_key(axis) {
                Diagnostic::new(
                    "axis-not-in-scope",
                    at.clone(),
                    format!("`{written}` is used in {owner}, which does not vary over axis `{axis}`"),
                )
                .label("not an axis of this image or job")
                .help(format!("add `{axis}` to its `axes` (or to a parent's), or remove `{written}`"))
            } else {
                Diagnostic::new("unknown-axis", at.clone(), format!("`{written}` in {owner} names no axis"))
                    .label("not an axis")
                    .help(match suggest::did_you_mean(axis, self.model.axes.keys().map(String::as_str)) {
                        Some(hint) => hint,
                        None => "only axes can be substituted here; write `$${…}` for a literal `${…}`".to_string(),
                    })
            };
            self.found.push(diagnostic);
            return;
        }
        let Some(field) = field else { return };
        let fields = self.fields(axis);
        if fields.contains(&field) {
            return;
        }
        let listed = fields.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ");
        self.found.push(
            Diagnostic::new(
                "unknown-axis-field",
                at.clone(),
                format!("`{written}` in {owner}: axis `{axis}` has no field `{field}`"),
            )
            .label("no such field")
            .help(match suggest::did_you_mean(field, fields.iter().copied()) {
                Some(hint) => format!("{hint} (the fields of `{axis}`: {listed})"),
                None => format!(
                    "the fields of `{axis}`: {listed}; give every entry the field, e.g. `{{ value: \"…\", {field}: \"…\" }}`"
                ),
            }),
        );
    }

    fn parent_reference(
        &mut self,
        at: &ModelPath,
        written: &str,
        image: &str,
        part: Option<&str>,
        scope: &Scope<'_>,
        owner: &str,
    ) {
        let Some(parents) = scope.parents else {
            self.found.push(
                Diagnostic::new("parent-reference", at.clone(), format!("`{written}` in {owner} cannot be used here"))
                    .label("not a build argument")
                    .help("a parent's reference is known when its image is built: `${parent:NAME}` works in an image's `args` only"),
            );
            return;
        };
        if !parents.contains(&image) {
            let help = match suggest::did_you_mean(image, parents.iter().copied()) {
                Some(hint) => hint,
                None if self.model.images.contains_key(image) => {
                    format!("`{image}` is an image of this model, but not a parent of this one: add it to `from`")
                }
                None if parents.is_empty() => "this image has no parents (`from`)".to_string(),
                None => {
                    format!("its parents: {}", parents.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", "))
                }
            };
            self.found.push(
                Diagnostic::new("unknown-parent", at.clone(), format!("`{written}` in {owner} names no parent of it"))
                    .label("not a parent")
                    .help(help),
            );
            return;
        }
        if let Some(part) = part
            && part != "tag"
        {
            self.found.push(
                Diagnostic::new(
                    "bad-substitution",
                    at.clone(),
                    format!("`{written}` in {owner}: a parent has no `{part}`"),
                )
                .label("not `tag`")
                .help(format!(
                    "write `${{parent:{image}}}` for its full reference (registry, name, tag) or `${{parent:{image}.tag}}` for its tag"
                )),
            );
        }
    }

    /// `${axis.field}` in a script: the job's variable `<axis>_<field>` stands for it.
    fn script(&mut self, at: &ModelPath, script: &str, scope: &[String], owner: &str) {
        for reference in template::script_references(script) {
            let written = &script[reference.span.0..reference.span.1];
            self.axis_reference(at, written, reference.axis, Some(reference.field), scope, owner);
        }
    }

    /// A cache's paths, for each image and job that uses it: its references in their scope, and
    /// the substituted paths sound in each of their variants.
    fn cache_paths(&mut self, cache: &str, paths: Vec<&str>, graph: &ImageGraph<'_>) {
        let templates: Vec<(usize, &str)> =
            paths.into_iter().enumerate().filter(|(_, p)| template::is_template(p)).collect();
        if templates.is_empty() {
            return;
        }
        let mut users: Vec<(String, Vec<String>, Vec<Variant>)> = Vec::new();
        for (name, image) in &self.model.images {
            if image.caches.iter().any(|c| c.0 == cache) {
                users.push((format!("image `{name}`"), graph.axes(name), graph.variants(name)));
            }
        }
        for (name, job) in &self.model.jobs {
            if job.caches.iter().any(|c| c.0 == cache) {
                let axes = crate::plan::job_axes(self.model, graph, job);
                let variants = Variant::product(&axes, &self.model.axes);
                users.push((format!("job `{name}`"), axes, variants));
            }
        }
        let at = ModelPath::keys(["caches", cache, "paths"]);
        let declared: Vec<String> = self.model.axes.keys().cloned().collect();
        for (i, text) in templates {
            let path = at.index(i);
            // First what the text names at all, then, per user, whether the user varies over it.
            let anywhere = Scope { axes: &declared, parents: None };
            if !self.template(&path, text, &anywhere, &format!("cache `{cache}`")) {
                continue;
            }
            for (user, axes, variants) in &users {
                let owner = format!("cache `{cache}` (used by {user})");
                if self.template(&path, text, &Scope { axes, parents: None }, &owner) {
                    for variant in variants {
                        self.substituted_path(&path, text, PathKind::Plain, variant, &owner);
                    }
                }
            }
        }
    }

    /// A path after substitution: relative, inside the repository, without glob characters
    /// unless it is an input.
    fn substituted_path(&mut self, at: &ModelPath, text: &str, kind: PathKind, variant: &Variant, owner: &str) {
        let Ok(result) = substitute(text, variant) else { return };
        let problem = if result.is_empty() {
            Some("a path cannot be empty")
        } else if result.starts_with('/') {
            Some("a path is relative to the repository root and cannot start with `/`")
        } else if result.split('/').any(|c| c == "..") {
            Some("a path cannot leave the repository through a `..` component")
        } else if result.contains('\\') {
            Some("a path separates directories with `/`; this one holds a `\\`")
        } else if kind == PathKind::Plain && result.contains(['*', '?', '[', ']', '{', '}']) {
            Some("only `inputs` can be globs: this path cannot hold `*`, `?`, `[`, `]`, `{` or `}`")
        } else {
            None
        };
        let Some(problem) = problem else { return };
        if !self.reported.insert((at.clone(), result.clone())) {
            return;
        }
        let field = match at.segments().last() {
            Some(super::path::Segment::Index(_)) => at.parent().map(|p| p.to_string()).unwrap_or_default(),
            _ => at.to_string(),
        };
        let field = field.rsplit('.').next().unwrap_or_default().to_string();
        self.found.push(
            Diagnostic::new(
                "invalid-path",
                at.clone(),
                format!("`{text}` in `{field}` of {owner} is `{result}` for {}: {problem}", variant.describe()),
            )
            .label("not a valid path after substitution")
            .help("the axis values and fields a path uses must keep it a relative path inside the repository; change the value, or the path"),
        );
    }
}
