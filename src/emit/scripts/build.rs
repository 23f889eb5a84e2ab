//! Building and pushing one image with the registry layer cache, and the "cache dance" that
//! moves a dependency cache in and out of a `RUN --mount=type=cache` directory.
//!
//! Besides the tag script's variables, the build reads `PIPEGEN_CACHES` (per image cache two
//! lines: its name, then the path the CI cache keeps it at).

use super::{Builder, Platform, Unpushed, Uses};
use crate::plan::Policy;

/// `pipegen_build_step`: build the image `pipegen_tag` names and push it; `pipegen_build_job`:
/// the whole job (tag, then build when the registry lacks it).
pub fn functions(platform: Platform, policy: &Policy, uses: &Uses) -> String {
    let helper = format!("${{PIPEGEN_CACHE_HELPER_IMAGE:-{}}}", policy.cache_helper_image);
    let cache_repo = format!("$PIPEGEN_REGISTRY/$PIPEGEN_IMAGE{}", policy.layer_cache_suffix);
    let setup = match platform.builder {
        Builder::Buildah => "",
        // BuildKit in a container: the registry layer cache needs it, and each job starts fresh.
        // A pipeline that does not push keeps the docker driver instead: it builds into the
        // local image store, where a child build finds its parent's local image.
        // A pipeline that does not push loads its parents' local images, which the workflow
        // restored into PIPEGEN_LOCAL_IMAGES (a parent that skipped is in the registry).
        Builder::Buildx => {
            r#"  if [ "$pipegen_push" = true ]; then
    if ! docker buildx create --use --driver docker-container > /dev/null || ! docker buildx inspect --bootstrap > /dev/null; then
      pipegen_failed "starting BuildKit to build"
      return 1
    fi
  else
    for pipegen_file in "${PIPEGEN_LOCAL_IMAGES:?}"/*.tar; do
      if [ -f "$pipegen_file" ]; then
        echo "pipegen: loading the local image $(basename "$pipegen_file" .tar)"
        docker load --quiet --input "$pipegen_file" || {
          echo "pipegen: loading $pipegen_file failed" >&2
          return 1
        }
      fi
    done
  fi
"#
        }
    };
    // BuildKit's registry cache is one tag per build (and platform: two platforms' caches would
    // overwrite each other); buildah's is the repository, keyed by each layer's own inputs.
    let (cache_tag, platform_cache_tag) = match platform.builder {
        Builder::Buildah => ("", ""),
        Builder::Buildx => {
            ("  pipegen_cache_tag=\"$PIPEGEN_KEY\"\n", "    pipegen_cache_tag=\"$PIPEGEN_KEY-$pipegen_slug\"\n")
        }
    };
    // Each platform of a split build saves its own image (`<KEY>=<tag>@<os>-<arch>`): a child's
    // platform job loads its parent's image of the same platform, as Docker looks in the
    // registry (where this run pushed nothing) for a local image of another platform.
    let platform_save = if uses.split {
        r#"    if [ "${PIPEGEN_SPLIT:-}" = platform ]; then
      pipegen_saved="$pipegen_saved@$pipegen_slug"
    fi
"#
    } else {
        ""
    };
    let (build, load, save) = match platform.builder {
        Builder::Buildah => (
            // A pipeline that does not push reads the layer cache but writes nothing to the
            // registry; its image goes to the scratch path (`pipegen_ref`).
            format!(
                r#"  pipegen_cache_to=
  if [ "$pipegen_push" = true ]; then
    pipegen_cache_to="{cache_repo}"
  fi
  buildah build --layers --cache-from "{cache_repo}" ${{pipegen_cache_to:+--cache-to "$pipegen_cache_to"}} --file "$PIPEGEN_DOCKERFILE" "$@" --tag "$pipegen_ref" "$PIPEGEN_CONTEXT" || {{ pipegen_failed building; return 1; }}
  buildah push --digestfile "$pipegen_dir/digest" "$pipegen_ref" || {{ pipegen_failed pushing; return 1; }}
  pipegen_digest="$(cat "$pipegen_dir/digest")" || pipegen_digest=
  [ -n "$pipegen_digest" ] || {{ pipegen_failed "reading the digest of"; return 1; }}"#
            ),
            r#"buildah build --quiet --no-cache --layers=false --file "$pipegen_dir/load" "$2" > /dev/null"#,
            r#"buildah build --quiet --no-cache --layers=false --output "type=local,dest=$2" --file "$pipegen_dir/save" "$pipegen_dir/empty" > /dev/null"#,
        ),
        Builder::Buildx => (
            // A pipeline that does not push loads the image into the local store and saves it
            // for the jobs that need it (`$PIPEGEN_LOCAL_IMAGES/<KEY>=<tag>.tar`, which the workflow
            // hands on through the cache of this run).
            format!(
                r#"  if [ "$pipegen_push" = true ]; then
    docker buildx build --file "$PIPEGEN_DOCKERFILE" "$@" --tag "$pipegen_ref" --cache-from "type=registry,ref={cache_repo}:$pipegen_cache_tag" --cache-to "type=registry,ref={cache_repo}:$pipegen_cache_tag,mode=max,ignore-error=true" --metadata-file "$pipegen_dir/metadata" --push "$PIPEGEN_CONTEXT" || {{ pipegen_failed "building and pushing"; return 1; }}
    pipegen_digest="$(sed -n 's/.*"containerimage.digest": *"\(sha256:[0-9a-f]*\)".*/\1/p' "$pipegen_dir/metadata")" || pipegen_digest=
    [ -n "$pipegen_digest" ] || {{ pipegen_failed "reading the digest of"; return 1; }}
  else
    docker buildx build --file "$PIPEGEN_DOCKERFILE" "$@" --tag "$pipegen_ref" --load "$PIPEGEN_CONTEXT" || {{ pipegen_failed building; return 1; }}
    pipegen_saved="$PIPEGEN_KEY=$pipegen_tag"
{platform_save}    echo "pipegen: saving the local image $pipegen_ref ($pipegen_saved) for the jobs that need it"
    if ! mkdir -p "$PIPEGEN_LOCAL_IMAGES" || ! docker save --output "$PIPEGEN_LOCAL_IMAGES/$pipegen_saved.tar" "$pipegen_ref"; then
      pipegen_failed saving
      return 1
    fi
  fi"#
            ),
            r#"docker buildx build --no-cache --output type=cacheonly --file "$pipegen_dir/load" "$2""#,
            r#"docker buildx build --no-cache --output "type=local,dest=$2" --file "$pipegen_dir/save" "$pipegen_dir/empty""#,
        ),
    };
    // A run that does not push: GitLab merges the platforms in the scratch path; GitHub has
    // no list to make of local images: each platform job saved its own.
    let merge_call = match platform.unpushed {
        Unpushed::Scratch => "      pipegen_merge || return 1",
        Unpushed::Local => {
            r#"      if [ "$pipegen_push" = true ]; then
        pipegen_merge || return 1
      else
        echo "pipegen: this run does not push: child builds get the local image of $PIPEGEN_IMAGE of their platform, jobs and services that of linux/amd64 (else of its first platform)"
      fi"#
        }
    };
    let mut text = format!(
        r#"pipegen_failed() {{
  echo "pipegen: $1 $pipegen_ref failed" >&2
}}
pipegen_cache_name() {{
  case "$1" in
    ''|*[!a-z0-9-]*) echo "pipegen: '$1' is not a cache name" >&2; return 1 ;;
  esac
}}
pipegen_cache_load() {{
  pipegen_cache_name "$1" || return 1
  echo "pipegen: loading cache $1 from $2 into the build"
  if ! mkdir -p "$2" ||
    ! printf 'FROM %s\nRUN --mount=type=cache,id=%s,target=/pipegen-cache --mount=type=bind,source=.,target=/pipegen-restored cp -a /pipegen-restored/. /pipegen-cache/\n' "{helper}" "$1" > "$pipegen_dir/load" ||
    ! {load}; then
    echo "pipegen: loading cache $1 failed" >&2
    return 1
  fi
}}
pipegen_cache_save() {{
  pipegen_cache_name "$1" || return 1
  echo "pipegen: saving cache $1 to $2"
  # Caches such as Go's module cache hold read-only directories, which rm cannot empty. The old
  # copy must go: the builder would write the new one over what is left of it.
  if [ -d "$2" ]; then
    chmod -R u+w "$2"
  fi
  if ! rm -rf "$2" ||
    ! printf 'FROM %s AS pipegen\nRUN --mount=type=cache,id=%s,target=/pipegen-cache mkdir -p /pipegen-out && cp -a /pipegen-cache/. /pipegen-out/\nFROM scratch\nCOPY --from=pipegen /pipegen-out/ /\n' "{helper}" "$1" > "$pipegen_dir/save" ||
    ! {save}; then
    echo "pipegen: saving cache $1 failed" >&2
    return 1
  fi
}}
pipegen_caches() {{
  set -f
  IFS='
'
  # shellcheck disable=SC2086 # two lines per cache: its name and its path
  set -- ${{PIPEGEN_CACHES:-}}
  unset IFS
  set +f
  while [ "$#" -ge 2 ]; do
    case "$pipegen_cache_action" in
      load) pipegen_cache_load "$1" "$2" || return 1 ;;
      *) pipegen_cache_save "$1" "$2" || return 1 ;;
    esac
    shift 2
  done
}}
pipegen_parent_reference() {{
  pipegen_wanted="${{1%%.*}}"
  for pipegen_entry in ${{PIPEGEN_PARENTS:-}}; do
    pipegen_parent "$pipegen_entry" || return 1
    if [ "$pipegen_parent_image" = "$pipegen_wanted" ]; then
      case "$1" in
        *.tag) pipegen_found="$pipegen_value" ;;
        *.*) echo "pipegen: \${{parent:$1}} is neither a reference nor a tag" >&2; return 1 ;;
        *) pipegen_found="$pipegen_parent_ref" ;;
      esac
      return 0
    fi
  done
  echo "pipegen: $pipegen_wanted is not a parent of $PIPEGEN_IMAGE" >&2
  return 1
}}
pipegen_expand() {{
  pipegen_rest="$1"
  pipegen_expanded=
  pipegen_dollar='$'
  pipegen_close='}}'
  while :; do
    case "$pipegen_rest" in
      *"$pipegen_dollar"*) ;;
      *) pipegen_expanded="$pipegen_expanded$pipegen_rest"; return 0 ;;
    esac
    pipegen_expanded="$pipegen_expanded${{pipegen_rest%%"$pipegen_dollar"*}}"
    pipegen_rest="${{pipegen_rest#*"$pipegen_dollar"}}"
    case "$pipegen_rest" in
      "$pipegen_dollar"*)
        pipegen_expanded="$pipegen_expanded$pipegen_dollar"
        pipegen_rest="${{pipegen_rest#?}}"
        ;;
      '{{parent:'*"$pipegen_close"*)
        pipegen_reference="${{pipegen_rest#????????}}"
        pipegen_rest="${{pipegen_reference#*"$pipegen_close"}}"
        pipegen_parent_reference "${{pipegen_reference%%"$pipegen_close"*}}" || return 1
        pipegen_expanded="$pipegen_expanded$pipegen_found"
        ;;
      *)
        echo "pipegen: cannot read the build argument template '$1'" >&2
        return 1
        ;;
    esac
  done
}}
pipegen_build_job() {{
  pipegen_tag_step || return 1
  if [ "${{PIPEGEN_SPLIT:-}}" = merge ]; then
    if [ "$pipegen_build" = true ]; then
{merge_call}
    fi
    pipegen_publish
    return
  fi
  if [ "$pipegen_build" = true ]; then
    pipegen_build_step || return 1
  fi
  # Published once the image exists: a job that fails hands nothing on.
  if [ "${{PIPEGEN_SPLIT:-}}" = platform ]; then
    pipegen_publish_digest "${{pipegen_digest:-skipped}}" || return 1
  fi
  pipegen_publish
}}
{merge}"#,
        // The platform and merge functions only where some build is split by platform.
        merge = if uses.split { super::merge::functions(platform) } else { String::new() },
    );
    // A platform's temporary tag is for its merge by digest in the registry; GitHub's local
    // images keep the tag, under which the jobs that load them look.
    let platform_ref = match platform.unpushed {
        Unpushed::Scratch => "    pipegen_ref=\"$pipegen_ref{infix}$pipegen_slug\"\n",
        Unpushed::Local => {
            "    if [ \"$pipegen_push\" = true ]; then\n      pipegen_ref=\"$pipegen_ref{infix}$pipegen_slug\"\n    fi\n"
        }
    }
    .replace("{infix}", crate::plan::registry_limits::PLATFORM_TAG_INFIX);
    text.push_str(&build_step(setup, &build, uses, cache_tag, &platform_ref, platform_cache_tag));
    text
}

/// `pipegen_build_step`, with only the parts `uses` names.
fn build_step(
    setup: &str,
    build: &str,
    uses: &Uses,
    cache_tag: &str,
    platform_ref: &str,
    platform_cache_tag: &str,
) -> String {
    let mut text = format!(
        r#"pipegen_build_step() {{
  # `pipegen_tag_step` chose `pipegen_ref`: the registry, or where a pipeline that does not push
  # keeps the image.
{cache_tag}  if [ "${{PIPEGEN_SPLIT:-}}" = platform ]; then
    # One platform of a manifest list: a temporary tag, merged by digest.
    pipegen_slug="$(printf '%s' "$PIPEGEN_PLATFORM" | tr / -)"
{platform_ref}{platform_cache_tag}  fi
{setup}  pipegen_dir="${{TMPDIR:-/tmp}}/pipegen-build-$$"
  mkdir -p "$pipegen_dir/empty" || return 1
"#
    );
    if uses.caches {
        text.push_str(
            r#"  pipegen_cache_action=load
  pipegen_caches || return 1
"#,
        );
    }
    text.push_str("  set --\n");
    if uses.args || uses.parent_args || uses.parents {
        text.push_str("  set -f\n  IFS='\n'\n");
        if uses.args {
            text.push_str(
                r#"  for pipegen_name in ${PIPEGEN_ARGS:-}; do
    pipegen_arg_value "$pipegen_name" || return 1
    set -- "$@" --build-arg "$pipegen_name=$pipegen_value"
  done
"#,
            );
        }
        if uses.parent_args {
            text.push_str(
                r#"  for pipegen_name in ${PIPEGEN_PARENT_ARGS:-}; do
    pipegen_arg_value "$pipegen_name" || return 1
    pipegen_expand "$pipegen_value" || return 1
    set -- "$@" --build-arg "$pipegen_name=$pipegen_expanded"
  done
"#,
            );
        }
        if uses.parents {
            text.push_str(
                r#"  for pipegen_entry in ${PIPEGEN_PARENTS:-}; do
    pipegen_parent "$pipegen_entry" || return 1
    set -- "$@" --build-arg "$pipegen_arg=$pipegen_parent_ref"
  done
"#,
            );
        }
        text.push_str("  unset IFS\n  set +f\n");
    }
    if uses.target {
        text.push_str(
            r#"  if [ -n "${PIPEGEN_TARGET:-}" ]; then
    set -- "$@" --target "$PIPEGEN_TARGET"
  fi
"#,
        );
    }
    text.push_str(
        r#"  if [ -n "${PIPEGEN_PLATFORM:-}" ]; then
    set -- "$@" --platform "$PIPEGEN_PLATFORM"
  fi
"#,
    );
    text.push_str(&format!(
        r#"  echo "pipegen: building $pipegen_ref"
  pipegen_digest=
{build}
"#
    ));
    if uses.caches {
        text.push_str(
            r#"  pipegen_cache_action=save
  pipegen_caches || return 1
"#,
        );
    }
    // Best effort: the image is built and pushed, and the job's container goes away anyway.
    text.push_str("  rm -rf \"$pipegen_dir\" || :\n");
    text.push_str("}\n");
    text
}
