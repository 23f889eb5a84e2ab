//! Upstream base images: the external images a Dockerfile starts from, whose digests the
//! content tag hashes (recipe v4 on), so that a new upstream image rebuilds exactly the images
//! above it. [`from`] finds them (its awk twin does in the build job); resolving a digest is I/O
//! (`crate::registry_digest` for `pipegen tags`, `emit::scripts::tag` in the pipeline).

pub mod awk;
pub mod from;

/// The digest written in a reference pinned by digest (`name@sha256:…`): no lookup needed.
pub fn pinned_digest(reference: &str) -> Option<&str> {
    reference.rsplit_once('@').map(|(_, digest)| digest)
}
