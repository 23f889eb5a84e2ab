//! What an `outputs` path may be, as far as the model alone can tell: a file inside the
//! repository, outside `.git`, distinct from the other output once both are normalized, and
//! named visibly: not blank, no name starting or ending with a blank, no tab (the other control
//! characters and newlines are refused in every value, `super::characters`).
//! Where the path leads on disk (symbolic links, the model file itself) is checked when the
//! files are written or read (`commands::files`).

use super::diagnostic::Diagnostic;
use super::path::ModelPath;
use super::printable;
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
        if let Some(problem) = invisible(path) {
            found.push(problem.at(at));
            continue;
        }
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

/// Why a name in `path` cannot be seen for what it is, if one cannot: a blank path writes a
/// file named ` `, `ci.yml ` one that editors, shells and `git status` show as `ci.yml`.
fn invisible(path: &str) -> Option<Invisible> {
    if path.trim().is_empty() {
        return Some(Invisible {
            message: format!("`{path}` is blank: it names no file"),
            label: "no file name",
            help: "name the file to write, e.g. `.gitlab-ci.yml` or `.github/workflows/images.yml`".to_string(),
        });
    }
    // Newlines and the other control characters are refused in every value already.
    if let Some(c) = path.chars().find(|c| c.is_control() && *c != '\n' && !super::characters::forbidden_in_value(*c)) {
        return Some(Invisible {
            message: format!("`{path}` holds the control character {}", printable::describe(c)),
            label: "control character",
            help: "a file name with a control character is easily mistaken and hard to type; remove it".to_string(),
        });
    }
    let blank_edge = |name: &str| name.starts_with(char::is_whitespace) || name.ends_with(char::is_whitespace);
    if path.split('/').any(blank_edge) {
        let trimmed: Vec<&str> = path.split('/').map(str::trim).collect();
        return Some(Invisible {
            message: format!("`{path}` has a name that starts or ends with a blank"),
            label: "blank at the edge of a name",
            help: format!("editors, shells and `git status` hide such blanks; did you mean `{}`?", trimmed.join("/")),
        });
    }
    None
}

/// A problem [`invisible`] found, to be located.
struct Invisible {
    message: String,
    label: &'static str,
    help: String,
}

impl Invisible {
    fn at(self, at: ModelPath) -> Diagnostic {
        Diagnostic::new("output-path", at, self.message).label(self.label).help(self.help)
    }
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
    fn blank_names_and_tabs_are_refused() {
        for path in ["", " ", " \t ", "ci.yml ", " ci.yml", "ci /x.yml", "ci.\tyml", "ci.yml\u{a0}"] {
            assert!(invisible(path).is_some(), "{path:?}");
        }
        for path in ["ci.yml", "my ci/x.yml", ".gitlab-ci.yml"] {
            assert!(invisible(path).is_none(), "{path:?}");
        }
        assert!(invisible(" ci /x.yml").expect("refused").help.contains("`ci/x.yml`"));
    }

    #[test]
    fn finds_git_in_any_case() {
        assert!(is_in_git_directory(".git/HEAD"));
        assert!(is_in_git_directory("sub/.GIT/config"));
        assert!(!is_in_git_directory(".github/workflows/x.yml"));
        assert!(!is_in_git_directory(".gitlab-ci.yml"));
    }
}
