//! GitHub's ids and display names for the plan's jobs.

use crate::plan::JobId;

/// The name a job shows: the GitLab-style name (`build:base:3.2`), the same on both platforms.
pub fn display(id: &JobId) -> String {
    crate::emit::gitlab::names::job(id)
}

/// The job id: GitHub ids allow letters, digits, `_` and `-`, so `:` becomes `_` (model names
/// never contain `_`), the `@` before a platform `__` (no other name has two `_` in a row) and
/// other characters `-`: `build:base:3.2` → `build_base_3-2`, `build:base@linux-arm64` →
/// `build_base__linux-arm64`.
pub fn id(job: &JobId) -> String {
    let display = display(job);
    if display.is_ascii() && !display.contains('@') {
        // One byte for one byte: the name is rewritten where it is (the limit checks ask for
        // the id of every job).
        let mut bytes = display.into_bytes();
        for byte in &mut bytes {
            *byte = match *byte {
                b':' => b'_',
                b if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' => b,
                _ => b'-',
            };
        }
        return String::from_utf8(bytes).expect("ASCII stays ASCII");
    }
    let mut out = String::with_capacity(display.len() + 2);
    for c in display.chars() {
        match c {
            ':' => out.push('_'),
            '@' => out.push_str("__"),
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' => out.push(c),
            _ => out.push('-'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::BuildId;
    use crate::variant::Variant;

    #[test]
    fn ids_replace_what_github_does_not_allow() {
        let variant = Variant::new(vec![("ruby".into(), "3.2".into()), ("flavor".into(), "mysql80".into())]);
        let build = BuildId { image: "base".into(), variant };
        assert_eq!(id(&JobId::Build(build.clone())), "build_base_3-2-mysql80");
        let platform = crate::model::Platform::parse("linux/arm64").expect("a platform");
        assert_eq!(id(&JobId::Platform { build, platform }), "build_base_3-2-mysql80__linux-arm64");
        let unicode = Variant::new(vec![("locale".into(), "zh-漢".into())]);
        assert_eq!(id(&JobId::Run { job: "qa".into(), variant: unicode }), "qa_zh--");
    }
}
