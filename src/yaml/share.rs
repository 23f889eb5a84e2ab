//! Writes each repeated node of a document once: the first copy gets a YAML anchor (`&name`),
//! the later ones become aliases (`*name`).
//!
//! Works on the block-style text [`super::to_string`] writes (two spaces per level, sequences
//! in a mapping at their key's column, multi-line strings as literal blocks), after comments
//! were added to it. Three kinds of node are shared: a block mapping or sequence that is the value
//! of a key (`key:` alone on its line), a block mapping that is an item of a sequence
//! (`- key: ...` followed by more lines), and a literal block that is the value of a key
//! (`key: |-` followed by its lines; GitHub's env values listing platforms repeat job after job).
//! Other scalars are never shared, nor is a node holding a comment line or a linter directive
//! (a `# zizmor:` comment), which its aliases would lose.
//! The result reads back as exactly the same data (aliases resolve to their anchored node),
//! and YAML merge keys are never written (GitHub refuses them).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Nodes smaller than this (their text, in bytes) stay as they are: an alias would save little
/// and make the file harder to read.
pub const MIN_SHARED_BYTES: usize = 30;

/// What the output writes at a node's first line: an anchor, or an alias in place of the node.
struct Mark {
    line: usize,
    kind: NodeKind,
    /// Where the node's text starts on its line.
    column: usize,
    /// An index into the anchors' names.
    name: usize,
    /// For a literal block: where its header (`|-`) starts on the line, which the anchor or
    /// alias goes before.
    header: usize,
    /// For an alias: the line after the node it replaces.
    alias_end: Option<usize>,
}

/// `text` with every repeated node of at least `min_bytes` written once.
pub fn share_repeated_nodes(text: &str, min_bytes: usize) -> String {
    // The writer ends every line with `\n` alone (a `\r` in a value is written escaped).
    let lines: Vec<&str> = text.split_terminator('\n').collect();
    let nodes = nodes(&lines);
    // The first copy of each text, by its digest (copies are then compared line by line; two
    // texts with one digest are simply not shared).
    let mut first_copies: HashMap<u64, usize, BuildHasherDefault<Digest>> = HashMap::default();
    // The anchor of each first copy that a later copy aliases (node index → name index).
    let mut anchor_of: HashMap<usize, usize> = HashMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut counters: HashMap<String, usize> = HashMap::new();
    let mut marks: Vec<Mark> = Vec::new();
    let mut skip_until = 0;
    for (index, node) in nodes.iter().enumerate() {
        if node.line < skip_until {
            continue;
        }
        if node.size < min_bytes {
            continue;
        }
        let first = *first_copies.entry(node.digest ^ node.kind as u64).or_insert(index);
        // A copy that holds a comment stays: only the first copy would keep it.
        if first == index || !nodes[first].same_text(node, &lines) || !shareable(&lines[node.line..node.end]) {
            continue;
        }
        let name = *anchor_of.entry(first).or_insert_with(|| {
            let base = anchor_base(lines[nodes[first].line], &nodes[first]);
            let counter = counters.entry(base.clone()).or_default();
            *counter += 1;
            names.push(format!("{base}-{counter}"));
            marks.push(Mark {
                line: nodes[first].line,
                kind: nodes[first].kind,
                column: nodes[first].column,
                name: names.len() - 1,
                header: nodes[first].header,
                alias_end: None,
            });
            names.len() - 1
        });
        marks.push(Mark {
            line: node.line,
            kind: node.kind,
            column: node.column,
            name,
            header: node.header,
            alias_end: Some(node.end),
        });
        skip_until = node.end;
    }
    // In document order. No mark is inside an aliased node: its nodes were skipped, and first
    // copies come before the copies that alias them.
    marks.sort_by_key(|m| (m.line, m.kind == NodeKind::Value));
    write_marked(&lines, &marks, &names, text.len())
}

/// The lines with their anchors and aliases (`marks` in document order).
fn write_marked(lines: &[&str], marks: &[Mark], names: &[String], capacity: usize) -> String {
    let mut out = String::with_capacity(capacity);
    let mut next = 0;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        // At most an item's mark, then a value's or a literal block's mark, start on a line
        // (`- key:`, `- key: |-`).
        let (mut item, mut value, mut literal) = (None, None, None);
        while let Some(mark) = marks.get(next).filter(|m| m.line == i) {
            match mark.kind {
                NodeKind::Item => item = Some(mark),
                NodeKind::Value => value = Some(mark),
                NodeKind::Literal => literal = Some(mark),
            }
            next += 1;
        }
        let mut rest = line;
        // Where `rest` starts on the line.
        let mut offset = 0;
        if let Some(mark) = item {
            // The item's `- `, after the indentation (and an explicit key's `: `).
            out.push_str(&line[..mark.column - 2]);
            push_mark(&mut out, "- ", mark, names);
            out.push('\n');
            if let Some(end) = mark.alias_end {
                i = end;
                continue;
            }
            // `- &name key: value` would anchor the key: the mapping starts on the next line.
            super::writer::push_spaces(&mut out, mark.column);
            rest = &line[mark.column..];
            offset = mark.column;
        }
        if let Some(mark) = literal {
            // The anchor goes before the block's header; an alias replaces the header and the
            // block's lines.
            out.push_str(&rest[..mark.header - offset]);
            push_mark(&mut out, "", mark, names);
            match mark.alias_end {
                Some(end) => i = end,
                None => {
                    out.push(' ');
                    out.push_str(&line[mark.header..]);
                    i += 1;
                }
            }
            out.push('\n');
            continue;
        }
        out.push_str(rest);
        if let Some(mark) = value {
            push_mark(&mut out, " ", mark, names);
            if let Some(end) = mark.alias_end {
                out.push('\n');
                i = end;
                continue;
            }
        }
        out.push('\n');
        i += 1;
    }
    out
}

/// `before`, then `*name` for an alias or `&name` for an anchor.
fn push_mark(out: &mut String, before: &str, mark: &Mark, names: &[String]) {
    out.push_str(before);
    out.push(if mark.alias_end.is_some() { '*' } else { '&' });
    out.push_str(&names[mark.name]);
}

/// A hasher for keys that are digests already.
#[derive(Default)]
struct Digest(u64);

impl Hasher for Digest {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = hash_bytes(bytes);
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// A fast, non-cryptographic digest of a line (FxHash's mixing, eight bytes at a time).
fn hash_bytes(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut hash = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        hash = (hash.rotate_left(5) ^ word).wrapping_mul(K);
    }
    for &byte in chunks.remainder() {
        hash = (hash.rotate_left(5) ^ u64::from(byte)).wrapping_mul(K);
    }
    hash
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum NodeKind {
    /// A block collection that is a key's value; `line` is the key's line.
    Value,
    /// A block mapping that is a sequence item; `line` is its first line (`- key: ...`).
    Item,
    /// A literal block that is a key's value; `line` is the key's line (`key: |-`).
    Literal,
}

/// A node that could be shared: its lines are `line..end`, its text starts at `column`; its
/// text's digest and size (without the indentation it has as a whole).
#[derive(Debug)]
struct Node {
    kind: NodeKind,
    line: usize,
    end: usize,
    column: usize,
    /// For a literal block: where its header starts on the key's line.
    header: usize,
    digest: u64,
    size: usize,
}

impl Node {
    /// The node's text, line by line, without the indentation it has as a whole (which differs
    /// between copies): each line as its indentation relative to the node and its content.
    fn body<'a>(&self, lines: &[&'a str]) -> impl Iterator<Item = (usize, &'a str)> {
        let first = match self.kind {
            NodeKind::Value => None,
            NodeKind::Item => Some((0, &lines[self.line][self.column..])),
            NodeKind::Literal => Some((0, &lines[self.line][self.header..])),
        };
        let column = self.column;
        first.into_iter().chain(lines[self.line + 1..self.end].iter().map(move |line| {
            let at = indent(line);
            (at.saturating_sub(column), &line[at..])
        }))
    }

    /// Adds a line to the node's digest and size: its indentation relative to the node, the
    /// digest of its content and its length.
    fn mix(&mut self, relative: usize, content: u64, length: usize) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        self.digest = (self.digest.rotate_left(5) ^ (relative as u64)).wrapping_mul(K);
        self.digest = (self.digest.rotate_left(5) ^ content).wrapping_mul(K);
        self.size += relative + length + 1;
    }

    /// Whether `other` is a copy of this node.
    fn same_text(&self, other: &Node, lines: &[&str]) -> bool {
        self.kind == other.kind
            && self.end - self.line == other.end - other.line
            && self.body(lines).eq(other.body(lines))
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The column after a line's indentation, an explicit key's `: ` and its `- ` item markers, and
/// how many `- ` there are.
fn content_column(line: &str) -> (usize, usize) {
    let mut column = indent(line);
    // The value of an explicit key (`? key` then `: value`) starts after its `: `.
    if line[column..].starts_with(": ") {
        column += 2;
    }
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
    // Most lines end otherwise: no search for the header.
    if !content.ends_with(['|', '>', '-', '+', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) {
        return false;
    }
    let Some((_, value)) = content.rsplit_once(' ') else { return content.starts_with('|') };
    let mut bytes = value.bytes();
    matches!(bytes.next(), Some(b'|' | b'>')) && bytes.all(|b| b.is_ascii_digit() || b == b'-' || b == b'+')
}

/// A node whose lines are still being read: the lines that continue it are deeper than
/// `threshold`, or at it and items of the sequence it is (a sequence in a mapping is at its
/// key's column).
struct Open {
    node: usize,
    threshold: usize,
    sequence: bool,
}

impl Open {
    /// Whether `line` is one of the node's. A comment line always is: it can stand above an
    /// item at the item's column, and a node holding one is never shared.
    fn continues(&self, line: &str) -> bool {
        let at = indent(line);
        line.is_empty()
            || at > self.threshold
            || line[at..].starts_with('#')
            || (self.sequence && at == self.threshold && line[at..].starts_with("- "))
    }
}

/// Every node that could be shared, in document order (a node before the nodes inside it),
/// with its end, digest and size: one pass over the lines, with the nodes still open on a
/// stack.
fn nodes(lines: &[&str]) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    // While in a literal block: the column its lines are deeper than.
    let mut literal: Option<usize> = None;
    for (i, line) in lines.iter().enumerate() {
        while let Some(top) = open.last().filter(|top| !top.continues(line)) {
            nodes[top.node].end = i;
            open.pop();
        }
        let at = indent(line);
        let hash = hash_bytes(&line.as_bytes()[at..]);
        for top in &open {
            let node = &mut nodes[top.node];
            let relative = at.saturating_sub(node.column);
            node.mix(relative, hash, line.len() - at);
        }
        if let Some(parent) = literal {
            if line.is_empty() || at > parent {
                // A literal block's lines are text, never nodes.
                continue;
            }
            literal = None;
        }
        let (column, dashes) = content_column(line);
        let content = &line[column..];
        if dashes == 1 && starts_with_plain_key(content) {
            let mut node = Node { kind: NodeKind::Item, line: i, end: i + 1, column, header: 0, digest: 0, size: 0 };
            node.mix(0, hash_bytes(content.as_bytes()), content.len());
            open.push(Open { node: nodes.len(), threshold: column - 2, sequence: false });
            nodes.push(node);
        }
        if opens_block_scalar(content) {
            // Its lines are deeper than its key, or than the `- ` or `: ` it follows when it is
            // an item or an explicit key's value itself.
            let marked = column > indent(line);
            literal = Some(if marked && !content.contains(": ") { column - 2 } else { column });
            // A plain key's literal block, also on an item's first line (an item of an explicit
            // key's value too: `: - key: |-`); not a mapping's written as an explicit key's value.
            let explicit = line[indent(line)..].starts_with(": ");
            if dashes <= 1
                && (!explicit || dashes == 1)
                && starts_with_plain_key(content)
                && let Some((_, header)) = content.rsplit_once(' ')
            {
                let header = line.len() - header.len();
                let mut node =
                    Node { kind: NodeKind::Literal, line: i, end: i + 1, column, header, digest: 0, size: 0 };
                node.mix(0, hash_bytes(&line.as_bytes()[header..]), line.len() - header);
                open.push(Open { node: nodes.len(), threshold: column, sequence: false });
                nodes.push(node);
            }
        } else if is_block_key(content) {
            let next = lines.get(i + 1).copied().unwrap_or("");
            let sequence = !next.is_empty() && indent(next) == column && next[column..].starts_with("- ");
            open.push(Open { node: nodes.len(), threshold: column, sequence });
            nodes.push(Node { kind: NodeKind::Value, line: i, end: i + 1, column, header: 0, digest: 0, size: 0 });
        }
    }
    for top in open {
        nodes[top.node].end = lines.len();
    }
    // A key or an item alone on its line is no block node.
    nodes.retain(|node| node.end > node.line + 1);
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
    fn a_comment_above_an_item_keeps_the_sequence_whole() {
        let text = "a:\n  list:\n  - x: 1\n    y: 2\n  # why\n  - z: 3\n    w: 4\nb:\n  list:\n  - x: 1\n    y: 2\n";
        let shared = share_repeated_nodes(text, 1);
        same_data(text, &shared);
        assert!(shared.contains("# why"), "{shared}");
    }

    #[test]
    fn explicit_keys_and_their_values_keep_their_meaning() {
        let long = "k".repeat(130);
        let mut map = crate::yaml::Mapping::new();
        for name in ["a", "b"] {
            let mut inner = crate::yaml::Mapping::new();
            let value: Value = crate::yaml::from_str("k:\n  x: 1\n  y: [2, 3]\nz: '4'\n").unwrap();
            inner.insert(Value::String(long.clone()), value.clone());
            inner.insert(Value::String(format!("{name}-{long}")), Value::Sequence(vec![value]));
            map.insert(Value::String(name.to_string()), Value::Mapping(inner));
        }
        let text = crate::yaml::to_string(&Value::Mapping(map)).unwrap();
        assert!(text.contains("? "), "{text}");
        let shared = share_repeated_nodes(&text, 1);
        same_data(&text, &shared);
        assert!(shared.contains('*'), "{shared}");
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

    #[test]
    fn repeated_literal_blocks_of_keys_are_written_once() {
        let text = "\
a:
  PLATFORMS: |-
    linux/amd64
    linux/arm64
  script: |
    echo one
b:
  PLATFORMS: |-
    linux/amd64
    linux/arm64
  other: |
    linux/amd64
    linux/arm64
c:
  list:
  - PLATFORMS: |-
      linux/amd64
      linux/arm64
  deeper:
    PLATFORMS: |-
      linux/amd64
      linux/arm64
";
        let shared = share_repeated_nodes(text, 20);
        same_data(text, &shared);
        assert!(shared.contains("  PLATFORMS: &PLATFORMS-1 |-\n    linux/amd64\n"), "{shared}");
        assert_eq!(shared.matches("*PLATFORMS-1\n").count(), 3, "{shared}");
        // `|` keeps the final line break, `|-` strips it: not the same value.
        assert!(shared.contains("  other: |\n"), "{shared}");
        // Also an item's first key.
        assert!(shared.contains("  - PLATFORMS: *PLATFORMS-1\n"), "{shared}");
    }

    /// Found by the property test: the literal block on the first line of an item of an explicit
    /// key's value (`: - with: |-`) was not seen, so sharing the result again shared it then.
    #[test]
    fn a_literal_block_on_an_explicit_values_item_is_shared_at_once() {
        let text = String::from(
            "a:\n- ? long-key\n  : - with: |-\n        x\n        y: z\n      steps: |-\n        x\n        y: z\n",
        );
        let shared = share_repeated_nodes(&text, 1);
        same_data(&text, &shared);
        assert!(shared.contains("  : - with: &with-1 |-\n"), "{shared}");
        assert!(shared.contains("      steps: *with-1\n"), "{shared}");
        assert_eq!(share_repeated_nodes(&shared, 1), shared, "sharing twice changes nothing");
    }
}
