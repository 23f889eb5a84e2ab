//! The shell scripts of the GitLab pipeline: registry login and lookup, buildah builds, the tags
//! job and the service waits. Each returns one block, because GitLab runs every list item as a
//! separate command and an `if` cannot span items.

use crate::naming;
use crate::plan::{Build, CacheUse, HealthCheck, ImageUse, Probe, ServiceUse, TagKind, TagRef, TagsJob};
use crate::shell::{self, quote};

use super::{TAGS_DOTENV, reference};

/// Shell functions of every build job: log in with the job's credentials (never echoed), and
/// ask the registry whether a reference exists.
pub fn builder_setup() -> String {
    r#"pipegen_host="${PIPEGEN_REGISTRY%%/*}"
if [ -n "${PIPEGEN_REGISTRY_PASSWORD:-}" ]; then
  printf '%s\n' "$PIPEGEN_REGISTRY_PASSWORD" | buildah login --username "${PIPEGEN_REGISTRY_USER:-}" --password-stdin "$pipegen_host"
elif [ "$pipegen_host" = "${CI_REGISTRY:-}" ] && [ -n "${CI_REGISTRY_PASSWORD:-}" ]; then
  printf '%s\n' "$CI_REGISTRY_PASSWORD" | buildah login --username "$CI_REGISTRY_USER" --password-stdin "$pipegen_host"
else
  echo "pipegen: no credentials for $pipegen_host (set PIPEGEN_REGISTRY_USER and PIPEGEN_REGISTRY_PASSWORD); using it anonymously"
fi
if ! command -v skopeo > /dev/null 2>&1; then
  dnf -y -q install skopeo > /dev/null
fi
pipegen_exists() {
  # skopeo does not read CONTAINERS_REGISTRIES_CONF by itself; pass it on when it is set.
  if pipegen_out="$(skopeo ${CONTAINERS_REGISTRIES_CONF:+--registries-conf "$CONTAINERS_REGISTRIES_CONF"} inspect --raw "docker://$1" 2>&1)"; then
    return 0
  fi
  case "$pipegen_out" in
    *"manifest unknown"*|*"name unknown"*|*"not found"*) ;;
    *) echo "pipegen: could not ask the registry about $1: $pipegen_out" >&2 ;;
  esac
  return 1
}
"#
    .to_string()
}

/// The tags job: compute every tag, write them as a dotenv report, and say what they are.
pub fn compute_tags(tags: &TagsJob) -> String {
    let mut lines = shell::compute_tags(tags, "${CI_COMMIT_SHA}");
    lines.push(format!(": > {TAGS_DOTENV}"));
    for tag in &tags.tags {
        lines.push(format!("printf '%s=%s\\n' {0} \"${{{0}}}\" >> {TAGS_DOTENV}", tag.variable));
        let what = naming::label(&tag.image, &tag.variant);
        let kind = match tag.kind {
            TagKind::Content(_) => "content",
            TagKind::Commit { .. } => "commit",
        };
        lines.push(format!(
            "echo {}\"${{PIPEGEN_REGISTRY}}/{}:${{{}}}\"",
            quote(&format!("pipegen: {what} ({kind} tag) → ")),
            tag.image,
            tag.variable
        ));
    }
    for key in &tags.cache_keys {
        lines.push(format!("printf '%s=%s\\n' {0} \"${{{0}}}\" >> {TAGS_DOTENV}", key.variable));
    }
    join(lines)
}

/// The image that moves a cache in and out of the build's cache mount; a pipeline variable of
/// the same name overrides it (a mirror, an air-gapped registry).
const CACHE_HELPER: &str = "${PIPEGEN_CACHE_HELPER_IMAGE:-docker.io/library/busybox:1.37}";

/// One build: skip when the registry holds the content tag already, else build and push.
pub fn build(build: &Build) -> String {
    let what = naming::label(&build.this.image, &build.this.variant);
    let mut steps = vec![format!("echo {}\"$pipegen_ref\"", quote(&format!("pipegen: building {what} as ")))];
    if !build.caches.is_empty() {
        steps.push("pipegen_dir=\"$(mktemp -d)\"".to_string());
    }
    steps.extend(build.caches.iter().map(load_cache));
    steps.push(buildah_build(build));
    steps.extend(build.caches.iter().map(save_cache));
    steps.push("buildah push \"$pipegen_ref\"".to_string());

    let mut lines = vec![format!("pipegen_ref=\"{}\"", reference(&build.this))];
    match build.this.tag {
        TagRef::Content { .. } => {
            lines.push("if pipegen_exists \"$pipegen_ref\"; then".to_string());
            lines.push(format!(
                "  echo \"pipegen: $pipegen_ref is already in the registry; skipping the build of {what}\""
            ));
            lines.push("else".to_string());
            lines.extend(steps.iter().map(|step| indent(step, "  ")));
            lines.push("fi".to_string());
        }
        TagRef::Commit { .. } => {
            lines.push(format!(
                "echo {}",
                quote(&format!("pipegen: {what} is tagged by commit and built in every pipeline"))
            ));
            lines.extend(steps);
        }
    }
    join(lines)
}

/// `buildah build` with the registry layer cache, build args, parents, target and tag.
fn buildah_build(build: &Build) -> String {
    let cache_repo = format!("\"${{PIPEGEN_REGISTRY}}/{}/cache\"", build.this.image);
    let mut command = vec![
        "buildah build --layers".to_string(),
        format!("  --cache-from {cache_repo} --cache-to {cache_repo}"),
        format!("  --file {}", quote(&build.dockerfile)),
    ];
    for (arg, value) in &build.args {
        command.push(format!("  --build-arg {}", quote(&format!("{arg}={value}"))));
    }
    for (arg, parent) in &build.parents {
        command.push(format!("  --build-arg \"{arg}={}\"", reference(parent)));
    }
    if let Some(target) = &build.target {
        command.push(format!("  --target {}", quote(target)));
    }
    command.push("  --tag \"$pipegen_ref\"".to_string());
    command.push(format!("  {}", quote(&build.context)));
    command.join(" \\\n")
}

/// Load a cache restored by GitLab into the cache mount `id=<cache>` that the Dockerfile's
/// `RUN --mount=type=cache,id=<cache>,…` uses, with a throwaway build (the "cache dance").
fn load_cache(cache: &CacheUse) -> String {
    let path = quote(&cache.paths[0]);
    let file = format!("\"$pipegen_dir/load-{}.Containerfile\"", cache.name);
    [
        format!("mkdir -p {path}"),
        format!(
            "printf '%s\\n' \"FROM {CACHE_HELPER}\" {} > {file}",
            quote(&format!(
                "RUN --mount=type=cache,id={},target=/pipegen-cache --mount=type=bind,source=.,target=/pipegen-restored cp -a /pipegen-restored/. /pipegen-cache/",
                cache.name
            ))
        ),
        format!("echo {}", quote(&format!("pipegen: loading cache {} from {} into the build", cache.name, cache.paths[0]))),
        format!("buildah build --quiet --no-cache --layers=false --file {file} {path} > /dev/null"),
    ]
    .join("\n")
}

/// Copy the cache mount `id=<cache>` back to the workspace, where GitLab saves it.
fn save_cache(cache: &CacheUse) -> String {
    let output = quote(&format!("type=local,dest={}", cache.paths[0]));
    let file = format!("\"$pipegen_dir/save-{}.Containerfile\"", cache.name);
    [
        format!(
            "printf '%s\\n' \"FROM {CACHE_HELPER} AS pipegen\" {} 'FROM scratch' 'COPY --from=pipegen /pipegen-out/ /' > {file}",
            quote(&format!(
                "RUN --mount=type=cache,id={},target=/pipegen-cache mkdir -p /pipegen-out && cp -a /pipegen-cache/. /pipegen-out/",
                cache.name
            ))
        ),
        format!("mkdir -p \"$pipegen_dir/empty-{}\"", cache.name),
        format!("echo {}", quote(&format!("pipegen: saving cache {} to {}", cache.name, cache.paths[0]))),
        format!(
            "buildah build --quiet --no-cache --layers=false --output {output} --file {file} \"$pipegen_dir/empty-{}\" > /dev/null",
            cache.name
        ),
    ]
    .join("\n")
}

/// Every line of `text` (a step of several lines) indented by `prefix`.
fn indent(text: &str, prefix: &str) -> String {
    text.lines().map(|line| format!("{prefix}{line}")).collect::<Vec<_>>().join("\n")
}

/// Wait, before the job's script, until each service with a health check is healthy; fail
/// with the service's name and timeout when it is not in time.
pub fn wait_for_services(services: &[ServiceUse]) -> Vec<String> {
    services.iter().filter_map(|s| s.health.as_ref().map(|h| wait_for(s, h))).collect()
}

fn wait_for(service: &ServiceUse, health: &HealthCheck) -> String {
    let alias = &service.alias;
    let port = service.port;
    // One probe never outlasts the timeout (nor 5 s): a service that accepts connections but
    // does not answer yet must still fail in time.
    let limit = health.timeout.as_secs().clamp(1, 5);
    // Each probe first makes sure the job image has a tool that can run it, and says at once
    // which tools it needs when it has none: a probe that cannot run fails every attempt, and
    // the job would wait the whole timeout and then blame a healthy service.
    let (preamble, check, what) = match &health.probe {
        Probe::Http(path) => {
            let url = format!("http://{alias}:{port}{path}");
            // wget runs under `timeout`: busybox's wget may lack `-T` (Debian's crashes on it)
            // and GNU wget retries a timed-out read 20 times.
            (
                require_tools(
                    alias,
                    &url,
                    "pipegen_has curl || { pipegen_has wget && pipegen_has timeout; }",
                    "curl, or wget and timeout",
                ),
                format!(
                    "if pipegen_has curl; then curl -fsS -o /dev/null --max-time {limit} {0}; else timeout {limit} wget -q -O /dev/null {0}; fi",
                    quote(&url)
                ),
                url,
            )
        }
        Probe::Tcp => {
            let what = format!("tcp://{alias}:{port}");
            (tcp_probe_choice(alias, &what), tcp_check(alias, port, limit), what)
        }
        Probe::Cmd(cmd) => (
            Vec::new(),
            format!("PIPEGEN_SERVICE_HOST={alias} PIPEGEN_SERVICE_PORT={port} sh -c {}", quote(cmd)),
            format!("`{cmd}`"),
        ),
    };
    let timeout = health.timeout;
    let image = match &service.image {
        ImageUse::Model(build) => naming::gitlab_job_name(&build.image, &build.variant),
        ImageUse::External(reference) => reference.clone(),
    };
    let mut lines = vec![format!("# Wait for service {alias} ({image}): GitLab's own check gives up after 30 s.")];
    lines.extend(preamble);
    lines.extend([
        format!("pipegen_deadline=$(( $(date +%s) + {} ))", timeout.as_secs()),
        format!("until {check}; do"),
        "  if [ \"$(date +%s)\" -ge \"$pipegen_deadline\" ]; then".to_string(),
        format!(
            "    echo {} >&2",
            quote(&format!("pipegen: service '{alias}' did not become healthy within {timeout} ({what})"))
        ),
        "    exit 1".to_string(),
        "  fi".to_string(),
        format!("  sleep {}", health.interval.as_secs()),
        "done".to_string(),
        format!("echo {}", quote(&format!("pipegen: service '{alias}' is healthy"))),
    ]);
    join(lines)
}

/// `pipegen_has`, then stop the job at once when `condition` (over `pipegen_has`) is false,
/// saying which `tools` the job image needs to check the service `alias` at `what`.
fn require_tools(alias: &str, what: &str, condition: &str, tools: &str) -> Vec<String> {
    vec![
        HAS.to_string(),
        format!("if ! {{ {condition}; }}; then"),
        format!(
            "  echo {} >&2",
            quote(&format!("pipegen: cannot check service '{alias}' ({what}): the job image needs {tools}"))
        ),
        "  exit 1".to_string(),
        "fi".to_string(),
    ]
}

const HAS: &str = "pipegen_has() { command -v \"$1\" > /dev/null 2>&1; }";

/// Choose the TCP probe once, into `pipegen_tcp`: bash's /dev/tcp under `timeout`, else an nc
/// with `-z` (OpenBSD's, ncat, netcat-traditional), else an nc with `-e` (busybox's, which has
/// no `-z`: it connects and runs `true`). nc's own help lists its options; without a usable
/// tool the job stops at once and says which tools it needs.
fn tcp_probe_choice(alias: &str, what: &str) -> Vec<String> {
    let cannot = quote(&format!(
        "pipegen: cannot check service '{alias}' ({what}): the job image needs bash and timeout, or grep and an nc that has -z or -e (busybox's)"
    ));
    vec![
        HAS.to_string(),
        "pipegen_nc_has() {".to_string(),
        "  pipegen_nc_help=\"$(nc -h 2>&1 < /dev/null || true)\"".to_string(),
        "  printf '%s\\n' \"$pipegen_nc_help\" | grep -q -e \"^[[:space:]]*$1[[:space:],]\"".to_string(),
        "}".to_string(),
        "if pipegen_has bash && pipegen_has timeout; then".to_string(),
        "  pipegen_tcp=bash".to_string(),
        "elif pipegen_has nc && pipegen_has grep && pipegen_nc_has -z; then".to_string(),
        "  pipegen_tcp=nc-z".to_string(),
        "elif pipegen_has nc && pipegen_has grep && pipegen_nc_has -e; then".to_string(),
        "  pipegen_tcp=nc-e".to_string(),
        "else".to_string(),
        format!("  echo {cannot} >&2"),
        "  exit 1".to_string(),
        "fi".to_string(),
    ]
}

/// One TCP probe with the tool `tcp_probe_choice` chose, bounded by `limit` seconds.
fn tcp_check(alias: &str, port: u16, limit: u64) -> String {
    format!(
        "case \"$pipegen_tcp\" in bash) timeout {limit} bash -c {} ;; nc-z) nc -z -w {limit} {alias} {port} ;; *) nc -w {limit} {alias} {port} -e true ;; esac",
        quote(&format!("exec 3<> /dev/tcp/{alias}/{port}"))
    )
}

fn join(lines: Vec<String>) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}
