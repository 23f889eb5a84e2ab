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
//! `PIPEGEN_TAG_SUFFIX`, and `PIPEGEN_PLATFORMS` (one a line, sorted) for an image built for
//! named platforms. The awk program that finds the Dockerfile's base images reads the argument
//! and parent variables from the environment (the job's variables are exported).
//!
//! Cost: one `git cat-file --batch-check` for every path (O(depth) each), one `git diff-tree` per
//! glob (O(the subtree under its directory)), and where a build reads a submodule one more per
//! glob of several components (the gitlinks it reaches), one `git cat-file blob` and one awk for
//! the Dockerfile, one registry lookup per base image not pinned by digest, one `sha256sum`.

use super::{Platform, Publish, Unpushed, Uses};
use crate::dockerignore::{Builder as IgnoreRules, awk};
use crate::plan::push::SCRATCH_TAG_PREFIX;
use crate::plan::{CONTENT_TAG_HEADER, CONTENT_TAG_LEN};

/// `pipegen_tag_of` sets `pipegen_tag`; `pipegen_tag_step` logs in, computes the tag, asks the
/// registry, says what it decided and sets `pipegen_build` (`true` or `false`);
/// `pipegen_publish` publishes the tag for the jobs that need this one, once the image exists
/// (`pipegen_build_job` calls it last: a job that fails hands on nothing). Only the parts of the recipe `uses` names are written.
pub fn functions(platform: Platform, uses: &Uses) -> String {
    // What the job hands on. GitLab: the full reference (in a pipeline that does not push, an
    // image is in the registry, unchanged and reused, or in the scratch path, built here, and
    // only this job knows which), except from a platform's job, which hands on its digest
    // instead (the merge job publishes the reference). GitHub: job outputs (its tag, whether it
    // built and its key, which name the local image a run that does not push saves).
    let publish = match platform.publish {
        Publish::Dotenv(file) => format!(
            r#"  if [ "${{PIPEGEN_SPLIT:-}}" != platform ]; then
    printf 'PIPEGEN_REF_%s=%s\n' "$PIPEGEN_KEY" "$pipegen_ref" > {file} || return 1
  fi
"#
        ),
        Publish::GithubOutput => {
            r#"  printf 'tag=%s\nbuild=%s\nkey=%s\n' "$pipegen_tag" "$pipegen_build" "$PIPEGEN_KEY" >> "$GITHUB_OUTPUT"
"#
            .to_string()
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
    let mut text = helpers(platform, uses);
    text.push_str(&format!(
        r#"pipegen_tag_of() {{
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
"#,
        commit = platform.commit
    ));
    if uses.commit_tags {
        text.push_str(
            r#"  if [ "${PIPEGEN_TAG_MODE:-content}" = commit ]; then
    pipegen_tag="$pipegen_commit${PIPEGEN_TAG_SUFFIX:+-$PIPEGEN_TAG_SUFFIX}"
    return 0
  fi
"#,
        );
    }
    if uses.content_tags {
        text.push_str(&recipe(platform, uses));
    }
    text.push_str("}\n");
    let commit = r#"    pipegen_unpushed || return 1
    echo "pipegen: $PIPEGEN_IMAGE is tagged by commit and built in every pipeline: $pipegen_ref"
    pipegen_build=true
"#;
    // A split build is in the registry when its list names every platform.
    let exists = if uses.split {
        r#"pipegen_exists "$pipegen_ref" && { [ -z "${PIPEGEN_SPLIT:-}" ] || pipegen_has_platforms "$pipegen_ref"; }"#
    } else {
        r#"pipegen_exists "$pipegen_ref""#
    };
    let content = format!(
        r#"{exists}; then
    echo "pipegen: $pipegen_ref is already in the registry; skipping the build"
    pipegen_build=false
  elif [ "$pipegen_push" = true ]; then
    echo "pipegen: $pipegen_ref is not in the registry; building it"
    pipegen_build=true
  else
    echo "pipegen: $pipegen_ref is not in the registry; this pipeline does not push (PIPEGEN_PUSH=${{PIPEGEN_PUSH:-}})"
    pipegen_unpushed || return 1
{unpushed_lookup}  fi
"#
    );
    let decide = match (uses.content_tags, uses.commit_tags) {
        (true, true) => format!("  if [ \"${{PIPEGEN_TAG_MODE:-content}}\" = commit ]; then\n{commit}  elif {content}"),
        (true, false) => format!("  if {content}"),
        _ => format!("  if :; then\n{commit}  fi\n"),
    };
    text.push_str(&format!(
        r#"pipegen_tag_step() {{
  : "${{PIPEGEN_IMAGE:?the build job sets PIPEGEN_IMAGE}}"
  if [ -z "${{PIPEGEN_KEY:-}}" ]; then
    PIPEGEN_KEY="$(printf '%s' "$PIPEGEN_IMAGE" | tr 'a-z-' 'A-Z_')"
  fi
  pipegen_login || return 1
  pipegen_tag_of || return 1
  # One `rm` for the recipe and the Dockerfile it read: each program started costs a job
  # milliseconds.
  rm -f "${{TMPDIR:-/tmp}}/pipegen-recipe-$$" "${{TMPDIR:-/tmp}}/pipegen-recipe-$$.dockerfile"
  pipegen_ref="$PIPEGEN_REGISTRY/$PIPEGEN_IMAGE:$pipegen_tag"
{decide}}}
pipegen_publish() {{
{publish}}}
"#
    ));
    text
}

/// How `pipegen_parent` finds a parent's reference. GitLab hands on each parent's full
/// reference (a pipeline that does not push may keep it in the registry or in the scratch path);
/// GitHub its tag, in the run's registry, under whose name a run that does not push keeps its
/// local images: `PIPEGEN_PARENT_<n>` is `<KEY>=<tag>`, with `@<os>-<arch>` when the parent is
/// split by platform (no tag holds `@`), so the workflow's restore steps name the local image of
/// a parent by it, whatever the job.
fn parent_lookup(platform: Platform) -> &'static str {
    match platform.publish {
        Publish::Dotenv(_) => {
            r#"  eval "pipegen_parent_ref=\${PIPEGEN_REF_$pipegen_key-}"
  if [ -z "$pipegen_parent_ref" ]; then
    echo "pipegen: the reference of $pipegen_parent_image (PIPEGEN_REF_$pipegen_key) did not come from its build job" >&2
    return 1
  fi"#
        }
        Publish::GithubOutput => {
            r#"  pipegen_n=1
  pipegen_value=
  while eval "pipegen_slot=\${PIPEGEN_PARENT_$pipegen_n-}" && [ -n "$pipegen_slot" ]; do
    case "$pipegen_slot" in
      "$pipegen_key="*) pipegen_value="${pipegen_slot#*=}"; pipegen_value="${pipegen_value%@*}"; break ;;
    esac
    pipegen_n=$((pipegen_n + 1))
  done
  if [ -z "$pipegen_value" ]; then
    echo "pipegen: the tag of $pipegen_parent_image (PIPEGEN_PARENT_<n>=$pipegen_key=<tag>) did not come from its build job; if that job published it, GitHub dropped the output because it contains the value of a secret (its log says \"Skip output 'tag' since it may contain secret\"): change that secret (PIPEGEN_REGISTRY_USER, say) so no tag can contain it" >&2
    return 1
  fi
  pipegen_parent_ref="$PIPEGEN_REGISTRY/$pipegen_parent_image:$pipegen_value""#
        }
    }
}

/// The functions the tag and build steps call (only those some part reaches survive
/// [`super::embed`]).
fn helpers(platform: Platform, uses: &Uses) -> String {
    let mut text = r#"pipegen_add() {
  case "$1" in
    .) pipegen_name="$pipegen_commit:" ;;
    *) pipegen_name="$pipegen_commit:$1" ;;
  esac
  pipegen_names="${pipegen_names:+$pipegen_names$pipegen_nl}$pipegen_name"
}
pipegen_line() {
  case "$3" in
{missing}    *) printf '%s %s %s\n' "$1" "$2" "$3" ;;
  esac
}
pipegen_arg_value() {
  case "$1" in
    ''|*[!A-Za-z0-9_]*) echo "pipegen: '$1' is not a build argument name" >&2; return 1 ;;
  esac
  pipegen_value=
  eval "pipegen_value=\${PIPEGEN_ARG_$1-}"
}
pipegen_parent() {
  pipegen_arg="${1%%=*}"
  pipegen_key="${1##*=}"
  pipegen_parent_image="${1#*=}"
  pipegen_parent_image="${pipegen_parent_image%=*}"
  case "$pipegen_key" in
    ''|*[!A-Za-z0-9_]*) echo "pipegen: '$1' is not a parent" >&2; return 1 ;;
  esac
{parent_lookup}
  # Its tag, as the recipe hashes it: the same whether the parent went to the registry or, in
  # a pipeline that does not push, to the scratch path (whose tags carry a prefix).
  pipegen_value="${pipegen_parent_ref##*:}"
  pipegen_value="${pipegen_value#{scratch}}"
}
pipegen_governing() {
  case "$1" in
    */*) set -- "${1%/*}/" .gitattributes ;;
    *) set -- '' .gitattributes ;;
  esac
  pipegen_within=
  while :; do
    case "$pipegen_nl$pipegen_attributes$pipegen_nl" in
      *"$pipegen_nl$2$pipegen_nl"*) ;;
      *) pipegen_attributes="${pipegen_attributes:+$pipegen_attributes$pipegen_nl}$2" ;;
    esac
    [ -n "$1" ] || return 0
    pipegen_within="$pipegen_within${1%%/*}/"
    set -- "${1#*/}" "${pipegen_within}.gitattributes"
  done
}
pipegen_join() {
  case "$1" in
    .) pipegen_joined="$2" ;;
    *) pipegen_joined="$1/$2" ;;
  esac
}
"#
    .replace("{scratch}", SCRATCH_TAG_PREFIX)
    .replace("{parent_lookup}", parent_lookup(platform))
    .replace("{missing}", if uses.submodules { MISSING_OR_SUBMODULE } else { MISSING });
    if uses.submodules {
        text.push_str(SUBMODULE);
    }
    if uses.ignore_filter {
        let filter = awk::command(platform.builder.ignore_rules());
        text.push_str(&format!(
            r#"pipegen_sent() {{
  pipegen_ignore_file="${{TMPDIR:-/tmp}}/pipegen-ignore-$$"
  git cat-file blob "$1" > "$pipegen_ignore_file" || return 1
  # The context's tree by its id: its name may go through a symbolic link.
  git -c core.quotePath=true ls-tree -r "${{pipegen_context_id#tree }}" > "$pipegen_ignore_file.list" || return 1
  # shellcheck disable=SC2016 # an awk program
  PIPEGEN_IGNORE_FILE="$pipegen_ignore_file" PIPEGEN_IGNORE_NAME="$2" PIPEGEN_CONTEXT=. {filter} < "$pipegen_ignore_file.list" || return 1
  rm -f "$pipegen_ignore_file" "$pipegen_ignore_file.list"
}}
"#
        ));
    }
    text
}

/// `pipegen_line`'s answer to a path git calls missing: `none`.
const MISSING: &str = r#"    *' missing') printf '%s %s none\n' "$1" "$2" ;;
"#;

/// The same where a build reads a submodule: a path that went through no link (git's answer
/// names it, where a link's answer is `- missing`) may be a submodule or lie in one.
const MISSING_OR_SUBMODULE: &str = r#"    '- missing') printf '%s %s none\n' "$1" "$2" ;;
    *' missing')
      pipegen_submodule "$2" || return 1
      printf '%s %s %s\n' "$1" "$2" "$pipegen_object"
      ;;
"#;

/// `pipegen_submodule PATH` sets `pipegen_object` to `commit <id>` when PATH or one of its
/// directories is a submodule (`<id>` the commit the repository pins it at, which stands for
/// everything in it), else `none`: one `git ls-tree` of the path's directories, only for a path
/// git calls missing. As `git::objects` does in Rust.
///
/// `pipegen_reach` prints the lines of the gitlinks in the tree `pipegen_tree` that the glob
/// `pipegen_rest` reaches without matching them: those a leading part of the pattern (up to a
/// `/`) matches, less those the whole pattern matches, which its own listing has. One
/// `git diff-tree` for a glob of several components; as `git::tree_facts` does with
/// `Glob::reach_pathspecs`.
const SUBMODULE: &str = r#"pipegen_submodule() {
  pipegen_object=none
  pipegen_within=
  pipegen_below="$1"
  set --
  while [ -n "$pipegen_below" ]; do
    pipegen_within="${pipegen_within:+$pipegen_within/}${pipegen_below%%/*}"
    case "$pipegen_below" in
      */*) pipegen_below="${pipegen_below#*/}" ;;
      *) pipegen_below= ;;
    esac
    set -- "$@" "$pipegen_within"
  done
  pipegen_entries="$(git -c core.quotePath=false --literal-pathspecs ls-tree "$pipegen_commit" -- "$@")" || return 1
  for pipegen_entry in $pipegen_entries; do
    case "$pipegen_entry" in
      '160000 commit '*)
        # Asked for `a` and `a/b`, git lists what `a` holds: only a gitlink on the path counts.
        pipegen_at="${pipegen_entry#160000 commit }"
        pipegen_at="${pipegen_at#*[!0-9a-f]}"
        case "$pipegen_within/" in
          "$pipegen_at/"*)
            pipegen_object="${pipegen_entry#160000 commit }"
            pipegen_object="commit ${pipegen_object%%[!0-9a-f]*}"
            ;;
        esac
        ;;
    esac
  done
}
pipegen_reach() {
  pipegen_below="$pipegen_rest"
  pipegen_within=
  set --
  while :; do
    case "$pipegen_below" in
      */*) ;;
      *) break ;;
    esac
    pipegen_within="$pipegen_within${pipegen_below%%/*}"
    set -- "$@" ":(glob)$pipegen_within"
    pipegen_within="$pipegen_within/"
    pipegen_below="${pipegen_below#*/}"
  done
  [ "$#" -gt 0 ] || return 0
  pipegen_entries="$(git -c core.quotePath=true diff-tree -r --no-renames "$pipegen_empty" "$pipegen_tree" -- "$@" ":(exclude,glob)$pipegen_rest")" || return 1
  for pipegen_entry in $pipegen_entries; do
    case "$pipegen_entry" in
      ':000000 160000 '*) printf '%s\n' "$pipegen_entry" ;;
    esac
  done
}
"#;

/// Where a build reads a submodule, a glob's listing goes on with the gitlinks it reaches.
const GLOB_REACH: &str = r#"          pipegen_tree="${1#tree }"
          pipegen_reach || return 1
"#;

/// And a glob whose directory is a submodule or lies in one (git calls it missing, where a path
/// through a link is `- missing`) is hashed by the submodule's pinned commit: `commit <id>`.
const GLOB_IN_SUBMODULE: &str = r#"        '- missing') ;;
        *' missing')
          pipegen_submodule "$pipegen_prefix" || return 1
          case "$pipegen_object" in
            'commit '*) printf '%s\n' "$pipegen_object" ;;
          esac
          ;;
"#;

/// The body of `pipegen_tag_of` for a content tag: the recipe's lines, hashed.
fn recipe(platform: Platform, uses: &Uses) -> String {
    // sha256sum prints 64 hex digits: drop the ones after the tag.
    let drop = "?".repeat(64 - CONTENT_TAG_LEN);
    let candidates = ignore_candidates(platform.builder.ignore_rules());
    let mut text = format!(
        r#"  # Byte counts, as the recipe hashes them; lists are one item a line, never globbed.
  LC_ALL=C
  set -f
  pipegen_nl='
'
  IFS="$pipegen_nl"
  pipegen_names=
  pipegen_add "$PIPEGEN_CONTEXT"
  pipegen_add "$PIPEGEN_DOCKERFILE"
  # The `.gitattributes` that may govern how the checkout wrote what the build reads, each
  # once (`Recipe::attribute_files`): those from the root down to each path's directory, and
  # to each glob's directory; looked up after every other name.
  pipegen_attributes=
  pipegen_governing "$PIPEGEN_CONTEXT"
  pipegen_governing "$PIPEGEN_DOCKERFILE"
{candidates}"#
    );
    if uses.inputs {
        text.push_str(
            r#"  for pipegen_path in ${PIPEGEN_INPUTS:-}; do
    pipegen_add "$pipegen_path"
    pipegen_governing "$pipegen_path"
  done
"#,
        );
    }
    if uses.globs {
        text.push_str(
            r#"  pipegen_globs="${PIPEGEN_GLOBS:-}"
  while [ -n "$pipegen_globs" ]; do
    pipegen_add "${pipegen_globs%%"$pipegen_nl"*}"
    # A glob's own directory counts: `-` in it stands for the files it lists.
    case "$pipegen_globs" in
      ."$pipegen_nl"*) pipegen_governing - ;;
      *) pipegen_governing "${pipegen_globs%%"$pipegen_nl"*}/-" ;;
    esac
    case "$pipegen_globs" in
      *"$pipegen_nl"*"$pipegen_nl"*) pipegen_globs="${pipegen_globs#*"$pipegen_nl"*"$pipegen_nl"}" ;;
      *) pipegen_globs= ;;
    esac
  done
"#,
        );
    }
    text.push_str(
        r#"  for pipegen_path in $pipegen_attributes; do
    pipegen_add "$pipegen_path"
  done
  pipegen_answers="$(git cat-file --batch-check='%(objecttype) %(objectname)' --follow-symlinks <<PIPEGEN_NAMES
$pipegen_names
PIPEGEN_NAMES
)" || return 1
  # One answer a name, symbolic links followed as the build's file system follows them. Some
  # take two lines (what, then the link's target or the name). A link out of the repository
  # or round a loop stops the job: the build would read what git does not hold, or fail. A name
  # below a file (notdir) or a link to a name git lacks (dangling) names nothing, unless the
  # checkout has something there (git reads no `.` in a link's target).
  pipegen_ids=
  pipegen_second=
  pipegen_left="$pipegen_names"
  for pipegen_answer in $pipegen_answers; do
    case "$pipegen_second" in
      skip) pipegen_second=; continue ;;
      ?*) echo "pipegen: $PIPEGEN_IMAGE: ${pipegen_path:-.} goes through a symbolic link that leads $pipegen_second ($pipegen_answer)" >&2; return 1 ;;
    esac
    pipegen_path="${pipegen_left%%"$pipegen_nl"*}"
    pipegen_path="${pipegen_path#*:}"
    pipegen_left="${pipegen_left#*"$pipegen_nl"}"
    case "$pipegen_answer" in
      'symlink '*) pipegen_second='out of the repository' ;;
      'loop '*) pipegen_second='round a loop' ;;
      'dangling '*|'notdir '*)
        pipegen_second=skip
        [ ! -e "$pipegen_path" ] || pipegen_second='to a name git cannot follow'
        pipegen_answer='- missing'
        ;;
    esac
    pipegen_ids="$pipegen_ids$pipegen_nl$pipegen_answer"
  done
  # shellcheck disable=SC2086 # one object a line
  set -- $pipegen_ids
  pipegen_context_id="$1"
  pipegen_dockerfile_id="$2"
  shift 2
  pipegen_recipe="${TMPDIR:-/tmp}/pipegen-recipe-$$"
  # The ignore file the builder reads, when the context is a directory: the first candidate
  # that is a file.
  pipegen_ignore=
  for pipegen_path in $pipegen_candidates; do
    case "$pipegen_context_id" in
      'tree '*)
        case "$1" in
          'blob '*) [ -n "$pipegen_ignore" ] || { pipegen_ignore="${1#blob }"; pipegen_ignore_path="$pipegen_path"; } ;;
        esac
        ;;
    esac
    shift
  done
"#,
    );
    if !uses.ignore_filter {
        // The pipeline was emitted when no build's context had an ignore file, so it has no
        // filter: hashing the whole context would give another tag than `pipegen tags`.
        text.push_str(
            r#"  if [ -n "$pipegen_ignore" ]; then
    echo "pipegen: $PIPEGEN_IMAGE has an ignore file: regenerate with pipegen emit ($pipegen_ignore_path appeared after this pipeline was emitted, and it has no .dockerignore filter)" >&2
    return 1
  fi
"#,
        );
    }
    // The recipe, one line group written to the file at once.
    text.push_str(&format!(
        r#"  {{
    printf '%s\n' '{header}' "image $PIPEGEN_IMAGE"
"#,
        header = CONTENT_TAG_HEADER,
    ));
    if uses.ignore_filter {
        text.push_str(
            r#"    if [ -n "$pipegen_ignore" ]; then
      printf 'context %s sent\n' "$PIPEGEN_CONTEXT"
      pipegen_sent "$pipegen_ignore" "$pipegen_ignore_path" || return 1
    else
      pipegen_line context "$PIPEGEN_CONTEXT" "$pipegen_context_id" || return 1
    fi
"#,
        );
    } else {
        text.push_str("    pipegen_line context \"$PIPEGEN_CONTEXT\" \"$pipegen_context_id\" || return 1\n");
    }
    text.push_str("    pipegen_line dockerfile \"$PIPEGEN_DOCKERFILE\" \"$pipegen_dockerfile_id\" || return 1\n");
    if uses.inputs {
        text.push_str(
            r#"    for pipegen_path in ${PIPEGEN_INPUTS:-}; do
      pipegen_line input "$pipegen_path" "$1" || return 1
      shift
    done
"#,
        );
    }
    if uses.globs {
        text.push_str(
            r#"  if [ -n "${PIPEGEN_GLOBS:-}" ]; then
    # The empty tree's id: a constant in a SHA-1 repository (40-digit commits), asked otherwise.
    case "${#pipegen_commit}" in
      40) pipegen_empty={empty} ;;
      *) pipegen_empty="$(git hash-object -t tree /dev/null)" || return 1 ;;
    esac
    pipegen_globs="$PIPEGEN_GLOBS"
    while [ -n "$pipegen_globs" ]; do
      pipegen_prefix="${pipegen_globs%%"$pipegen_nl"*}"
      pipegen_globs="${pipegen_globs#*"$pipegen_nl"}"
      pipegen_rest="${pipegen_globs%%"$pipegen_nl"*}"
      case "$pipegen_globs" in
        *"$pipegen_nl"*) pipegen_globs="${pipegen_globs#*"$pipegen_nl"}" ;;
        *) pipegen_globs= ;;
      esac
      if [ "$pipegen_prefix" = . ]; then
        printf 'glob %s\n' "$pipegen_rest"
      else
        printf 'glob %s/%s\n' "$pipegen_prefix" "$pipegen_rest"
      fi
      case "$1" in
        'tree '*)
          git -c core.quotePath=true diff-tree -r --no-renames "$pipegen_empty" "${1#tree }" -- ":(glob)$pipegen_rest" || return 1
{reach}          ;;
{in_submodule}      esac
      shift
    done
  fi
"#
            .replace("{empty}", crate::git::EMPTY_TREE_SHA1)
            .replace("{reach}", if uses.submodules { GLOB_REACH } else { "" })
            .replace("{in_submodule}", if uses.submodules { GLOB_IN_SUBMODULE } else { "" })
                .as_str(),
        );
    }
    text.push_str(
        r#"    for pipegen_path in $pipegen_attributes; do
      pipegen_line attributes "$pipegen_path" "$1" || return 1
      shift
    done
"#,
    );
    if uses.target {
        text.push_str(
            r#"    if [ -n "${PIPEGEN_TARGET:-}" ]; then
      printf 'target %s\n' "$PIPEGEN_TARGET"
    fi
"#,
        );
    }
    if uses.platforms {
        text.push_str(
            r#"    if [ -n "${PIPEGEN_PLATFORMS:-}" ]; then
      printf 'platforms'
      for pipegen_name in $PIPEGEN_PLATFORMS; do
        printf ' %s' "$pipegen_name"
      done
      printf '\n'
    fi
"#,
        );
    }
    if uses.args {
        text.push_str(
            r#"    for pipegen_name in ${PIPEGEN_ARGS:-}; do
      pipegen_arg_value "$pipegen_name" || return 1
      printf 'arg %s %s\n%s\n' "$pipegen_name" "${#pipegen_value}" "$pipegen_value"
    done
"#,
        );
    }
    if uses.parent_args {
        text.push_str(
            r#"    for pipegen_name in ${PIPEGEN_PARENT_ARGS:-}; do
      pipegen_arg_value "$pipegen_name" || return 1
      printf 'arg-with-parents %s %s\n%s\n' "$pipegen_name" "${#pipegen_value}" "$pipegen_value"
    done
"#,
        );
    }
    if uses.parents {
        text.push_str(
            r#"    for pipegen_entry in ${PIPEGEN_PARENTS:-}; do
      pipegen_parent "$pipegen_entry" || return 1
      printf 'parent %s %s\n' "$pipegen_arg" "$pipegen_value"
    done
"#,
        );
    }
    text.push_str("  } > \"$pipegen_recipe\" || return 1\n");
    // The external base images of the Dockerfile at the commit, each with its registry's digest.
    text.push_str(&format!(
        r#"  printf 'from %s\n' "$PIPEGEN_DOCKERFILE" >> "$pipegen_recipe" || return 1
  case "$pipegen_dockerfile_id" in
    'blob '*)
      git cat-file blob "${{pipegen_dockerfile_id#blob }}" > "$pipegen_recipe.dockerfile" || return 1
      # shellcheck disable=SC2016 # an awk program
      pipegen_bases="$({from} < "$pipegen_recipe.dockerfile")" || return 1
      for pipegen_base in $pipegen_bases; do
        pipegen_digest_of "$pipegen_base" || return 1
        printf 'upstream %s %s\n' "$pipegen_base" "$pipegen_digest" >> "$pipegen_recipe" || return 1
      done
      ;;
  esac
"#,
        from = crate::upstream::awk::command()
    ));
    text.push_str(&format!(
        r#"  unset IFS
  set +f
  pipegen_sum="$(sha256sum < "$pipegen_recipe")" || return 1
  pipegen_sum="${{pipegen_sum%% *}}"
  pipegen_tag="${{pipegen_sum%{drop}}}"
"#
    ));
    text
}

/// The ignore-file candidates of [`crate::dockerignore::Builder::ignore_file_candidates`], in
/// shell: lines that set `pipegen_candidates` (one path a line, in the builder's order) and add
/// each to the object look-up. The two must list the same paths: `tests/tags_script.rs` compares
/// the tags they give.
fn ignore_candidates(rules: IgnoreRules) -> String {
    let list = match rules {
        IgnoreRules::BuildKit => {
            r#"  pipegen_join "$PIPEGEN_CONTEXT" .dockerignore
  pipegen_candidates="$PIPEGEN_DOCKERFILE.dockerignore$pipegen_nl$pipegen_joined"
"#
        }
        // buildah joins the Dockerfile to the context to look beside it.
        IgnoreRules::Buildah => {
            r#"  pipegen_join "$PIPEGEN_CONTEXT" "$PIPEGEN_DOCKERFILE"
  pipegen_candidates="$pipegen_joined.dockerignore$pipegen_nl$pipegen_joined.containerignore"
  pipegen_join "$PIPEGEN_CONTEXT" .containerignore
  pipegen_candidates="$pipegen_candidates$pipegen_nl$pipegen_joined"
  pipegen_join "$PIPEGEN_CONTEXT" .dockerignore
  pipegen_candidates="$pipegen_candidates$pipegen_nl$pipegen_joined"
"#
        }
    };
    format!(
        r#"{list}  for pipegen_path in $pipegen_candidates; do
    pipegen_add "$pipegen_path"
  done
"#
    )
}
