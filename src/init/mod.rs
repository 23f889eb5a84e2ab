//! `pipegen init`: a starting model from a repository's Dockerfiles.
//!
//! [`dockerfile`] reads one Dockerfile, [`scripts`] the build scripts that tag images,
//! [`reference`] image references and the tags that spell directories; [`infer`] turns all of
//! them into a model and a list of what it could not resolve (pure: texts in, model out), with
//! [`parents`] choosing the build argument of each parent and [`args`] summing up each image's
//! own ARGs; [`render`] writes that model as YAML with the comments a reviewer needs. The command
//! (`commands::init`) finds and reads the files. docs/init.md describes the rules.

pub mod args;
pub mod dockerfile;
pub mod infer;
mod parents;
pub mod reference;
pub mod render;
pub mod scripts;

/// Directories never searched for Dockerfiles: git's own, build output and installed packages.
pub const SKIPPED_DIRECTORIES: &[&str] = &[".git", "target", "node_modules"];

/// Whether a file name is a Dockerfile's: `Dockerfile`, `Containerfile`, `<name>.Dockerfile`,
/// `<name>.Containerfile` (or lowercase: `dockerfile`, `<name>.dockerfile`), `Dockerfile.<name>`,
/// `Containerfile.<name>`. Capitals decide the prefix form, so `dockerfile.rs` is source code;
/// BuildKit's own `Dockerfile.dockerignore` is an ignore file and `Dockerfile.md` a document.
pub fn is_dockerfile_name(file_name: &str) -> bool {
    if file_name.ends_with(".dockerignore") || file_name.ends_with(".md") {
        return false;
    }
    ["Dockerfile", "Containerfile", "dockerfile", "containerfile"].iter().any(|kind| {
        file_name == *kind
            || file_name.strip_suffix(kind).is_some_and(|stem| stem.len() > 1 && stem.ends_with('.'))
            || (kind.starts_with(char::is_uppercase)
                && file_name.strip_prefix(kind).is_some_and(|rest| rest.len() > 1 && rest.starts_with('.')))
    })
}

/// Extensions of template files (Jinja, Go, Ruby, empy, autoconf, …): a Dockerfile with one is
/// rendered into the real Dockerfile by a tool, and cannot be read as one.
const TEMPLATE_EXTENSIONS: &[&str] =
    &["j2", "jinja", "jinja2", "template", "tmpl", "tpl", "in", "em", "erb", "mustache", "hbs", "gotmpl", "tt"];

/// Whether a file name is a Dockerfile template's: it names a Dockerfile or Containerfile and
/// has a template extension (`Dockerfile.j2`, `Dockerfile-curl.template`, `Dockerfile.template-scm`,
/// `create_image.Dockerfile.em`, `Dockerfile.in`).
pub fn is_template_name(file_name: &str) -> bool {
    let lower = file_name.to_ascii_lowercase();
    if !(lower.contains("dockerfile") || lower.contains("containerfile")) || lower.ends_with(".md") {
        return false;
    }
    lower.split('.').skip(1).any(|part| TEMPLATE_EXTENSIONS.contains(&part) || part.starts_with("template"))
}

/// Whether a repository path (with `/` separators) lies in a directory pipegen init skips.
pub fn is_skipped(path: &str) -> bool {
    let mut components: Vec<&str> = path.split('/').collect();
    components.pop();
    components.iter().any(|c| SKIPPED_DIRECTORIES.contains(c))
}

/// `My_Repo.v2` → `my-repo-v2`: lowercase letters and digits, every run of other characters one
/// dash, none at either end — a valid pipegen name, or empty when nothing is left.
pub fn sanitize_name(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if let Some(letters) = c.to_lowercase().next().and_then(latin_letters) {
            out.push_str(letters);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// The ASCII letters a Latin letter with a diacritic (or a ligature) is written with where
/// names are ASCII: `ü` → `u`, `ß` → `ss`, so `Übersicht/Dockerfile` names image `ubersicht`.
fn latin_letters(c: char) -> Option<&'static str> {
    const FOLDS: &[(&str, &str)] = &[
        ("àáâãäåāăą", "a"),
        ("çćĉċč", "c"),
        ("ďđð", "d"),
        ("èéêëēĕėęě", "e"),
        ("ĝğġģ", "g"),
        ("ĥħ", "h"),
        ("ìíîïĩīĭįı", "i"),
        ("ĵ", "j"),
        ("ķ", "k"),
        ("ĺļľŀł", "l"),
        ("ñńņňŉ", "n"),
        ("òóôõöøōŏő", "o"),
        ("ŕŗř", "r"),
        ("śŝşšș", "s"),
        ("ţťŧț", "t"),
        ("ùúûüũūŭůűų", "u"),
        ("ŵ", "w"),
        ("ýÿŷ", "y"),
        ("źżž", "z"),
        ("ß", "ss"),
        ("æ", "ae"),
        ("œ", "oe"),
        ("þ", "th"),
    ];
    FOLDS.iter().find(|(letters, _)| letters.contains(c)).map(|(_, ascii)| *ascii)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognizes_dockerfile_names() {
        for name in
            ["Dockerfile", "Containerfile", "gitaly.Dockerfile", "Dockerfile.lite", "dockerfile", "x.containerfile"]
        {
            assert!(is_dockerfile_name(name), "{name}");
        }
        for name in [
            "Dockerfile.dockerignore",
            "Dockerfile.md",
            "Dockerfiles",
            "MyDockerfile",
            ".Dockerfile",
            "Dockerfile.",
            "dockerfile.rs",
            "DOCKERFILE",
        ] {
            assert!(!is_dockerfile_name(name), "{name}");
        }
    }

    #[test]
    fn recognizes_dockerfile_templates() {
        for name in [
            "Dockerfile.j2",
            "Dockerfile.jinja2",
            "Dockerfile.template",
            "Dockerfile-curl.template",
            "Dockerfile.template-scm",
            "create_ros_image.Dockerfile.em",
            "Dockerfile.in",
            "app.Containerfile.tmpl",
        ] {
            assert!(is_template_name(name), "{name}");
        }
        for name in
            ["Dockerfile", "Dockerfile.lite", "Dockerfile.inline", "dockerfile.rs", "template.j2", "Dockerfile.j2.md"]
        {
            assert!(!is_template_name(name), "{name}");
        }
    }

    #[test]
    fn skips_git_build_output_and_packages() {
        assert!(is_skipped("node_modules/x/Dockerfile"));
        assert!(is_skipped("a/target/Dockerfile"));
        assert!(is_skipped(".git/Dockerfile"));
        assert!(!is_skipped("targets/Dockerfile"));
        assert!(!is_skipped("Dockerfile"));
    }

    #[test]
    fn sanitizes_names() {
        assert_eq!(sanitize_name("My_Repo.v2"), "my-repo-v2");
        assert_eq!(sanitize_name("--a__b--"), "a-b");
        assert_eq!(sanitize_name("GITALY_DEPS"), "gitaly-deps");
        assert_eq!(sanitize_name("___"), "");
        assert_eq!(sanitize_name("Übersicht_Grüße"), "ubersicht-grusse");
        assert_eq!(sanitize_name("ünï"), "uni");
        assert_eq!(sanitize_name("Łódź-Æther"), "lodz-aether");
        assert_eq!(sanitize_name("日本"), "");
    }
}
