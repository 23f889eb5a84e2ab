//! Issue 9's property test at the emitters: models with hostile values in every field that
//! carries one (`hostile_values/model.rs`), and for every model pipegen emits:
//!
//! 1. both outputs mean the same to YAML 1.1 (Psych, PyYAML) and YAML 1.2;
//! 2. shellcheck finds nothing in any job script of either output;
//! 3. the jobs, run with stand-in tools (`hostile_values/sandbox.rs`) as GitLab Runner
//!    (`gitlab_run.rs`) and the GitHub runner (`github_run.rs`) would run them, never run an
//!    injected command and hand over exactly the model's values: build args to the builder,
//!    Dockerfile and context, env values to the job's script, service env, health commands and
//!    paths, cache and artifact paths;
//! 4. neither file holds an invisible character raw, and jactionlint finds nothing in the
//!    workflow.
//!
//! The short run is part of `cargo test`; `PIPEGEN_PROPTEST_CASES=N` runs N models
//! (docs/dev/fuzzing.md). The `…_bites` tests break a rendered output the way an unsafe emitter
//! would and show that the property catches it.

// Needs external tools: in the full tier (scripts/test.sh), not in the offline `cargo test`.
#![cfg(feature = "external-tests")]

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
#[path = "conformance/linters.rs"]
mod linters;
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
    check::seen_and_linted(gitlab, github)?;
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

// ------------------------------------------------------------------ each property bites

/// A model with one hostile value in each kind of field, written by hand.
fn fixed() -> Hostile {
    use model::{Cache, Health, Image, Job, Service};
    Hostile {
        name: "fixed".into(),
        axis: None,
        images: vec![Image {
            name: "base".into(),
            context: Some("ctx $(pipegen-pwned)".into()),
            dockerfile: Some("ctx $(pipegen-pwned)/Docker;file.file".into()),
            inputs: vec!["in'put/**".into()],
            args: vec![(
                "A".into(),
                "x $(pipegen-pwned) `pipegen-pwned` ; \" ' $CI_JOB_TOKEN ${HOME} ${{ secrets.TOKEN }} yes\nline2"
                    .into(),
            )],
            target: Some("2024-01-01".into()),
            axis: false,
            axis_arg: false,
            parent: None,
            commit_tag: false,
        }],
        services: vec![Service {
            name: "db".into(),
            port: 5432,
            env: vec![("P".into(), "$CI_JOB_TOKEN ${HOME} $(pipegen-pwned)".into())],
            health: Health::Cmd("a b $(pipegen-pwned) \" ${{ secrets.TOKEN }}".into()),
        }],
        caches: vec![Cache {
            name: "gems".into(),
            key: "Gem $(pipegen-pwned).lock.file".into(),
            path: "vendor `pipegen-pwned`".into(),
        }],
        jobs: vec![Job {
            name: "test".into(),
            image: Some(0),
            services: vec![0],
            cache: Some(0),
            env: vec![
                ("E".into(), "2024-01-01".into()),
                ("F".into(), "$CI_JOB_TOKEN ${{ secrets.TOKEN }} $(pipegen-pwned)".into()),
                ("G".into(), "admin\u{202e}\u{2066} // not\u{2069}\u{2066}\u{200b}".into()),
            ],
            artifacts: Some("out `pipegen-pwned`;|&".into()),
        }],
    }
}

fn fixed_outputs() -> (Hostile, String, String) {
    let model = fixed();
    let (gitlab, github) = compile(&model).unwrap_or_else(|| panic!("the fixed model is refused:\n{}", model.yaml()));
    (model, gitlab, github)
}

/// `text` read, changed by `change`, written again.
fn mutated(text: &str, change: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut doc: serde_json::Value = pipegen::yaml::from_str(text).expect("YAML");
    change(&mut doc);
    pipegen::yaml::to_string(&doc).expect("writes YAML")
}

fn fails_with(result: Result<(), String>, needle: &str) {
    match result {
        Ok(()) => panic!("the broken output passes the property"),
        Err(e) => assert!(e.contains(needle), "the property fails, but not for {needle:?}:\n{e}"),
    }
}

#[test]
fn the_fixed_model_has_every_property() {
    let (model, gitlab, github) = fixed_outputs();
    if let Err(e) = properties(&model, &gitlab, &github) {
        panic!("{e}");
    }
}

/// Property 1 bites: a value written plain that YAML 1.1 reads as a date.
#[test]
fn the_yaml_property_bites() {
    let (_, gitlab, github) = fixed_outputs();
    assert!(gitlab.contains("E: '2024-01-01'"), "the date is quoted:\n{gitlab}");
    let broken = gitlab.replacen("E: '2024-01-01'", "E: 2024-01-01", 1);
    fails_with(check::same_under_yaml_1_1_and_1_2(&broken, &github), "2024-01-01");
}

/// Property 2 bites: a variable left unquoted in a script.
#[test]
fn the_shellcheck_property_bites() {
    let (_, gitlab, github) = fixed_outputs();
    assert!(gitlab.contains("--file \"$PIPEGEN_DOCKERFILE\""), "the build script quotes its Dockerfile");
    let broken = gitlab.replace("--file \"$PIPEGEN_DOCKERFILE\"", "--file $PIPEGEN_DOCKERFILE");
    fails_with(check::shellcheck_passes(&broken, &github), "SC2086");
}

/// Property 4 bites: an invisible character written raw, a literal `${{` without its comment.
#[test]
fn the_seen_and_linted_property_bites() {
    let (_, gitlab, github) = fixed_outputs();
    assert!(github.contains("G: \"admin\\u202E\\u2066 // not\\u2069\\u2066\\u200B\""), "G is escaped:\n{github}");
    let broken = gitlab.replacen("\\u202E", "\u{202e}", 1);
    fails_with(check::seen_and_linted(&broken, &github), "GitLab: line");
    let broken = github.replacen("\\u202E", "\u{202e}", 1);
    fails_with(check::seen_and_linted(&gitlab, &broken), "U+202E raw");
    assert!(github.contains("# jactionlint ignore=obfuscation\n"), "a literal `${{` has its comment:\n{github}");
    let broken = github.replace("# jactionlint ignore=obfuscation\n", "# the comment is gone\n");
    fails_with(check::seen_and_linted(&gitlab, &broken), "[obfuscation]");
}

/// Property 3 bites on GitLab: a build arg's value spliced into the job's script.
#[test]
fn the_injection_property_bites_on_gitlab() {
    let (model, gitlab, github) = fixed_outputs();
    let value = model.images[0].args[0].1.clone();
    let broken = mutated(&gitlab, |doc| {
        let mut script = doc[".pipegen:build"]["script"].as_array().expect("the build jobs' `script:`").clone();
        // The part before the quotes, which would leave the whole script unreadable to bash.
        let spliced = value.split(';').next().expect("a first part");
        script.insert(0, serde_json::json!(format!("echo {spliced}")));
        doc["build:base"]["script"] = serde_json::Value::Array(script);
    });
    fails_with(check::runs_hand_over_exact_values(&model, &broken, &github), "an injected command ran");
}

/// Property 3 bites on GitHub: a value spliced into a `run:`.
#[test]
fn the_injection_property_bites_on_github() {
    let (model, gitlab, github) = fixed_outputs();
    let broken = mutated(&github, |doc| {
        let steps = doc["jobs"]["test"]["steps"].as_array_mut().expect("steps");
        let run = steps.iter_mut().find_map(|s| s.get_mut("run")).expect("a run: step");
        *run = serde_json::json!(format!("echo out $(pipegen-pwned)\n{}", run.as_str().unwrap_or_default()));
    });
    fails_with(check::runs_hand_over_exact_values(&model, &gitlab, &broken), "an injected command ran");
    let broken = mutated(&github, |doc| {
        let steps = doc["jobs"]["test"]["steps"].as_array_mut().expect("steps");
        let run = steps.iter_mut().find_map(|s| s.get_mut("run")).expect("a run: step");
        *run = serde_json::json!(format!("echo \"${{{{ env.F }}}}\"\n{}", run.as_str().unwrap_or_default()));
    });
    fails_with(check::runs_hand_over_exact_values(&model, &gitlab, &broken), "an expression in `run:`");
}

/// Property 3 bites on exactness: a value GitLab would expand (`expand: false` dropped, a
/// service's `$$` undone), a GitHub expression left live (the `${{ '${{' }}` escape undone), a
/// health command's quotes left to the runner's split, a build arg split on newlines by a missing
/// pair of quotes.
#[test]
fn the_exact_values_property_bites() {
    let (model, gitlab, github) = fixed_outputs();
    let broken = mutated(&gitlab, |doc| {
        let f = &mut doc["test"]["variables"]["F"];
        assert_eq!(f["expand"], serde_json::json!(false), "F is kept from expansion: {f}");
        *f = f["value"].clone();
    });
    fails_with(check::runs_hand_over_exact_values(&model, &broken, &github), "expanded-ci-job-token");

    let broken = mutated(&gitlab, |doc| {
        let p = &mut doc["test"]["services"][0]["variables"]["P"];
        assert!(p.as_str().is_some_and(|p| p.contains("$$CI_JOB_TOKEN")), "the service's `$` is doubled: {p}");
        *p = serde_json::json!(p.as_str().unwrap_or_default().replace("$$", "$"));
    });
    fails_with(check::runs_hand_over_exact_values(&model, &broken, &github), "GitLab: service `db`: P is");

    assert!(github.contains("${{ '${{' }}"), "GitHub's expressions in values are escaped");
    let broken = github.replace("${{ '${{' }}", "${{");
    fails_with(
        check::runs_hand_over_exact_values(&model, &gitlab, &broken),
        "GitHub: image `base` is built with other build args",
    );

    // The runner's .NET split of `options:` would cut the health command at its quotes.
    let broken = mutated(&github, |doc| {
        let options = &mut doc["jobs"]["test"]["services"]["db"]["options"];
        let text = options.as_str().expect("the service has options").to_string();
        assert!(text.contains("\\\""), "the health command's quotes are escaped: {text}");
        *options = serde_json::json!(text.replace("\\\"", "\""));
    });
    fails_with(check::runs_hand_over_exact_values(&model, &gitlab, &broken), "the health command of `db`");

    let quoted = "--build-arg \"$pipegen_name=$pipegen_value\"";
    assert!(gitlab.contains(quoted), "the build script quotes its build args");
    let broken = gitlab.replace(quoted, "--build-arg $pipegen_name=$pipegen_value");
    fails_with(
        check::runs_hand_over_exact_values(&model, &broken, &github),
        "GitLab: image `base` is built with other build args",
    );
}

/// Cache keys and paths and artifact paths are read as globs (`@actions/glob` on GitHub: blanks
/// trimmed, `#` a comment, `!` an exclusion, `~` the home directory; `\` an escape on both
/// platforms): written so, they would name other files than the model's, so they are refused,
/// each where it is written, with the reason.
#[test]
fn paths_that_globs_read_otherwise_are_refused() {
    for bad in ["#notes", "!keep", "~cache", " vendor", "vendor ", "a\\b", "\u{3000}lead"] {
        let text = format!(
            "pipegen: 1\nname: p\nregistry: r.example.com/p\ncaches:\n  c: {{ key: [{bad}], paths: [{bad}] }}\njobs:\n  j: {{ caches: [c], script: [x], artifacts: {{ paths: [{bad}] }} }}\n",
            bad = support::model_gen::escaped(bad),
        );
        let errors = pipegen::model::load("p.yaml", &text).expect_err(bad);
        let report = errors.render(false);
        for (at, line) in [("caches.c.key[0]", 5), ("caches.c.paths[0]", 5), ("jobs.j.artifacts.paths[0]", 7)] {
            assert!(report.contains(&format!("at {at}\n")), "{bad:?}: no error at {at}:\n{report}");
            assert!(report.contains(&format!("p.yaml:{line}:")), "{bad:?}: not located on line {line}:\n{report}");
        }
        assert!(report.contains("read this path as a glob"), "{bad:?}: the reason is not given:\n{report}");
    }
}
