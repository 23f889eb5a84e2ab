//! The real engines (issue 7): GitHub Actions under act with BuildKit, GitLab CI under
//! gitlab-ci-local's docker executor, against a registry on 127.0.0.1. What every real-engine
//! test shares: the engines' set-up (`scripts/install-tools.sh --real-engines`, which uses the
//! offline kit `../shared/real-engines` when it is there), the registry and its lock, a git
//! repository made from a fixture, runs of either engine with every line timestamped and
//! attributed to its job, what the registry holds (skopeo), and docker images made or pulled
//! along the way.
//!
//! The checks here look at behaviour: job outcomes, job logs, when jobs ran, registry contents
//! and digests. They return `Err` with the evidence rather than panic, so that a test can show
//! that a deliberately broken pipeline makes them fail.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What the set-up wrote to `.tools/real-engines.env`.
pub struct Kit {
    /// The kit's folder; empty without the kit.
    pub kit: String,
    /// The engines' work folder (the registry lock lives here).
    pub work: PathBuf,
    pub act: PathBuf,
    /// act's flags for this machine: runner images, pinned actions, the docker socket.
    pub act_flags: Vec<String>,
    pub gitlab_ci_local: PathBuf,
    /// DOCKER_HOST for gitlab-ci-local (privileged jobs go through the kit's proxy here).
    pub gitlab_docker_host: String,
    /// A Debian image with bash, curl, wget, socat, OpenBSD's nc and git.
    pub debian_image: String,
    /// The image of `ubuntu-latest` (Debian with node, the docker CLI and buildx).
    pub runner_image: String,
    /// The registry port that the kit's BuildKit and buildah images forward to the host.
    pub registry_port: u16,
}

/// Set up the real engines once per test process (under a file lock: test binaries may run at
/// the same time) and read what the set-up wrote.
pub fn kit() -> &'static Kit {
    static KIT: OnceLock<Kit> = OnceLock::new();
    KIT.get_or_init(|| {
        super::ensure_tools();
        let tools = super::repo().join(".tools");
        let lock = File::create(tools.join(".real-engines.lock")).expect("create the real-engines lock");
        lock.lock().expect("lock the real-engines set-up");
        let (code, out, err) =
            super::run(Command::new("bash").arg(super::repo().join("scripts/install-tools.sh")).arg("--real-engines"));
        assert_eq!(code, 0, "scripts/install-tools.sh --real-engines failed\n{out}{err}");
        lock.unlock().expect("unlock the real-engines set-up");
        let text = fs::read_to_string(tools.join("real-engines.env")).expect("read .tools/real-engines.env");
        let values: BTreeMap<&str, &str> = text.lines().filter_map(|l| l.split_once('=')).collect();
        let get = |key: &str| values.get(key).copied().unwrap_or_else(|| panic!("{key} in .tools/real-engines.env"));
        let kit = Kit {
            kit: get("kit").to_string(),
            work: PathBuf::from(get("work")),
            act: PathBuf::from(get("act")),
            act_flags: fs::read_to_string(get("act_flags_file"))
                .expect("read act's flags")
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
            gitlab_ci_local: PathBuf::from(get("gitlab_ci_local")),
            gitlab_docker_host: get("gitlab_docker_host").to_string(),
            debian_image: get("debian_image").to_string(),
            runner_image: get("runner_image").to_string(),
            registry_port: get("registry_port").parse().expect("a registry port"),
        };
        // Without the kit, act and buildx would fetch their images as they normally do, but a
        // registry on the host's 127.0.0.1 is then out of BuildKit's and buildah's reach (they
        // run on a bridge network), and the scenarios' Debian images do not exist. Say so
        // rather than fail somewhere deep in a run.
        assert!(
            !kit.kit.is_empty(),
            "the real-engine tests need the offline kit at ../shared/real-engines (or \
             PIPEGEN_REAL_ENGINES_KIT): its images forward the test registry's port into BuildKit's \
             and buildah's containers and provide the Debian job images; see README.md"
        );
        kit
    })
}

// ------------------------------------------------------------------------------------------
// The registry
// ------------------------------------------------------------------------------------------

/// Debian's docker-registry on the kit's port, listening on every address so that the kit's
/// images reach it through the docker bridge's gateway. The port is the machine's, so a file
/// lock in the kit's work folder keeps every other test (of any process) off it until this
/// registry is dropped. Its data lives in a temporary directory.
pub struct Registry {
    /// `127.0.0.1:<port>`, the one name dockerd, act's jobs, BuildKit and buildah all use.
    pub addr: String,
    child: Child,
    dir: tempfile::TempDir,
    _lock: File,
}

impl Registry {
    pub fn start(kit: &Kit) -> Registry {
        let port = kit.registry_port;
        let lock = File::create(kit.work.join(format!("pipegen-registry-{port}.lock"))).expect("create the port lock");
        let waited = Instant::now();
        lock.lock().expect("lock the registry port");
        eprintln!("registry port {port}: waited {:.1} s for it", waited.elapsed().as_secs_f64());
        let dir = tempfile::Builder::new().prefix("pipegen-re-registry-").tempdir().expect("a temporary directory");
        let config = dir.path().join("config.yml");
        fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 0.0.0.0:{port}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let log = File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new(super::tool("docker-registry"))
            .arg("serve")
            .arg(&config)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let mut registry = Registry { addr: format!("127.0.0.1:{port}"), child, dir, _lock: lock };
        let deadline = Instant::now() + Duration::from_secs(15);
        while http_status(&registry.addr, "/v2/") != Some(200) {
            if let Ok(Some(status)) = registry.child.try_wait() {
                panic!("docker-registry exited ({status}) on port {port}: {}", registry.log());
            }
            assert!(Instant::now() < deadline, "the registry answers on {port}: {}", registry.log());
            thread::sleep(Duration::from_millis(50));
        }
        registry
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// A repository path of its own for one scenario: the docker daemon keeps the images jobs
    /// pulled, and a stale copy under a reused name would hide a missing push.
    pub fn path(&self, scenario: &str) -> String {
        let stamp = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() % 1_000_000_000;
        format!("{}/{scenario}-{}-{stamp}", self.addr, std::process::id())
    }

    /// The manifest `reference` points at, byte for byte, or None when there is no such tag.
    pub fn manifest(&self, reference: &str) -> Option<Vec<u8>> {
        let output = Command::new(super::tool("skopeo"))
            .args(["inspect", "--tls-verify=false", "--raw", &format!("docker://{reference}")])
            .output()
            .expect("run skopeo");
        if output.status.success() {
            return Some(output.stdout);
        }
        let err = String::from_utf8_lossy(&output.stderr);
        assert!(err.contains("manifest unknown") || err.contains("name unknown"), "skopeo inspect {reference}: {err}");
        None
    }

    /// The digests of the layers of `reference` (of its linux/amd64 image when it is an index).
    pub fn layers(&self, reference: &str) -> Vec<String> {
        let output = Command::new(super::tool("skopeo"))
            .args(["inspect", "--tls-verify=false", &format!("docker://{reference}")])
            .output()
            .expect("run skopeo");
        assert!(output.status.success(), "skopeo inspect {reference}: {}", String::from_utf8_lossy(&output.stderr));
        let image: serde_json::Value = serde_json::from_slice(&output.stdout).expect("skopeo inspect prints JSON");
        image["Layers"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect()
    }

    /// The tags of a repository (none when it does not exist).
    pub fn tags(&self, repository: &str) -> BTreeSet<String> {
        let output = Command::new(super::tool("skopeo"))
            .args(["list-tags", "--tls-verify=false", &format!("docker://{repository}")])
            .output()
            .expect("run skopeo");
        if !output.status.success() {
            let err = String::from_utf8_lossy(&output.stderr);
            // skopeo 1.9 says "404 (Not Found)" where newer ones say "name unknown".
            assert!(err.contains("name unknown") || err.contains("404"), "skopeo list-tags {repository}: {err}");
            return BTreeSet::new();
        }
        let listing: serde_json::Value = serde_json::from_slice(&output.stdout).expect("list-tags prints JSON");
        listing["Tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect()
    }

    /// Copy an image within the registry, byte for byte (an index with its attestations too).
    pub fn copy(&self, from: &str, to: &str) {
        let (code, out, err) = super::run(Command::new(super::tool("skopeo")).args([
            "copy",
            "--all",
            "--quiet",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            &format!("docker://{from}"),
            &format!("docker://{to}"),
        ]));
        assert_eq!(code, 0, "skopeo copy {from} {to}\n{out}{err}");
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The status of `GET path` on `addr`, or None when nothing answers.
fn http_status(addr: &str, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// Every manifest the registry should hold, by reference, and checks that nothing else changed.
#[derive(Default)]
pub struct Ledger {
    manifests: BTreeMap<String, Vec<u8>>,
}

impl Ledger {
    /// After a run that pushed `new` (references never seen before) and pushed again `rebuilt`
    /// (seen before, a new manifest under the same tag): every other manifest is byte for byte
    /// what it was, and each of `repositories` holds exactly the tags pushed so far.
    pub fn record(
        &mut self,
        registry: &Registry,
        repositories: &[String],
        new: &[String],
        rebuilt: &[String],
    ) -> Result<(), String> {
        let mut errors = Vec::new();
        for (reference, before) in &mut self.manifests {
            match registry.manifest(reference) {
                None => errors.push(format!("{reference} is no longer in the registry")),
                Some(now) if rebuilt.contains(reference) => {
                    if now == *before {
                        errors.push(format!("{reference} was not pushed again"));
                    }
                    *before = now;
                }
                Some(now) if now != *before => {
                    errors.push(format!("the manifest of {reference} changed, though nothing should have rebuilt it"));
                    *before = now;
                }
                Some(_) => {}
            }
        }
        for reference in rebuilt {
            if !self.manifests.contains_key(reference) {
                errors.push(format!("{reference} was expected to be pushed before"));
            }
        }
        for reference in new {
            match registry.manifest(reference) {
                None => errors.push(format!("{reference} was not pushed")),
                Some(manifest) => {
                    if self.manifests.insert(reference.clone(), manifest).is_some() {
                        errors.push(format!("{reference} was expected to be a new tag"));
                    }
                }
            }
        }
        for repository in repositories {
            let expected: BTreeSet<String> = self
                .manifests
                .keys()
                .filter_map(|r| r.strip_prefix(&format!("{repository}:")).map(str::to_string))
                .collect();
            let actual = registry.tags(repository);
            if actual != expected {
                errors.push(format!("{repository} holds the tags {actual:?}, not {expected:?}"));
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors.join("\n")) }
    }
}

// ------------------------------------------------------------------------------------------
// The repository
// ------------------------------------------------------------------------------------------

/// A git repository made from a fixture, in a temporary directory that also holds the runs' own
/// files.
pub struct Repo {
    pub dir: PathBuf,
    /// The temporary directory: the repository and whatever the runs keep.
    pub root: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Repo {
    /// Copy `fixture` (under tests/fixtures/real-engines/), replace each placeholder in its
    /// `pipegen.yaml`, copy the static busybox into each of `busybox_into`, emit the pipelines
    /// with the real pipegen, and commit everything on `main`.
    pub fn create(fixture: &str, placeholders: &[(&str, &str)], busybox_into: &[&str]) -> Repo {
        let tmp = tempfile::Builder::new().prefix(&format!("pipegen-re-{fixture}-")).tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let dir = root.join("repo");
        super::copy_dir(&super::repo().join("tests/fixtures/real-engines").join(fixture), &dir);
        let mut model = fs::read_to_string(dir.join("pipegen.yaml")).unwrap();
        for (placeholder, value) in placeholders {
            model = model.replace(placeholder, value);
        }
        if let Some(left) = placeholder(&model) {
            panic!("{fixture}/pipegen.yaml: @{left}@ is not replaced");
        }
        fs::write(dir.join("pipegen.yaml"), model).unwrap();
        for context in busybox_into {
            fs::copy(super::tool("busybox"), dir.join(context).join("busybox")).expect("copy busybox (busybox-static)");
        }
        // gitlab-ci-local keeps its state in the repository and copies dotenv reports back; the
        // tests write broken pipelines next to the real ones.
        fs::write(dir.join(".gitignore"), "/.gitlab-ci-local/\n/pipegen.env\n/broken-*\n").unwrap();
        let repo = Repo { dir, root, _tmp: tmp };
        repo.git(&["init", "-q", "-b", "main"]);
        // Never contacted: act derives github.repository from it, gitlab-ci-local the project.
        repo.git(&["remote", "add", "origin", &format!("https://gitlab.example.com/pipegen/{fixture}.git")]);
        repo.git(&["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"]);
        let (code, out, err) = super::pipegen_in(&repo.dir, &["emit", "--model", "pipegen.yaml"]);
        assert_eq!(code, 0, "pipegen emit\n{out}{err}");
        repo.commit("real-engines fixture and its pipelines");
        repo
    }

    pub fn write(&self, path: &str, text: &str) {
        fs::write(self.dir.join(path), text).unwrap_or_else(|e| panic!("write {path}: {e}"));
    }

    pub fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    /// Run git in the repository; its stdout.
    pub fn git(&self, args: &[&str]) -> String {
        let (code, out, err) = super::run(hermetic_git(&mut Command::new("git")).args(args).current_dir(&self.dir));
        assert_eq!(code, 0, "git {args:?}\n{out}{err}");
        out
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    /// The tag each build gets at HEAD in `registry_path`, from `pipegen tags` (computed like the
    /// pipelines compute them, from git), by image.
    pub fn tags(&self, registry_path: &str) -> Tags {
        let (code, out, err) = super::pipegen_in(&self.dir, &["tags", "--format", "json"]);
        assert_eq!(code, 0, "pipegen tags\n{out}{err}");
        let listing: Vec<serde_json::Value> = serde_json::from_str(&out).expect("pipegen tags prints JSON");
        let tags = listing
            .iter()
            .map(|t| {
                let image = t["image"].as_str().unwrap().to_string();
                let tag = t["tag"].as_str().unwrap().to_string();
                let content = t["kind"].as_str() == Some("content");
                (image, Tag { tag, content })
            })
            .collect();
        Tags { path: registry_path.to_string(), tags }
    }

    /// The emitted file at `path`, parsed.
    pub fn yaml(&self, path: &str) -> serde_yaml::Value {
        serde_yaml::from_str(&fs::read_to_string(self.dir.join(path)).unwrap()).unwrap()
    }

    /// Write `pipeline`, a deliberately broken copy of an emitted file, as `broken-<name>` at
    /// the top of the work tree, ignored by git: the commit, and so every tag, stays what it was.
    /// Its path relative to the work tree (gitlab-ci-local's `--file` wants one).
    pub fn write_broken(&self, name: &str, pipeline: &serde_yaml::Value) -> String {
        let relative = format!("broken-{name}");
        fs::write(self.dir.join(&relative), serde_yaml::to_string(pipeline).unwrap()).unwrap();
        relative
    }
}

/// The first `@WORD@` placeholder in `text`.
fn placeholder(text: &str) -> Option<&str> {
    text.match_indices('@').find_map(|(at, _)| {
        let rest = &text[at + 1..];
        let word = &rest[..rest.find('@')?];
        (!word.is_empty() && word.chars().all(|c| c.is_ascii_uppercase() || c == '_')).then_some(word)
    })
}

/// git without the caller's configuration or repository (the tests may run in a CI job).
pub fn hermetic_git(command: &mut Command) -> &mut Command {
    for role in ["AUTHOR", "COMMITTER"] {
        command
            .env(format!("GIT_{role}_NAME"), "pipegen real engines")
            .env(format!("GIT_{role}_EMAIL"), "re@pipegen.invalid");
    }
    command
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tag {
    pub tag: String,
    /// A content tag (else a commit tag).
    pub content: bool,
}

/// The tags of a commit's builds, in one registry path.
#[derive(Clone, Debug, PartialEq)]
pub struct Tags {
    pub path: String,
    pub tags: BTreeMap<String, Tag>,
}

impl Tags {
    pub fn reference(&self, image: &str) -> String {
        format!("{}/{image}:{}", self.path, self.tags[image].tag)
    }

    /// The same tags in another registry path.
    pub fn at(&self, path: &str) -> Tags {
        Tags { path: path.to_string(), tags: self.tags.clone() }
    }

    pub fn repository(&self, image: &str) -> String {
        format!("{}/{image}", self.path)
    }
}

// ------------------------------------------------------------------------------------------
// Runs
// ------------------------------------------------------------------------------------------

/// One line of a run, when it arrived and which job printed it ("" for the engine itself).
#[derive(Clone, Debug)]
pub struct Line {
    pub at: f64,
    pub job: String,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
}

/// A finished run of either engine.
pub struct Run {
    pub what: String,
    pub code: i32,
    pub lines: Vec<Line>,
    /// Each job that ended, by its name (GitLab's name; on GitHub the job's `name:`, with
    /// `-<n>` per matrix shard under act).
    pub outcomes: BTreeMap<String, Outcome>,
    pub seconds: f64,
}

impl Run {
    /// Every line, for messages.
    pub fn log(&self) -> String {
        let mut text = String::new();
        for line in &self.lines {
            text.push_str(&format!("[{:6.1}] {:<24} {}\n", line.at, line.job, line.text));
        }
        text
    }

    /// When each job ran and how it ended, and how long the run took (on stderr, which cargo
    /// shows for a failed test or with --nocapture).
    pub fn print_timeline(&self) {
        eprintln!("{}: exit {} in {:.1} s", self.what, self.code, self.seconds);
        let mut jobs: Vec<(&String, (f64, f64))> =
            self.outcomes.keys().filter_map(|job| Some((job, self.span(job)?))).collect();
        jobs.sort_by(|a, b| a.1.0.total_cmp(&b.1.0));
        for (job, (start, end)) in jobs {
            eprintln!("  {start:6.1} - {end:6.1} s  {:?}  {job}", self.outcomes[job]);
        }
    }

    pub fn job_lines(&self, job: &str) -> Vec<&str> {
        self.lines.iter().filter(|l| l.job == job).map(|l| l.text.as_str()).collect()
    }

    /// When the job printed its first and its last line.
    pub fn span(&self, job: &str) -> Option<(f64, f64)> {
        let times: Vec<f64> = self.lines.iter().filter(|l| l.job == job).map(|l| l.at).collect();
        Some((*times.first()?, *times.last()?))
    }

    pub fn says(&self, job: &str, needle: &str) -> bool {
        self.job_lines(job).iter().any(|l| l.contains(needle))
    }

    /// The job ran and passed.
    pub fn passed(&self, job: &str) -> Result<(), String> {
        match self.outcomes.get(job) {
            Some(Outcome::Passed) => Ok(()),
            Some(Outcome::Failed) => Err(format!("{job} failed")),
            None => Err(format!("{job} did not run")),
        }
    }

    /// The job ran and failed.
    pub fn failed(&self, job: &str) -> Result<(), String> {
        match self.outcomes.get(job) {
            Some(Outcome::Failed) => Ok(()),
            Some(Outcome::Passed) => Err(format!("{job} passed")),
            None => Err(format!("{job} did not run")),
        }
    }

    /// `job` started only after each of `before` had finished.
    pub fn started_after(&self, job: &str, before: &[String]) -> Result<(), String> {
        let (start, _) = self.span(job).ok_or(format!("{job} did not run"))?;
        for other in before {
            match self.span(other) {
                None => return Err(format!("{job} ran, but {other}, which it needs, did not")),
                Some((_, end)) if end > start => {
                    return Err(format!("{job} started at {start:.1} s, before {other} finished at {end:.1} s"));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Panic unless `result` is Ok, with the run's log.
    pub fn must(&self, result: Result<(), String>) {
        if let Err(e) = result {
            panic!("{}: {e}\n{}", self.what, self.saved_log());
        }
    }

    /// Panic unless `result` is an error (a broken pipeline made a check fail), with the run's
    /// log; the error.
    pub fn must_fail(&self, result: Result<(), String>, why: &str) -> String {
        match result {
            Err(e) => {
                eprintln!("{}: the check failed as it should ({why}): {e}", self.what);
                e
            }
            Ok(()) => panic!("{}: the check passed although {why}\n{}", self.what, self.saved_log()),
        }
    }

    /// The whole log goes to a file under cargo's temporary directory for tests (a run prints
    /// thousands of lines); the message gets its path and its last lines.
    fn saved_log(&self) -> String {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("real-engines");
        let name: String = self.what.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
        let path = dir.join(format!("{name}.log"));
        let log = self.log();
        let saved = fs::create_dir_all(&dir).and_then(|()| fs::write(&path, &log));
        let tail: Vec<&str> = log.lines().rev().take(80).collect::<Vec<_>>().into_iter().rev().collect();
        match saved {
            Ok(()) => format!("the whole log: {}\n... its last lines:\n{}", path.display(), tail.join("\n")),
            Err(_) => log,
        }
    }
}

/// Run `command`, timestamping each line of stdout and stderr as it arrives.
fn stream(command: &mut Command) -> (i32, Vec<(f64, String)>, f64) {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let (sender, receiver) = mpsc::channel();
    let readers: Vec<_> = [
        Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().unwrap()) as Box<dyn Read + Send>,
    ]
    .into_iter()
    .map(|pipe| {
        let sender = sender.clone();
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                let _ = sender.send((started.elapsed().as_secs_f64(), line));
            }
        })
    })
    .collect();
    drop(sender);
    let lines: Vec<(f64, String)> = receiver.iter().collect();
    for reader in readers {
        reader.join().unwrap();
    }
    let status = child.wait().expect("wait for the engine");
    (status.code().unwrap_or(-1), lines, started.elapsed().as_secs_f64())
}

/// act, the GitHub Actions engine, in `repo`: `event`, the kit's flags, JSON logs, containers
/// removed even after a failure, and `args`.
/// act's own configuration files are out of the way (HOME is the repository's run folder).
pub fn act(kit: &Kit, repo: &Repo, what: &str, event: &str, args: &[String]) -> Run {
    let home = repo.root.join("act-home");
    fs::create_dir_all(&home).unwrap();
    // GitHub's push and workflow_dispatch events name the branch (`ref`) and the repository's
    // default branch; without them, act takes the first branch at HEAD's commit (`main` for a
    // branch just made from it) and knows no default branch. The event says what GitHub's would:
    // the branch checked out, and `main`, where the fixtures' repositories are made. (Other
    // events keep act's own payload: a pull request's ref, for one, comes from its number.)
    let branch = repo.git(&["symbolic-ref", "--short", "HEAD"]).trim().to_string();
    let event_file = repo.root.join("act-event.json");
    // A manual run's inputs are part of its event too (act reads them from the file once there
    // is one).
    let inputs: serde_json::Map<String, serde_json::Value> = args
        .windows(2)
        .filter(|pair| pair[0] == "--input")
        .filter_map(|pair| pair[1].split_once('='))
        .map(|(key, value)| (key.to_string(), serde_json::Value::from(value)))
        .collect();
    let payload = serde_json::json!({
        "ref": format!("refs/heads/{branch}"),
        "repository": { "default_branch": "main" },
        "inputs": inputs,
    });
    fs::write(&event_file, payload.to_string()).unwrap();
    let mut command = Command::new(&kit.act);
    if ["push", "workflow_dispatch"].contains(&event) {
        command.arg("--eventpath").arg(&event_file);
    }
    command
        .current_dir(&repo.dir)
        .arg(event)
        .args(&kit.act_flags)
        .arg("--json")
        // act keeps the containers of a failed job (for debugging) unless told otherwise.
        .arg("--rm")
        // GitHub's events name the repository's default branch (`github.event.repository.
        // default_branch`, which the push policy reads); act's own events only with this.
        .args(["--defaultbranch", "main"])
        .args(args)
        .env("HOME", &home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("GITHUB_TOKEN");
    let builders = buildx_builders();
    let (code, raw, seconds) = stream(&mut command);
    remove_act_leftovers();
    remove_new_builders(&builders);
    let mut lines = Vec::new();
    let mut outcomes = BTreeMap::new();
    for (at, text) in raw {
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            lines.push(Line { at, job: String::new(), text });
            continue;
        };
        // "job" is "<workflow name>/<job name>", padded.
        let job = json["job"].as_str().map(|j| j.split_once('/').map_or(j, |(_, n)| n).trim().to_string());
        let job = job.unwrap_or_default();
        let text = json["msg"].as_str().unwrap_or_default().trim_end().to_string();
        match json["jobResult"].as_str() {
            Some("success") => {
                outcomes.insert(job.clone(), Outcome::Passed);
            }
            Some("failure") => {
                outcomes.insert(job.clone(), Outcome::Failed);
            }
            _ => {}
        }
        lines.push(Line { at, job, text });
    }
    let run = Run { what: format!("act: {what}"), code, lines, outcomes, seconds };
    run.print_timeline();
    run
}

/// The fixtures' workflows are all named `pipegen-re-…`, so act names their containers,
/// networks and volumes `act-pipegen-re-…`.
const ACT_PREFIX: &str = "act-pipegen-re-";

/// Remove what act left of a run. Even with `--rm` it keeps the job and service containers of
/// a job that failed while setting up (a service that never turned healthy), with their network
/// and volumes. The scenarios hold the registry lock, so no other run of ours is using them.
fn remove_act_leftovers() {
    let (_, containers, _) = docker(&["ps", "--all", "--quiet", "--filter", &format!("name=^{ACT_PREFIX}")]);
    let containers: Vec<&str> = containers.split_whitespace().collect();
    if !containers.is_empty() {
        docker_ok(&[&["rm", "--force", "--volumes"][..], &containers].concat());
    }
    for kind in ["network", "volume"] {
        let (_, names, _) = docker(&[kind, "ls", "--quiet", "--filter", &format!("name={ACT_PREFIX}")]);
        let names: Vec<&str> = names.split_whitespace().collect();
        if !names.is_empty() {
            let _ = docker(&[&[kind, "rm"][..], &names].concat());
        }
    }
}

/// The BuildKit containers docker buildx made on the host (`buildx_buildkit_<builder>0`).
fn buildx_builders() -> BTreeSet<String> {
    let (_, names, _) = docker(&["ps", "--all", "--format", "{{.Names}}", "--filter", "name=^buildx_buildkit_"]);
    names.lines().map(str::to_string).collect()
}

/// Remove the BuildKit builders a run made, with their state volumes. A build job of the
/// workflow creates an unnamed builder through the host's docker socket and leaves it (a
/// GitHub-hosted runner is thrown away after the job; this machine is not). Other tests name
/// their builders `pipegen-…`: those stay.
fn remove_new_builders(before: &BTreeSet<String>) {
    let new: Vec<String> = buildx_builders()
        .into_iter()
        .filter(|name| !before.contains(name) && !name.starts_with("buildx_buildkit_pipegen-"))
        .collect();
    if new.is_empty() {
        return;
    }
    let names: Vec<&str> = new.iter().map(String::as_str).collect();
    let _ = docker(&[&["rm", "--force", "--volumes"][..], &names].concat());
    let volumes: Vec<String> = new.iter().map(|name| format!("{name}_state")).collect();
    let volumes: Vec<&str> = volumes.iter().map(String::as_str).collect();
    let _ = docker(&[&["volume", "rm"][..], &volumes].concat());
}

/// gitlab-ci-local with its docker executor in `repo`: privileged jobs, the kit's docker host,
/// `args` (variables, jobs). Its state is the repository's `.gitlab-ci-local/`; its home is
/// the run folder.
pub fn gitlab_ci_local(kit: &Kit, repo: &Repo, what: &str, args: &[String]) -> Run {
    let home = repo.root.join("gitlab-ci-local-home");
    fs::create_dir_all(&home).unwrap();
    let mut command = Command::new(&kit.gitlab_ci_local);
    command
        .current_dir(&repo.dir)
        .arg("--home")
        .arg(&home)
        .arg("--privileged")
        .args(args)
        .env("DOCKER_HOST", &kit.gitlab_docker_host)
        .env("FORCE_COLOR", "0");
    for variable in ["PIPEGEN_REGISTRY", "PIPEGEN_REGISTRY_USER", "PIPEGEN_REGISTRY_PASSWORD", "CI_REGISTRY"] {
        command.env_remove(variable);
    }
    let (code, raw, seconds) = stream(&mut command);
    // The summary names every job that ended: " PASS  <job>" or " FAIL  <job>".
    let mut outcomes = BTreeMap::new();
    for (_, text) in &raw {
        for (mark, outcome) in [(" PASS  ", Outcome::Passed), (" FAIL  ", Outcome::Failed)] {
            if let Some(job) = text.strip_prefix(mark) {
                outcomes.insert(job.trim().to_string(), outcome);
            }
        }
    }
    // Job lines are "<job, padded> <text>"; longer names first, as one may prefix another.
    let mut jobs: Vec<&String> = outcomes.keys().collect();
    jobs.sort_by_key(|j| std::cmp::Reverse(j.len()));
    let lines = raw
        .into_iter()
        .map(|(at, text)| {
            let job = jobs.iter().find(|j| text.strip_prefix(j.as_str()).is_some_and(|rest| rest.starts_with(' ')));
            match job {
                Some(job) => Line { at, job: job.to_string(), text: text[job.len()..].trim().to_string() },
                None => Line { at, job: String::new(), text },
            }
        })
        .collect();
    let run = Run { what: format!("gitlab-ci-local: {what}"), code, lines, outcomes, seconds };
    run.print_timeline();
    run
}

// ------------------------------------------------------------------------------------------
// Builds
// ------------------------------------------------------------------------------------------

/// What a job printed, without the engine's marks (gitlab-ci-local's `> ` before output).
pub fn output(text: &str) -> &str {
    text.strip_prefix("> ").unwrap_or(text)
}

/// The lines pipegen's own scripts printed in `job`.
fn pipegen_says<'a>(run: &'a Run, job: &str) -> Vec<&'a str> {
    run.job_lines(job).into_iter().map(output).filter(|l| l.starts_with("pipegen: ")).collect()
}

/// The build of `image` ran and passed without saying it skipped anything (the ledger checks
/// that it pushed `reference`).
pub fn built(run: &Run, image: &str, reference: &str) -> Result<(), String> {
    let job = format!("build:{image}");
    run.passed(&job)?;
    if let Some(line) = pipegen_says(run, &job).into_iter().find(|l| l.contains("skip")) {
        return Err(format!("{job} was to build {reference}, but says `{line}`"));
    }
    Ok(())
}

/// The build of `image` did not build: a job of the run says that `reference` is skipped, and
/// the build job, if it ran, says so itself.
pub fn skipped(run: &Run, image: &str, reference: &str) -> Result<(), String> {
    let job = format!("build:{image}");
    let says_skipped = |l: &&str| l.contains(reference) && l.contains("skip");
    let announced = run.outcomes.keys().any(|j| pipegen_says(run, j).iter().any(says_skipped));
    if !announced {
        return Err(format!("no job says that {reference} is skipped"));
    }
    if !run.job_lines(&job).is_empty() && !pipegen_says(run, &job).iter().any(says_skipped) {
        return Err(format!("{job} ran without saying that it skipped {reference}"));
    }
    if run.outcomes.get(&job) == Some(&Outcome::Failed) {
        return Err(format!("{job} failed"));
    }
    Ok(())
}

/// Each alias tag `(image, alias)` of `tags`' registry path names, byte for byte, the manifest
/// of the image's own tag in `tags` (so it was set by digest, not by another build).
pub fn aliases_point(registry: &Registry, tags: &Tags, aliases: &[(&str, String)]) -> Result<(), String> {
    for (image, alias) in aliases {
        let target = tags.reference(image);
        let at = format!("{}:{alias}", tags.repository(image));
        let Some(manifest) = registry.manifest(&target) else {
            return Err(format!("{target} is not in the registry"));
        };
        match registry.manifest(&at) {
            None => return Err(format!("the alias {at} is not in the registry")),
            Some(aliased) if aliased != manifest => {
                return Err(format!("the alias {at} does not name the manifest of {target}"));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The references of alias tags `(image, alias)` in `tags`' registry path.
pub fn alias_references(tags: &Tags, aliases: &[(&str, String)]) -> Vec<String> {
    aliases.iter().map(|(image, alias)| format!("{}:{alias}", tags.repository(image))).collect()
}

/// The first 8 characters of a commit SHA: `${short_commit}`.
pub fn short(commit: &str) -> String {
    commit[..8].to_string()
}

// ------------------------------------------------------------------------------------------
// Services: the jobs of tests/fixtures/real-engines/services
// ------------------------------------------------------------------------------------------

/// A job of the services scenario: the service it uses, whether that service is late (listens
/// after the job's timeout), and the model images it runs (their builds come first).
pub struct ServiceJob {
    pub job: String,
    pub service: String,
    pub late: bool,
    pub images: Vec<&'static str>,
}

pub fn service_jobs() -> Vec<ServiceJob> {
    let mut jobs = Vec::new();
    for probe in ["http", "tcp", "cmd"] {
        let kinds: [(&str, &str, bool, Vec<&'static str>); 4] = [
            ("busybox", "busybox", false, vec!["busybox", "web"]),
            ("debian", "debian", false, vec![]),
            ("busybox-late", "late", true, vec!["busybox", "web"]),
            ("debian-late", "late", true, vec!["web"]),
        ];
        for (job, service, late, images) in kinds {
            jobs.push(ServiceJob {
                job: format!("wait-{probe}-{job}"),
                service: format!("{probe}-{service}"),
                late,
                images,
            });
        }
    }
    jobs
}

/// The script's own output: what `wget -O -` got from the service.
fn reached_service(run: &Run, job: &str) -> bool {
    run.job_lines(job).into_iter().any(|l| output(l) == "healthy")
}

/// The job started after the builds of the model images it runs, where the run built them; a
/// build that did not run must have been skipped for an image already in the registry.
pub fn after_its_builds(run: &Run, job: &ServiceJob) -> Result<(), String> {
    for image in &job.images {
        let build = format!("build:{image}");
        if run.span(&build).is_some() {
            run.started_after(&job.job, std::slice::from_ref(&build))?;
        } else if !run.lines.iter().any(|l| l.text.contains(&format!("/{image}:")) && l.text.contains("skip")) {
            return Err(format!(
                "{build} did not run before {}, and no job says that the image is in the registry",
                job.job
            ));
        }
    }
    Ok(())
}

/// A service on time: the job started after the builds of its images, and waited for the
/// service (which listens only seconds after it starts).
pub fn waited_for_service(run: &Run, job: &ServiceJob) -> Result<(), String> {
    after_its_builds(run, job)?;
    reached_service_in_time(run, job)
}

/// The job passed, its script having reached the service: it did not start before the service
/// listened.
pub fn reached_service_in_time(run: &Run, job: &ServiceJob) -> Result<(), String> {
    run.passed(&job.job)?;
    if !reached_service(run, &job.job) {
        return Err(format!("{}'s script did not reach {}", job.job, job.service));
    }
    Ok(())
}

/// A late service: the job failed before the service listened, without running its script,
/// and says `why` (the engine's words, or pipegen's where it words the message).
pub fn gave_up_on_service(run: &Run, job: &ServiceJob, why: &str) -> Result<(), String> {
    run.failed(&job.job)?;
    if reached_service(run, &job.job) {
        return Err(format!("{}'s script reached {}", job.job, job.service));
    }
    if !run.says(&job.job, why) {
        return Err(format!("{} does not say `{why}`", job.job));
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------
// Docker
// ------------------------------------------------------------------------------------------

/// Run the host's docker CLI against dockerd's own socket.
pub fn docker(args: &[&str]) -> (i32, String, String) {
    super::run(Command::new("docker").args(args).env_remove("DOCKER_HOST").env("DOCKER_BUILDKIT", "0"))
}

pub fn docker_ok(args: &[&str]) -> String {
    let (code, out, err) = docker(args);
    assert_eq!(code, 0, "docker {args:?}\n{out}{err}");
    out
}

/// Images the docker daemon got during a test (pulled by jobs, built by the test), removed when
/// dropped, so that the machine does not fill up run after run.
pub struct LocalImages {
    prefixes: Mutex<Vec<String>>,
}

impl LocalImages {
    pub fn new() -> LocalImages {
        LocalImages { prefixes: Mutex::new(Vec::new()) }
    }

    /// Remove, at the end, every local image whose name starts with `prefix`.
    pub fn remove_later(&self, prefix: &str) {
        self.prefixes.lock().unwrap().push(prefix.to_string());
    }

    /// Build `context` with the classic builder (a local base image needs no registry) as
    /// `name`, removed at the end.
    pub fn build(&self, name: &str, context: &Path, build_args: &[(&str, &str)]) {
        let mut args = vec!["build".to_string(), "--quiet".to_string(), "--tag".to_string(), name.to_string()];
        for (key, value) in build_args {
            args.extend(["--build-arg".to_string(), format!("{key}={value}")]);
        }
        args.push(context.to_str().unwrap().to_string());
        docker_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        self.remove_later(name);
    }
}

impl Default for LocalImages {
    fn default() -> Self {
        LocalImages::new()
    }
}

impl Drop for LocalImages {
    fn drop(&mut self) {
        let (_, listing, _) = docker(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
        let prefixes = self.prefixes.lock().unwrap();
        let doomed: Vec<&str> =
            listing.lines().filter(|image| prefixes.iter().any(|p| image.starts_with(p.as_str()))).collect();
        if !doomed.is_empty() {
            let mut args = vec!["rmi", "--force"];
            args.extend(doomed);
            let _ = docker(&args);
        }
    }
}

/// Run an image as docker does (its entrypoint and command); its stdout.
pub fn run_image(reference: &str) -> String {
    docker_ok(&["run", "--rm", "--pull", "always", reference])
}

/// Unzip one file of a zip archive (an artifact) with busybox; its text, or `None` when the
/// archive holds no such file (busybox's `unzip -p` prints nothing and succeeds then).
pub fn unzip_file(archive: &Path, name: &str) -> Option<String> {
    if !zip_names(archive).iter().any(|n| n == name) {
        return None;
    }
    let output = Command::new(super::tool("busybox")).args(["unzip", "-p"]).arg(archive).arg(name).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The names of the files in a zip archive, as busybox's `unzip -l` lists them: between its two
/// rules of dashes, a length, a date, a time and the name (which may hold blanks).
pub fn zip_names(archive: &Path) -> Vec<String> {
    let Ok(output) = Command::new(super::tool("busybox")).args(["unzip", "-l"]).arg(archive).output() else {
        return Vec::new();
    };
    let listing = String::from_utf8_lossy(&output.stdout);
    let mut rules = 0;
    let mut names = Vec::new();
    for line in listing.lines() {
        if line.trim_start().starts_with("---") {
            rules += 1;
        } else if rules == 1 {
            let mut rest = line.trim_start();
            for _ in 0..3 {
                rest = rest.split_once(char::is_whitespace).map_or("", |(_, r)| r).trim_start();
            }
            names.push(rest.to_string());
        }
    }
    names
}

// ------------------------------------------------------------------------------------------
// Platforms: tests/fixtures/real-engines/platforms
// ------------------------------------------------------------------------------------------

/// The platforms of the fixture's images.
pub const PLATFORMS: [&str; 2] = ["linux/amd64", "linux/arm64"];

/// `registry/path/image` of `registry/path/image:tag`.
fn repository_of(reference: &str) -> &str {
    reference.rsplit_once(':').map_or(reference, |(repository, _)| repository)
}

/// The manifest list at `reference`: each platform it names (`os/architecture[/variant]`) with
/// its manifest's digest. BuildKit's attestation manifests (`unknown/unknown`) are left out.
pub fn listed_platforms(registry: &Registry, reference: &str) -> Result<BTreeMap<String, String>, String> {
    let raw = registry.manifest(reference).ok_or(format!("{reference} is not in the registry"))?;
    let json: serde_json::Value =
        serde_json::from_slice(&raw).map_err(|e| format!("the manifest of {reference} is not JSON: {e}"))?;
    let entries =
        json["manifests"].as_array().ok_or(format!("{reference} is a single image, not a manifest list: {json}"))?;
    let mut out = BTreeMap::new();
    for entry in entries {
        let platform = &entry["platform"];
        let (os, arch) =
            (platform["os"].as_str().unwrap_or_default(), platform["architecture"].as_str().unwrap_or_default());
        if os == "unknown" {
            continue;
        }
        let name = match platform["variant"].as_str() {
            Some(variant) if !(arch == "arm64" && variant == "v8") => format!("{os}/{arch}/{variant}"),
            _ => format!("{os}/{arch}"),
        };
        out.insert(name, entry["digest"].as_str().unwrap_or_default().to_string());
    }
    Ok(out)
}

/// `reference` is a manifest list of exactly `platforms`, and each entry is an image of its
/// platform (its config says so).
pub fn manifest_list_of(registry: &Registry, reference: &str, platforms: &[&str]) -> Result<(), String> {
    let listed = listed_platforms(registry, reference)?;
    let names: Vec<&str> = listed.keys().map(String::as_str).collect();
    if names != platforms {
        return Err(format!("{reference} lists the platforms {names:?}, not {platforms:?}"));
    }
    for (platform, digest) in &listed {
        let arch = platform.split('/').nth(1).unwrap_or_default();
        let config = image_config(&format!("{}@{digest}", repository_of(reference)))?;
        if config["architecture"].as_str() != Some(arch) {
            return Err(format!("the {platform} image of {reference} is built for {}", config["architecture"]));
        }
    }
    Ok(())
}

/// The config of the image at `reference`.
fn image_config(reference: &str) -> Result<serde_json::Value, String> {
    let output = Command::new(super::tool("skopeo"))
        .args(["inspect", "--tls-verify=false", "--config", &format!("docker://{reference}")])
        .output()
        .expect("run skopeo");
    if !output.status.success() {
        return Err(format!("skopeo inspect --config {reference}: {}", String::from_utf8_lossy(&output.stderr)));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("the config of {reference}: {e}"))
}

/// The layers of the image at `reference` (a single image).
fn image_layers(registry: &Registry, reference: &str) -> Result<Vec<String>, String> {
    let raw = registry.manifest(reference).ok_or(format!("{reference} is not in the registry"))?;
    let json: serde_json::Value = serde_json::from_slice(&raw).map_err(|e| e.to_string())?;
    let layers = json["layers"].as_array().ok_or(format!("{reference} has no layers: {json}"))?;
    Ok(layers.iter().map(|l| l["digest"].as_str().unwrap_or_default().to_string()).collect())
}

/// For each platform, the child's image of that platform starts with every layer of the
/// parent's image of the same platform, and not with the other platforms' (the fixture's base
/// copies a file per architecture, so its platforms' layers differ).
pub fn built_from_same_platform(registry: &Registry, child: &str, parent: &str) -> Result<(), String> {
    let children = listed_platforms(registry, child)?;
    let parents = listed_platforms(registry, parent)?;
    for (platform, digest) in &children {
        let layers = image_layers(registry, &format!("{}@{digest}", repository_of(child)))?;
        for (parent_platform, parent_digest) in &parents {
            let parent_layers = image_layers(registry, &format!("{}@{parent_digest}", repository_of(parent)))?;
            let starts_with = layers.starts_with(&parent_layers);
            if starts_with != (parent_platform == platform) {
                return Err(format!(
                    "the {platform} image of {child} {} from the {parent_platform} image of {parent}",
                    if starts_with { "is built" } else { "is not built" }
                ));
            }
        }
    }
    Ok(())
}

/// The temporary tags each platform's job pushes beside the manifest list at `reference`.
pub fn platform_references(reference: &str) -> Vec<String> {
    PLATFORMS.iter().map(|p| format!("{reference}-platform-{}", p.replace('/', "-"))).collect()
}

/// `job` found the list under its tag without linux/arm64, and so built it again.
pub fn rebuilt_incomplete_list(run: &Run, job: &str) -> Result<(), String> {
    if run.says(job, "does not list linux/arm64") && !pipegen_says(run, job).iter().any(|l| l.contains("skip")) {
        Ok(())
    } else {
        Err(format!("{job} did not build again the list that lacks linux/arm64"))
    }
}

// ------------------------------------------------------------------------------------------
// Upstream refresh: tests/fixtures/real-engines/upstream
// ------------------------------------------------------------------------------------------

/// The upstream scenario's images, with whether each is built on the upstream image.
pub const UPSTREAM_IMAGES: [(&str, bool); 3] = [("base", true), ("child", true), ("other", false)];

/// Build the upstream image (`FROM scratch` plus a file holding `version`) with the host's
/// docker and push it to `reference` in the test registry, replacing what the tag named.
pub fn push_upstream(local: &LocalImages, reference: &str, version: &str) {
    let context = tempfile::tempdir().expect("a temporary directory");
    let fixture = super::repo().join("tests/fixtures/real-engines/upstream/upstream/Dockerfile");
    fs::copy(&fixture, context.path().join("Dockerfile")).expect("copy the upstream Dockerfile");
    fs::write(context.path().join("version.txt"), format!("{version}\n")).unwrap();
    local.build(reference, context.path(), &[]);
    docker_ok(&["push", "--quiet", reference]);
}

/// The build of `image` computed the tag of `after` (as `pipegen tags` does), found the
/// reference absent and built it, and that tag is not the one of `before`.
pub fn rebuilt_under_new_tag(run: &Run, image: &str, before: &Tags, after: &Tags) -> Result<(), String> {
    let reference = after.reference(image);
    if reference == before.reference(image) {
        return Err(format!("the tag of {image} did not change with its upstream image: {reference}"));
    }
    built(run, image, &reference)?;
    let job = format!("build:{image}");
    let said = format!("pipegen: {reference} is not in the registry; building it");
    if !pipegen_says(run, &job).iter().any(|l| l.contains(&said)) {
        return Err(format!("{job} did not say `{said}`: {:?}", pipegen_says(run, &job)));
    }
    Ok(())
}

/// A new upstream image rebuilt exactly the images on it: each of those was built under its new
/// tag (`after`), which differs from its tag `before`; every other image was skipped under a tag
/// that did not change.
pub fn rebuilt_exactly_above_upstream(run: &Run, before: &Tags, after: &Tags) -> Result<(), String> {
    for (image, on_upstream) in UPSTREAM_IMAGES {
        let reference = after.reference(image);
        if on_upstream {
            rebuilt_under_new_tag(run, image, before, after)?;
        } else {
            if reference != before.reference(image) {
                return Err(format!("the tag of {image} changed, but it is not on the upstream image: {reference}"));
            }
            skipped(run, image, &reference)?;
        }
    }
    Ok(())
}

/// A broken pipeline: the build jobs' tag script leaves the `upstream` lines out of the recipe
/// (every string of the pipeline that writes them no longer does), as recipe v3 did.
pub fn without_upstream_lines(pipeline: serde_yaml::Value) -> serde_yaml::Value {
    const WRITES: &str = r#"printf 'upstream %s %s\n' "$pipegen_base" "$pipegen_digest" >> "$pipegen_recipe""#;
    fn walk(value: &mut serde_yaml::Value, found: &mut usize) {
        match value {
            serde_yaml::Value::String(text) if text.contains(WRITES) => {
                *text = text.replace(WRITES, ":");
                *found += 1;
            }
            serde_yaml::Value::Sequence(items) => items.iter_mut().for_each(|v| walk(v, found)),
            serde_yaml::Value::Mapping(map) => map.iter_mut().for_each(|(_, v)| walk(v, found)),
            _ => {}
        }
    }
    let mut pipeline = pipeline;
    let mut found = 0;
    walk(&mut pipeline, &mut found);
    assert!(found > 0, "the pipeline writes upstream lines somewhere");
    pipeline
}

/// A broken merge job (its job `env` on GitHub, `variables` on GitLab): its list of platform
/// digests keeps only the first platform's, linux/amd64.
pub fn merge_only_the_first_platform(values: &mut serde_yaml::Mapping) {
    let digests = values.get("PIPEGEN_DIGESTS").and_then(serde_yaml::Value::as_str).expect("a merge job").to_string();
    let first = digests.lines().next().unwrap().to_string();
    assert!(first.starts_with("linux/amd64="), "{digests}");
    values.insert(serde_yaml::Value::from("PIPEGEN_DIGESTS"), serde_yaml::Value::from(first));
}
