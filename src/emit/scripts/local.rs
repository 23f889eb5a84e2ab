//! GitHub runs that do not push (the model's `push:`): their model images are local images,
//! handed from job to job through the run's cache (`$PIPEGEN_LOCAL_IMAGES/<KEY>.tar`), never
//! through a registry (a fork's pull request has a read-only token). A runner starts service
//! containers and the job container before any step, so it cannot start them from a local image
//! that a step loads: such a job gets empty `container`/`services` images (GitHub then starts
//! neither), and [`LOCAL_RUN`] starts them itself with docker, waits for the services with
//! pipegen's own wait (as on GitLab) and runs the script in the job's image.

/// Loads every image a restore step put in `PIPEGEN_LOCAL_IMAGES` (none when its build was
/// skipped: that image is in the registry, and docker pulls it).
pub const LOAD: &str = r#"# pipegen: load the local images of this run that the job needs.
for pipegen_file in "${PIPEGEN_LOCAL_IMAGES:?}"/*.tar; do
  if [ -f "$pipegen_file" ]; then
    echo "pipegen: loading the local image $(basename "$pipegen_file" .tar)"
    # The step runs this on the left of `&&`, where bash -e does not stop at a failure.
    docker load --quiet --input "$pipegen_file" || {
      echo "pipegen: loading $pipegen_file failed" >&2
      exit 1
    }
  fi
done
"#;

/// Starts the services `PIPEGEN_LOCAL_SERVICES` lists (their numbers 1, 2, …, one a line), each
/// described by `PIPEGEN_LOCAL_SERVICE_<N>` (lines: alias, image, port, then the names of its
/// variables, whose values are `PIPEGEN_LOCAL_SERVICE_<N>_<NAME>`: a number, unlike a service's
/// name, cannot run into the variable's name), on a network of their own
/// under their aliases; then runs the script in `PIPEGEN_JOB_IMAGE` on that network with the
/// variables `PIPEGEN_PASS` names, the workspace copied in and back, after waiting for the
/// services: those with a `cmd` check (`PIPEGEN_EXEC_WAITS`) from the runner, which runs the
/// check in the service's container, the others (`PIPEGEN_WAITS`) where the script runs.
/// Without a job image the services publish their ports and the script runs on the runner, as
/// it would beside service containers.
///
/// An image whose build was skipped is in the registry, and starting its container pulls it:
/// the containers start logged in as the build jobs log in (`pipegen_login`, from the build
/// script, which the step evaluates first), in a docker configuration of the step's own. The
/// credentials' variables go right after the login and that configuration once the containers
/// exist, so the job's script (which runs in this shell without a job image) sees neither, as a
/// runner's own pulls for `container:` and `services:` keep their login from the steps.
pub const LOCAL_RUN: &str = r#"# pipegen: run the job in this run's local images (it does not push).
pipegen_net="pipegen-${GITHUB_RUN_ID:-run}-${GITHUB_JOB:-job}-$$"
pipegen_started=
pipegen_docker_config="${DOCKER_CONFIG-}"
pipegen_config="$(mktemp -d)"
pipegen_logged_out() {
  rm -rf "$pipegen_config"
  DOCKER_CONFIG="$pipegen_docker_config"
  [ -n "$DOCKER_CONFIG" ] || unset DOCKER_CONFIG
}
pipegen_cleanup() {
  pipegen_logged_out
  for pipegen_container in $pipegen_started; do
    docker rm --force "$pipegen_container" > /dev/null 2>&1 || true
  done
  docker network rm "$pipegen_net" > /dev/null 2>&1 || true
}
trap pipegen_cleanup EXIT
pipegen_waits() {
  if [ -n "$1" ]; then
    eval "$PIPEGEN_WAIT_SH"
    pipegen_wait_services "$1" || exit 1
  fi
}
# Every docker argument is one word of "$@": a value (a service's variable, which may hold
# lines) never becomes an option of its own. Names and images are checked, as docker would
# read a word starting with `-` as an option.
pipegen_name_only() {
  case "$1" in
    ''|[0-9]*|*[!A-Za-z0-9_]*) echo "pipegen: '$1' is not a variable name" >&2; exit 1 ;;
  esac
}
# An image this run built reaches the job through the run's cache; one whose build was skipped
# is pulled. Asked before docker starts it, so that a cache entry that never came (actions/cache
# saves none over 10 GB and evicts the oldest past the repository's 10 GB) is named as such, not
# as the registry's "manifest unknown".
pipegen_image_here() {
  case "$1" in
    ''|-*) echo "pipegen: '$1' is not an image reference" >&2; exit 1 ;;
  esac
  docker image inspect "$1" > /dev/null 2>&1 && return
  docker pull --quiet "$1" > /dev/null && return
  echo "pipegen: $1 is not a local image of this run and cannot be pulled: the run's cache keeps no image over 10 GB" >&2
  exit 1
}
DOCKER_CONFIG="$pipegen_config"
export DOCKER_CONFIG
pipegen_login
unset PIPEGEN_REGISTRY_USER PIPEGEN_REGISTRY_PASSWORD PIPEGEN_GITHUB_TOKEN
docker network create "$pipegen_net" > /dev/null
set -f
IFS='
'
for pipegen_key in ${PIPEGEN_LOCAL_SERVICES:-}; do
  case "$pipegen_key" in
    ''|*[!0-9]*) echo "pipegen: '$pipegen_key' is not a service number" >&2; exit 1 ;;
  esac
  eval "pipegen_spec=\${PIPEGEN_LOCAL_SERVICE_$pipegen_key}"
  # shellcheck disable=SC2086,SC2154 # one item a line; set by the eval
  set -- $pipegen_spec
  pipegen_alias="$1" pipegen_image="$2" pipegen_port="$3"
  shift 3
  case "$pipegen_port" in
    ''|*[!0-9]*) echo "pipegen: '$pipegen_port' is not the port of service '$pipegen_alias'" >&2; exit 1 ;;
  esac
  pipegen_image_here "$pipegen_image"
  pipegen_names="$*"
  set -- --detach --name "$pipegen_net-$pipegen_alias" --network "$pipegen_net" --network-alias "$pipegen_alias"
  if [ -z "${PIPEGEN_JOB_IMAGE:-}" ]; then
    set -- "$@" --publish "$pipegen_port:$pipegen_port"
  fi
  for pipegen_name in $pipegen_names; do
    pipegen_name_only "$pipegen_name"
    eval "pipegen_value=\${PIPEGEN_LOCAL_SERVICE_${pipegen_key}_$pipegen_name-}"
    # shellcheck disable=SC2154 # set by the eval
    set -- "$@" --env "$pipegen_name=$pipegen_value"
  done
  echo "pipegen: starting service '$pipegen_alias' ($pipegen_image)"
  docker run "$@" "$pipegen_image" > /dev/null
  pipegen_started="$pipegen_started${IFS}$pipegen_net-$pipegen_alias"
done
if [ -z "${PIPEGEN_JOB_IMAGE:-}" ]; then
  unset IFS
  set +f
  pipegen_logged_out
  pipegen_waits "${PIPEGEN_EXEC_WAITS:-}"
  pipegen_waits "${PIPEGEN_WAITS:-}"
  eval "$PIPEGEN_RUN_SH"
fi
pipegen_image_here "$PIPEGEN_JOB_IMAGE"
# The job's image starts without its ENTRYPOINT, as GitHub's `container:` and GitLab's
# `entrypoint: [""]` start it: an image whose entrypoint is a server would take `sh -c` as its
# arguments and never run the script. Services keep theirs (`docker run` above).
set -- --network "$pipegen_net" --workdir /pipegen-work --entrypoint ''
for pipegen_name in ${PIPEGEN_PASS:-}; do
  pipegen_name_only "$pipegen_name"
  set -- "$@" --env "$pipegen_name"
done
# shellcheck disable=SC2016 # expanded in the job's container
pipegen_job="$(docker create "$@" "$PIPEGEN_JOB_IMAGE" sh -c 'if [ -n "${PIPEGEN_WAITS:-}" ]; then eval "$PIPEGEN_WAIT_SH"; pipegen_wait_services || exit 1; fi; eval "$PIPEGEN_RUN_SH"')"
unset IFS
set +f
pipegen_logged_out
pipegen_started="$pipegen_started
$pipegen_job"
pipegen_waits "${PIPEGEN_EXEC_WAITS:-}"
docker cp "$PWD/." "$pipegen_job:/pipegen-work"
echo "pipegen: running the script in $PIPEGEN_JOB_IMAGE"
pipegen_status=0
docker start --attach "$pipegen_job" || pipegen_status=$?
docker cp "$pipegen_job:/pipegen-work/." "$PWD" || true
exit "$pipegen_status"
"#;
