//! Models whose every value-carrying field holds something hostile: shell syntax that would run
//! a command (`$(pipegen-pwned)`, backticks, `;`), quotes, GitHub expressions, variables the
//! platforms would expand (`$CI_JOB_TOKEN`, `${HOME}`), YAML 1.1 lookalikes (`yes`, `1_000`,
//! `2024-01-01`, `1:20`, `=`, `~`, `0o17`, `.inf`), unicode, long strings and spaces; names at
//! the edges of their grammar. Each model keeps the values it holds, so the test can ask the
//! generated pipelines to hand over exactly those.
//!
//! `pipegen-pwned` is a stand-in on the test's PATH that creates a marker file: a payload that
//! runs anywhere (any directory, any shell) shows.

use proptest::prelude::*;
use serde_json::{Map, Value as Json, json};

/// The command every payload tries to run.
pub const PWNED: &str = "pipegen-pwned";

/// Pieces of values: each means something to a shell, YAML, GitHub, GitLab or a terminal.
const PIECES: &[&str] = &[
    "$(pipegen-pwned)",
    "`pipegen-pwned`",
    ";pipegen-pwned;",
    "&& pipegen-pwned",
    "|pipegen-pwned",
    "'$(pipegen-pwned)'",
    "\"$(pipegen-pwned)\"",
    "\\\"$(pipegen-pwned)\\\"",
    "'",
    "\"",
    "\\",
    "${{ github.event.issue.title }}",
    "${{ secrets.TOKEN }}",
    "$CI_JOB_TOKEN",
    "${HOME}",
    "$HOME",
    "$$",
    "$",
    "$1",
    "$@",
    "${IFS}",
    "%s",
    "yes",
    "No",
    "on",
    "1_000",
    "2024-01-01",
    "1:20",
    "=",
    "~",
    "0o17",
    ".inf",
    "null",
    "#",
    " #x",
    ": ",
    "- ",
    "&a",
    "*a",
    "!!str",
    "<<",
    "@",
    "%",
    " ",
    "  ",
    "é",
    "🦀",
    "\u{a0}",
    "\u{3000}",
    "\u{202e}",
    "\u{200b}",
    "\u{ad}",
    "\u{2066}",
    "\u{fe0f}",
    "\u{e0041}",
    "-n",
    "--help",
    "x=y",
];

/// Pieces that only fields spanning lines may hold.
const MULTILINE_PIECES: &[&str] = &["\n", "\t", "\n\n", "\n  indented", "\n- item", "\n#", "\\\n"];

/// Pieces of paths: no `/`, no control character, no glob character (`* ? [ ] { }`), which
/// paths may not hold.
const PATH_PIECES: &[&str] = &[
    "$(pipegen-pwned)",
    "`pipegen-pwned`",
    ";pipegen-pwned;",
    "&&pipegen-pwned",
    "|pipegen-pwned",
    "'",
    "\"",
    "$CI_JOB_TOKEN",
    "$HOME",
    "$",
    "yes",
    "1_000",
    "2024-01-01",
    "1:20",
    "=",
    "~",
    "0o17",
    ".inf",
    "#",
    ":",
    "!",
    "-rf",
    " ",
    "é",
    "🦀",
    "%",
    "&",
    "@",
    ",",
    "a",
    "b",
];

/// Names at the edges of their grammar (`[a-z0-9]([a-z0-9-]*[a-z0-9])?`): one character,
/// digits only, YAML 1.1 lookalikes, long.
const NAMES: &[&str] = &[
    "0",
    "9",
    "a",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "null",
    "1e3",
    "0x1f",
    "0o17",
    "2024-01-01",
    "1-2",
    "12345",
    "inf",
    "nan",
    "a-b-c",
];

/// Service names are host names too: [`NAMES`] without those a resolver reads as an IPv4
/// address (`0`, `12345`, `0x1f`), which pipegen refuses for a service.
const SERVICE_NAMES: &[&str] =
    &["a", "yes", "no", "on", "off", "y", "n", "null", "1e3", "0o17", "2024-01-01", "1-2", "inf", "nan", "a-b-c"];

/// Job names start with a letter; GitLab's keywords (and `yes`, `no`, `on`, `off`, which
/// GitLab's YAML 1.1 reads as booleans) are refused, so none is here.
const JOB_NAMES: &[&str] = &["y", "n", "null", "e1", "x", "nan", "inf", "a-1", "yes-no", "on1"];

/// Axis names (`[a-z][a-z0-9_]*`) and values (`[A-Za-z0-9][A-Za-z0-9._-]*`) at their edges.
const AXIS_NAMES: &[&str] = &["v", "on", "y", "null", "x_1"];
const AXIS_VALUES: &[&str] = &["1_000", "2024-01-01", "yes", "No", "0o17", "1e3", "1.0", "null", "0x1F", "1-2", "y"];

/// The build arg that takes the axis's value, `<${axis}>`.
pub const AXIS_ARG: &str = "AXIS_ARG";

/// Multi-stage targets at the edges of their grammar.
const TARGETS: &[&str] = &["yes", "No", "1_000", "2024-01-01", "0o17", "1e3", "1.0", "a-b_c.d", "Y", "null"];

/// Variable and build argument names (`[A-Za-z_][A-Za-z0-9_]*`), none that a shell reads for
/// itself (`PATH`, `IFS`, `BASH_ENV`, …) and none reserved by the platforms.
/// `_` only as a build argument: every shell sets `$_` itself, so as a job's or a service's
/// variable it never reaches the script.
const VARIABLE_NAMES: &[&str] = &["A", "z", "_1", "yes", "ON", "NULL", "Y", "TRUE", "x1_000", "Value_2024", "n"];
const ARG_NAMES: &[&str] = &["_", "A", "z", "_1", "yes", "ON", "NULL", "Y", "TRUE", "x1_000", "Value_2024", "n"];

/// One image of the model.
#[derive(Debug, Clone)]
pub struct Image {
    pub name: String,
    /// The directory its context is (`None`: the repository root).
    pub context: Option<String>,
    /// Its Dockerfile, when not `<context>/Dockerfile`.
    pub dockerfile: Option<String>,
    pub inputs: Vec<String>,
    pub args: Vec<(String, String)>,
    /// Its multi-stage target (`[A-Za-z0-9][A-Za-z0-9._-]*`): YAML 1.1 lookalikes.
    pub target: Option<String>,
    /// Whether it varies over the model's axis (when there is one).
    pub axis: bool,
    /// Whether it has the build arg `AXIS_ARG: "<${axis}>"` (when it varies).
    pub axis_arg: bool,
    /// The index of its parent in `images` (always an earlier one).
    pub parent: Option<usize>,
    pub commit_tag: bool,
}

/// How a service is checked.
#[derive(Debug, Clone)]
pub enum Health {
    /// `cmd: pipegen-health '<value>'`: the stand-in must receive the value as its argument.
    Cmd(String),
    /// `http: <path>`: the probe must ask for exactly this path.
    Http(String),
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    pub port: u32,
    pub env: Vec<(String, String)>,
    pub health: Health,
}

#[derive(Debug, Clone)]
pub struct Cache {
    pub name: String,
    pub key: String,
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub name: String,
    /// An image of the model (its index), or an external one.
    pub image: Option<usize>,
    pub services: Vec<usize>,
    pub cache: Option<usize>,
    pub env: Vec<(String, String)>,
    pub artifacts: Option<String>,
}

/// A model and the values it holds.
#[derive(Debug, Clone)]
pub struct Hostile {
    pub name: String,
    /// One axis: its name and values (YAML 1.1 lookalikes, in job names and tags).
    pub axis: Option<(String, Vec<String>)>,
    pub images: Vec<Image>,
    pub services: Vec<Service>,
    pub caches: Vec<Cache>,
    pub jobs: Vec<Job>,
}

/// The registry every model pushes to.
pub const REGISTRY: &str = "registry.example.com/hostile";

/// The command of a job's script: a stand-in that records the job's environment.
pub const JOB_COMMAND: &str = "pipegen-job";

/// The command of a `cmd` health check: a stand-in that records its arguments.
pub const HEALTH_COMMAND: &str = "pipegen-health";

fn from_pieces(pieces: &'static [&'static str], extra: &'static [&'static str]) -> impl Strategy<Value = String> {
    let all: Vec<&'static str> = pieces.iter().chain(extra).copied().collect();
    let piece = prop_oneof![
        4 => prop::sample::select(all).prop_map(str::to_string),
        1 => "[a-zA-Z0-9._-]{1,6}",
    ];
    let long = prop::sample::select(vec![0usize, 0, 0, 0, 0, 0, 0, 300]).prop_map(|n| "long".repeat(n / 4));
    (prop::collection::vec(piece, 1..6), long).prop_map(|(pieces, long)| pieces.concat() + &long)
}

/// A value of a field that may span lines (build args, env values).
pub fn text() -> impl Strategy<Value = String> {
    from_pieces(PIECES, MULTILINE_PIECES)
}

/// A value of a one-line field.
pub fn line() -> impl Strategy<Value = String> {
    from_pieces(PIECES, &[])
}

/// A relative path of one to three components, none of them `.` or `..`, without `\` (pipegen
/// refuses it in every path: a Windows separator, and an escape in git's globs), not starting
/// with `-`.
pub fn path() -> impl Strategy<Value = String> {
    let component = prop::collection::vec(prop::sample::select(PATH_PIECES.to_vec()), 1..4)
        .prop_map(|p| p.concat())
        .prop_filter("not . or ..", |c| c != "." && c != "..");
    // Not starting with `-`: pipegen refuses a context or Dockerfile that a build tool would
    // read as an option (tests/fixtures/invalid/path-read-otherwise.yaml).
    prop::collection::vec(component, 1..4).prop_map(|c| {
        let path = c.join("/");
        if path.starts_with('-') { format!("p{path}") } else { path }
    })
}

/// A path the platforms read as a glob (cache keys and paths, artifact paths): not starting with
/// `#`, `!`, `~` or a blank, not ending with a blank (docs/model.md; pipegen refuses the rest, as
/// GitHub's `@actions/glob` would read it as something else).
pub fn glob_safe_path() -> impl Strategy<Value = String> {
    path().prop_map(|mut p| {
        if p.is_empty() || p.starts_with(['#', '!', '~', ' ', '/']) {
            p.insert(0, 'p');
        }
        if p.ends_with(' ') {
            p.push('p');
        }
        p
    })
}

/// A path that reaches GitLab Runner's variable expansion and, for an image's cache, the build
/// tools' options (cache and artifact paths): a glob-safe path with no `$` (the runner would
/// expand it, GitHub would not), no `,` or `"` (they split `--output type=local,dest=<path>`) and
/// no leading `-` (an option to `mkdir`, `rm` and the builders). pipegen refuses those there
/// (tests/fixtures/invalid/path-read-otherwise.yaml).
pub fn runner_safe_path() -> impl Strategy<Value = String> {
    glob_safe_path().prop_map(|p| {
        let mut p = p.replace('$', "S").replace(',', ";").replace('"', "'");
        if p.starts_with('-') {
            p.insert(0, 'p');
        }
        p
    })
}

/// Variables: up to three names with values, distinct in any letter case (docs/model.md:
/// GitHub takes `y` and `Y` as one variable, so a model may not have both).
fn variables(
    names: &'static [&'static str],
    value: impl Strategy<Value = String>,
) -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((prop::sample::select(names.to_vec()), value), 0..4).prop_map(|pairs| {
        let mut out: Vec<(String, String)> = Vec::new();
        for (name, value) in pairs {
            if !out.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                out.push((name.to_string(), value));
            }
        }
        out
    })
}

fn distinct(names: Vec<&'static str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    out
}

fn image(index: usize) -> impl Strategy<Value = Image> {
    (
        prop::option::of(path()),
        prop::option::of(path()),
        prop::collection::vec(
            (path(), prop::sample::select(vec!["", "", "/**", "/*.x"])).prop_map(|(p, g)| p + g),
            0..3,
        ),
        variables(ARG_NAMES, text()),
        prop::option::weighted(0.6, 0..index.max(1)),
        prop::bool::weighted(0.2),
        prop::option::weighted(0.3, prop::sample::select(TARGETS.to_vec()).prop_map(str::to_string)),
        prop::bool::weighted(0.4),
        prop::bool::ANY,
    )
        .prop_map(move |(context, dockerfile, inputs, args, parent, commit_tag, target, axis, axis_arg)| Image {
            name: String::new(),
            context,
            // Files end in `.file`, directories never do: a path is never both.
            dockerfile: dockerfile.map(|d| d + ".file"),
            inputs,
            args,
            target,
            axis,
            axis_arg,
            parent: parent.filter(|_| index > 0),
            commit_tag,
        })
}

fn service() -> impl Strategy<Value = Service> {
    (
        prop::sample::select(vec![1u32, 5432, 65535]),
        variables(VARIABLE_NAMES, text()),
        prop_oneof![line().prop_map(Health::Cmd), line().prop_map(|p| Health::Http(format!("/{p}")))],
    )
        .prop_map(|(port, env, health)| Service { name: String::new(), port, env, health })
}

fn cache() -> impl Strategy<Value = Cache> {
    (glob_safe_path(), runner_safe_path()).prop_map(|(key, path)| Cache {
        name: String::new(),
        key: key + ".file",
        path,
    })
}

fn job() -> impl Strategy<Value = Job> {
    (
        prop::option::weighted(0.7, 0usize..8),
        prop::collection::vec(0usize..8, 0..3),
        prop::option::of(0usize..8),
        variables(VARIABLE_NAMES, text()),
        prop::option::weighted(0.3, runner_safe_path()),
    )
        .prop_map(|(image, services, cache, env, artifacts)| Job {
            name: String::new(),
            image,
            services,
            cache,
            env,
            artifacts,
        })
}

/// A whole model: one to three images, up to two services, a cache, one or two jobs.
pub fn hostile() -> impl Strategy<Value = Hostile> {
    (
        prop::sample::select(NAMES.to_vec()),
        prop::collection::vec(prop::sample::select(NAMES.to_vec()), 1..4),
        prop::collection::vec(image(0), 1..4),
        prop::collection::vec(prop::sample::select(SERVICE_NAMES.to_vec()), 0..3),
        prop::collection::vec(service(), 2),
        prop::collection::vec(prop::sample::select(NAMES.to_vec()), 0..2),
        cache(),
        prop::collection::vec(prop::sample::select(JOB_NAMES.to_vec()), 1..3),
        prop::collection::vec(job(), 2),
        prop::collection::vec(any::<prop::sample::Index>(), 3),
        prop::option::of((
            prop::sample::select(AXIS_NAMES.to_vec()),
            prop::collection::vec(prop::sample::select(AXIS_VALUES.to_vec()), 1..3),
        )),
    )
        .prop_map(
            |(
                name,
                image_names,
                images,
                service_names,
                services,
                cache_names,
                cache,
                job_names,
                jobs,
                parents,
                axis,
            )| {
                let image_names = distinct(image_names);
                let images: Vec<Image> = image_names
                    .into_iter()
                    .zip(images.into_iter().cycle())
                    .enumerate()
                    .map(|(i, (name, mut image))| {
                        image.name = name;
                        image.parent = image.parent.and(if i > 0 { Some(parents[i - 1].index(i)) } else { None });
                        image
                    })
                    .collect();
                let services: Vec<Service> = distinct(service_names)
                    .into_iter()
                    .zip(services)
                    .map(|(name, service)| Service { name, ..service })
                    .collect();
                let caches: Vec<Cache> =
                    distinct(cache_names).into_iter().map(|name| Cache { name, ..cache.clone() }).collect();
                let jobs: Vec<Job> = distinct(job_names)
                    .into_iter()
                    .zip(jobs)
                    .map(|(name, job)| Job {
                        name,
                        image: job.image.map(|i| i % images.len()),
                        services: {
                            let mut s: Vec<usize> = Vec::new();
                            for i in job.services.iter().filter(|_| !services.is_empty()) {
                                let i = i % services.len();
                                if !s.contains(&i) {
                                    s.push(i);
                                }
                            }
                            s
                        },
                        cache: job.cache.filter(|_| !caches.is_empty()).map(|i| i % caches.len()),
                        ..job
                    })
                    .collect();
                let axis = axis.map(|(name, values)| (name.to_string(), distinct(values)));
                // A job's variable may not be named like its axis, in any letter case.
                let jobs = jobs
                    .into_iter()
                    .map(|mut job: Job| {
                        if let Some((axis, _)) = &axis {
                            job.env.retain(|(name, _)| !name.eq_ignore_ascii_case(axis));
                        }
                        job
                    })
                    .collect();
                Hostile { name: name.to_string(), axis, images, services, caches, jobs }
            },
        )
}

/// `value` written for a field whose `${…}` pipegen substitutes: `$$` for a `$` that a `{` or
/// another `$` follows, a plain `$` otherwise (pipegen keeps a `$` that starts nothing).
pub fn template(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '$' && matches!(chars.peek(), Some('$' | '{')) {
            out.push('$');
        }
    }
    out
}

/// Single-quoted for a POSIX shell (the health command is shell text of the model's author).
pub fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

fn object(pairs: &[(String, String)], write: impl Fn(&str) -> String) -> Json {
    Json::Object(pairs.iter().map(|(k, v)| (k.clone(), Json::String(write(v)))).collect())
}

impl Hostile {
    /// The model as YAML (JSON is YAML; every string escaped).
    pub fn yaml(&self) -> String {
        let mut images = Map::new();
        for image in &self.images {
            let mut m = Map::new();
            if let Some(context) = &image.context {
                m.insert("context".into(), json!(template(context)));
            }
            if let Some(dockerfile) = &image.dockerfile {
                m.insert("dockerfile".into(), json!(template(dockerfile)));
            }
            if !image.inputs.is_empty() {
                m.insert("inputs".into(), json!(image.inputs.iter().map(|i| template(i)).collect::<Vec<_>>()));
            }
            let mut args = object(&image.args, template);
            if let Some((axis, _)) = &self.axis {
                if image.axis {
                    m.insert("axes".into(), json!([axis]));
                }
                if image.axis_arg && self.image_varies(image) {
                    args[AXIS_ARG] = json!(format!("<${{{axis}}}>"));
                }
            }
            if args.as_object().is_some_and(|a| !a.is_empty()) {
                m.insert("args".into(), args);
            }
            if let Some(parent) = image.parent {
                m.insert("from".into(), json!(self.images[parent].name));
            }
            if image.commit_tag {
                m.insert("tag".into(), json!("commit"));
            }
            if let Some(target) = &image.target {
                m.insert("target".into(), json!(target));
            }
            images.insert(image.name.clone(), Json::Object(m));
        }
        let mut model = Map::new();
        model.insert("pipegen".into(), json!(1));
        model.insert("name".into(), json!(self.name));
        model.insert("registry".into(), json!(REGISTRY));
        if let Some((axis, values)) = &self.axis {
            model.insert("axes".into(), json!({ axis.clone(): values }));
        }
        if !self.caches.is_empty() {
            let caches: Map<String, Json> = self
                .caches
                .iter()
                .map(|c| (c.name.clone(), json!({ "key": [c.key], "paths": [template(&c.path)] })))
                .collect();
            model.insert("caches".into(), Json::Object(caches));
        }
        model.insert("images".into(), Json::Object(images));
        if !self.services.is_empty() {
            let services: Map<String, Json> = self
                .services
                .iter()
                .map(|s| {
                    let health = match &s.health {
                        Health::Cmd(value) => json!({ "cmd": format!("{HEALTH_COMMAND} {}", sh_quote(value)) }),
                        Health::Http(path) => json!({ "http": path }),
                    };
                    // Service settings are not substituted: values as they are.
                    let service = json!({
                        "image": "postgres:16.4",
                        "port": s.port,
                        "env": object(&s.env, str::to_string),
                        "health": health,
                    });
                    (s.name.clone(), service)
                })
                .collect();
            model.insert("services".into(), Json::Object(services));
        }
        let jobs: Map<String, Json> = self
            .jobs
            .iter()
            .map(|j| {
                let mut m = Map::new();
                m.insert(
                    "image".into(),
                    json!(j.image.map_or("docker.io/library/alpine:3.20".to_string(), |i| self.images[i].name.clone())),
                );
                if !j.services.is_empty() {
                    m.insert(
                        "services".into(),
                        json!(j.services.iter().map(|&s| &self.services[s].name).collect::<Vec<_>>()),
                    );
                }
                if let Some(cache) = j.cache {
                    m.insert("caches".into(), json!([self.caches[cache].name]));
                }
                m.insert("script".into(), json!([JOB_COMMAND]));
                if !j.env.is_empty() {
                    m.insert("env".into(), object(&j.env, template));
                }
                if let Some(path) = &j.artifacts {
                    m.insert("artifacts".into(), json!({ "paths": [path], "when": "always" }));
                }
                (j.name.clone(), Json::Object(m))
            })
            .collect();
        model.insert("jobs".into(), Json::Object(jobs));
        serde_json::to_string_pretty(&Json::Object(model)).expect("JSON") + "\n"
    }

    /// Whether an image varies over the axis: it or an ancestor declares it.
    pub fn image_varies(&self, image: &Image) -> bool {
        self.axis.is_some() && (image.axis || image.parent.is_some_and(|p| self.image_varies(&self.images[p])))
    }

    /// The jobs of `base` (`build:<image>` or a job's name), one per value of the axis when it
    /// varies (`<base>:<value>`), with that value.
    pub fn variants(&self, base: &str, varies: bool) -> Vec<(String, Option<String>)> {
        match &self.axis {
            Some((_, values)) if varies => values.iter().map(|v| (format!("{base}:{v}"), Some(v.clone()))).collect(),
            _ => vec![(base.to_string(), None)],
        }
    }

    /// Whether a job varies: it runs an image of the model that does.
    pub fn job_varies(&self, job: &Job) -> bool {
        job.image.is_some_and(|i| self.image_varies(&self.images[i]))
    }

    /// Every path the repository must hold as a file for the tags to be computed: a file in
    /// each context, each Dockerfile, a file each input names or matches, each cache key.
    pub fn files(&self) -> Vec<String> {
        let mut files = vec!["README".to_string()];
        for image in &self.images {
            let context = image.context.clone().unwrap_or_else(|| ".".to_string());
            files.push(format!("{context}/context.file"));
            files.push(image.dockerfile.clone().unwrap_or_else(|| format!("{context}/Dockerfile")));
            files.extend(image.inputs.iter().map(|i| i.replace("/**", "/deep.file").replace("/*.x", "/any.x")));
        }
        files.extend(self.caches.iter().map(|c| c.key.clone()));
        files
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_read_back_as_the_value() {
        assert_eq!(template("${HOME} $$ $CI a$"), "$${HOME} $$$ $CI a$");
    }
}
