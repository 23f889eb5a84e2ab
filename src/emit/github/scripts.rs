//! The shell text of the GitHub workflow: the registry decision, the tags job, the BuildKit
//! cache dance, the retry loop around a job's script, and the service health commands.
//!
//! Nothing here contains `${{ … }}`: values reach the scripts through `env:` only, so no
//! expression is ever pasted into shell text (zizmor's template-injection).

use crate::naming;
use crate::plan::{CacheUse, HealthCheck, Probe, ScriptJob, ServiceUse, TagKind, TagsJob};
use crate::shell::{self, quote};

/// The image of the tiny builds that move a CI cache into and out of a BuildKit cache mount.
pub const DANCE_IMAGE: &str = "docker.io/library/busybox:1.37";

/// The `timeout` exit status when the time ran out.
const TIMEOUT_STATUS: u32 = 124;

/// Decide how to log in to the registry: with the `PIPEGEN_REGISTRY_USER`/`PASSWORD` secrets when
/// they are set, with the job's own token on ghcr.io, else anonymously. Writes the outputs `host`
/// and `login` (`secrets`, `github` or `none`); the secrets themselves never reach the script.
pub fn registry_setup() -> String {
    r#"pipegen_host="${PIPEGEN_REGISTRY%%/*}"
if [ "${PIPEGEN_HAS_CREDENTIALS:-false}" = true ]; then
  pipegen_login=secrets
  echo "pipegen: logging in to $pipegen_host with the secrets PIPEGEN_REGISTRY_USER and PIPEGEN_REGISTRY_PASSWORD"
elif [ "$pipegen_host" = ghcr.io ]; then
  pipegen_login=github
  echo "pipegen: logging in to ghcr.io as $GITHUB_ACTOR with the job's GITHUB_TOKEN"
else
  pipegen_login=none
  echo "pipegen: no credentials for $pipegen_host (set the secrets PIPEGEN_REGISTRY_USER and PIPEGEN_REGISTRY_PASSWORD); using it anonymously"
fi
{
  echo "host=$pipegen_host"
  echo "login=$pipegen_login"
} >> "$GITHUB_OUTPUT"
"#
    .to_string()
}

/// The tags job: compute every tag with the script GitLab runs too, then, per build, write the
/// outputs `tag_<key>` and (content tags only) `exists_<key>` after asking the registry.
pub fn compute_tags(tags: &TagsJob) -> String {
    // GitHub hashes cache key files itself (`hashFiles`), so only the tags are computed here.
    let tags_only = TagsJob { cache_keys: Vec::new(), ..tags.clone() };
    let mut lines = shell::compute_tags(&tags_only, "${GITHUB_SHA}");
    if tags.tags.iter().any(|t| matches!(t.kind, TagKind::Content(_))) {
        lines.extend(
            r#"pipegen_exists() {
  if pipegen_out="$(docker buildx imagetools inspect --raw "$1" 2>&1)"; then
    return 0
  fi
  case "$pipegen_out" in
    *"not found"*|*"manifest unknown"*|*"MANIFEST_UNKNOWN"*|*"name unknown"*|*"NAME_UNKNOWN"*) ;;
    *) echo "pipegen: could not ask the registry about $1: $pipegen_out" >&2 ;;
  esac
  return 1
}"#
            .lines()
            .map(str::to_string),
        );
    }
    for tag in &tags.tags {
        let what = naming::label(&tag.image, &tag.variant);
        lines.push(format!("pipegen_ref=\"${{PIPEGEN_REGISTRY}}/{}:${{{}}}\"", tag.image, tag.variable));
        lines.push(format!("printf 'tag_{}=%s\\n' \"${{{}}}\" >> \"$GITHUB_OUTPUT\"", tag.key, tag.variable));
        match tag.kind {
            TagKind::Content(_) => {
                lines.push("if pipegen_exists \"$pipegen_ref\"; then".to_string());
                lines.push(format!(
                    "  echo {}\"$pipegen_ref\"{}",
                    quote(&format!("pipegen: {what} (content tag) → ")),
                    quote(" is already in the registry; its build is skipped")
                ));
                lines.push(format!("  echo 'exists_{}=true' >> \"$GITHUB_OUTPUT\"", tag.key));
                lines.push("else".to_string());
                lines.push(format!(
                    "  echo {}\"$pipegen_ref\"{}",
                    quote(&format!("pipegen: {what} (content tag) → ")),
                    quote(" is not in the registry; it will be built")
                ));
                lines.push(format!("  echo 'exists_{}=false' >> \"$GITHUB_OUTPUT\"", tag.key));
                lines.push("fi".to_string());
            }
            TagKind::Commit { .. } => lines.push(format!(
                "echo {}\"$pipegen_ref\"{}",
                quote(&format!("pipegen: {what} (commit tag) → ")),
                quote(", built in every run")
            )),
        }
    }
    join(lines)
}

/// Where the cache dance keeps its two Dockerfiles.
fn dance_dir(cache: &CacheUse) -> String {
    format!("\"$RUNNER_TEMP/pipegen-cache-{}\"", naming::upper_identifier(&cache.name).to_ascii_lowercase())
}

/// Copy the restored CI cache (at the cache's single path) into the BuildKit cache mount
/// `id=<cache name>`, so the image build's `RUN --mount=type=cache,id=<cache name>` starts from it.
/// The builder is fresh in every job, so the mount is empty before this.
pub fn cache_inject(cache: &CacheUse) -> String {
    let path = quote(&cache.paths[0]);
    let dir = dance_dir(cache);
    join(vec![
        "set -eu".to_string(),
        format!("mkdir -p {dir} {path}"),
        format!("cat > {dir}/inject.Dockerfile <<'PIPEGEN_EOF'"),
        format!("FROM {DANCE_IMAGE}"),
        format!(
            "RUN --mount=type=cache,id={},target=/pipegen-cache --mount=type=bind,source=.,target=/pipegen-restored \\",
            cache.name
        ),
        "    cp -a /pipegen-restored/. /pipegen-cache/".to_string(),
        "PIPEGEN_EOF".to_string(),
        format!(
            "echo {}",
            quote(&format!(
                "pipegen: loading cache {} from {} into the BuildKit cache mount id={}",
                cache.name, cache.paths[0], cache.name
            ))
        ),
        format!("docker buildx build --no-cache --output type=cacheonly --file {dir}/inject.Dockerfile {path}"),
    ])
}

/// Copy the BuildKit cache mount back to the cache's path after the image build, where
/// `actions/cache` saves it when the job ends.
pub fn cache_extract(cache: &CacheUse) -> String {
    let path = quote(&cache.paths[0]);
    let dir = dance_dir(cache);
    join(vec![
        "set -eu".to_string(),
        format!("mkdir -p {dir}/context"),
        format!("cat > {dir}/extract.Dockerfile <<'PIPEGEN_EOF'"),
        format!("FROM {DANCE_IMAGE} AS pipegen"),
        format!(
            "RUN --mount=type=cache,id={},target=/pipegen-cache mkdir -p /pipegen-out && cp -a /pipegen-cache/. /pipegen-out/",
            cache.name
        ),
        "FROM scratch".to_string(),
        "COPY --from=pipegen /pipegen-out/ /".to_string(),
        "PIPEGEN_EOF".to_string(),
        // Caches such as Go's module cache hold read-only directories, which rm cannot empty.
        format!("if [ -d {path} ]; then chmod -R u+w {path}; fi"),
        format!("rm -rf {path}"),
        format!(
            "echo {}",
            quote(&format!("pipegen: saving the BuildKit cache mount id={} to {}", cache.name, cache.paths[0]))
        ),
        format!(
            "docker buildx build --no-cache --output type=local,dest={path} --file {dir}/extract.Dockerfile {dir}/context"
        ),
    ])
}

/// The job's script, from `PIPEGEN_SCRIPT`, run as GitLab runs it: by bash with `-eo pipefail`
/// when the image has bash, else by sh with `-e`. With retries it runs up to `retry + 1` times;
/// with a timeout each attempt is stopped after it.
pub fn run_script(job: &ScriptJob) -> String {
    let attempts = job.retry + 1;
    let run = match job.timeout {
        Some(t) => format!("timeout {} \"$@\" \"$PIPEGEN_SCRIPT\"", t.as_secs()),
        None => "\"$@\" \"$PIPEGEN_SCRIPT\"".to_string(),
    };
    let mut lines = vec![
        "if command -v bash > /dev/null 2>&1; then set -- bash -eo pipefail -c; else set -- sh -e -c; fi".to_string(),
    ];
    if attempts == 1 && job.timeout.is_none() {
        lines.push(format!("exec {run}"));
        return join(lines);
    }
    lines.extend([
        "pipegen_attempt=1".to_string(),
        "while :; do".to_string(),
        "  pipegen_status=0".to_string(),
        format!("  {run} || pipegen_status=$?"),
        "  if [ \"$pipegen_status\" -eq 0 ]; then".to_string(),
        "    exit 0".to_string(),
        "  fi".to_string(),
    ]);
    if let Some(t) = job.timeout {
        lines.push(format!("  if [ \"$pipegen_status\" -eq {TIMEOUT_STATUS} ]; then"));
        lines.push(format!("    echo \"pipegen: attempt $pipegen_attempt of {attempts} timed out after {t}\" >&2"));
        lines.push("  else".to_string());
        lines.push(format!(
            "    echo \"pipegen: attempt $pipegen_attempt of {attempts} failed with status $pipegen_status\" >&2"
        ));
        lines.push("  fi".to_string());
    } else {
        lines.push(format!(
            "  echo \"pipegen: attempt $pipegen_attempt of {attempts} failed with status $pipegen_status\" >&2"
        ));
    }
    lines.extend([
        format!("  if [ \"$pipegen_attempt\" -ge {attempts} ]; then"),
        "    exit \"$pipegen_status\"".to_string(),
        "  fi".to_string(),
        "  pipegen_attempt=$((pipegen_attempt + 1))".to_string(),
        format!("  echo \"pipegen: retrying (attempt $pipegen_attempt of {attempts})\""),
        "done".to_string(),
    ]);
    join(lines)
}

/// Make the services' aliases resolve on the runner itself, for jobs without a container (the
/// services' ports are published there), so scripts reach `<alias>:<port>` as on GitLab.
pub fn resolve_aliases(services: &[ServiceUse]) -> String {
    let aliases: Vec<String> = services.iter().map(|s| quote(&s.alias)).collect();
    join(vec![
        format!("for pipegen_alias in {}; do", aliases.join(" ")),
        "  printf '127.0.0.1 %s\\n' \"$pipegen_alias\"".to_string(),
        "done | sudo tee -a /etc/hosts > /dev/null".to_string(),
    ])
}

/// The shell command Docker runs inside the service container (`/bin/sh -c`) to check it.
pub fn health_command(service: &ServiceUse, health: &HealthCheck) -> String {
    let port = service.port;
    let secs = health.interval.as_secs().max(1);
    match &health.probe {
        // Docker stops a check that outlasts --health-timeout, so wget needs no `-T` (which
        // Debian's busybox wget crashes on: a busybox-only service would never turn healthy).
        Probe::Http(path) => {
            let url = quote(&format!("http://localhost:{port}{path}"));
            format!(
                "if command -v curl > /dev/null 2>&1; then curl -fsS -o /dev/null --max-time {secs} {url}; else wget -q -O /dev/null {url}; fi"
            )
        }
        // /proc/net/tcp lists listening sockets (state 0A) with the port in hex: it needs no
        // nc in the image; nc is the fallback where /proc is not readable.
        Probe::Tcp => format!(
            "grep -q ':{port:04X} [0-9A-F]*:0000 0A' /proc/net/tcp /proc/net/tcp6 2> /dev/null || nc -z localhost {port}"
        ),
        Probe::Cmd(cmd) => cmd.clone(),
    }
}

/// The `docker create` options of a service with a health check: Docker checks every interval;
/// failures during the start period (the model's timeout) do not count, the first one after it
/// marks the service unhealthy, and the runner fails the job naming the service.
pub fn health_options(service: &ServiceUse, health: &HealthCheck) -> String {
    let interval = health.interval.as_secs().max(1);
    format!(
        "--health-cmd {} --health-interval {interval}s --health-timeout {interval}s --health-retries 1 --health-start-period {}s",
        runner_quote(&health_command(service, health)),
        health.timeout.as_secs()
    )
}

/// One argument of the runner's `docker create` command line. The runner joins `options`
/// into one string that .NET splits: double quotes group, `\"` is a literal quote, and
/// backslashes are literal unless they precede a quote.
pub fn runner_quote(text: &str) -> String {
    let mut out = String::from("\"");
    let mut backslashes = 0;
    for c in text.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.push_str(&"\\".repeat(backslashes * 2 + 1));
                out.push('"');
                backslashes = 0;
            }
            _ => {
                out.push_str(&"\\".repeat(backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    out.push_str(&"\\".repeat(backslashes * 2));
    out.push('"');
    out
}

fn join(lines: Vec<String>) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runner_quote_escapes_quotes_and_backslashes_before_them() {
        assert_eq!(runner_quote("pg_isready -U postgres"), "\"pg_isready -U postgres\"");
        assert_eq!(runner_quote("a \"b\" c"), r#""a \"b\" c""#);
        assert_eq!(runner_quote(r"a\b"), r#""a\b""#);
        assert_eq!(runner_quote(r#"a\"b"#), r#""a\\\"b""#);
        assert_eq!(runner_quote(r"end\"), r#""end\\""#);
    }
}
