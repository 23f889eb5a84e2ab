//! Registry login and lookup, for both builders.

use super::{Builder, Platform, Unpushed, Uses};
use crate::plan::push::SCRATCH_TAG_PREFIX;

/// `pipegen_login`: log in to the run's registry with the job's credentials (never echoed;
/// the password goes through stdin), else use it anonymously. `pipegen_exists REF`: whether the
/// registry holds REF; a registry that cannot be asked is reported and counts as "no".
/// `pipegen_digest_of REF`: sets `pipegen_digest` to the digest of the manifest REF names (the
/// manifest list of a multi-platform image), by the same command as `pipegen_exists`, so the
/// same login and registry configuration apply: the SHA-256 of the manifest's bytes, or the
/// digest written in a REF pinned by digest. A lookup that fails names REF and fails: a tag is
/// never computed from a digest it does not have.
pub fn functions(platform: Platform, uses: &Uses) -> String {
    let login = match platform.builder {
        Builder::Buildah => "buildah login",
        Builder::Buildx => "docker login",
    };
    let inspect = match platform.builder {
        // skopeo does not read CONTAINERS_REGISTRIES_CONF by itself; pass it on when it is set.
        Builder::Buildah => {
            r#"skopeo ${CONTAINERS_REGISTRIES_CONF:+--registries-conf "$CONTAINERS_REGISTRIES_CONF"} inspect --raw "docker://$1""#
        }
        Builder::Buildx => r#"docker buildx imagetools inspect --raw "$1""#,
    };
    let own = platform.own_registry;
    let mut text = format!(
        r#"pipegen_login() {{
  # The pipeline says whether it pushes (see the model's `push:`); anything but `true` is no.
  case "${{PIPEGEN_PUSH:-}}" in
    true) pipegen_push=true ;;
    *) pipegen_push=false ;;
  esac
  pipegen_host="${{PIPEGEN_REGISTRY%%/*}}"
  if [ -n "${{PIPEGEN_REGISTRY_PASSWORD:-}}" ]; then
    echo "pipegen: logging in to $pipegen_host as ${{PIPEGEN_REGISTRY_USER:-}} (PIPEGEN_REGISTRY_USER, PIPEGEN_REGISTRY_PASSWORD)"
    printf '%s\n' "$PIPEGEN_REGISTRY_PASSWORD" | {login} --username "${{PIPEGEN_REGISTRY_USER:-}}" --password-stdin "$pipegen_host" || pipegen_login_failed
  elif [ "$pipegen_host" = {host} ] && [ -n "${{{password}:-}}" ]; then
    echo "pipegen: logging in to $pipegen_host with the job's own credentials"
    printf '%s\n' "${{{password}}}" | {login} --username "${{{user}:-}}" --password-stdin "$pipegen_host" || pipegen_login_failed
  else
    echo "pipegen: no credentials for $pipegen_host (set PIPEGEN_REGISTRY_USER and PIPEGEN_REGISTRY_PASSWORD); using it anonymously"
  fi
}}
pipegen_login_failed() {{
  echo "pipegen: logging in to $pipegen_host failed" >&2
  return 1
}}
pipegen_exists() {{
  # Deliberately no failure: a registry that cannot be asked means "build it" (said below);
  # the push then says whether the registry takes the image.
  if pipegen_out="$({inspect} 2>&1)"; then
    return 0
  fi
  case "$pipegen_out" in
    *"manifest unknown"*|*"MANIFEST_UNKNOWN"*|*"name unknown"*|*"NAME_UNKNOWN"*|*"not found"*|*"NOT_FOUND"*) ;;
    *) echo "pipegen: could not ask the registry about $1, building it: $pipegen_out" >&2 ;;
  esac
  return 1
}}
pipegen_digest_of() {{
  case "$1" in
    -*) echo "pipegen: the base image $1 (a FROM of ${{PIPEGEN_DOCKERFILE:-the Dockerfile}}) is no image reference" >&2; return 1 ;;
    *@*) pipegen_digest="${{1##*@}}"; return 0 ;;
  esac
  pipegen_manifest="${{TMPDIR:-/tmp}}/pipegen-manifest-$$"
  # The tag computation splits at newlines only; the command splits at blanks.
  pipegen_ifs="${{IFS-unset}}"
  unset IFS
  if ! {inspect} > "$pipegen_manifest" 2> "$pipegen_manifest.err" || [ ! -s "$pipegen_manifest" ]; then
    echo "pipegen: cannot resolve the base image $1 (a FROM of ${{PIPEGEN_DOCKERFILE:-the Dockerfile}}) to hash its digest: $(cat "$pipegen_manifest.err")" >&2
    rm -f "$pipegen_manifest" "$pipegen_manifest.err"
    return 1
  fi
  if [ "$pipegen_ifs" != unset ]; then IFS="$pipegen_ifs"; fi
  pipegen_digest="$(sha256sum < "$pipegen_manifest")" || return 1
  pipegen_digest="sha256:${{pipegen_digest%% *}}"
  rm -f "$pipegen_manifest" "$pipegen_manifest.err"
}}
"#,
        host = own.host,
        user = own.user,
        password = own.password,
    );
    text.push_str(&unpushed(platform));
    if platform.builder == Builder::Buildah {
        // The buildah image is Fedora without skopeo and git; a builder image with them (and an
        // awk, which reads a Dockerfile's base images for a content tag and filters contexts
        // with a .dockerignore) skips this.
        let awk = if uses.ignore_filter || uses.content_tags {
            "  command -v awk > /dev/null 2>&1 || pipegen_missing=\"$pipegen_missing gawk\"\n"
        } else {
            ""
        };
        // skopeo asks the registry about content tags only.
        let skopeo = if uses.content_tags {
            "  command -v skopeo > /dev/null 2>&1 || pipegen_missing=\"$pipegen_missing skopeo\"\n"
        } else {
            ""
        };
        text.push_str(&format!(
            r#"pipegen_tools() {{
  pipegen_missing=
{skopeo}  command -v git > /dev/null 2>&1 || pipegen_missing="$pipegen_missing git-core"
{awk}  if [ -n "$pipegen_missing" ]; then
    echo "pipegen: installing$pipegen_missing"
    # shellcheck disable=SC2086 # one word per package
    dnf -y -q install $pipegen_missing > /dev/null || {{
      echo "pipegen: installing$pipegen_missing failed" >&2
      return 1
    }}
  fi
}}
"#
        ));
    }
    text
}

/// `pipegen_unpushed`: in a pipeline that does not push, point `pipegen_ref` where this job's
/// image goes instead of the registry (nothing when the pipeline pushes). GitLab: the scratch
/// path `PIPEGEN_SCRATCH` of the project's own registry, where the job token may push (also in
/// a fork), under the tag prefix a cleanup policy expires; GitHub: nowhere, the image stays a
/// local image under its registry name (a fork's pull request may push nowhere).
fn unpushed(platform: Platform) -> String {
    match platform.unpushed {
        Unpushed::Scratch => {
            let own = platform.own_registry;
            let login = match platform.builder {
                Builder::Buildah => "buildah login",
                Builder::Buildx => "docker login",
            };
            format!(
                r#"pipegen_unpushed() {{
  if [ "$pipegen_push" = true ]; then
    return 0
  fi
  # Without the project's registry, `$CI_REGISTRY_IMAGE/pipegen-scratch` starts with `/`.
  case "${{PIPEGEN_SCRATCH:-}}" in
    ''|/*)
      echo "pipegen: this pipeline does not push and has no scratch path for its images (PIPEGEN_SCRATCH='${{PIPEGEN_SCRATCH:-}}'): enable the project's container registry or set PIPEGEN_SCRATCH" >&2
      return 1
      ;;
  esac
  pipegen_ref="$PIPEGEN_SCRATCH/$PIPEGEN_IMAGE:{SCRATCH_TAG_PREFIX}$pipegen_tag"
  pipegen_scratch_host="${{PIPEGEN_SCRATCH%%/*}}"
  if [ -z "${{pipegen_scratch_login:-}}" ] && [ "$pipegen_scratch_host" = {host} ] && [ -n "${{{password}:-}}" ]; then
    echo "pipegen: logging in to $pipegen_scratch_host with the job's own credentials, for the scratch path"
    printf '%s\n' "${{{password}}}" | {login} --username "${{{user}:-}}" --password-stdin "$pipegen_scratch_host" || {{
      echo "pipegen: logging in to $pipegen_scratch_host failed" >&2
      return 1
    }}
    pipegen_scratch_login=yes
  fi
}}
"#,
                host = own.host,
                user = own.user,
                password = own.password,
            )
        }
        Unpushed::Local => r#"pipegen_unpushed() {
  :
}
"#
        .to_string(),
    }
}
