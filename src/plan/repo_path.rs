//! A build's paths (context, Dockerfile, inputs) spelled one way. A builder reads `./app`,
//! `app/` and `app//.` as one directory, but git names objects by exact path: `<commit>:./app`
//! is not `<commit>:app`, and `app/.` names nothing. The plan keeps each path in the one
//! spelling git reads, so the tag hashes what the builder is sent, and `pipegen tags` and the
//! pipeline's script ask git the same question.

/// `path` without empty and `.` components, as outputs are normalized: `./app/`, `app//.` and
/// `app` are `app`, and `./` is the root, `.`. The model refuses `..`, so no component needs
/// resolving against another.
pub fn normalized(path: &str) -> String {
    let plain = crate::model::output_paths::normalize(path);
    if plain.is_empty() { ".".to_string() } else { plain }
}

#[cfg(test)]
mod tests {
    use super::normalized;

    #[test]
    fn every_spelling_of_a_directory_is_one_path() {
        for (written, read) in [
            (".", "."),
            ("./", "."),
            ("", "."),
            ("app", "app"),
            ("./app", "app"),
            ("app/", "app"),
            ("app/.", "app"),
            ("app//x", "app/x"),
            ("./app/./x/", "app/x"),
            ("images/${flavor}/", "images/${flavor}"),
            ("./shared/**/*.txt", "shared/**/*.txt"),
            (".tool-versions", ".tool-versions"),
            ("a/.hidden/b", "a/.hidden/b"),
        ] {
            assert_eq!(normalized(written), read, "{written:?}");
        }
    }
}
