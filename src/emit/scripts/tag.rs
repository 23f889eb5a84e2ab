//! The tag script: the content-tag recipe ([`crate::plan::recipe`]) written from the build job's
//! own variables, hashed with `sha256sum`. The same variables feed the build, so an image is built
//! with exactly what its tag hashed.
//!
//! The job's variables: `PIPEGEN_IMAGE`, `PIPEGEN_KEY` (default: the image's name in upper case,
//! `_` for `-`), `PIPEGEN_CONTEXT`, `PIPEGEN_DOCKERFILE` (default
//! `<context>/Dockerfile`),
//! `PIPEGEN_INPUTS` (plain inputs, one a line), `PIPEGEN_GLOBS` (per glob input two lines: its
//! literal directory, `.` for the root, then the rest of the pattern), `PIPEGEN_TARGET`,
//! `PIPEGEN_ARGS` (argument names, one a line, sorted) with `PIPEGEN_ARG_<NAME>` each,
//! `PIPEGEN_PARENTS` (`<ARG>=<image>=<KEY>`, one a line, sorted by argument) with the parents'
//! `PIPEGEN_TAG_<KEY>` from their build jobs, and for commit tags `PIPEGEN_TAG_MODE=commit` and
//! `PIPEGEN_TAG_SUFFIX`.
//!
//! Cost: one `git cat-file --batch-check` for every path (O(depth) each), one `git diff-tree` per
//! glob (O(the subtree under its directory)), one `sha256sum`.

use super::{Platform, Publish, Unpushed};
use crate::dockerignore::{Builder as IgnoreRules, awk};
use crate::plan::push::SCRATCH_TAG_PREFIX;
use crate::plan::{CONTENT_TAG_HEADER, CONTENT_TAG_LEN};

/// `pipegen_tag_of` sets `pipegen_tag`; `pipegen_tag_step` logs in, computes the tag, asks the
/// registry, says what it decided, sets `pipegen_build` (`true` or `false`) and publishes the
/// tag for the jobs that need this one.
pub fn functions(platform: Platform) -> String {
    // sha256sum prints 64 hex digits: drop the ones after the tag.
    let drop = "?".repeat(64 - CONTENT_TAG_LEN);
    let rules = platform.builder.ignore_rules();
    let (candidates, choose, count) = ignore_candidates(rules);
    // GitLab hands on each parent's full reference (a pipeline that does not push may keep it
    // in the registry or in the scratch path); GitHub its tag, in the run's registry, under
    // whose name a run that does not push keeps its local images.
    let parent_lookup = match platform.publish {
        Publish::Dotenv(_) => {
            r#"  eval "pipegen_parent_ref=\${PIPEGEN_REF_$pipegen_key-}"
  if [ -z "$pipegen_parent_ref" ]; then
    echo "pipegen: the reference of $pipegen_parent_image (PIPEGEN_REF_$pipegen_key) did not come from its build job" >&2
    return 1
  fi"#
        }
        // `PIPEGEN_PARENT_<n>` is `<KEY>=<tag>`: the workflow's restore steps name the local
        // image of a parent by it, whatever the job.
        Publish::GithubOutput => {
            r#"  pipegen_n=1
  pipegen_value=
  while eval "pipegen_slot=\${PIPEGEN_PARENT_$pipegen_n-}" && [ -n "$pipegen_slot" ]; do
    case "$pipegen_slot" in
      "$pipegen_key="*) pipegen_value="${pipegen_slot#*=}"; break ;;
    esac
    pipegen_n=$((pipegen_n + 1))
  done
  if [ -z "$pipegen_value" ]; then
    echo "pipegen: the tag of $pipegen_parent_image (PIPEGEN_PARENT_<n>=$pipegen_key=<tag>) did not come from its build job" >&2
    return 1
  fi
  pipegen_parent_ref="$PIPEGEN_REGISTRY/$pipegen_parent_image:$pipegen_value""#
        }
    };
    let unpushed_lookup = match platform.unpushed {
        Unpushed::Scratch => {
            r#"    if pipegen_exists "$pipegen_ref"; then
      echo "pipegen: $pipegen_ref is already in the scratch path; skipping the build"
      pipegen_build=false
    else
      echo "pipegen: building it into the scratch path: $pipegen_ref"
      pipegen_build=true
    fi
"#
        }
        Unpushed::Local => {
            r#"    echo "pipegen: building it as a local image for the jobs that need it: $pipegen_ref"
    pipegen_build=true
"#
        }
    };
    let publish = match platform.publish {
        // The full reference: in a pipeline that does not push, an image is in the registry
        // (unchanged, reused) or in the scratch path (built here), and only this job knows which.
        Publish::Dotenv(file) => format!(r#"  printf 'PIPEGEN_REF_%s=%s\n' "$PIPEGEN_KEY" "$pipegen_ref" > {file}"#),
        Publish::GithubOutput => {
            r#"  printf 'tag=%s\nbuild=%s\nkey=%s\n' "$pipegen_tag" "$pipegen_build" "$PIPEGEN_KEY" >> "$GITHUB_OUTPUT""#.to_string()
        }
    };
    format!(
        r#"pipegen_object() {{
  case "$1" in
    .) pipegen_name="$pipegen_commit:" ;;
    *) pipegen_name="$pipegen_commit:$1" ;;
  esac
}}
pipegen_add() {{
  pipegen_object "$1"
  pipegen_names="${{pipegen_names:+$pipegen_names$pipegen_nl}}$pipegen_name"
}}
pipegen_line() {{
  case "$3" in
    *' missing') printf '%s %s none\n' "$1" "$2" ;;
    *) printf '%s %s %s\n' "$1" "$2" "$3" ;;
  esac
}}
pipegen_arg_value() {{
  case "$1" in
    ''|*[!A-Za-z0-9_]*) echo "pipegen: '$1' is not a build argument name" >&2; return 1 ;;
  esac
  eval "pipegen_value=\${{PIPEGEN_ARG_$1-}}"
}}
pipegen_parent() {{
  pipegen_arg="${{1%%=*}}"
  pipegen_key="${{1##*=}}"
  pipegen_parent_image="${{1#*=}}"
  pipegen_parent_image="${{pipegen_parent_image%=*}}"
  case "$pipegen_key" in
    ''|*[!A-Za-z0-9_]*) echo "pipegen: '$1' is not a parent" >&2; return 1 ;;
  esac
{parent_lookup}
  # Its tag, as the recipe hashes it: the same whether the parent went to the registry or, in
  # a pipeline that does not push, to the scratch path (whose tags carry a prefix).
  pipegen_value="${{pipegen_parent_ref##*:}}"
  pipegen_value="${{pipegen_value#{scratch}}}"
}}
pipegen_join() {{
  pipegen_joined="$1"
  while :; do
    case "$pipegen_joined" in
      */) pipegen_joined="${{pipegen_joined%/}}" ;;
      *) break ;;
    esac
  done
  case "$pipegen_joined" in
    .|'') pipegen_joined="$2" ;;
    *) pipegen_joined="$pipegen_joined/$2" ;;
  esac
}}
pipegen_sent() {{
  pipegen_ignore_file="${{TMPDIR:-/tmp}}/pipegen-ignore-$$"
  git cat-file blob "$1" > "$pipegen_ignore_file" || return 1
  pipegen_object "$PIPEGEN_CONTEXT"
  git -c core.quotePath=true ls-tree -r "$pipegen_name" > "$pipegen_ignore_file.list" || return 1
  PIPEGEN_IGNORE_FILE="$pipegen_ignore_file" PIPEGEN_IGNORE_NAME="$2" PIPEGEN_CONTEXT=. {filter} < "$pipegen_ignore_file.list" || return 1
  rm -f "$pipegen_ignore_file" "$pipegen_ignore_file.list"
}}
pipegen_tag_of() {{
  pipegen_commit="${{{commit}:-}}"
  if [ -z "$pipegen_commit" ]; then
    echo "pipegen: the commit SHA is not set ({commit})" >&2
    return 1
  fi
  if [ -z "${{PIPEGEN_DOCKERFILE:-}}" ]; then
    case "$PIPEGEN_CONTEXT" in
      .) PIPEGEN_DOCKERFILE=Dockerfile ;;
      *) PIPEGEN_DOCKERFILE="$PIPEGEN_CONTEXT/Dockerfile" ;;
    esac
  fi
  if [ "${{PIPEGEN_TAG_MODE:-content}}" = commit ]; then
    pipegen_tag="$pipegen_commit${{PIPEGEN_TAG_SUFFIX:+-$PIPEGEN_TAG_SUFFIX}}"
    return 0
  fi
  # Byte counts, as the recipe hashes them; lists are one item a line, never globbed.
  LC_ALL=C
  set -f
  pipegen_nl='
'
  IFS="$pipegen_nl"
  pipegen_names=
  pipegen_add "$PIPEGEN_CONTEXT"
  pipegen_add "$PIPEGEN_DOCKERFILE"
{candidates}  for pipegen_path in ${{PIPEGEN_INPUTS:-}}; do
    pipegen_add "$pipegen_path"
  done
  pipegen_globs="${{PIPEGEN_GLOBS:-}}"
  while [ -n "$pipegen_globs" ]; do
    pipegen_add "${{pipegen_globs%%"$pipegen_nl"*}}"
    case "$pipegen_globs" in
      *"$pipegen_nl"*"$pipegen_nl"*) pipegen_globs="${{pipegen_globs#*"$pipegen_nl"*"$pipegen_nl"}}" ;;
      *) pipegen_globs= ;;
    esac
  done
  pipegen_ids="$(git cat-file --batch-check='%(objecttype) %(objectname)' <<PIPEGEN_NAMES
$pipegen_names
PIPEGEN_NAMES
)" || return 1
  # shellcheck disable=SC2086 # one object a line
  set -- $pipegen_ids
  pipegen_recipe="${{TMPDIR:-/tmp}}/pipegen-recipe-$$"
  # The ignore file the builder reads, when the context is a directory: the first candidate
  # that is a file.
  pipegen_ignore=
  case "$1" in
    'tree '*)
{choose}      ;;
  esac
  printf '%s\n' '{header}' "image $PIPEGEN_IMAGE" > "$pipegen_recipe"
  if [ -n "$pipegen_ignore" ]; then
    printf 'context %s sent\n' "$PIPEGEN_CONTEXT" >> "$pipegen_recipe"
    pipegen_sent "$pipegen_ignore" "$pipegen_ignore_path" >> "$pipegen_recipe" || return 1
  else
    pipegen_line context "$PIPEGEN_CONTEXT" "$1" >> "$pipegen_recipe"
  fi
  {{
    pipegen_line dockerfile "$PIPEGEN_DOCKERFILE" "$2"
    shift {shift}
    for pipegen_path in ${{PIPEGEN_INPUTS:-}}; do
      pipegen_line input "$pipegen_path" "$1"
      shift
    done
  }} >> "$pipegen_recipe"
  if [ -n "${{PIPEGEN_GLOBS:-}}" ]; then
    pipegen_empty="$(git hash-object -t tree /dev/null)" || return 1
    pipegen_globs="$PIPEGEN_GLOBS"
    while [ -n "$pipegen_globs" ]; do
      pipegen_prefix="${{pipegen_globs%%"$pipegen_nl"*}}"
      pipegen_globs="${{pipegen_globs#*"$pipegen_nl"}}"
      pipegen_rest="${{pipegen_globs%%"$pipegen_nl"*}}"
      case "$pipegen_globs" in
        *"$pipegen_nl"*) pipegen_globs="${{pipegen_globs#*"$pipegen_nl"}}" ;;
        *) pipegen_globs= ;;
      esac
      if [ "$pipegen_prefix" = . ]; then
        printf 'glob %s\n' "$pipegen_rest" >> "$pipegen_recipe"
      else
        printf 'glob %s/%s\n' "$pipegen_prefix" "$pipegen_rest" >> "$pipegen_recipe"
      fi
      case "$1" in
        'tree '*)
          pipegen_object "$pipegen_prefix"
          git -c core.quotePath=true diff-tree -r --no-renames "$pipegen_empty" "$pipegen_name" -- ":(glob)$pipegen_rest" >> "$pipegen_recipe" || return 1
          ;;
      esac
      shift
    done
  fi
  {{
    if [ -n "${{PIPEGEN_TARGET:-}}" ]; then
      printf 'target %s\n' "$PIPEGEN_TARGET"
    fi
    for pipegen_name in ${{PIPEGEN_ARGS:-}}; do
      pipegen_arg_value "$pipegen_name" || return 1
      printf 'arg %s %s\n%s\n' "$pipegen_name" "${{#pipegen_value}}" "$pipegen_value"
    done
    for pipegen_name in ${{PIPEGEN_PARENT_ARGS:-}}; do
      pipegen_arg_value "$pipegen_name" || return 1
      printf 'arg-with-parents %s %s\n%s\n' "$pipegen_name" "${{#pipegen_value}}" "$pipegen_value"
    done
    for pipegen_entry in ${{PIPEGEN_PARENTS:-}}; do
      pipegen_parent "$pipegen_entry" || return 1
      printf 'parent %s %s\n' "$pipegen_arg" "$pipegen_value"
    done
  }} >> "$pipegen_recipe"
  unset IFS
  set +f
  pipegen_sum="$(sha256sum < "$pipegen_recipe")" || return 1
  pipegen_sum="${{pipegen_sum%% *}}"
  pipegen_tag="${{pipegen_sum%{drop}}}"
}}
pipegen_tag_step() {{
  : "${{PIPEGEN_IMAGE:?the build job sets PIPEGEN_IMAGE}}"
  if [ -z "${{PIPEGEN_KEY:-}}" ]; then
    PIPEGEN_KEY="$(printf '%s' "$PIPEGEN_IMAGE" | tr 'a-z-' 'A-Z_')"
  fi
  pipegen_login || return 1
  pipegen_tag_of || return 1
  rm -f "${{TMPDIR:-/tmp}}/pipegen-recipe-$$"
  pipegen_ref="$PIPEGEN_REGISTRY/$PIPEGEN_IMAGE:$pipegen_tag"
  if [ "${{PIPEGEN_TAG_MODE:-content}}" = commit ]; then
    pipegen_unpushed || return 1
    echo "pipegen: $PIPEGEN_IMAGE is tagged by commit and built in every pipeline: $pipegen_ref"
    pipegen_build=true
  elif pipegen_exists "$pipegen_ref"; then
    echo "pipegen: $pipegen_ref is already in the registry; skipping the build"
    pipegen_build=false
  elif [ "$pipegen_push" = true ]; then
    echo "pipegen: $pipegen_ref is not in the registry; building it"
    pipegen_build=true
  else
    echo "pipegen: $pipegen_ref is not in the registry; this pipeline does not push (PIPEGEN_PUSH=${{PIPEGEN_PUSH:-}})"
    pipegen_unpushed || return 1
{unpushed_lookup}  fi
{publish}
}}
"#,
        commit = platform.commit,
        header = CONTENT_TAG_HEADER,
        filter = awk::command(rules),
        candidates = candidates,
        choose = choose,
        shift = 2 + count,
        scratch = SCRATCH_TAG_PREFIX,
        unpushed_lookup = unpushed_lookup,
        parent_lookup = parent_lookup,
    )
}

/// The ignore-file candidates of [`crate::dockerignore::Builder::ignore_file_candidates`], in
/// shell: lines that compute each path (`pipegen_candidate_<n>`) and add it to the object
/// look-up, and the lines that pick the first one git has as a file. The two must list the same
/// paths: `tests/tags_script.rs` compares the tags they give.
fn ignore_candidates(rules: IgnoreRules) -> (String, String, usize) {
    // Each candidate: (directory to join, name); `$PIPEGEN_DOCKERFILE.dockerignore` has none.
    let specs: Vec<(Option<&str>, &str)> = match rules {
        IgnoreRules::BuildKit => {
            vec![(None, "\"$PIPEGEN_DOCKERFILE.dockerignore\""), (Some("\"$PIPEGEN_CONTEXT\""), ".dockerignore")]
        }
        IgnoreRules::Buildah => vec![
            (Some("\"$pipegen_beside\""), ".dockerignore"),
            (Some("\"$pipegen_beside\""), ".containerignore"),
            (Some("\"$PIPEGEN_CONTEXT\""), ".containerignore"),
            (Some("\"$PIPEGEN_CONTEXT\""), ".dockerignore"),
        ],
    };
    let mut compute = String::new();
    if rules == IgnoreRules::Buildah {
        // buildah joins the Dockerfile to the context to look beside it.
        compute.push_str(
            "  pipegen_join \"$PIPEGEN_CONTEXT\" \"$PIPEGEN_DOCKERFILE\"\n  pipegen_beside=\"$pipegen_joined\"\n",
        );
    }
    let mut choose = String::new();
    for (i, (directory, name)) in specs.iter().enumerate() {
        let n = i + 1;
        match directory {
            // `<beside>.dockerignore`: a suffix, not a path component.
            Some("\"$pipegen_beside\"") => {
                compute.push_str(&format!("  pipegen_candidate_{n}=\"$pipegen_beside{name}\"\n"))
            }
            Some(directory) => compute
                .push_str(&format!("  pipegen_join {directory} {name}\n  pipegen_candidate_{n}=\"$pipegen_joined\"\n")),
            None => compute.push_str(&format!("  pipegen_candidate_{n}={name}\n")),
        }
        compute.push_str(&format!("  pipegen_add \"$pipegen_candidate_{n}\"\n"));
        let position = n + 2;
        choose.push_str(&format!(
            "      if [ -z \"$pipegen_ignore\" ]; then\n        case \"${{{position}}}\" in\n          'blob '*) pipegen_ignore=\"${{{position}#blob }}\"; pipegen_ignore_path=\"$pipegen_candidate_{n}\" ;;\n        esac\n      fi\n"
        ));
    }
    (compute, choose, specs.len())
}
