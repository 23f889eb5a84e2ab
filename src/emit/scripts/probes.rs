//! Service health probes: the job-side wait of GitLab (its runner waits 30 s and then only
//! warns) and the container-side health command of GitHub (the runner waits for Docker's
//! health status).

use crate::naming;
use crate::plan::{HealthCheck, Policy, Probe, ServiceUse};
use crate::shell::quote;

/// The kinds of health probe a pipeline's services use: the wait script holds only theirs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProbeKinds {
    pub http: bool,
    pub tcp: bool,
    pub cmd: bool,
}

impl ProbeKinds {
    pub const ALL: ProbeKinds = ProbeKinds { http: true, tcp: true, cmd: true };

    /// The kinds of every health check of `plan`'s jobs' services.
    pub fn of(plan: &crate::plan::Plan) -> ProbeKinds {
        let mut kinds = ProbeKinds::default();
        for health in plan.runs.iter().flat_map(|r| &r.services).filter_map(|s| s.health.as_ref()) {
            match health.probe {
                Probe::Http(_) => kinds.http = true,
                Probe::Tcp => kinds.tcp = true,
                Probe::Cmd(_) => kinds.cmd = true,
            }
        }
        kinds
    }
}

/// Where a `cmd` health check runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmdProbe {
    /// In the job's container, which reaches the service at its alias (GitLab).
    Job,
    /// In the service's container, where the service is `localhost`, with `docker exec` from the
    /// runner (GitHub's local images: as Docker runs a service's health command when the run
    /// pushes). The container is `$pipegen_net-<alias>`, as [`super::LOCAL_RUN`] names it.
    ServiceContainer,
}

/// `pipegen_wait_services [WAITS]` waits for every service WAITS (else `PIPEGEN_WAITS`) lists
/// (`<KEY>=<alias>`, one a line), each described by `PIPEGEN_WAIT_<KEY>` ([`wait_variable`]).
/// HTTP probes run `curl -g` (no globbing of the path's `[ ]` and `{ }`), else wget (which has
/// no globs). TCP probes use bash's /dev/tcp, else an `nc` with `-z` (OpenBSD's, ncat), else one with `-e`
/// (BusyBox's, which has no `-z`: connect, run `true`). A probe tool the job image lacks is
/// reported at once, rather than waiting out the timeout and blaming a healthy service. Every
/// probe is stopped after its limit ([`probe_seconds`]): a `cmd` probe by `timeout` (coreutils
/// and BusyBox have it; an image without it is told at once), so the wait fails at the service's
/// timeout however long the command would take.
/// Only the probes of `kinds` are written.
pub fn wait_functions(kinds: ProbeKinds, cmd: CmdProbe) -> String {
    let mut text = String::from(
        r#"# pipegen: wait for the job's services, each for at most its health timeout.
pipegen_has() {
  command -v "$1" > /dev/null 2>&1
}
pipegen_nc_knows() {
  # An nc that does not know an option says so, or prints its usage.
  pipegen_out="$(nc "$@" 2>&1 < /dev/null)" || true
  case "$pipegen_out" in
    *nvalid*|*nrecognized*|*nknown*|*llegal*|*sage:*) return 1 ;;
  esac
}
pipegen_nc_z() {
  pipegen_nc_knows -z -w 1 127.0.0.1 9
}
pipegen_nc_e() {
  pipegen_nc_knows -w 1 127.0.0.1 9 -e true
}
pipegen_probe() {
  case "$1" in
"#,
    );
    if kinds.http {
        text.push_str(
            r#"    http)
      if pipegen_has curl; then
        curl -fsSg -o /dev/null --max-time "$5" "http://$2:$3$4"
      else
        timeout "$5" wget -q -O /dev/null "http://$2:$3$4"
      fi
      ;;
"#,
        );
    }
    if kinds.tcp {
        text.push_str(
            r#"    tcp)
      if pipegen_has bash && pipegen_has timeout; then
        # shellcheck disable=SC2016 # expanded by that bash
        timeout "$5" bash -c 'exec 3<> "/dev/tcp/$1/$2"' pipegen "$2" "$3"
      elif pipegen_nc_z; then
        nc -z -w "$5" "$2" "$3"
      else
        nc -w "$5" "$2" "$3" -e true
      fi
      ;;
"#,
        );
    }
    if kinds.cmd {
        text.push_str(match cmd {
            CmdProbe::Job => {
                "    cmd) PIPEGEN_SERVICE_HOST=\"$2\" PIPEGEN_SERVICE_PORT=\"$3\" timeout \"$5\" sh -c \"$4\" ;;\n"
            }
            // The runner (GitHub's, which has coreutils) bounds the probe.
            CmdProbe::ServiceContainer => {
                "    cmd) timeout \"$5\" docker exec --env PIPEGEN_SERVICE_HOST=localhost --env \"PIPEGEN_SERVICE_PORT=$3\" \"${pipegen_net:?}-$2\" sh -c \"$4\" ;;\n"
            }
        });
    }
    text.push_str("  esac\n}\n");
    // GitHub's runner, where a service container's command is run from, has coreutils.
    let cmd_tools = kinds.cmd && cmd == CmdProbe::Job;
    if kinds.http || kinds.tcp || cmd_tools {
        text.push_str("pipegen_probe_tools() {\n  case \"$1\" in\n");
        if kinds.http {
            text.push_str(
                r#"    http)
      pipegen_has curl || { pipegen_has wget && pipegen_has timeout; } || {
        echo "pipegen: cannot check service '$2' ($3): the job image needs curl, or wget and timeout" >&2
        return 1
      }
      ;;
"#,
            );
        }
        if kinds.tcp {
            text.push_str(
                r#"    tcp)
      { pipegen_has bash && pipegen_has timeout; } || { pipegen_has nc && { pipegen_nc_z || pipegen_nc_e; }; } || {
        echo "pipegen: cannot check service '$2' ($3): the job image needs bash and timeout, or an nc that has -z or -e (BusyBox's has -e)" >&2
        return 1
      }
      ;;
"#,
            );
        }
        if cmd_tools {
            text.push_str(
                r#"    cmd)
      pipegen_has timeout || {
        echo "pipegen: cannot check service '$2' ($3): the job image needs timeout" >&2
        return 1
      }
      ;;
"#,
            );
        }
        text.push_str("  esac\n}\n");
    }
    let tools = if kinds.http || kinds.tcp || cmd_tools {
        "  pipegen_probe_tools \"$pipegen_kind\" \"$1\" \"$pipegen_what\" || return 1\n"
    } else {
        ""
    };
    text.push_str(&format!(
        r#"pipegen_wait_for() {{
  # <kind> <seconds> <timeout as written> <interval> <probe limit> <port> <path | - | command>
  pipegen_kind="${{2%% *}}"
  pipegen_spec="${{2#* }}"
  pipegen_secs="${{pipegen_spec%% *}}"
  pipegen_spec="${{pipegen_spec#* }}"
  pipegen_text="${{pipegen_spec%% *}}"
  pipegen_spec="${{pipegen_spec#* }}"
  pipegen_interval="${{pipegen_spec%% *}}"
  pipegen_spec="${{pipegen_spec#* }}"
  pipegen_limit="${{pipegen_spec%% *}}"
  pipegen_spec="${{pipegen_spec#* }}"
  pipegen_port="${{pipegen_spec%% *}}"
  pipegen_spec="${{pipegen_spec#* }}"
  case "$pipegen_kind" in
    http) pipegen_what="http://$1:$pipegen_port$pipegen_spec" ;;
    tcp) pipegen_what="tcp://$1:$pipegen_port" ;;
    *) pipegen_what="$pipegen_spec" ;;
  esac
{tools}  pipegen_deadline=$(( $(date +%s) + pipegen_secs ))
  until pipegen_probe "$pipegen_kind" "$1" "$pipegen_port" "$pipegen_spec" "$pipegen_limit"; do
    if [ "$(date +%s)" -ge "$pipegen_deadline" ]; then
      echo "pipegen: service '$1' did not become healthy within $pipegen_text ($pipegen_what)" >&2
      return 1
    fi
    sleep "$pipegen_interval"
  done
  echo "pipegen: service '$1' is healthy"
}}
pipegen_wait_services() {{
  set -f
  IFS='
'
  for pipegen_entry in ${{1-${{PIPEGEN_WAITS:-}}}}; do
    case "${{pipegen_entry%%=*}}" in
      ''|*[!A-Z0-9_]*) echo "pipegen: '$pipegen_entry' is not a service to wait for" >&2; return 1 ;;
    esac
    pipegen_wait_spec=
    eval "pipegen_wait_spec=\"\${{PIPEGEN_WAIT_${{pipegen_entry%%=*}}-}}\""
    pipegen_wait_for "${{pipegen_entry#*=}}" "$pipegen_wait_spec" || return 1
  done
  unset IFS
  set +f
}}
"#
    ));
    text
}

/// The variable that describes one service's wait, and its value:
/// `<kind> <seconds> <timeout as written> <interval> <probe limit> <port> <path | - | command>`.
pub fn wait_variable(service: &ServiceUse, health: &HealthCheck, policy: &Policy) -> (String, String) {
    let (kind, target) = match &health.probe {
        Probe::Http(path) => ("http", path.clone()),
        Probe::Tcp => ("tcp", "-".to_string()),
        Probe::Cmd(cmd) => ("cmd", cmd.clone()),
    };
    let limit = probe_seconds(health, policy);
    let value = format!(
        "{kind} {} {} {} {limit} {} {target}",
        health.timeout.as_secs(),
        health.timeout,
        health.interval.as_secs().max(1),
        service.port
    );
    (wait_key(&service.alias), value)
}

/// How long one probe may take, in seconds, on both platforms (GitLab's wait and GitHub's
/// `--health-timeout`): the service's timeout, at most the policy's probe limit, at least 1 s.
/// One probe never outlasts the timeout (nor the policy's limit): a service that accepts
/// connections but does not answer must still fail in time. It does not depend on `interval`,
/// which only spaces the probes.
pub fn probe_seconds(health: &HealthCheck, policy: &Policy) -> u64 {
    health.timeout.as_secs().clamp(1, policy.probe_limit.as_secs().max(1))
}

/// `gitaly-deps` → `GITALY_DEPS`: the suffix of a service's `PIPEGEN_WAIT_` variable.
fn wait_key(alias: &str) -> String {
    naming::upper_identifier(alias)
}

/// GitHub: the command Docker runs inside the service container (`/bin/sh -c`) to check it.
/// curl gets `-g` (as in the waits): a path's `[ ]` and `{ }` are the URL's, not curl's globs
/// (wget has none).
/// BusyBox's `wget -T` crashes (1.35), so wget runs without it: Docker's `--health-timeout`
/// ([`probe_seconds`], as GitLab's wait) bounds every check anyway.
pub fn health_command(service: &ServiceUse, health: &HealthCheck, policy: &Policy) -> String {
    let port = service.port;
    let secs = probe_seconds(health, policy);
    match &health.probe {
        // As GitLab's probe reaches `http://<service>:<port><PATH>` from the job's container: to
        // the container's own address (`hostname -i`, not loopback: an app's allowlist of
        // 127.0.0.0/8 or a loopback-only bind must not pass here and fail there), with the Host
        // header curl sends for that URL. Without an address, the service's alias, which the
        // job's network resolves to the same address.
        Probe::Http(path) => {
            let alias = &service.alias;
            let host = quote(&if port == 80 { format!("Host: {alias}") } else { format!("Host: {alias}:{port}") });
            let path = quote(path);
            format!(
                "pipegen_ip=\"$(hostname -i 2> /dev/null)\"; pipegen_ip=\"${{pipegen_ip%% *}}\"; \
                 case \"$pipegen_ip\" in ''|127.*|::1) pipegen_ip={alias} ;; *:*) pipegen_ip=\"[$pipegen_ip]\" ;; esac; \
                 pipegen_url=\"http://$pipegen_ip:{port}\"{path}; \
                 if command -v curl > /dev/null 2>&1; then curl -fsSg -o /dev/null --max-time {secs} -H {host} \"$pipegen_url\"; \
                 else wget -q -O /dev/null --header {host} \"$pipegen_url\"; fi"
            )
        }
        // /proc/net/tcp{,6} list listening sockets (state 0A) with the local address and port
        // in hex (the address in the host's byte order: x86-64 and arm64 runners are
        // little-endian). Healthy needs a listener jobs can reach, as GitLab's probe connects
        // from the job's container: on the wildcard address or a non-loopback one, not on
        // 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104 only. Docker always mounts the container's
        // /proc, so no fallback is needed: the `nc -z localhost` one accepted a loopback-only
        // listener.
        Probe::Tcp => format!(
            "grep -hE '^ *[0-9]+: [0-9A-F]+:{port:04X} [0-9A-F]+:0000 0A ' /proc/net/tcp /proc/net/tcp6 2> /dev/null | grep -qvE '^ *[0-9]+: ([0-9A-F]{{6}}7F|0{{24}}01000000|0{{16}}FFFF0000[0-9A-F]{{6}}7F):'"
        ),
        Probe::Cmd(cmd) => cmd.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;
    use std::time::Instant;

    /// A job image with only `tools` (each found on this machine's PATH).
    fn bin_with(dir: &Path, tools: &[&str]) {
        for tool in tools {
            let found = std::env::split_paths(&std::env::var_os("PATH").unwrap())
                .map(|d| d.join(tool))
                .find(|p| p.exists())
                .unwrap_or_else(|| panic!("{tool} is on PATH"));
            std::os::unix::fs::symlink(found, dir.join(tool)).unwrap();
        }
    }

    /// Runs GitLab's wait under `sh -e`, as a job does, for a service `db` whose `cmd` probe is
    /// `probe` (timeout 3 s, interval 1 s, probe limit 3 s): (exit code, stdout, stderr, seconds).
    fn wait_for_cmd(probe: &str, tools: &[&str]) -> (i32, String, String, f64) {
        let dir = tempfile::tempdir().unwrap();
        bin_with(dir.path(), tools);
        let text = format!(
            "set -e\n{}\npipegen_wait_services\necho script ran\n",
            wait_functions(ProbeKinds { cmd: true, ..ProbeKinds::default() }, CmdProbe::Job)
        );
        // Files, not pipes: a stopped probe's orphaned children (a shell stopped by BusyBox's
        // timeout leaves them) may hold a pipe open, but not the job's end,
        // which is what is measured.
        let (stdout, stderr) = (dir.path().join("stdout"), dir.path().join("stderr"));
        let started = Instant::now();
        let status = Command::new(dir.path().join("sh"))
            .arg("-c")
            .arg(text)
            .env_clear()
            .env("PATH", dir.path())
            .env("PIPEGEN_WAITS", "DB=db")
            .env("PIPEGEN_WAIT_DB", format!("cmd 3 3s 1 3 5432 {probe}"))
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .status()
            .unwrap();
        let seconds = started.elapsed().as_secs_f64();
        let (out, err) = (std::fs::read_to_string(stdout).unwrap(), std::fs::read_to_string(stderr).unwrap());
        (status.code().unwrap_or(-1), out, err, seconds)
    }

    /// A `cmd` probe that hangs or is slow is stopped at the probe limit, so the wait fails at
    /// the service's timeout, naming it; an image without `timeout` is told so at once.
    #[test]
    fn a_slow_cmd_probe_does_not_outlast_the_timeout() {
        let tools = ["sh", "date", "sleep", "timeout"];
        let (code, out, err, _) = wait_for_cmd("test \"$PIPEGEN_SERVICE_PORT\" = 5432", &tools);
        assert_eq!(code, 0, "a passing probe passes: {err}");
        assert!(out.contains("service 'db' is healthy") && out.contains("script ran"), "{out}");
        for probe in ["sleep 10; false", "sleep 30"] {
            let (code, out, err, seconds) = wait_for_cmd(probe, &tools);
            assert_ne!(code, 0, "{probe}: {err}");
            assert!(!out.contains("script ran"), "the script did not run: {out}");
            assert!(err.contains("pipegen: service 'db' did not become healthy within 3s"), "{err}");
            assert!((2.0..=5.5).contains(&seconds), "{probe}: gave up after {seconds} s");
        }
        let (code, out, err, seconds) = wait_for_cmd("true", &["sh", "date", "sleep"]);
        assert_ne!(code, 0, "{out}{err}");
        assert!(err.contains("pipegen: cannot check service 'db' (true): the job image needs timeout"), "{err}");
        assert!(seconds < 1.0, "it did not wait: {seconds} s");
    }

    /// GitHub's `tcp` check, reading stand-ins for /proc/net/tcp and /proc/net/tcp6: healthy
    /// only with a listener jobs can reach (the wildcard address or a non-loopback one), never
    /// with one on a loopback address only, which a job's container cannot reach (GitLab's probe
    /// connects from there and would wait).
    #[test]
    fn the_github_tcp_check_wants_a_listener_jobs_can_reach() {
        use crate::plan::ImageUse;
        let service = ServiceUse {
            alias: "db".into(),
            image: ImageUse::External("db:1".into()),
            port: 5432,
            env: Vec::new(),
            health: None,
        };
        let health = HealthCheck {
            probe: Probe::Tcp,
            timeout: crate::model::Duration::from_secs(2),
            interval: crate::model::Duration::from_secs(1),
        };
        let dir = tempfile::tempdir().unwrap();
        let command = health_command(&service, &health, &Policy::default())
            .replace("/proc/net/", &format!("{}/", dir.path().display()));
        let head4 =
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
        let head6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
        let tail = " 00000000:00000000 00:00000000 00000000   999        0 12345 1 0000000000000000 100 0 0 10 0\n";
        let zero6 = "00000000000000000000000000000000";
        let v4 =
            |addr: &str, port: &str, remote: &str, state: &str| format!("   0: {addr}:{port} {remote} {state}{tail}");
        let v6 = |addr: &str, port: &str, state: &str| format!("   0: {addr}:{port} {zero6}:0000 {state}{tail}");
        let cases: Vec<(&str, String, String, bool)> = vec![
            ("wildcard", v4("00000000", "1538", "00000000:0000", "0A"), String::new(), true),
            ("the container's address", v4("020011AC", "1538", "00000000:0000", "0A"), String::new(), true),
            ("127.0.0.1 only", v4("0100007F", "1538", "00000000:0000", "0A"), String::new(), false),
            ("127.0.0.11 only", v4("0B00007F", "1538", "00000000:0000", "0A"), String::new(), false),
            (
                "127.0.0.1 and the wildcard",
                v4("0100007F", "1538", "00000000:0000", "0A") + &v4("00000000", "1538", "00000000:0000", "0A"),
                String::new(),
                true,
            ),
            ("another port", v4("00000000", "1F90", "00000000:0000", "0A"), String::new(), false),
            ("a connection, not a listener", v4("020011AC", "1538", "030011AC:C350", "01"), String::new(), false),
            ("IPv6 wildcard", String::new(), v6(zero6, "1538", "0A"), true),
            ("::1 only", String::new(), v6("00000000000000000000000001000000", "1538", "0A"), false),
            ("::ffff:127.0.0.1 only", String::new(), v6("0000000000000000FFFF00000100007F", "1538", "0A"), false),
            ("IPv6 global address", String::new(), v6("B80D0120000000000000000001000000", "1538", "0A"), true),
        ];
        for (case, tcp, tcp6, healthy) in cases {
            std::fs::write(dir.path().join("tcp"), format!("{head4}{tcp}")).unwrap();
            std::fs::write(dir.path().join("tcp6"), format!("{head6}{tcp6}")).unwrap();
            let status = Command::new("sh").arg("-c").arg(&command).status().unwrap();
            assert_eq!(status.success(), healthy, "{case}: {command}");
        }
    }

    /// GitHub's `http` check asks the service container's own address (the first of
    /// `hostname -i`; the alias where that is missing or loopback), with the Host header of
    /// `http://<service>:<port>`, as GitLab's probe from the job's container does: it asked
    /// `localhost`, which an app allowing 127.0.0.0/8 only or bound to loopback passes.
    #[test]
    fn the_github_http_check_asks_the_containers_own_address_as_the_service() {
        use crate::plan::ImageUse;
        let health = HealthCheck {
            probe: Probe::Http("/-/readiness?all=1".into()),
            timeout: crate::model::Duration::from_secs(2),
            interval: crate::model::Duration::from_secs(1),
        };
        for (port, addresses, tool, expected) in [
            (3000, "172.18.0.5 fd00::5", "curl", "-H Host: gdk:3000 http://172.18.0.5:3000/-/readiness?all=1"),
            (3000, "127.0.0.1", "curl", "-H Host: gdk:3000 http://gdk:3000/-/readiness?all=1"),
            (80, "", "curl", "-H Host: gdk http://gdk:80/-/readiness?all=1"),
            (3000, "fd00::5", "wget", "--header Host: gdk:3000 http://[fd00::5]:3000/-/readiness?all=1"),
        ] {
            let service = ServiceUse {
                alias: "gdk".into(),
                image: ImageUse::External("gdk:1".into()),
                port,
                env: Vec::new(),
                health: None,
            };
            let command = health_command(&service, &health, &Policy::default());
            let dir = tempfile::tempdir().unwrap();
            bin_with(dir.path(), &["sh"]);
            let log = dir.path().join("log");
            let script = |text: &str| format!("#!{}\n{text}\n", dir.path().join("sh").display());
            for (name, text) in [
                ("hostname", script(&format!("[ \"$1\" = -i ] && [ -n '{addresses}' ] && echo '{addresses}'"))),
                (
                    tool,
                    script(&format!("shift 3; [ {tool} = wget ] || shift 2; printf '%s ' \"$@\" > {}", log.display())),
                ),
            ] {
                std::fs::write(dir.path().join(name), text).unwrap();
                std::fs::set_permissions(dir.path().join(name), std::os::unix::fs::PermissionsExt::from_mode(0o755))
                    .unwrap();
            }
            let status = Command::new(dir.path().join("sh"))
                .arg("-c")
                .arg(&command)
                .env_clear()
                .env("PATH", dir.path())
                .status()
                .unwrap();
            assert!(status.success(), "{command}");
            assert_eq!(std::fs::read_to_string(&log).unwrap().trim_end(), expected, "{addresses}: {command}");
        }
    }

    /// GitHub's health command under `sh`, with the machine's curl, against a local server: a
    /// path with `[ ]` and `{ }` is sent as written, once (curl would glob it without `-g`).
    #[cfg(feature = "external-tests")]
    #[test]
    fn the_github_health_command_sends_a_path_with_brackets_and_braces_as_written() {
        use crate::plan::ImageUse;
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let mut requests = Vec::new();
            listener.set_nonblocking(true).unwrap();
            let started = Instant::now();
            while started.elapsed() < std::time::Duration::from_secs(3) {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        let mut buffer = [0u8; 2048];
                        let n = stream.read(&mut buffer).unwrap_or(0);
                        let request = String::from_utf8_lossy(&buffer[..n]).into_owned();
                        requests.push(request.lines().next().unwrap_or_default().to_string());
                        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
                }
            }
            requests
        });
        let path = "/status?filter[name]=db&x={a,b}";
        let service = ServiceUse {
            alias: "db".into(),
            image: ImageUse::External("db:1".into()),
            port,
            env: Vec::new(),
            health: None,
        };
        let health = HealthCheck {
            probe: Probe::Http(path.into()),
            timeout: crate::model::Duration::from_secs(2),
            interval: crate::model::Duration::from_secs(1),
        };
        let command = health_command(&service, &health, &Policy::default());
        // The container's address, here the machine's own, where the server listens.
        let bin = tempfile::tempdir().unwrap();
        std::fs::write(bin.path().join("hostname"), "#!/bin/sh\necho localhost\n").unwrap();
        std::fs::set_permissions(bin.path().join("hostname"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let path_var = format!("{}:{}", bin.path().display(), std::env::var("PATH").unwrap_or_default());
        let out = Command::new("sh").arg("-c").arg(&command).env("PATH", path_var).output().unwrap();
        let requests = server.join().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{command}: {err}");
        assert_eq!(requests, [format!("GET {path} HTTP/1.1")], "{command}: {err}");
    }
}
