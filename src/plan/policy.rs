//! What the plan decides for every job alike, so no backend decides it on its own.

use crate::model::Duration;

/// Decisions shared by every backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The registry repository of an image's layer cache, after the image's own:
    /// `<registry>/<image><suffix>` (`…/base/cache`).
    pub layer_cache_suffix: &'static str,
    /// How long artifacts are kept (GitLab `expire_in`, GitHub `retention-days`).
    pub artifact_retention_days: u32,
    /// How long an image build may take when its image sets no `timeout`.
    pub build_timeout: Duration,
    /// How long a script attempt may take when the model sets no timeout (GitLab's default
    /// job timeout).
    pub default_script_timeout: Duration,
    /// Set-up around a script job's attempts: checkout, caches, artifacts, pulling images.
    pub setup_margin: Duration,
    /// The longest a single health probe may take, whatever the service's timeout.
    pub probe_limit: Duration,
    /// The image that moves a dependency cache in and out of a build's cache mount; the
    /// variable `PIPEGEN_CACHE_HELPER_IMAGE` overrides it at run time.
    pub cache_helper_image: &'static str,
    /// Which pipelines push to the registry (the model's `push:`).
    pub push: super::PushPolicy,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            layer_cache_suffix: "/cache",
            artifact_retention_days: 7,
            build_timeout: Duration::from_secs(60 * 60),
            default_script_timeout: Duration::from_secs(60 * 60),
            setup_margin: Duration::from_secs(10 * 60),
            probe_limit: Duration::from_secs(5),
            cache_helper_image: "docker.io/library/busybox:1.37",
            push: super::PushPolicy::default(),
        }
    }
}
