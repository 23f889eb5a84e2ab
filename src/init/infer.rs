//! From Dockerfiles to a starting model. Pure: the Dockerfiles (path and text), the build scripts
//! and the repository's file list in; a model, comments for its images, and the images it could
//! not resolve out. docs/init.md states every rule in words; the names below follow it.
//!
//! - Images: one per Dockerfile (its *file image*, which builds the last stage), plus one per
//!   named stage that another Dockerfile builds from (`target:` that stage). When the stage is
//!   named like its Dockerfile's image, that image itself targets it instead. Templated
//!   Dockerfiles (`Dockerfile.j2`) are set aside, once.
//! - Parents: what a Dockerfile's built stages start `FROM` or `COPY --from`, when it names an
//!   image of the repository. `${NAME_IMAGE}` names image `name` (pipegen's own convention);
//!   other variables are expanded with their ARG defaults; a digest is always external; a tag
//!   names the Dockerfile a build script gives it, or whose directory it spells when the
//!   repository builds that image name ([`super::reference`]); otherwise a reference names an
//!   image when its last path component, without tag or digest, is that image's name.
//! - Contexts: among the Dockerfile's directory, its ancestors and (for `name.Dockerfile`) a
//!   directory `name` beside one of them, the deepest relative to which the COPY/ADD sources
//!   exist.
//! - Anything that cannot be resolved is reported, never guessed; so is every image that builds
//!   on it, and every reference left external.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;

use super::args::AUTOMATIC_ARGS;
use super::dockerfile::{self, Dockerfile, Item, ParseError, Scope};
use super::reference::{ImageRef, tag_spells_directory};
use super::scripts::{self, Published};
use super::{parents, sanitize_name};
use crate::model::{self, Image, Model, Outputs};
use crate::template;

/// What `pipegen init` read from a repository.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The model's name (a valid pipegen name); it also names the image of a root Dockerfile.
    pub name: &'a str,
    /// Every Dockerfile: its path relative to the repository root (with `/`), and its text.
    pub dockerfiles: &'a [(String, String)],
    /// Every file of the repository, relative to its root: where COPY sources may lie.
    pub files: &'a [String],
    /// Build scripts (Makefiles, shell scripts, bake files, GitHub workflows): path and text.
    pub scripts: &'a [(String, String)],
    /// Dockerfile templates known by their name (`Dockerfile.j2`), not read.
    pub templates: &'a [String],
    /// Dockerfiles not read because their path goes through a symbolic link that leads out of
    /// the repository: the path, and that link (the target is never read nor shown).
    pub linked_out: &'a [(String, String)],
}

/// A starting model, and what did not make it in.
#[derive(Debug, Clone)]
pub struct Inference {
    pub model: Model,
    /// Per image of the model: what a reviewer should check or change.
    pub notes: BTreeMap<String, Vec<String>>,
    /// Per image (in the model or not): its build arguments, which stay in the Dockerfile.
    pub args: BTreeMap<String, ArgSummary>,
    /// Every FROM and COPY --from left to an image outside the repository, and why.
    pub external: Vec<External>,
    /// Images left out of the model because a parent could not be resolved, by name.
    pub unresolved: Vec<Unresolved>,
    /// Templated Dockerfiles, by name or by content: not images until rendered.
    pub templates: Vec<String>,
}

/// An image pipegen init found but could not place in the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub name: String,
    pub dockerfile: String,
    pub context: String,
    pub target: Option<String>,
    /// The parents it did resolve.
    pub from: Vec<String>,
    pub reasons: Vec<String>,
}

/// A reference an image builds on that stays outside the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct External {
    /// The image (or images, for a stage several build) whose Dockerfile says it.
    pub images: Vec<String>,
    pub dockerfile: String,
    /// `line 1: FROM debian:12`.
    pub what: String,
    pub reason: String,
}

pub use super::args::ArgSummary;

impl Inference {
    /// Moves image `name` out of the model into the not-inferred block with `reason`, and with it
    /// every image built on it (its parent is then not inferred). `pipegen init` does this for an
    /// image its own check refuses (a name too long for the registry, …): one odd Dockerfile
    /// costs its image, not the whole model. Returns whether `name` was in the model.
    pub fn leave_out(&mut self, name: &str, reason: &str) -> bool {
        let Some(image) = self.model.images.shift_remove(name) else { return false };
        // The model's paths double every `$` (template::literal); the block writes them again.
        let context = image.context.as_deref().unwrap_or(".").replace("$$", "$");
        let dockerfile = match &image.dockerfile {
            Some(dockerfile) => dockerfile.replace("$$", "$"),
            None => join(if context == "." { "" } else { &context }, "Dockerfile"),
        };
        let mut from: Vec<String> =
            image.from.as_ref().map(|p| p.iter().map(|(_, parent)| parent.to_string()).collect()).unwrap_or_default();
        from.sort();
        self.notes.remove(name);
        self.unresolved.push(Unresolved {
            name: name.to_string(),
            dockerfile,
            context,
            target: image.target,
            from,
            reasons: vec![reason.to_string()],
        });
        self.unresolved.sort_by(|a, b| a.name.cmp(&b.name));
        let children: Vec<String> = self
            .model
            .images
            .iter()
            .filter(|(_, child)| child.from.as_ref().is_some_and(|p| p.iter().any(|(_, parent)| parent == name)))
            .map(|(child, _)| child.clone())
            .collect();
        for child in children {
            self.leave_out(&child, &format!("its parent `{name}` is not inferred"));
        }
        true
    }
}

/// The registry written into a new model, for the user to replace.
pub fn placeholder_registry(name: &str) -> String {
    format!("registry.example.com/{name}")
}

/// A Dockerfile (index) and one of its stages: an image.
pub(super) type ImageId = (usize, usize);

pub fn infer(input: Input<'_>) -> Inference {
    // A template fails to parse because of its template syntax: set it aside, with the ones
    // known by name, rather than report a parse error per file.
    let (templated, dockerfiles): (Vec<_>, Vec<_>) =
        input.dockerfiles.iter().cloned().partition(|(_, text)| is_templated(text));
    let mut templates: Vec<String> =
        input.templates.iter().cloned().chain(templated.into_iter().map(|(path, _)| path)).collect();
    templates.sort();

    let files = read_files(input.name, &dockerfiles, input.linked_out);
    let index = FileIndex::new(input.files);
    let paths: BTreeSet<String> = files.iter().map(|f| f.path.clone()).collect();
    let scripts::Builds { published, contexts: stated } = scripts::read(input.scripts, &paths);
    // The contexts the scripts build each Dockerfile with, each once (its first source kept).
    let mut stated_contexts: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for s in &stated {
        let contexts = stated_contexts.entry(s.dockerfile.as_str()).or_default();
        if !contexts.iter().any(|(context, _)| *context == s.context) {
            contexts.push((s.context.as_str(), s.source.as_str()));
        }
    }
    let mut built_here: BTreeSet<String> = published.iter().map(|p| ImageRef::parse(&p.reference).name()).collect();
    built_here.insert(input.name.to_string());
    let mut resolver =
        Resolver { files: &files, published: &published, built_here, retarget: BTreeMap::new(), restart: false };
    let facts = resolver.resolve_all();
    let file_target = |df: usize| resolver.file_target(df);

    let names = image_names(&files, &facts, &file_target);
    let reasons = unresolved_reasons(&facts, &names);

    let mut depths = BTreeMap::new();
    for id in facts.keys() {
        if !reasons.contains_key(id) {
            depth(*id, &facts, &mut depths);
        }
    }
    let mut order: Vec<ImageId> = facts.keys().copied().collect();
    order.sort_by_key(|id| (depths.get(id).copied().unwrap_or(0), names[id].clone()));

    let mut images = IndexMap::new();
    let mut notes = BTreeMap::new();
    let mut args = BTreeMap::new();
    let mut unresolved = Vec::new();
    let mut external: Vec<External> = Vec::new();
    for id in order {
        let (df, stage) = id;
        let file = &files[df];
        let fact = &facts[&id];
        for (what, reason) in &fact.external {
            match external.iter_mut().find(|e| e.dockerfile == file.path && e.what == *what) {
                Some(known) => known.images.push(names[&id].clone()),
                None => external.push(External {
                    images: vec![names[&id].clone()],
                    dockerfile: file.path.clone(),
                    what: what.clone(),
                    reason: reason.clone(),
                }),
            }
        }
        let mut image_notes = Vec::new();
        let stated = stated_contexts.get(file.path.as_str()).map_or(&[][..], Vec::as_slice);
        let (mut context, mut context_notes) = infer_context(file, &fact.stages, &index, stated);
        if context.chars().any(model::unfit_in_plain_path) {
            context_notes.push(format!(
                "The directory its COPY sources suggest, {context:?}, cannot be a model's path; its Dockerfile's directory is the context instead."
            ));
            context = match parent_dir(&file.path) {
                "" => ".".to_string(),
                dir => dir.to_string(),
            };
        }
        let target = if file_target(df) == stage && !resolver.retarget.contains_key(&df) {
            None
        } else {
            file.stages[stage].name.clone()
        };
        if let Some(why) = reasons.get(&id) {
            let mut from: Vec<String> = fact.parents.keys().map(|p| names[p].clone()).collect();
            from.sort();
            unresolved.push(Unresolved {
                name: names[&id].clone(),
                dockerfile: file.path.clone(),
                context,
                target,
                from,
                reasons: why.clone(),
            });
            continue;
        }
        let edges = parents::edges(file, fact, &names);
        image_notes.extend(edges.notes);
        if let Some(note) = retarget_note(file, stage, &resolver.retarget, df) {
            image_notes.push(note);
        }
        image_notes.extend(context_notes);
        if context == "." {
            image_notes.push(
                "Its context is the whole repository, so every commit gives it a new content tag; narrow the context if the Dockerfile allows."
                    .to_string(),
            );
        }
        let summary = super::args::summarize(file, &fact.stages, &edges.carriers);
        if !summary.is_empty() {
            args.insert(names[&id].clone(), summary);
        }
        let dockerfile = (file.path != join(if context == "." { "" } else { &context }, "Dockerfile"))
            .then(|| template::literal(&file.path));
        let image = Image {
            context: Some(template::literal(&context)),
            dockerfile,
            from: edges.from,
            target,
            ..Image::default()
        };
        if !image_notes.is_empty() {
            notes.insert(names[&id].clone(), image_notes);
        }
        images.insert(names[&id].clone(), image);
    }
    unresolved.sort_by(|a, b| a.name.cmp(&b.name));
    external.sort_by(|a, b| (&a.dockerfile, &a.what).cmp(&(&b.dockerfile, &b.what)));

    let model = Model {
        pipegen: 1,
        name: input.name.to_string(),
        registry: placeholder_registry(input.name),
        outputs: Outputs { gitlab: Some(".gitlab-ci.yml".to_string()), github: None },
        axes: IndexMap::new(),
        stages: None,
        caches: IndexMap::new(),
        images,
        services: IndexMap::new(),
        jobs: IndexMap::new(),
        limits: Default::default(),
        push: Default::default(),
        platforms: None,
        runners: IndexMap::new(),
        refresh: None,
    };
    Inference { model, notes, args, external, unresolved, templates }
}

/// A text that does not parse as a Dockerfile and has template syntax (`{{ … }}`, `{% … %}`).
fn is_templated(text: &str) -> bool {
    (text.contains("{{") || text.contains("{%")) && dockerfile::parse(text).is_err()
}

/// One Dockerfile, read and named.
pub(super) struct File {
    pub(super) path: String,
    parsed: Result<Dockerfile, ParseError>,
    /// The symbolic link on its path that leads out of the repository, when it does: not read.
    linked_out: Option<String>,
    /// Named by its file name (`gitaly.Dockerfile`, `Dockerfile.lite`), not by its directory.
    named_by_file: bool,
    /// The name its last path component gives it (`images/base/Dockerfile` → `base`).
    short: String,
    /// Its image's name: `short`, lengthened by directories while another Dockerfile has it.
    name: String,
    pub(super) stages: Vec<StageInfo>,
    /// Global ARGs with their defaults as written.
    pub(super) global_args: BTreeMap<String, Option<String>>,
}

impl File {
    /// The path components a tag may spell: the Dockerfile's directory, and its own name for a
    /// Dockerfile named after its image (`images/gitaly.Dockerfile` → `images/gitaly`).
    fn convention_dir(&self) -> String {
        let dir = parent_dir(&self.path);
        if self.named_by_file { join(dir, &self.short) } else { dir.to_string() }
    }
}

/// What one stage uses.
pub(super) struct StageInfo {
    pub(super) name: Option<String>,
    /// Earlier stages of the same Dockerfile it builds on (FROM or COPY --from).
    local: Vec<usize>,
    /// Images it starts FROM or copies from.
    references: Vec<Reference>,
    /// COPY/ADD sources from the build context.
    sources: Vec<SourceRef>,
    /// ARGs it declares, with their default as written (a redeclared global ARG keeps the
    /// global default).
    pub(super) args: Vec<(String, Option<String>)>,
    /// Global ARGs its FROM line uses.
    pub(super) from_globals: Vec<String>,
    /// The name its FROM image gives it (`node:20` → `node`), when that is not a stage.
    base_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    From,
    CopyFrom,
    /// `RUN --mount=…,from=…`: scoped like `COPY --from`.
    MountFrom,
}

/// A FROM or COPY --from that names something outside the Dockerfile.
struct Reference {
    kind: Kind,
    /// `line 3: FROM ${BASE_IMAGE}`, for messages.
    what: String,
    written: String,
    /// The variables it can see.
    scope: Scope,
}

struct SourceRef {
    what: String,
    expanded: Result<String, dockerfile::ExpandError>,
}

fn read_files(repository: &str, dockerfiles: &[(String, String)], linked_out: &[(String, String)]) -> Vec<File> {
    // A Dockerfile behind a link out of the repository is still an image of it, named by its
    // path, that cannot be inferred; its text is not there to parse.
    let entries: Vec<(&String, Result<&String, &String>)> = dockerfiles
        .iter()
        .map(|(path, text)| (path, Ok(text)))
        .chain(linked_out.iter().map(|(path, link)| (path, Err(link))))
        .collect();
    let parts: Vec<(Vec<String>, bool)> = entries.iter().map(|(path, _)| name_parts(path, repository)).collect();
    let names = unique_names(&parts.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>());
    entries
        .into_iter()
        .zip(parts)
        .zip(names)
        .map(|(((path, text), (parts, named_by_file)), name)| {
            let (parsed, linked_out) = match text {
                Ok(text) => (dockerfile::parse(text), None),
                // Unparsed, so that no other Dockerfile resolves a reference to it either.
                Err(link) => (Err(ParseError { line: 0, message: "not read".to_string() }), Some(link.clone())),
            };
            let (stages, global_args) = match &parsed {
                Ok(df) => analyze(df),
                Err(_) => (Vec::new(), BTreeMap::new()),
            };
            File {
                path: path.clone(),
                parsed,
                linked_out,
                named_by_file,
                short: parts.last().cloned().unwrap_or_default(),
                name,
                stages,
                global_args,
            }
        })
        .collect()
}

/// The path components that can name a Dockerfile's image, outermost first:
/// `images/base/Dockerfile` → `[images, base]`, `docker/Dockerfile.lite` → `[docker, lite]`,
/// `gitaly.Dockerfile` → `[gitaly]`; a root `Dockerfile` is named after the repository.
fn name_parts(path: &str, repository: &str) -> (Vec<String>, bool) {
    let mut components: Vec<&str> = path.split('/').collect();
    let file = components.pop().unwrap_or_default();
    let lower = file.to_ascii_lowercase();
    let mut own = None;
    for kind in ["dockerfile", "containerfile"] {
        if let Some(stem) = lower.strip_suffix(kind).and_then(|s| s.strip_suffix('.'))
            && !stem.is_empty()
        {
            own = Some(&file[..stem.len()]);
        } else if let Some(rest) = lower.strip_prefix(kind).and_then(|r| r.strip_prefix('.'))
            && !rest.is_empty()
        {
            own = Some(&file[file.len() - rest.len()..]);
        }
    }
    let mut parts: Vec<String> = components.iter().map(|c| sanitize_name(c)).filter(|c| !c.is_empty()).collect();
    let own = own.map(sanitize_name).filter(|o| !o.is_empty());
    let named_by_file = own.is_some();
    parts.extend(own);
    if parts.is_empty() {
        parts.push(repository.to_string());
    }
    (parts, named_by_file)
}

/// One name per Dockerfile: its last part, and more parts (`images-base`) for those that would
/// share a name, then `-2`, `-3` for any still equal. Inputs are in path order.
fn unique_names(parts: &[Vec<String>]) -> Vec<String> {
    let name = |i: usize, k: usize| parts[i][parts[i].len() - k..].join("-");
    let mut lengths = vec![1; parts.len()];
    loop {
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, k) in lengths.iter().enumerate() {
            groups.entry(name(i, *k)).or_default().push(i);
        }
        let mut grew = false;
        for group in groups.values().filter(|g| g.len() > 1) {
            for &i in group {
                if lengths[i] < parts[i].len() {
                    lengths[i] += 1;
                    grew = true;
                }
            }
        }
        if !grew {
            break;
        }
    }
    let wanted: Vec<String> = lengths.iter().enumerate().map(|(i, k)| name(i, *k)).collect();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut names = Vec::new();
    for base in &wanted {
        let mut candidate = base.clone();
        let mut n = 2;
        while taken.contains(&candidate) || (candidate != *base && wanted.contains(&candidate)) {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        taken.insert(candidate.clone());
        names.push(candidate);
    }
    names
}

/// What each stage of a Dockerfile uses, with variables resolved as BuildKit scopes them: FROM
/// lines see the global ARGs; a stage sees its own ARGs and ENVs, and a global ARG only when it
/// declares it again.
fn analyze(df: &Dockerfile) -> (Vec<StageInfo>, BTreeMap<String, Option<String>>) {
    let mut global: Scope = Scope::new();
    let mut global_raw = BTreeMap::new();
    for arg in &df.global_args {
        let value = arg.default.as_ref().and_then(|d| dockerfile::expand(d, &global).ok());
        global.insert(arg.name.clone(), value);
        global_raw.insert(arg.name.clone(), arg.default.clone());
    }
    let mut stages: Vec<StageInfo> = Vec::new();
    for (t, stage) in df.stages.iter().enumerate() {
        let earlier = |name: &str| df.stages[..t].iter().position(|s| s.name.as_deref() == Some(name));
        // `COPY --from` and `RUN --mount=from=` name an earlier stage (by name or index) or an
        // image: BuildKit builds that stage, or pulls that image, for this one.
        let uses = |info: &mut StageInfo, scope: &Scope, kind: Kind, what: String, from: &str| {
            let expanded = dockerfile::expand(from, scope).map(|f| f.to_ascii_lowercase());
            let local =
                expanded.as_ref().ok().and_then(|f| earlier(f).or_else(|| f.parse::<usize>().ok().filter(|i| *i < t)));
            match local {
                Some(local) => info.local.push(local),
                None => info.references.push(Reference { kind, what, written: from.to_string(), scope: scope.clone() }),
            }
        };
        let mut info = StageInfo {
            name: stage.name.clone(),
            local: Vec::new(),
            references: Vec::new(),
            sources: Vec::new(),
            args: Vec::new(),
            from_globals: dockerfile::variables(&stage.base).into_iter().filter(|v| global.contains_key(v)).collect(),
            base_name: None,
        };
        let base = dockerfile::expand(&stage.base, &global);
        match base.as_ref().ok().and_then(|b| earlier(&b.to_ascii_lowercase())) {
            Some(local) => info.local.push(local),
            None => {
                info.base_name = base.as_ref().ok().map(|b| ImageRef::parse(b).name());
                info.references.push(Reference {
                    kind: Kind::From,
                    what: format!("line {}: FROM {}", stage.line, stage.base),
                    written: stage.base.clone(),
                    scope: global.clone(),
                });
            }
        }
        let mut scope = Scope::new();
        for item in &stage.items {
            match item {
                Item::Arg(arg) => {
                    let (value, raw) = match &arg.default {
                        Some(d) => (dockerfile::expand(d, &scope).ok(), Some(d.clone())),
                        None => {
                            (global.get(&arg.name).cloned().flatten(), global_raw.get(&arg.name).cloned().flatten())
                        }
                    };
                    scope.insert(arg.name.clone(), value);
                    info.args.push((arg.name.clone(), raw));
                }
                Item::Env(pairs) => {
                    for (name, value) in pairs {
                        let value = dockerfile::expand(value, &scope).ok();
                        scope.insert(name.clone(), value);
                    }
                }
                Item::MountFrom(mount) => uses(
                    &mut info,
                    &scope,
                    Kind::MountFrom,
                    format!("line {}: RUN --mount=from={}", mount.line, mount.from),
                    &mount.from,
                ),
                Item::Copy(copy) => match &copy.from {
                    Some(from) => uses(
                        &mut info,
                        &scope,
                        Kind::CopyFrom,
                        format!("line {}: {} --from={}", copy.line, copy.instruction, from),
                        from,
                    ),
                    None => {
                        // BuildKit sets its platform arguments for every build: a source named
                        // after one (`packages/$TARGETARCH.txt`) is one of several files, a glob.
                        let mut platform_scope = scope.clone();
                        for (name, value) in platform_scope.iter_mut() {
                            if value.is_none() && AUTOMATIC_ARGS.contains(&name.as_str()) {
                                *value = Some("*".to_string());
                            }
                        }
                        for source in &copy.sources {
                            info.sources.push(SourceRef {
                                what: format!("line {}: {} source `{source}`", copy.line, copy.instruction),
                                expanded: dockerfile::expand(source, &platform_scope),
                            });
                        }
                    }
                },
            }
        }
        stages.push(info);
    }
    (stages, global_raw)
}

/// How a child names a parent: the build argument pipegen can pass, and the advice for its
/// Dockerfile, depend on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum How {
    /// `${NAME_IMAGE}`, pipegen's convention (with the argument's name).
    Convention(String),
    /// Through build arguments' defaults: the first argument, the expanded reference, and
    /// whether the argument is all the reference is (`FROM $BASE`, not `FROM $REGISTRY/x:$TAG`).
    ViaArg { var: String, value: String, sole: bool },
    /// Written out (`registry.example.com/x/gitaly:latest`).
    Literal(String),
}

enum Resolution {
    Parent(ImageId, How),
    /// Outside the repository, and why (`None` for `scratch`, which is no image at all).
    External(Option<String>),
    Unresolved(String),
}

enum Lookup {
    Found(ImageId),
    NotFound,
    Problem(String),
}

/// One place a Dockerfile names a parent: FROM or COPY --from, `line N: …`, and how.
pub(super) type Mention = (Kind, String, How);

/// What an image is made of, once its references are resolved.
#[derive(Default)]
pub(super) struct Facts {
    /// The stages it builds.
    pub(super) stages: Vec<usize>,
    /// Its parents, each with how it was named (kind, `what`, how).
    pub(super) parents: BTreeMap<ImageId, Vec<Mention>>,
    /// References left outside the repository: `what`, and why.
    external: Vec<(String, String)>,
    problems: Vec<String>,
}

struct Resolver<'a> {
    files: &'a [File],
    /// The tags build scripts give the repository's Dockerfiles.
    published: &'a [Published],
    /// Image names this repository builds under (the model's name, the scripts' names): their
    /// tags may spell a Dockerfile's directory.
    built_here: BTreeSet<String>,
    /// Dockerfiles whose image builds a stage named like it instead of the last stage.
    retarget: BTreeMap<usize, usize>,
    /// Set when a lookup retargets a Dockerfile: everything is resolved again.
    restart: bool,
}

impl Resolver<'_> {
    /// The stage a Dockerfile's own image builds.
    fn file_target(&self, df: usize) -> usize {
        self.retarget.get(&df).copied().unwrap_or_else(|| self.files[df].stages.len().saturating_sub(1))
    }

    /// Every image and its facts: start from the Dockerfiles' images and add the stages they
    /// build from. A retarget changes what an image builds, so it starts everything over (at
    /// most once per Dockerfile).
    fn resolve_all(&mut self) -> BTreeMap<ImageId, Facts> {
        loop {
            self.restart = false;
            let mut facts: BTreeMap<ImageId, Facts> = BTreeMap::new();
            let mut queue: Vec<ImageId> = (0..self.files.len()).map(|df| (df, self.file_target(df))).rev().collect();
            while let Some(id) = queue.pop() {
                if facts.contains_key(&id) {
                    continue;
                }
                let fact = self.facts(id);
                if self.restart {
                    break;
                }
                queue.extend(fact.parents.keys().filter(|p| !facts.contains_key(p)).rev().copied());
                facts.insert(id, fact);
            }
            if !self.restart {
                return facts;
            }
        }
    }

    fn facts(&mut self, (df, stage): ImageId) -> Facts {
        let file = &self.files[df];
        let mut fact = Facts::default();
        if let Some(c) = file.path.chars().find(|c| model::unfit_in_plain_path(*c)) {
            let shown = if c.is_ascii_graphic() { format!("`{c}`") } else { model::printable::describe(c) };
            fact.problems.push(format!(
                "its path holds {shown}, which a model's path cannot (one line, no glob characters): rename the file or its directory"
            ));
            return fact;
        }
        if let Some(link) = &file.linked_out {
            fact.problems.push(format!(
                "its path goes through the symbolic link `{link}`, which leads out of the repository: pipegen does not read it (a build would read what git does not hold); make the link name a file of the repository, relative to the link's own directory"
            ));
            return fact;
        }
        if let Err(error) = &file.parsed {
            fact.problems.push(format!("it cannot be read as a Dockerfile: {error}"));
            return fact;
        }
        fact.stages = closure(file, stage);
        for &t in &fact.stages {
            for reference in &file.stages[t].references {
                match self.resolve(reference, df) {
                    Resolution::Parent(parent, how) => {
                        fact.parents.entry(parent).or_default().push((reference.kind, reference.what.clone(), how));
                    }
                    Resolution::External(Some(reason)) => fact.external.push((reference.what.clone(), reason)),
                    Resolution::External(None) => {}
                    Resolution::Unresolved(reason) => fact.problems.push(reason),
                }
                if self.restart {
                    return fact;
                }
            }
        }
        fact
    }

    fn resolve(&mut self, reference: &Reference, from: usize) -> Resolution {
        let convention = dockerfile::sole_variable(&reference.written).and_then(|var| {
            let stem = var.strip_suffix("_IMAGE").filter(|s| !s.is_empty())?;
            Some((var.clone(), sanitize_name(stem)))
        });
        // `ARG PYTHON_IMAGE=python:3.12-slim`: a default naming a version of Docker Hub's official
        // image of that very name, which no build here gives, is a Dockerfile written for the
        // public image, not for pipegen's convention.
        let public_default = convention.as_ref().is_some_and(|(_, name)| {
            dockerfile::expand(&reference.written, &reference.scope).is_ok_and(|text| {
                let image = ImageRef::parse(&text);
                image.name() == *name
                    && image.digest.is_none()
                    && image.versioned()
                    && image.official()
                    && matches!(self.lookup_tag(&image, from), Lookup::NotFound)
            })
        });
        if let Some((var, name)) = convention.as_ref().filter(|_| !public_default) {
            match self.lookup(name, from, false) {
                Lookup::Found(id) => return Resolution::Parent(id, How::Convention(var.clone())),
                Lookup::Problem(problem) => return Resolution::Unresolved(format!("{}: {problem}", reference.what)),
                Lookup::NotFound => {}
            }
        }
        let text = match dockerfile::expand(&reference.written, &reference.scope) {
            Ok(text) if text.trim().is_empty() => {
                return Resolution::Unresolved(format!("{}: it is empty", reference.what));
            }
            Ok(text) => text,
            Err(error) => {
                let mut reason = format!("{}: {error}", reference.what);
                if let Some((_, name)) = &convention {
                    reason.push_str(&format!(", and no image `{name}` was found in the repository"));
                }
                return Resolution::Unresolved(reason);
            }
        };
        if reference.kind == Kind::From && text.eq_ignore_ascii_case("scratch") {
            return Resolution::External(None);
        }
        // Reasons name the reference only when the line shows something else (`FROM $BASE`).
        let literal = reference.written == text;
        let about = |reason: String| if literal { reason } else { format!("`{text}`: {reason}") };
        let is = |reason: &str| if literal { reason.to_string() } else { format!("`{text}` is {reason}") };
        let image = ImageRef::parse(&text);
        if image.digest.is_some() {
            return Resolution::External(Some(is("pinned by digest: a published image, never this pipeline's build")));
        }
        let how = match dockerfile::variables(&reference.written).into_iter().next() {
            Some(var) => How::ViaArg {
                sole: dockerfile::sole_variable(&reference.written).as_ref() == Some(&var),
                var,
                value: text.clone(),
            },
            None => How::Literal(text.clone()),
        };
        // A bare name (`COPY --from=builder`) is no published image: when it names nothing
        // here, or several things, it is a mistake to report, not an image to pull.
        let published = model::is_external_reference(&text);
        let lookup = match self.lookup_tag(&image, from) {
            Lookup::NotFound if image.versioned() && published => match self.untagged_version(&image) {
                Some(reason) => return Resolution::External(Some(about(reason))),
                None => self.lookup(&image.name(), from, true),
            },
            Lookup::NotFound => self.lookup(&image.name(), from, true),
            found => found,
        };
        match lookup {
            Lookup::Found(id) => Resolution::Parent(id, how),
            Lookup::Problem(problem) if published => Resolution::External(Some(about(problem))),
            Lookup::Problem(problem) => Resolution::Unresolved(format!("{}: {problem}", reference.what)),
            Lookup::NotFound if reference.kind != Kind::From && !published => Resolution::Unresolved(format!(
                "{}: `{text}` is no stage of this Dockerfile and no image found in the repository",
                reference.what
            )),
            Lookup::NotFound if self.built_here.contains(&image.name()) => Resolution::External(Some(about(format!(
                "this repository builds images named `{}`, but no build script tags `{}` and no Dockerfile's directory spells it",
                image.name(),
                image.tag_or_latest()
            )))),
            Lookup::NotFound => Resolution::External(Some(is("not built in this repository"))),
        }
    }

    /// Why a published reference with a version tag that no build gives (no script tags it, no
    /// directory spells it) is not the repository's image of that name: the repository's scripts
    /// tag images of that name, so they say which versions it builds, and this is not one; or it
    /// is Docker Hub's official image (`python:3.12-slim` is `docker.io/library/python`), which
    /// no repository pushes. `None` when the name alone may still mean an image here
    /// (`registry.example.com/gdk/gitaly:main`, a tag the pipeline gives).
    fn untagged_version(&self, image: &ImageRef<'_>) -> Option<String> {
        let name = image.name();
        let tag = image.tag_or_latest();
        if self.built_here.contains(&name) {
            return Some(format!(
                "this repository builds images named `{name}`, but no build script tags `{tag}` and no Dockerfile's directory spells it"
            ));
        }
        if !image.official() {
            return None;
        }
        let here = self.files.iter().any(|f| f.name == name || f.short == name)
            || (0..self.files.len()).any(|df| self.stage_named(df, &name).is_some());
        // Without an image of that name here, the name names nothing either: not built here.
        here.then(|| {
            format!(
                "Docker Hub's official image `docker.io/library/{name}`, not this repository's image `{name}`: no build script tags `{name}:{tag}` (if it is meant, tag it so in a build script, or read it from `${{{}}}`)",
                crate::naming::parent_arg(&name)
            )
        })
    }

    /// The image a tag names: the Dockerfile (and target) a build script gives that tag, else,
    /// when the repository builds images of that name, the Dockerfile whose directory the tag
    /// spells ([`tag_spells_directory`]); of several, those under a directory of that name, then
    /// the nearest ([`Resolver::closest`]).
    fn lookup_tag(&mut self, image: &ImageRef<'_>, from: usize) -> Lookup {
        let name = image.name();
        let tag = image.tag_or_latest();
        let mut scripted: Vec<(usize, Option<usize>, &str)> = Vec::new();
        for published in self.published {
            let tagged = ImageRef::parse(&published.reference);
            if tagged.name() != name || tagged.tag_or_latest() != tag {
                continue;
            }
            let Some(df) = self.files.iter().position(|f| f.path == published.dockerfile) else { continue };
            let stage = match &published.target {
                Some(target) => match self.stage_named(df, &sanitize_name(target)) {
                    Some(stage) => Some(stage),
                    None => continue,
                },
                None => None,
            };
            if !scripted.iter().any(|(d, s, _)| (*d, *s) == (df, stage)) {
                scripted.push((df, stage, &published.source));
            }
        }
        match scripted.as_slice() {
            [(df, _, _)] if *df == from => return Lookup::NotFound,
            [(df, Some(stage), _)] => return Lookup::Found(self.stage_image(*df, *stage, false)),
            [(df, None, _)] => return Lookup::Found((*df, self.file_target(*df))),
            [] => {}
            several => {
                let sources: Vec<&str> = several.iter().map(|(_, _, source)| *source).collect();
                return Lookup::Problem(format!("build scripts tag it from different builds ({})", sources.join(", ")));
            }
        }
        if image.tag.is_none() || tag == "latest" || !self.built_here.contains(&name) {
            return Lookup::NotFound;
        }
        let spelled: Vec<usize> = (0..self.files.len())
            .filter(|&df| df != from && self.files[df].parsed.is_ok())
            .filter(|&df| tag_spells_directory(tag, &self.files[df].convention_dir()))
            .collect();
        let under_name: Vec<usize> = spelled
            .iter()
            .copied()
            .filter(|&df| self.files[df].path.split('/').any(|c| sanitize_name(c) == name))
            .collect();
        let candidates = self.closest(if under_name.is_empty() { spelled } else { under_name }, from);
        match candidates.as_slice() {
            [] => Lookup::NotFound,
            [df] => Lookup::Found((*df, self.file_target(*df))),
            several => {
                let paths: Vec<&str> = several.iter().map(|&df| self.files[df].path.as_str()).collect();
                Lookup::Problem(format!("tag `{tag}` could be built from any of {}", paths.join(", ")))
            }
        }
    }

    /// The image `name` means, seen from Dockerfile `from`: a Dockerfile's image of that name
    /// (its stage of that name, if it has one), else a stage of that name in one other
    /// Dockerfile; of several, the nearest ([`Resolver::closest`]). A written-out reference does
    /// not name a stage or image that itself starts from an image of the same name
    /// (`FROM node:20 AS node` wraps the external `node`).
    fn lookup(&mut self, name: &str, from: usize, written_out: bool) -> Lookup {
        if name.is_empty() {
            return Lookup::NotFound;
        }
        let mut files: Vec<usize> = (0..self.files.len()).filter(|&df| self.files[df].name == name).collect();
        if files.is_empty() {
            files = self.closest((0..self.files.len()).filter(|&df| self.files[df].short == name).collect(), from);
        }
        if files.len() > 1 {
            let paths: Vec<&str> = files.iter().map(|&df| self.files[df].path.as_str()).collect();
            return Lookup::Problem(format!("`{name}` could be the image of any of {}", paths.join(", ")));
        }
        if let Some(&df) = files.first() {
            if df == from {
                return Lookup::Problem(format!("`{name}` is this Dockerfile's own image"));
            }
            let named = self.stage_named(df, name);
            let stage = named.unwrap_or_else(|| self.file_target(df));
            if written_out && self.wraps((df, stage), name) {
                return Lookup::NotFound;
            }
            return Lookup::Found(match named {
                Some(stage) => self.stage_image(df, stage, true),
                None => (df, stage),
            });
        }
        let stages: Vec<ImageId> = (0..self.files.len())
            .filter(|&df| df != from)
            .filter_map(|df| self.stage_named(df, name).map(|s| (df, s)))
            .filter(|id| !(written_out && self.wraps(*id, name)))
            .collect();
        let closest = self.closest(stages.iter().map(|(df, _)| *df).collect(), from);
        let stages: Vec<ImageId> = stages.into_iter().filter(|(df, _)| closest.contains(df)).collect();
        match stages.as_slice() {
            [] => Lookup::NotFound,
            [(df, stage)] => Lookup::Found(self.stage_image(*df, *stage, false)),
            several => {
                let paths: Vec<&str> = several.iter().map(|(df, _)| self.files[*df].path.as_str()).collect();
                Lookup::Problem(format!("`{name}` could be the stage of that name in any of {}", paths.join(", ")))
            }
        }
    }

    /// Of several Dockerfiles, the ones nearest to `from`: sharing the most leading directories
    /// with it (so each project of a monorepo finds its own `base`).
    fn closest(&self, candidates: Vec<usize>, from: usize) -> Vec<usize> {
        let shared = |df: usize| {
            let a = parent_dir(&self.files[df].path).split('/');
            let b = parent_dir(&self.files[from].path).split('/');
            a.zip(b).take_while(|(x, y)| x == y && !x.is_empty()).count()
        };
        let best = candidates.iter().map(|&df| shared(df)).max().unwrap_or(0);
        candidates.into_iter().filter(|&df| shared(df) == best).collect()
    }

    fn stage_named(&self, df: usize, name: &str) -> Option<usize> {
        self.files[df].stages.iter().position(|s| s.name.as_deref().is_some_and(|n| sanitize_name(n) == name))
    }

    fn wraps(&self, (df, stage): ImageId, name: &str) -> bool {
        self.files[df].stages.get(stage).is_some_and(|s| s.base_name.as_deref() == Some(name))
    }

    /// The image of stage `stage` of `df`: its file image when that builds it; for a stage
    /// named like the Dockerfile's image, that image retargeted to it.
    fn stage_image(&mut self, df: usize, stage: usize, named_like_file: bool) -> ImageId {
        if stage != self.file_target(df) && named_like_file && !self.retarget.contains_key(&df) {
            self.retarget.insert(df, stage);
            self.restart = true;
        }
        (df, stage)
    }
}

/// The stages building `target` takes: it and every earlier stage it builds on.
fn closure(file: &File, target: usize) -> Vec<usize> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![target];
    while let Some(t) = stack.pop() {
        if seen.insert(t) {
            stack.extend(&file.stages[t].local);
        }
    }
    seen.into_iter().collect()
}

/// Image names: a Dockerfile's image has the Dockerfile's name; a stage image the stage's name,
/// or `<dockerfile image>-<stage>` when that is taken.
fn image_names(
    files: &[File],
    facts: &BTreeMap<ImageId, Facts>,
    file_target: &dyn Fn(usize) -> usize,
) -> BTreeMap<ImageId, String> {
    let mut names = BTreeMap::new();
    let mut taken: BTreeSet<String> = files.iter().map(|f| f.name.clone()).collect();
    for (df, file) in files.iter().enumerate() {
        names.insert((df, file_target(df)), file.name.clone());
    }
    for &(df, stage) in facts.keys() {
        if names.contains_key(&(df, stage)) {
            continue;
        }
        let stage_name = sanitize_name(files[df].stages[stage].name.as_deref().unwrap_or("stage"));
        let mut candidate = stage_name.clone();
        if taken.contains(&candidate) {
            candidate = format!("{}-{stage_name}", files[df].name);
        }
        let base = candidate.clone();
        let mut n = 2;
        while taken.contains(&candidate) {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        taken.insert(candidate.clone());
        names.insert((df, stage), candidate);
    }
    names
}

/// Why each image that cannot go into the model cannot: its own problems, a cycle, or a parent
/// that cannot go in either.
fn unresolved_reasons(
    facts: &BTreeMap<ImageId, Facts>,
    names: &BTreeMap<ImageId, String>,
) -> BTreeMap<ImageId, Vec<String>> {
    let mut reasons: BTreeMap<ImageId, Vec<String>> =
        facts.iter().filter(|(_, f)| !f.problems.is_empty()).map(|(id, f)| (*id, f.problems.clone())).collect();

    let mut graph = petgraph::graph::DiGraph::<ImageId, ()>::new();
    let nodes: BTreeMap<ImageId, petgraph::graph::NodeIndex> =
        facts.keys().map(|id| (*id, graph.add_node(*id))).collect();
    for (id, fact) in facts {
        for parent in fact.parents.keys() {
            graph.add_edge(nodes[parent], nodes[id], ());
        }
    }
    // Kosaraju's walk, not Tarjan's recursion: a long chain of images must not overflow the stack.
    for component in petgraph::algo::kosaraju_scc(&graph) {
        if component.len() > 1 {
            let mut members: Vec<&str> = component.iter().map(|n| names[&graph[*n]].as_str()).collect();
            members.sort();
            for n in &component {
                reasons
                    .entry(graph[*n])
                    .or_default()
                    .push(format!("images {} build from each other (a cycle)", members.join(", ")));
            }
        }
    }
    loop {
        let inherited: Vec<(ImageId, String)> = facts
            .iter()
            .filter(|(id, _)| !reasons.contains_key(id))
            .filter_map(|(id, fact)| {
                let parent = fact.parents.keys().find(|p| reasons.contains_key(p))?;
                Some((*id, format!("its parent `{}` is not inferred", names[parent])))
            })
            .collect();
        if inherited.is_empty() {
            return reasons;
        }
        for (id, reason) in inherited {
            reasons.insert(id, vec![reason]);
        }
    }
}

/// 1 for an image without parents, 1 + the deepest parent otherwise (the model's default stage).
fn depth(id: ImageId, facts: &BTreeMap<ImageId, Facts>, memo: &mut BTreeMap<ImageId, usize>) -> usize {
    if let Some(d) = memo.get(&id) {
        return *d;
    }
    let d = 1 + facts[&id].parents.keys().map(|p| depth(*p, facts, memo)).max().unwrap_or(0);
    memo.insert(id, d);
    d
}

fn retarget_note(file: &File, stage: usize, retarget: &BTreeMap<usize, usize>, df: usize) -> Option<String> {
    if retarget.get(&df) != Some(&stage) {
        return None;
    }
    let last = file.stages.last()?;
    let name = file.stages[stage].name.as_deref()?;
    let last = match &last.name {
        Some(last) => format!("last stage `{last}`"),
        None => "last stage".to_string(),
    };
    Some(format!(
        "It builds stage `{name}`, which other images build from; the Dockerfile's {last} is not built: add an image with its target if you need it."
    ))
}

/// Files and directories of the repository, for finding COPY sources.
struct FileIndex {
    files: BTreeSet<String>,
    directories: BTreeSet<String>,
}

impl FileIndex {
    fn new(files: &[String]) -> Self {
        let mut directories = BTreeSet::new();
        for file in files {
            let mut dir = parent_dir(file);
            while !dir.is_empty() && directories.insert(dir.to_string()) {
                dir = parent_dir(dir);
            }
        }
        FileIndex { files: files.iter().cloned().collect(), directories }
    }

    /// Whether `source` (normalized, relative to `context`) names something in the repository.
    fn contains(&self, context: &str, source: &str) -> bool {
        let path = join(context, source);
        if !source.contains(['*', '?', '[']) {
            return path.is_empty() || self.files.contains(&path) || self.directories.contains(&path);
        }
        let Ok(glob) = globset::GlobBuilder::new(&path).literal_separator(true).build() else { return false };
        let matcher = glob.compile_matcher();
        let literal = &path[..path.find(['*', '?', '[']).unwrap_or(path.len())];
        let prefix = &literal[..literal.rfind('/').map_or(0, |i| i + 1)];
        self.files.range(prefix.to_string()..).take_while(|f| f.starts_with(prefix)).any(|file| {
            let mut candidate = file.as_str();
            while candidate.len() > context.len() {
                if matcher.is_match(candidate) {
                    return true;
                }
                candidate = parent_dir(candidate);
            }
            false
        })
    }
}

fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn join(dir: &str, path: &str) -> String {
    match (dir.is_empty(), path.is_empty()) {
        (true, _) => path.to_string(),
        (_, true) => dir.to_string(),
        _ => format!("{dir}/{path}"),
    }
}

/// A COPY source relative to its context: `./a/../b` is not one (Docker would clip it at the
/// context; pipegen init does not guess), a URL is not from the context at all.
fn normalize_source(source: &str) -> Result<Option<String>, String> {
    if source.contains("://") || source.starts_with("git@") {
        return Ok(None);
    }
    let mut parts = Vec::new();
    for component in source.split('/') {
        match component {
            "" | "." => {}
            ".." => return Err("leaves the build context".to_string()),
            other => parts.push(other),
        }
    }
    Ok(Some(parts.join("/")))
}

/// The build context. COPY/ADD sources are relative to it, so it is where they exist: the
/// deepest of the Dockerfile's directory and its ancestors relative to which the most sources
/// exist. When some are still missing there and the Dockerfile is named after its image
/// (`gitaly.Dockerfile`), a directory of that name anywhere in the repository relative to which
/// more of them exist wins (of several, the one sharing most leading directories with the
/// Dockerfile). Without sources, the Dockerfile's directory.
///
/// A context the build scripts state (`docker build -f api/Dockerfile .`, with where it says so)
/// is what the build uses, so it wins; when scripts state several, the one the sources suggest,
/// else the first, with a note.
fn infer_context(file: &File, stages: &[usize], index: &FileIndex, stated: &[(&str, &str)]) -> (String, Vec<String>) {
    let shown = |c: &str| if c.is_empty() { ".".to_string() } else { c.to_string() };
    let mut notes = Vec::new();
    let mut usable = Vec::new();
    for &t in stages {
        for source in &file.stages[t].sources {
            match &source.expanded {
                Err(error) => notes.push(format!("{}: {error}; it did not count for the context.", source.what)),
                Ok(text) => match normalize_source(text) {
                    Ok(Some(path)) => usable.push((source, path)),
                    Ok(None) => {}
                    Err(why) => notes.push(format!("{}: it {why}; it did not count for the context.", source.what)),
                },
            }
        }
    }
    let found = |c: &str| usable.iter().filter(|(_, p)| index.contains(c, p)).count();
    let mut suggested_notes = Vec::new();
    let suggested = suggested_context(file, &usable, index, &mut suggested_notes);
    if stated.is_empty() {
        notes.extend(suggested_notes);
    }
    let context = match stated {
        [] => suggested,
        [(one, source)] => {
            if *one != suggested {
                notes.push(format!(
                    "Its context, `{}`, is the one {source} builds it with (its sources alone would give `{}`).",
                    shown(one),
                    shown(&suggested)
                ));
            }
            one.to_string()
        }
        several => {
            let chosen = several.iter().find(|(c, _)| *c == suggested).unwrap_or(&several[0]).0;
            let list: Vec<String> = several.iter().map(|(c, source)| format!("`{}` ({source})", shown(c))).collect();
            notes.push(format!(
                "Build scripts build it with different contexts: {}; this model takes `{}`.",
                list.join(", "),
                shown(chosen)
            ));
            chosen.to_string()
        }
    };
    if found(&context) < usable.len() {
        for (source, path) in &usable {
            if !index.contains(&context, path) {
                notes.push(format!(
                    "{} does not exist relative to this context (is it made before the build?).",
                    source.what
                ));
            }
        }
    }
    (shown(&context), notes)
}

/// The context a Dockerfile's COPY/ADD sources suggest (see [`infer_context`]).
fn suggested_context(
    file: &File,
    usable: &[(&SourceRef, String)],
    index: &FileIndex,
    notes: &mut Vec<String>,
) -> String {
    let dir = parent_dir(&file.path);
    if usable.is_empty() {
        return dir.to_string();
    }
    let found = |c: &str| usable.iter().filter(|(_, p)| index.contains(c, p)).count();
    let depth = |c: &str| if c.is_empty() { 0 } else { c.split('/').count() };
    let mut ancestors = vec![dir];
    while let Some(last) = ancestors.last().copied().filter(|a| !a.is_empty()) {
        ancestors.push(parent_dir(last));
    }
    let mut context = ancestors
        .iter()
        .copied()
        .max_by_key(|a| (found(a), depth(a)))
        .expect("the Dockerfile's directory is a candidate")
        .to_string();
    let best = found(&context);
    if best < usable.len() && file.named_by_file {
        let shared = |d: &str| d.split('/').zip(dir.split('/')).take_while(|(x, y)| x == y && !x.is_empty()).count();
        let named: Vec<(usize, usize, &String)> = index
            .directories
            .iter()
            .filter(|d| d.rsplit('/').next() == Some(file.short.as_str()))
            .map(|d| (found(d), shared(d), d))
            .filter(|(n, _, _)| *n > best)
            .collect();
        let top = named.iter().map(|(n, s, _)| (*n, *s)).max();
        let winners: Vec<&String> =
            named.iter().filter(|(n, s, _)| Some((*n, *s)) == top).map(|(_, _, d)| *d).collect();
        match winners.as_slice() {
            [one] => context = one.to_string(),
            [] => {}
            several => {
                let list: Vec<&str> = several.iter().map(|d| d.as_str()).collect();
                notes.push(format!("Its sources could come from any of {}; choose its context.", list.join(", ")));
            }
        }
    }
    context
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(dockerfiles: &[(&str, &str)], files: &[&str]) -> Inference {
        run_with("repo", dockerfiles, files, &[])
    }

    fn run_with(name: &str, dockerfiles: &[(&str, &str)], files: &[&str], scripts: &[(&str, &str)]) -> Inference {
        let dockerfiles: Vec<(String, String)> =
            dockerfiles.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect();
        let scripts: Vec<(String, String)> = scripts.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect();
        let mut all: Vec<String> = files.iter().map(|f| f.to_string()).collect();
        all.extend(dockerfiles.iter().map(|(p, _)| p.clone()));
        all.sort();
        infer(Input {
            name,
            dockerfiles: &dockerfiles,
            files: &all,
            scripts: &scripts,
            templates: &[],
            linked_out: &[],
        })
    }

    /// `name: from=[…] context=… dockerfile=… target=…` per image, in model order; a parent
    /// passed in an argument of its own shows as `parent as ARG`.
    fn graph(inference: &Inference) -> Vec<String> {
        inference
            .model
            .images
            .iter()
            .map(|(name, image)| {
                assert!(image.args.is_empty(), "init never writes args: {name}");
                let from: Vec<String> = image
                    .from
                    .iter()
                    .flat_map(|f| f.refs())
                    .map(|r| match r.arg {
                        Some(arg) => format!("{} as {arg}", r.image),
                        None => r.image.to_string(),
                    })
                    .collect();
                let mut line = format!("{name}: from={from:?} context={}", image.context.as_deref().unwrap_or("-"));
                if let Some(d) = &image.dockerfile {
                    line.push_str(&format!(" dockerfile={d}"));
                }
                if let Some(t) = &image.target {
                    line.push_str(&format!(" target={t}"));
                }
                line
            })
            .collect()
    }

    /// `image: A=1, B=2; required: C` per image with build arguments.
    fn args(inference: &Inference) -> Vec<String> {
        inference
            .args
            .iter()
            .map(|(name, summary)| {
                let defaults: Vec<String> = summary.defaults.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let mut line = format!("{name}: {}", defaults.join(", "));
                if !summary.required.is_empty() {
                    line.push_str(&format!("; required: {}", summary.required.join(", ")));
                }
                line
            })
            .collect()
    }

    /// `dockerfile what: reason` per reference left external.
    fn external(inference: &Inference) -> Vec<String> {
        inference.external.iter().map(|e| format!("{} {}: {}", e.dockerfile, e.what, e.reason)).collect()
    }

    fn reasons(inference: &Inference) -> Vec<String> {
        inference.unresolved.iter().map(|u| format!("{}: {}", u.name, u.reasons.join(" / "))).collect()
    }

    #[test]
    fn follows_the_parent_argument_convention() {
        let i = run(
            &[
                ("images/base/Dockerfile", "FROM debian:12\nARG RUBY=3.3\nCOPY install.sh /\n"),
                (
                    "images/app/Dockerfile",
                    "ARG BASE_IMAGE=debian:12\nFROM ${BASE_IMAGE}\nARG BASE_IMAGE\nARG TARGETARCH=amd64\nCOPY . /app\n",
                ),
            ],
            &["images/base/install.sh"],
        );
        assert_eq!(graph(&i), [r#"base: from=[] context=images/base"#, r#"app: from=["base"] context=images/app"#,]);
        assert!(i.unresolved.is_empty());
        assert!(i.notes.is_empty(), "{:?}", i.notes);
        // The parent's argument and BuildKit's own are not the image's arguments.
        assert_eq!(args(&i), ["base: RUBY=3.3"]);
        assert_eq!(external(&i), ["images/base/Dockerfile line 1: FROM debian:12: not built in this repository"]);
    }

    #[test]
    fn resolves_arg_defaults_and_leaves_external_images_alone() {
        let i = run(
            &[
                ("base.Dockerfile", "FROM alpine:3.20\n"),
                ("tool.Dockerfile", "ARG GO=golang:1.22\nFROM ${GO} AS build\nFROM scratch\nCOPY --from=build /x /x\n"),
                ("app.Dockerfile", "ARG PARENT=registry.example.com/team/base:1.0\nFROM $PARENT\nARG V=1\n"),
            ],
            &[],
        );
        assert_eq!(
            graph(&i),
            [
                "base: from=[] context=. dockerfile=base.Dockerfile",
                "tool: from=[] context=. dockerfile=tool.Dockerfile",
                r#"app: from=["base as PARENT"] context=. dockerfile=app.Dockerfile"#,
            ]
        );
        // The Dockerfile reads its parent from PARENT: pipegen passes it there, no change needed.
        assert!(i.notes["app"].iter().all(|n| !n.contains("PARENT")), "{:?}", i.notes);
        assert_eq!(args(&i), ["app: V=1", "tool: GO=golang:1.22"]);
        assert_eq!(
            external(&i),
            [
                "base.Dockerfile line 1: FROM alpine:3.20: not built in this repository",
                "tool.Dockerfile line 2: FROM ${GO}: `golang:1.22` is not built in this repository",
            ]
        );
    }

    #[test]
    fn copy_from_images_stages_and_unknown_names() {
        let i = run(
            &[
                ("gitaly.Dockerfile", "FROM alpine\n"),
                (
                    "gdk.Dockerfile",
                    "FROM alpine AS build\n\
                     FROM alpine\n\
                     COPY --from=build /a /a\n\
                     COPY --from=0 /a /a\n\
                     COPY --from=registry.example.com/gdk/gitaly:latest /g /g\n\
                     COPY --from=golang:1.22 /usr/local/go /go\n",
                ),
                ("typo.Dockerfile", "FROM alpine\nCOPY --from=gitlay /g /g\n"),
            ],
            &[],
        );
        assert_eq!(
            graph(&i),
            [
                "gitaly: from=[] context=. dockerfile=gitaly.Dockerfile",
                r#"gdk: from=["gitaly"] context=. dockerfile=gdk.Dockerfile"#,
            ]
        );
        assert_eq!(
            i.notes["gdk"][0],
            "line 5: COPY --from=registry.example.com/gdk/gitaly:latest names image `gitaly` literally, so its build copies from `registry.example.com/gdk/gitaly:latest`, not this pipeline's build: write `ARG GITALY_IMAGE=registry.example.com/gdk/gitaly:latest` before the first FROM, `FROM ${GITALY_IMAGE} AS gitaly` and `COPY --from=gitaly`."
        );
        assert_eq!(
            reasons(&i),
            [
                "typo: line 2: COPY --from=gitlay: `gitlay` is no stage of this Dockerfile and no image found in the repository"
            ]
        );
        assert_eq!(i.unresolved[0].dockerfile, "typo.Dockerfile");
    }

    #[test]
    fn a_stage_another_dockerfile_builds_from_is_an_image() {
        let i = run(
            &[
                ("base.Dockerfile", "FROM alpine\n"),
                (
                    "gdk.Dockerfile",
                    "ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS runtime\nARG PORT=3000\nFROM runtime AS dev\nARG EDITOR=vim\n",
                ),
                ("qa.Dockerfile", "ARG RUNTIME_IMAGE\nFROM ${RUNTIME_IMAGE}\n"),
            ],
            &[],
        );
        assert_eq!(
            graph(&i),
            [
                "base: from=[] context=. dockerfile=base.Dockerfile",
                r#"gdk: from=["base"] context=. dockerfile=gdk.Dockerfile"#,
                r#"runtime: from=["base"] context=. dockerfile=gdk.Dockerfile target=runtime"#,
                r#"qa: from=["runtime"] context=. dockerfile=qa.Dockerfile"#,
            ]
        );
        assert_eq!(args(&i), ["gdk: EDITOR=vim, PORT=3000", "runtime: PORT=3000"]);
    }

    #[test]
    fn a_stage_named_like_its_dockerfile_becomes_its_target() {
        let lite = "ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS builder\nFROM debian:12-slim AS lite\nCOPY --from=builder /vt /vt\nFROM lite AS debug\nARG GDB=1\n";
        let i = run(
            &[
                ("docker/base/Dockerfile", "FROM debian:12\n"),
                ("docker/lite/Dockerfile", lite),
                ("docker/k8s/vtgate/Dockerfile", "FROM vitess/lite:v19\n"),
            ],
            &[],
        );
        assert_eq!(
            graph(&i),
            [
                "base: from=[] context=docker/base",
                r#"lite: from=["base"] context=docker/lite target=lite"#,
                r#"vtgate: from=["lite"] context=docker/k8s/vtgate"#,
            ]
        );
        assert_eq!(
            i.notes["lite"],
            [
                "It builds stage `lite`, which other images build from; the Dockerfile's last stage `debug` is not built: add an image with its target if you need it."
            ]
        );
        // Without a reference to it, the Dockerfile's image is its last stage.
        let alone = run(&[("docker/base/Dockerfile", "FROM debian:12\n"), ("docker/lite/Dockerfile", lite)], &[]);
        assert_eq!(graph(&alone), ["base: from=[] context=docker/base", r#"lite: from=["base"] context=docker/lite"#]);
        assert_eq!(args(&alone), ["lite: GDB=1"]);
    }

    #[test]
    fn infers_contexts_from_copy_sources() {
        let i = run(
            &[
                ("images/gitaly.Dockerfile", "FROM alpine\nCOPY go.mod go.sum ./\nCOPY . .\n"),
                ("docker/base/Dockerfile", "FROM alpine\nCOPY go.mod /src/\nCOPY [\"cmd/\", \"/src/cmd\"]\n"),
                ("docker/tool/Dockerfile", "FROM alpine\nCOPY *.sh /bin/\nADD https://example.com/x /x\n"),
                ("docker/gen/Dockerfile", "FROM alpine\nARG OUT\nCOPY bin/app ${OUT}/app ./\n"),
                ("images/alpha.Dockerfile", "FROM alpine\nCOPY message.txt /\n"),
                ("images/beta.Dockerfile", "FROM alpine\nCOPY m.txt /\n"),
            ],
            &[
                "gitaly/go.mod",
                "gitaly/go.sum",
                "go.mod",
                "cmd/main.go",
                "docker/tool/run.sh",
                "docker/tool/x/y.sh",
                "components/alpha/message.txt",
                "docs/alpha/NOTES.md",
                "a/beta/m.txt",
                "b/beta/m.txt",
            ],
        );
        assert_eq!(
            graph(&i),
            [
                "alpha: from=[] context=components/alpha dockerfile=images/alpha.Dockerfile",
                "base: from=[] context=. dockerfile=docker/base/Dockerfile",
                "beta: from=[] context=images dockerfile=images/beta.Dockerfile",
                "gen: from=[] context=docker/gen",
                "gitaly: from=[] context=gitaly dockerfile=images/gitaly.Dockerfile",
                "tool: from=[] context=docker/tool",
            ]
        );
        assert_eq!(
            i.notes["beta"],
            [
                "Its sources could come from any of a/beta, b/beta; choose its context.",
                "line 2: COPY source `m.txt` does not exist relative to this context (is it made before the build?).",
            ]
        );
        assert_eq!(
            i.notes["gen"],
            [
                "line 3: COPY source `${OUT}/app`: `OUT` has no default value; it did not count for the context.",
                "line 3: COPY source `bin/app` does not exist relative to this context (is it made before the build?).",
            ]
        );
    }

    #[test]
    fn names_are_unique_and_valid() {
        let i = run(
            &[
                ("a/base/Dockerfile", "FROM alpine\n"),
                ("b/base/Dockerfile", "FROM alpine\n"),
                ("Dockerfile", "FROM alpine\n"),
                ("docker/Dockerfile.My_Lite", "FROM alpine\n"),
                ("x/Containerfile", "FROM alpine\n"),
            ],
            &[],
        );
        let names: Vec<&String> = i.model.images.keys().collect();
        assert_eq!(names, ["a-base", "b-base", "my-lite", "repo", "x"]);
    }

    #[test]
    fn lists_what_it_cannot_resolve() {
        let i = run(
            &[
                ("ok.Dockerfile", "FROM alpine\n"),
                ("undefined.Dockerfile", "FROM ${UNDEFINED}\n"),
                ("missing.Dockerfile", "FROM ${NOPE_IMAGE}\n"),
                ("child.Dockerfile", "FROM ${UNDEFINED_IMAGE}\n"),
                ("garbage.Dockerfile", "RUN echo\n"),
                ("cycle-a.Dockerfile", "FROM ${CYCLE_B_IMAGE}\n"),
                ("cycle-b.Dockerfile", "FROM ${CYCLE_A_IMAGE}\n"),
                ("x.Dockerfile", "FROM alpine AS builder\n"),
                ("y.Dockerfile", "FROM alpine AS builder\n"),
                ("z.Dockerfile", "FROM alpine\nCOPY --from=builder /a /a\n"),
                ("self.Dockerfile", "ARG SELF_IMAGE\nFROM ${SELF_IMAGE}\n"),
            ],
            &[],
        );
        assert_eq!(
            graph(&i),
            [
                "ok: from=[] context=. dockerfile=ok.Dockerfile",
                "x: from=[] context=. dockerfile=x.Dockerfile",
                "y: from=[] context=. dockerfile=y.Dockerfile",
            ]
        );
        assert_eq!(
            reasons(&i),
            [
                "child: its parent `undefined` is not inferred",
                "cycle-a: images cycle-a, cycle-b build from each other (a cycle)",
                "cycle-b: images cycle-a, cycle-b build from each other (a cycle)",
                "garbage: it cannot be read as a Dockerfile: line 1: `RUN` before the first FROM (only ARG may come first)",
                "missing: line 1: FROM ${NOPE_IMAGE}: `NOPE_IMAGE` has no default value, and no image `nope` was found in the repository",
                "self: line 2: FROM ${SELF_IMAGE}: `self` is this Dockerfile's own image",
                "undefined: line 1: FROM ${UNDEFINED}: `UNDEFINED` has no default value",
                "z: line 2: COPY --from=builder: `builder` could be the stage of that name in any of x.Dockerfile, y.Dockerfile",
            ]
        );
    }

    #[test]
    fn of_several_images_with_a_name_the_nearest_is_meant() {
        let i = run(
            &[
                ("one/images/base/Dockerfile", "FROM alpine\n"),
                ("one/images/app/Dockerfile", "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"),
                ("two/base/Dockerfile", "FROM alpine\n"),
                ("two/app.Dockerfile", "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"),
                ("three/app.Dockerfile", "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"),
            ],
            &[],
        );
        assert_eq!(
            graph(&i),
            [
                "images-base: from=[] context=one/images/base",
                "two-base: from=[] context=two/base",
                r#"images-app: from=["images-base as BASE_IMAGE"] context=one/images/app"#,
                r#"two-app: from=["two-base as BASE_IMAGE"] context=two dockerfile=two/app.Dockerfile"#,
            ]
        );
        assert!(!i.notes.contains_key("two-app"), "{:?}", i.notes);
        assert_eq!(
            reasons(&i),
            [
                "three-app: line 2: FROM ${BASE_IMAGE}: `base` could be the image of any of one/images/base/Dockerfile, two/base/Dockerfile"
            ]
        );
    }

    #[test]
    fn a_stage_that_renames_an_external_image_is_not_a_parent() {
        let i =
            run(&[("web.Dockerfile", "FROM node:20 AS node\nRUN npm ci\n"), ("app.Dockerfile", "FROM node:18\n")], &[]);
        assert_eq!(
            graph(&i),
            ["app: from=[] context=. dockerfile=app.Dockerfile", "web: from=[] context=. dockerfile=web.Dockerfile"]
        );
    }

    #[test]
    fn args_are_listed_never_copied() {
        let i = run(
            &[(
                "Dockerfile",
                "ARG PG=16\nARG FULL=${PG}.4\nARG UNUSED\nFROM postgres:${PG} AS a\nARG X=1\nFROM a\nARG X=2\nARG FULL\nARG TOKEN\nARG BUILDKIT_INLINE_CACHE=1\nARG TARGETARCH\n",
            )],
            &[],
        );
        assert_eq!(graph(&i), ["repo: from=[] context=."]);
        assert_eq!(args(&i), ["repo: FULL=${PG}.4, PG=16, X=1, X=2; required: TOKEN"]);
    }

    #[test]
    fn a_tag_names_the_dockerfile_whose_directory_it_spells() {
        let i = run_with(
            "buildpack-deps",
            &[
                ("debian/bookworm/curl/Dockerfile", "FROM debian:bookworm\n"),
                ("debian/bookworm/scm/Dockerfile", "FROM buildpack-deps:bookworm-curl\n"),
                ("debian/bookworm/Dockerfile", "FROM buildpack-deps:bookworm-scm\n"),
                ("debian/trixie/curl/Dockerfile", "FROM debian:trixie\n"),
                ("debian/trixie/scm/Dockerfile", "FROM docker.io/library/buildpack-deps:trixie-curl\n"),
                ("other/latest/Dockerfile", "FROM buildpack-deps\n"),
                ("other/any/Dockerfile", "FROM buildpack-deps:curl\n"),
                ("other/pinned/Dockerfile", "FROM buildpack-deps:bookworm-curl@sha256:0123\n"),
            ],
            &[],
            &[],
        );
        assert_eq!(
            graph(&i),
            [
                "any: from=[] context=other/any",
                "bookworm-curl: from=[] context=debian/bookworm/curl",
                "latest: from=[] context=other/latest",
                "pinned: from=[] context=other/pinned",
                "trixie-curl: from=[] context=debian/trixie/curl",
                r#"bookworm-scm: from=["bookworm-curl"] context=debian/bookworm/scm"#,
                r#"trixie-scm: from=["trixie-curl"] context=debian/trixie/scm"#,
                r#"bookworm: from=["bookworm-scm"] context=debian/bookworm"#,
            ]
        );
        assert_eq!(
            external(&i),
            [
                "debian/bookworm/curl/Dockerfile line 1: FROM debian:bookworm: not built in this repository",
                "debian/trixie/curl/Dockerfile line 1: FROM debian:trixie: not built in this repository",
                "other/any/Dockerfile line 1: FROM buildpack-deps:curl: tag `curl` could be built from any of debian/bookworm/curl/Dockerfile, debian/trixie/curl/Dockerfile",
                "other/latest/Dockerfile line 1: FROM buildpack-deps: this repository builds images named `buildpack-deps`, but no build script tags `latest` and no Dockerfile's directory spells it",
                "other/pinned/Dockerfile line 1: FROM buildpack-deps:bookworm-curl@sha256:0123: pinned by digest: a published image, never this pipeline's build",
            ]
        );
        assert_eq!(
            i.notes["bookworm-scm"],
            [
                "line 1: FROM buildpack-deps:bookworm-curl names image `bookworm-curl` literally, so its build pulls `buildpack-deps:bookworm-curl`, not this pipeline's build: write `ARG BOOKWORM_CURL_IMAGE=buildpack-deps:bookworm-curl` before the first FROM and `FROM ${BOOKWORM_CURL_IMAGE}`."
            ]
        );
    }

    #[test]
    fn build_scripts_name_the_repositories_and_tags_built_here() {
        let makefile = "build:\n\tdocker build --tag=ros:humble-core-jammy core/.\n\tdocker build --tag=ros:humble-tools-jammy --target tools core\n";
        let i = run_with(
            "docker-images",
            &[
                ("ros/humble/ubuntu/jammy/core/Dockerfile", "FROM ubuntu:jammy AS tools\nFROM tools\n"),
                ("ros/humble/ubuntu/jammy/base/Dockerfile", "FROM ros:humble-core-jammy\n"),
                ("ros/humble/ubuntu/jammy/desktop/Dockerfile", "FROM ros:humble-base-jammy\n"),
                ("ros/humble/ubuntu/jammy/full/Dockerfile", "FROM osrf/ros:humble-desktop-jammy\n"),
                ("ros/humble/ubuntu/jammy/dev/Dockerfile", "FROM ros:humble-tools-jammy\n"),
                ("gazebo/ubuntu/jammy/server/Dockerfile", "FROM ubuntu:jammy\n"),
                ("gazebo/ubuntu/jammy/client/Dockerfile", "FROM gazebo:server-jammy\n"),
            ],
            &[],
            &[("ros/humble/ubuntu/jammy/Makefile", makefile)],
        );
        assert_eq!(
            graph(&i),
            [
                "client: from=[] context=gazebo/ubuntu/jammy/client",
                "core: from=[] context=ros/humble/ubuntu/jammy/core",
                "server: from=[] context=gazebo/ubuntu/jammy/server",
                "tools: from=[] context=ros/humble/ubuntu/jammy/core target=tools",
                r#"base: from=["core"] context=ros/humble/ubuntu/jammy/base"#,
                r#"dev: from=["tools"] context=ros/humble/ubuntu/jammy/dev"#,
                r#"desktop: from=["base"] context=ros/humble/ubuntu/jammy/desktop"#,
                r#"full: from=["desktop"] context=ros/humble/ubuntu/jammy/full"#,
            ]
        );
        // `gazebo` is built here by no script and is not the repository's name: its tags stay
        // published images.
        assert_eq!(
            external(&i)[..2],
            [
                "gazebo/ubuntu/jammy/client/Dockerfile line 1: FROM gazebo:server-jammy: not built in this repository",
                "gazebo/ubuntu/jammy/server/Dockerfile line 1: FROM ubuntu:jammy: not built in this repository",
            ]
        );
    }

    #[test]
    fn a_parent_read_from_an_argument_is_passed_in_it() {
        let i = run(
            &[
                ("images/base-notebook/Dockerfile", "FROM ubuntu:24.04\n"),
                (
                    "images/minimal-notebook/Dockerfile",
                    "ARG REGISTRY=quay.io\nARG OWNER=jupyter\nARG BASE_IMAGE=$REGISTRY/$OWNER/base-notebook\nFROM $BASE_IMAGE\nARG NB_USER=jovyan\n",
                ),
                (
                    "images/tools/Dockerfile",
                    "ARG REGISTRY=quay.io\nFROM ${REGISTRY}/jupyter/base-notebook:latest\nCOPY --from=quay.io/jupyter/minimal-notebook /opt /opt\n",
                ),
                (
                    "images/copy/Dockerfile",
                    "FROM alpine\nARG SOURCE=quay.io/jupyter/tools\nCOPY --from=$SOURCE /x /x\n",
                ),
            ],
            &[],
        );
        assert_eq!(
            graph(&i),
            [
                "base-notebook: from=[] context=images/base-notebook",
                r#"minimal-notebook: from=["base-notebook as BASE_IMAGE"] context=images/minimal-notebook"#,
                r#"tools: from=["base-notebook", "minimal-notebook"] context=images/tools"#,
                r#"copy: from=["tools as SOURCE"] context=images/copy"#,
            ]
        );
        // REGISTRY and OWNER only make up the parent's reference, which pipegen passes whole.
        assert_eq!(args(&i), ["minimal-notebook: NB_USER=jovyan"]);
        assert_eq!(
            i.notes["tools"],
            [
                "line 2: FROM ${REGISTRY}/jupyter/base-notebook:latest pieces image `base-notebook` together from REGISTRY (`quay.io/jupyter/base-notebook:latest`), so pipegen cannot pass this pipeline's build: write `ARG BASE_NOTEBOOK_IMAGE=quay.io/jupyter/base-notebook:latest` before the first FROM and `FROM ${BASE_NOTEBOOK_IMAGE}`.",
                "line 3: COPY --from=quay.io/jupyter/minimal-notebook names image `minimal-notebook` literally, so its build copies from `quay.io/jupyter/minimal-notebook`, not this pipeline's build: write `ARG MINIMAL_NOTEBOOK_IMAGE=quay.io/jupyter/minimal-notebook` before the first FROM, `FROM ${MINIMAL_NOTEBOOK_IMAGE} AS minimal-notebook` and `COPY --from=minimal-notebook`.",
            ]
        );
    }

    #[test]
    fn templates_are_set_aside_not_reported_as_broken() {
        let i = run(
            &[
                ("docker/base/Dockerfile", "FROM debian:12\n"),
                (
                    "docker/nova/Dockerfile",
                    "FROM {{ namespace }}/base:{{ tag }}\n{% block nova_header %}{% endblock %}\n",
                ),
                ("docker/broken/Dockerfile", "FROM debian\nNOT AN INSTRUCTION\n"),
            ],
            &[],
        );
        assert_eq!(i.templates, ["docker/nova/Dockerfile"]);
        assert_eq!(graph(&i), ["base: from=[] context=docker/base"]);
        assert_eq!(reasons(&i), ["broken: it cannot be read as a Dockerfile: line 2: unknown instruction `NOT`"]);
    }

    #[test]
    fn a_source_named_after_the_platform_is_a_glob() {
        let i = run(
            &[("ros/perception/Dockerfile", "FROM ros:base\nARG TARGETARCH\nCOPY packages/$TARGETARCH.txt /etc/\n")],
            &["ros/perception/packages/amd64.txt", "ros/perception/packages/arm64v8.txt"],
        );
        assert_eq!(graph(&i), ["perception: from=[] context=ros/perception"]);
        assert!(!i.notes.contains_key("perception"), "{:?}", i.notes);
    }
}
