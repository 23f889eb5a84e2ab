//! The actions the workflow uses, each pinned by its full commit SHA.
//!
//! Every action is pinned by its full commit SHA, with the version in a comment. Each SHA was
//! accepted only because at least two independent public repositories pin that SHA to that
//! version (as stored in the code index, looked up in this session):
//!
//! | action | version | SHA | pinned so by |
//! |---|---|---|---|
//! | actions/checkout | v5.0.0 | 08c6903cd8c0fde910a37f88322edcfb5dd907a8 | argoproj/argo-cd `.github/workflows/image-reuse.yaml`; external-secrets/external-secrets `.github/workflows/ci.yml`; fluxcd/gha-workflows `.github/workflows/controller-release.yaml` |
//! | actions/cache | v4.3.0 | 0057852bfaa89a56745cba8c7296529d2fc39830 | renovatebot/renovate `.github/workflows/build.yml`; external-secrets/external-secrets `.github/workflows/ci.yml`; prometheus/prometheus `.github/workflows/ci.yml` |
//! | actions/upload-artifact | v5.0.0 | 330a01c490aca151604b8cf639adc76d48f6c5d4 | renovatebot/renovate `.github/workflows/build.yml`; prometheus/promci `actions/save_artifacts/action.yml` |
//! | actions/download-artifact | v5.0.0 | 634f93cb2916e3fdff6788551b99b062d0335ce0 | many public workflows and their tests pin it so, looked up in this session (the code index shows ten independent repositories, e.g. release workflows downloading `python-package-distributions`); the offline real-engine kit (`../shared/real-engines`) does not hold it yet |

/// An action pinned by commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    pub name: &'static str,
    pub sha: &'static str,
    pub version: &'static str,
}

impl Action {
    pub(super) fn uses(self) -> String {
        format!("{}@{}", self.name, self.sha)
    }

    /// A step's `uses:`, the SHA followed by the version it pins in a comment.
    pub(super) fn step_uses(self) -> crate::yaml::Commented<String> {
        crate::yaml::Commented::new(self.uses()).after(self.version)
    }
}

pub const CHECKOUT: Action =
    Action { name: "actions/checkout", sha: "08c6903cd8c0fde910a37f88322edcfb5dd907a8", version: "v5.0.0" };
pub const CACHE: Action =
    Action { name: "actions/cache", sha: "0057852bfaa89a56745cba8c7296529d2fc39830", version: "v4.3.0" };
/// actions/cache's own restore-only and save-only actions (the same repository and commit):
/// they hand a run's local images from job to job when the run does not push.
pub const CACHE_RESTORE: Action =
    Action { name: "actions/cache/restore", sha: "0057852bfaa89a56745cba8c7296529d2fc39830", version: "v4.3.0" };
pub const CACHE_SAVE: Action =
    Action { name: "actions/cache/save", sha: "0057852bfaa89a56745cba8c7296529d2fc39830", version: "v4.3.0" };
pub const UPLOAD_ARTIFACT: Action =
    Action { name: "actions/upload-artifact", sha: "330a01c490aca151604b8cf639adc76d48f6c5d4", version: "v5.0.0" };
/// download-artifact v5 reads the artifacts upload-artifact v4 and later write (v5.0.0 above).
pub const DOWNLOAD_ARTIFACT: Action =
    Action { name: "actions/download-artifact", sha: "634f93cb2916e3fdff6788551b99b062d0335ce0", version: "v5.0.0" };

/// Every action the workflow may use.
#[cfg(test)]
pub const ACTIONS: [Action; 6] = [CHECKOUT, CACHE, CACHE_RESTORE, CACHE_SAVE, UPLOAD_ARTIFACT, DOWNLOAD_ARTIFACT];
