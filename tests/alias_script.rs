//! The alias step (`emit::scripts::alias_library`), run by `dash`, `busybox sh` and `bash` from
//! the plan of a real model, against a stand-in for skopeo and `docker buildx imagetools` that
//! keeps manifests in a directory: which aliases each kind of pipeline sets (default branch,
//! another branch, a release git tag, a pre-release), what the pipeline values render to, that an
//! alias moves by digest to the manifest the content tag names, that an alias that renders to no
//! valid tag fails the job before anything is tagged, and that a pipeline that does not push
//! moves nothing.

// Needs external tools: in the full tier (scripts/test.sh), not in the offline `cargo test`.
#![cfg(feature = "external-tests")]

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::process::Command;

use pipegen::emit::{Target, github, gitlab, scripts};

const MODEL: &str = r#"
pipegen: 1
name: aliases-under-test
registry: registry.example.com/a
axes:
  pg: [{ value: "16.9", major: "16" }]
images:
  db:
    axes: [pg]
    aliases:
      - "${pg.major}-${short_commit}"
      - { tag: latest, when: default-branch }
      - { tag: "${pg}-dev${timestamp}", when: default-branch }
      - { tag: "${pg}-${date}", when: default-branch }
      - { tag: "${branch}", when: { branch: ["feature/*"] } }
      - { tag: "${pg}", when: git-tag }
      - { tag: "${pg}-${semver}", when: git-tag }
      - { tag: "${semver.major}.${semver.minor}", when: { git-tag: ["v*"] } }
      - { tag: "rel-${git_tag}", when: { git-tag: ["v*"] } }
      - "c-${commit}"
"#;

const SHELLS: [&str; 3] = ["dash", "busybox", "bash"];
const COMMIT_DATE: &str = "2026-12-02T12:13:45Z";

/// A stand-in for skopeo (GitLab) and docker (GitHub): `inspect --raw` prints the manifest
/// stored for a reference, a copy stores the source's manifest (found by its digest) under the
/// destination. References become file names with `/` and `:` and `@` written `_`.
const FAKE_REGISTRY: &str = r#"#!/bin/sh
set -eu
store="$FAKE_REGISTRY_DIR"
key() { printf '%s' "$1" | sed 's#^docker://##; s#[/:@]#_#g'; }
find_digest() {
  repo="${1%@*}"; digest="${1#*@sha256:}"
  for f in "$store"/*; do
    [ -f "$f" ] || continue
    case "$(basename "$f")" in "$(key "$repo")"_*) ;; *) continue ;; esac
    if [ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$digest" ]; then cat "$f"; return 0; fi
  done
  return 1
}
case "$(basename "$0")" in
  skopeo) ;;
  docker) shift 2 ;; # buildx imagetools
esac
case "$1" in
  inspect)
    ref="$3"
    [ -f "$store/$(key "$ref")" ] || { echo "manifest unknown" >&2; exit 1; }
    cat "$store/$(key "$ref")"
    ;;
  copy)
    src="$5"; dst="$6"
    find_digest "${src#docker://}" > "$store/tmp" || { echo "no such digest: $src" >&2; exit 1; }
    mv "$store/tmp" "$store/$(key "$dst")"
    echo "copied $src to $dst" >> "$store/log"
    ;;
  create)
    dst="$3"; src="$4"
    find_digest "$src" > "$store/tmp" || { echo "no such digest: $src" >&2; exit 1; }
    mv "$store/tmp" "$store/$(key "$dst")"
    echo "copied $src to $dst" >> "$store/log"
    ;;
  *) echo "unexpected: $*" >&2; exit 1 ;;
esac
"#;

struct Setup {
    _tmp: tempfile::TempDir,
    repo: std::path::PathBuf,
    bin: std::path::PathBuf,
    store: std::path::PathBuf,
    commit: String,
    tags: String,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    fs::create_dir_all(&repo).unwrap();
    let git = |args: &[&str]| {
        let (code, out, err) = support::run(
            Command::new("git")
                .args(args)
                .current_dir(&repo)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@t.invalid")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@t.invalid")
                .env("GIT_AUTHOR_DATE", COMMIT_DATE)
                .env("GIT_COMMITTER_DATE", COMMIT_DATE),
        );
        assert_eq!(code, 0, "git {args:?}\n{out}{err}");
        out
    };
    git(&["init", "-q", "-b", "main"]);
    fs::write(repo.join("pipegen.yaml"), MODEL).unwrap();
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "model"]);
    let commit = git(&["rev-parse", "HEAD"]).trim().to_string();
    let bin = tmp.path().join("bin");
    fs::create_dir_all(&bin).unwrap();
    for name in ["skopeo", "docker"] {
        let path = bin.join(name);
        fs::write(&path, FAKE_REGISTRY).unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let store = tmp.path().join("store");
    let loaded = pipegen::model::load("pipegen.yaml", MODEL).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let plan = pipegen::plan::build(&loaded, "pipegen.yaml").unwrap_or_else(|e| panic!("{}", e.render(false)));
    let tags = scripts::alias_variables(&plan.builds[0]).remove(0).1;
    Setup { _tmp: tmp, repo, bin, store, commit, tags }
}

impl Setup {
    /// Run the alias step of `target` with `shell` and the pipeline's variables `env` (GitLab
    /// names; GitHub's are derived), the store holding `db:content` (a manifest) and
    /// `db:latest` (another). What the step printed, its status, and the store afterwards.
    fn run(&self, target: Target, shell: &str, env: &[(&str, &str)]) -> (i32, String, BTreeMap<String, String>) {
        let _ = fs::remove_dir_all(&self.store);
        fs::create_dir_all(&self.store).unwrap();
        fs::write(self.store.join("registry.example.com_a_db_content"), "{\"the\": \"content\"}\n").unwrap();
        fs::write(self.store.join("registry.example.com_a_db_latest"), "{\"an\": \"older one\"}\n").unwrap();
        let platform = match target {
            Target::Gitlab => gitlab::PLATFORM,
            Target::Github => github::PLATFORM,
        };
        let script = format!(
            "set -u\n{}\npipegen_aliases registry.example.com/a/db:content\n",
            scripts::alias_library(platform)
        );
        let file = self.repo.parent().unwrap().join("alias.sh");
        fs::write(&file, script).unwrap();
        let mut command = Command::new(support::tool(shell));
        if shell == "busybox" {
            command.arg("sh");
        }
        let path = format!("{}:{}", self.bin.display(), std::env::var("PATH").unwrap_or_default());
        command
            .arg(&file)
            .current_dir(&self.repo)
            .env_clear()
            .env("PATH", path)
            .env("FAKE_REGISTRY_DIR", &self.store)
            .env("PIPEGEN_ALIAS_TAGS", &self.tags);
        let vars: BTreeMap<&str, &str> = env.iter().copied().collect();
        match target {
            Target::Gitlab => {
                command.env("CI_COMMIT_SHA", &self.commit).env("CI_DEFAULT_BRANCH", "main");
                command.envs(vars.iter().filter(|(k, _)| k.starts_with("CI_") || k.starts_with("PIPEGEN_")));
            }
            Target::Github => {
                command.env("GITHUB_SHA", &self.commit).env("PIPEGEN_DEFAULT_BRANCH", "main");
                if let Some(tag) = vars.get("CI_COMMIT_TAG") {
                    command.env("GITHUB_REF_TYPE", "tag").env("GITHUB_REF_NAME", tag);
                } else if let Some(branch) = vars.get("CI_COMMIT_REF_NAME") {
                    command.env("GITHUB_REF_TYPE", "branch").env("GITHUB_REF_NAME", branch).env("GITHUB_HEAD_REF", "");
                }
                command.envs(vars.iter().filter(|(k, _)| k.starts_with("PIPEGEN_")));
            }
        }
        let (code, out, err) = support::run(&mut command);
        let mut store = BTreeMap::new();
        for entry in fs::read_dir(&self.store).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if let Some(tag) = name.strip_prefix("registry.example.com_a_db_") {
                store.insert(tag.to_string(), fs::read_to_string(&path).unwrap());
            }
        }
        (code, format!("{out}{err}"), store)
    }
}

fn aliases(store: &BTreeMap<String, String>) -> Vec<&str> {
    let content = &store["content"];
    store.iter().filter(|(tag, m)| *tag != "content" && *m == content).map(|(tag, _)| tag.as_str()).collect()
}

fn every_shell(check: impl Fn(Target, &str)) {
    for target in [Target::Gitlab, Target::Github] {
        for shell in SHELLS {
            check(target, shell);
        }
    }
}

#[test]
fn the_default_branch_sets_its_aliases_by_digest() {
    let setup = setup();
    let short = &setup.commit[..8];
    every_shell(|target, shell| {
        let (code, out, store) = setup.run(target, shell, &[("CI_COMMIT_REF_NAME", "main")]);
        assert_eq!(code, 0, "{target:?} {shell}: {out}");
        let mut expected = vec![
            format!("16-{short}"),
            "16.9-20261202".to_string(),
            "16.9-dev202612021213".to_string(),
            format!("c-{}", setup.commit),
            "latest".to_string(),
        ];
        expected.sort();
        assert_eq!(aliases(&store), expected, "{target:?} {shell}: {out}");
        assert!(out.contains("pipegen: alias registry.example.com/a/db:latest -> sha256:"), "{out}");
        assert!(out.contains("(was sha256:"), "latest moved from the older manifest: {out}");
        assert!(out.contains("alias tag 16.9 is not set in this pipeline (when: git-tag)"), "{out}");
        assert!(out.contains("alias tag ${branch} is not set in this pipeline (when: branch feature/*)\n"), "{out}");
    });
}

#[test]
fn another_branch_sets_no_default_branch_alias() {
    let setup = setup();
    every_shell(|target, shell| {
        let (code, out, store) = setup.run(target, shell, &[("CI_COMMIT_REF_NAME", "feature/x+y")]);
        assert_eq!(code, 0, "{target:?} {shell}: {out}");
        let got = aliases(&store);
        assert!(got.contains(&"feature-x-y"), "the branch, sanitized: {got:?}\n{out}");
        assert!(!got.contains(&"latest") && store["latest"].contains("older"), "latest stays: {out}");
        assert_eq!(got.len(), 3, "{got:?}");
    });
}

#[test]
fn a_release_tag_sets_semver_aliases_and_a_pre_release_only_some() {
    let setup = setup();
    every_shell(|target, shell| {
        let (code, out, store) = setup.run(target, shell, &[("CI_COMMIT_TAG", "v1.4.2")]);
        assert_eq!(code, 0, "{target:?} {shell}: {out}");
        let got = aliases(&store);
        for alias in ["16.9", "16.9-1.4.2", "1.4", "rel-v1.4.2"] {
            assert!(got.contains(&alias), "{alias} in {got:?}\n{out}");
        }
        assert!(!got.contains(&"latest"), "{got:?}");
        let (code, out, store) = setup.run(target, shell, &[("CI_COMMIT_TAG", "v2.0.0-rc.1+b7")]);
        assert_eq!(code, 0, "{target:?} {shell}: {out}");
        let got = aliases(&store);
        assert!(got.contains(&"16.9-2.0.0-rc.1-b7"), "{got:?}\n{out}");
        assert!(!got.iter().any(|a| a.starts_with("2.")), "a pre-release sets no major.minor alias: {got:?}");
        assert!(out.contains("is not set: ${semver.major} has no value in this pipeline"), "{out}");
        let (code, out, store) = setup.run(target, shell, &[("CI_COMMIT_TAG", "nightly")]);
        assert_eq!(code, 0, "{target:?} {shell}: {out}");
        assert!(!aliases(&store).iter().any(|a| a.starts_with("16.9-n")), "no semver in `nightly`: {out}");
    });
}

#[test]
fn an_alias_that_is_no_tag_fails_before_anything_moves() {
    let setup = setup();
    every_shell(|target, shell| {
        let long = format!("feature/{}", "a".repeat(130));
        let (code, out, store) = setup.run(target, shell, &[("CI_COMMIT_REF_NAME", &long)]);
        assert_ne!(code, 0, "{target:?} {shell}: a 138-character tag fails the job\n{out}");
        assert!(out.contains("which is not a tag"), "{out}");
        assert!(out.contains("no alias tag of registry.example.com/a/db was moved"), "{out}");
        assert_eq!(aliases(&store), Vec::<&str>::new(), "nothing moved: {out}");
    });
}

#[test]
fn a_pipeline_that_does_not_push_moves_nothing() {
    let setup = setup();
    every_shell(|target, shell| {
        let (code, out, store) = setup.run(target, shell, &[("CI_COMMIT_REF_NAME", "main"), ("PIPEGEN_PUSH", "false")]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("does not push"), "{out}");
        assert_eq!(aliases(&store), Vec::<&str>::new());
    });
}
