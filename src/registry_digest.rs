//! The digest of an upstream base image, asked of its registry (I/O at the edge), for
//! `pipegen tags`. It runs skopeo, as GitLab's build job does: `skopeo inspect --raw` prints the
//! manifest the reference names (the manifest list of a multi-platform image) byte for byte, and
//! its SHA-256 is the digest the registry serves it under, the one the build job hashes (GitHub's
//! job asks `docker buildx imagetools inspect --raw`, which prints the same bytes). skopeo is
//! already a tool pipegen's pipelines use; a registry-v2 client of our own would have to
//! reimplement token auth and the credential helpers, for no gain.
//!
//! Credentials: skopeo's own (`skopeo login`, `docker login`'s config). A registry on a
//! loopback address (`127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT`) is asked over plain HTTP
//! (`--tls-verify=false`), as a local test registry needs; `CONTAINERS_REGISTRIES_CONF`, when
//! set, is passed on as the build job passes it.

use std::process::Command;

use sha2::{Digest, Sha256};

use crate::error::Error;

/// Whether `reference` names a registry on a loopback address.
pub fn is_loopback(reference: &str) -> bool {
    let host = reference.split('/').next().unwrap_or_default();
    if !reference.contains('/') {
        return false;
    }
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    name == "localhost" || name == "[::1]" || name.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// `sha256:<hex>` of the manifest `reference` names.
pub fn resolve(reference: &str) -> Result<String, Error> {
    // As the build job says: a word that starts with `-` would be an option to its tools.
    if reference.starts_with('-') {
        return Err(Error::Registry(format!("cannot resolve the base image {reference}: it is no image reference")));
    }
    let mut command = Command::new("skopeo");
    if let Some(conf) = std::env::var_os("CONTAINERS_REGISTRIES_CONF").filter(|c| !c.is_empty()) {
        command.arg("--registries-conf").arg(conf);
    }
    command.args(["inspect", "--raw"]);
    if is_loopback(reference) {
        command.arg("--tls-verify=false");
    }
    command.arg(format!("docker://{reference}"));
    let output = command.output().map_err(|e| {
        Error::Registry(format!(
            "pipegen tags asks skopeo for the digest of the base image {reference}, but cannot run it ({e}); \
             install skopeo, or pass --offline for tags that leave base images out"
        ))
    })?;
    if !output.status.success() || output.stdout.is_empty() {
        return Err(Error::Registry(format!(
            "cannot resolve the base image {reference} (skopeo inspect --raw docker://{reference}): {}\n  help: \
             check the network and the registry's credentials (`skopeo login`), \
             or pass --offline for tags that leave base images out",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(format!("sha256:{:x}", Sha256::digest(&output.stdout)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_word_that_would_be_an_option_is_refused_before_skopeo_runs() {
        let error = super::resolve("--help").unwrap_err().to_string();
        assert!(error.contains("--help: it is no image reference"), "{error}");
    }

    #[test]
    fn loopback_registries() {
        for r in ["127.0.0.1:5077/upstream:1", "localhost:5000/a", "localhost/a", "[::1]:5000/x/y:1"] {
            assert!(super::is_loopback(r), "{r}");
        }
        for r in ["debian:bookworm", "registry.example.com/a:1", "localhost", "localhost:5000", "127.example.com/a"] {
            assert!(!super::is_loopback(r), "{r}");
        }
    }
}
