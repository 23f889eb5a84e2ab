//! YAML anchors for what every build job repeats: GitHub reads anchors and aliases in workflows
//! (since September 2025; merge keys are refused, so only whole nodes are shared), and so do act,
//! jactionlint and zizmor. The first build job's steps carry the anchor, the others alias them.
//!
//! serde cannot write anchors: the anchor is serialized as a pseudo-key right before the key it
//! concerns and the alias as the string `*<name>`; [`write_anchors`] turns both into YAML.

/// The anchor of the steps that every build job without image caches runs.
pub const BUILD_STEPS: &str = "pipegen-build-steps";

/// The anchor of the steps of build jobs without image caches and with `parents` parents (they
/// restore their parents' local images by position).
pub fn build_steps(parents: usize) -> String {
    if parents == 0 { BUILD_STEPS.to_string() } else { format!("{BUILD_STEPS}-{parents}") }
}

const KEY: &str = "__pipegen_anchor__: ";

/// The value an alias serializes to before [`write_anchors`].
pub fn alias(name: &str) -> String {
    format!("*{name}")
}

/// Move each anchor pseudo-key onto the next line as `&<name>`, and unquote aliases.
pub(super) fn write_anchors(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending: Option<&str> = None;
    let quoted_alias = format!(": '*{BUILD_STEPS}");
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(name) = trimmed.strip_prefix(KEY) {
            pending = Some(name);
            continue;
        }
        // `key: '*pipegen-build-steps[-<n>]'` → `key: *pipegen-build-steps[-<n>]`.
        let alias = line.strip_suffix('\'').and_then(|l| l.rsplit_once(quoted_alias.as_str())).filter(|(_, rest)| {
            rest.is_empty() || rest.strip_prefix('-').is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        });
        match alias {
            Some((key, rest)) => {
                out.push_str(key);
                out.push_str(": *");
                out.push_str(BUILD_STEPS);
                out.push_str(rest);
            }
            None => out.push_str(line),
        }
        if let Some(name) = pending.take() {
            out.push_str(" &");
            out.push_str(name);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_and_aliases_become_yaml() {
        let text = format!("a:\n  {KEY}{BUILD_STEPS}\n  steps:\n  - x\nb:\n  steps: '*{BUILD_STEPS}'\n");
        let written = write_anchors(&text);
        assert_eq!(written, format!("a:\n  steps: &{BUILD_STEPS}\n  - x\nb:\n  steps: *{BUILD_STEPS}\n"));
        let value: crate::yaml::Value = crate::yaml::from_str(&written).unwrap();
        assert_eq!(value["a"]["steps"], value["b"]["steps"]);
        let two = build_steps(2);
        let text = format!("a:\n  {KEY}{two}\n  steps:\n  - x\nb:\n  steps: '*{two}'\n");
        assert_eq!(write_anchors(&text), format!("a:\n  steps: &{two}\n  - x\nb:\n  steps: *{two}\n"));
    }
}
