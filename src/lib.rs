//! pipegen compiles one model of container images into the CI pipelines that build and test
//! them: GitLab CI and GitHub Actions.
//!
//! The core is pure: [`model`] loads and checks a model, [`graph`] orders its images and expands
//! variants, [`plan`] decides every job, and [`emit`] translates a plan for one platform. Only
//! [`cli`] reads and writes files.

// Output goes through `commands::print_stdout` and `commands::print_stderr`: the macros panic
// (exit 101) when a stream cannot be written (`2>/dev/full`, `2>&1 | head -1`).
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod alias_tags;
pub mod awk;
pub mod changes;
pub mod checkout;
pub mod cli;
pub mod commands;
pub mod content_tags;
pub mod directives;
pub mod dockerignore;
pub mod emit;
pub mod error;
pub mod exit;
pub mod git;
pub mod graph;
pub mod graph_render;
pub mod heredoc;
pub mod init;
pub mod listing;
pub mod model;
pub mod naming;
pub mod outputs;
pub mod plan;
pub mod registry_digest;
pub mod shell;
pub mod stages;
pub mod tag_changes;
pub mod template;
pub mod upstream;
pub mod variant;
pub mod workspace;
pub mod yaml;
