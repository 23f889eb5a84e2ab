//! GitLab's names for the plan's jobs (the contract's "Job names").

use crate::plan::{BuildId, JobId};
use crate::variant::Variant;

/// The hidden job every job extends (directly or through another template): its rules set
/// `PIPEGEN_PUSH`.
pub const PUSH_TEMPLATE: &str = ".pipegen:push";
/// The hidden job every build extends.
pub const BUILD_TEMPLATE: &str = ".pipegen:build";
/// The hidden job every job with health-checked services extends.
pub const WAIT_TEMPLATE: &str = ".pipegen:wait";
/// The hidden job every cache-key job extends.
pub const CACHE_KEY_TEMPLATE: &str = ".pipegen:cache-key";
/// The dotenv report of a build job: its own tag, one variable.
pub const TAG_DOTENV: &str = "pipegen-tag.env";
/// The dotenv report of a cache-key job: its key, one variable.
pub const CACHE_KEY_DOTENV: &str = "pipegen-cache-key.env";

/// `base` + `3.2-mysql80` → `build:base:3.2-mysql80`; `build:base` without variant.
fn with_variant(mut base: String, variant: &Variant) -> String {
    if !variant.is_empty() {
        base.push(':');
        variant.push_suffix(&mut base);
    }
    base
}

pub fn build(id: &BuildId) -> String {
    let mut name = String::with_capacity(64);
    name.push_str("build:");
    name.push_str(&id.image);
    with_variant(name, &id.variant)
}

/// The hidden job a split build's platform jobs and merge job extend: `.build:<image>[:<variant>]`.
pub fn split_template(id: &BuildId) -> String {
    format!(".{}", build(id))
}

pub fn job(id: &JobId) -> String {
    match id {
        JobId::Build(id) => build(id),
        JobId::Run { job, variant } => with_variant(job.clone(), variant),
        // `@` appears in no image name or axis value, so the build's own name stays the
        // contract's and stays the prefix of its platforms' jobs.
        JobId::Platform { build: id, platform } => format!("{}@{}", build(id), platform.slug()),
    }
}

/// The job that hashes the key files of a cache that has more than `key:files` takes; past
/// GitLab's 255 characters, its start, `~` and a hash of the whole.
pub fn cache_key_job(cache: &str) -> String {
    let mut name = format!("pipegen:cache-key:{cache}");
    crate::naming::shorten_with_hash(&mut name, super::limits::MAX_JOB_NAME, '~', 8);
    name
}

/// The variable a cache-key job publishes: named after the cache's key as a build's is (shortened
/// past 100 characters), so it stays within the 255 characters of a dotenv variable's name.
pub fn cache_key_variable(cache: &str) -> String {
    format!("PIPEGEN_CACHE_KEY_{}", crate::naming::build_key(cache, &Variant::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_caches_key_job_and_variable_stay_within_gitlabs_limits() {
        let long = "c".repeat(250);
        let job = cache_key_job(&long);
        assert_eq!(job.chars().count(), super::super::limits::MAX_JOB_NAME);
        assert_ne!(job, cache_key_job(&format!("{}d", "c".repeat(249))));
        assert!(cache_key_variable(&long).len() <= 255);
        assert_ne!(cache_key_variable(&long), cache_key_variable(&format!("{}d", "c".repeat(249))));
        assert_eq!(cache_key_job("gems"), "pipegen:cache-key:gems");
        assert_eq!(cache_key_variable("go-mod"), "PIPEGEN_CACHE_KEY_GO_MOD");
    }

    #[test]
    fn names_follow_the_contract() {
        let variant = Variant::new(vec![("ruby".into(), "3.2".into()), ("flavor".into(), "mysql80".into())]);
        assert_eq!(build(&BuildId { image: "base".into(), variant: variant.clone() }), "build:base:3.2-mysql80");
        assert_eq!(build(&BuildId { image: "base".into(), variant: Variant::default() }), "build:base");
        assert_eq!(job(&JobId::Run { job: "qa".into(), variant: variant.clone() }), "qa:3.2-mysql80");
        let platform = crate::model::Platform::LinuxArm64;
        let id = BuildId { image: "base".into(), variant };
        assert_eq!(job(&JobId::Platform { build: id, platform }), "build:base:3.2-mysql80@linux-arm64");
    }
}
