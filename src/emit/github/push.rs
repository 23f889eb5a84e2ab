//! The push policy on GitHub: one expression of the `github` context, which the workflow's
//! `env` turns into `PIPEGEN_PUSH` (`true`/`false`) for every step, and which the `container`
//! and `services` images of jobs that run model images repeat (they cannot read `env`).
//!
//! GitHub expressions have no pattern match: a branch prefix is `startsWith`, a name `==`.
//! Scheduled runs are on the default branch (GitHub runs them there) and their event has no
//! `repository`, so they count as the default branch by their event name.

use crate::plan::{BranchMatch, PushPolicy};

/// Whether this run pushes, as a boolean expression (without `${{ }}`).
pub fn expression(policy: &PushPolicy) -> String {
    let mut branch = Vec::new();
    if policy.default_branch {
        branch.push("github.ref_name == github.event.repository.default_branch".to_string());
    }
    for b in &policy.branches {
        branch.push(match b {
            BranchMatch::Exact(name) => format!("github.ref_name == {}", super::string_literal(name)),
            BranchMatch::Prefix(prefix) => format!("startsWith(github.ref_name, {})", super::string_literal(prefix)),
        });
    }
    let mut refs = Vec::new();
    if policy.tags {
        refs.push("github.ref_type == 'tag'".to_string());
    }
    if !branch.is_empty() {
        refs.push(format!("github.ref_type == 'branch' && ({})", branch.join(" || ")));
    }
    let mut cases = Vec::new();
    if policy.default_branch {
        cases.push("github.event_name == 'schedule'".to_string());
    }
    if !refs.is_empty() {
        cases.push(format!(
            "(github.event_name == 'push' || github.event_name == 'workflow_dispatch') && ({})",
            refs.join(" || ")
        ));
    }
    if cases.is_empty() { "false".to_string() } else { cases.join(" || ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy() {
        assert_eq!(
            expression(&PushPolicy::default()),
            "github.event_name == 'schedule' || (github.event_name == 'push' || github.event_name == 'workflow_dispatch') && (github.ref_type == 'tag' || github.ref_type == 'branch' && (github.ref_name == github.event.repository.default_branch))"
        );
    }

    #[test]
    fn nothing_pushes() {
        let policy = PushPolicy { default_branch: false, branches: Vec::new(), tags: false };
        assert_eq!(expression(&policy), "false");
    }

    #[test]
    fn branches_are_names_and_prefixes() {
        let policy = PushPolicy {
            default_branch: false,
            branches: vec![BranchMatch::Prefix("release/".into()), BranchMatch::Exact("it's".into())],
            tags: false,
        };
        assert_eq!(
            expression(&policy),
            "(github.event_name == 'push' || github.event_name == 'workflow_dispatch') && (github.ref_type == 'branch' && (startsWith(github.ref_name, 'release/') || github.ref_name == 'it''s'))"
        );
    }
}
