//! Turning a checked model into a [`Plan`].

use std::collections::HashMap;

use super::limits;
use super::*;
use crate::graph::ImageGraph;
use crate::model::{Diagnostic, Job, LoadedModel, Model, ModelErrors, ModelPath, TagMode, model_image};
use crate::naming;
use crate::stages::StageLayout;
use crate::variant::{Variant, substitute};

/// Name of the job that computes tags, on GitLab (`pipegen:tags`) and GitHub (`pipegen_tags`).
pub const TAGS_JOB: &str = "pipegen:tags";

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
/// repository root. Problems only visible once variants are expanded (two jobs whose generated
/// names collide, a platform limit) are reported like model errors.
pub fn build(loaded: &LoadedModel, model_file: &str) -> Result<Plan, ModelErrors> {
    let model = &loaded.model;
    let graph = ImageGraph::new(model);
    let layout = StageLayout::new(model, &graph);
    let mut planner = Planner { model, graph: &graph, layout: &layout, refs: HashMap::new(), problems: Vec::new() };

    let builds = planner.builds();
    let tags = (!builds.is_empty()).then(|| TagsJob {
        name: JobName::new(TAGS_JOB.to_string()),
        tags: builds.iter().map(|b| planner.computed_tag(b)).collect(),
        cache_keys: Vec::new(),
    });
    let jobs = planner.jobs(tags.is_some());
    let mut plan = Plan {
        name: model.name.clone(),
        model_file: model_file.to_string(),
        registry: model.registry.clone(),
        stages: layout.order.clone(),
        tags,
        builds,
        jobs,
    };
    add_computed_cache_keys(&mut plan);
    let mut problems = planner.problems;
    problems.extend(limits::check(&plan));
    if problems.is_empty() { Ok(plan) } else { Err(ModelErrors::new(loaded.source.clone(), problems)) }
}

/// Caches with more key files than GitLab's `key:files` takes get their key from the tags job;
/// a job that has one needs the tags job.
fn add_computed_cache_keys(plan: &mut Plan) {
    let mut computed: Vec<ComputedCacheKey> = Vec::new();
    let uses = plan.builds.iter().flat_map(|b| &b.caches).chain(plan.jobs.iter().flat_map(|j| &j.caches));
    for cache in uses {
        if let Some(variable) = &cache.computed_key
            && !computed.iter().any(|c| &c.variable == variable)
        {
            computed.push(ComputedCacheKey { variable: variable.clone(), files: cache.key_files.clone() });
        }
    }
    if computed.is_empty() {
        return;
    }
    let tags = plan.tags.get_or_insert_with(|| TagsJob {
        name: JobName::new(TAGS_JOB.to_string()),
        tags: Vec::new(),
        cache_keys: Vec::new(),
    });
    tags.cache_keys = computed;
    let tags_name = tags.name.clone();
    for job in &mut plan.jobs {
        if job.caches.iter().any(|c| c.computed_key.is_some()) && !job.needs.contains(&tags_name) {
            job.needs.insert(0, tags_name.clone());
        }
    }
}

struct Planner<'a> {
    model: &'a Model,
    graph: &'a ImageGraph<'a>,
    layout: &'a StageLayout,
    /// Every build, by image and variant.
    refs: HashMap<(String, Variant), BuildRef>,
    problems: Vec<Diagnostic>,
}

impl Planner<'_> {
    fn substituted(&mut self, value: &str, variant: &Variant, at: ModelPath) -> String {
        substitute(value, variant).unwrap_or_else(|_| {
            // Validation checked every `${axis}`; keep the text if that ever disagrees.
            self.problems.push(Diagnostic::new("bad-substitution", at, format!("cannot substitute `{value}`")));
            value.to_string()
        })
    }

    fn builds(&mut self) -> Vec<Build> {
        let tags_job = JobName::new(TAGS_JOB.to_string());
        let mut builds = Vec::new();
        for image_name in self.graph.topological() {
            let image = &self.model.images[image_name];
            let stage = self.layout.images[image_name].clone();
            let context = image.context.clone().unwrap_or_else(|| ".".to_string());
            let dockerfile = image.dockerfile.clone().unwrap_or_else(|| default_dockerfile(&context));
            for variant in self.graph.variants(image_name) {
                let key = naming::build_key(image_name, &variant);
                let name = JobName::new(naming::gitlab_job_name(&format!("build:{image_name}"), &variant));
                let tag = match image.tag {
                    TagMode::Content => TagRef::Content { variable: naming::tag_variable(&key) },
                    TagMode::Commit => TagRef::Commit { suffix: (!variant.is_empty()).then(|| variant.suffix()) },
                };
                let this =
                    BuildRef { image: image_name.to_string(), variant: variant.clone(), job: name.clone(), key, tag };
                let args = image
                    .args
                    .iter()
                    .map(|(k, v)| {
                        let at = ModelPath::keys(["images", image_name, "args", k.as_str()]);
                        (k.clone(), self.substituted(v, &variant, at))
                    })
                    .collect();
                let parents: Vec<(String, BuildRef)> = self
                    .graph
                    .parents_with_args(image_name)
                    .into_iter()
                    .map(|(p, arg)| (arg, self.build_of(p, &variant)))
                    .collect();
                let mut needs = vec![tags_job.clone()];
                needs.extend(parents.iter().map(|(_, p)| p.job.clone()));
                let caches = image.caches.iter().map(|c| self.cache_use(&c.0, &stage, &variant)).collect();
                self.refs.insert((image_name.to_string(), variant.clone()), this.clone());
                builds.push(Build {
                    name,
                    this,
                    stage: stage.clone(),
                    context: context.clone(),
                    dockerfile: dockerfile.clone(),
                    target: image.target.clone(),
                    args,
                    parents,
                    caches,
                    needs: dedup(needs),
                });
            }
        }
        builds
    }

    /// The build of `image` that a user with `variant` needs: the one with the same values of
    /// the image's own axes.
    fn build_of(&self, image: &str, variant: &Variant) -> BuildRef {
        let wanted = variant.restrict(&self.graph.axes(image));
        self.refs[&(image.to_string(), wanted)].clone()
    }

    fn computed_tag(&self, build: &Build) -> ComputedTag {
        let this = &build.this;
        let variable = naming::tag_variable(&this.key);
        let kind = match &this.tag {
            TagRef::Commit { suffix } => TagKind::Commit { suffix: suffix.clone() },
            TagRef::Content { .. } => {
                let image = &self.model.images[&this.image];
                let mut args = build.args.clone();
                args.sort();
                let mut parents: Vec<(String, String)> =
                    build.parents.iter().map(|(arg, p)| (arg.clone(), naming::tag_variable(&p.key))).collect();
                parents.sort();
                TagKind::Content(ContentRecipe {
                    image: this.image.clone(),
                    context: build.context.clone(),
                    dockerfile: build.dockerfile.clone(),
                    inputs: image.inputs.iter().map(|i| i.0.clone()).collect(),
                    target: build.target.clone(),
                    args,
                    parents,
                })
            }
        };
        ComputedTag { key: this.key.clone(), variable, image: this.image.clone(), variant: this.variant.clone(), kind }
    }

    fn cache_use(&self, name: &str, stage: &str, variant: &Variant) -> CacheUse {
        let cache = &self.model.caches[name];
        let prefix = naming::gitlab_job_name(&format!("{name}-{stage}"), variant).replace(':', "-");
        let key_files: Vec<String> = cache.key.iter().map(|k| k.0.clone()).collect();
        let computed_key = (key_files.len() > 2).then(|| naming::cache_key_variable(&prefix));
        CacheUse {
            name: name.to_string(),
            key_files,
            paths: cache.paths.iter().map(|p| p.0.clone()).collect(),
            prefix,
            computed_key,
        }
    }

    fn image_use(&self, reference: &str, variant: &Variant) -> ImageUse {
        match model_image(self.model, reference) {
            Some(image) => ImageUse::Model(self.build_of(image, variant)),
            None => ImageUse::External(reference.to_string()),
        }
    }

    fn jobs(&mut self, has_tags_job: bool) -> Vec<ScriptJob> {
        let tags_job = JobName::new(TAGS_JOB.to_string());
        let mut out = Vec::new();
        for (job_name, job) in &self.model.jobs {
            let stage = self.layout.jobs[job_name].clone();
            let axes = job_axes(self.model, self.graph, job);
            for variant in Variant::product(&axes, &self.model.axes) {
                let name = JobName::new(naming::gitlab_job_name(job_name, &variant));
                let image = job.image.as_deref().map(|i| self.image_use(i, &variant));
                let services: Vec<ServiceUse> = job
                    .services
                    .iter()
                    .map(|alias| {
                        let service = &self.model.services[&alias.0];
                        ServiceUse {
                            alias: alias.0.clone(),
                            image: self.image_use(&service.image, &variant),
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
                    })
                    .collect();
                let mut env: Vec<(String, String)> = variant.pairs().to_vec();
                for (k, v) in &job.env {
                    let at = ModelPath::keys(["jobs", job_name.as_str(), "env", k.as_str()]);
                    env.push((k.clone(), self.substituted(v, &variant, at)));
                }
                let used_builds: Vec<&BuildRef> = image
                    .iter()
                    .chain(services.iter().map(|s| &s.image))
                    .filter_map(|u| match u {
                        ImageUse::Model(b) => Some(b),
                        ImageUse::External(_) => None,
                    })
                    .collect();
                let mut needs = Vec::new();
                if has_tags_job && !used_builds.is_empty() {
                    needs.push(tags_job.clone());
                }
                needs.extend(used_builds.iter().map(|b| b.job.clone()));
                out.push(ScriptJob {
                    name,
                    job: job_name.clone(),
                    variant: variant.clone(),
                    stage: stage.clone(),
                    image,
                    services,
                    caches: job.caches.iter().map(|c| self.cache_use(&c.0, &stage, &variant)).collect(),
                    env,
                    shards: job.parallel.filter(|p| *p > 1),
                    script: job.script.clone(),
                    retry: job.retry.unwrap_or(0),
                    timeout: job.timeout,
                    artifacts: job
                        .artifacts
                        .as_ref()
                        .map(|a| ArtifactsPlan { paths: a.paths.iter().map(|p| p.0.clone()).collect(), when: a.when }),
                    needs: dedup(needs),
                });
            }
        }
        out
    }
}

fn default_dockerfile(context: &str) -> String {
    if context == "." { "Dockerfile".to_string() } else { format!("{}/Dockerfile", context.trim_end_matches('/')) }
}

fn dedup(items: Vec<JobName>) -> Vec<JobName> {
    let mut out: Vec<JobName> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}
