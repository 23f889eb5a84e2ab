//! Where a generated pipeline runs in this test: a git repository holding the model's files,
//! and stand-ins on PATH for the tools the jobs call. Each stand-in records what it was given
//! (its arguments, or the environment for the job's own script) in a file of its own under
//! `records/<job>/`, NUL-separated, so any byte reaches the test as it was. `pipegen-pwned`,
//! which every hostile payload calls, creates the marker file instead.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support;
use crate::support::git;

/// The variable that tells a stand-in which job it runs in (the test sets it for every job).
pub const JOB_VARIABLE: &str = "PIPEGEN_TEST_JOB";

/// The address `hostname -i` gives in a service's container (a stand-in's).
pub const SERVICE_ADDRESS: &str = "172.18.0.5";

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub repo: PathBuf,
    pub bin: PathBuf,
    pub records: PathBuf,
    pub marker: PathBuf,
    pub home: PathBuf,
    pub commit: String,
}

/// One call of a stand-in.
#[derive(Debug, Clone)]
pub struct Call {
    pub tool: String,
    pub words: Vec<String>,
}

fn executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod a stand-in");
}

impl Sandbox {
    /// A repository holding `files` (each a regular file; one whose path is a directory, or
    /// under a file, elsewhere in the list is left out) and the stand-ins.
    pub fn new(files: &[String]) -> Sandbox {
        let dir = tempfile::Builder::new().prefix("pipegen-hostile-").tempdir().expect("a temporary directory");
        let repo = dir.path().join("repo");
        let bin = dir.path().join("bin");
        let records = dir.path().join("records");
        let home = dir.path().join("home");
        let marker = dir.path().join("PWNED");
        for d in [&repo, &bin, &records, &home] {
            std::fs::create_dir_all(d).expect("create a directory");
        }
        git(&repo, &["init", "-q", "-b", "main"]);
        for path in files {
            let file = repo.join(path);
            if file.is_dir() || file.ancestors().skip(1).any(Path::is_file) {
                continue;
            }
            std::fs::create_dir_all(file.parent().expect("a parent")).expect("create a directory");
            std::fs::write(&file, format!("contents of {path}\n")).expect("write a file");
        }
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "the model's files"]);
        let commit = git(&repo, &["rev-parse", "HEAD"]).trim().to_string();

        let record = format!(
            "#!/bin/sh\nd='{records}'/\"${{{JOB_VARIABLE}:-unknown}}\"\nmkdir -p \"$d\"\nf=$(mktemp \"$d/call.XXXXXX\")\n",
            records = records.display()
        );
        let args = "printf '%s\\0' \"$(basename \"$0\")\" \"$@\" > \"$f\"\n";
        // Builders and registry tools: record, succeed. skopeo finds nothing, so every image builds.
        // A push writes the digest the job reads after it (an image without one is a failed push).
        let digest = "while [ \"$#\" -gt 0 ]; do case \"$1\" in --digestfile) echo sha256:00 > \"$2\" ;; \
                      --metadata-file) echo '{\"containerimage.digest\": \"sha256:00\"}' > \"$2\" ;; esac; shift; done\n";
        executable(&bin.join("buildah"), &format!("{record}{args}{digest}"));
        for tool in ["curl", "wget", HEALTH] {
            executable(&bin.join(tool), &format!("{record}{args}"));
        }
        let unknown = "echo 'manifest unknown' >&2\nexit 1\n";
        let inspect = format!("if [ \"$1 $2 $3\" = 'buildx imagetools inspect' ]; then\n{unknown}fi\n");
        executable(&bin.join("docker"), &format!("{record}{args}{inspect}{digest}"));
        executable(&bin.join("skopeo"), &format!("{record}{args}{unknown}"));
        // GitHub's health checks ask the service container's own address, as jobs reach it.
        executable(&bin.join("hostname"), &format!("#!/bin/sh\necho {SERVICE_ADDRESS}\n"));
        executable(&bin.join(JOB), &format!("{record}{{ printf '%s\\0' '{JOB}'; env -0; }} > \"$f\"\n"));
        executable(&bin.join(crate::model::PWNED), &format!("#!/bin/sh\ntouch '{}'\n", marker.display()));
        Sandbox { dir, repo, bin, records, marker, home, commit }
    }

    /// PATH for a job: the stand-ins first.
    pub fn path(&self) -> String {
        format!("{}:{}", self.bin.display(), std::env::var("PATH").unwrap_or_default())
    }

    /// Every call recorded, by job.
    pub fn calls(&self) -> BTreeMap<String, Vec<Call>> {
        let mut out: BTreeMap<String, Vec<Call>> = BTreeMap::new();
        for job in std::fs::read_dir(&self.records).expect("read the records").flatten() {
            let name = job.file_name().to_string_lossy().into_owned();
            for call in std::fs::read_dir(job.path()).expect("read a job's records").flatten() {
                let bytes = std::fs::read(call.path()).expect("read a record");
                let mut words: Vec<String> =
                    bytes.split(|&b| b == 0).map(|w| String::from_utf8_lossy(w).into_owned()).collect();
                words.pop(); // after the last NUL
                let tool = words.remove(0);
                out.entry(name.clone()).or_default().push(Call { tool, words });
            }
        }
        out
    }

    pub fn pwned(&self) -> bool {
        self.marker.exists()
    }
}

/// The stand-in of `cmd` health checks and of jobs' scripts (names from the model module).
const HEALTH: &str = crate::model::HEALTH_COMMAND;
const JOB: &str = crate::model::JOB_COMMAND;

/// A file name for a job's records.
pub fn job_key(job: &str) -> String {
    job.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// Run `script` with `shell` (`bash` or `sh`, with its options) in the repository, with
/// exactly `env` (plus PATH and the job's name for the stand-ins): (status, output).
pub fn run_script(
    sandbox: &Sandbox,
    job: &str,
    shell: &[&str],
    script: &str,
    env: &BTreeMap<String, String>,
) -> (i32, String) {
    let file = sandbox.dir.path().join(format!("script-{}", job_key(job)));
    std::fs::write(&file, script).expect("write a job's script");
    let mut command = Command::new(shell[0]);
    command.args(&shell[1..]).arg(&file).current_dir(&sandbox.repo).env_clear();
    command.envs(env);
    command.env("PATH", sandbox.path()).env(JOB_VARIABLE, job_key(job));
    let (code, stdout, stderr) = support::run(&mut command);
    (code, format!("{stdout}{stderr}"))
}
