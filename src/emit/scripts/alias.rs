//! The alias step: `pipegen_aliases REF` points every alias tag of `PIPEGEN_ALIAS_TAGS` at the
//! manifest REF names, by digest (skopeo on GitLab, `docker buildx imagetools` on GitHub), never
//! by building again. Any job that publishes an image can run it once the image exists under
//! REF: a build job whether it built or skipped, a job that merges a manifest list.
//!
//! `PIPEGEN_ALIAS_TAGS` holds one alias a line: its template (the build's axis values already in
//! place, pipeline values as `${name}` placeholders; no white space, see
//! [`crate::alias_tags`]), then the words of its condition: `always`, `default-branch`,
//! `git-tag`, `branch PATTERN…` or `git-tag PATTERN…`. The pipeline values come from the
//! platform's variables (the lines of [`super::Platform::refs`]) and from git (the commit's
//! time), never from text pipegen wrote into the script.
//!
//! Every alias is rendered and checked against the tag grammar before any moves: an alias that
//! renders to something that is not a tag fails the job, and nothing is tagged. An alias whose
//! placeholders have no value in this pipeline (`${semver}` on a branch) is not set, and the job
//! says so. Pipelines that do not push (`PIPEGEN_PUSH` is not `true`) move nothing.

use super::{Builder, Platform};

/// The shell functions of the alias step, for `platform`.
pub fn functions(platform: Platform) -> String {
    let (inspect, copy) = match platform.builder {
        // skopeo does not read CONTAINERS_REGISTRIES_CONF by itself; pass it on when it is set.
        // --preserve-digests: the alias must name the very manifest, byte for byte.
        Builder::Buildah => (
            r#"skopeo ${CONTAINERS_REGISTRIES_CONF:+--registries-conf "$CONTAINERS_REGISTRIES_CONF"} inspect --raw "docker://$1""#,
            r#"skopeo ${CONTAINERS_REGISTRIES_CONF:+--registries-conf "$CONTAINERS_REGISTRIES_CONF"} copy --all --preserve-digests --quiet "docker://$1" "docker://$2""#,
        ),
        // imagetools copies an index or manifest list as it is (the runner has no skopeo).
        Builder::Buildx => {
            (r#"docker buildx imagetools inspect --raw "$1""#, r#"docker buildx imagetools create --tag "$2" "$1""#)
        }
    };
    SCRIPT
        .replace("@REFS@", platform.refs)
        .replace("@COMMIT@", platform.commit)
        .replace("@INSPECT@", inspect)
        .replace("@COPY@", copy)
}

const SCRIPT: &str = r#"# pipegen: the alias step. Its values come from PIPEGEN_ALIAS_TAGS and the pipeline's variables.
pipegen_sanitize() {
  # Every character a tag cannot hold (`/` of `feature/x`, `+` of build metadata) becomes `-`.
  pipegen_sanitized="$(printf '%s' "$1" | tr -c 'A-Za-z0-9_.-' '-')"
}
pipegen_semver() {
  pipegen_v_semver=
  pipegen_v_semver_major=
  pipegen_v_semver_minor=
  pipegen_v_semver_patch=
  pipegen_version="${1#v}"
  pipegen_core="${pipegen_version%%[-+]*}"
  pipegen_extra="${pipegen_version#"$pipegen_core"}"
  case "$pipegen_core" in
    *.*.*.*|*..*|.*|*.) return 0 ;;
    *.*.*) ;;
    *) return 0 ;;
  esac
  pipegen_major="${pipegen_core%%.*}"
  pipegen_rest="${pipegen_core#*.}"
  pipegen_minor="${pipegen_rest%%.*}"
  pipegen_patch="${pipegen_rest#*.}"
  for pipegen_number in "$pipegen_major" "$pipegen_minor" "$pipegen_patch"; do
    case "$pipegen_number" in
      ''|*[!0-9]*|0?*) return 0 ;;
    esac
  done
  case "$pipegen_extra" in
    '') ;;
    [-+]?*)
      case "${pipegen_extra#?}" in
        *[!0-9A-Za-z.+-]*) return 0 ;;
      esac
      ;;
    *) return 0 ;;
  esac
  pipegen_sanitize "$pipegen_version"
  pipegen_v_semver="$pipegen_sanitized"
  case "$pipegen_extra" in
    -*) ;;
    *)
      # A pre-release (`1.2.3-rc.1`) moves no `${semver.major}` alias.
      pipegen_v_semver_major="$pipegen_major"
      pipegen_v_semver_minor="$pipegen_minor"
      pipegen_v_semver_patch="$pipegen_patch"
      ;;
  esac
}
pipegen_alias_values() {
@REFS@
  pipegen_v_branch=
  pipegen_v_git_tag=
  if [ -n "$pipegen_ref_branch" ]; then
    pipegen_sanitize "$pipegen_ref_branch"
    pipegen_v_branch="$pipegen_sanitized"
  fi
  if [ -n "$pipegen_ref_tag" ]; then
    pipegen_sanitize "$pipegen_ref_tag"
    pipegen_v_git_tag="$pipegen_sanitized"
  fi
  pipegen_semver "$pipegen_ref_tag"
  pipegen_v_commit="${@COMMIT@:-}"
  if [ -z "$pipegen_v_commit" ]; then
    echo "pipegen: the commit SHA is not set (@COMMIT@)" >&2
    return 1
  fi
  pipegen_v_short_commit="$(printf '%.8s' "$pipegen_v_commit")"
  # The commit's time, so that every job of the pipeline (and every re-run) agrees.
  pipegen_v_timestamp="$(TZ=UTC git log -1 --date=format-local:%Y%m%d%H%M --format=%cd "$pipegen_v_commit")" || return 1
  pipegen_v_date="$(printf '%.8s' "$pipegen_v_timestamp")"
}
pipegen_alias_applies() {
  pipegen_when="$1"
  shift
  case "$pipegen_when" in
    always) return 0 ;;
    default-branch)
      [ -n "$pipegen_ref_branch" ] && [ "$pipegen_ref_branch" = "$pipegen_default_branch" ]
      return
      ;;
    branch) pipegen_subject="$pipegen_ref_branch" ;;
    git-tag)
      pipegen_subject="$pipegen_ref_tag"
      if [ "$#" -eq 0 ]; then
        [ -n "$pipegen_subject" ]
        return
      fi
      ;;
    *)
      echo "pipegen: '$pipegen_when' is not a condition of an alias tag" >&2
      return 2
      ;;
  esac
  [ -n "$pipegen_subject" ] || return 1
  for pipegen_pattern in "$@"; do
    # shellcheck disable=SC2254 # the model's shell pattern, matched, never run
    case "$pipegen_subject" in
      $pipegen_pattern) return 0 ;;
    esac
  done
  return 1
}
pipegen_alias_render() {
  pipegen_rest="$1"
  pipegen_rendered=
  # shellcheck disable=SC2016 # the literal `${` that opens a placeholder
  pipegen_open='${'
  pipegen_close='}'
  while :; do
    case "$pipegen_rest" in
      *"$pipegen_open"*) ;;
      *)
        pipegen_rendered="$pipegen_rendered$pipegen_rest"
        return 0
        ;;
    esac
    pipegen_rendered="$pipegen_rendered${pipegen_rest%%"$pipegen_open"*}"
    pipegen_rest="${pipegen_rest#*"$pipegen_open"}"
    pipegen_name="${pipegen_rest%%"$pipegen_close"*}"
    pipegen_rest="${pipegen_rest#*"$pipegen_close"}"
    case "$pipegen_name" in
      branch) pipegen_value="$pipegen_v_branch" ;;
      git_tag) pipegen_value="$pipegen_v_git_tag" ;;
      semver) pipegen_value="$pipegen_v_semver" ;;
      semver.major) pipegen_value="$pipegen_v_semver_major" ;;
      semver.minor) pipegen_value="$pipegen_v_semver_minor" ;;
      semver.patch) pipegen_value="$pipegen_v_semver_patch" ;;
      date) pipegen_value="$pipegen_v_date" ;;
      timestamp) pipegen_value="$pipegen_v_timestamp" ;;
      commit) pipegen_value="$pipegen_v_commit" ;;
      short_commit) pipegen_value="$pipegen_v_short_commit" ;;
      *)
        echo "pipegen: the alias tag '$1' names \${$pipegen_name}, which is no pipeline value" >&2
        return 2
        ;;
    esac
    if [ -z "$pipegen_value" ]; then
      pipegen_unset="$pipegen_name"
      return 1
    fi
    pipegen_rendered="$pipegen_rendered$pipegen_value"
  done
}
pipegen_valid_tag() {
  case "$1" in
    ''|[!A-Za-z0-9_]*|*[!A-Za-z0-9_.-]*) return 1 ;;
  esac
  [ "${#1}" -le 128 ]
}
pipegen_manifest_digest() {
  @INSPECT@ > "$pipegen_manifest" 2> "$pipegen_manifest.err" || return 1
  pipegen_sum="$(sha256sum < "$pipegen_manifest")" || return 1
  pipegen_found_digest="sha256:${pipegen_sum%% *}"
}
pipegen_copy_manifest() {
  @COPY@
}
pipegen_aliases() {
  if [ -z "${PIPEGEN_ALIAS_TAGS:-}" ]; then
    return 0
  fi
  if [ "${PIPEGEN_PUSH:-true}" != true ]; then
    echo "pipegen: this pipeline does not push (PIPEGEN_PUSH=${PIPEGEN_PUSH:-}): no alias tag moves"
    return 0
  fi
  pipegen_source="$1"
  pipegen_repository="${pipegen_source%:*}"
  pipegen_alias_values || return 1
  pipegen_nl='
'
  pipegen_moves=
  pipegen_invalid=
  set -f
  IFS="$pipegen_nl"
  for pipegen_line in $PIPEGEN_ALIAS_TAGS; do
    IFS=' '
    # shellcheck disable=SC2086 # the template, then the words of its condition
    set -- $pipegen_line
    IFS="$pipegen_nl"
    pipegen_template="$1"
    shift
    pipegen_condition="${pipegen_line#"$pipegen_template" }"
    pipegen_status=0
    pipegen_alias_applies "$@" || pipegen_status=$?
    if [ "$pipegen_status" -eq 2 ]; then
      unset IFS
      set +f
      return 1
    fi
    if [ "$pipegen_status" -ne 0 ]; then
      echo "pipegen: alias tag $pipegen_template is not set in this pipeline (when: $pipegen_condition)"
      continue
    fi
    pipegen_status=0
    pipegen_alias_render "$pipegen_template" || pipegen_status=$?
    if [ "$pipegen_status" -eq 2 ]; then
      unset IFS
      set +f
      return 1
    fi
    if [ "$pipegen_status" -ne 0 ]; then
      echo "pipegen: alias tag $pipegen_template is not set: \${$pipegen_unset} has no value in this pipeline"
      continue
    fi
    if ! pipegen_valid_tag "$pipegen_rendered"; then
      echo "pipegen: alias tag $pipegen_template is '$pipegen_rendered' in this pipeline, which is not a tag (letters, digits, _, . and -, at most 128, not starting with . or -)" >&2
      pipegen_invalid=true
      continue
    fi
    pipegen_moves="$pipegen_moves$pipegen_rendered$pipegen_nl"
  done
  unset IFS
  set +f
  if [ -n "$pipegen_invalid" ]; then
    echo "pipegen: no alias tag of $pipegen_repository was moved" >&2
    return 1
  fi
  if [ -z "$pipegen_moves" ]; then
    return 0
  fi
  pipegen_manifest="${TMPDIR:-/tmp}/pipegen-manifest-$$"
  if ! pipegen_manifest_digest "$pipegen_source"; then
    echo "pipegen: cannot read the manifest of $pipegen_source: $(cat "$pipegen_manifest.err")" >&2
    return 1
  fi
  pipegen_digest="$pipegen_found_digest"
  pipegen_list=false
  if grep -q '"manifests"' "$pipegen_manifest"; then
    pipegen_list=true
  fi
  set -f
  IFS="$pipegen_nl"
  for pipegen_alias in $pipegen_moves; do
    unset IFS
    pipegen_target="$pipegen_repository:$pipegen_alias"
    pipegen_was="not there"
    if pipegen_manifest_digest "$pipegen_target"; then
      pipegen_was="$pipegen_found_digest"
    fi
    if [ "$pipegen_was" = "$pipegen_digest" ]; then
      echo "pipegen: alias $pipegen_target already points at $pipegen_digest"
      continue
    fi
    if ! pipegen_out="$(pipegen_copy_manifest "$pipegen_repository@$pipegen_digest" "$pipegen_target" 2>&1)"; then
      echo "pipegen: could not point $pipegen_target at $pipegen_digest: $pipegen_out" >&2
      set +f
      return 1
    fi
    if ! pipegen_manifest_digest "$pipegen_target"; then
      echo "pipegen: $pipegen_target is not in the registry after the copy" >&2
      set +f
      return 1
    fi
    if [ "$pipegen_found_digest" = "$pipegen_digest" ]; then
      echo "pipegen: alias $pipegen_target -> $pipegen_digest (was $pipegen_was)"
    elif [ "$pipegen_list" = false ]; then
      # docker buildx imagetools puts a single image in a list of one; the image is the same.
      echo "pipegen: alias $pipegen_target -> $pipegen_found_digest, a list holding $pipegen_digest (was $pipegen_was)"
    else
      echo "pipegen: $pipegen_target points at $pipegen_found_digest, not at $pipegen_digest" >&2
      set +f
      return 1
    fi
  done
  set +f
  rm -f "$pipegen_manifest" "$pipegen_manifest.err"
}
"#;
