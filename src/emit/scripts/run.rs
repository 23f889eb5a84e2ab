//! Running a job's script where the platform has no native retry or per-attempt timeout
//! (GitHub), and making service aliases resolve on a runner without a job container.

/// Runs `PIPEGEN_SCRIPT` as GitLab does (bash with `-eo pipefail` when the image has bash, else
/// sh with `-e`), up to `PIPEGEN_ATTEMPTS` times, each attempt stopped after `PIPEGEN_TIMEOUT`
/// seconds when set (`PIPEGEN_TIMEOUT_TEXT` says it as the model wrote it), which needs
/// `timeout` in the job's image, unless it is the default bound (`PIPEGEN_TIMEOUT_DEFAULT`:
/// the model set none), which such an image goes without.
pub const RUN: &str = r#"# pipegen: run the job's script, with its retries and its timeout per attempt.
if command -v bash > /dev/null 2>&1; then
  set -- bash -eo pipefail -c
else
  set -- sh -e -c
fi
if [ -n "${PIPEGEN_TIMEOUT:-}" ]; then
  if command -v timeout > /dev/null 2>&1; then
    set -- timeout "$PIPEGEN_TIMEOUT" "$@"
  elif [ "${PIPEGEN_TIMEOUT_DEFAULT:-}" = true ]; then
    echo "pipegen: the job image has no timeout: its attempts are not stopped after the default ${PIPEGEN_TIMEOUT_TEXT:-$PIPEGEN_TIMEOUT}" >&2
    PIPEGEN_TIMEOUT=
  else
    # Said at once: without it every attempt would fail with 127, blaming the script.
    echo "pipegen: the job's timeout (${PIPEGEN_TIMEOUT_TEXT:-$PIPEGEN_TIMEOUT}) needs timeout in the job image (coreutils or BusyBox)" >&2
    exit 1
  fi
fi
pipegen_attempts="${PIPEGEN_ATTEMPTS:-1}"
pipegen_attempt=1
while :; do
  pipegen_status=0
  "$@" "$PIPEGEN_SCRIPT" || pipegen_status=$?
  if [ "$pipegen_status" -eq 0 ]; then
    exit 0
  fi
  if [ -n "${PIPEGEN_TIMEOUT:-}" ] && [ "$pipegen_status" -eq 124 ]; then
    echo "pipegen: attempt $pipegen_attempt of $pipegen_attempts timed out after ${PIPEGEN_TIMEOUT_TEXT:-$PIPEGEN_TIMEOUT}" >&2
  else
    echo "pipegen: attempt $pipegen_attempt of $pipegen_attempts failed with status $pipegen_status" >&2
  fi
  if [ "$pipegen_attempt" -ge "$pipegen_attempts" ]; then
    exit "$pipegen_status"
  fi
  pipegen_attempt=$((pipegen_attempt + 1))
  echo "pipegen: retrying (attempt $pipegen_attempt of $pipegen_attempts)"
done
"#;

/// Maps every alias in `PIPEGEN_ALIASES` (one a line) to 127.0.0.1, where a job without a
/// container reaches its services' published ports, so scripts reach `<alias>:<port>` as on
/// GitLab.
pub const ALIASES: &str = r#"# pipegen: reach the services by their aliases from the runner.
for pipegen_alias in ${PIPEGEN_ALIASES:-}; do
  printf '127.0.0.1 %s\n' "$pipegen_alias"
done | sudo tee -a /etc/hosts > /dev/null
"#;

/// GitLab: hashes the files `PIPEGEN_KEY_FILES` lists (one a line) into the variable
/// `PIPEGEN_KEY_VARIABLE` of a dotenv report, for a cache whose key has more files than
/// `cache:key:files` takes. A missing file counts as missing, as GitLab's own key does. A key
/// file's name may start with `-` (`-k.lock`, `--version`): `--` keeps sha256sum (coreutils and
/// BusyBox alike) from reading it as an option, and prints the name as given.
pub const CACHE_KEY: &str = r#"# pipegen: the key of a cache from its key files' content.
set -f
IFS='
'
for pipegen_file in ${PIPEGEN_KEY_FILES:-}; do
  if [ -f "$pipegen_file" ]; then
    sha256sum -- "$pipegen_file"
  else
    printf 'missing %s\n' "$pipegen_file"
  fi
done > "${TMPDIR:-/tmp}/pipegen-key-files"
unset IFS
set +f
pipegen_sum="$(sha256sum < "${TMPDIR:-/tmp}/pipegen-key-files")"
printf '%s=%s\n' "$PIPEGEN_KEY_VARIABLE" "${pipegen_sum%% *}" > "$PIPEGEN_KEY_REPORT"
echo "pipegen: $PIPEGEN_KEY_VARIABLE=${pipegen_sum%% *}"
"#;
