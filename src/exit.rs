//! Exit codes, as the contract fixes them.

use std::process::ExitCode;

/// How a pipegen run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Done; for `check`, every output is current.
    Success,
    /// `check` found a stale or missing output.
    Stale,
    /// A bad model, a bad command line, or a file that could not be read or written.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(match status {
            ExitStatus::Success => 0,
            ExitStatus::Stale => 1,
            ExitStatus::Error => 2,
        })
    }
}
