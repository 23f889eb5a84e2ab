//! The tricky cases, each with what the builder's own code decides (read from moby/patternmatcher,
//! tonistiigi/fsutil, openshift/imagebuilder, containers/storage and buildah's copier; the cases
//! marked "real" are also in the real-builder conformance test).

use super::*;

/// `ignore` read by `builder`, applied to `paths`: the paths sent.
fn sent(builder: Builder, ignore: &str, paths: &[&str]) -> Vec<String> {
    let file = IgnoreFile::parse(".dockerignore", ignore.as_bytes(), builder).expect("a valid ignore file");
    file.sent(paths.iter().map(|p| p.as_bytes())).into_iter().map(|p| String::from_utf8_lossy(p).into_owned()).collect()
}

fn both(ignore: &str, paths: &[&str], expected: &[&str]) {
    for builder in [Builder::BuildKit, Builder::Buildah] {
        assert_eq!(sent(builder, ignore, paths), expected, "{builder:?} with {ignore:?}");
    }
}

fn errors(builder: Builder, ignore: &str) -> Vec<String> {
    match IgnoreFile::parse("ctx/.dockerignore", ignore.as_bytes(), builder) {
        Ok(_) => Vec::new(),
        Err(IgnoreErrors(errors)) => errors.iter().map(|e| format!("{}:{}: {}", e.line, e.column, e.message)).collect(),
    }
}

const TREE: &[&str] = &[
    ".dockerignore",
    "Dockerfile",
    "README.md",
    "docs/guide.md",
    "docs/keep/a.txt",
    "docs/keep.txt",
    "src/main.rs",
    "src/gen/out.rs",
    "notes.md",
];

#[test]
fn no_patterns_send_everything() {
    both("", TREE, TREE);
    both("# only a comment\n\n   \n", TREE, TREE);
}

#[test]
fn a_directory_pattern_excludes_everything_under_it_and_an_exception_brings_a_file_back() {
    let expected =
        [".dockerignore", "Dockerfile", "README.md", "docs/keep.txt", "src/main.rs", "src/gen/out.rs", "notes.md"];
    both("docs\n!docs/keep.txt\n", TREE, &expected);
    // Trailing slash, leading slash and `./` are cleaned away.
    both("/docs/\n!./docs/keep.txt\n", TREE, &expected);
}

#[test]
fn star_stays_in_one_directory_and_double_star_crosses_them() {
    both(
        "*.md\n",
        TREE,
        &[
            ".dockerignore",
            "Dockerfile",
            "docs/guide.md",
            "docs/keep/a.txt",
            "docs/keep.txt",
            "src/main.rs",
            "src/gen/out.rs",
        ],
    );
    both(
        "**/*.md\n",
        TREE,
        &[".dockerignore", "Dockerfile", "docs/keep/a.txt", "docs/keep.txt", "src/main.rs", "src/gen/out.rs"],
    );
    both(
        "src/**/out.rs\n",
        TREE,
        &[
            ".dockerignore",
            "Dockerfile",
            "README.md",
            "docs/guide.md",
            "docs/keep/a.txt",
            "docs/keep.txt",
            "src/main.rs",
            "notes.md",
        ],
    );
}

#[test]
fn the_last_matching_line_wins() {
    // Docker's documented pair of examples.
    let paths = ["README.md", "README-secret.md", "CHANGES.md", "main.go"];
    both("*.md\n!README*.md\nREADME-secret.md\n", &paths, &["README.md", "main.go"]);
    both("*.md\nREADME-secret.md\n!README*.md\n", &paths, &["README.md", "README-secret.md", "main.go"]);
}

#[test]
fn exclude_everything_then_send_some_back() {
    both("*\n!src\nsrc/gen\n", TREE, &["src/main.rs"]);
}

#[test]
fn classes_ranges_question_marks_and_escapes() {
    let paths = ["a1", "b1", "c1", "d1", "x1", "ab", "*lit", "?", "é", "ée"];
    both("[a-c]1\n", &paths, &["d1", "x1", "ab", "*lit", "?", "é", "ée"]);
    both("[^a-c]1\n", &paths, &["a1", "b1", "c1", "ab", "*lit", "?", "é", "ée"]);
    both("\\*lit\n", &paths, &["a1", "b1", "c1", "d1", "x1", "ab", "?", "é", "ée"]);
    // `?` is one rune, even a two-byte one.
    both("?\n", &paths, &["a1", "b1", "c1", "d1", "x1", "ab", "*lit", "ée"]);
    both("[é]e\n", &paths, &["a1", "b1", "c1", "d1", "x1", "ab", "*lit", "?", "é"]);
}

#[test]
fn line_ends_byte_order_marks_comments_and_spaces() {
    // BuildKit drops the `\r` of CRLF files and a byte-order mark before the first line; buildah's
    // reader keeps them, and its matcher trims the `\r` away as white space.
    let paths = ["a", "b", "#c", "d"];
    both("a\r\nb  \r\n", &paths, &["#c", "d"]);
    assert_eq!(sent(Builder::BuildKit, "\u{FEFF}a\n", &paths), ["b", "#c", "d"]);
    // A comment starts in column 1; later, `#` is part of a pattern.
    both("#a\n #c\n", &paths, &["a", "b", "d"]);
}

#[test]
fn buildkit_and_buildah_differ_on_an_exception_for_a_parent_directory() {
    // `!a` matches a/b's parent, so by Docker's "last matching line" a/b/c would be sent. BuildKit
    // only tries `!a` on `a` while something has excluded it (nothing had yet), and remembers a
    // pattern that was not tried as not matching: a/b/c stays excluded. buildah tries every
    // pattern against every directory above the path: `!a` wins.
    let paths = ["a/b/c", "a/d"];
    assert_eq!(sent(Builder::BuildKit, "a/b\n!a\n", &paths), ["a/d"]);
    assert_eq!(sent(Builder::Buildah, "a/b\n!a\n", &paths), ["a/b/c", "a/d"]);
}

#[test]
fn buildkit_and_buildah_differ_on_a_glob_exception_inside_an_excluded_directory() {
    // buildah opens an excluded directory only for an exception whose text starts with it.
    let paths = ["keep", "lib/keep", "lib/other", "libx/keep"];
    let ignore = "*\n!**/keep\n";
    assert_eq!(sent(Builder::BuildKit, ignore, &paths), ["keep", "lib/keep", "libx/keep"]);
    assert_eq!(sent(Builder::Buildah, ignore, &paths), ["keep"]);
    // ...a plain text prefix: `!lib/keep` opens `li` too in buildah.
    assert_eq!(sent(Builder::Buildah, "li*\n!lib/keep\n", &["li/keep", "lib/keep"]), ["lib/keep"]);
}

#[test]
fn buildkit_answers_leading_and_trailing_double_stars_without_a_regular_expression() {
    // `**name` is a suffix test in BuildKit (`barfoo` ends with `foo`); buildah's regular
    // expression wants `foo` after a slash.
    let paths = ["foo", "barfoo", "x/barfoo", "x/foo"];
    assert_eq!(sent(Builder::BuildKit, "**foo\n", &paths), Vec::<String>::new());
    assert_eq!(sent(Builder::Buildah, "**foo\n", &paths), ["barfoo", "x/barfoo"]);
    // `name**` is a prefix test in both readings.
    both("ba**\n", &paths, &["foo", "x/barfoo", "x/foo"]);
}

#[test]
fn a_newline_in_a_name_stops_double_star() {
    // Go's `.` never matches a newline: `(.*/)?` cannot cross one.
    let paths = ["a/x\ny/b", "a/xy/b"];
    assert_eq!(sent(Builder::BuildKit, "a/**/b\n", &paths), ["a/x\ny/b"]);
}

#[test]
fn dockerfile_specific_ignore_files() {
    assert_eq!(
        Builder::BuildKit.ignore_file_candidates("ctx", "images/app.Dockerfile"),
        ["images/app.Dockerfile.dockerignore", "ctx/.dockerignore"]
    );
    assert_eq!(
        Builder::Buildah.ignore_file_candidates("ctx", "images/app.Dockerfile"),
        [
            "ctx/images/app.Dockerfile.dockerignore",
            "ctx/images/app.Dockerfile.containerignore",
            "ctx/.containerignore",
            "ctx/.dockerignore"
        ]
    );
    assert_eq!(Builder::Buildah.ignore_file_candidates(".", "Dockerfile")[2], ".containerignore");
}

#[test]
fn patterns_the_builders_reject_are_refused_with_their_line_and_column() {
    for builder in [Builder::BuildKit, Builder::Buildah] {
        assert_eq!(
            errors(builder, "ok\n!\n"),
            ["2:1: `!` with no pattern after it: both builders stop with `illegal exclusion pattern: \"!\"`"]
        );
        let unclosed = errors(builder, "a[b\n");
        assert!(unclosed[0].starts_with("1:2: `a[b` is not a valid pattern: this `[` class"), "{unclosed:?}");
        assert!(errors(builder, "ab\\\n")[0].starts_with("1:3: `ab\\` is not a valid pattern"));
        assert_eq!(errors(builder, "[]a]\n").len(), 1);
    }
}

#[test]
fn patterns_whose_meaning_is_an_accident_of_the_translation_are_refused() {
    for builder in [Builder::BuildKit, Builder::Buildah] {
        for (ignore, at) in
            [("x\\d\n", "1:2:"), ("a[*]\n", "1:3:"), ("  ^a\n", "1:3:"), ("[z-a]\n", "1:2:"), ("[[:alpha:]]\n", "1:2:")]
        {
            let found = errors(builder, ignore);
            assert_eq!(found.len(), 1, "{builder:?} {ignore:?}: {found:?}");
            assert!(found[0].starts_with(at), "{builder:?} {ignore:?}: {found:?}");
        }
    }
    // buildah's matcher leaves `+(){}|` as operators; `\+` means `+` in both.
    assert_eq!(errors(Builder::BuildKit, "c++\n"), Vec::<String>::new());
    assert!(errors(Builder::Buildah, "c++\n")[0].contains("buildah passes `+` into a regular expression"));
    both("c\\+\\+\n", &["c++", "c"], &["c"]);
}

#[test]
fn every_error_of_a_file_is_reported_at_once() {
    assert_eq!(errors(Builder::BuildKit, "\\q\nok\n[\n!\n").len(), 3);
}

#[test]
fn go_clean_and_trim_space() {
    use super::go::{clean, trim_space};
    for (input, expected) in [
        ("", "."),
        ("a//b/./c/", "a/b/c"),
        ("a/../../b", "../b"),
        ("/../a", "/a"),
        ("a/b/../..", "."),
        ("!../..", "."),
        ("/", "/"),
        ("..//./..", "../.."),
    ] {
        assert_eq!(String::from_utf8(clean(input.as_bytes())).unwrap(), expected, "{input:?}");
    }
    assert_eq!(trim_space("\u{3000} a b\u{85}\t".as_bytes()), b"a b");
    assert_eq!(trim_space(b"\xff "), b"\xff");
}
