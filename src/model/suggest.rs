//! "Did you mean …?" for misspelt names.

/// The candidate closest to `wrong`, if one is close enough to be what was meant.
pub fn closest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let length = wrong.chars().count();
    let limit = (length / 3).max(1);
    let wrong_lower = wrong.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != wrong)
        // Names whose lengths differ by more than the limit are that many edits apart at least:
        // skipped before measuring, so a model of thousands of names stays quick to check.
        .filter(|c| c.chars().count().abs_diff(length) <= limit)
        .map(|c| (strsim::osa_distance(&wrong_lower, &c.to_lowercase()), c))
        .filter(|(distance, _)| *distance <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

/// `did you mean `x`?`, or `None` when nothing is close.
pub fn did_you_mean<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    closest(wrong, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// A help text: the closest candidate if there is one, otherwise the list of what exists.
pub fn help_for<'a>(wrong: &str, what: &str, candidates: impl IntoIterator<Item = &'a str> + Clone) -> String {
    did_you_mean(wrong, candidates.clone()).unwrap_or_else(|| listing(what, candidates))
}

/// The model fields other CI systems and tools call `wrong` (`build_args`, `variables`,
/// `depends_on`), which no edit distance finds; the caller offers the first that exists where
/// `wrong` was written (`depends_on` is an image's `from`, a job's `needs`).
pub fn synonym(wrong: &str) -> &'static [&'static str] {
    let key = wrong.to_ascii_lowercase().replace('-', "_");
    let meant: &[&str] = match key.as_str() {
        "build_args" | "buildargs" | "build_arg" | "arguments" => &["args"],
        "variables" | "environment" | "env_vars" | "vars" => &["env"],
        "retries" | "attempts" => &["retry"],
        "depends_on" | "dependencies" | "after" | "requires" => &["from", "needs"],
        "parent" | "parents" | "base" | "base_image" => &["from"],
        "file" | "containerfile" | "dockerfile_path" => &["dockerfile"],
        "build_context" | "dir" | "directory" | "path" => &["context"],
        "healthcheck" | "health_check" | "readiness" => &["health"],
        "matrix" => &["axes"],
        "shards" | "parallelism" => &["parallel"],
        "commands" | "command" | "run" | "steps" | "scripts" => &["script"],
        "timeout_minutes" | "time_limit" => &["timeout"],
        "ports" => &["port"],
        "cache" => &["caches"],
        "tags" | "version" => &["tag"],
        "alias" => &["aliases"],
        _ => &[],
    };
    meant
}

/// The most names [`listing`] writes out: every field of a section (at most 15), and a
/// help line that is read, not searched, when a model has hundreds of names.
const LISTED: usize = 24;

/// `declared images: `a`, `b``, the first [`LISTED`] and how many more, or that there are none.
pub fn listing<'a>(what: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let mut candidates = candidates.into_iter();
    let shown: Vec<String> = candidates.by_ref().take(LISTED).map(|c| format!("`{c}`")).collect();
    let more = candidates.count();
    match (shown.is_empty(), more) {
        (true, _) => format!("this model declares no {what}"),
        (false, 0) => format!("declared {what}: {}", shown.join(", ")),
        (false, more) => format!("declared {what}: {} and {more} more", shown.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_tools_names_lead_to_the_models() {
        assert_eq!(synonym("build_args"), ["args"]);
        assert_eq!(synonym("Build-Args"), ["args"]);
        assert_eq!(synonym("variables"), ["env"]);
        assert_eq!(synonym("depends_on"), ["from", "needs"]);
        assert_eq!(synonym("retries"), ["retry"]);
        assert!(synonym("gitaly").is_empty());
    }

    #[test]
    fn finds_close_names_only() {
        assert_eq!(closest("gitlay", ["base", "gitaly", "gdk"]), Some("gitaly"));
        assert_eq!(closest("form", ["from", "stage"]), Some("from"));
        assert_eq!(closest("zzzzzz", ["base", "gitaly"]), None);
    }

    #[test]
    fn allows_one_edit_per_three_characters() {
        let fields = ["stage", "context", "dockerfile", "inputs", "args", "axes", "from", "target", "tag", "caches"];
        assert_eq!(closest("tags", fields), Some("tag"));
        assert_eq!(closest("dockrfile", fields), Some("dockerfile"));
        assert_eq!(closest("contxet", fields), Some("context"));
        for unrelated in ["platforms", "labels", "image", "build", "env"] {
            assert_eq!(closest(unrelated, fields), None, "{unrelated}");
        }
    }

    #[test]
    fn lists_candidates_when_none_is_close() {
        assert_eq!(help_for("zzz", "images", ["a", "b"]), "declared images: `a`, `b`");
        assert_eq!(help_for("zzz", "caches", std::iter::empty()), "this model declares no caches");
    }

    #[test]
    fn lists_two_dozen_candidates_and_counts_the_rest() {
        let names: Vec<String> = (0..30).map(|i| format!("image{i}")).collect();
        let help = help_for("zzz", "images", names.iter().map(String::as_str));
        assert!(help.starts_with("declared images: `image0`, `image1`, "), "{help}");
        assert!(help.ends_with(", `image23` and 6 more"), "{help}");
    }

    #[test]
    fn a_name_of_another_length_is_still_found_within_the_limit() {
        assert_eq!(closest("gitalyy", ["gitaly"]), Some("gitaly"));
        assert_eq!(closest("gitaly-deps", ["gitaly-dep"]), Some("gitaly-dep"));
        assert_eq!(closest("ab", ["abcd"]), None);
    }
}
