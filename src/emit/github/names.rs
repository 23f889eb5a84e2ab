//! GitHub's ids and display names for the plan's jobs.

use crate::plan::JobId;

/// The name a job shows: the GitLab-style name (`build:base:3.2`), the same on both platforms.
pub fn display(id: &JobId) -> String {
    crate::emit::gitlab::names::job(id)
}

/// GitHub cuts a check run's name at this many characters (and the name of a matrix job is its
/// job's name with ` (<value>)` after it): a cut name no longer matches a required status check
/// that names the job, and two names equal in their first 97 characters become one.
pub const MAX_CHECK_NAME: usize = 100;
/// How many hex digits of the whole name's SHA-256 end a shortened one.
const NAME_HASH_LEN: usize = 8;

/// The `name:` of a job: [`display`], or when GitHub would cut it (see [`MAX_CHECK_NAME`]; a
/// job of `shards` shards shows ` (N)` after it), its start, `~` and a hash of the whole, so
/// that every job's check run keeps a name of its own, the one written in the workflow.
pub fn job_name(id: &JobId, shards: Option<u32>) -> String {
    let mut name = display(id);
    let budget = MAX_CHECK_NAME - shards.map_or(0, |n| " ()".len() + n.to_string().len());
    crate::naming::shorten_with_hash(&mut name, budget, '~', NAME_HASH_LEN);
    name
}

/// GitHub refuses a workflow with an id of this many characters or more ("IDs must be less than
/// 100 characters").
pub const MAX_ID: usize = 100;

/// The job id: GitHub ids allow letters, digits, `_` and `-`, so `:` becomes `_` (model names
/// never contain `_`), the `@` before a platform `__` (no other name has two `_` in a row) and
/// other characters `-`: `build:base:3.2` → `build_base_3-2`, `build:base@linux-arm64` →
/// `build_base__linux-arm64`. An id of [`MAX_ID`] characters or more keeps its start and ends in
/// `-` and a hash of the whole (ids are the workflow's own: only `needs` and outputs read them).
pub fn id(job: &JobId) -> String {
    let mut id = unshortened_id(job);
    crate::naming::shorten_with_hash(&mut id, MAX_ID - 1, '-', NAME_HASH_LEN);
    id
}

fn unshortened_id(job: &JobId) -> String {
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
    fn names_github_would_cut_are_shortened_and_stay_apart() {
        let short = JobId::Run { job: "test".into(), variant: Variant::new(vec![("v".into(), "1".into())]) };
        assert_eq!(job_name(&short, None), "test:1");
        assert_eq!(job_name(&short, Some(200)), "test:1");
        let value = |v: &str| Variant::new(vec![("v".into(), v.into())]);
        let long = |v: &str| JobId::Run { job: "t".repeat(60), variant: value(v) };
        // 60 + 1 + 39 = 100 characters fit; one more does not.
        let fits = long(&"a".repeat(39));
        assert_eq!(job_name(&fits, None), display(&fits));
        let one = job_name(&long(&format!("{}1", "a".repeat(39))), None);
        let other = job_name(&long(&format!("{}2", "a".repeat(39))), None);
        assert_eq!(one.chars().count(), MAX_CHECK_NAME);
        assert_ne!(one, other);
        assert!(one.starts_with(&"t".repeat(60)), "{one}");
        // A job of 200 shards shows ` (200)` after its name: six characters fewer.
        assert_eq!(job_name(&fits, Some(200)).chars().count(), MAX_CHECK_NAME - 6);
    }

    #[test]
    fn ids_github_would_refuse_for_their_length_are_shortened_and_stay_apart() {
        let value = |v: &str| Variant::new(vec![("v".into(), v.into())]);
        let long = |v: &str| JobId::Run { job: "t".repeat(60), variant: value(v) };
        // 60 + 1 + 38 = 99 characters: the longest id GitHub takes.
        let fits = long(&"a".repeat(38));
        assert_eq!(id(&fits), format!("{}_{}", "t".repeat(60), "a".repeat(38)));
        let one = id(&long(&format!("{}1", "a".repeat(38))));
        let other = id(&long(&format!("{}2", "a".repeat(38))));
        assert_eq!(one.len(), MAX_ID - 1);
        assert_ne!(one, other);
        assert!(one.starts_with(&"t".repeat(60)), "{one}");
        assert!(one.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'), "{one}");
        assert_eq!(job_name(&fits, Some(200)), job_name(&fits, Some(200)));
    }

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
