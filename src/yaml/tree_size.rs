//! How much memory the parsed tree of a YAML document takes, estimated as GitLab's
//! `max_yaml_size_bytes` limit counts it: [`OBJECT`] bytes per node, a string's text and its
//! terminator, and per entry 8 bytes in a sequence and 24 in a mapping; a plain number, boolean
//! or null has no text. The writer measures it while it writes (no parse of what it wrote);
//! `emit::gitlab::limits::parsed_size` measures text read back with the same counting, as the
//! tests' second opinion.

/// Bytes per node besides its text.
pub const OBJECT: usize = 40;
/// Bytes per sequence entry.
const SEQUENCE_ENTRY: usize = 8;
/// Bytes per mapping entry (a key and its value).
const MAPPING_ENTRY: usize = 24;

/// A collection being measured: its nodes (keys and values alike) and their sizes.
#[derive(Debug)]
struct Open {
    mapping: bool,
    nodes: usize,
    size: usize,
}

/// The size of a tree, node by node, in document order.
#[derive(Debug, Default)]
pub struct TreeSize {
    open: Vec<Open>,
    total: usize,
}

impl TreeSize {
    /// A scalar: `Some(text)` for a string, `None` for a number, a boolean or null.
    pub fn scalar(&mut self, string: Option<&str>) -> usize {
        let size = OBJECT + string.map_or(0, |text| text.len() + 1);
        self.node(size);
        size
    }

    /// A node whose size is already known: an alias counts as a copy of the node it names.
    pub fn node(&mut self, size: usize) {
        match self.open.last_mut() {
            Some(parent) => {
                parent.nodes += 1;
                parent.size += size;
            }
            None => self.total += size,
        }
    }

    pub fn open(&mut self, mapping: bool) {
        self.open.push(Open { mapping, nodes: 0, size: 0 });
    }

    /// Close the innermost open collection: its size.
    pub fn close(&mut self) -> usize {
        let Some(done) = self.open.pop() else { return 0 };
        let entries = if done.mapping { MAPPING_ENTRY * (done.nodes / 2) } else { SEQUENCE_ENTRY * done.nodes };
        let size = OBJECT + entries + done.size;
        self.node(size);
        size
    }

    /// The size of the complete tree, once every collection is closed.
    pub fn total(&self) -> usize {
        self.total
    }

    /// What the nodes written so far measure, collections still open included: the complete
    /// tree is at least this large.
    pub fn so_far(&self) -> usize {
        self.total + self.open.iter().map(|open| open.size).sum::<usize>()
    }
}
