//! Semantic checks: what the schema cannot see. Names that must refer to something declared,
//! the image graph (no cycles, no self-parents), axes in scope where `${axis}` is used, stage
//! order, and the platforms' limits. Every problem is collected; none stops the others.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};

use super::diagnostic::Diagnostic;
use super::path::ModelPath;
use super::source::SourceFile;
use super::types::{AxisEntry, Model, Parents};
use super::withheld::{Broken, Unsound};
use super::{env_names, output_paths, suggest};
use crate::graph::ImageGraph;
use crate::stages::StageLayout;

/// GitLab gives these top-level keys a meaning of their own; a job cannot be named after them.
/// GitLab reads its YAML as YAML 1.1, so `yes`, `no`, `on` and `off` would be booleans too.
pub(crate) const GITLAB_RESERVED: &[&str] = &[
    "image",
    "services",
    "stages",
    "types",
    "before_script",
    "after_script",
    "variables",
    "cache",
    "include",
    "default",
    "workflow",
    "pages",
    "true",
    "false",
    "nil",
    "yes",
    "no",
    "on",
    "off",
    "spec",
];

/// GitLab runs at most this many cache entries per job; pipegen uses two per model cache.
pub const GITLAB_MAX_CACHES_PER_JOB: usize = 2;

use super::patterns::MAX_HOST_LABEL;

/// The model's problems, and, for a model without any, its stage layout (the checks derive it;
/// the plan uses it).
pub fn check(model: &Model, source: &SourceFile) -> Result<StageLayout, Vec<Diagnostic>> {
    let mut checker = Checker { model, source, found: Vec::new(), layout: None };
    checker.run();
    match checker.layout {
        Some(layout) if checker.found.is_empty() => Ok(layout),
        _ => Err(checker.found),
    }
}

struct Checker<'m> {
    model: &'m Model,
    source: &'m SourceFile,
    found: Vec<Diagnostic>,
    layout: Option<StageLayout>,
}

fn names<V>(map: &indexmap::IndexMap<String, V>) -> impl Iterator<Item = &str> + Clone {
    map.keys().map(String::as_str)
}

impl<'m> Checker<'m> {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.found.push(diagnostic);
    }

    /// Whether an unknown name still gets a suggestion, which measures it against every name
    /// of its kind: only while fewer errors than are shown in full were found, so that a model
    /// with thousands of unknown names is checked in time proportional to them, not to their
    /// square.
    fn suggesting(&self) -> bool {
        self.found.len() < super::diagnostic::SHOWN_IN_FULL
    }

    fn run(&mut self) {
        self.check_registry();
        self.check_outputs();
        self.check_axes();
        self.check_stage_list();
        for name in self.model.images.keys() {
            self.check_image(name);
        }
        // One graph for every check that needs it: building it is most of a large model's checks.
        let graph = ImageGraph::new(self.model);
        self.check_cycles(&graph);
        self.found.extend(super::platforms::check(self.model));
        for name in self.model.services.keys() {
            self.check_service(name);
        }
        for name in self.model.jobs.keys() {
            self.check_job(name);
        }
        self.check_job_cycles();
        self.found.extend(env_names::reserved(self.model));
        self.found.extend(env_names::case_twins(self.model));
        self.found.extend(env_names::secrets(self.model));
        self.check_refresh();
        // The checks below read the graph, the axes, the scopes and the stages: each waits only
        // while an error above broke what it reads ([`Broken`]), so every other error of the
        // model is reported in this run.
        let broken = Broken::of(&self.found);
        if broken.graph {
            return;
        }
        if !broken.axes {
            // Counted before anything enumerates the variants, which the scope checks do.
            let too_many = super::variant_count::check(self.model, &graph);
            if too_many.is_empty() {
                let unsound = broken.unsound(self.model, &graph);
                self.check_scopes(&graph, &unsound);
            }
            self.found.extend(too_many);
        }
        if !broken.stages {
            self.check_stages(&graph);
        }
    }

    fn check_refresh(&mut self) {
        let Some(refresh) = &self.model.refresh else { return };
        if let Some((message, help)) = super::cron::problem(&refresh.schedule) {
            self.report(bad_schedule(message, help));
        }
        // Scheduled pipelines run on the default branch and push as its pipelines do: without
        // that, a refresh rebuilds the images and publishes none of them, silently.
        if !self.model.push.default_branch {
            self.report(
                Diagnostic::new(
                    "refresh-without-push",
                    ModelPath::keys(["refresh", "schedule"]),
                    "a scheduled refresh never publishes: it runs on the default branch, whose pipelines do not push (`push: { default_branch: false }`)",
                )
                .label("builds images nobody gets")
                .help("remove `default_branch: false` from `push` so the default branch (and the schedule) publishes, or remove `refresh`"),
            );
        }
    }

    fn check_outputs(&mut self) {
        self.found.extend(output_paths::check(self.model));
    }

    fn check_axes(&mut self) {
        for (axis, values) in &self.model.axes {
            let path = ModelPath::keys(["axes", axis.as_str()]);
            if values.is_empty() {
                self.report(
                    Diagnostic::new("empty-axis", path.clone(), format!("axis `{axis}` has no values"))
                        .label("empty")
                        .help("list at least one value, e.g. `[\"16\", \"17\"]`, or remove the axis"),
                );
            }
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for (i, entry) in values.iter().enumerate() {
                let value = entry.value();
                if let Some(first) = seen.insert(value, i) {
                    let at = match entry {
                        AxisEntry::Value(_) => path.index(i),
                        AxisEntry::Fields(_) => path.index(i).key("value"),
                    };
                    self.report(
                        Diagnostic::new("duplicate-value", at, format!("axis `{axis}` lists `{value}` twice"))
                            .label("second time")
                            .related(path.index(first), "first time")
                            .help("each value of an axis is built once; remove the repeated one"),
                    );
                }
            }
            self.check_axis_fields(axis, values);
        }
        self.check_field_variables();
    }

    /// Every entry of an axis has the fields of its first entry, no more and no fewer: a field
    /// that some variants lack would have no value for them.
    fn check_axis_fields(&mut self, axis: &str, entries: &[AxisEntry]) {
        let Some(first) = entries.first() else { return };
        let expected: Vec<&str> = first.fields().map(|(k, _)| k).collect();
        let path = ModelPath::keys(["axes", axis]);
        let listed = if expected.is_empty() {
            "none".to_string()
        } else {
            expected.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
        };
        for (i, entry) in entries.iter().enumerate().skip(1) {
            let fields: Vec<&str> = entry.fields().map(|(k, _)| k).collect();
            let value = entry.value();
            for missing in expected.iter().filter(|f| !fields.contains(f)) {
                self.report(
                    Diagnostic::new(
                        "axis-fields",
                        path.index(i),
                        format!("entry `{value}` of axis `{axis}` has no field `{missing}`"),
                    )
                    .label(format!("no `{missing}`"))
                    .related(path.index(0), "the first entry has it")
                    .help(format!(
                        "every entry of an axis has the same fields (the first entry's: {listed}), so `${{{axis}.{missing}}}` has a value in every variant; add `{missing}: …` here"
                    )),
                );
            }
            for extra in fields.iter().filter(|f| !expected.contains(f)) {
                self.report(
                    Diagnostic::new(
                        "axis-fields",
                        path.index(i).key(*extra),
                        format!("entry `{value}` of axis `{axis}` has field `{extra}`, which its first entry lacks"),
                    )
                    .at_key()
                    .label("not in the first entry")
                    .related(path.index(0), "the first entry")
                    .help(format!(
                        "every entry of an axis has the same fields (the first entry's: {listed}); add `{extra}` to every entry, or remove it here"
                    )),
                );
            }
        }
    }

    /// Each named field is the job variable `<axis>_<field>`: it must not be an axis too, nor
    /// the variable of another field.
    fn check_field_variables(&mut self) {
        let mut taken: HashMap<String, ModelPath> =
            self.model.axes.keys().map(|a| (a.clone(), ModelPath::keys(["axes", a.as_str()]))).collect();
        for (axis, entries) in &self.model.axes {
            let Some(first) = entries.first() else { continue };
            for (field, _) in first.fields() {
                let variable = crate::variant::field_variable(axis, field);
                let at = ModelPath::keys(["axes", axis.as_str()]).index(0).key(field);
                match taken.get(&variable) {
                    Some(other) => self.report(
                        Diagnostic::new(
                            "name-collision",
                            at,
                            format!("field `{field}` of axis `{axis}` is the job variable `{variable}`, which is taken"),
                        )
                        .at_key()
                        .label(format!("`${{{axis}.{field}}}` is `${variable}` in jobs"))
                        .related(other.clone(), "also named so")
                        .help("jobs see each axis as a variable and each field as `<axis>_<field>`; rename the field or the axis"),
                    ),
                    None => {
                        taken.insert(variable, at);
                    }
                }
            }
        }
    }

    fn check_stage_list(&mut self) {
        let Some(stages) = &self.model.stages else { return };
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, stage) in stages.iter().enumerate() {
            if stage.0 == ".pre" || stage.0 == ".post" {
                continue;
            }
            if let Some(first) = seen.insert(stage.0.as_str(), i) {
                self.report(
                    Diagnostic::new(
                        "duplicate-stage",
                        ModelPath::keys(["stages"]).index(i),
                        format!("stage `{}` is listed twice", stage.0),
                    )
                    .label("second time")
                    .related(ModelPath::keys(["stages"]).index(first), "first time"),
                );
            }
        }
    }

    /// A name list (`services`, `caches`, `axes`) whose entries must be declared and distinct.
    fn check_references<'a>(
        &mut self,
        path: &ModelPath,
        listed: impl Iterator<Item = &'a str>,
        declared: impl Iterator<Item = &'a str> + Clone,
        what: &str,
        plural: &str,
        code: &'static str,
    ) {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let owner = path.parent().map(|p| super::schema_errors::subject(&p)).unwrap_or_default();
        let listed: Vec<&str> = listed.collect();
        for (i, &name) in listed.iter().enumerate() {
            let at = path.index(i);
            if !declared.clone().any(|d| d == name) {
                // A name the list already holds would be listed twice if taken.
                let help = self.suggesting().then(|| {
                    suggest::did_you_mean(name, declared.clone().filter(|d| !listed.contains(d)))
                        .unwrap_or_else(|| suggest::listing(plural, declared.clone()))
                });
                self.report(
                    Diagnostic::new(code, at.clone(), format!("unknown {what} `{name}` in {owner}"))
                        .label(format!("no {what} of this name"))
                        .maybe_help(help),
                );
            } else if let Some(first) = seen.insert(name, i) {
                self.report(
                    Diagnostic::new("duplicate-reference", at, format!("{what} `{name}` is listed twice in {owner}"))
                        .label("second time")
                        .related(path.index(first), "first time"),
                );
            }
        }
    }

    fn check_image(&mut self, name: &str) {
        let image = &self.model.images[name];
        let path = ModelPath::keys(["images", name]);
        if image.timeout.is_some_and(|t| t.as_secs() == 0) {
            self.report_zero_timeout(
                path.key("timeout"),
                format!("the build timeout of image `{name}`"),
                Some("give the build time to finish, e.g. `timeout: 2h`"),
            );
        }

        if let Some(from) = &image.from {
            let mut seen: HashMap<&str, ModelPath> = HashMap::new();
            let mut passed: HashMap<String, (&str, ModelPath)> = HashMap::new();
            for parent in from.refs() {
                let entry = parent.path(name);
                let at = if parent.mapping { entry.key("image") } else { entry.clone() };
                let parent_name = parent.image;
                if parent_name == name {
                    self.report(
                        Diagnostic::new("self-parent", at, format!("image `{name}` is its own parent"))
                            .label("this is the image itself")
                            .help(
                                "an image cannot be built from itself; name the image it starts from, or remove `from`",
                            ),
                    );
                } else if !self.model.images.contains_key(parent_name) {
                    // An external reference (`debian:12`) never gets here: the schema's name
                    // pattern refuses it first, with the advice to write it in the Dockerfile.
                    // Never suggest the image itself: that would be "its own parent".
                    // Nor one `from` already names: that would be listed twice.
                    let help = self.suggesting().then(|| {
                        let listed: Vec<&str> = from.refs().iter().map(|p| p.image).collect();
                        let others = || names(&self.model.images).filter(|n| *n != name);
                        suggest::did_you_mean(parent_name, others().filter(|n| !listed.contains(n)))
                            .unwrap_or_else(|| suggest::listing("other images", others()))
                    });
                    self.report(
                        Diagnostic::new(
                            "unknown-parent",
                            at,
                            format!("unknown parent image `{parent_name}` of image `{name}`"),
                        )
                        .label("not an image of this model")
                        .maybe_help(help),
                    );
                } else if let Some(first) = seen.get(parent_name) {
                    self.report(
                        Diagnostic::new(
                            "duplicate-reference",
                            at,
                            format!("parent `{parent_name}` is listed twice in images.{name}.from"),
                        )
                        .label("second time")
                        .related(first.clone(), "first time"),
                    );
                } else {
                    seen.insert(parent_name, at);
                    let arg = parent.build_arg();
                    let arg_at = if parent.arg.is_some() { entry.key("arg") } else { entry };
                    match passed.get(&arg) {
                        Some((first, first_at)) => self.report(
                            Diagnostic::new(
                                "duplicate-parent-arg",
                                arg_at,
                                format!("parents `{first}` and `{parent_name}` of image `{name}` are both passed in `{arg}`"),
                            )
                            .label(format!("`{parent_name}` in `{arg}`"))
                            .related(first_at.clone(), format!("`{first}` in `{arg}`"))
                            .help("each parent reaches the Dockerfile in its own build argument; give one of them the `arg` its `FROM` reads, e.g. `{ image: base, arg: BASE_IMAGE }`"),
                        ),
                        None => {
                            passed.insert(arg, (parent_name, arg_at));
                        }
                    }
                }
            }
            if let Parents::Many(list) = from
                && list.is_empty()
            {
                self.report(
                    Diagnostic::new("empty", path.key("from"), format!("`from` of image `{name}` is an empty list"))
                        .label("empty")
                        .help("remove `from` for an image without parents"),
                );
            }
        }

        let axes = image.axes.iter().map(|a| a.0.as_str());
        self.check_references(&path.key("axes"), axes, names(&self.model.axes), "axis", "axes", "unknown-axis");
        let caches = image.caches.iter().map(|c| c.0.as_str());
        self.check_references(
            &path.key("caches"),
            caches,
            names(&self.model.caches),
            "cache",
            "caches",
            "unknown-cache",
        );
        for cache in &image.caches {
            if let Some(declared) = self.model.caches.get(&cache.0)
                && declared.paths.len() != 1
            {
                self.report(
                        Diagnostic::new("image-cache-paths", path.key("caches"), format!("cache `{}` is used by image `{name}` but has {} paths", cache.0, declared.paths.len()))
                            .label("used by an image build")
                            .help("a cache of an image build feeds one `RUN --mount=type=cache,id=<cache>` directory, so it holds exactly one path"),
                    );
            }
        }

        if image.caches.len() > GITLAB_MAX_CACHES_PER_JOB {
            // The build job restores its caches like any job, so GitLab's limit applies to it too.
            self.report(
                Diagnostic::new(
                    "too-many-caches",
                    path.key("caches").index(GITLAB_MAX_CACHES_PER_JOB),
                    format!("image `{name}` uses {} caches; GitLab allows {GITLAB_MAX_CACHES_PER_JOB} here", image.caches.len()),
                )
                .label("one too many")
                .help("GitLab runs at most 4 cache entries per job and pipegen uses up to two per cache; an image build mounts one directory per cache, so merge caches that always change together"),
            );
        }

        let parents = image.from.iter().flat_map(|f| f.refs()).collect::<Vec<_>>();
        for arg in image.args.keys() {
            let Some(parent) = parents.iter().find(|p| p.build_arg() == *arg) else { continue };
            let at = path.key("args").key(arg.as_str());
            let message = format!("build argument `{arg}` of image `{name}` is set by pipegen");
            let diagnostic = match parent.arg {
                None => Diagnostic::new("reserved-arg", at, message)
                    .at_key()
                    .label("pipegen passes the parent's reference here")
                    .help("pipegen passes each parent's full reference (registry, name, tag) in this argument; remove it"),
                Some(_) => Diagnostic::new("reserved-arg", at, message)
                    .at_key()
                    .label(format!("`from` passes parent `{}` here", parent.image))
                    .related(parent.path(name).key("arg"), "the parent's argument")
                    .help(format!(
                        "pipegen passes the full reference (registry, name, tag) of `{}` in `{arg}`; remove `{arg}` from `args`, or pass the parent in another argument",
                        parent.image
                    )),
            };
            self.report(diagnostic);
        }
        self.check_stage(&path, image.stage.as_ref().map(|s| s.0.as_str()));
    }

    fn check_stage(&mut self, owner: &ModelPath, stage: Option<&str>) {
        let (Some(stages), Some(stage)) = (&self.model.stages, stage) else { return };
        if !stages.iter().any(|s| s.0 == stage) {
            self.report(
                Diagnostic::new("unknown-stage", owner.key("stage"), format!("unknown stage `{stage}`"))
                    .label("not in `stages`")
                    .help(suggest::help_for(stage, "stages", stages.iter().map(|s| s.0.as_str()))),
            );
        }
    }

    fn check_cycles(&mut self, graph: &ImageGraph<'_>) {
        if let Some(cycle) = graph.cycle() {
            let first = &cycle[0];
            let closing = &cycle[cycle.len() - 2];
            // Point at the `from` entry of the first image that names the last one.
            let image = &self.model.images[first.as_str()];
            let at = image
                .from
                .iter()
                .flat_map(|f| f.iter())
                .find(|(_, p)| p == closing)
                .map(|(i, _)| match i {
                    Some(i) => ModelPath::keys(["images", first.as_str(), "from"]).index(i),
                    None => ModelPath::keys(["images", first.as_str(), "from"]),
                })
                .unwrap_or_else(|| ModelPath::keys(["images", first.as_str()]));
            let shown: Vec<String> = cycle.iter().rev().cloned().collect();
            self.report(
                Diagnostic::new("cycle", at, format!("images depend on each other in a cycle: {}", shown.join(" → ")))
                    .label("this `from` closes the cycle")
                    .help("`from` edges must form a tree or a DAG; remove one of the edges along the cycle"),
            );
        }
    }

    /// The registry: a host and port the schema's pattern lets through (`a..b`, `localhost:99999`)
    /// that no client could reach, or a path component no repository name has (`reg.io/a..b`).
    fn check_registry(&mut self) {
        if let Some(why) = super::image_reference::registry_problem(&self.model.registry) {
            self.report(
                Diagnostic::new("invalid-registry", ModelPath::keys(["registry"]), format!("`{}` is not a registry: {why}", self.model.registry))
                    .label("no registry client reaches this")
                    .help("write a host (and port) with an optional path, e.g. `registry.example.com/team` or `localhost:5000/team`"),
            );
        } else if let Some(form) = super::image_reference::namespace_needed(&self.model.registry) {
            let registry = &self.model.registry;
            self.report(
                Diagnostic::new(
                    "invalid-registry",
                    ModelPath::keys(["registry"]),
                    format!("`{registry}` has no namespace: the registry refuses pushes outside an owner's path, so every push would fail"),
                )
                .label("no owner or namespace path")
                .help(format!(
                    "write the path your images belong under, `{form}`, e.g. `{}`",
                    ["<group>/<project>", "<project>/<repository>", "<owner>", "<namespace>", "<alias>", "<project>"]
                        .iter()
                        .zip(["acme/images", "acme/images", "acme", "acme", "acme", "acme"])
                        .fold(form.clone(), |example, (placeholder, value)| example.replace(placeholder, value))
                )),
            );
        }
    }

    fn check_image_reference(&mut self, path: &ModelPath, reference: &str, owner: &str) {
        if self.model.images.contains_key(reference) {
            return;
        }
        if crate::model::is_external_reference(reference) {
            if let Some(why) = super::image_reference::problem(reference) {
                self.report(
                    Diagnostic::new(
                        "invalid-image",
                        path.clone(),
                        format!("`{reference}` in {owner} is not an image reference: {why}"),
                    )
                    .label("a job would fail to pull this")
                    .help("write `[host[:port]/]path[:tag][@digest]`, e.g. `postgres:16.4` or `ghcr.io/org/tool:1.2`"),
                );
            }
            return;
        }
        let help = match suggest::did_you_mean(reference, names(&self.model.images)) {
            Some(hint) => hint,
            None => format!(
                "name an image of this model, or an external image with a tag or digest, e.g. `{reference}:1.2.3`"
            ),
        };
        self.report(
            Diagnostic::new("unknown-image", path.clone(), format!("unknown image `{reference}` in {owner}"))
                .label("not an image of this model, and not an external reference with a tag")
                .help(help),
        );
    }

    /// `bad-duration` at `at` for a timeout of zero; `what` names the timeout in the message.
    fn report_zero_timeout(&mut self, at: ModelPath, what: String, help: Option<&str>) {
        let diagnostic = Diagnostic::new("bad-duration", at, format!("{what} is zero")).label("must be more than 0s");
        self.report(match help {
            Some(help) => diagnostic.help(help),
            None => diagnostic,
        });
    }

    fn check_service(&mut self, name: &str) {
        let service = &self.model.services[name];
        let path = ModelPath::keys(["services", name]);
        // Jobs reach a service at the host name of its key (GitLab's `alias`, GitHub's service
        // label): one DNS label, which resolvers and Kubernetes refuse past 63 characters.
        if name.len() > MAX_HOST_LABEL {
            self.report(
                Diagnostic::new(
                    "name-too-long",
                    path.clone(),
                    format!(
                        "service `{name}` is reached at the host name of its key, {} characters; a host name's label has at most {MAX_HOST_LABEL}",
                        name.len()
                    ),
                )
                .at_key()
                .label("too long for a host name")
                .help(format!("shorten the service's name to at most {MAX_HOST_LABEL} characters")),
            );
        }
        self.check_image_reference(&path.key("image"), &service.image, &format!("service `{name}`"));
        if let Some(health) = &service.health {
            let hpath = path.key("health");
            if health.timeout.as_secs() == 0 {
                self.report_zero_timeout(
                    hpath.key("timeout"),
                    format!("the health timeout of service `{name}`"),
                    Some("give the service time to start, e.g. `timeout: 5m`"),
                );
            }
            // With a zero timeout, only the timeout is wrong.
            if health.timeout.as_secs() > 0 && (health.interval.as_secs() == 0 || health.interval > health.timeout) {
                self.report(
                    Diagnostic::new(
                        "bad-duration",
                        hpath.key("interval"),
                        format!(
                            "the health interval of service `{name}` must be between 1s and its timeout ({})",
                            health.timeout
                        ),
                    )
                    .label("out of range")
                    .help("e.g. `interval: 5s`"),
                );
            }
        }
    }

    fn check_job(&mut self, name: &str) {
        let job = &self.model.jobs[name];
        let path = ModelPath::keys(["jobs", name]);
        if GITLAB_RESERVED.contains(&name) {
            self.report(
                Diagnostic::new("reserved-name", path.clone(), format!("`{name}` cannot name a job"))
                    .at_key()
                    .label("reserved by GitLab")
                    .help(if ["true", "false", "nil", "yes", "no", "on", "off"].contains(&name) {
                        format!("GitLab's YAML parser reads `{name}` as a boolean or null, not a name; choose another name, e.g. `{name}-job`")
                    } else {
                        format!("GitLab reads `{name}` as a keyword of the pipeline itself; choose another name, e.g. `{name}-job`")
                    }),
            );
        }
        if let Some(image) = &job.image {
            self.check_image_reference(&path.key("image"), image, &format!("job `{name}`"));
        }
        let services = job.services.iter().map(|s| s.0.as_str());
        self.check_references(
            &path.key("services"),
            services,
            names(&self.model.services),
            "service",
            "services",
            "unknown-service",
        );
        let caches = job.caches.iter().map(|c| c.0.as_str());
        self.check_references(
            &path.key("caches"),
            caches,
            names(&self.model.caches),
            "cache",
            "caches",
            "unknown-cache",
        );
        let axes = job.axes.iter().map(|a| a.0.as_str());
        self.check_references(&path.key("axes"), axes, names(&self.model.axes), "axis", "axes", "unknown-axis");
        if job.caches.len() > GITLAB_MAX_CACHES_PER_JOB {
            self.report(
                Diagnostic::new("too-many-caches", path.key("caches").index(GITLAB_MAX_CACHES_PER_JOB), format!("job `{name}` uses {} caches; GitLab allows {GITLAB_MAX_CACHES_PER_JOB} here", job.caches.len()))
                    .label("one too many")
                    .help("GitLab runs at most 4 cache entries per job and pipegen uses two per cache (its exact key and the rolling fallback of its stage); merge caches into one with several paths"),
            );
        }
        if job.timeout.is_some_and(|t| t.as_secs() == 0) {
            self.report_zero_timeout(path.key("timeout"), format!("the timeout of job `{name}`"), None);
        }
        self.check_stage(&path, job.stage.as_ref().map(|s| s.0.as_str()));
        self.check_job_needs(name);
    }

    /// `needs`: jobs of this model, each once, never the job itself.
    fn check_job_needs(&mut self, name: &str) {
        let job = &self.model.jobs[name];
        let path = ModelPath::keys(["jobs", name, "needs"]);
        for (i, needed) in job.needs.iter().enumerate() {
            if needed.0 == name {
                self.report(
                    Diagnostic::new("self-need", path.index(i), format!("job `{name}` needs itself"))
                        .label("this is the job itself")
                        .help(
                            "a job cannot run after itself; name the jobs whose results it uses, or remove the entry",
                        ),
                );
            }
        }
        // The job itself counts as declared here: it was reported above, not as unknown.
        self.check_references(
            &path,
            job.needs.iter().map(|n| n.0.as_str()),
            names(&self.model.jobs),
            "job",
            "jobs",
            "unknown-job",
        );
    }

    /// Jobs that need each other in a cycle would never start: reported once, for the cycle
    /// [`crate::graph::first_cycle`] names (as image cycles are), at the `needs` entry that
    /// closes it. Self-needs and unknown jobs are `check_job_needs`'s.
    fn check_job_cycles(&mut self) {
        let jobs = &self.model.jobs;
        let mut graph: DiGraph<&str, ()> = DiGraph::new();
        let nodes: HashMap<&str, NodeIndex> = jobs.keys().map(|j| (j.as_str(), graph.add_node(j.as_str()))).collect();
        for (name, job) in jobs {
            for needed in job.needs.iter().filter(|n| n.0 != *name) {
                if let Some(&to) = nodes.get(needed.0.as_str()) {
                    graph.add_edge(nodes[name.as_str()], to, ());
                }
            }
        }
        let Some(cycle) = crate::graph::first_cycle(&graph) else { return };
        // The last job on the cycle needs the first.
        let closing = cycle[cycle.len() - 2].as_str();
        let entry = jobs[closing].needs.iter().position(|n| n.0 == cycle[0]).unwrap_or(0);
        self.report(
            Diagnostic::new(
                "need-cycle",
                ModelPath::keys(["jobs", closing, "needs"]).index(entry),
                format!("jobs need each other in a cycle: {}", cycle.join(" → ")),
            )
            .label("this entry closes the cycle")
            .help("a job runs after the jobs it needs, so none of these could start; remove one of the `needs` entries along the cycle"),
        );
    }

    /// Checks that need a sound graph and sound axes: `${axis}` scopes, of the images and jobs
    /// whose own scope is sound.
    fn check_scopes(&mut self, graph: &ImageGraph<'_>, unsound: &Unsound<'_>) {
        self.found.extend(env_names::hidden_axes(self.model, graph, unsound));
        self.found.extend(super::substitutions::check(self.model, graph, unsound));
        self.found.extend(super::alias_tags::check(self.model, graph, unsound));
    }

    /// Checks that need a sound graph and sound stages: stage order.
    fn check_stages(&mut self, graph: &ImageGraph<'_>) {
        let layout = StageLayout::new(self.model, graph);
        for name in self.model.images.keys() {
            let stage = &layout.images[name];
            let at = ModelPath::keys(["images", name.as_str()]);
            self.check_stage_declared(&layout, stage, &at, &format!("image `{name}`"));
            for parent in graph.parents(name) {
                let parent_stage = &layout.images[parent];
                self.check_stage_order(
                    &layout,
                    stage,
                    parent_stage,
                    &at,
                    &format!("image `{name}`"),
                    &format!("its parent `{parent}`"),
                );
            }
        }
        for (name, job) in &self.model.jobs {
            let at = ModelPath::keys(["jobs", name.as_str()]);
            let stage = &layout.jobs[name];
            self.check_stage_declared(&layout, stage, &at, &format!("job `{name}`"));
            let used = job
                .image
                .iter()
                .chain(job.services.iter().filter_map(|s| self.model.services.get(&s.0)).map(|s| &s.image));
            for image in used.filter_map(|i| crate::model::model_image(self.model, i)) {
                let image_stage = &layout.images[image];
                self.check_stage_order(
                    &layout,
                    stage,
                    image_stage,
                    &at,
                    &format!("job `{name}`"),
                    &format!("image `{image}`"),
                );
            }
            for needed in &job.needs {
                let needed_stage = &layout.jobs[&needed.0];
                self.check_stage_order(
                    &layout,
                    stage,
                    needed_stage,
                    &at,
                    &format!("job `{name}`"),
                    &format!("job `{}`", needed.0),
                );
            }
        }
        self.layout = Some(layout);
    }

    fn check_stage_declared(&mut self, layout: &StageLayout, stage: &str, at: &ModelPath, owner: &str) {
        if layout.position(stage).is_none() && self.model.stages.is_some() && !self.source_has_stage(at) {
            self.report(
                Diagnostic::new(
                    "undeclared-stage",
                    at.clone(),
                    format!("{owner} has no `stage`, and its default stage `{stage}` is not in `stages`"),
                )
                .at_key()
                .label("no stage")
                .help(format!("set `stage:` to one of the declared stages, or add `{stage}` to `stages`")),
            );
        }
    }

    fn source_has_stage(&self, at: &ModelPath) -> bool {
        self.source.contains(&at.key("stage"))
    }

    fn check_stage_order(
        &mut self,
        layout: &StageLayout,
        stage: &str,
        needed: &str,
        at: &ModelPath,
        owner: &str,
        what: &str,
    ) {
        let (Some(own), Some(other)) = (layout.position(stage), layout.position(needed)) else { return };
        if own < other {
            let target = if self.source.contains(&at.key("stage")) { at.key("stage") } else { at.clone() };
            self.report(
                Diagnostic::new(
                    "stage-order",
                    target,
                    format!("{owner} is in stage `{stage}`, before the stage `{needed}` of {what} it needs"),
                )
                .label("stage too early")
                .help(format!(
                    "GitLab refuses a job that needs a job of a later stage; move {owner} to `{needed}` or later"
                )),
            );
        }
    }
}

/// A `refresh.schedule` GitHub would not run ([`super::cron::problem`]); also for one the schema
/// finds too short.
pub(super) fn bad_schedule(message: String, help: String) -> Diagnostic {
    Diagnostic::new("bad-schedule", ModelPath::keys(["refresh", "schedule"]), message)
        .label("not a schedule GitHub runs")
        .help(help)
}

#[cfg(test)]
mod tests {
    use super::super::patterns;
    use super::{GITLAB_RESERVED, MAX_HOST_LABEL};

    /// The schema's `maxLength` of service names is the host label's limit `validate` checks.
    #[test]
    fn the_schema_limits_service_names_as_validate_does() {
        for length in [1, MAX_HOST_LABEL - 1, MAX_HOST_LABEL, MAX_HOST_LABEL + 1, 200] {
            let name = "s".repeat(length);
            let model = serde_json::json!({ "name": "m", "registry": "r.example.com/t", "services": { name: { "image": "postgres:16" } } });
            let refused = super::super::schema::validator()
                .iter_errors(&model)
                .any(|e| e.instance_path().as_str() == "/services");
            assert_eq!(refused, length > MAX_HOST_LABEL, "{length}");
        }
    }

    /// The schema's job name pattern refuses the names GitLab reserves, and only those, among
    /// names of the right form.
    #[test]
    fn the_schema_reserves_the_same_job_names() {
        let mut names: Vec<String> = ["qa", "a", "image-build", "pages2", "yes-no", "x"].map(String::from).to_vec();
        for reserved in GITLAB_RESERVED {
            names.extend([reserved.to_string(), format!("{reserved}s"), format!("a{reserved}")]);
            names.push(reserved[..reserved.len() - 1].to_string());
        }
        for name in names {
            let form = name.starts_with(|c: char| c.is_ascii_lowercase())
                && !name.ends_with('-')
                && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            let pipegen = form && !GITLAB_RESERVED.contains(&name.as_str());
            assert_eq!(patterns::matches(patterns::JOB_NAME, &name), pipegen, "{name}");
        }
    }
}
