#!/usr/bin/env bash
# Every test pipegen has, on a fresh machine: installs the external tools the tests use
# (scripts/install-tools.sh, pinned, into .tools/) and sets up the real engines (dockerd, act,
# gitlab-ci-local's docker executor, from the kit ../shared/real-engines), then checks formatting
# and lints, then runs the whole test suite (unit, CLI, fixtures, conformance with the
# platforms' own linters, the end-to-end GitLab pipeline with buildah and a local registry, and
# both pipelines on the real engines).
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

echo "==> installing test tools and the real engines"
bash scripts/install-tools.sh --real-engines

echo "==> shellcheck scripts/"
shellcheck scripts/*.sh .ci/run

echo "==> cargo fmt --check"
cargo fmt --check

echo "==> cargo clippy"
cargo clippy --all-targets --all-features --locked -- -D warnings

echo "==> cargo test (every tier)"
cargo test --locked --no-fail-fast --features external-tests
