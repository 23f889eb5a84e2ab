//! Issue 3's end-to-end test: the GitLab pipeline pipegen emits, run for real.
//!
//! A throwaway git repository (`tests/fixtures/e2e/pipeline`, plus a static busybox copied in
//! and committed, so nothing is pulled from the internet) holds a model: `base`, two components
//! `alpha` and `beta` built from it, and `app`, which combines them and is tagged by commit. The
//! test starts a registry on 127.0.0.1, emits `.gitlab-ci.yml` with the real pipegen binary and
//! runs it with gitlab-ci-local's shell executor, buildah doing the builds. It then asks the
//! registry (skopeo) what was pushed, under which tags, and whether anything else changed. A
//! second registry, HTTPS with a login, checks that jobs log in with the credentials they are
//! given and never print them.
//! beta has an image cache (`caches: [counts]`): a `RUN --mount=type=cache,id=counts` step of
//! its Dockerfile counts how often it ran. Each pipeline gets a fresh TMPDIR, where buildah keeps
//! its cache mounts, so only GitLab's cache (gitlab-ci-local keeps it in the repository) can
//! carry the count from one pipeline to the next; the cache helper image is a static busybox
//! pushed to the test registry.
//! Expected content tags are computed here from `git ls-tree` and the recipe documented in
//! `pipegen::plan::recipe`, not read back from the pipeline; `pipegen tags` must say the same.
//! alpha's context has a `.dockerignore`: a commit that edits only a file it leaves out
//! rebuilds nothing. Each build job computes its own tag
//! and hands it to the builds that need it through a one-variable dotenv report.
//!
//! GitLab services cannot run under the shell executor, so the service waits are tested apart:
//! the generated `before_script` of a job with a service runs under bash (as GitLab runs it)
//! against a local process standing in for the service, the wait pointed at `localhost`.
//!
//! Nothing in /etc is touched: the registries, containers storage (vfs), registries.conf, the
//! trusted certificate and the login file live in a temporary directory, handed to buildah and
//! skopeo through environment variables.
//! See docs/dev/e2e-notes.md for how each tool behaves here.

// Needs external tools: in the full tier (scripts/test.sh), not in the offline `cargo test`.
#![cfg(feature = "external-tests")]

mod support;

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// The login the secure registry accepts (tests/fixtures/e2e/htpasswd holds its bcrypt hash).
const SECURE_USER: &str = "e2e";
const SECURE_PASSWORD: &str = "pipegen-e2e-password";

/// The images of the fixture model, parents first.
const IMAGES: [&str; 4] = ["base", "alpha", "beta", "app"];
/// The jobs of the emitted pipeline.
const JOBS: [&str; 4] = ["build:base", "build:alpha", "build:beta", "build:app"];

/// beta's cache `counts`: the path the job keeps it at, and its key file.
const COUNTS_PATH: &str = ".cache/counts";
const COUNTS_LOCK: &str = "components/beta/counts.lock";
/// gitlab-ci-local's names for the cache entries of build:beta (`.gitlab-ci-local/cache/<name>`):
/// `<index>_<prefix>-<checksum of the key files>` for the exact key, the key itself for the
/// rolling one.
const COUNTS_EXACT_PREFIX: &str = "0_counts@build-2-";
const COUNTS_ROLLING: &str = "counts@build-2-latest";
/// gitlab-ci-local's copy of the repository for the job build:beta (`:` is base64url-encoded).
const BETA_JOB_DIR: &str = ".gitlab-ci-local/builds/buildOgbeta";

/// What the final image prints at each stage of the scenario.
const APP_OUTPUT_V1: &str = "app built from:\nalpha v1\nbeta v1\nbeta says hello\n";
const APP_OUTPUT_V2: &str = "app built from:\nalpha v2\nbeta v1\nbeta says hello\n";
const APP_OUTPUT_V3: &str = "app built from:\nalpha v2\nbeta v2\nbeta says hello\n";

// ------------------------------------------------------------------------------------------
// The pipeline scenarios
// ------------------------------------------------------------------------------------------

/// Scenarios 1 to 6 of issue 3, the registry logins (7, 8) and beta's image cache (every run,
/// and 9), chained on one repository so that only the first run, and the first on each new
/// registry path, build everything cold.
#[test]
fn gitlab_pipeline_builds_skips_and_rebuilds_by_content() {
    let world = World::new();
    let mut ledger = Ledger::default();
    let main_path = format!("{}/e2e", world.registry.addr);

    // The emitted needs: base needs nothing; both components need only base (and its tag), so
    // they run in parallel; the app needs exactly what it is built from.
    let pipeline: serde_yaml::Value =
        serde_yaml::from_str(&fs::read_to_string(world.repo.join(".gitlab-ci.yml")).unwrap()).unwrap();
    assert_eq!(needs(&pipeline, "build:base"), []);
    for component in ["build:alpha", "build:beta"] {
        assert_eq!(needs(&pipeline, component), [("build:base", true)], "{component}");
    }
    assert_eq!(needs(&pipeline, "build:app"), [("build:base", true), ("build:alpha", true), ("build:beta", true)]);
    // beta's cache: the exact key of its stage falls back to the rolling one, which every run
    // pushes. gitlab-ci-local's entry names (COUNTS_EXACT_PREFIX, COUNTS_ROLLING) follow.
    let beta_cache: serde_yaml::Value = serde_yaml::from_str(&format!(
        "[{{ key: {{ files: [{COUNTS_LOCK}], prefix: 'counts@build-2' }}, paths: [{COUNTS_PATH}], \
           fallback_keys: [{COUNTS_ROLLING}] }}, \
         {{ key: {COUNTS_ROLLING}, paths: [{COUNTS_PATH}], policy: push }}]"
    ))
    .unwrap();
    assert_eq!(pipeline["build:beta"]["cache"], beta_cache);

    // 1. First run: every image is built and pushed under its tag, and the app runs.
    let tags1 = world.expected_tags();
    let run = world.run_pipeline(&[]);
    run.assert_tags_job(&main_path, &tags1);
    run.assert_builds(&main_path, &tags1, &[Built, Built, Built, Built]);
    run.assert_started_together("build:alpha", "build:beta");
    ledger.record(&world, &[&main_path], &tags1.refs(&main_path), &[]);
    assert_eq!(world.run_image(&tags1.reference(&main_path, "app")), APP_OUTPUT_V1);
    // beta's cache step ran once, on an empty cache; GitLab saved the count under both keys.
    let exact_v1 = world.new_exact_entry(&[]);
    let mut counts = BTreeMap::from([(exact_v1.clone(), 1), (COUNTS_ROLLING.to_string(), 1)]);
    run.assert_counts(&world, Some(&tags1.reference(&main_path, "beta")), None, 1, &counts);

    assert_eq!(world.pipegen_tags(), tags1, "pipegen tags says what the pipeline computed");

    // 2. Nothing a build receives changed: a commit edits only a file alpha's .dockerignore
    // leaves out. No content-tagged image is rebuilt and their manifests are byte for byte what
    // run 1 pushed. The commit-tagged app is built in every pipeline (contract 4), under the new
    // commit's tag.
    world.write("components/alpha/NOTES.md", "Notes, edited: still not alpha's business.\n");
    world.commit("alpha: edit the notes its build never receives");
    let tags2 = world.expected_tags();
    assert_eq!((&tags2.base, &tags2.alpha, &tags2.beta), (&tags1.base, &tags1.alpha, &tags1.beta));
    assert_eq!(world.pipegen_tags(), tags2);
    let run = world.run_pipeline(&[]);
    run.assert_tags_job(&main_path, &tags2);
    run.assert_builds(&main_path, &tags2, &[Skipped, Skipped, Skipped, Built]);
    ledger.record(&world, &[&main_path], &[tags2.reference(&main_path, "app")], &[]);
    // A skipped build leaves the cache as GitLab restored it.
    run.assert_counts(&world, None, Some(&exact_v1), 1, &counts);

    // 3. A commit changing only alpha's files: alpha and the app get new tags and are built;
    // base and beta keep theirs and are skipped.
    world.write("components/alpha/message.txt", "alpha v2\n");
    world.commit("alpha: v2");
    let tags3 = world.expected_tags();
    assert_eq!((&tags3.base, &tags3.beta), (&tags1.base, &tags1.beta), "only alpha's inputs changed");
    assert_ne!(tags3.alpha, tags1.alpha);
    let run = world.run_pipeline(&[]);
    run.assert_tags_job(&main_path, &tags3);
    run.assert_builds(&main_path, &tags3, &[Skipped, Built, Skipped, Built]);
    let new = [tags3.reference(&main_path, "alpha"), tags3.reference(&main_path, "app")];
    ledger.record(&world, &[&main_path], &new, &[]);
    assert_eq!(world.run_image(&tags3.reference(&main_path, "app")), APP_OUTPUT_V2);
    run.assert_counts(&world, None, Some(&exact_v1), 1, &counts);

    // 4. A commit changing one of base's inputs: base and everything below it are rebuilt.
    // It also changes beta's message, which beta's Dockerfile copies before its cache step, so
    // the step runs again (base's own layers come from buildah's layer cache: .tool-versions is
    // not in its context). The pipeline's TMPDIR is new: the count the step finds in its cache
    // mount can only have come through GitLab's cache, and it goes on to 2. The exact entry and
    // the rolling one are saved with it.
    world.write(".tool-versions", "busybox 1.35.0\n# pinned for the e2e test\n");
    world.write("components/beta/message.txt", "beta v2\n");
    world.commit("base: touch .tool-versions; beta: v2");
    let tags4 = world.expected_tags();
    for image in IMAGES {
        assert_ne!(tags4.get(image), tags3.get(image), "{image} depends on base");
    }
    let run = world.run_pipeline(&[]);
    run.assert_tags_job(&main_path, &tags4);
    run.assert_builds(&main_path, &tags4, &[Built, Built, Built, Built]);
    ledger.record(&world, &[&main_path], &tags4.refs(&main_path), &[]);
    counts = BTreeMap::from([(exact_v1.clone(), 2), (COUNTS_ROLLING.to_string(), 2)]);
    run.assert_counts(&world, Some(&tags4.reference(&main_path, "beta")), Some(&exact_v1), 2, &counts);

    // 5. A new branch without changes: the same content tags, so nothing is rebuilt (GitLab's
    // rules:changes would say "everything changed" on a new branch). The app, tagged by the
    // same commit, is built again as every pipeline does.
    world.git(&["checkout", "-q", "-b", "feature/no-changes"]);
    assert_eq!(world.expected_tags(), tags4);
    let run = world.run_pipeline(&[]);
    run.assert_tags_job(&main_path, &tags4);
    run.assert_builds(&main_path, &tags4, &[Skipped, Skipped, Skipped, Built]);
    ledger.record(&world, &[&main_path], &[], &[tags4.reference(&main_path, "app")]);
    run.assert_counts(&world, None, Some(&exact_v1), 2, &counts);

    // 6. PIPEGEN_REGISTRY set for one pipeline: the same .gitlab-ci.yml pushes every image to the
    // other path, and the main path is left alone.
    let emitted = fs::read(world.repo.join(".gitlab-ci.yml")).unwrap();
    let other_path = format!("{}/other", world.registry.addr);
    let run = world.run_pipeline(&[("PIPEGEN_REGISTRY", &other_path)]);
    run.assert_tags_job(&other_path, &tags4);
    run.assert_builds(&other_path, &tags4, &[Built, Built, Built, Built]);
    ledger.record(&world, &[&main_path, &other_path], &tags4.refs(&other_path), &[]);
    // The cache is the stage's, whatever the registry. beta is built, its cache loaded and
    // saved, but all its layers, the cache step's included, come from buildah's layer cache
    // (run 4 made them): the step does not run and the count stays. It counts runs of the
    // step, not builds.
    run.assert_counts(&world, Some(&tags4.reference(&other_path, "beta")), Some(&exact_v1), 2, &counts);
    assert_eq!(fs::read(world.repo.join(".gitlab-ci.yml")).unwrap(), emitted, ".gitlab-ci.yml was not regenerated");
    let (code, out, err) =
        support::run(support::pipegen().args(["check", "--model", "pipegen.yaml"]).current_dir(&world.repo));
    assert_eq!(code, 0, "pipegen check: the emitted pipeline is still current\n{out}{err}");
    assert_eq!(world.git(&["status", "--porcelain"]), "", "the pipelines left the work tree clean");
    assert_eq!(world.run_image(&tags4.reference(&other_path, "app")), APP_OUTPUT_V3);

    // 7. A registry that wants a login, which is GitLab's own (CI_REGISTRY, CI_REGISTRY_USER,
    // CI_REGISTRY_PASSWORD): each build job logs in with the job's credentials, and no job
    // prints the password.
    let secure_path = format!("{}/e2e", world.secure.addr);
    let base_there = format!("docker://{}", tags4.reference(&secure_path, "base"));
    let mut anonymous = world.command(support::tool("skopeo"));
    anonymous.arg("--registries-conf").arg(&world.registries_conf).args(["inspect", "--raw", &base_there]);
    let (code, _, err) = support::run(&mut anonymous);
    assert!(code != 0 && err.contains("authentication required"), "the secure registry refuses anonymous users: {err}");
    let run = world.run_pipeline(&[
        ("PIPEGEN_REGISTRY", &secure_path),
        ("CI_REGISTRY", &world.secure.addr),
        ("CI_REGISTRY_USER", SECURE_USER),
        ("CI_REGISTRY_PASSWORD", SECURE_PASSWORD),
    ]);
    run.assert_logged_in_without_printing(SECURE_PASSWORD);
    run.assert_tags_job(&secure_path, &tags4);
    run.assert_builds(&secure_path, &tags4, &[Built, Built, Built, Built]);
    ledger.record(&world, &[&main_path, &other_path, &secure_path], &tags4.refs(&secure_path), &[]);
    run.assert_counts(&world, Some(&tags4.reference(&secure_path, "beta")), Some(&exact_v1), 2, &counts);

    // 8. The same registry with the project's own credentials (PIPEGEN_REGISTRY_USER and
    // PIPEGEN_REGISTRY_PASSWORD): the lookups are logged in too, so the content-tagged images
    // are skipped, and the app is pushed.
    let run = world.run_pipeline(&[
        ("PIPEGEN_REGISTRY", &secure_path),
        ("PIPEGEN_REGISTRY_USER", SECURE_USER),
        ("PIPEGEN_REGISTRY_PASSWORD", SECURE_PASSWORD),
    ]);
    run.assert_logged_in_without_printing(SECURE_PASSWORD);
    run.assert_builds(&secure_path, &tags4, &[Skipped, Skipped, Skipped, Built]);
    let every_path = [main_path.as_str(), &other_path, &secure_path];
    ledger.record(&world, &every_path, &[], &[tags4.reference(&secure_path, "app")]);
    run.assert_counts(&world, None, Some(&exact_v1), 2, &counts);

    // 9. A new lockfile (the cache's key file, also in beta's context): the exact key misses.
    // GitLab would then restore the rolling entry through `fallback_keys` and the count would
    // go on (3). gitlab-ci-local 4.64.1 ignores `fallback_keys` (only its copy of GitLab's
    // schema knows the word) and never restores a `policy: push` entry, so the job starts
    // without the cache: the step counts from zero, the new exact entry and the rolling one get
    // 1, and the old exact entry keeps 2. That the count restarts also shows that nothing but
    // the CI cache carried it: the job's directory, buildah's layers and the registry all still
    // held the earlier runs' state.
    world.write(COUNTS_LOCK, "counts v2\n");
    world.commit("beta: a new lockfile");
    let tags9 = world.expected_tags();
    assert_eq!((&tags9.base, &tags9.alpha), (&tags4.base, &tags4.alpha), "only beta's inputs changed");
    assert_ne!(tags9.beta, tags4.beta);
    let run = world.run_pipeline(&[]);
    run.assert_tags_job(&main_path, &tags9);
    run.assert_builds(&main_path, &tags9, &[Skipped, Skipped, Built, Built]);
    let new = [tags9.reference(&main_path, "beta"), tags9.reference(&main_path, "app")];
    ledger.record(&world, &every_path, &new, &[]);
    let exact_v2 = world.new_exact_entry(&[&exact_v1]);
    counts = BTreeMap::from([(exact_v1, 2), (exact_v2, 1), (COUNTS_ROLLING.to_string(), 1)]);
    run.assert_counts(&world, Some(&tags9.reference(&main_path, "beta")), None, 1, &counts);
}

/// The `needs` of a job of the emitted pipeline, as (job, artifacts); a need written as a name
/// takes the job's artifacts (GitLab's default).
fn needs<'a>(pipeline: &'a serde_yaml::Value, job: &str) -> Vec<(&'a str, bool)> {
    pipeline[job]["needs"]
        .as_sequence()
        .unwrap_or_else(|| panic!("{job} has a needs list"))
        .iter()
        .map(|n| match n.as_str() {
            Some(name) => (name, true),
            None => (n["job"].as_str().unwrap(), n["artifacts"].as_bool().unwrap()),
        })
        .collect()
}

// ------------------------------------------------------------------------------------------
// The world: a registry, containers configuration and the test repository
// ------------------------------------------------------------------------------------------

/// Everything one pipeline test needs. The registries are declared first so that they are
/// killed before their data directories are removed.
struct World {
    /// Plain HTTP, anonymous (an insecure entry in registries.conf).
    registry: Registry,
    /// HTTPS with a certificate made for the test, and htpasswd logins.
    secure: Registry,
    /// The certificate the secure registry presents, trusted through SSL_CERT_FILE.
    certificate: PathBuf,
    /// Where `buildah login` writes.
    auth_file: PathBuf,
    repo: PathBuf,
    registries_conf: PathBuf,
    storage_conf: PathBuf,
    gcl_home: PathBuf,
    /// Whether a pipeline run validated `.gitlab-ci.yml` already.
    validated: Cell<bool>,
    /// The cache helper image in the plain registry (PIPEGEN_CACHE_HELPER_IMAGE).
    helper: String,
    /// Each pipeline run's own TMPDIR is a new directory in here.
    tmp: PathBuf,
    /// Pipelines run so far.
    runs: Cell<u32>,
    /// Removed last, with everything in it.
    _dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        support::ensure_tools();
        let dir = tempfile::Builder::new().prefix("pipegen-e2e-").tempdir().expect("create a temp dir");
        let registry = Registry::start(&dir.path().join("registry"), None);
        let certificate = make_certificate(&dir.path().join("secure"));
        let secure = Registry::start(&dir.path().join("secure"), Some(&certificate));

        let containers = dir.path().join("containers");
        fs::create_dir_all(&containers).unwrap();
        let registries_conf = containers.join("registries.conf");
        fs::write(
            &registries_conf,
            format!(
                "unqualified-search-registries = []\n[[registry]]\nlocation = \"{}\"\ninsecure = true\n",
                registry.addr
            ),
        )
        .unwrap();
        let storage_conf = containers.join("storage.conf");
        fs::write(
            &storage_conf,
            format!(
                "[storage]\ndriver = \"vfs\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
                containers.join("storage").display(),
                containers.join("run").display()
            ),
        )
        .unwrap();

        let repo = dir.path().join("repo");
        let auth_file = containers.join("auth.json");
        fs::write(&auth_file, "{}\n").unwrap();
        let gcl_home = dir.path().join("gcl-home");
        let helper = format!("{}/helper/busybox:1.35.0", registry.addr);
        let tmp = dir.path().join("tmp");
        fs::create_dir_all(tmp.join("test")).unwrap();
        let world = World {
            registry,
            secure,
            certificate,
            auth_file,
            repo,
            registries_conf,
            storage_conf,
            gcl_home,
            validated: Cell::new(false),
            helper,
            tmp,
            runs: Cell::new(0),
            _dir: dir,
        };
        world.create_repo();
        world.push_helper();
        world
    }

    /// The cache helper image, as small as busybox's own and pulled from nowhere else: the static
    /// busybox installed into scratch, pushed to the plain registry and removed from local
    /// storage, so that the first job moving a cache pulls it from there.
    fn push_helper(&self) {
        let context = self.tmp.join("helper");
        fs::create_dir_all(&context).unwrap();
        fs::copy(support::tool("busybox"), context.join("busybox")).expect("copy busybox (busybox-static)");
        fs::write(
            context.join("Containerfile"),
            "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nENV PATH=/bin\n",
        )
        .unwrap();
        let buildah = support::tool("buildah");
        for args in [
            vec!["build", "--quiet", "--layers=false", "--tag", &self.helper, context.to_str().unwrap()],
            vec!["push", "--quiet", &self.helper],
            vec!["rmi", &self.helper],
        ] {
            let (code, out, err) = support::run(self.command(&buildah).args(&args));
            assert_eq!(code, 0, "buildah {args:?}\n{out}{err}");
        }
    }

    /// The fixture as a git repository with an `origin` (never contacted; gitlab-ci-local
    /// derives the project path from it), busybox committed into base's context (the tags hash
    /// git blobs, and gitlab-ci-local's shell isolation copies only tracked files), and the
    /// pipeline emitted by pipegen and committed.
    fn create_repo(&self) {
        support::copy_dir(&support::repo().join("tests/fixtures/e2e/pipeline"), &self.repo);
        fs::copy(support::tool("busybox"), self.repo.join("images/base/busybox"))
            .expect("copy busybox (busybox-static)");
        let model = fs::read_to_string(self.repo.join("pipegen.yaml")).unwrap();
        self.write("pipegen.yaml", &model.replace("@REGISTRY@", &format!("{}/e2e", self.registry.addr)));
        // gitlab-ci-local keeps its state in the repository, and copies the build jobs' dotenv
        // reports back into it.
        self.write(".gitignore", "/.gitlab-ci-local/\n/pipegen-tag.env\n");
        self.git(&["init", "-q", "-b", "main"]);
        self.git(&["remote", "add", "origin", "https://gitlab.example.com/demo/pipegen-e2e.git"]);
        self.git(&["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"]);
        let (code, out, err) =
            support::run(support::pipegen().args(["emit", "--model", "pipegen.yaml"]).current_dir(&self.repo));
        assert_eq!(code, 0, "pipegen emit\n{out}{err}");
        self.commit("e2e fixture and its pipeline");
    }

    fn write(&self, path: &str, text: &str) {
        fs::write(self.repo.join(path), text).unwrap_or_else(|e| panic!("write {path}: {e}"));
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    /// Run git in the repository; its stdout.
    fn git(&self, args: &[&str]) -> String {
        let mut command = Command::new("git");
        hermetic_git(&mut command).args(args).current_dir(&self.repo);
        let (code, out, err) = support::run(&mut command);
        assert_eq!(code, 0, "git {args:?}\n{out}{err}");
        out
    }

    /// A command seeing this world's containers configuration and nothing of the caller's
    /// pipegen, registry or git settings (the tests may themselves run in a CI job).
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        hermetic_git(&mut command)
            .env("CONTAINERS_REGISTRIES_CONF", &self.registries_conf)
            .env("CONTAINERS_STORAGE_CONF", &self.storage_conf)
            .env("BUILDAH_ISOLATION", "chroot")
            // Go's TLS (buildah, skopeo) takes its trusted roots from here: only the test's own.
            .env("SSL_CERT_FILE", &self.certificate)
            // Logins go here, not to /run/containers. Jobs running at once write the same entry,
            // atomically. buildah push wants the file to exist.
            .env("REGISTRY_AUTH_FILE", &self.auth_file)
            // buildah's temporary files, and its cache mounts ($TMPDIR/buildah-cache…), stay in
            // the test's directory; each pipeline run gets its own (run_pipeline).
            .env("TMPDIR", self.tmp.join("test"))
            .env_remove("PIPEGEN_REGISTRY")
            .env_remove("PIPEGEN_REGISTRY_USER")
            .env_remove("PIPEGEN_REGISTRY_PASSWORD")
            .env_remove("CI_REGISTRY")
            .env_remove("CI_REGISTRY_USER")
            .env_remove("CI_REGISTRY_PASSWORD");
        command
    }

    /// The tags the pipeline should use at HEAD, from git and the documented recipe.
    fn expected_tags(&self) -> Tags {
        let object = |path: &str| {
            let id = self.git(&["rev-parse", &format!("HEAD:{path}")]).trim().to_string();
            let kind = self.git(&["cat-file", "-t", &id]).trim().to_string();
            format!("{path} {kind} {id}")
        };
        // The `.gitattributes` from the root down to each path's directory (a glob's own
        // directory included), each once: none exists in this repository.
        let attributes = |dirs: &[&str]| -> Vec<String> {
            dirs.iter()
                .map(|dir| match *dir {
                    "." => "attributes .gitattributes none".to_string(),
                    dir => format!("attributes {dir}/.gitattributes none"),
                })
                .collect()
        };
        let mut base = vec![
            "image base".into(),
            format!("context {}", object("images/base")),
            format!("dockerfile {}", object("images/base/Dockerfile")),
            format!("input {}", object(".tool-versions")),
        ];
        base.extend(attributes(&[".", "images", "images/base"]));
        // FROM scratch: no external base image.
        base.push("from images/base/Dockerfile".into());
        let base = content_tag(&base);
        let parent = format!("parent BASE_IMAGE {base}");
        // The glob `docs/alpha/**`: the files of the tree at `docs/alpha`, as a diff from the
        // empty tree lists them (paths relative to that tree).
        let mut alpha_docs = vec!["glob docs/alpha/**".to_string()];
        let listing = self.git(&["ls-tree", "-r", "HEAD:docs/alpha"]);
        for entry in listing.lines() {
            let (meta, path) = entry.split_once('\t').expect("ls-tree: meta TAB path");
            let meta: Vec<&str> = meta.split(' ').collect();
            alpha_docs.push(format!(":000000 {} {} {} A\t{path}", meta[0], "0".repeat(40), meta[2]));
        }
        assert!(alpha_docs.len() > 1, "docs/alpha holds files");
        // alpha's context has a .dockerignore (`*.md`): the files buildah receives, as
        // `git ls-tree -r` lists them.
        let mut alpha = vec!["image alpha".into(), "context components/alpha sent".to_string()];
        let sent = self.git(&["ls-tree", "-r", "HEAD:components/alpha"]);
        alpha.extend(sent.lines().filter(|l| !l.ends_with(".md")).map(str::to_string));
        assert!(sent.contains("\tNOTES.md") && alpha.len() == 4, "the ignore file and message.txt: {alpha:?}");
        alpha.push(format!("dockerfile {}", object("images/alpha.Dockerfile")));
        alpha.extend(alpha_docs);
        alpha.extend(attributes(&[".", "components", "images", "docs", "docs/alpha"]));
        alpha.push(parent.clone());
        // FROM ${BASE_IMAGE}: the parent, hashed already.
        alpha.push("from images/alpha.Dockerfile".into());
        let alpha = content_tag(&alpha);
        let mut beta = vec![
            "image beta".into(),
            format!("context {}", object("components/beta")),
            format!("dockerfile {}", object("images/beta.Dockerfile")),
        ];
        beta.extend(attributes(&[".", "components", "images"]));
        beta.push(format!("arg GREETING {}\nbeta says hello", "beta says hello".len()));
        beta.push(parent);
        beta.push("from images/beta.Dockerfile".into());
        let beta = content_tag(&beta);
        let app = self.git(&["rev-parse", "HEAD"]).trim().to_string();
        Tags { base, alpha, beta, app }
    }

    /// What `pipegen tags` says (GitLab's builder's rules), as this test's [`Tags`].
    fn pipegen_tags(&self) -> Tags {
        let mut command = support::pipegen();
        command.args(["tags", "--target", "gitlab", "--format", "json"]).current_dir(&self.repo);
        let (code, out, err) = support::run(&mut command);
        assert_eq!(code, 0, "pipegen tags: {err}");
        let lines: Vec<serde_json::Value> = serde_json::from_str(&out).expect("pipegen tags prints JSON");
        let tag = |image: &str| {
            let line = lines.iter().find(|l| l["image"] == image).unwrap_or_else(|| panic!("a tag for {image}: {out}"));
            line["tag"].as_str().expect("a tag").to_string()
        };
        Tags { base: tag("base"), alpha: tag("alpha"), beta: tag("beta"), app: tag("app") }
    }

    /// Run the committed pipeline with gitlab-ci-local (shell executor, each job in its own copy
    /// of the repository, as runners clone it); it must pass. The first run also validates
    /// `.gitlab-ci.yml` against GitLab's schema; the file does not change afterwards.
    /// Every run has a TMPDIR of its own, as every GitLab job has a fresh /var/tmp: buildah's
    /// cache mounts do not outlive the run, so only the CI cache carries their content on.
    fn run_pipeline(&self, variables: &[(&str, &str)]) -> PipelineRun {
        self.runs.set(self.runs.get() + 1);
        let tmpdir = self.tmp.join(format!("run-{}", self.runs.get()));
        fs::create_dir(&tmpdir).unwrap();
        let mut command = self.command(support::tool("gitlab-ci-local"));
        command
            .current_dir(&self.repo)
            .env("TMPDIR", &tmpdir)
            .arg("--home")
            .arg(&self.gcl_home)
            // Artifacts stay in gitlab-ci-local's state directory: copied into the repository
            // while another job rsyncs it, they can fail that job (see tests/limits_dotenv.rs).
            .args(["--force-shell-executor", "--shell-isolation", "--no-artifacts-to-source"]);
        if self.validated.replace(true) {
            command.arg("--no-json-schema-validation");
        }
        command.args(["--variable", &format!("PIPEGEN_CACHE_HELPER_IMAGE={}", self.helper)]);
        for (name, value) in variables {
            command.args(["--variable", &format!("{name}={value}")]);
        }
        let started = Instant::now();
        let (code, out, err) = support::run(&mut command);
        let log = format!("{out}{err}");
        assert_eq!(code, 0, "gitlab-ci-local failed:\n{log}");
        let names: Vec<&str> = variables.iter().map(|(name, _)| *name).collect();
        eprintln!("pipeline with {names:?} passed in {:.1} s", started.elapsed().as_secs_f64());
        PipelineRun::parse(log, tmpdir)
    }

    /// skopeo with this world's registries.conf (skopeo 1.9 ignores CONTAINERS_REGISTRIES_CONF),
    /// running `subcommand` logged in when `reference` is on the secure registry.
    fn skopeo(&self, subcommand: &str, reference: &str) -> Command {
        let mut command = self.command(support::tool("skopeo"));
        command.arg("--registries-conf").arg(&self.registries_conf).arg(subcommand);
        if reference.starts_with(&format!("{}/", self.secure.addr)) {
            command.arg(format!("--creds={SECURE_USER}:{SECURE_PASSWORD}"));
        }
        command
    }

    /// The manifest of `reference` as the registry serves it, or None when there is no such tag.
    fn manifest(&self, reference: &str) -> Option<Vec<u8>> {
        let output = self.skopeo("inspect", reference).args(["--raw", &format!("docker://{reference}")]).output();
        let output = output.expect("run skopeo");
        if output.status.success() {
            return Some(output.stdout);
        }
        let err = String::from_utf8_lossy(&output.stderr);
        assert!(err.contains("manifest unknown"), "skopeo inspect {reference}: {err}");
        None
    }

    /// The tags of a repository in the registry (none when it does not exist).
    fn registry_tags(&self, repository: &str) -> BTreeSet<String> {
        let output = self.skopeo("list-tags", repository).args([&format!("docker://{repository}")]).output();
        let output = output.expect("run skopeo");
        if !output.status.success() {
            let err = String::from_utf8_lossy(&output.stderr);
            assert!(err.contains("name unknown"), "skopeo list-tags {repository}: {err}");
            return BTreeSet::new();
        }
        let listing: serde_json::Value = serde_json::from_slice(&output.stdout).expect("list-tags prints JSON");
        listing["Tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect()
    }

    /// Run an image as a container would (its entrypoint and command) and return its stdout.
    /// buildah has no "run the default command", so read them from the image.
    fn run_image(&self, reference: &str) -> String {
        let buildah = support::tool("buildah");
        let ok = |command: &mut Command, what: &str| {
            let (code, out, err) = support::run(command);
            assert_eq!(code, 0, "buildah {what} {reference}\n{out}{err}");
            out
        };
        let container = ok(self.command(&buildah).args(["from", "--pull-always", "--quiet", reference]), "from");
        let container = container.trim();
        let inspect = ok(self.command(&buildah).args(["inspect", "--type", "image", reference]), "inspect");
        let config = &serde_json::from_str::<serde_json::Value>(&inspect).unwrap()["OCIv1"]["config"];
        let argv: Vec<String> = ["Entrypoint", "Cmd"]
            .iter()
            .flat_map(|key| config[key].as_array().cloned().unwrap_or_default())
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert!(!argv.is_empty(), "{reference} has an entrypoint or a command");
        let output = ok(self.command(&buildah).args(["run", container, "--"]).args(&argv), "run");
        ok(self.command(&buildah).args(["rm", container]), "rm");
        output
    }

    /// What beta's cache step wrote into an image: `/built-count`, read through `buildah mount`
    /// (root and vfs: a plain directory) rather than by running a process in it.
    fn built_count(&self, reference: &str) -> u32 {
        let buildah = support::tool("buildah");
        let ok = |command: &mut Command, what: &str| {
            let (code, out, err) = support::run(command);
            assert_eq!(code, 0, "buildah {what} {reference}\n{out}{err}");
            out.trim().to_string()
        };
        let container = ok(self.command(&buildah).args(["from", "--pull-always", "--quiet", reference]), "from");
        let root = ok(self.command(&buildah).args(["mount", &container]), "mount");
        let count = read_count(&Path::new(&root).join("built-count"));
        ok(self.command(&buildah).args(["umount", &container]), "umount");
        ok(self.command(&buildah).args(["rm", &container]), "rm");
        count.unwrap_or_else(|| panic!("{reference} has /built-count"))
    }

    /// gitlab-ci-local's cache entries (`.gitlab-ci-local/cache/<name>`, shared by every run)
    /// and the count each holds at beta's cache path.
    fn cache_counts(&self) -> BTreeMap<String, u32> {
        let dir = self.repo.join(".gitlab-ci-local/cache");
        let Ok(entries) = fs::read_dir(&dir) else { return BTreeMap::new() };
        entries
            .map(|entry| {
                let entry = entry.unwrap();
                let name = entry.file_name().to_string_lossy().into_owned();
                let count = read_count(&entry.path().join(COUNTS_PATH).join("count"));
                (name.clone(), count.unwrap_or_else(|| panic!("the cache entry {name} holds a count")))
            })
            .collect()
    }

    /// The name of the one exact cache entry of beta that is not among `known`.
    fn new_exact_entry(&self, known: &[&str]) -> String {
        let new: Vec<String> = self
            .cache_counts()
            .into_keys()
            .filter(|name| name.starts_with(COUNTS_EXACT_PREFIX) && !known.contains(&name.as_str()))
            .collect();
        assert_eq!(new.len(), 1, "one new exact cache entry besides {known:?}: {new:?}");
        new.into_iter().next().unwrap()
    }
}

/// The number in a count file, or None when there is no such file.
fn read_count(path: &Path) -> Option<u32> {
    let text = fs::read_to_string(path).ok()?;
    Some(text.trim().parse().unwrap_or_else(|_| panic!("{}: a number, not {text:?}", path.display())))
}

/// git without the caller's configuration or a surrounding repository's variables (a hook
/// running the tests sets GIT_DIR or GIT_INDEX_FILE), committing as the test.
fn hermetic_git(command: &mut Command) -> &mut Command {
    for role in ["AUTHOR", "COMMITTER"] {
        command.env(format!("GIT_{role}_NAME"), "pipegen e2e").env(format!("GIT_{role}_EMAIL"), "e2e@pipegen.invalid");
    }
    command
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
}

// ------------------------------------------------------------------------------------------
// The registry
// ------------------------------------------------------------------------------------------

/// Debian's docker-registry on 127.0.0.1, on a port it picks itself; killed when dropped, so
/// also when a test panics.
struct Registry {
    child: Child,
    addr: String,
}

impl Registry {
    /// Start a registry keeping its data under `root`; with a certificate, it serves HTTPS and
    /// wants the logins of tests/fixtures/e2e/htpasswd.
    fn start(root: &Path, certificate: Option<&Path>) -> Registry {
        fs::create_dir_all(root.join("data")).unwrap();
        let secure = match certificate {
            Some(certificate) => format!(
                "  tls:\n    certificate: {}\n    key: {}\nauth:\n  htpasswd:\n    realm: pipegen-e2e\n    path: {}\n",
                certificate.display(),
                certificate.with_extension("key").display(),
                support::repo().join("tests/fixtures/e2e/htpasswd").display()
            ),
            None => String::new(),
        };
        let config = root.join("config.yml");
        fs::write(
            &config,
            format!(
                "version: 0.1
log:
  level: info # the \"listening on\" line is at info level
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:0
  secret: pipegen-e2e-not-a-secret
{secure}",
                root.join("data").display()
            ),
        )
        .unwrap();
        let log = root.join("registry.log");
        let child = Command::new(support::tool("docker-registry"))
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .expect("start docker-registry");
        let mut registry = Registry { child, addr: String::new() };
        let deadline = Instant::now() + Duration::from_secs(15);
        while registry.addr.is_empty() {
            let text = fs::read_to_string(&log).unwrap_or_default();
            if let Some(at) = text.find("msg=\"listening on ") {
                let rest = &text[at + "msg=\"listening on ".len()..];
                registry.addr = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':').collect();
            } else if let Some(status) = registry.child.try_wait().unwrap() {
                panic!("docker-registry exited ({status}):\n{text}");
            } else {
                assert!(Instant::now() < deadline, "docker-registry did not say where it listens:\n{text}");
                thread::sleep(Duration::from_millis(20));
            }
        }
        if certificate.is_none() {
            let (status, _) = http_get(&registry.addr, "/v2/");
            assert_eq!(status, 200, "GET http://{}/v2/", registry.addr);
        }
        registry
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A self-signed certificate (and its key, `.key`) for 127.0.0.1, made for one test run.
fn make_certificate(dir: &Path) -> PathBuf {
    fs::create_dir_all(dir).unwrap();
    let certificate = dir.join("certificate.pem");
    let (code, out, err) = support::run(
        Command::new(support::tool("openssl"))
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"])
            .args(["-days", "2", "-subj", "/CN=pipegen-e2e", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
            .arg(certificate.with_extension("key"))
            .arg("-out")
            .arg(&certificate),
    );
    assert_eq!(code, 0, "openssl req\n{out}{err}");
    certificate
}

/// A plain HTTP/1.0 GET: (status, body).
fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

// ------------------------------------------------------------------------------------------
// Content tags, computed independently of pipegen
// ------------------------------------------------------------------------------------------

/// The content tag by the recipe in `pipegen::plan::recipe`: its version line, then `lines`,
/// each ended by a newline; the first 24 hex digits of the SHA-256.
fn content_tag(lines: &[String]) -> String {
    let mut recipe = String::from("pipegen content tag v5\n");
    for line in lines {
        recipe.push_str(line);
        recipe.push('\n');
    }
    let digest = Sha256::digest(recipe.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect::<String>()[..24].to_string()
}

/// Every image's tag at one commit.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tags {
    base: String,
    alpha: String,
    beta: String,
    /// The commit SHA.
    app: String,
}

impl Tags {
    fn get(&self, image: &str) -> &str {
        match image {
            "base" => &self.base,
            "alpha" => &self.alpha,
            "beta" => &self.beta,
            "app" => &self.app,
            _ => panic!("no image {image}"),
        }
    }

    fn reference(&self, path: &str, image: &str) -> String {
        format!("{path}/{image}:{}", self.get(image))
    }

    fn refs(&self, path: &str) -> Vec<String> {
        IMAGES.iter().map(|image| self.reference(path, image)).collect()
    }
}

// ------------------------------------------------------------------------------------------
// What a pipeline run did
// ------------------------------------------------------------------------------------------

/// What a build job should have done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Built,
    Skipped,
}
use Expect::{Built, Skipped};

/// gitlab-ci-local's output, split per job (each line starts with the job's name).
struct PipelineRun {
    log: String,
    /// Per job, its lines without the name: `> output`, `$ command`, `starting shell`, ...
    jobs: BTreeMap<&'static str, Vec<String>>,
    /// Every job line, in order, as (job, text).
    order: Vec<(&'static str, String)>,
    /// The run's own TMPDIR.
    tmpdir: PathBuf,
}

impl PipelineRun {
    fn parse(log: String, tmpdir: PathBuf) -> PipelineRun {
        let mut jobs: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
        let mut order = Vec::new();
        for line in log.lines() {
            for job in JOBS {
                if let Some(rest) = line.strip_prefix(job).filter(|r| r.starts_with(' ')) {
                    let text = rest.trim_start().to_string();
                    jobs.entry(job).or_default().push(text.clone());
                    order.push((job, text));
                }
            }
        }
        for job in JOBS {
            assert!(log.contains(&format!(" PASS  {job}")), "{job} passed\n{log}");
        }
        PipelineRun { log, jobs, order, tmpdir }
    }

    /// The output lines of a job (`> ` removed).
    fn output(&self, job: &str) -> Vec<&str> {
        self.jobs.get(job).into_iter().flatten().filter_map(|l| l.strip_prefix("> ")).collect()
    }

    /// Each build job announced its own expected reference: whether the registry has it, or
    /// that it is tagged by commit.
    fn assert_tags_job(&self, path: &str, tags: &Tags) {
        for image in IMAGES {
            let job = format!("build:{image}");
            let reference = tags.reference(path, image);
            let announced: Vec<&str> = self
                .output(&job)
                .into_iter()
                .filter(|l| l.starts_with("pipegen: ") && (l.contains(" registry; ") || l.contains("tagged by commit")))
                .collect();
            let expected = match image {
                "app" => vec![format!("pipegen: app is tagged by commit and built in every pipeline: {reference}")],
                _ => vec![
                    format!("pipegen: {reference} is already in the registry; skipping the build"),
                    format!("pipegen: {reference} is not in the registry; building it"),
                ],
            };
            assert!(
                announced.len() == 1 && expected.iter().any(|e| e == announced[0]),
                "{job} announces one of {expected:?}, not {announced:?}\n{}",
                self.log
            );
        }
    }

    /// Each build job built or skipped its image, as expected, under the expected reference.
    fn assert_builds(&self, path: &str, tags: &Tags, expected: &[Expect; 4]) {
        for (image, expect) in IMAGES.iter().zip(expected) {
            let job = format!("build:{image}");
            let output = self.output(&job);
            let reference = tags.reference(path, image);
            let building = format!("pipegen: building {reference}");
            let skipping = format!("pipegen: {reference} is already in the registry; skipping the build");
            let built_steps = output.iter().any(|l| l.contains("STEP ") || l.contains("Writing manifest"));
            match expect {
                Built => {
                    assert!(output.contains(&building.as_str()), "{job} says `{building}`\n{}", self.log);
                    assert!(built_steps, "{job} ran buildah\n{}", self.log);
                    assert!(!output.iter().any(|l| l.contains("skipping")), "{job} did not skip\n{}", self.log);
                }
                Skipped => {
                    assert!(output.contains(&skipping.as_str()), "{job} says `{skipping}`\n{}", self.log);
                    assert!(!built_steps, "{job} neither built nor pushed\n{}", self.log);
                    assert!(!output.iter().any(|l| l.contains("pipegen: building")), "{job} built\n{}", self.log);
                }
            }
            if *image == "app" {
                let every = "pipegen: app is tagged by commit and built in every pipeline";
                assert!(output.iter().any(|l| l.starts_with(every)), "{job} says `{every}`\n{}", self.log);
            }
        }
    }

    /// Every build job logged in, and the password appears nowhere in the output.
    fn assert_logged_in_without_printing(&self, password: &str) {
        for image in IMAGES {
            let job = format!("build:{image}");
            assert!(self.output(&job).contains(&"Login Succeeded!"), "{job} logged in\n{}", self.log);
        }
        assert!(!self.log.contains(password), "a job printed the password\n{}", self.log);
    }

    /// beta's cache `counts` after this run. gitlab-ci-local restored the entry `restored` (or
    /// nothing) into the job's copy of the repository. When beta was built (`beta` is its
    /// reference), the job loaded that into buildah's cache mount, which lived in this run's own
    /// TMPDIR, and saved the mount back, and the image's step left `count` in `/built-count`;
    /// when beta was skipped, no cache mount was made. Either way the job's workspace holds
    /// `count` at the cache's path, and gitlab-ci-local's cache entries hold exactly `entries`.
    fn assert_counts(
        &self,
        world: &World,
        beta: Option<&str>,
        restored: Option<&str>,
        count: u32,
        entries: &BTreeMap<String, u32>,
    ) {
        let lines = &self.jobs["build:beta"];
        let imported: Vec<&str> = lines.iter().filter_map(|l| l.strip_prefix("imported cache '")).collect();
        let imported: Vec<&str> = imported.iter().map(|l| l.split('\'').next().unwrap()).collect();
        assert_eq!(imported, restored.into_iter().collect::<Vec<_>>(), "the cache build:beta got\n{}", self.log);

        let output = self.output("build:beta");
        let said = |line: &str| output.contains(&line);
        let loaded = said("pipegen: loading cache counts from .cache/counts into the build");
        let saved = said("pipegen: saving cache counts to .cache/counts");
        let mounts: Vec<PathBuf> = fs::read_dir(&self.tmpdir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("buildah-cache"))
            .collect();
        match beta {
            Some(reference) => {
                assert!(loaded && saved, "build:beta loaded and saved its cache\n{}", self.log);
                // buildah 1.28 (root) keeps cache mounts in $TMPDIR/buildah-cache/<id>; newer
                // ones in $TMPDIR/buildah-cache-<uid>/<id>.
                assert_eq!(mounts.len(), 1, "buildah kept its cache mounts in the run's TMPDIR: {mounts:?}");
                assert_eq!(read_count(&mounts[0].join("counts/count")), Some(count), "buildah's cache mount");
                assert_eq!(world.built_count(reference), count, "/built-count of {reference}");
            }
            None => {
                assert!(!loaded && !saved, "build:beta left its cache alone\n{}", self.log);
                assert!(mounts.is_empty(), "no cache mount was made: {mounts:?}");
            }
        }
        let workspace = world.repo.join(BETA_JOB_DIR).join(COUNTS_PATH).join("count");
        assert_eq!(read_count(&workspace), Some(count), "{} after the job", workspace.display());
        assert_eq!(&world.cache_counts(), entries, "gitlab-ci-local's cache entries and their counts\n{}", self.log);
    }

    /// Both jobs started before either finished: they ran at the same time.
    fn assert_started_together(&self, a: &str, b: &str) {
        let index = |job: &str, what: &str| {
            self.order
                .iter()
                .position(|(j, text)| *j == job && text.starts_with(what))
                .unwrap_or_else(|| panic!("{job}: no `{what}` line\n{}", self.log))
        };
        let first_finish = index(a, "finished in").min(index(b, "finished in"));
        assert!(
            index(a, "starting shell") < first_finish && index(b, "starting shell") < first_finish,
            "{a} and {b} ran in parallel\n{}",
            self.log
        );
    }
}

/// What the registry should hold: every manifest pushed so far, by reference.
#[derive(Default)]
struct Ledger {
    manifests: BTreeMap<String, Vec<u8>>,
}

impl Ledger {
    /// After a run that pushed the references `new` (tags never seen before) and pushed again the
    /// commit-tagged references `rebuilt`: every other manifest is byte for byte what it was,
    /// and the image repositories under `paths` hold exactly the tags pushed so far.
    fn record(&mut self, world: &World, paths: &[&str], new: &[String], rebuilt: &[String]) {
        for (reference, before) in &mut self.manifests {
            let now = world.manifest(reference).unwrap_or_else(|| panic!("{reference} is still in the registry"));
            if rebuilt.contains(reference) {
                *before = now;
            } else {
                assert!(now == *before, "the manifest of {reference} changed, though nothing rebuilt it");
            }
        }
        for reference in rebuilt {
            assert!(self.manifests.contains_key(reference), "{reference} was pushed before");
        }
        for reference in new {
            let manifest = world.manifest(reference).unwrap_or_else(|| panic!("{reference} was pushed"));
            assert!(self.manifests.insert(reference.clone(), manifest).is_none(), "{reference} is a new tag");
        }
        for path in paths {
            for image in IMAGES {
                let repository = format!("{path}/{image}");
                let expected: BTreeSet<String> = self
                    .manifests
                    .keys()
                    .filter_map(|r| r.strip_prefix(&format!("{repository}:")).map(str::to_string))
                    .collect();
                assert_eq!(world.registry_tags(&repository), expected, "the tags of {repository}");
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// Service waits
// ------------------------------------------------------------------------------------------

/// The shell a job image offers: GitLab runs the job script with bash when the image has it,
/// otherwise with sh.
#[derive(Clone, Copy, Debug)]
enum JobShell {
    Bash,
    Sh,
}

/// A job of the service-wait fixture: its generated before_script (from the template it
/// extends), script and variables, and the tools its "image" has (a directory that is the whole
/// PATH).
struct WaitJob {
    dir: tempfile::TempDir,
    before_script: Vec<String>,
    script: Vec<String>,
    variables: Vec<(String, String)>,
    shell: JobShell,
}

impl WaitJob {
    /// Emit the fixture with the service on `port` and this `health`, for a job whose image has
    /// the shell, `date`, `sleep`, `timeout` and `tools` (each `name` or `name=program`).
    fn new(port: u16, health: &str, shell: JobShell, tools: &[&str]) -> WaitJob {
        let dir = tempfile::Builder::new().prefix("pipegen-wait-").tempdir().unwrap();
        let model = fs::read_to_string(support::repo().join("tests/fixtures/e2e/service-wait.yaml"))
            .unwrap()
            .replace("@PORT@", &port.to_string())
            .replace("@HEALTH@", health);
        let model_path = dir.path().join("pipegen.yaml");
        fs::write(&model_path, model).unwrap();
        let (code, out, err) =
            support::run(support::pipegen().args(["emit", "--target", "gitlab", "--model"]).arg(&model_path));
        assert_eq!(code, 0, "pipegen emit\n{out}{err}");
        let pipeline: serde_yaml::Value = serde_yaml::from_str(&out).unwrap();
        let template = pipeline["probe"]["extends"].as_str().unwrap_or_else(|| panic!("the probe job extends\n{out}"));
        let lines = |job: &str, key: &str| -> Vec<String> {
            pipeline[job][key]
                .as_sequence()
                .unwrap_or_else(|| panic!("{job} has {key}\n{out}"))
                .iter()
                .map(|l| l.as_str().unwrap().to_string())
                .collect()
        };
        let (before_script, script) = (lines(template, "before_script"), lines("probe", "script"));
        let variables = pipeline["probe"]["variables"]
            .as_mapping()
            .expect("the probe job's variables")
            .iter()
            .map(|(k, v)| {
                let value = v.as_str().or_else(|| v["value"].as_str()).expect("a string");
                (k.as_str().unwrap().to_string(), value.to_string())
            })
            .map(|(k, v)| {
                // The service's host is this machine here, as GitLab points its alias at the
                // service's container (a service cannot be named `localhost`).
                let v = if k == "PIPEGEN_WAITS" { v.replace("=stand-in", "=localhost") } else { v };
                (k, v)
            })
            .collect();

        let bin = dir.path().join("bin");
        fs::create_dir(&bin).unwrap();
        let shell_tool = match shell {
            JobShell::Bash => "bash",
            JobShell::Sh => "sh",
        };
        for tool in [shell_tool, "date", "sleep", "timeout"].iter().chain(tools) {
            let (name, program) = tool.split_once('=').unwrap_or((tool, tool));
            std::os::unix::fs::symlink(support::tool(program), bin.join(name)).unwrap();
        }
        WaitJob { dir, before_script, script, variables, shell }
    }

    /// Run before_script then script in one shell, as GitLab does (bash: `set -eo pipefail`;
    /// sh: `set -e`), with only the job's tools on PATH: (exit code, stdout, stderr, seconds).
    fn run(&self) -> (i32, String, String, f64) {
        let mut text = match self.shell {
            JobShell::Bash => "set -eo pipefail\n".to_string(),
            JobShell::Sh => "set -e\n".to_string(),
        };
        for item in self.before_script.iter().chain(&self.script) {
            text.push_str(item);
            text.push('\n');
        }
        let bin = self.dir.path().join("bin");
        let shell = bin.join(match self.shell {
            JobShell::Bash => "bash",
            JobShell::Sh => "sh",
        });
        let started = Instant::now();
        let (code, out, err) = support::run(
            Command::new(shell)
                .arg("-c")
                .arg(text)
                .env_clear()
                .envs(self.variables.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .env("PATH", &bin)
                .env("HOME", self.dir.path())
                .current_dir(self.dir.path()),
        );
        (code, out, err, started.elapsed().as_secs_f64())
    }

    /// The wait passes once the stand-in is healthy (not before `healthy_after` seconds), and
    /// the job's script runs.
    fn assert_passes(&self, healthy_after: f64) {
        let (code, out, err, seconds) = self.run();
        let what = format!("exit {code} after {seconds:.1} s\n--- stdout\n{out}--- stderr\n{err}");
        assert_eq!(code, 0, "the wait passes: {what}");
        assert!(out.contains("pipegen: service 'localhost' is healthy"), "{what}");
        assert!(out.contains("the service is up"), "the script ran: {what}");
        assert!(seconds >= healthy_after - 0.5, "it waited for the service: {what}");
    }

    /// The wait fails after the timeout (within the clock's one-second granularity and a small
    /// margin), naming the service and the timeout, and the script does not run.
    fn assert_times_out(&self, timeout: &str, timeout_seconds: f64) {
        let (code, out, err, seconds) = self.run();
        let what = format!("exit {code} after {seconds:.1} s\n--- stdout\n{out}--- stderr\n{err}");
        assert_ne!(code, 0, "the wait fails: {what}");
        let message = format!("pipegen: service 'localhost' did not become healthy within {timeout}");
        assert!(err.contains(&message), "stderr says `{message}`: {what}");
        assert!(!out.contains("the service is up"), "the script did not run: {what}");
        assert!(
            seconds >= timeout_seconds - 1.0 && seconds <= timeout_seconds + 1.5,
            "it gave up after about {timeout_seconds} s: {what}"
        );
    }
}

/// How a stand-in HTTP service answers.
#[derive(Clone, Copy)]
enum Http {
    /// 503 until this long after it starts, then 200 on /health.
    HealthyAfter(Duration),
    /// 503 forever.
    Unhealthy,
    /// Accepts connections and never answers (a service still booting).
    Hanging,
}

/// A local process standing in for a service; stopped when dropped.
struct StandIn {
    port: u16,
    stop: Arc<AtomicBool>,
    /// When the HTTP stand-in was told to start.
    started: Arc<Mutex<Option<Instant>>>,
    thread: Option<JoinHandle<()>>,
}

impl StandIn {
    /// A port nobody listens on yet.
    fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    }

    /// An HTTP service listening now; it answers 503 until [`StandIn::start`], then as `http`
    /// says.
    fn http(http: Http) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let started: Arc<Mutex<Option<Instant>>> = Arc::default();
        let (flag, since) = (stop.clone(), started.clone());
        let thread = thread::spawn(move || {
            let mut held = Vec::new();
            serve(&listener, &flag, |mut stream| {
                let since = *since.lock().unwrap();
                let status = match (http, since) {
                    (Http::Hanging, Some(_)) => {
                        held.push(stream);
                        return;
                    }
                    (Http::HealthyAfter(after), Some(since)) if since.elapsed() >= after => "200 OK",
                    _ => "503 Service Unavailable",
                };
                let request = read_request(&mut stream);
                // `/health` with the query `GLOB_QUERY` is /health too, sent as written.
                let health =
                    request.starts_with("GET /health ") || request.starts_with(&format!("GET /health?{GLOB_QUERY} "));
                let status = if health { status } else { "404 Not Found" };
                let _ = write!(stream, "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            });
        });
        StandIn { port, stop, started, thread: Some(thread) }
    }

    /// From now on, behave as asked (the job starts at the same time).
    fn start(&self) {
        *self.started.lock().unwrap() = Some(Instant::now());
    }

    /// A TCP service that starts listening on `port` after `after`.
    fn tcp_after(port: u16, after: Duration) -> StandIn {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = thread::spawn(move || {
            let start = Instant::now();
            while start.elapsed() < after {
                if flag.load(Ordering::Relaxed) {
                    return;
                }
                thread::sleep(Duration::from_millis(20));
            }
            let listener = TcpListener::bind(("127.0.0.1", port)).expect("the stand-in's port is still free");
            serve(&listener, &flag, drop);
        });
        StandIn { port, stop, started: Arc::default(), thread: Some(thread) }
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accept connections until `stop` is set.
fn serve(listener: &TcpListener, stop: &AtomicBool, mut handle: impl FnMut(TcpStream)) {
    listener.set_nonblocking(true).unwrap();
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).unwrap();
                handle(stream);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("accept: {e}"),
        }
    }
}

/// The request line and headers of an HTTP request.
fn read_request(stream: &mut TcpStream) -> String {
    stream.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut request = Vec::new();
    let mut buffer = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    String::from_utf8_lossy(&request).into_owned()
}

const HTTP_WAIT: &str = "{ http: /health, timeout: 6s, interval: 1s }";
const HTTP_TIMEOUT: &str = "{ http: /health, timeout: 3s, interval: 1s }";
/// A query with what curl would take for globs (a range, a set) without `-g`.
const GLOB_QUERY: &str = "filter[name]=db&x={a,b}";

/// An HTTP health check with curl in the job image: waits for a service that gets healthy,
/// gives up after the timeout on one that answers 503 or never answers.
#[test]
fn gitlab_service_wait_http_with_curl() {
    let tools = ["curl"];
    let service = StandIn::http(Http::HealthyAfter(Duration::from_secs(2)));
    let job = WaitJob::new(service.port, HTTP_WAIT, JobShell::Bash, &tools);
    service.start();
    job.assert_passes(2.0);

    // curl sends `[ ]` and `{ }` as written, and once.
    let service = StandIn::http(Http::HealthyAfter(Duration::ZERO));
    let health = format!("{{ http: '/health?{GLOB_QUERY}', timeout: 3s, interval: 1s }}");
    let job = WaitJob::new(service.port, &health, JobShell::Bash, &tools);
    service.start();
    job.assert_passes(0.0);

    let service = StandIn::http(Http::Unhealthy);
    let job = WaitJob::new(service.port, HTTP_TIMEOUT, JobShell::Bash, &tools);
    service.start();
    job.assert_times_out("3s", 3.0);

    let service = StandIn::http(Http::Hanging);
    let job = WaitJob::new(service.port, HTTP_TIMEOUT, JobShell::Bash, &tools);
    service.start();
    job.assert_times_out("3s", 3.0);
}

/// The same with only wget (busybox-like images) and sh as the job shell.
#[test]
fn gitlab_service_wait_http_with_wget_under_sh() {
    let tools = ["wget"];
    let service = StandIn::http(Http::HealthyAfter(Duration::from_secs(2)));
    let job = WaitJob::new(service.port, HTTP_WAIT, JobShell::Sh, &tools);
    service.start();
    job.assert_passes(2.0);

    let service = StandIn::http(Http::Hanging);
    let job = WaitJob::new(service.port, HTTP_TIMEOUT, JobShell::Sh, &tools);
    service.start();
    job.assert_times_out("3s", 3.0);
}

/// Without curl or wget the job fails at once and says why, rather than waiting in vain.
#[test]
fn gitlab_service_wait_http_without_a_client_fails_at_once() {
    let service = StandIn::http(Http::HealthyAfter(Duration::ZERO));
    let job = WaitJob::new(service.port, HTTP_TIMEOUT, JobShell::Bash, &[]);
    service.start();
    let (code, out, err, seconds) = job.run();
    assert_ne!(code, 0, "{out}{err}");
    assert!(err.contains("pipegen: cannot check service 'localhost'"), "{err}");
    assert!(err.contains("the job image needs curl, or wget and timeout"), "{err}");
    assert!(seconds < 1.0, "it did not wait: {seconds} s");
}

/// A TCP health check in an image with bash and an nc without `-z` (busybox's, as Debian
/// builds it): waits for a port that opens, gives up after the timeout on one that stays closed.
#[test]
fn gitlab_service_wait_tcp() {
    let tools = ["nc=busybox"];
    let port = StandIn::free_port();
    let job = WaitJob::new(port, "{ tcp: true, timeout: 6s, interval: 1s }", JobShell::Bash, &tools);
    let _service = StandIn::tcp_after(port, Duration::from_secs(2));
    job.assert_passes(2.0);

    let port = StandIn::free_port();
    let job = WaitJob::new(port, "{ tcp: true, timeout: 3s, interval: 1s }", JobShell::Bash, &tools);
    job.assert_times_out("3s", 3.0);
}

/// The same without bash, as in a BusyBox-only image: BusyBox's nc has no `-z`, so the wait
/// connects with its `-e true` instead, and still gives up after the timeout.
#[test]
fn gitlab_service_wait_tcp_with_busybox_nc_under_sh() {
    let tools = ["nc=busybox"];
    let port = StandIn::free_port();
    let job = WaitJob::new(port, "{ tcp: true, timeout: 6s, interval: 1s }", JobShell::Sh, &tools);
    let _service = StandIn::tcp_after(port, Duration::from_secs(2));
    job.assert_passes(2.0);

    let port = StandIn::free_port();
    let job = WaitJob::new(port, "{ tcp: true, timeout: 3s, interval: 1s }", JobShell::Sh, &tools);
    job.assert_times_out("3s", 3.0);
}

/// A TCP health check in an image with neither bash nor nc: the job says at once that its image
/// cannot probe the service, instead of waiting out the timeout and blaming a service that is up.
#[test]
fn gitlab_service_wait_tcp_without_a_probe_says_so_at_once() {
    let port = StandIn::free_port();
    let job = WaitJob::new(port, "{ tcp: true, timeout: 6s, interval: 1s }", JobShell::Sh, &[]);
    let _service = StandIn::tcp_after(port, Duration::ZERO);
    let (code, out, err, seconds) = job.run();
    assert_ne!(code, 0, "{out}{err}");
    assert!(
        err.contains("the job image needs bash and timeout, or an nc that has -z or -e (BusyBox's has -e)"),
        "{err}"
    );
    assert!(seconds < 1.5, "it did not wait: {seconds} s");
}

/// A command health check sees the service's host and port.
#[test]
fn gitlab_service_wait_cmd() {
    let probe = r#"wget -q -O /dev/null "http://$PIPEGEN_SERVICE_HOST:$PIPEGEN_SERVICE_PORT/health""#;
    let health = |timeout: &str| format!("{{ cmd: '{probe}', timeout: {timeout}, interval: 1s }}");
    let service = StandIn::http(Http::HealthyAfter(Duration::from_secs(2)));
    let job = WaitJob::new(service.port, &health("6s"), JobShell::Bash, &["wget", "sh"]);
    service.start();
    job.assert_passes(2.0);

    let service = StandIn::http(Http::Unhealthy);
    let job = WaitJob::new(service.port, &health("3s"), JobShell::Bash, &["wget", "sh"]);
    service.start();
    job.assert_times_out("3s", 3.0);
    // A command slower than the timeout is stopped at it (here under sh, with coreutils'
    // timeout), not waited out.
    let job = WaitJob::new(service.port, "{ cmd: 'sleep 10; false', timeout: 3s, interval: 1s }", JobShell::Sh, &[]);
    job.assert_times_out("3s", 3.0);
}

// ------------------------------------------------------------------------------------------
// A job receives the files of the jobs it needs
// ------------------------------------------------------------------------------------------

/// `check` (per `pg`) needs `compile` (per `pg`, two shards) and `report` (no axis) needs
/// `compile` too: each `check` finds the files both shards of its own `pg` kept, and none of the
/// other `pg`; `report` finds every file. The files are untracked, so only the artifacts of the
/// needed jobs can bring them (gitlab-ci-local's shell isolation copies tracked files alone).
const NEEDS_MODEL: &str = r#"pipegen: 1
name: needs
registry: registry.example.com/needs
axes:
  pg: [a, b]
jobs:
  compile:
    axes: [pg]
    parallel: 2
    script:
      - mkdir -p out
      - echo "compile $pg $CI_NODE_INDEX" > "out/$pg-$CI_NODE_INDEX.txt"
    artifacts: { paths: [out/] }
  check:
    axes: [pg]
    needs: [compile]
    script:
      - test "$(cat "out/$pg-1.txt")" = "compile $pg 1"
      - test "$(cat "out/$pg-2.txt")" = "compile $pg 2"
      - test "$(ls out | tr '\n' ' ')" = "$pg-1.txt $pg-2.txt "
      - echo "check $pg received its compile's files"
  report:
    needs: [compile]
    script:
      - test "$(ls out | tr '\n' ' ')" = "a-1.txt a-2.txt b-1.txt b-2.txt "
      - echo "report received every compile's files"
"#;

#[test]
fn gitlab_job_receives_the_artifacts_of_the_jobs_it_needs() {
    support::ensure_tools();
    let dir = tempfile::Builder::new().prefix("pipegen-needs-").tempdir().expect("temporary directory");
    let repo = dir.path().join("repo");
    fs::create_dir_all(&repo).unwrap();
    fs::write(repo.join("pipegen.yaml"), NEEDS_MODEL).unwrap();
    fs::write(repo.join(".gitignore"), "/.gitlab-ci-local/\n/out/\n").unwrap();
    let (code, out, err) = support::run(support::pipegen().args(["emit", "--target", "gitlab"]).current_dir(&repo));
    assert_eq!(code, 0, "{err}");
    let pipeline: serde_yaml::Value = serde_yaml::from_str(&out).expect("YAML");
    assert_eq!(needs(&pipeline, "check:a"), [("compile:a", true)]);
    assert_eq!(needs(&pipeline, "report"), [("compile:a", true), ("compile:b", true)]);
    fs::write(repo.join(".gitlab-ci.yml"), &out).unwrap();
    support::git(&repo, &["init", "-q", "-b", "main"]);
    support::git(&repo, &["remote", "add", "origin", "https://gitlab.example.com/pipegen/needs.git"]);
    support::git(&repo, &["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"]);
    support::git(&repo, &["add", "-A"]);
    support::git(&repo, &["commit", "-q", "-m", "jobs that need jobs"]);

    let mut command = Command::new(support::tool("gitlab-ci-local"));
    // Artifacts stay in gitlab-ci-local's state directory (see run_pipeline): only `needs`
    // brings them into a job's copy of the repository.
    command.current_dir(&repo).arg("--home").arg(dir.path().join("gcl-home")).args([
        "--force-shell-executor",
        "--shell-isolation",
        "--no-artifacts-to-source",
    ]);
    let (code, out, err) = support::run(hermetic_git(&mut command));
    let log = format!("{out}{err}");
    assert_eq!(code, 0, "gitlab-ci-local failed:\n{log}");
    for job in ["check:a", "check:b", "report"] {
        assert!(log.contains(&format!(" PASS  {job}")), "{job} passed:\n{log}");
    }
    assert!(log.contains("check a received its compile's files"), "{log}");
    assert!(log.contains("report received every compile's files"), "{log}");
    assert!(!repo.join("out").exists(), "no artifact reached the repository itself");
}
