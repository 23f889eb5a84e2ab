//! Regular expressions of the JSON Schema: what editors check while typing, and what `pipegen`
//! checks first on every load (through the jsonschema crate, whose ECMA-262 regex engine also
//! accepts the look-aheads used here). `schema_errors` turns a failed pattern back into a
//! message written for that pattern, so every constant here has a human explanation there.

/// Names of the model, images, services and caches: lowercase letters, digits and inner dashes.
/// They become registry repository names and parts of job names on both platforms.
pub const NAME: &str = "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$";

/// Service names: like [`NAME`], but jobs reach a service at the host name of its key, so not a
/// name a resolver reads as an IPv4 address (`inet_aton` takes one number, decimal, octal `0177`
/// or hex `0x7f000001`, as an address; dots never occur in a name) nor one that a container's own
/// `/etc/hosts` holds (`localhost`, and Docker's `ip6-*` names), which is the job's own container.
pub const SERVICE_NAME: &str = "^(?!(localhost|ip6-localhost|ip6-loopback|ip6-localnet|ip6-mcastprefix|ip6-allnodes|ip6-allrouters|[0-9]+|0x[0-9a-f]*)$)[a-z0-9]([a-z0-9-]*[a-z0-9])?$";

/// The longest DNS label (RFC 1035): jobs reach a service at its name, which is one. The
/// schema's `maxLength` of service names; `validate` says why (`name-too-long`).
pub const MAX_HOST_LABEL: usize = 63;

/// The form of a job name: like [`NAME`], but starting with a letter because GitHub job ids must.
const JOB_NAME_FORM: &str = "^[a-z]([a-z0-9-]*[a-z0-9])?$";

/// Job names: [`JOB_NAME_FORM`], and none of the names GitLab reads as a keyword of the pipeline
/// or a YAML 1.1 boolean or null (`validate::GITLAB_RESERVED`; those with `_` never have the form).
pub const JOB_NAME: &str = "^(?!(image|services|stages|types|variables|cache|include|default|workflow|pages|true|false|nil|yes|no|on|off|spec)$)[a-z]([a-z0-9-]*[a-z0-9])?$";

/// Axis names where they are used (`axes: [ruby]`) and axis fields: they are environment
/// variables of the jobs (`$ruby`) and `${ruby}` in args.
pub const AXIS: &str = "^[a-z][a-z0-9_]*$";

// Variable names the platforms or pipegen set (`env_names`), in any letter case as pipegen
// compares them: each letter as `[cC]`, as a schema's pattern has no flags. Macros, so that each
// list is written once and the patterns stay constants.
macro_rules! reserved_prefixes {
    () => {
        "[cC][iI]_|[gG][iI][tT][lL][aA][bB]_|[fF][fF]_|[gG][iI][tT][hH][uU][bB]_|[rR][uU][nN][nN][eE][rR]_|[aA][cC][tT][iI][oO][nN][sS]_|[pP][iI][pP][eE][gG][eE][nN]_"
    };
}
macro_rules! reserved_names {
    () => {
        "[cC][iI]|[cC][hH][aA][tT]_[cC][hH][aA][nN][nN][eE][lL]|[cC][hH][aA][tT]_[iI][nN][pP][uU][tT]|[cC][hH][aA][tT]_[uU][sS][eE][rR]_[iI][dD]|[tT][rR][iI][gG][gG][eE][rR]_[pP][aA][yY][lL][oO][aA][dD]"
    };
}
// GitLab Runner's own job variables, refused in a job's and a service's `env`.
macro_rules! runner_prefixes {
    () => {
        "[gG][iI][tT]_[sS][uU][bB][mM][oO][dD][uU][lL][eE]_"
    };
}
macro_rules! runner_names {
    () => {
        "[gG][iI][tT]_[sS][tT][rR][aA][tT][eE][gG][yY]|[gG][iI][tT]_[dD][eE][pP][tT][hH]|[gG][iI][tT]_[cC][hH][eE][cC][kK][oO][uU][tT]|[gG][iI][tT]_[cC][lL][eE][aA][nN]_[fF][lL][aA][gG][sS]|[gG][iI][tT]_[fF][eE][tT][cC][hH]_[eE][xX][tT][rR][aA]_[fF][lL][aA][gG][sS]|[gG][iI][tT]_[cC][lL][oO][nN][eE]_[eE][xX][tT][rR][aA]_[fF][lL][aA][gG][sS]|[gG][iI][tT]_[cC][lL][oO][nN][eE]_[pP][aA][tT][hH]|[gG][iI][tT]_[lL][fF][sS]_[sS][kK][iI][pP]_[sS][mM][uU][dD][gG][eE]|[cC][aA][cC][hH][eE]_[fF][aA][lL][lL][bB][aA][cC][kK]_[kK][eE][yY]|[cC][aA][cC][hH][eE]_[cC][oO][mM][pP][rR][eE][sS][sS][iI][oO][nN]_[lL][eE][vV][eE][lL]|[cC][aA][cC][hH][eE]_[cC][oO][mM][pP][rR][eE][sS][sS][iI][oO][nN]_[fF][oO][rR][mM][aA][tT]|[cC][aA][cC][hH][eE]_[rR][eE][qQ][uU][eE][sS][tT]_[tT][iI][mM][eE][oO][uU][tT]|[aA][rR][tT][iI][fF][aA][cC][tT]_[cC][oO][mM][pP][rR][eE][sS][sS][iI][oO][nN]_[lL][eE][vV][eE][lL]|[tT][rR][aA][nN][sS][fF][eE][rR]_[mM][eE][tT][eE][rR]_[fF][rR][eE][qQ][uU][eE][nN][cC][yY]|[aA][rR][tT][iI][fF][aA][cC][tT]_[dD][oO][wW][nN][lL][oO][aA][dD]_[aA][tT][tT][eE][mM][pP][tT][sS]|[gG][eE][tT]_[sS][oO][uU][rR][cC][eE][sS]_[aA][tT][tT][eE][mM][pP][tT][sS]|[rR][eE][sS][tT][oO][rR][eE]_[cC][aA][cC][hH][eE]_[aA][tT][tT][eE][mM][pP][tT][sS]|[eE][xX][eE][cC][uU][tT][oO][rR]_[jJ][oO][bB]_[sS][eE][cC][tT][iI][oO][nN]_[aA][tT][tT][eE][mM][pP][tT][sS]|[dD][oO][cC][kK][eE][rR]_[aA][uU][tT][hH]_[cC][oO][nN][fF][iI][gG]"
    };
}

/// Axis names where they are declared (the keys of `axes`): [`AXIS`], and not a variable name
/// the platforms or pipegen set.
pub const AXIS_NAME: &str = concat!("^(?!(", reserved_prefixes!(), ")|(", reserved_names!(), ")$)", "[a-z][a-z0-9_]*$");

/// Axis values: they appear in job names and image tags.
pub const AXIS_VALUE: &str = "^[A-Za-z0-9][A-Za-z0-9._-]*$";

/// Whether `value` matches [`AXIS_VALUE`]: checks that use axis values skip a value the schema
/// already refused, so one wrong value is one error.
pub fn is_axis_value(value: &str) -> bool {
    let mut chars = value.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The form of environment variable and build argument names.
pub const ENV_NAME: &str = "^[A-Za-z_][A-Za-z0-9_]*$";

/// Secret names: [`ENV_NAME`], and not a variable name the platforms or pipegen set.
pub const SECRET_NAME: &str =
    concat!("^(?!(", reserved_prefixes!(), ")|(", reserved_names!(), ")$)", "[A-Za-z_][A-Za-z0-9_]*$");

/// Build argument names (`args`, `from[].arg`): like [`SECRET_NAME`], and not `BUILDKIT_*`.
pub const BUILD_ARG: &str = concat!(
    "^(?!(",
    reserved_prefixes!(),
    "|[bB][uU][iI][lL][dD][kK][iI][tT]_)|(",
    reserved_names!(),
    ")$)",
    "[A-Za-z_][A-Za-z0-9_]*$"
);

/// A variable name that is none of the platforms', pipegen's or GitLab Runner's own, nor one of
/// `$extra` (a `|`-separated alternation).
macro_rules! env_name_pattern {
    ($($extra:literal)?) => {
        concat!(
            "^(?!(",
            reserved_prefixes!(),
            "|",
            runner_prefixes!(),
            ")|(",
            reserved_names!(),
            "|",
            runner_names!(),
            $("|", $extra,)?
            ")$)",
            "[A-Za-z_][A-Za-z0-9_]*$"
        )
    };
}

/// A job's `env` names: like [`SECRET_NAME`], and none of GitLab Runner's own job variables.
pub const JOB_ENV_NAME: &str = env_name_pattern!();

/// A service's `env` names: like [`JOB_ENV_NAME`], and not `HEALTHCHECK_TCP_PORT`, which pipegen
/// sets for GitLab Runner's wait for the service.
pub const SERVICE_ENV_NAME: &str =
    env_name_pattern!("[hH][eE][aA][lL][tT][hH][cC][hH][eE][cC][kK]_[tT][cC][pP]_[pP][oO][rR][tT]");

/// A registry host (with optional port) and optional path, lowercase as registries require.
pub const REGISTRY: &str = concat!(
    "^(?!(ghcr\\.io|docker\\.pkg\\.github\\.com|docker\\.io|index\\.docker\\.io|registry-1\\.docker\\.io",
    "|registry\\.hub\\.docker\\.com|quay\\.io|registry\\.gitlab\\.com|public\\.ecr\\.aws|gcr\\.io|[^/]*\\.gcr\\.io",
    "|[^/]*-docker\\.pkg\\.dev)(:[0-9]+)?/?$)",
    "[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*",
    "(:0*([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?",
    "(/[a-z0-9]+((\\.|__?|-+)[a-z0-9]+)*)*$"
);

/// The form of a registry, as [`REGISTRY`] was before it held the host, port and path rules
/// `validate` reports itself (`invalid-registry`, with the part that is wrong).
pub(super) const REGISTRY_FORM: &str = "^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$";

/// A model image name or an external image reference (`postgres:16.4`, `ghcr.io/o/i@sha256:…`).
///
/// The reference grammar of the distribution spec, as `validate` reads it
/// (`image_reference::problem`): a first component with a `.` or `:` (or `localhost`) before a
/// `/` is a registry host with an optional port; then repository components; an optional tag
/// of at most 128 characters; an optional digest (`sha256:` and 64 hex digits).
pub const IMAGE_REF: &str = concat!(
    "^(?=[a-z0-9][a-z0-9._/:@-]*$)",
    "((?=[^/@]*[.:][^/@]*/|localhost/)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*",
    "(:0*([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?/",
    "|(?![^/@]*[.:][^/@]*/)(?!localhost/))",
    "[a-z0-9]+((\\.|__?|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|__?|-+)[a-z0-9]+)*)*",
    "(:[a-z0-9_][a-z0-9_.-]{0,127})?",
    "(@(sha256:[0-9a-f]{64}|(?!sha256:)[a-z0-9]+([+._-][a-z0-9]+)*:[0-9a-f]{32,}))?$"
);

/// The form of an image reference, as [`IMAGE_REF`] was before it held the grammar `validate`
/// reports itself (`invalid-image`, with the part that is wrong).
pub(super) const IMAGE_REF_FORM: &str = "^[a-z0-9][a-z0-9._/:@-]*$";

/// A relative path: no leading `/`, no `..` component, no glob characters, no `\` (a Windows
/// separator: the runners' is `/`, and Git for Windows checks out no name that holds one).
/// `[\s\S]` rather than `.`, which stops at a newline and would let `a\n/../..` through.
pub const REL_PATH: &str = "^(?!/)(?![\\s\\S]*(^|/)\\.\\.(/|$))[^*?\\[\\]{}\\\\]+$";

/// A relative path that may hold `${axis}` and `${axis.field}` (contexts, Dockerfiles): like
/// [`REL_PATH`], with `{` and `}` only in those placeholders, and not starting with `-` (after
/// any `./`): a context reaches buildah and docker buildx as their last argument, where
/// `--quiet` or `-` (standard input) would be read as something else. The path is checked again
/// once the values are in place.
pub const REL_PATH_TEMPLATE: &str = "^(?!(\\./+)*-)(?!/)(?![\\s\\S]*(^|/)\\.\\.(/|$))([^*?\\[\\]{}$\\\\]|\\$\\$|\\$\\{[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)?\\}|\\$(?![{$]))+$";

/// A path that the platforms read as a glob pattern (cache keys and artifact paths): like
/// [`REL_PATH`], and no `\` (an escape in GitLab Runner's and `@actions/glob`'s patterns), not
/// starting with `#`, `!` or `~` and no blank at either end: `@actions/glob` (actions/cache,
/// upload-artifact, `hashFiles`) trims each line, skips one that starts with `#`, and reads a
/// leading `!` as an exclusion and `~` as the home directory.
pub const GLOB_SAFE_PATH: &str = "^(?![#!~\\s])(?!/)(?![\\s\\S]*(^|/)\\.\\.(/|$))(?![\\s\\S]*\\s$)[^*?\\[\\]{}\\\\]+$";

/// An artifact path: like [`GLOB_SAFE_PATH`], and `*`, `**` and `?` may match files. Both
/// platforms read those alike (GitLab Runner's doublestar, GitHub's `@actions/glob`: `*` within
/// a directory, `**` across directories, `?` one character); braces are refused, as doublestar
/// reads `{a,b}` as alternatives and `@actions/glob` does not, and so are character classes, to
/// keep to what both surely read alike. No `$`: GitLab Runner expands variables in artifact
/// paths (`$HOME/x` is its home directory's), `upload-artifact` does not.
pub const ARTIFACT_GLOB: &str = "^(?![#!~\\s])(?!/)(?![\\s\\S]*(^|/)\\.\\.(/|$))(?![\\s\\S]*\\s$)[^\\[\\]{}\\\\$]+$";

/// A cache path: like [`GLOB_SAFE_PATH`], with `${axis}` and `${axis.field}` as in
/// [`REL_PATH_TEMPLATE`] and no other `$` (GitLab Runner expands variables in cache paths,
/// actions/cache does not), no `,` or `"` (an image's cache reaches buildah and docker buildx
/// inside a comma-separated option, `--output type=local,dest=<path>`) and no leading `-` (it
/// is also an argument of `mkdir` and `rm`).
pub const GLOB_SAFE_PATH_TEMPLATE: &str = "^(?![#!~\\s])(?!(\\./+)*-)(?!/)(?![\\s\\S]*(^|/)\\.\\.(/|$))(?![\\s\\S]*\\s$)([^*?\\[\\]{}$\\\\,\"]|\\$\\{[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)?\\})+$";

/// A relative path or glob: no leading `/`, no `..` component, no `\` (a Windows separator,
/// and an escape in git's glob pathspecs that would quietly match other files: `src\**`).
pub const REL_GLOB: &str = "^(?!/)(?![\\s\\S]*(^|/)\\.\\.(/|$))[^\\\\]+$";

/// A branch that pushes (`push.branches`): a name, or a prefix and a final `*`, or `*` alone.
/// Both platforms can test that without a regex: GitLab with a regex pipegen writes from it,
/// GitHub with `==` or `startsWith` (its expressions have no pattern match). No character a
/// GitLab regex literal or a GitHub string literal would read specially.
pub const BRANCH_PATTERN: &str = "^(\\*|[A-Za-z0-9._/-]+\\*?)$";

/// An alias tag template: the characters of a docker tag, and `${name}` / `${name.field}`
/// placeholders (axis values and fields, pipeline values such as `${branch}`), not starting
/// with `.` or `-` (a tag cannot). The tag's other rules (what the values make of it, length)
/// are checked once the values are known.
pub const ALIAS_TAG: &str = "^(?![.-])([A-Za-z0-9_.-]|\\$\\{[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)?\\})+$";

/// [`ALIAS_TAG`] without its first-character rule, which `validate` checks with the values in
/// place (`invalid-alias`, saying why).
const ALIAS_TAG_FORM: &str = "^([A-Za-z0-9_.-]|\\$\\{[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)?\\})+$";

/// A branch or git tag pattern of an alias's `when`: shell patterns, no white space.
pub const REF_GLOB: &str = "^\\S+$";

/// A multi-stage target name as Dockerfiles allow.
pub const TARGET: &str = "^[A-Za-z0-9][A-Za-z0-9._-]*$";

/// A runner tag (GitLab) or label (GitHub): no leading or trailing space, no quotes or
/// expression characters.
pub const RUNNER_TAG: &str = "^[A-Za-z0-9]([A-Za-z0-9._ -]*[A-Za-z0-9])?$";

/// A health check's HTTP path: absolute on the service.
pub const HTTP_PATH: &str = "^/";

/// A health check command: anything but blank, which the shell runs as success at once.
pub const COMMAND: &str = "\\S";
/// A duration: hours, minutes and seconds in that order, each optional but at least one. At most
/// nine digits per unit, so every duration the schema accepts fits in the model's seconds.
/// Not zero (`0s`, `0h0m`): every duration of the model is a timeout or an interval, which
/// `validate` refuses at zero.
pub const DURATION: &str =
    "^(?!(0+[hms])+$)([0-9]{1,9}h([0-9]{1,9}m)?([0-9]{1,9}s)?|[0-9]{1,9}m([0-9]{1,9}s)?|[0-9]{1,9}s)$";

/// The form of a duration, as [`DURATION`] without its look-ahead.
const DURATION_FORM: &str = "^([0-9]{1,9}h([0-9]{1,9}m)?([0-9]{1,9}s)?|[0-9]{1,9}m([0-9]{1,9}s)?|[0-9]{1,9}s)$";

/// Patterns that say for editors what `validate` checks again, with its own error code, message
/// and location (`reserved-name`, `reserved-variable`, `bad-duration`), each with the form it
/// has without those rules. `pipegen`'s own validator checks the form alone
/// ([`checked_by_schema`]): a value of that form is left to `validate`, so that one mistake is
/// one error, as it was before the schema knew the rule. It also spares every run compiling the
/// look-aheads, which cost more than the rest of the schema (docs/performance.md).
const CHECKED_AGAIN: &[(&str, &str)] = &[
    (JOB_NAME, JOB_NAME_FORM),
    (AXIS_NAME, AXIS),
    (SECRET_NAME, ENV_NAME),
    (BUILD_ARG, ENV_NAME),
    (JOB_ENV_NAME, ENV_NAME),
    (SERVICE_ENV_NAME, ENV_NAME),
    (DURATION, DURATION_FORM),
    (REGISTRY, REGISTRY_FORM),
    (IMAGE_REF, IMAGE_REF_FORM),
    (ALIAS_TAG, ALIAS_TAG_FORM),
];

/// The pattern `pipegen`'s validator checks where the published schema has `pattern`: its form
/// when `validate` checks the rest ([`CHECKED_AGAIN`]), else `pattern` itself.
pub fn checked_by_schema(pattern: &str) -> &str {
    CHECKED_AGAIN.iter().find(|(strict, _)| *strict == pattern).map_or(pattern, |(_, form)| form)
}

/// The published pattern a failed pattern of `pipegen`'s validator stands for, to explain it:
/// the strict pattern of a form only it has. [`AXIS`] and [`ENV_NAME`] are published patterns
/// themselves, explained as the patterns whose form they are.
pub fn published(pattern: &str) -> &str {
    match pattern {
        JOB_NAME_FORM => JOB_NAME,
        DURATION_FORM => DURATION,
        REGISTRY_FORM => REGISTRY,
        IMAGE_REF_FORM => IMAGE_REF,
        ALIAS_TAG_FORM => ALIAS_TAG,
        other => other,
    }
}

/// Whether `text` matches `pattern` as the schema's validator reads it (ECMA-262).
/// Each pattern is compiled once.
pub fn matches(pattern: &str, text: &str) -> bool {
    type Compiled = std::collections::HashMap<String, std::sync::Arc<jsonschema::Validator>>;
    static COMPILED: std::sync::OnceLock<std::sync::Mutex<Compiled>> = std::sync::OnceLock::new();
    let validator = {
        let mut compiled =
            COMPILED.get_or_init(Default::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        compiled
            .entry(pattern.to_string())
            .or_insert_with(|| {
                let schema = serde_json::json!({ "type": "string", "pattern": pattern });
                std::sync::Arc::new(jsonschema::validator_for(&schema).expect("the schema's patterns compile"))
            })
            .clone()
    };
    validator.is_valid(&serde_json::Value::String(text.to_string()))
}

/// What an editor says when a value does not match `pattern` (the schema's `patternErrorMessage`,
/// which yaml-language-server and VS Code show instead of the bare expression). Short and
/// actionable; `schema_errors` has the longer explanations `pipegen` itself prints.
pub fn editor_message(pattern: &str) -> Option<&'static str> {
    // TARGET and AXIS_VALUE are the same expression, so they share a message.
    let message = match pattern {
        NAME => "use lowercase letters, digits and dashes (not at either end), e.g. `gitaly-deps`",
        SERVICE_NAME => {
            "use lowercase letters, digits and dashes (not at either end), e.g. `postgres`; not a number or `localhost`: jobs reach the service at this host name"
        }
        JOB_NAME => {
            "start with a letter, then lowercase letters, digits and dashes (not at the end), e.g. `qa`; not a GitLab keyword (`image`, `default`, `pages`, …) nor a YAML boolean (`yes`, `on`, …)"
        }
        AXIS => "use lowercase letters, digits and `_`, starting with a letter, e.g. `ruby_version`",
        AXIS_NAME => {
            "use lowercase letters, digits and `_`, starting with a letter, e.g. `ruby_version`; not a variable the platforms or pipegen set (`ci`, `ci_*`, `github_*`, `pipegen_*`, …)"
        }
        SECRET_NAME => {
            "use letters, digits and `_`, not starting with a digit, e.g. `CODECOV_TOKEN`; not a variable the platforms or pipegen set (`CI`, `CI_*`, `GITHUB_*`, `PIPEGEN_*`, …)"
        }
        BUILD_ARG => {
            "use letters, digits and `_`, not starting with a digit, e.g. `RUBY_VERSION`; not a variable the platforms or pipegen set (`CI`, `CI_*`, `GITHUB_*`, `PIPEGEN_*`, …) nor `BUILDKIT_*`"
        }
        JOB_ENV_NAME => {
            "use letters, digits and `_`, not starting with a digit, e.g. `RUBY_VERSION`; not a variable the platforms or pipegen set (`CI`, `CI_*`, `GITHUB_*`, `PIPEGEN_*`, …) nor one of GitLab Runner's (`GIT_DEPTH`, `GIT_SUBMODULE_*`, …)"
        }
        SERVICE_ENV_NAME => {
            "use letters, digits and `_`, not starting with a digit, e.g. `POSTGRES_PASSWORD`; not a variable the platforms or pipegen set (`CI`, `CI_*`, `GITHUB_*`, `PIPEGEN_*`, `HEALTHCHECK_TCP_PORT`, …) nor one of GitLab Runner's (`GIT_DEPTH`, …)"
        }
        AXIS_VALUE => "use letters, digits, `.`, `_` and `-`, starting with a letter or digit, e.g. `3.3` or `runtime`",
        ENV_NAME => "use letters, digits and `_`, not starting with a digit, e.g. `RUBY_VERSION`",
        REGISTRY => {
            "write a lowercase host (and port) with an optional path, e.g. `registry.example.com/team`; no scheme, no tag"
        }
        IMAGE_REF => {
            "write an image of this model by name, or an external reference in lowercase with a tag or digest, e.g. `postgres:16.4`"
        }
        REL_PATH => "write a path relative to the repository root: no leading `/`, no `..`, no glob characters",
        REL_PATH_TEMPLATE => {
            "write a path relative to the repository root: no leading `/`, no `..`, no glob characters; `${axis}` and `${axis.field}` are replaced by the variant's values"
        }
        GLOB_SAFE_PATH => {
            "write a path relative to the repository root: no leading `/`, no `..`, no glob characters, no `\\`; not starting with `#`, `!`, `~` or a blank, not ending with a blank"
        }
        ARTIFACT_GLOB => {
            "write a path or glob relative to the repository root (`*`, `**` and `?` match): no leading `/`, no `..`, no `[`, `]`, `{`, `}` or `\\`; not starting with `#`, `!`, `~` or a blank, not ending with a blank"
        }
        GLOB_SAFE_PATH_TEMPLATE => {
            "write a path relative to the repository root: no leading `/`, no `..`, no glob characters, no `\\`; not starting with `#`, `!`, `~` or a blank, not ending with a blank; `${axis}` and `${axis.field}` are replaced by the variant's values"
        }
        REL_GLOB => "write a path or glob relative to the repository root: no leading `/`, no `..`",
        BRANCH_PATTERN => {
            "write a branch name, or a prefix followed by `*`, e.g. `release/*`; letters, digits, `.`, `_`, `/` and `-`"
        }
        ALIAS_TAG => {
            "use letters, digits, `_`, `.` and `-`, not starting with `.` or `-`, and placeholders such as `${pg}`, `${branch}` or `${semver.major}`, e.g. `${pg}-dev-${timestamp}`"
        }
        REF_GLOB => "write a branch or tag name or a shell pattern without spaces, e.g. `release/*`",
        RUNNER_TAG => "use letters, digits, `.`, `_`, `-` and inner spaces, e.g. `ubuntu-24.04-arm`",
        HTTP_PATH => "write a path that starts with `/`, e.g. `/-/readiness`",
        COMMAND => "write a command; a blank one succeeds at once, so the check would wait for nothing",
        DURATION => {
            "write a duration of more than zero: numbers with units h, m, s in that order, no spaces, e.g. `30s`, `5m`, `1h30m`"
        }
        _ => return None,
    };
    Some(message)
}

#[cfg(test)]
mod tests {
    #[test]
    fn axis_values_as_the_pattern_says() {
        for ok in ["3.3", "a", "Z-1_x.y", "16"] {
            assert!(super::is_axis_value(ok), "{ok}");
        }
        for bad in ["", ".3", "-a", "_a", "1.0e+3", "a b", "é"] {
            assert!(!super::is_axis_value(bad), "{bad}");
        }
    }
}
