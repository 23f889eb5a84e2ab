//! Shell text shared by both platforms: quoting, and the script that computes content tags
//! from git at run time (POSIX sh, git and sha256sum; no pipegen binary in the pipeline).

use crate::plan::{CONTENT_TAG_HEADER, CONTENT_TAG_LEN, ComputedCacheKey, TagKind, TagsJob};

/// `text` as one shell word: unchanged when it is plainly safe, otherwise quoted.
pub fn quote(text: &str) -> String {
    let safe = !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if safe { text.to_string() } else { quoted(text) }
}

/// `text` in quotes: single quotes, or double quotes (with `\`, `"`, `$` and `` ` `` escaped)
/// when it holds `$` or a backtick. Both are the same literal word, but shellcheck reads a `$`
/// inside single quotes as a forgotten expansion (SC2016): `--build-arg "PRICE=\$5"`.
fn quoted(text: &str) -> String {
    if !text.contains(['$', '`']) {
        return format!("'{}'", text.replace('\'', r"'\''"));
    }
    let mut word = String::from("\"");
    for c in text.chars() {
        if matches!(c, '\\' | '"' | '$' | '`') {
            word.push('\\');
        }
        word.push(c);
    }
    word.push('"');
    word
}

/// The `git ls-files` format whose lines are hashed: one per tracked file.
pub const FILE_LINE_FORMAT: &str = "file %(objectmode) %(objectname) %(path)";

/// Lines of POSIX sh that set one shell variable per build (`PIPEGEN_TAG_<KEY>`) and per
/// computed cache key, in plan order. `commit` is the shell expression of the pipeline's commit
/// SHA (`${CI_COMMIT_SHA}`, `${GITHUB_SHA}`).
pub fn compute_tags(tags: &TagsJob, commit: &str) -> Vec<String> {
    let mut lines = vec![
        "set -eu".to_string(),
        "# Content tags hash the files git holds at the pipeline's commit (a private index, so".to_string(),
        "# the working tree does not matter), the build args, target and parents' tags.".to_string(),
        "pipegen_dir=\"$(mktemp -d)\"".to_string(),
        "GIT_INDEX_FILE=\"$pipegen_dir/index\" git read-tree HEAD".to_string(),
        "pipegen_files() {".to_string(),
        format!("  GIT_INDEX_FILE=\"$pipegen_dir/index\" git ls-files --format={} -- \"$@\"", quote(FILE_LINE_FORMAT)),
        "}".to_string(),
        "pipegen_hash() {".to_string(),
        "  : > \"$pipegen_dir/recipe\"".to_string(),
        "  while [ \"$#\" -gt 0 ] && [ \"$1\" != -- ]; do".to_string(),
        "    printf '%s\\n' \"$1\" >> \"$pipegen_dir/recipe\"".to_string(),
        "    shift".to_string(),
        "  done".to_string(),
        "  shift".to_string(),
        "  pipegen_files \"$@\" >> \"$pipegen_dir/recipe\" || return 1".to_string(),
        format!("  sha256sum < \"$pipegen_dir/recipe\" | cut -c1-{CONTENT_TAG_LEN}"),
        "}".to_string(),
        format!("pipegen_commit=\"{commit}\""),
        ": \"${pipegen_commit:?the commit SHA is not set}\"".to_string(),
    ];
    for tag in &tags.tags {
        match &tag.kind {
            TagKind::Commit { suffix } => {
                let suffix = suffix.as_ref().map(|s| format!("-{s}")).unwrap_or_default();
                lines.push(format!("{}=\"${{pipegen_commit}}{suffix}\"", tag.variable));
            }
            TagKind::Content(recipe) => {
                let header: Vec<String> = recipe
                    .header_lines(|variable| format!("\u{0}{variable}\u{0}"))
                    .iter()
                    .map(|line| quote_with_variables(line))
                    .collect();
                let specs: Vec<String> = recipe.pathspecs().iter().map(|s| quote(s)).collect();
                lines.push(format!("{}=\"$(pipegen_hash {} -- {})\"", tag.variable, header.join(" "), specs.join(" ")));
            }
        }
    }
    lines.extend(tags.cache_keys.iter().map(compute_cache_key));
    lines
}

/// A cache key from key files: the hash of their git entries, like a content tag.
fn compute_cache_key(key: &ComputedCacheKey) -> String {
    let specs: Vec<String> = key.files.iter().map(|f| quote(&format!(":(literal){f}"))).collect();
    format!("{}=\"$(pipegen_hash {} -- {})\"", key.variable, quote(CONTENT_TAG_HEADER), specs.join(" "))
}

/// Quote a recipe line in which `\0NAME\0` marks a shell variable to expand.
fn quote_with_variables(line: &str) -> String {
    let mut out = String::new();
    for (i, piece) in line.split('\u{0}').enumerate() {
        if piece.is_empty() {
            continue;
        }
        if i % 2 == 1 {
            out.push_str(&format!("\"${{{piece}}}\""));
        } else {
            out.push_str(&quoted(piece));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(quote("images/base"), "images/base");
        assert_eq!(quote(":(glob)gitaly/**"), "':(glob)gitaly/**'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn dollars_and_backticks_are_double_quoted() {
        assert_eq!(quote("PRICE=$5"), r#""PRICE=\$5""#);
        assert_eq!(quote(r#"(`pg_isready -h "$HOST"`) \ it's"#), r#""(\`pg_isready -h \"\$HOST\"\`) \\ it's""#);
        assert_eq!(quote_with_variables("arg PRICE=$5"), r#""arg PRICE=\$5""#);
    }

    #[test]
    fn expands_marked_variables_and_quotes_the_rest() {
        assert_eq!(
            quote_with_variables("parent BASE_IMAGE \u{0}PIPEGEN_TAG_BASE\u{0}"),
            "'parent BASE_IMAGE '\"${PIPEGEN_TAG_BASE}\""
        );
    }
}
