#!/usr/bin/env bash
# Every test pipegen has, on a fresh machine: installs the external tools the tests use
# (scripts/install-tools.sh, pinned, into .tools/), then checks formatting and lints, then runs
# the whole test suite (unit, CLI, fixtures, conformance with the platforms' own linters, and
# the end-to-end GitLab pipeline with buildah and a local registry).
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

echo "==> installing test tools"
bash scripts/install-tools.sh

echo "==> shellcheck scripts/"
shellcheck scripts/*.sh .ci/run

echo "==> cargo fmt --check"
cargo fmt --check

echo "==> cargo clippy"
cargo clippy --all-targets --locked -- -D warnings

echo "==> cargo test"
cargo test --locked
