//! The loader under libFuzzer: every input is compiled as `pipegen emit` compiles a model (load,
//! plan, render both platforms) or refused with errors that are all located inside the file and
//! printable. A panic, a hang or a sanitizer report is a finding.
//!
//! The first byte chooses what the rest is: raw bytes as a model file, or the seed of a generated
//! model (`tests/support/model_gen.rs`, the property tests' generator), which reaches the
//! semantic checks far more often than raw bytes do.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/model_gen.rs"]
mod model_gen;

fuzz_target!(|data: &[u8]| {
    let (mode, rest) = data.split_first().map_or((0, &[][..]), |(m, r)| (*m, r));
    let text: Vec<u8> = if mode & 1 == 1 { rest.to_vec() } else { model_gen::model(rest).into_bytes() };
    match pipegen::model::load_bytes("m.yaml", &text) {
        Ok(loaded) => match pipegen::plan::build(&loaded, "m.yaml") {
            Ok(plan) => {
                for target in pipegen::emit::Target::ALL {
                    let _ = pipegen::emit::render(&plan, target);
                }
            }
            Err(errors) => located(&errors, &text),
        },
        Err(errors) => located(&errors, &text),
    }
});

fn located(errors: &pipegen::model::ModelErrors, text: &[u8]) {
    assert!(!errors.diagnostics.is_empty(), "refused without a reason");
    let lines = String::from_utf8_lossy(text).split_inclusive(['\n', '\r']).count().max(1);
    for i in 0..errors.diagnostics.len() {
        let at = errors.location(i);
        assert!(at.line >= 1 && at.line <= lines + 1 && at.column >= 1, "{} outside the file: {at:?}", errors.diagnostics[i].code);
    }
    let report = errors.render(false);
    assert!(!report.chars().any(|c| c.is_control() && c != '\n'), "raw control character in:\n{report}");
}
