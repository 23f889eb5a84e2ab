//! Names pipegen derives from the model, in one place so both platforms and `pipegen tags`
//! agree: build arguments, job names, variables and output keys.

use crate::variant::Variant;

/// The build argument that carries a parent's reference: `gitaly-deps` → `GITALY_DEPS_IMAGE`.
pub fn parent_arg(parent: &str) -> String {
    format!("{}_IMAGE", upper_identifier(parent))
}

/// `GITALY-DEPS` → `GITALY_DEPS`: uppercase, every other character `_`.
pub fn upper_identifier(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

/// `gitaly-deps`, `3.2` → `gitaly_deps__3_2`: a key for one build of an image, usable in
/// variable names (uppercased) and GitHub output names.
pub fn build_key(image: &str, variant: &Variant) -> String {
    let mut parts = vec![image.to_string()];
    parts.extend(variant.pairs().iter().map(|(_, v)| v.clone()));
    parts
        .iter()
        .map(|p| {
            p.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("__")
}

/// How messages name one build or run: `base`, or `base [ruby=3.2]` for a variant.
pub fn label(name: &str, variant: &Variant) -> String {
    if variant.is_empty() { name.to_string() } else { format!("{name} [{}]", variant.describe()) }
}

/// The GitLab name of a job: `build:<image>[:<values>]`, `<job>[:<values>]`.
pub fn gitlab_job_name(base: &str, variant: &Variant) -> String {
    if variant.is_empty() { base.to_string() } else { format!("{base}:{}", variant.suffix()) }
}

/// The GitHub id of a job with GitLab name `name`: GitHub ids allow letters, digits, `_` and `-`,
/// so `:` becomes `_` (model names never contain `_`) and other characters `-`.
pub fn github_job_id(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            ':' => '_',
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' => c,
            _ => '-',
        })
        .collect()
}

/// The variable (GitLab dotenv) holding a build's tag.
pub fn tag_variable(key: &str) -> String {
    format!("PIPEGEN_TAG_{}", upper_identifier(key))
}

/// The variable holding a computed cache key (caches with more key files than GitLab hashes).
pub fn cache_key_variable(prefix: &str) -> String {
    format!("PIPEGEN_CACHE_KEY_{}", upper_identifier(prefix))
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
    fn job_names_carry_variant_values_in_axis_order() {
        let variant = v(&[("ruby", "3.2"), ("flavor", "mysql80")]);
        assert_eq!(gitlab_job_name("build:base", &variant), "build:base:3.2-mysql80");
        assert_eq!(gitlab_job_name("build:base", &Variant::default()), "build:base");
        assert_eq!(github_job_id("build:base:3.2-mysql80"), "build_base_3-2-mysql80");
    }

    #[test]
    fn keys_and_variables_are_identifiers() {
        let key = build_key("gitaly-deps", &v(&[("ruby", "3.2")]));
        assert_eq!(key, "gitaly_deps__3_2");
        assert_eq!(tag_variable(&key), "PIPEGEN_TAG_GITALY_DEPS__3_2");
    }
}
