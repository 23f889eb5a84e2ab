//! Images built for several platforms: each platform's job pushes its image under a temporary
//! tag and hands its digest on; the build's own job merges the digests into a manifest list
//! under the image's tag. The registry holds an image only when that list holds every platform.
//!
//! Variables: `PIPEGEN_SPLIT` (`platform` or `merge`), `PIPEGEN_PLATFORMS` (one a line),
//! `PIPEGEN_PLATFORM` and `PIPEGEN_DIGEST_VARIABLE` (a platform's job), `PIPEGEN_DIGESTS`
//! (`<platform>=<variable>` one a line, the merge job, whose needs bring those variables).

use super::{Builder, Platform, Publish};

/// `pipegen_has_platforms REF`: whether the manifest `pipegen_exists` just read lists every
/// platform of `PIPEGEN_PLATFORMS`; `pipegen_publish_digest
/// DIGEST`: hand a platform's digest to the merge job; `pipegen_merge`: push the manifest list.
pub fn functions(platform: Platform) -> String {
    let publish = match platform.publish {
        Publish::Dotenv(file) => format!(r#"  printf '%s=%s\n' "$PIPEGEN_DIGEST_VARIABLE" "$1" > {file}"#),
        Publish::GithubOutput => r#"  printf 'digest=%s\n' "$1" >> "$GITHUB_OUTPUT""#.to_string(),
    };
    let merge = match platform.builder {
        Builder::Buildah => {
            r#"  pipegen_list="pipegen-list-$$"
  buildah manifest create "$pipegen_list" > /dev/null || { pipegen_failed "making the manifest list of"; return 1; }
  for pipegen_source in "$@"; do
    buildah manifest add "$pipegen_list" "docker://$pipegen_source" > /dev/null || { pipegen_failed "adding $pipegen_source to the manifest list of"; return 1; }
  done
  buildah manifest push --all "$pipegen_list" "docker://$pipegen_ref" || { pipegen_failed "pushing the manifest list"; return 1; }
  # Best effort: the list is pushed; the local copy goes with the job's container.
  buildah manifest rm "$pipegen_list" > /dev/null || :"#
        }
        Builder::Buildx => {
            r#"  docker buildx imagetools create --tag "$pipegen_ref" "$@" || { pipegen_failed "pushing the manifest list"; return 1; }"#
        }
    };
    format!(
        r#"pipegen_has_platforms() {{
  # One line per platform the list names (os/architecture[/variant]), from the JSON alone.
  pipegen_listed="$(printf '%s' "$pipegen_out" | tr -d ' \t\r\n' | tr '{{' '\n' | tr '}}' '\n' | tr ',' '\n' | awk -F'"' '
    $2 == "platform" {{ inside = 1; os = ""; arch = ""; variant = ""; next }}
    inside && $2 == "os" {{ os = $4; next }}
    inside && $2 == "architecture" {{ arch = $4; next }}
    inside && $2 == "variant" {{ variant = $4; next }}
    inside && $0 == "" {{ print os "/" arch (variant == "" ? "" : "/" variant); inside = 0 }}
  ')"
  pipegen_nl='
'
  for pipegen_wanted in $(printf '%s' "${{PIPEGEN_PLATFORMS:-}}" | tr '\n' ' '); do
    case "$pipegen_nl$pipegen_listed$pipegen_nl" in
      *"$pipegen_nl$pipegen_wanted$pipegen_nl"*|*"$pipegen_nl$pipegen_wanted/"*) ;;
      *)
        echo "pipegen: $1 does not list $pipegen_wanted"
        return 1
        ;;
    esac
  done
}}
pipegen_publish_digest() {{
  echo "pipegen: $PIPEGEN_PLATFORM: $1"
{publish}
}}
pipegen_merge() {{
  set --
  for pipegen_entry in $(printf '%s' "$PIPEGEN_DIGESTS" | tr '\n' ' '); do
    pipegen_variable="${{pipegen_entry#*=}}"
    case "$pipegen_variable" in
      ''|*[!A-Za-z0-9_]*) echo "pipegen: '$pipegen_entry' is not a platform digest" >&2; return 1 ;;
    esac
    pipegen_value=
    eval "pipegen_value=\${{$pipegen_variable-}}"
    case "$pipegen_value" in
      sha256:*) ;;
      *)
        echo "pipegen: no digest from the ${{pipegen_entry%%=*}} job ($pipegen_variable='$pipegen_value'); run the pipeline again" >&2
        return 1
        ;;
    esac
    # The platforms' images are in the repository of the list: the registry, or the scratch path.
    set -- "$@" "${{pipegen_ref%:*}}@$pipegen_value"
  done
  echo "pipegen: merging $# platforms into $pipegen_ref"
{merge}
}}
"#
    )
}
