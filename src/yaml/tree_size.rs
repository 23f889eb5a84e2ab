//! How much memory the parsed tree of a YAML document takes, as GitLab's `max_yaml_size_bytes`
//! limit counts it: `Gitlab::Utils::DeepSize` adds up `ObjectSpace.memsize_of` of every string,
//! array and hash that `YAML.safe_load` (Psych) builds, keys included, and counts a node an alias
//! names once per alias. The figures are Ruby's (x86-64), for each Ruby a supported GitLab runs
//! on, and each node counts the largest: GitLab 16 runs Ruby 3.1, 17 Ruby 3.2, 18 Ruby 3.3
//! (gitlab-org/gitlab!220143, "Bump default Ruby version to 3.3.10"). Ruby 3.1's sizes were
//! checked against `memsize_of` on the repository's pipelines (equal, node for node); the newer
//! ones follow Ruby's source:
//!
//! - `gc.c` `obj_memsize_of`: what the object owns beyond its slot, plus its slot: 40 bytes in
//!   Ruby 3.1, `rb_gc_obj_slot_size` from 3.2 on, where variable-width allocation gives slots
//!   of 40, 80, 160, 320 or 640 bytes.
//! - A string (`string.c`): Ruby 3.1 keeps one of at most 23 bytes in its 40-byte slot and
//!   mallocs a longer one (40 + bytes + 1 terminator). From 3.2 on a string whose header (24
//!   bytes), text and terminator fit in a 640-byte slot is embedded in the smallest slot that
//!   holds them, and counts that slot: 100 bytes take 160, not 141.
//! - An array (`array.c`): Psych starts every sequence as `[]` (three elements embedded in a
//!   40-byte slot, in every version) and pushes each element; a push past the capacity grows it
//!   to `max(capacity / 2, 16) + length` elements of 8 bytes, malloced.
//! - A hash (`hash.c`, `st.c`): up to 8 entries in an `ar_table` of 128 bytes (malloced beside
//!   the 40-byte slot in 3.1 and 3.2, inside a 160-byte slot from 3.3 on, even when empty);
//!   more in an `st_table` of 56 bytes, 24 per entry and two bins per entry of 1 byte (up to 128
//!   entries), 2 (up to 32,768) or 4, its capacity the power of two that holds the entries, 32
//!   at least; from 3.3 on beside a 160-byte slot.
//!
//! A plain number, boolean or null takes no memory in Ruby (it is an immediate value) but
//! counts as a 40-byte object here: a scalar pipegen reads as a number where Psych reads a
//! string then still counts as much as Ruby measures it (a string of up to 15 bytes takes 40).
//! The writer measures it while it writes (no parse of what it wrote);
//! `emit::gitlab::limits::parsed_size` measures text read back with the same counting, as the
//! tests' second opinion.

/// Bytes of a node without text: a plain number, boolean or null (see above), and the smallest
/// slot.
pub const OBJECT: usize = 40;

/// Ruby's slot sizes from 3.2 on (`rb_gc_obj_slot_size`): the heaps' 40-byte slot doubled.
const SLOTS: [usize; 5] = [40, 80, 160, 320, 640];

/// What `memsize_of` says of a string of `bytes` bytes, the most of Ruby 3.1 and 3.2+.
pub fn string_size(bytes: usize) -> usize {
    // Ruby 3.1: embedded up to 23 bytes, else malloced with its terminator.
    let ruby31 = if bytes <= 23 { OBJECT } else { OBJECT + bytes + 1 };
    // Ruby 3.2+: header, text and terminator embedded in the smallest slot that holds them.
    let embedded = 24 + bytes + 1;
    let ruby32 = SLOTS.iter().copied().find(|&slot| slot >= embedded).unwrap_or(OBJECT + bytes + 1);
    ruby31.max(ruby32)
}

/// What `memsize_of` says of an array of `elements` that Psych built by pushing them one by one
/// onto `[]` (the same in every version).
pub fn array_size(elements: usize) -> usize {
    // `[]` embeds 3 elements in its 40-byte slot; `ary_double_capa` grows it past them.
    let mut capacity = 3;
    while capacity < elements {
        capacity = (capacity / 2).max(16) + capacity + 1;
    }
    if capacity == 3 { OBJECT } else { OBJECT + 8 * capacity }
}

/// What `memsize_of` says of a hash of `entries` that Psych built by inserting them one by one
/// into `{}`, the most of Ruby 3.1, 3.2 and 3.3+ (3.4 counts 56 bytes less than 3.3 for an
/// `st_table`, which it keeps in the slot).
pub fn hash_size(entries: usize) -> usize {
    // 3.3+: the hash and its `ar_table` in one 160-byte slot; 3.1 and 3.2: 40 + 128 once it
    // holds an entry.
    const SLOT_33: usize = 160;
    if entries <= 8 {
        return SLOT_33.max(if entries == 0 { OBJECT } else { OBJECT + 128 });
    }
    let capacity = entries.next_power_of_two().max(32);
    let bin = if capacity <= 128 {
        1
    } else if capacity <= 32_768 {
        2
    } else {
        4
    };
    SLOT_33 + 56 + 24 * capacity + 2 * capacity * bin
}

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
        let size = string.map_or(OBJECT, |text| string_size(text.len()));
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
        let own = if done.mapping { hash_size(done.nodes / 2) } else { array_size(done.nodes) };
        let size = own + done.size;
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

#[cfg(test)]
mod tests {
    use super::{array_size, hash_size, string_size};

    /// Around each slot's edge: Ruby 3.1's `memsize_of` (measured) where it is the larger, the
    /// slot of Ruby 3.2+ where that is.
    #[test]
    fn a_string_counts_the_larger_of_ruby_31_and_its_slot_from_32_on() {
        for (bytes, size) in [
            (0, 40),
            (15, 40),   // 24 + 15 + 1 fills the 40-byte slot
            (16, 80),   // 3.1: still embedded, 40
            (23, 80),   // 3.1: the last embedded, 40
            (24, 80),   // 3.1: 65
            (50, 91),   // 3.1: 40 + 51; 3.2+: 80
            (55, 96),   // 3.2+: 80, full
            (56, 160),  // 3.1: 97
            (100, 160), // 3.1: 141
            (135, 176), // 3.2+: 160, full
            (136, 320), // 3.1: 177
            (295, 336), // 3.2+: 320, full
            (296, 640), // 3.1: 337
            (615, 656), // 3.2+: 640, full, the last embedded
            (616, 657), // malloced in both: 40 + 616 + 1
            (10_000, 10_041),
        ] {
            assert_eq!(string_size(bytes), size, "{bytes} bytes");
        }
    }

    /// Ruby 3.1's `memsize_of` of `YAML.safe_load` arrays (the same from 3.2 on: `[]` stays in
    /// its 40-byte slot): the capacity steps 3, 20, 37, 56, 85, … as pushes grow it.
    #[test]
    fn an_array_counts_the_capacity_its_pushes_grew_it_to() {
        for (elements, size) in [
            (0, 40),
            (3, 40),
            (4, 200),
            (20, 200),
            (21, 336),
            (37, 336),
            (38, 488),
            (57, 720),
            (129, 1584),
            (2214, 26_600),
        ] {
            assert_eq!(array_size(elements), size, "{elements} elements");
        }
    }

    /// Ruby 3.1's `memsize_of` of `YAML.safe_load` hashes (40 + 128 up to 8 entries, then 40 +
    /// the `st_table`), with Ruby 3.3's 160-byte slot where it is the larger.
    #[test]
    fn a_hash_counts_its_table_and_ruby_33s_slot() {
        for (entries, size) in [
            (0, 160),   // 3.1: 40
            (1, 168),   // 3.1: 40 + the 128-byte ar_table; 3.3: 160
            (8, 168),   // the last in an ar_table
            (9, 1048),  // 3.1: 928 (an st_table of 32 entries)
            (32, 1048), // 3.1: 928
            (33, 1880), // 3.1: 1760
            (128, 3544),
            (129, 7384), // 2-byte bins: 3.1 7264
            (2049, 114_904),
        ] {
            assert_eq!(hash_size(entries), size, "{entries} entries");
        }
    }
}
