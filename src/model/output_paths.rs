//! What an `outputs` path may be, as far as the model alone can tell: a file inside the
//! repository, outside `.git`, and distinct from the other output once both are normalized.
//! Where the path leads on disk (symbolic links, the model file itself) is checked when the
//! files are written or read (`commands::files`).

use super::diagnostic::Diagnostic;
use super::path::ModelPath;
use super::types::Model;

/// `path` without `.` components and repeated or trailing slashes: `./ci//x.yml` → `ci/x.yml`.
pub fn normalize(path: &str) -> String {
    path.split('/').filter(|c| !c.is_empty() && *c != ".").collect::<Vec<_>>().join("/")
}

/// Whether a normalized path is inside git's own directory (in any letter case, as on
/// case-insensitive file systems), where an output would corrupt the repository.
pub fn is_in_git_directory(normalized: &str) -> bool {
    normalized.split('/').any(|c| c.eq_ignore_ascii_case(".git"))
}

/// Every problem of the model's outputs that the text alone shows.
pub fn check(model: &Model) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let outputs = [("gitlab", &model.outputs.gitlab), ("github", &model.outputs.github)];
    let mut seen: Vec<(&str, String)> = Vec::new();
    for (target, path) in outputs {
        let Some(path) = path else { continue };
        let at = ModelPath::keys(["outputs", target]);
        let normalized = normalize(path);
        if normalized.is_empty() || path.ends_with('/') {
            found.push(
                Diagnostic::new("output-path", at, format!("`{path}` names a directory, not a file"))
                    .label("not a file")
                    .help("name the file to write, e.g. `.gitlab-ci.yml` or `.github/workflows/images.yml`"),
            );
            continue;
        }
        if is_in_git_directory(&normalized) {
            found.push(
                Diagnostic::new("output-path", at, format!("`{path}` is inside `.git`, git's own directory"))
                    .label("inside .git")
                    .help("write the pipeline into the work tree, e.g. `.gitlab-ci.yml`"),
            );
            continue;
        }
        if let Some((first, _)) = seen.iter().find(|(_, other)| other.eq_ignore_ascii_case(&normalized)) {
            let how = if seen.iter().any(|(_, other)| *other == normalized) {
                "the same file".to_string()
            } else {
                "the same file on case-insensitive file systems (macOS, Windows)".to_string()
            };
            found.push(
                Diagnostic::new(
                    "duplicate-output",
                    at,
                    format!("both outputs are written to `{normalized}`: `outputs.{first}` names {how}"),
                )
                .label(format!("same file as outputs.{first}"))
                .related(ModelPath::keys(["outputs", first]), "first named here")
                .help("give the GitHub workflow its own file, e.g. `.github/workflows/images.yml`"),
            );
            continue;
        }
        seen.push((target, normalized));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_lexically() {
        assert_eq!(normalize("./ci.yml"), "ci.yml");
        assert_eq!(normalize("a//./b/"), "a/b");
        assert_eq!(normalize("."), "");
    }

    #[test]
    fn outputs_differing_in_letter_case_are_one_file() {
        let mut model: Model =
            crate::yaml::from_str("pipegen: 1\nname: t\nregistry: r.example.com/t\n").expect("a model");
        model.outputs.gitlab = Some("CI/Pipeline.yml".into());
        model.outputs.github = Some("ci/pipeline.yml".into());
        let found = check(&model);
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("case-insensitive"), "{}", found[0].message);
    }

    #[test]
    fn finds_git_in_any_case() {
        assert!(is_in_git_directory(".git/HEAD"));
        assert!(is_in_git_directory("sub/.GIT/config"));
        assert!(!is_in_git_directory(".github/workflows/x.yml"));
        assert!(!is_in_git_directory(".gitlab-ci.yml"));
    }
}
