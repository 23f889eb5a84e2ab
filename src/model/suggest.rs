//! "Did you mean …?" for misspelt names.

/// The candidate closest to `wrong`, if one is close enough to be what was meant.
pub fn closest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (wrong.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != wrong)
        .map(|c| (strsim::osa_distance(&wrong.to_lowercase(), &c.to_lowercase()), c))
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

/// `declared images: `a`, `b``, or that there are none.
pub fn listing<'a>(what: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let all: Vec<String> = candidates.into_iter().map(|c| format!("`{c}`")).collect();
    if all.is_empty() {
        format!("this model declares no {what}")
    } else {
        format!("declared {what}: {}", all.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
