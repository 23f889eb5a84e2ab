//! Turning a checked model into a [`Plan`].

use std::collections::HashMap;

use super::need_match::NeedIndex;
use super::*;
use crate::alias_tags;
use crate::graph::ImageGraph;
use crate::model::{self, Diagnostic, Job, LoadedModel, Model, ModelErrors, ModelPath, model_image};
use crate::naming;
use crate::stages::StageLayout;
use crate::template;
use crate::variant::{ArgValue, Variant, substitute, substitute_arg};

/// The axes a job runs over: those of its image, then of its services' images, then its own.
pub fn job_axes(model: &Model, graph: &ImageGraph<'_>, job: &Job) -> Vec<String> {
    let mut axes: Vec<String> = Vec::new();
    let mut add = |axis: String| {
        if !axes.contains(&axis) {
            axes.push(axis);
        }
    };
    let service_images = job.services.iter().filter_map(|s| model.services.get(&s.0)).map(|s| &s.image);
    for image in job.image.iter().chain(service_images) {
        if let Some(name) = model_image(model, image) {
            graph.axes(name).into_iter().for_each(&mut add);
        }
    }
    job.axes.iter().map(|a| a.0.clone()).for_each(add);
    axes
}

/// Build the plan of a checked model. `model_file` is the model's path relative to the
/// repository root. Problems only visible once variants are expanded are reported like model
/// errors; the platforms' limits are checked by each backend (`emit::check`).
pub fn build(loaded: &LoadedModel, model_file: &str) -> Result<Plan, ModelErrors> {
    let model = &loaded.model;
    let graph = ImageGraph::new(model);
    let layout = &loaded.layout;
    let policy = Policy { push: (&model.push).into(), ..Policy::default() };
    let mut planner = Planner {
        model,
        graph: &graph,
        layout,
        uses: foldhash::HashMap::default(),
        variants: foldhash::HashMap::default(),
        build_timeout: policy.build_timeout,
        problems: Vec::new(),
    };

    let builds = planner.builds();
    let runs = planner.runs();
    let build_index = builds.iter().enumerate().map(|(i, b)| (b.this.id.clone(), i)).collect();
    let plan = Plan {
        name: model.name.clone(),
        model_file: model_file.to_string(),
        registry: model.registry.clone(),
        stages: layout.order.clone(),
        builds,
        runs,
        policy,
        raised: RaisedLimits {
            gitlab_needs: model.limits.gitlab.as_ref().and_then(|g| g.needs),
            gitlab_config_bytes: model.limits.gitlab.as_ref().and_then(|g| g.config_bytes),
            gitlab_jobs: model.limits.gitlab.as_ref().and_then(|g| g.jobs),
        },
        runners: model
            .runners
            .iter()
            .filter_map(|(name, runner)| crate::model::Platform::parse(name).map(|p| (p, runner.clone())))
            .collect(),
        refresh: model.refresh.as_ref().map(|r| r.schedule.split_whitespace().collect::<Vec<_>>().join(" ")),
        ignore_files: Default::default(),
        submodules: Default::default(),
        lfs_attributes: Default::default(),
        link_targets: Default::default(),
        build_index,
    };
    let mut problems = planner.problems;
    problems.extend(same_keys(&plan));
    problems.extend(super::registry_limits::check(&plan));
    problems.extend(super::process_limits::check(&plan));
    if problems.is_empty() { Ok(plan) } else { Err(ModelErrors::new(loaded.source.clone(), problems)) }
}

/// Two builds whose keys (variable and output names) would be the same: axis values that differ
/// only in case or punctuation.
fn same_keys(plan: &Plan) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut seen: foldhash::HashMap<&str, &Build> =
        HashMap::with_capacity_and_hasher(plan.builds.len(), Default::default());
    for build in &plan.builds {
        if let Some(first) = seen.insert(&build.this.key, build) {
            problems.push(
                Diagnostic::new(
                    "name-collision",
                    build.id().origin(),
                    format!(
                        "{} and {} would share the reference variable `{}`",
                        first.id(),
                        build.id(),
                        naming::ref_variable(&build.this.key)
                    ),
                )
                .at_key()
                .label("generated variable collides")
                .related(first.id().origin(), "with this build")
                .help(if first.this.id.image == build.this.id.image {
                    "axis values that differ only in case or punctuation (`A` and `a`, `3.2` and `3-2`) map to the same variable; rename one"
                } else {
                    "an image's name and its variant's values are joined with `__` (`a` for v=b is `A__B`, as is an image `a--b`); rename one of the images"
                }),
            );
        }
    }
    problems
}

struct Planner<'a> {
    model: &'a Model,
    graph: &'a ImageGraph<'a>,
    layout: &'a StageLayout,
    /// Every build, by image and variant: looked up once per parent, image and service of
    /// every build and run, with a borrowed name.
    uses: foldhash::HashMap<(&'a str, Variant), BuildUse>,
    /// The variants of each list of axes: computed once, and shared (not copied) by every
    /// image and job over the same axes.
    variants: foldhash::HashMap<Vec<String>, Vec<Variant>>,
    /// The plan's build timeout, for images that set none.
    build_timeout: crate::model::Duration,
    problems: Vec<Diagnostic>,
}

impl<'a> Planner<'a> {
    /// `value` with `variant`'s values; `at` (where the value is, for the error) is only built
    /// when substitution fails: planning calls this for every value of every variant.
    fn substituted(&mut self, value: &str, variant: &Variant, at: impl FnOnce() -> ModelPath) -> String {
        substitute(value, variant).unwrap_or_else(|_| {
            self.problems.push(unsubstituted(at(), value));
            value.to_string()
        })
    }

    fn builds(&mut self) -> Vec<Build> {
        let graph = self.graph;
        let variants: Vec<(&str, Vec<Variant>)> =
            graph.topological().into_iter().map(|image| (image, self.variants_over(graph.axes_of(image)))).collect();
        let count = variants.iter().map(|(_, v)| v.len()).sum();
        let mut builds = Vec::with_capacity(count);
        self.uses.reserve(count);
        for (image_name, image_variants) in variants {
            let image = &self.model.images[image_name];
            let stage = self.layout.images[image_name].clone();
            let at = || ModelPath::keys(["images", image_name]);
            let shared_name: std::sync::Arc<str> = image_name.into();
            // The same for every variant: the parents, their build arguments and their axes.
            let parents_with_args: Vec<(&str, String, &[String])> = graph
                .parents_with_args(image_name)
                .into_iter()
                .map(|(parent, arg)| (parent, arg, graph.axes_of(parent)))
                .collect();
            for variant in image_variants {
                let context = match &image.context {
                    Some(context) => {
                        repo_path::normalized(&self.substituted(context, &variant, || at().key("context")))
                    }
                    None => ".".to_string(),
                };
                let dockerfile = match &image.dockerfile {
                    Some(dockerfile) => {
                        repo_path::normalized(&self.substituted(dockerfile, &variant, || at().key("dockerfile")))
                    }
                    None => default_dockerfile(&context),
                };
                let inputs = image
                    .inputs
                    .iter()
                    .enumerate()
                    .map(|(i, input)| {
                        repo_path::normalized(&self.substituted(&input.0, &variant, || at().key("inputs").index(i)))
                    })
                    .collect();
                let id = BuildId { image: shared_name.clone(), variant: variant.clone() };
                let tag = match image.tag {
                    model::TagMode::Content => TagMode::Content,
                    model::TagMode::Commit => {
                        TagMode::Commit { suffix: (!variant.is_empty()).then(|| variant.suffix()) }
                    }
                };
                let this = BuildUse { key: naming::build_key(image_name, &variant).into(), id: id.clone(), tag };
                let mut args = Vec::new();
                let mut parent_args = Vec::new();
                for (name, value) in &image.args {
                    match substitute_arg(value, &variant) {
                        Ok(ArgValue::Text(text)) => args.push((name.clone(), text)),
                        Ok(ArgValue::WithParents(template)) => parent_args.push((name.clone(), template)),
                        Err(_) => self.problems.push(unsubstituted(at().key("args").key(name.as_str()), value)),
                    }
                }
                let parents: Vec<Parent> = parents_with_args
                    .iter()
                    .map(|(parent, arg, axes)| Parent {
                        arg: arg.clone(),
                        build: self.build_with_axes(parent, axes, &variant),
                    })
                    .collect();
                // A build reads every parent's tag: it hashes it and builds from it.
                let needs =
                    dedup(parents.iter().map(|p| Need { job: JobId::Build(p.build.id.clone()), takes_tag: true }));
                let aliases = image
                    .aliases
                    .iter()
                    .enumerate()
                    .map(|(i, alias)| AliasTag {
                        template: alias_tags::substitute_axes(alias.template(), &variant).unwrap_or_else(|_| {
                            self.problems.push(unsubstituted(at().key("aliases").index(i), alias.template()));
                            alias.template().to_string()
                        }),
                        when: alias.when(),
                    })
                    .collect();
                // A set: the order written does not change the tag or the jobs.
                let mut platforms = self.model.platforms_of(image_name).unwrap_or_default().to_vec();
                platforms.sort_by_key(|p| p.name());
                // Each job keys its caches by the platform it builds, if it names one.
                let single = match platforms.as_slice() {
                    [only] => Some(*only),
                    _ => None,
                };
                let caches: Vec<CacheUse> =
                    image.caches.iter().map(|c| self.cache_use(&c.0, &stage, &variant, single)).collect();
                let platform_caches = if platforms.len() > 1 {
                    platforms
                        .iter()
                        .map(|p| (*p, caches.iter().map(|c| c.on_platform(&stage, &variant, *p)).collect()))
                        .collect()
                } else {
                    Vec::new()
                };
                self.uses.insert((image_name, variant.clone()), this.clone());
                builds.push(Build {
                    this,
                    stage: stage.clone(),
                    context,
                    dockerfile,
                    inputs,
                    target: image.target.clone(),
                    args,
                    parent_args,
                    parents,
                    caches,
                    platform_caches,
                    needs,
                    aliases,
                    platforms,
                    timeout: image.timeout.unwrap_or(self.build_timeout),
                });
            }
        }
        builds
    }

    /// Every variant over `axes` ([`Variant::product`]).
    fn variants_over(&mut self, axes: &[String]) -> Vec<Variant> {
        if let Some(variants) = self.variants.get(axes) {
            return variants.clone();
        }
        let variants = Variant::product(axes, &self.model.axes);
        self.variants.insert(axes.to_vec(), variants.clone());
        variants
    }

    /// The build of `image` that a user with `variant` needs: the one with the same values of
    /// the image's own axes.
    fn build_of(&self, image: &'a str, variant: &Variant) -> BuildUse {
        self.build_with_axes(image, self.graph.axes_of(image), variant)
    }

    /// [`Planner::build_of`], the image's `axes` known.
    fn build_with_axes(&self, image: &'a str, axes: &[String], variant: &Variant) -> BuildUse {
        self.uses[&(image, variant.restrict(axes))].clone()
    }

    /// A use of the cache `name` by a job of `stage` and `variant`, building for `platform` when
    /// it names one.
    fn cache_use(&mut self, name: &str, stage: &str, variant: &Variant, platform: Option<Platform>) -> CacheUse {
        let cache = &self.model.caches[name];
        let paths = cache
            .paths
            .iter()
            .enumerate()
            .map(|(i, p)| self.substituted(&p.0, variant, || ModelPath::keys(["caches", name, "paths"]).index(i)))
            .collect();
        let prefix = crate::naming::cache_prefix(name, stage, variant, platform);
        CacheUse { name: name.to_string(), key_files: cache.key.iter().map(|k| k.0.clone()).collect(), paths, prefix }
    }

    fn image_use(&self, reference: &str, variant: &Variant) -> ImageUse {
        match model_image(self.model, reference) {
            Some(image) => ImageUse::Model(self.build_of(image, variant)),
            None => ImageUse::External(reference.to_string()),
        }
    }

    fn service_use(&self, alias: &str, variant: &Variant) -> ServiceUse {
        let service = &self.model.services[alias];
        ServiceUse {
            alias: alias.to_string(),
            image: self.image_use(&service.image, variant),
            port: service.port,
            env: service.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            health: service.health.as_ref().map(|h| HealthCheck {
                probe: match (&h.http, h.tcp, &h.cmd) {
                    (Some(path), _, _) => Probe::Http(path.clone()),
                    (None, _, Some(cmd)) => Probe::Cmd(cmd.clone()),
                    _ => Probe::Tcp,
                },
                timeout: h.timeout,
                interval: h.interval,
            }),
        }
    }

    fn runs(&mut self) -> Vec<Run> {
        let model = self.model;
        let axes: Vec<Vec<String>> = model.jobs.values().map(|job| job_axes(model, self.graph, job)).collect();
        let variants: Vec<Vec<Variant>> = axes.iter().map(|axes| self.variants_over(axes)).collect();
        let mut out = Vec::with_capacity(variants.iter().map(Vec::len).sum());
        // Each job's variants by name, for the jobs that need it.
        let variants_of: HashMap<&str, &[Variant]> =
            model.jobs.keys().map(String::as_str).zip(variants.iter().map(Vec::as_slice)).collect();
        // Whether a job hands files on: some job needs it, and it keeps files when it succeeds.
        let hands_on =
            |name: &str| model.jobs[name].artifacts.as_ref().is_some_and(|a| a.when != ArtifactsWhen::OnFailure);
        let handed_on: std::collections::HashSet<&str> =
            model.jobs.values().flat_map(|j| j.needs.iter()).map(|n| n.0.as_str()).filter(|n| hands_on(n)).collect();
        for (((job_name, job), job_variants), job_axes) in
            self.model.jobs.iter().zip(variants.iter().cloned()).zip(&axes)
        {
            let stage = self.layout.jobs[job_name].clone();
            // Each needed job's variants grouped by the axes this job shares with it, once per job.
            let needed: Vec<(&String, NeedIndex<'_>)> =
                job.needs.iter().map(|n| (&n.0, NeedIndex::new(job_axes, variants_of[n.0.as_str()]))).collect();
            // The same for every variant: scripts read axis values from the environment.
            let script: Vec<String> =
                job.script.iter().map(|line| template::script_fields(line, crate::variant::field_variable)).collect();
            let artifacts = job
                .artifacts
                .as_ref()
                .map(|a| ArtifactsPlan { paths: a.paths.iter().map(|p| p.0.clone()).collect(), when: a.when });
            for variant in job_variants {
                let image = job.image.as_deref().map(|i| self.image_use(i, &variant));
                let services: Vec<ServiceUse> = job.services.iter().map(|s| self.service_use(&s.0, &variant)).collect();
                let mut env: Vec<(String, String)> = variant.variables();
                for (k, v) in &job.env {
                    let at = || ModelPath::keys(["jobs", job_name.as_str(), "env", k.as_str()]);
                    env.push((k.clone(), self.substituted(v, &variant, at)));
                }
                let mut run = Run {
                    job: job_name.clone(),
                    variant: variant.clone(),
                    stage: stage.clone(),
                    image,
                    services,
                    caches: job.caches.iter().map(|c| self.cache_use(&c.0, &stage, &variant, None)).collect(),
                    env,
                    // `parallel: 1` is one shard: it still sees CI_NODE_INDEX and CI_NODE_TOTAL.
                    shards: job.parallel.filter(|p| *p >= 1),
                    script: script.clone(),
                    retry: job.retry.unwrap_or(0),
                    timeout: job.timeout,
                    artifacts: artifacts.clone(),
                    needs: Vec::new(),
                    received: Vec::new(),
                    handed_on: handed_on.contains(job_name.as_str()),
                    submodules: job.submodules,
                    secrets: job.secrets.iter().map(|s| s.0.clone()).collect(),
                };
                run.needs =
                    dedup(run.model_images().map(|b| Need { job: JobId::Build(b.id.clone()), takes_tag: true }));
                // The jobs it needs: every variant that agrees with this one, with its artifacts.
                for (needed, index) in &needed {
                    let matched: Vec<JobId> = index
                        .matching(&variant)
                        .iter()
                        .map(|v| JobId::Run { job: (*needed).clone(), variant: (*v).clone() })
                        .collect();
                    if hands_on(needed) {
                        run.received.extend(matched.iter().cloned());
                    }
                    run.needs.extend(matched.into_iter().map(|job| Need { job, takes_tag: true }));
                }
                out.push(run);
            }
        }
        out
    }
}

/// Validation checked every `${…}`; should the two ever disagree, still a located error.
fn unsubstituted(at: ModelPath, value: &str) -> Diagnostic {
    Diagnostic::new("bad-substitution", at, format!("cannot substitute `{value}`"))
}

/// The Dockerfile of a context when the model names none: `<context>/Dockerfile`.
pub fn default_dockerfile(context: &str) -> String {
    if context == "." {
        return "Dockerfile".to_string();
    }
    let directory = context.trim_end_matches('/');
    let mut path = String::with_capacity(directory.len() + "/Dockerfile".len());
    path.push_str(directory);
    path.push_str("/Dockerfile");
    path
}

/// The needs in order, each job once (a job may run an image and a service of the same build).
fn dedup(items: impl Iterator<Item = Need>) -> Vec<Need> {
    let mut out: Vec<Need> = Vec::new();
    for item in items {
        match out.iter_mut().find(|n| n.job == item.job) {
            Some(same) => same.takes_tag |= item.takes_tag,
            None => out.push(item),
        }
    }
    out
}
