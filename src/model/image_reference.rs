//! Whether an external image reference (`postgres:16.4`, `ghcr.io/o/i@sha256:…`) is one the
//! registries' reference grammar takes (the OCI distribution spec, as docker's `reference`
//! package reads it). The schema's pattern only limits the characters; a reference such as
//! `postgres:` (no tag), `x:1:2`, `a..b:1` or `x@sha256:zz` passes it and would fail only when a
//! job pulls it.

/// An image reference, split as Docker splits one (`[registry/]path[:tag][@digest]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// `quay.io`, `registry.example.com:5000`, `localhost`: a first component with a `.` or a
    /// `:`, or `localhost`, as Docker decides.
    pub registry: Option<&'a str>,
    /// The repository path without registry: `jupyter/base-notebook`, `ros`.
    pub path: &'a str,
    pub tag: Option<&'a str>,
    /// `sha256:…`.
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    pub fn parse(text: &'a str) -> Self {
        let (named, digest) = match text.split_once('@') {
            Some((named, digest)) => (named, Some(digest)),
            None => (text, None),
        };
        let (registry, rest) = match named.split_once('/') {
            Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (Some(first), rest),
            _ => (None, named),
        };
        // A tag is what follows the last `:` of the last path component.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (path, tag) = match rest[last_slash..].rfind(':') {
            Some(at) => (&rest[..last_slash + at], Some(&rest[last_slash + at + 1..])),
            None => (rest, None),
        };
        ImageRef { registry, path, tag, digest }
    }
}

/// Why `reference` is not a valid reference, if it is not.
pub fn problem(reference: &str) -> Option<String> {
    let parsed = ImageRef::parse(reference);
    if let Some(why) = parsed.digest.and_then(digest_problem) {
        return Some(why);
    }
    if let Some(why) = parsed.tag.and_then(tag_problem) {
        return Some(why);
    }
    if let Some(why) = parsed.registry.and_then(host_problem) {
        return Some(why);
    }
    parsed.path.split('/').find(|c| !path_component_ok(c)).map(|component| {
        format!(
            "`{component}` is not a repository name component: lowercase letters and digits, separated by one `.`, one or two `_`, or dashes"
        )
    })
}

fn digest_problem(digest: &str) -> Option<String> {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return Some(format!("the digest `{digest}` is not `<algorithm>:<hex>`, e.g. `sha256:` and 64 hex digits"));
    };
    let algorithm_ok = !algorithm.is_empty()
        && algorithm
            .split(['+', '.', '_', '-'])
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    let hex_ok = hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let sha256_ok = algorithm != "sha256" || hex.len() == 64;
    if !(algorithm_ok && hex_ok && sha256_ok) {
        return Some(format!("the digest `{digest}` is not `<algorithm>:<hex>`, e.g. `sha256:` and 64 hex digits"));
    }
    None
}

fn tag_problem(tag: &str) -> Option<String> {
    let mut bytes = tag.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
    let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
    if tag.is_empty() {
        Some("the tag after `:` is empty".to_string())
    } else if !(first_ok && rest_ok) || tag.len() > 128 {
        Some(format!(
            "the tag `{tag}` is not a tag: letters, digits, `_`, `.` and `-`, starting with a letter, digit or `_`, at most 128"
        ))
    } else {
        None
    }
}

/// Why `registry` (`host[:port][/path]`, where images are pushed as `<registry>/<image>:<tag>`)
/// is not one, if it is not: its host as [`host_problem`] says, and each path component as a
/// repository name's, since every pushed reference carries them (`reg.io/a..b` makes every
/// push fail).
pub fn registry_problem(registry: &str) -> Option<String> {
    let mut parts = registry.split('/');
    if let Some(why) = host_problem(parts.next().unwrap_or_default()) {
        return Some(why);
    }
    parts.find(|c| !path_component_ok(c)).map(|component| {
        format!(
            "`{component}` is not a repository name component: lowercase letters and digits, separated by one `.`, one or two `_`, or dashes"
        )
    })
}

/// The form a registry must take when it is a public registry that refuses pushes outside an
/// owner's namespace and `registry` names only its host (`ghcr.io`: `ghcr.io/base` would be the
/// user `base`'s): `ghcr.io/<owner>`. `None` for a registry with a path, or another host (a
/// private registry may take images at its root).
pub fn namespace_needed(registry: &str) -> Option<String> {
    let host = registry.split_once('/').map_or(registry, |(host, path)| if path.is_empty() { host } else { "" });
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    let form = match name {
        "ghcr.io" | "docker.pkg.github.com" => "<owner>",
        "docker.io" | "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" | "quay.io" => {
            "<namespace>"
        }
        "registry.gitlab.com" => "<group>/<project>",
        "public.ecr.aws" => "<alias>",
        "gcr.io" => "<project>",
        _ if name.ends_with(".gcr.io") => "<project>",
        _ if name.ends_with("-docker.pkg.dev") => "<project>/<repository>",
        _ => return None,
    };
    Some(format!("{host}/{form}"))
}

/// `host[:port]`: labels of letters, digits and inner dashes, separated by `.`; a port from 1 to
/// 65535.
pub fn host_problem(host: &str) -> Option<String> {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let label_ok = |label: &str| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if !name.split('.').all(label_ok) {
        return Some(format!(
            "`{name}` is not a host name: labels of letters, digits and inner dashes, separated by single dots"
        ));
    }
    if let Some(port) = port
        && !port.parse::<u16>().is_ok_and(|p| p > 0 && port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some(format!("`{port}` is not a port: a number from 1 to 65535"));
    }
    None
}

fn path_component_ok(component: &str) -> bool {
    // [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let ok = separator == "." || separator == "_" || separator == "__" || separator.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::{namespace_needed, problem, registry_problem};
    use crate::model::patterns;

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// Editors check references with the schema's pattern: it takes exactly what `validate`
    /// takes, among texts of the schema's character set.
    #[test]
    fn the_schema_takes_the_same_image_references() {
        let mut references: Vec<String> = [
            "postgres",
            "postgres:16.4",
            "postgres:16",
            "library/postgres:16",
            "gdk",
            "a.b",
            "a.b/c",
            "a_b.c/d",
            "a__b",
            "a___b",
            "a..b",
            "a._b",
            "a-b",
            "a--b",
            "a-",
            "-a",
            "x/",
            "/x",
            "x//y",
            "postgres::16",
            "postgres:16:17",
            "postgres:",
            "x:-1",
            "x:_1",
            "x:a@b",
            "a/b@sha256:abc",
            "localhost/x",
            "localhost:5000/x",
            "localhost",
            "r.example.com:0/t",
            "r.example.com:99999/t",
            "r.example.com:65535/t",
            "r.example.com:65536/t",
            "r.example.com:0080/t",
            "r..example.com/t",
            "r.-a.com/t",
            "r.a-.com/t",
            "ghcr.io/o/i",
            "ghcr.io/o/i:1.0",
            "host:5000/a/b/c:tag",
            "a:b/c",
            "a.b:c/d:e",
            "quay.io/x/y@sha512:0123456789abcdef0123456789abcdef",
            "x@md5:0123",
        ]
        .map(String::from)
        .to_vec();
        references.extend([
            format!("postgres@sha256:{SHA}"),
            format!("postgres:16@sha256:{SHA}"),
            format!("postgres@sha256:{SHA}0"),
            format!("postgres:{}", "t".repeat(128)),
            format!("postgres:{}", "t".repeat(129)),
        ]);
        for reference in references {
            let pipegen = patterns::matches(patterns::IMAGE_REF_FORM, &reference) && problem(&reference).is_none();
            assert_eq!(patterns::matches(patterns::IMAGE_REF, &reference), pipegen, "{reference}");
        }
    }

    /// The same for the model's registry: host, port, path and the public registries that need
    /// a namespace.
    #[test]
    fn the_schema_takes_the_same_registries() {
        let registries = [
            "registry.example.com/gdk",
            "registry.example.com",
            "r.example.com:5000",
            "r.example.com:0/t",
            "r.example.com:99999/t",
            "r.example.com:0443/t",
            "r..example.com/t",
            "r.-a.com/t",
            "r.example.com/a..b",
            "r.example.com/a._b",
            "r.example.com/a___b",
            "r.example.com/a__b",
            "r.example.com/a/b-c",
            "ghcr.io",
            "ghcr.io/",
            "ghcr.io/owner",
            "docker.io",
            "docker.io/citus",
            "quay.io:443",
            "registry.gitlab.com",
            "registry.gitlab.com/g/p",
            "eu.gcr.io",
            "eu.gcr.io/p",
            "europe-docker.pkg.dev",
            "europe-docker.pkg.dev/p/r",
            "gcr.io",
            "public.ecr.aws",
            "localhost:5000",
            "localhost",
            "registry",
        ];
        for registry in registries {
            let pipegen = patterns::matches(patterns::REGISTRY_FORM, registry)
                && registry_problem(registry).is_none()
                && namespace_needed(registry).is_none();
            assert_eq!(patterns::matches(patterns::REGISTRY, registry), pipegen, "{registry}");
        }
    }

    #[test]
    fn public_registries_need_a_namespace() {
        for (registry, form) in [
            ("ghcr.io", "ghcr.io/<owner>"),
            ("ghcr.io/", "ghcr.io/<owner>"),
            ("docker.io", "docker.io/<namespace>"),
            ("index.docker.io", "index.docker.io/<namespace>"),
            ("registry-1.docker.io", "registry-1.docker.io/<namespace>"),
            ("quay.io", "quay.io/<namespace>"),
            ("quay.io:443", "quay.io:443/<namespace>"),
            ("registry.gitlab.com", "registry.gitlab.com/<group>/<project>"),
            ("eu.gcr.io", "eu.gcr.io/<project>"),
            ("europe-west1-docker.pkg.dev", "europe-west1-docker.pkg.dev/<project>/<repository>"),
        ] {
            assert_eq!(namespace_needed(registry).as_deref(), Some(form), "{registry}");
        }
        for registry in ["ghcr.io/acme", "docker.io/acme/team", "registry.example.com", "localhost:5000", "myghcr.io"] {
            assert_eq!(namespace_needed(registry), None, "{registry}");
        }
    }

    #[test]
    fn references_registries_take_pass() {
        for reference in [
            "postgres:16.4",
            "redis",
            "quay.io/coreos/etcd:v3.5.17",
            "localhost:5000/team/app:1",
            "registry.example.com/a__b/c-d--e:Latest_1.0",
            "ghcr.io/o/i@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "postgres:16@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(problem(reference), None, "{reference}");
        }
    }

    #[test]
    fn references_that_would_fail_to_pull_are_refused() {
        for reference in [
            "postgres:",
            "x:1:2",
            "a..b:1",
            "x//y:1",
            "x:-1",
            "x:.a",
            "x@",
            "x@sha256:zz",
            "x:1@sha256:abc",
            "localhost:99999/x:1",
            "host.example:0/x:1",
            "a..b.example/x:1",
            "-x:1",
            "x-:1",
        ] {
            assert!(problem(reference).is_some(), "{reference}");
        }
    }
}
