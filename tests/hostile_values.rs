//! Issue 9's property test at the emitters: models with hostile values in every field that
//! carries one (`hostile_values/model.rs`), and for every model pipegen emits:
//!
//! 1. both outputs mean the same to YAML 1.1 (Psych, PyYAML) and YAML 1.2;
//! 2. shellcheck finds nothing in any job script of either output;
//! 3. the jobs, run with stand-in tools (`hostile_values/sandbox.rs`) as GitLab Runner
//!    (`gitlab_run.rs`) and the GitHub runner (`github_run.rs`) would run them, never run an
//!    injected command and hand over exactly the model's values: build args to the builder,
//!    Dockerfile and context, env values to the job's script, service env, health commands and
//!    paths, cache and artifact paths.
//!
//! The short run is part of `cargo test`; `PIPEGEN_PROPTEST_CASES=N` runs N models
//! (docs/dev/fuzzing.md). The `…_bites` tests break a rendered output the way an unsafe emitter
//! would and show that the property catches it.

mod support;

#[allow(dead_code)]
#[path = "hostile_values/check.rs"]
mod check;
#[allow(dead_code)]
#[path = "conformance/corpus.rs"]
mod corpus;
#[allow(dead_code)]
#[path = "hostile_values/github_expr.rs"]
mod github_expr;
#[allow(dead_code)]
#[path = "hostile_values/github_run.rs"]
mod github_run;
#[allow(dead_code)]
#[path = "hostile_values/gitlab_run.rs"]
mod gitlab_run;
#[allow(dead_code)]
#[path = "conformance/job_scripts.rs"]
mod job_scripts;
#[allow(dead_code)]
#[path = "conformance/locate.rs"]
mod locate;
#[allow(dead_code)]
#[path = "hostile_values/model.rs"]
mod model;
#[allow(dead_code)]
#[path = "hostile_values/sandbox.rs"]
mod sandbox;

use pipegen::emit::Target;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use model::Hostile;

/// Both outputs of a model, or `None` when pipegen refuses it.
fn compile(model: &Hostile) -> Option<(String, String)> {
    let text = model.yaml();
    let loaded = pipegen::model::load("hostile.yaml", &text).ok()?;
    let plan = pipegen::plan::build(&loaded, "hostile.yaml").ok()?;
    Some((pipegen::emit::render(&plan, Target::Gitlab), pipegen::emit::render(&plan, Target::Github)))
}

/// Every property, on outputs that may have been tampered with.
fn properties(model: &Hostile, gitlab: &str, github: &str) -> Result<(), String> {
    check::same_under_yaml_1_1_and_1_2(gitlab, github).map_err(|e| format!("YAML 1.1 and 1.2 disagree: {e}"))?;
    check::shellcheck_passes(gitlab, github).map_err(|e| format!("shellcheck: {e}"))?;
    check::runs_hand_over_exact_values(model, gitlab, github)
}

/// Cases per run: a few in `cargo test`, more with `PIPEGEN_PROPTEST_CASES`.
fn cases() -> u32 {
    std::env::var("PIPEGEN_PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn hostile_values_stay_data_on_both_platforms(model in model::hostile()) {
        let Some((gitlab, github)) = compile(&model) else {
            let errors = pipegen::model::load("hostile.yaml", &model.yaml())
                .err()
                .map(|e| e.render(false))
                .unwrap_or_default();
            // The generator writes only what docs/model.md says each field accepts: a refusal
            // is a disagreement between the two (and a model no property was checked on).
            return Err(TestCaseError::fail(format!("refused:\n{errors}\n--- model ---\n{}", model.yaml())));
        };
        properties(&model, &gitlab, &github)
            .map_err(|e| TestCaseError::fail(format!("{e}\n--- model ---\n{}", model.yaml())))?;
    }
}
