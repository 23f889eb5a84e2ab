//! Properties of the loader over generated models (`support::model_gen`): whatever a model
//! holds, pipegen compiles it or refuses it with exit 2, never panics, and locates every error
//! it reports (line and column inside the file), with no raw control character in the report.
//!
//! `cargo test` runs a short round. The long run (docs/dev/fuzzing.md) is the same test with
//! more cases: `PROPTEST_CASES=200000 cargo test --release --test properties`.

mod support;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// What `pipegen emit` does with a model file, without the file: load, plan, render both.
fn compile(name: &str, bytes: &[u8]) -> Result<(String, String), pipegen::model::ModelErrors> {
    let loaded = pipegen::model::load_bytes(name, bytes)?;
    let plan = pipegen::plan::build(&loaded, name)?;
    Ok((
        pipegen::emit::render(&plan, pipegen::emit::Target::Gitlab),
        pipegen::emit::render(&plan, pipegen::emit::Target::Github),
    ))
}

/// The property for one model: compiled, or refused with every error located and printable.
fn compiled_or_located(bytes: &[u8]) -> Result<bool, TestCaseError> {
    let Err(errors) = compile("m.yaml", bytes) else { return Ok(true) };
    let lines = String::from_utf8_lossy(bytes).split_inclusive(['\n', '\r']).count().max(1);
    prop_assert!(!errors.diagnostics.is_empty(), "refused without a reason");
    for i in 0..errors.diagnostics.len() {
        let at = errors.location(i);
        prop_assert!(
            at.line >= 1 && at.line <= lines + 1 && at.column >= 1,
            "{} at {}:{} is outside the file ({lines} lines)",
            errors.diagnostics[i].code,
            at.line,
            at.column
        );
    }
    let report = errors.render(false);
    let headers = report.lines().filter(|l| l.starts_with("m.yaml:") && l.contains(": error[")).count();
    prop_assert_eq!(headers, errors.diagnostics.len(), "one located header per error:\n{}", report);
    let raw: Vec<char> = report.chars().filter(|c| c.is_control() && *c != '\n').collect();
    prop_assert!(raw.is_empty(), "raw {:?} in the report:\n{}", raw, report);
    Ok(false)
}

/// `default` cases (a few seconds in a debug build), or `PROPTEST_CASES` for the long run.
fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(default);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn generated_models_compile_or_are_refused_with_located_errors(bytes in prop::collection::vec(any::<u8>(), 0..800)) {
        let text = support::model_gen::model(&bytes);
        compiled_or_located(text.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}\n--- model ---\n{text}")))?;
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn raw_bytes_compile_or_are_refused_with_located_errors(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        compiled_or_located(&bytes)?;
    }
}

/// The generator is not vacuous: short inputs give valid models, longer ones refused ones.
#[test]
fn the_generator_reaches_both_outcomes() {
    let mut compiled = 0;
    let mut refused = 0;
    let mut state: u32 = 1;
    for length in (0..400).step_by(4) {
        let bytes: Vec<u8> = (0..length)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect();
        match compile("m.yaml", support::model_gen::model(&bytes).as_bytes()) {
            Ok(_) => compiled += 1,
            Err(_) => refused += 1,
        }
    }
    assert!(compiled >= 10 && refused >= 10, "compiled {compiled}, refused {refused}");
    // Escaped scalars carry any character.
    let value = "a\0b\u{1b}\"\\\u{2028}é";
    let back: String = pipegen::yaml::from_str(&support::model_gen::escaped(value)).expect("YAML");
    assert_eq!(back, value);
}

/// The real binary on a few generated models: exit 0 or 2, never a panic (101).
#[test]
fn the_binary_exits_0_or_2_on_generated_models() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut state: u32 = 7;
    for length in (0..600).step_by(25) {
        let bytes: Vec<u8> = (0..length)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect();
        let text = support::model_gen::model(&bytes);
        std::fs::write(dir.path().join("m.yaml"), &text).expect("write");
        let (code, _, stderr) = support::pipegen_in(dir.path(), &["emit", "--target", "gitlab", "--model", "m.yaml"]);
        assert!(code == 0 || code == 2, "exit {code}:\n{stderr}\n--- model ---\n{text}");
        if code == 2 {
            assert!(stderr.starts_with("m.yaml:") || stderr.starts_with("error: "), "{stderr}");
        }
    }
}
