//! GitHub's ids and display names for the plan's jobs.

use crate::plan::JobId;

/// The name a job shows: the GitLab-style name (`build:base:3.2`), the same on both platforms.
pub fn display(id: &JobId) -> String {
    crate::emit::gitlab::names::job(id)
}

/// The job id: GitHub ids allow letters, digits, `_` and `-`, so `:` becomes `_` (model names
/// never contain `_`) and other characters `-`: `build:base:3.2` → `build_base_3-2`.
pub fn id(job: &JobId) -> String {
    display(job)
        .chars()
        .map(|c| match c {
            ':' => '_',
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' => c,
            _ => '-',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::BuildId;
    use crate::variant::Variant;

    #[test]
    fn ids_replace_what_github_does_not_allow() {
        let variant = Variant::new(vec![("ruby".into(), "3.2".into()), ("flavor".into(), "mysql80".into())]);
        assert_eq!(id(&JobId::Build(BuildId { image: "base".into(), variant })), "build_base_3-2-mysql80");
    }
}
