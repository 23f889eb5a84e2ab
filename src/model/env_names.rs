//! Names a model may not give its variables: those the platforms or pipegen set themselves.
//!
//! A job's `env`, a service's `env`, an image's build `args` and the axes (which become
//! environment variables of the jobs that vary over them) all end up beside variables that
//! GitLab, GitHub, their runners or pipegen define. GitHub silently keeps its own `GITHUB_*` and
//! `RUNNER_*` values; GitLab lets a job override its predefined variables and then misbehaves;
//! GitLab Runner reads `FF_*` as its feature flags, and its own job variables (`GIT_STRATEGY`,
//! `CACHE_FALLBACK_KEY`, `DOCKER_AUTH_CONFIG`, …) in a job's or a service's `env` change what
//! GitLab does around the job and nothing on GitHub; pipegen's scripts rely on `PIPEGEN_*`. So
//! such names are refused where they are written. Names are compared in any letter case, as
//! GitHub's expression contexts ignore case.
//!
//! For the same reason two names of one map that differ only in letter case (`foo` and `FOO`) are
//! refused: GitHub takes them as one variable and refuses the workflow ("'FOO' is already
//! defined", actions/runner#737), and a job's own variable must not be an axis in other letters.

use super::diagnostic::Diagnostic;
use super::path::ModelPath;
use super::types::Model;
use crate::graph::ImageGraph;

/// Prefixes of names the platforms or pipegen set, with whose they are.
const RESERVED_PREFIXES: &[(&str, &str)] = &[
    ("CI_", "GitLab's predefined variables"),
    ("GITLAB_", "GitLab's predefined variables"),
    ("FF_", "GitLab Runner's feature flags"),
    ("GITHUB_", "GitHub's default variables, which a workflow cannot override"),
    ("RUNNER_", "GitHub's runner variables, which a workflow cannot override"),
    ("ACTIONS_", "GitHub Actions' runtime and debugging variables"),
    ("PIPEGEN_", "pipegen's own variables"),
];

/// Whole names the platforms set.
const RESERVED_NAMES: &[(&str, &str)] = &[
    ("CI", "set to `true` by both GitLab and GitHub"),
    ("CHAT_CHANNEL", "one of GitLab's ChatOps variables"),
    ("CHAT_INPUT", "one of GitLab's ChatOps variables"),
    ("CHAT_USER_ID", "one of GitLab's ChatOps variables"),
    ("TRIGGER_PAYLOAD", "one of GitLab's predefined variables"),
];

/// Build arguments BuildKit reads as its own settings (GitHub's builds), which buildah (GitLab's
/// builds) does not: the same model would build differently on the two platforms.
const BUILD_ARG_PREFIXES: &[(&str, &str)] = &[("BUILDKIT_", "BuildKit's own settings, which GitLab's buildah ignores")];

/// Service variables pipegen sets for GitLab Runner's own wait for the service.
const SERVICE_NAMES: &[(&str, &str)] = &[("HEALTHCHECK_TCP_PORT", "set by pipegen for GitLab Runner's service check")];

const CHECKOUT: &str = "GitLab Runner's own job variable: it changes how GitLab checks the repository out, not the job (GitHub ignores it)";
const TRANSFER: &str = "GitLab Runner's own job variable: it changes how GitLab moves caches and artifacts, not the job (GitHub ignores it)";
const ATTEMPTS: &str = "GitLab Runner's own job variable: it changes how often GitLab retries a stage of the job, not the job (GitHub ignores it)";

/// Prefixes of GitLab Runner's own job variables ("Configure runner behavior with variables"):
/// in a job's or a service's `env` they change only what GitLab does around the job.
const RUNNER_PREFIXES: &[(&str, &str)] = &[(
    "GIT_SUBMODULE_",
    "GitLab Runner's own job variables: they change how GitLab checks submodules out, not the job (GitHub ignores them; pipegen sets `GIT_SUBMODULE_STRATEGY` for `submodules: true`)",
)];

/// GitLab Runner's own job variables, by name.
const RUNNER_NAMES: &[(&str, &str)] = &[
    ("GIT_STRATEGY", CHECKOUT),
    ("GIT_DEPTH", CHECKOUT),
    ("GIT_CHECKOUT", CHECKOUT),
    ("GIT_CLEAN_FLAGS", CHECKOUT),
    ("GIT_FETCH_EXTRA_FLAGS", CHECKOUT),
    ("GIT_CLONE_EXTRA_FLAGS", CHECKOUT),
    ("GIT_CLONE_PATH", CHECKOUT),
    ("GIT_LFS_SKIP_SMUDGE", CHECKOUT),
    ("CACHE_FALLBACK_KEY", TRANSFER),
    ("CACHE_COMPRESSION_LEVEL", TRANSFER),
    ("CACHE_COMPRESSION_FORMAT", TRANSFER),
    ("CACHE_REQUEST_TIMEOUT", TRANSFER),
    ("ARTIFACT_COMPRESSION_LEVEL", TRANSFER),
    ("TRANSFER_METER_FREQUENCY", TRANSFER),
    ("ARTIFACT_DOWNLOAD_ATTEMPTS", ATTEMPTS),
    ("GET_SOURCES_ATTEMPTS", ATTEMPTS),
    ("RESTORE_CACHE_ATTEMPTS", ATTEMPTS),
    ("EXECUTOR_JOB_SECTION_ATTEMPTS", ATTEMPTS),
    (
        "DOCKER_AUTH_CONFIG",
        "GitLab Runner's own job variable: the credentials GitLab pulls the job's and services' images with, not the job's (GitHub ignores it)",
    ),
];

/// What a service's `env` may not name: GitLab Runner's variables and pipegen's service check.
fn service_names() -> Vec<(&'static str, &'static str)> {
    RUNNER_NAMES.iter().chain(SERVICE_NAMES).copied().collect()
}

/// Whose a name is, when it is reserved.
fn owner(
    name: &str,
    extra_prefixes: &[(&str, &'static str)],
    extra_names: &[(&str, &'static str)],
) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    RESERVED_PREFIXES
        .iter()
        .chain(extra_prefixes)
        .find(|(prefix, _)| upper.starts_with(prefix))
        .or_else(|| RESERVED_NAMES.iter().chain(extra_names).find(|(reserved, _)| upper == *reserved))
        .map(|(_, whose)| *whose)
}

/// Every reserved name used in `env`, `args` or `axes`.
pub fn reserved(model: &Model) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (axis, entries) in &model.axes {
        if let Some(whose) = owner(axis, &[], &[]) {
            found.push(refused(ModelPath::keys(["axes", axis.as_str()]), "axis", axis, whose));
        }
        // Each field is the job variable `<axis>_<field>` (`pipegen_x` would be pipegen's own).
        for (field, _) in entries.first().into_iter().flat_map(|entry| entry.fields()) {
            let variable = crate::variant::field_variable(axis, field);
            if let Some(whose) = owner(&variable, &[], &[]) {
                let at = ModelPath::keys(["axes", axis.as_str()]).index(0).key(field);
                found.push(refused(at, "axis field variable", &variable, whose));
            }
        }
    }
    for (name, image) in &model.images {
        for parent in image.from.iter().flat_map(|from| from.refs()) {
            let Some(arg) = parent.arg else { continue };
            if let Some(whose) = owner(arg, BUILD_ARG_PREFIXES, &[]) {
                let from = ModelPath::keys(["images", name.as_str(), "from"]);
                let at = parent.index.map_or(from.clone(), |i| from.index(i)).key("arg");
                found.push(refused(at, "build argument", arg, whose).anchored_at_value());
            }
        }
        for arg in image.args.keys() {
            if let Some(whose) = owner(arg, BUILD_ARG_PREFIXES, &[]) {
                found.push(refused(
                    ModelPath::keys(["images", name.as_str(), "args", arg.as_str()]),
                    "build argument",
                    arg,
                    whose,
                ));
            }
        }
    }
    for (name, service) in &model.services {
        for key in service.env.keys() {
            if let Some(whose) = owner(key, RUNNER_PREFIXES, &service_names()) {
                found.push(refused(
                    ModelPath::keys(["services", name.as_str(), "env", key.as_str()]),
                    "variable",
                    key,
                    whose,
                ));
            }
        }
    }
    for (name, job) in &model.jobs {
        for key in job.env.keys() {
            if let Some(whose) = owner(key, RUNNER_PREFIXES, RUNNER_NAMES) {
                found.push(refused(
                    ModelPath::keys(["jobs", name.as_str(), "env", key.as_str()]),
                    "variable",
                    key,
                    whose,
                ));
            }
        }
    }
    found
}

/// Every name of a job's `env`, a service's `env` or an image's `args` that an earlier name of
/// the same map spells in other letter case. An image's args are its build jobs' variables
/// `PIPEGEN_ARG_<name>` on GitHub.
pub fn case_twins(model: &Model) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let maps = (model
        .images
        .iter()
        .map(|(name, image)| ("images", "image", name, "args", image.args.keys().collect::<Vec<_>>())))
    .chain(
        model.services.iter().map(|(name, service)| ("services", "service", name, "env", service.env.keys().collect())),
    )
    .chain(model.jobs.iter().map(|(name, job)| ("jobs", "job", name, "env", job.env.keys().collect())));
    for (section, kind, name, field, keys) in maps {
        for (i, key) in keys.iter().enumerate() {
            let Some(first) = keys[..i].iter().find(|earlier| earlier.eq_ignore_ascii_case(key)) else { continue };
            let at = |key: &str| ModelPath::keys([section, name.as_str(), field, key]);
            found.push(
                Diagnostic::new(
                    "case-twin",
                    at(key),
                    format!(
                        "`{field}` of {kind} `{name}` has both `{first}` and `{key}`: GitHub Actions takes names that differ only in letter case as one and refuses the workflow"
                    ),
                )
                .at_key()
                .label("same name in other letters")
                .related(at(first), format!("`{first}` is set here"))
                .help("rename one of them so the names differ in more than letter case"),
            );
        }
    }
    found
}

/// A job's `secrets`. Each is the variable of its name in the script, so none may have a reserved
/// name, repeat an earlier one in other letters (GitHub's secret names ignore case, and two step
/// variables that differ only in case are refused), or share its name with one of the job's `env`
/// variables: on GitLab the job's variable replaces the CI/CD variable and the secret never
/// arrives; on GitHub one of the two replaces the other.
pub fn secrets(model: &Model) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (name, job) in &model.jobs {
        let at = |i: usize| ModelPath::keys(["jobs", name.as_str(), "secrets"]).index(i);
        for (i, secret) in job.secrets.iter().enumerate() {
            let secret = secret.0.as_str();
            if let Some(whose) = owner(secret, &[], &[]) {
                found.push(
                    Diagnostic::new("reserved-variable", at(i), format!("the secret `{secret}` has a reserved name: {whose}"))
                        .label("reserved name")
                        .help("a secret reaches the script as the variable of its name, which the platform or pipegen already sets; store the secret under another name"),
                );
                continue;
            }
            if let Some(first) = job.secrets[..i].iter().position(|earlier| earlier.0.eq_ignore_ascii_case(secret)) {
                found.push(
                    Diagnostic::new(
                        "case-twin",
                        at(i),
                        format!(
                            "`secrets` of job `{name}` has both `{}` and `{secret}`: GitHub's secret names ignore letter case, so both are one secret",
                            job.secrets[first].0
                        ),
                    )
                    .label("same name in other letters")
                    .related(at(first), format!("`{}` is named here", job.secrets[first].0))
                    .help("name each secret once"),
                );
                continue;
            }
            if let Some(key) = job.env.keys().find(|key| key.eq_ignore_ascii_case(secret)) {
                found.push(
                    Diagnostic::new(
                        "secret-in-env",
                        at(i),
                        format!("job `{name}` sets `{key}` in `env` and reads the secret `{secret}` as the same variable"),
                    )
                    .label("also a variable of `env`")
                    .related(ModelPath::keys(["jobs", name.as_str(), "env", key.as_str()]), format!("`{key}` is set here"))
                    .help(format!(
                        "the job's own variable would replace the secret on GitLab; remove `{key}` from `env`, or rename one of them"
                    )),
                );
            }
        }
    }
    found
}

fn refused(path: ModelPath, what: &str, name: &str, whose: &str) -> Diagnostic {
    let help = if what == "axis" {
        "axes are environment variables of the jobs that vary over them; rename the axis".to_string()
    } else if what == "axis field variable" {
        "each field of an axis is the environment variable `<axis>_<field>` of the jobs that vary over the axis; rename the field or the axis".to_string()
    } else {
        format!("the value would be overridden or would change how the pipeline runs; rename the {what}")
    };
    Diagnostic::new("reserved-variable", path, format!("the {what} `{name}` has a reserved name: {whose}"))
        .at_key()
        .label("reserved name")
        .help(help)
}

/// A job `env` entry named like one of the job's axes (or an axis field's variable,
/// `<axis>_<field>`): the axis is an environment variable of the job too, and one would silently
/// replace the other.
pub fn hidden_axes(model: &Model, graph: &ImageGraph, unsound: &super::withheld::Unsound<'_>) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (name, job) in model.jobs.iter().filter(|(name, _)| !unsound.job(name)) {
        let axes = crate::plan::job_axes(model, graph, job);
        for key in job.env.keys() {
            if let Some((axis, field)) = field_named(model, &axes, key) {
                found.push(
                    Diagnostic::new(
                        "hidden-axis",
                        ModelPath::keys(["jobs", name.as_str(), "env", key.as_str()]),
                        format!(
                            "`env` of job `{name}` sets `{key}`, which is the job's value of field `{field}` of axis `{axis}`"
                        ),
                    )
                    .at_key()
                    .label("same name as an axis field's variable")
                    .help(format!("each run already has `{key}` set to `${{{axis}.{field}}}`; rename this variable")),
                );
            }
        }
        for (i, secret) in job.secrets.iter().enumerate() {
            let secret = secret.0.as_str();
            let variable = match axes.iter().find(|axis| axis.eq_ignore_ascii_case(secret)) {
                Some(axis) => Some((axis, None)),
                None => field_named(model, &axes, secret).map(|(axis, field)| (axis, Some(field))),
            };
            let Some((axis, field)) = variable else { continue };
            let (what, variable) = match field {
                Some(field) => (
                    format!("the job's value of field `{field}` of axis `{axis}`"),
                    crate::variant::field_variable(axis, field),
                ),
                None => (format!("the job's value of axis `{axis}`"), axis.clone()),
            };
            let spelled = if variable == secret { "" } else { " (GitHub takes names in any letter case as one)" };
            found.push(
                Diagnostic::new(
                    "hidden-axis",
                    ModelPath::keys(["jobs", name.as_str(), "secrets"]).index(i),
                    format!("job `{name}` reads the secret `{secret}` as a variable that is {what}{spelled}"),
                )
                .label("same name as an axis variable")
                .help("one would replace the other in the script; store the secret under another name"),
            );
        }
        for key in job.env.keys() {
            let Some(axis) = axes.iter().find(|axis| axis.eq_ignore_ascii_case(key)) else { continue };
            let spelled = if axis == key { "" } else { " (GitHub takes names in any letter case as one)" };
            found.push(
                Diagnostic::new(
                    "hidden-axis",
                    ModelPath::keys(["jobs", name.as_str(), "env", key.as_str()]),
                    format!("`env` of job `{name}` sets `{key}`, which is the job's value of axis `{axis}`{spelled}"),
                )
                .at_key()
                .label("same name as an axis")
                .help(format!("each run already has `{axis}` set to its axis value; rename this variable")),
            );
        }
    }
    found
}

/// The field of one of `axes` whose variable (`<axis>_<field>`) is `name` in any letter case,
/// with its axis.
fn field_named<'m>(model: &'m Model, axes: &'m [String], name: &str) -> Option<(&'m String, &'m str)> {
    axes.iter().find_map(|axis| {
        let entry = model.axes.get(axis)?.first()?;
        entry
            .fields()
            .find(|(field, _)| crate::variant::field_variable(axis, field).eq_ignore_ascii_case(name))
            .map(|(field, _)| (axis, field))
    })
}

#[cfg(test)]
mod tests {
    use super::super::patterns;
    use super::*;

    /// Names to try: every reserved name and prefix in three letter cases, each with a letter
    /// more or less, and ordinary names.
    fn candidates() -> Vec<String> {
        let lists =
            [RESERVED_PREFIXES, RESERVED_NAMES, BUILD_ARG_PREFIXES, SERVICE_NAMES, RUNNER_PREFIXES, RUNNER_NAMES];
        let mut names: Vec<String> =
            ["RUBY_VERSION", "_X", "CIRCLE", "C", "GIT_AUTHOR_NAME", "BUILDKIT", "GIT_SUBMODULE", "X_CI", "GIT"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        for (name, _) in lists.iter().flat_map(|list| list.iter()) {
            let mixed: String =
                name.chars().enumerate().map(|(i, c)| if i % 2 == 0 { c.to_ascii_lowercase() } else { c }).collect();
            for spelled in [name.to_string(), name.to_ascii_lowercase(), mixed] {
                names.push(format!("{spelled}X"));
                names.push(spelled[..spelled.len() - 1].to_string());
                names.push(format!("X{spelled}"));
                names.push(spelled);
            }
        }
        names
    }

    /// Each name pattern of the schema refuses exactly the names of the right form that pipegen
    /// reserves where the pattern applies, in any letter case.
    #[test]
    fn the_schema_reserves_the_same_names() {
        let form = |name: &str| patterns::matches(patterns::ENV_NAME, name);
        type Owners<'a> = Vec<(&'a str, &'a str)>;
        let cases: [(&str, &str, Owners, Owners); 4] = [
            ("secrets", patterns::SECRET_NAME, vec![], vec![]),
            ("build args", patterns::BUILD_ARG, BUILD_ARG_PREFIXES.to_vec(), vec![]),
            ("job env", patterns::JOB_ENV_NAME, RUNNER_PREFIXES.to_vec(), RUNNER_NAMES.to_vec()),
            ("service env", patterns::SERVICE_ENV_NAME, RUNNER_PREFIXES.to_vec(), service_names()),
        ];
        for (what, pattern, prefixes, names) in cases {
            for name in candidates() {
                let pipegen = form(&name) && owner(&name, &prefixes, &names).is_none();
                assert_eq!(patterns::matches(pattern, &name), pipegen, "{what}: {name}");
            }
        }
        for name in candidates().iter().map(|n| n.to_ascii_lowercase()) {
            let pipegen = patterns::matches(patterns::AXIS, &name) && owner(&name, &[], &[]).is_none();
            assert_eq!(patterns::matches(patterns::AXIS_NAME, &name), pipegen, "axis: {name}");
        }
    }

    #[test]
    fn reserved_in_any_case() {
        assert!(owner("CI_JOB_TOKEN", &[], &[]).is_some());
        assert!(owner("github_token", &[], &[]).is_some());
        assert!(owner("CI", &[], &[]).is_some());
        assert!(owner("Pipegen_Registry", &[], &[]).is_some());
        assert!(owner("CIRCLE", &[], &[]).is_none());
        assert!(owner("BUILDKIT_INLINE_CACHE", &[], &[]).is_none());
        assert!(owner("BUILDKIT_INLINE_CACHE", BUILD_ARG_PREFIXES, &[]).is_some());
        assert!(owner("RUBY_VERSION", BUILD_ARG_PREFIXES, SERVICE_NAMES).is_none());
        assert!(owner("git_depth", RUNNER_PREFIXES, RUNNER_NAMES).is_some());
        assert!(owner("GIT_SUBMODULE_PATHS", RUNNER_PREFIXES, RUNNER_NAMES).is_some());
        assert!(owner("GIT_AUTHOR_NAME", RUNNER_PREFIXES, RUNNER_NAMES).is_none());
        assert!(owner("GIT_DEPTH", &[], &[]).is_none(), "only a job's and a service's variables");
    }
}
