//! Where a node of a YAML file is, as a line number, so a finding in a job's script can be shown
//! at its line in the pipeline file. serde's YAML values carry no positions; this walks the
//! indentation of block-style YAML (what pipegen and people write). Flow style and multi-line
//! quoted scalars are not followed: the caller then reports the position inside the script only.

/// One step of a path into the document.
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The 1-based line where the value at `path` starts: the first content line of a block scalar
/// (`key: |`, `- |`), otherwise the line of its key or sequence item.
pub fn value_line(text: &str, path: &[Step<'_>]) -> Option<usize> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let (mut start, mut end) = (0, lines.len());
    let mut found: Option<(usize, usize)> = None; // (line index, column where its value starts)
    for step in path {
        let first = (start..end).find(|&i| meaningful(&lines[i]))?;
        let indent = indentation(&lines[first]);
        let at_indent = |i: usize, lines: &[String]| meaningful(&lines[i]) && indentation(&lines[i]) == indent;
        match *step {
            Step::Key(name) => {
                // Keys of this mapping; a sequence written at the key's own indentation
                // (`script:` then `- ...`) belongs to the key before it.
                let is_key = |i: usize, lines: &[String]| at_indent(i, lines) && !lines[i][indent..].starts_with('-');
                let line = (start..end).find(|&i| is_key(i, &lines) && key_of(&lines[i][indent..]) == Some(name))?;
                let next = (line + 1..end).find(|&i| is_key(i, &lines)).unwrap_or(end);
                let value_column = indent + lines[line][indent..].find(':')? + 1;
                found = Some((line, value_column));
                (start, end) = (line + 1, next);
            }
            Step::Index(index) => {
                let items: Vec<usize> =
                    (start..end).filter(|&i| at_indent(i, &lines) && lines[i][indent..].starts_with('-')).collect();
                let line = *items.get(index)?;
                let next = items.get(index + 1).copied().unwrap_or(end);
                // Read the item as a mapping indented past its dash, so a key on the dash's line
                // (`- run: |`) is found like the ones under it.
                lines[line].replace_range(indent..indent + 1, " ");
                found = Some((line, indent + 1));
                (start, end) = (line, next);
            }
        }
    }
    let (line, column) = found?;
    let value = lines[line].get(column..).unwrap_or("").trim_start();
    let block = value.starts_with('|') || value.starts_with('>');
    Some(line + 1 + usize::from(block))
}

fn meaningful(line: &str) -> bool {
    let trimmed = line.trim_start();
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The key a `key: value` or `key:` line starts with (plain, single- or double-quoted).
fn key_of(line: &str) -> Option<&str> {
    for quote in ['\'', '"'] {
        if let Some(rest) = line.strip_prefix(quote) {
            let close = rest.find(quote)?;
            return rest[close + 1..].starts_with(':').then_some(&rest[..close]);
        }
    }
    match line.find(": ") {
        Some(colon) => Some(&line[..colon]),
        None => line.trim_end().strip_suffix(':'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GITLAB: &str = "\
stages:
- build
.pipegen:build:
  before_script:
  - |
    one
    two
build:base:
  extends: .pipegen:build
  script:
  - echo first
  - |
    # a comment inside the script
    second
";

    const GITHUB: &str = "\
jobs:
  build:
    steps:
      - uses: actions/checkout@0123
      - name: Say
        run: |
          echo hi
      - run: echo inline
";

    #[test]
    fn finds_block_scalars_plain_items_and_keys_with_colons() {
        assert_eq!(
            value_line(GITLAB, &[Step::Key(".pipegen:build"), Step::Key("before_script"), Step::Index(0)]),
            Some(6)
        );
        assert_eq!(value_line(GITLAB, &[Step::Key("build:base"), Step::Key("script"), Step::Index(0)]), Some(11));
        assert_eq!(value_line(GITLAB, &[Step::Key("build:base"), Step::Key("script"), Step::Index(1)]), Some(13));
        assert_eq!(value_line(GITLAB, &[Step::Key("build:base"), Step::Key("before_script")]), None);
        assert_eq!(
            value_line(
                GITHUB,
                &[Step::Key("jobs"), Step::Key("build"), Step::Key("steps"), Step::Index(1), Step::Key("run")]
            ),
            Some(7)
        );
        assert_eq!(
            value_line(
                GITHUB,
                &[Step::Key("jobs"), Step::Key("build"), Step::Key("steps"), Step::Index(2), Step::Key("run")]
            ),
            Some(8)
        );
        assert_eq!(
            value_line(
                GITHUB,
                &[Step::Key("jobs"), Step::Key("build"), Step::Key("steps"), Step::Index(0), Step::Key("run")]
            ),
            None
        );
    }
}
