//! Image references as Docker reads them (`[registry/]path[:tag][@digest]`), and the directory
//! convention of repositories that build many tags of one image: the tag spells the Dockerfile's
//! directory (`buildpack-deps:bookworm-curl` from `debian/bookworm/curl/Dockerfile`,
//! `ros:humble-ros-base-jammy` from `ros/humble/ubuntu/jammy/ros-base/Dockerfile`).

use super::sanitize_name;

pub use crate::model::image_reference::ImageRef;

impl<'a> ImageRef<'a> {
    /// The repository's last path component, as an image name: `quay.io/jupyter/base-notebook`
    /// → `base-notebook`.
    pub fn name(&self) -> String {
        sanitize_name(self.path.rsplit('/').next().unwrap_or(self.path))
    }

    /// The tag, `latest` when none is written.
    pub fn tag_or_latest(&self) -> &'a str {
        self.tag.unwrap_or("latest")
    }

    /// A tag other than `latest` is written: the reference names one version of the image, which
    /// some build has to give it (`docker build -t base` gives `base:latest`, never `base:1`).
    pub fn versioned(&self) -> bool {
        self.tag.is_some_and(|tag| tag != "latest")
    }

    /// Whether this names one of Docker Hub's official images: no registry (or Docker Hub's),
    /// and one path component (or `library/…`): `python:3.12-slim`, `docker.io/library/python`.
    pub fn official(&self) -> bool {
        let hub = match self.registry {
            None => true,
            Some(registry) => matches!(registry, "docker.io" | "index.docker.io" | "registry-1.docker.io"),
        };
        hub && (!self.path.contains('/') || self.path.strip_prefix("library/").is_some_and(|p| !p.contains('/')))
    }
}

/// Whether `tag` spells directory `dir`: it is some of the directory's components joined with
/// `-`, each at most once and in any order, the directory's own (last) one among them.
/// `bookworm-curl` spells `debian/bookworm/curl`; `humble-ros-base-jammy` spells
/// `ros/humble/ubuntu/jammy/ros-base`; `bookworm` spells `debian/bookworm` but not
/// `debian/bookworm/curl`.
pub fn tag_spells_directory(tag: &str, dir: &str) -> bool {
    let components: Vec<String> = dir.split('/').filter(|c| !c.is_empty()).map(str::to_ascii_lowercase).collect();
    let Some(last) = components.len().checked_sub(1) else { return false };
    let mut used = vec![false; components.len()];
    spells(&tag.to_ascii_lowercase(), &components, &mut used, last)
}

fn spells(rest: &str, components: &[String], used: &mut [bool], last: usize) -> bool {
    if rest.is_empty() {
        return used[last];
    }
    for (i, component) in components.iter().enumerate() {
        if used[i] {
            continue;
        }
        let Some(after) = rest.strip_prefix(component.as_str()) else { continue };
        let after = match after.strip_prefix('-') {
            Some(after) if !after.is_empty() => after,
            _ if after.is_empty() => after,
            _ => continue,
        };
        used[i] = true;
        if spells(after, components, used, last) {
            return true;
        }
        used[i] = false;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_docker_hubs_official_images_and_versions() {
        for official in
            ["python:3.12-slim", "python", "library/python:3", "docker.io/python", "docker.io/library/python"]
        {
            assert!(ImageRef::parse(official).official(), "{official}");
        }
        for other in ["bitnami/python:3", "quay.io/python:3", "registry.example.com/x/python:3", "localhost/python:3"] {
            assert!(!ImageRef::parse(other).official(), "{other}");
        }
        assert!(ImageRef::parse("python:3.12-slim").versioned());
        assert!(!ImageRef::parse("python:latest").versioned());
        assert!(!ImageRef::parse("python").versioned());
    }

    #[test]
    fn splits_references_as_docker_does() {
        let r = ImageRef::parse("quay.io/jupyter/base-notebook:2026-07-28@sha256:abc");
        assert_eq!(r.registry, Some("quay.io"));
        assert_eq!(r.path, "jupyter/base-notebook");
        assert_eq!(r.tag, Some("2026-07-28"));
        assert_eq!(r.digest, Some("sha256:abc"));
        assert_eq!(r.name(), "base-notebook");

        let r = ImageRef::parse("registry.example.com:5000/x/gitaly");
        assert_eq!((r.registry, r.path, r.tag), (Some("registry.example.com:5000"), "x/gitaly", None));
        assert_eq!(r.tag_or_latest(), "latest");

        let r = ImageRef::parse("osrf/ros:humble-desktop-jammy");
        assert_eq!((r.registry, r.path, r.tag), (None, "osrf/ros", Some("humble-desktop-jammy")));
        assert_eq!(r.name(), "ros");

        let r = ImageRef::parse("localhost/base");
        assert_eq!((r.registry, r.path), (Some("localhost"), "base"));
        assert_eq!(ImageRef::parse("debian@sha256:1").digest, Some("sha256:1"));
    }

    #[test]
    fn tags_spell_directories() {
        assert!(tag_spells_directory("bookworm-curl", "debian/bookworm/curl"));
        assert!(tag_spells_directory("bookworm-curl", "bookworm/curl"));
        assert!(tag_spells_directory("bookworm", "debian/bookworm"));
        assert!(!tag_spells_directory("bookworm", "debian/bookworm/curl"));
        assert!(tag_spells_directory("humble-ros-base-jammy", "ros/humble/ubuntu/jammy/ros-base"));
        assert!(!tag_spells_directory("humble-ros-base-jammy", "ros/humble/ubuntu/jammy/ros-core"));
        assert!(tag_spells_directory("gzserver11-focal", "gazebo/11/ubuntu/focal/gzserver11"));
        assert!(tag_spells_directory("3.12-slim", "python/3.12/slim"));
        // Each component once, whole components only.
        assert!(!tag_spells_directory("curl-curl", "curl"));
        assert!(!tag_spells_directory("bookworm-cur", "debian/bookworm/curl"));
        assert!(!tag_spells_directory("bookworm-", "bookworm"));
        assert!(!tag_spells_directory("x", ""));
    }
}
