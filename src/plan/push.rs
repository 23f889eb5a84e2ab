//! Which pipelines push, decided once from the model's `push:` for both platforms. Each backend
//! renders it as the pipeline-wide variable `PIPEGEN_PUSH` (`true`/`false`), which every
//! script reads: a pushing pipeline builds into the registry; any other builds without
//! pushing there and without registry secrets, and hands its images to its own jobs another way
//! (GitLab: a scratch path of the project's registry; GitHub: local images).

use crate::model::Push;

/// The model's push policy, as the backends test it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushPolicy {
    /// Pipelines of the default branch push (also scheduled ones).
    pub default_branch: bool,
    /// More branches that push, in model order.
    pub branches: Vec<BranchMatch>,
    /// Pipelines of git tags push.
    pub tags: bool,
}

/// How a branch is matched: both platforms can say these without a regex engine of their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchMatch {
    /// Exactly this name.
    Exact(String),
    /// Every branch that starts with this (`release/*`; `*` alone is the empty prefix).
    Prefix(String),
}

impl BranchMatch {
    /// Whether `branch` is one of those this matches (the same test the pipelines make).
    pub fn matches(&self, branch: &str) -> bool {
        match self {
            BranchMatch::Exact(name) => branch == name,
            BranchMatch::Prefix(prefix) => branch.starts_with(prefix.as_str()),
        }
    }
}

impl Default for PushPolicy {
    fn default() -> Self {
        PushPolicy::from(&Push::default())
    }
}

impl From<&Push> for PushPolicy {
    fn from(push: &Push) -> Self {
        let branches = push
            .branches
            .iter()
            .map(|b| match b.0.strip_suffix('*') {
                Some(prefix) => BranchMatch::Prefix(prefix.to_string()),
                None => BranchMatch::Exact(b.0.clone()),
            })
            .collect();
        PushPolicy { default_branch: push.default_branch, branches, tags: push.tags }
    }
}

/// Where a GitLab pipeline that does not push keeps the images it builds: under the project's
/// own registry (the job token may push there, also in a fork), at
/// `$CI_REGISTRY_IMAGE/<SCRATCH_PATH>/<image>:<SCRATCH_TAG_PREFIX><content tag>`. Named by
/// content, not by pipeline: a later pipeline of the same merge request finds an unchanged image
/// there and skips its build; the tag prefix lets a cleanup policy expire these tags
/// (`name_regex_delete: ^scratch-`) without touching any real content tag (hex digits only).
pub const SCRATCH_PATH: &str = "pipegen-scratch";
pub const SCRATCH_TAG_PREFIX: &str = "scratch-";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BranchPattern;

    #[test]
    fn patterns_become_names_and_prefixes() {
        let push = Push {
            default_branch: false,
            branches: vec![
                BranchPattern("release/*".into()),
                BranchPattern("stable".into()),
                BranchPattern("*".into()),
            ],
            tags: true,
        };
        let policy = PushPolicy::from(&push);
        assert!(!policy.default_branch);
        assert_eq!(
            policy.branches,
            vec![
                BranchMatch::Prefix("release/".into()),
                BranchMatch::Exact("stable".into()),
                BranchMatch::Prefix(String::new())
            ]
        );
        assert!(policy.branches[0].matches("release/1.2"));
        assert!(!policy.branches[0].matches("releases"));
        assert!(policy.branches[1].matches("stable") && !policy.branches[1].matches("stable2"));
        assert!(policy.branches[2].matches("anything"));
    }

    #[test]
    fn the_default_pushes_the_default_branch_and_tags_only() {
        let policy = PushPolicy::default();
        assert!(policy.default_branch && policy.tags && policy.branches.is_empty());
    }
}
