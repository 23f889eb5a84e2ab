//! The push policy on GitLab. Every job gets `PIPEGEN_PUSH` (`true` or `false`) from the
//! pipeline's source and branch through job `rules:variables`, written once in the hidden job
//! `.pipegen:push` that every job extends (job rules rather than `workflow:rules:variables`:
//! the same meaning on GitLab, and gitlab-ci-local, which the tests run, ignores `workflow`).
//!
//! `workflow:rules` only decide which pipelines exist: merge request pipelines are created (they
//! never push); a branch pipeline of a branch with an open merge request is not, unless the
//! branch pushes, so a push to such a branch runs one pipeline, not two (GitLab's documented
//! switch between branch and merge request pipelines).

use indexmap::IndexMap;
use serde::Serialize;

use crate::plan::{BranchMatch, PushPolicy};

/// One rule of `workflow:rules` or of a job's `rules`.
#[derive(Serialize)]
pub struct Rule {
    #[serde(rename = "if", skip_serializing_if = "Option::is_none")]
    condition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    when: Option<&'static str>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    variables: IndexMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auto_cancel: Option<KeepRunning>,
}

/// `auto_cancel: { on_new_commit: none }` (GitLab 16.9): a newer commit on the same ref does
/// not cancel this pipeline.
#[derive(Serialize)]
struct KeepRunning {
    on_new_commit: &'static str,
}

/// The variable every job reads.
pub const PUSH_VARIABLE: &str = "PIPEGEN_PUSH";

const MERGE_REQUEST: &str = r#"$CI_PIPELINE_SOURCE == "merge_request_event""#;
const DEFAULT_BRANCH: &str = "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH";

fn rule(condition: Option<String>, when: Option<&'static str>) -> Rule {
    Rule { condition, when, variables: IndexMap::new(), auto_cancel: None }
}

/// A rule for pipelines that publish images (a pushing branch's, or a scheduled refresh's):
/// like GitHub's `concurrency`, a newer commit cancels superseded pipelines of other refs
/// (`default: interruptible: true`, `workflow:auto_cancel`), but never one of these, which would
/// leave the images it publishes half done (some pushed, their alias tags not moved).
fn kept_running(condition: String) -> Rule {
    Rule { auto_cancel: Some(KeepRunning { on_new_commit: "none" }), ..rule(Some(condition), Some("always")) }
}

fn decide(condition: Option<String>, push: bool) -> Rule {
    let mut rule = rule(condition, None);
    rule.variables.insert(PUSH_VARIABLE, if push { "true" } else { "false" }.to_string());
    rule
}

/// Which pipelines exist: scheduled ones (with `schedule_name`, the name of a scheduled
/// pipeline, every rule sets `name_variable`, which `workflow:name` reads), merge requests,
/// tags, pushing branches, and other branches without an open merge request.
pub fn workflow_rules(policy: &PushPolicy, names: Option<(&'static str, String, String)>) -> Vec<Rule> {
    let mut rules = Vec::new();
    if names.is_some() {
        rules.push(kept_running(r#"$CI_PIPELINE_SOURCE == "schedule""#.to_string()));
    }
    rules.push(rule(Some(MERGE_REQUEST.to_string()), Some("always")));
    rules.extend(pushing_branches(policy).into_iter().map(kept_running));
    rules.push(rule(Some("$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS".to_string()), Some("never")));
    rules.push(rule(None, Some("always")));
    if let Some((variable, scheduled, name)) = names {
        for (i, rule) in rules.iter_mut().enumerate() {
            rule.variables.insert(variable, if i == 0 { scheduled.clone() } else { name.clone() });
        }
    }
    rules
}

/// The rules of `.pipegen:push`, first match wins: each sets `PIPEGEN_PUSH` and lets the job
/// run as it would without rules.
pub fn job_rules(policy: &PushPolicy) -> Vec<Rule> {
    let mut rules =
        vec![decide(Some(MERGE_REQUEST.to_string()), false), decide(Some("$CI_COMMIT_TAG".to_string()), policy.tags)];
    // The branches that push; a default branch that does not push is any other branch (a listed
    // pattern may still match it, as on GitHub).
    rules.extend(pushing_branches(policy).into_iter().map(|c| decide(Some(c), true)));
    let mut otherwise = decide(None, false);
    otherwise.when = Some("on_success");
    rules.push(otherwise);
    rules
}

/// A rule that never runs the job.
pub fn never() -> Rule {
    rule(None, Some("never"))
}

/// Branch conditions of the branches that push.
fn pushing_branches(policy: &PushPolicy) -> Vec<String> {
    let mut conditions = Vec::new();
    if policy.default_branch {
        conditions.push(DEFAULT_BRANCH.to_string());
    }
    conditions.extend(policy.branches.iter().map(branch_condition));
    conditions
}

/// A branch test. The model's branch patterns hold only `[A-Za-z0-9._/-]` (the schema says
/// so), so a double-quoted string needs no escape, and a regex only `.` and `/` escaped.
fn branch_condition(branch: &BranchMatch) -> String {
    match branch {
        BranchMatch::Exact(name) => format!(r#"$CI_COMMIT_BRANCH == "{name}""#),
        BranchMatch::Prefix(prefix) if prefix.is_empty() => "$CI_COMMIT_BRANCH".to_string(),
        BranchMatch::Prefix(prefix) => {
            let escaped: String = prefix
                .chars()
                .flat_map(|c| match c {
                    '.' | '/' => vec!['\\', c],
                    _ => vec![c],
                })
                .collect();
            format!("$CI_COMMIT_BRANCH =~ /^{escaped}/")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branches_become_conditions() {
        assert_eq!(branch_condition(&BranchMatch::Exact("stable".into())), r#"$CI_COMMIT_BRANCH == "stable""#);
        assert_eq!(
            branch_condition(&BranchMatch::Prefix("release/1.x".into())),
            r"$CI_COMMIT_BRANCH =~ /^release\/1\.x/"
        );
        assert_eq!(branch_condition(&BranchMatch::Prefix(String::new())), "$CI_COMMIT_BRANCH");
    }

    #[test]
    fn merge_requests_never_push_and_the_rest_does_not_by_default() {
        let rules = job_rules(&PushPolicy::default());
        assert_eq!(rules[0].variables[PUSH_VARIABLE], "false");
        assert_eq!(rules[1].variables[PUSH_VARIABLE], "true");
        assert_eq!(rules[2].variables[PUSH_VARIABLE], "true");
        let last = rules.last().unwrap();
        assert!(last.condition.is_none() && last.variables[PUSH_VARIABLE] == "false");
        let workflow = workflow_rules(&PushPolicy::default(), None);
        assert_eq!(workflow[0].when, Some("always"));
        assert_eq!(workflow[2].when, Some("never"));
    }

    /// A newer commit cancels superseded pipelines, but never one that publishes: of a pushing
    /// branch (the default one, or one the policy lists) or a scheduled refresh. GitHub's
    /// `concurrency` says the same.
    #[test]
    fn only_pipelines_that_publish_run_to_their_end() {
        let policy = PushPolicy { branches: vec![BranchMatch::Prefix("release/".into())], ..PushPolicy::default() };
        let names = Some(("PIPEGEN_PIPELINE_NAME", "m: upstream refresh".to_string(), "m".to_string()));
        let kept: Vec<Option<String>> = workflow_rules(&policy, names)
            .into_iter()
            .filter(|r| r.auto_cancel.as_ref().is_some_and(|a| a.on_new_commit == "none"))
            .map(|r| r.condition)
            .collect();
        assert_eq!(
            kept,
            [
                Some(r#"$CI_PIPELINE_SOURCE == "schedule""#.to_string()),
                Some(DEFAULT_BRANCH.to_string()),
                Some(r"$CI_COMMIT_BRANCH =~ /^release\//".to_string())
            ]
        );
        let release_only = PushPolicy { default_branch: false, ..policy };
        let kept: Vec<Option<String>> = workflow_rules(&release_only, None)
            .into_iter()
            .filter(|r| r.auto_cancel.is_some())
            .map(|r| r.condition)
            .collect();
        assert_eq!(kept, [Some(r"$CI_COMMIT_BRANCH =~ /^release\//".to_string())]);
        let nothing_published = PushPolicy { default_branch: false, ..PushPolicy::default() };
        assert!(workflow_rules(&nothing_published, None).iter().all(|r| r.auto_cancel.is_none()));
    }
}
