//! Writes each repeated node of a document once: the first copy gets a YAML anchor (`&name`),
//! the later ones become aliases (`*name`).
//!
//! Works on the block-style text [`super::to_string`] writes (two spaces per level, sequences
//! in a mapping at their key's column, multi-line strings as literal blocks), after comments
//! were added to it. Two kinds of node are shared: a block mapping or sequence that is the value
//! of a key (`key:` alone on its line), and a block mapping that is an item of a sequence
//! (`- key: ...` followed by more lines). Scalars are never shared, nor is a node holding a
//! comment line or a linter directive (a `# zizmor:` comment), which its aliases would lose.
//! The result reads back as exactly the same data (aliases resolve to their anchored node),
//! and YAML merge keys are never written (GitHub refuses them).

use std::collections::HashMap;

/// Nodes smaller than this (their text, in bytes) stay as they are: an alias would save little
/// and make the file harder to read.
pub const MIN_SHARED_BYTES: usize = 30;

/// `text` with every repeated node of at least `min_bytes` written once.
pub fn share_repeated_nodes(text: &str, min_bytes: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let nodes = nodes(&lines);
    let hashes: Vec<u64> = lines.iter().map(|line| hash_str(&line[indent(line)..])).collect();
    // A node (its first line and kind: an item and a key's value can start on one line) → the
    // anchor its first copy gets, or the alias it becomes and where its lines end.
    let mut anchors: HashMap<(usize, NodeKind), String> = HashMap::new();
    let mut aliases: HashMap<(usize, NodeKind), (String, usize)> = HashMap::new();
    // The first copy of each text, by its digest (copies are then compared line by line).
    let mut first_copies: HashMap<(NodeKind, u64), Vec<&Node>> = HashMap::new();
    let mut counters: HashMap<String, usize> = HashMap::new();
    let mut skip_until = 0;
    for node in &nodes {
        if node.line < skip_until {
            continue;
        }
        let (digest, size) = node.digest(&lines, &hashes);
        if size < min_bytes {
            continue;
        }
        let copies = first_copies.entry((node.kind, digest)).or_default();
        let Some(first) = copies.iter().find(|first| first.same_text(node, &lines)).copied() else {
            copies.push(node);
            continue;
        };
        // A copy that holds a comment stays: only the first copy would keep it.
        if !shareable(&lines[node.line..node.end]) {
            continue;
        }
        let name = anchors
            .entry((first.line, first.kind))
            .or_insert_with(|| {
                let base = anchor_base(lines[first.line], first);
                let counter = counters.entry(base.clone()).or_default();
                *counter += 1;
                format!("{base}-{counter}")
            })
            .clone();
        aliases.insert((node.line, node.kind), (name, node.end));
        skip_until = node.end;
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some((name, end)) = aliases.get(&(i, NodeKind::Item)) {
            out.push_str(&line[..indent(line)]);
            out.push_str("- *");
            out.push_str(name);
            out.push('\n');
            i = *end;
            continue;
        }
        let mut rest = line;
        if let Some(name) = anchors.get(&(i, NodeKind::Item)) {
            // `- &name key: value` would anchor the key: the mapping starts on the next line.
            let column = indent(line);
            out.push_str(&line[..column]);
            out.push_str("- &");
            out.push_str(name);
            out.push('\n');
            out.push_str(&line[..column]);
            out.push_str("  ");
            rest = &line[column + 2..];
        }
        out.push_str(rest);
        if let Some((name, end)) = aliases.get(&(i, NodeKind::Value)) {
            out.push_str(" *");
            out.push_str(name);
            out.push('\n');
            i = *end;
            continue;
        }
        if let Some(name) = anchors.get(&(i, NodeKind::Value)) {
            out.push_str(" &");
            out.push_str(name);
        }
        out.push('\n');
        i += 1;
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum NodeKind {
    /// A block collection that is a key's value; `line` is the key's line.
    Value,
    /// A block mapping that is a sequence item; `line` is its first line (`- key: ...`).
    Item,
}

/// A node that could be shared: its lines are `line..end`, its text starts at `column`.
#[derive(Debug)]
struct Node {
    kind: NodeKind,
    line: usize,
    end: usize,
    column: usize,
}

impl Node {
    /// The node's text, line by line, without the indentation it has as a whole (which differs
    /// between copies): each line as its indentation relative to the node and its content.
    fn body<'a>(&self, lines: &[&'a str]) -> impl Iterator<Item = (usize, &'a str)> {
        let first = match self.kind {
            NodeKind::Value => None,
            NodeKind::Item => Some((0, &lines[self.line][self.column..])),
        };
        let column = self.column;
        first.into_iter().chain(lines[self.line + 1..self.end].iter().map(move |line| {
            let at = indent(line);
            (at.saturating_sub(column), &line[at..])
        }))
    }

    /// A digest of [`Node::body`] and its size in bytes, from each line's content digest.
    fn digest(&self, lines: &[&str], hashes: &[u64]) -> (u64, usize) {
        let mut digest: u64 = 0;
        let mut size = 0;
        let mut mix = |relative: usize, content: u64, length: usize| {
            digest = (digest.rotate_left(5) ^ (relative as u64)).wrapping_mul(0x517c_c1b7_2722_0a95);
            digest = (digest.rotate_left(5) ^ content).wrapping_mul(0x517c_c1b7_2722_0a95);
            size += relative + length + 1;
        };
        if self.kind == NodeKind::Item {
            let first = &lines[self.line][self.column..];
            mix(0, hash_str(first), first.len());
        }
        for (line, hash) in lines[self.line + 1..self.end].iter().zip(&hashes[self.line + 1..self.end]) {
            let at = indent(line);
            mix(at.saturating_sub(self.column), *hash, line.len() - at);
        }
        (digest, size)
    }

    /// Whether `other` is a copy of this node.
    fn same_text(&self, other: &Node, lines: &[&str]) -> bool {
        self.kind == other.kind
            && self.end - self.line == other.end - other.line
            && self.body(lines).eq(other.body(lines))
    }
}

fn hash_str(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The column after a line's indentation and its `- ` item markers, and how many there are.
fn content_column(line: &str) -> (usize, usize) {
    let mut column = indent(line);
    let mut dashes = 0;
    while line[column..].starts_with("- ") {
        column += 2;
        dashes += 1;
    }
    (column, dashes)
}

/// Whether `content` (a line from its content column) is a key whose value follows on the
/// next lines: `key:` alone, the key plain or quoted.
fn is_block_key(content: &str) -> bool {
    content.len() > 1 && content.ends_with(':') && !content.starts_with('#') && !content.starts_with("? ")
}

/// Whether `content` starts a mapping with a plain key: `key: value` or `key:`.
fn starts_with_plain_key(content: &str) -> bool {
    let key_len = content.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-').count();
    key_len > 0
        && content[key_len..].starts_with(':')
        && matches!(content.as_bytes().get(key_len + 1), None | Some(b' '))
}

/// Whether a line's value is a literal or folded block scalar: its next, deeper lines are text.
fn opens_block_scalar(content: &str) -> bool {
    let Some((_, value)) = content.rsplit_once(' ') else { return content.starts_with('|') };
    let mut bytes = value.bytes();
    matches!(bytes.next(), Some(b'|' | b'>')) && bytes.all(|b| b.is_ascii_digit() || b == b'-' || b == b'+')
}

/// Where `lines` continue a node whose text starts at `column` from `start`: deeper lines and
/// the empty lines of literal blocks.
fn deeper_from(lines: &[&str], start: usize, column: usize) -> usize {
    let mut end = start;
    while end < lines.len() && (lines[end].is_empty() || indent(lines[end]) > column) {
        end += 1;
    }
    end
}

/// Every node that could be shared, in document order (a node before the nodes inside it).
fn nodes(lines: &[&str]) -> Vec<Node> {
    let mut nodes = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let (column, dashes) = content_column(line);
        let content = &line[column..];
        if opens_block_scalar(content) {
            // A literal block's lines are text, never nodes. They are deeper than its key, or
            // than its `- ` when the block is an item itself.
            let parent = if dashes > 0 && !content.contains(": ") { column - 2 } else { column };
            i = deeper_from(lines, i + 1, parent).max(i + 1);
            continue;
        }
        if dashes == 1 && starts_with_plain_key(content) {
            let end = deeper_from(lines, i + 1, column - 2);
            if end > i + 1 {
                nodes.push(Node { kind: NodeKind::Item, line: i, end, column });
            }
        }
        if is_block_key(content) {
            let next = lines.get(i + 1).copied().unwrap_or("");
            let end = if !next.is_empty() && indent(next) == column && next[column..].starts_with("- ") {
                // A sequence in a mapping is at its key's column.
                let mut end = i + 1;
                while end < lines.len()
                    && (lines[end].is_empty()
                        || indent(lines[end]) > column
                        || (indent(lines[end]) == column && lines[end][column..].starts_with("- ")))
                {
                    end += 1;
                }
                end
            } else {
                deeper_from(lines, i + 1, column)
            };
            if end > i + 1 {
                nodes.push(Node { kind: NodeKind::Value, line: i, end, column });
            }
        }
        i += 1;
    }
    nodes
}

/// Whether a node's lines may be written once: no comment lines and no linter directives,
/// which aliases would not carry.
fn shareable(lines: &[&str]) -> bool {
    lines.iter().enumerate().all(|(i, line)| {
        let comment_line = i > 0 && line.trim_start().starts_with('#');
        !comment_line && !line.contains("# zizmor:") && !line.contains("actionlint")
    })
}

/// An anchor's name before its number: the key whose value it is (or, for an item, its first
/// key; `step` for an item named by `name`), as letters, digits, `_` and `-`.
fn anchor_base(line: &str, node: &Node) -> String {
    let key = match (node.kind, line[node.column..].split(':').next().unwrap_or("")) {
        // A GitHub step: `- &step-1` reads better than `- &name-1`.
        (NodeKind::Item, "name") => "step",
        (_, key) => key,
    };
    let name: String = key.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').take(24).collect();
    if name.is_empty() { "node".to_string() } else { name }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::Value;

    fn same_data(before: &str, after: &str) {
        let a: Value = crate::yaml::from_str(before).expect("the input reads");
        let b: Value = crate::yaml::from_str(after).unwrap_or_else(|e| panic!("{e}:\n{after}"));
        assert_eq!(a, b, "{after}");
    }

    #[test]
    fn repeated_values_and_items_are_written_once() {
        let text = "\
jobs:
  a:
    permissions:
      contents: read
      packages: write
    steps:
    - name: Check out
      uses: actions/checkout@abc
      with:
        persist-credentials: false
    - name: Build
      run: make
  b:
    permissions:
      contents: read
      packages: write
    steps:
    - name: Check out
      uses: actions/checkout@abc
      with:
        persist-credentials: false
    - name: Test
      run: make test
  c:
    steps:
    - name: Check out
      uses: actions/checkout@abc
      with:
        persist-credentials: false
    - name: Build
      run: make
";
        let shared = share_repeated_nodes(text, 20);
        same_data(text, &shared);
        assert!(shared.contains("    permissions: &permissions-1\n"), "{shared}");
        assert!(shared.contains("    permissions: *permissions-1\n"), "{shared}");
        assert!(shared.contains("    steps: &steps-1\n"), "{shared}");
        assert!(shared.contains("    steps: *steps-1\n"), "{shared}");
        assert!(shared.contains("    - &step-1\n      name: Check out\n"), "{shared}");
        assert!(shared.contains("    - *step-1\n"), "{shared}");
        assert_eq!(shared.matches("persist-credentials").count(), 1, "{shared}");
    }

    #[test]
    fn literal_blocks_comments_and_small_nodes_stay() {
        let text = "\
a:
  script: |
    x:
      y: 1
    x:
      y: 1
  env:
    # why
    A: '1'
b:
  env:
    # why
    A: '1'
  tiny:
    k: v
c:
  tiny:
    k: v
";
        let shared = share_repeated_nodes(text, 8);
        same_data(text, &shared);
        assert!(!shared.contains('&'), "{shared}");
        assert_eq!(share_repeated_nodes(text, 1).matches("*tiny").count(), 1);
        assert_eq!(share_repeated_nodes(text, 1).matches("*env").count(), 0);
    }

    #[test]
    fn nodes_inside_an_aliased_copy_are_not_anchored_alone() {
        let text = "\
a:
  x: 1
  outer:
    inner:
      k: v
      l: w
b:
  y: 2
  outer:
    inner:
      k: v
      l: w
";
        let shared = share_repeated_nodes(text, 4);
        same_data(text, &shared);
        assert!(!shared.contains("&inner"), "an anchor nobody uses:\n{shared}");
        assert!(shared.contains("outer: *outer-1"), "{shared}");
    }
}
