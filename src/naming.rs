//! Names pipegen derives from the model that every platform shares: build arguments, build keys
//! and the variables named after them. Each backend names its jobs itself (`emit/<backend>/`).

use crate::model::Platform;
use crate::variant::Variant;

/// The build argument that carries a parent's reference: `gitaly-deps` → `GITALY_DEPS_IMAGE`.
pub fn parent_arg(parent: &str) -> String {
    format!("{}_IMAGE", upper_identifier(parent))
}

/// `GITALY-DEPS` → `GITALY_DEPS`: uppercase, every other character `_`.
pub fn upper_identifier(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_upper_identifier(&mut out, text);
    out
}

/// [`upper_identifier`], written at the end of `out`.
fn push_upper_identifier(out: &mut String, text: &str) {
    out.extend(text.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }));
}

/// The longest build key. Names made of it stay within every limit they meet: a registry tag
/// (BuildKit's cache tag `<key>-<platform>`, 128), a GitLab variable name
/// (`PIPEGEN_DIGEST_<key>__<platform>`, 255), a file name (`<key>=<tag>.tar`, 255).
pub const MAX_KEY_LEN: usize = 100;
/// How many hex digits of the full key's SHA-256 end a shortened key.
const KEY_HASH_LEN: usize = 16;

/// `gitaly-deps`, `3.2` → `GITALY_DEPS__3_2`: a key for one build of an image, usable in
/// variable names and registry tags. A key longer than [`MAX_KEY_LEN`] keeps its start and
/// ends with `_` and a hash of the whole, so it stays one build's alone.
pub fn build_key(image: &str, variant: &Variant) -> String {
    // Written in place: planning makes one for every build.
    let mut key = String::with_capacity(image.len() + variant.pairs().iter().map(|(_, v)| v.len() + 2).sum::<usize>());
    push_upper_identifier(&mut key, image);
    for (_, value) in variant.pairs() {
        key.push_str("__");
        push_upper_identifier(&mut key, value);
    }
    if shorten_with_hash(&mut key, MAX_KEY_LEN, '_', KEY_HASH_LEN) {
        // The hash in upper case like the rest of the key.
        key.make_ascii_uppercase();
    }
    key
}

/// The longest cache key prefix (`<cache>@<stage>+<value>…`). The keys made of it stay within
/// what both platforms take: GitHub's `actions/cache` refuses a key over 512 characters
/// (`<prefix>~<64 hex digits>`), and GitLab Runner keeps each cache under a directory named by
/// its key (`<prefix>-<64 hex digits>`, `<prefix>-latest`), whose name may have 255 bytes.
pub const MAX_CACHE_PREFIX_LEN: usize = 128;

/// `gems`, `test`, `3.2` → `gems@test+3.2`: the start of every key of one cache in one stage
/// and variant, so that stages and variants never share a cache. A job that builds for a named
/// platform adds it after a second `@` (`gems@test+3.2@linux-arm64`): what a build leaves in its
/// cache mounts (compiled objects, wheels) is that architecture's, so platforms never share a
/// cache either, and no cache, stage or value holds the `@`. A prefix longer than
/// [`MAX_CACHE_PREFIX_LEN`] keeps its start and ends with `~` and a hash of the whole (no
/// prefix written in full holds a `~`), so it stays that cache's, stage's, variant's and
/// platform's alone.
pub fn cache_prefix(cache: &str, stage: &str, variant: &Variant, platform: Option<Platform>) -> String {
    let values: usize = variant.pairs().iter().map(|(_, v)| v.len() + 1).sum();
    let platform = platform.map(Platform::slug);
    let mut prefix =
        String::with_capacity(cache.len() + 1 + stage.len() + values + platform.as_ref().map_or(0, |p| p.len() + 1));
    prefix.push_str(cache);
    prefix.push('@');
    prefix.push_str(stage);
    for (_, value) in variant.pairs() {
        prefix.push('+');
        prefix.push_str(value);
    }
    if let Some(platform) = platform {
        prefix.push('@');
        prefix.push_str(&platform);
    }
    shorten_with_hash(&mut prefix, MAX_CACHE_PREFIX_LEN, '~', KEY_HASH_LEN);
    prefix
}

/// Keep `name` to at most `max` characters: a longer one becomes its start, `separator` and
/// the first `hash_digits` hex digits of the SHA-256 of the whole, so that names shortened
/// alike stay apart and each is the same in every run. Whether it was shortened.
pub fn shorten_with_hash(name: &mut String, max: usize, separator: char, hash_digits: usize) -> bool {
    if name.chars().count() <= max {
        return false;
    }
    use sha2::Digest as _;
    let hash = format!("{:x}", sha2::Sha256::digest(name.as_bytes()));
    let keep = name.char_indices().nth(max - 1 - hash_digits).map_or(name.len(), |(at, _)| at);
    name.truncate(keep);
    name.push(separator);
    name.push_str(&hash[..hash_digits]);
    true
}

/// How messages name one build or run: `base`, or `base [ruby=3.2]` for a variant.
pub fn label(name: &str, variant: &Variant) -> String {
    if variant.is_empty() { name.to_string() } else { format!("{name} [{}]", variant.describe()) }
}

/// GitHub: the variable holding a build's tag in the build jobs that need it (the reference is
/// the run's registry's: a run that does not push names its local images so too).
pub fn tag_variable(key: &str) -> String {
    format!("PIPEGEN_TAG_{}", upper_identifier(key))
}

/// GitLab: the variable holding a build's full reference in the jobs that need it: the registry's, or
/// in a pipeline that does not push, wherever that pipeline keeps the image.
pub fn ref_variable(key: &str) -> String {
    format!("PIPEGEN_REF_{}", upper_identifier(key))
}

/// The variable holding the digest one platform's job pushed, in the job that merges them:
/// `PIPEGEN_DIGEST_BASE__LINUX_ARM64`.
pub fn digest_variable(key: &str, platform: crate::model::Platform) -> String {
    format!("PIPEGEN_DIGEST_{}__{}", upper_identifier(key), upper_identifier(platform.name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(pairs: &[(&str, &str)]) -> Variant {
        Variant::new(pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect())
    }

    #[test]
    fn parent_args_follow_the_contract() {
        assert_eq!(parent_arg("base"), "BASE_IMAGE");
        assert_eq!(parent_arg("gitaly-deps"), "GITALY_DEPS_IMAGE");
    }

    #[test]
    fn keys_and_variables_are_identifiers() {
        let key = build_key("gitaly-deps", &v(&[("ruby", "3.2")]));
        assert_eq!(key, "GITALY_DEPS__3_2");
        assert_eq!(ref_variable(&key), "PIPEGEN_REF_GITALY_DEPS__3_2");
    }

    #[test]
    fn cache_prefixes_name_the_cache_stage_and_variant_and_stay_short() {
        assert_eq!(cache_prefix("gems", "test", &v(&[]), None), "gems@test");
        assert_eq!(cache_prefix("gems", "test", &v(&[("ruby", "3.2"), ("db", "pg")]), None), "gems@test+3.2+pg");
        let fits = "c".repeat(MAX_CACHE_PREFIX_LEN - "@s".len());
        assert_eq!(cache_prefix(&fits, "s", &v(&[]), None).len(), MAX_CACHE_PREFIX_LEN);
        let long = "c".repeat(300);
        let one = cache_prefix(&long, "test", &v(&[("x", "1")]), None);
        let other = cache_prefix(&long, "test", &v(&[("x", "2")]), None);
        assert_eq!(one.chars().count(), MAX_CACHE_PREFIX_LEN);
        assert_eq!(other.chars().count(), MAX_CACHE_PREFIX_LEN);
        assert_ne!(one, other, "shortened prefixes of different variants stay apart");
        assert!(one.starts_with("ccc") && one.contains('~'), "{one}");
    }

    #[test]
    fn cache_prefixes_of_a_platform_name_it_and_stay_apart_when_shortened() {
        let arm = Some(Platform::LinuxArm64);
        assert_eq!(cache_prefix("apt", "build", &v(&[("pg", "16.9")]), arm), "apt@build+16.9@linux-arm64");
        assert_eq!(cache_prefix("apt", "build", &v(&[]), Some(Platform::LinuxArmV7)), "apt@build@linux-arm-v7");
        let long = "c".repeat(300);
        let amd = cache_prefix(&long, "build", &v(&[]), Some(Platform::LinuxAmd64));
        let arm = cache_prefix(&long, "build", &v(&[]), arm);
        assert_eq!(amd.chars().count(), MAX_CACHE_PREFIX_LEN);
        assert_ne!(amd, arm, "shortened prefixes of different platforms stay apart");
        assert_ne!(amd, cache_prefix(&long, "build", &v(&[]), None));
    }

    #[test]
    fn long_keys_are_shortened_and_stay_apart() {
        let fits = "a".repeat(MAX_KEY_LEN);
        assert_eq!(build_key(&fits, &v(&[])), fits.to_uppercase());
        let long = "a".repeat(MAX_KEY_LEN - 10);
        let one = build_key(&long, &v(&[("x", &"1".repeat(20))]));
        let other = build_key(&long, &v(&[("x", &"2".repeat(20))]));
        assert_eq!(one.len(), MAX_KEY_LEN);
        assert_eq!(other.len(), MAX_KEY_LEN);
        assert_ne!(one, other);
        assert!(one.starts_with(&long.to_uppercase()[..MAX_KEY_LEN - 1 - KEY_HASH_LEN]));
        assert!(one.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'), "{one}");
        // The same build gets the same key in every run.
        assert_eq!(one, build_key(&long, &v(&[("x", &"1".repeat(20))])));
    }
}
