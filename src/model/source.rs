//! The model's text and where each of its values is.
//!
//! serde gives typed values but forgets where they came from; the locator parses the same text
//! with a span-aware YAML event parser and records, for every model path, the span of its key and
//! of its value. Errors found later (an unknown parent, a cycle) are pointed at the right column.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, Span as YamlSpan};

use super::path::ModelPath;

/// A place in the model text: byte range plus 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub offset: usize,
    pub len: usize,
    pub line: usize,
    pub column: usize,
}

/// Where a path's key and value are written.
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: Option<Location>,
    value: Location,
}

/// A duplicate key found while locating: the same key twice in one mapping.
#[derive(Debug, Clone)]
pub struct DuplicateKey {
    pub path: ModelPath,
    pub first: Location,
    pub second: Location,
}

/// The model file: its name as shown to users, its text, and the location of every path.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    entries: HashMap<ModelPath, Entry>,
    duplicates: Vec<DuplicateKey>,
}

impl SourceFile {
    /// Index `text`. A text that is not valid YAML gets an empty index (the YAML error itself is
    /// reported by the loader with the parser's own location).
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let (entries, duplicates) = Locator::new(&text).run();
        SourceFile { name: name.into(), text, entries, duplicates }
    }

    /// Keys written twice in the same mapping.
    pub fn duplicate_keys(&self) -> &[DuplicateKey] {
        &self.duplicates
    }

    /// Where the value at `path` is written, or the closest enclosing value that is.
    pub fn value_location(&self, path: &ModelPath) -> Location {
        self.find(path, |entry| entry.value)
    }

    /// Where the key of `path` is written (for "unknown field" errors), falling back to its value.
    pub fn key_location(&self, path: &ModelPath) -> Location {
        self.find(path, |entry| entry.key.unwrap_or(entry.value))
    }

    /// Whether the model text writes a value at `path`.
    pub fn contains(&self, path: &ModelPath) -> bool {
        self.entries.contains_key(path)
    }

    fn find(&self, path: &ModelPath, pick: impl Fn(&Entry) -> Location) -> Location {
        let mut current = Some(path.clone());
        while let Some(p) = current {
            if let Some(entry) = self.entries.get(&p) {
                return pick(entry);
            }
            current = p.parent();
        }
        self.start_location()
    }

    fn start_location(&self) -> Location {
        Location { offset: 0, len: 0, line: 1, column: 1 }
    }

    /// The location of a 1-based line and column (from the YAML parser's own errors).
    pub fn location_at(&self, line: usize, column: usize) -> Location {
        let mut offset = 0;
        for (i, text_line) in self.text.split_inclusive('\n').enumerate() {
            if i + 1 == line {
                let within: usize = text_line.chars().take(column.saturating_sub(1)).map(char::len_utf8).sum();
                return Location { offset: offset + within, len: 0, line, column };
            }
            offset += text_line.len();
        }
        Location { offset: self.text.len(), len: 0, line, column }
    }
}

/// An open collection while walking the event stream.
enum Frame {
    Mapping { path: ModelPath, pending_key: Option<(String, Location)>, seen: HashMap<String, Location> },
    Sequence { path: ModelPath, next: usize },
}

struct Locator<'a> {
    text: &'a str,
    /// Byte offset of each character index, because the parser counts characters.
    char_offsets: Vec<usize>,
    entries: HashMap<ModelPath, Entry>,
    duplicates: Vec<DuplicateKey>,
    stack: Vec<Frame>,
    /// Start of each open collection: its path, key location and start.
    open: Vec<(Option<ModelPath>, Option<Location>, YamlSpan)>,
}

impl<'a> Locator<'a> {
    fn new(text: &'a str) -> Self {
        let mut char_offsets: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        char_offsets.push(text.len());
        Locator {
            text,
            char_offsets,
            entries: HashMap::new(),
            duplicates: Vec::new(),
            stack: Vec::new(),
            open: Vec::new(),
        }
    }

    fn run(mut self) -> (HashMap<ModelPath, Entry>, Vec<DuplicateKey>) {
        let mut parser = Parser::new_from_str(self.text);
        // Only the first document counts; a stream error leaves what was indexed so far.
        while let Some(Ok((event, span))) = parser.next_event() {
            match event {
                Event::Scalar(value, ..) => self.on_scalar(&value, span),
                Event::Alias(_) => self.on_node_value(span, None),
                Event::MappingStart(..) => self.on_open(span, true),
                Event::SequenceStart(..) => self.on_open(span, false),
                Event::MappingEnd | Event::SequenceEnd => self.on_close(span),
                Event::DocumentEnd => break,
                _ => {}
            }
        }
        (self.entries, self.duplicates)
    }

    fn location(&self, span: YamlSpan) -> Location {
        let start = self.byte_offset(span.start.index());
        let end = self.byte_offset(span.end.index()).max(start);
        Location { offset: start, len: end - start, line: span.start.line(), column: span.start.col() + 1 }
    }

    fn byte_offset(&self, char_index: usize) -> usize {
        self.char_offsets.get(char_index).copied().unwrap_or(self.text.len())
    }

    /// The path the next value takes, and its key's location; `None` for a mapping key.
    fn next_value_path(&mut self) -> Option<(ModelPath, Option<Location>)> {
        match self.stack.last_mut() {
            None => Some((ModelPath::root(), None)),
            Some(Frame::Sequence { path, next }) => {
                let p = path.index(*next);
                *next += 1;
                Some((p, None))
            }
            Some(Frame::Mapping { path, pending_key, .. }) => {
                pending_key.take().map(|(key, location)| (path.key(key), Some(location)))
            }
        }
    }

    fn on_scalar(&mut self, value: &str, span: YamlSpan) {
        let location = self.location(span);
        if let Some(Frame::Mapping { path, pending_key, seen }) = self.stack.last_mut()
            && pending_key.is_none()
        {
            if let Some(first) = seen.get(value) {
                self.duplicates.push(DuplicateKey { path: path.key(value), first: *first, second: location });
            } else {
                seen.insert(value.to_string(), location);
            }
            *pending_key = Some((value.to_string(), location));
            return;
        }
        self.on_node_value(span, Some(location));
    }

    fn on_node_value(&mut self, span: YamlSpan, location: Option<Location>) {
        let location = location.unwrap_or_else(|| self.location(span));
        if let Some((path, key)) = self.next_value_path() {
            self.entries.entry(path).or_insert(Entry { key, value: location });
        }
    }

    fn on_open(&mut self, span: YamlSpan, mapping: bool) {
        // A collection used as a mapping key has no model path; its content is not indexed.
        let (path, key) = match self.next_value_path() {
            Some((path, key)) => (Some(path), key),
            None => (None, None),
        };
        let frame_path = path.clone().unwrap_or_default();
        self.stack.push(if mapping {
            Frame::Mapping { path: frame_path, pending_key: None, seen: HashMap::new() }
        } else {
            Frame::Sequence { path: frame_path, next: 0 }
        });
        self.open.push((path, key, span));
    }

    fn on_close(&mut self, span: YamlSpan) {
        self.stack.pop();
        if let Some((Some(path), key, start)) = self.open.pop() {
            // Block collections end where the next token starts; trim trailing whitespace so the
            // underline covers the collection itself.
            let whole =
                YamlSpan::new(start.start, if span.end.index() > start.start.index() { span.end } else { start.end });
            let mut value = self.location(whole);
            let trimmed = self.text[value.offset..value.offset + value.len].trim_end().len();
            value.len = trimmed;
            self.entries.entry(path).or_insert(Entry { key, value });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str =
        "pipegen: 1\nname: gdk\nimages:\n  base: {}\n  gdk:\n    from: [base, gitlay]\n    args:\n      A: \"x\"\n";

    #[test]
    fn locates_values_and_keys() {
        let source = SourceFile::new("m.yaml", MODEL);
        let from1 = ModelPath::keys(["images", "gdk", "from"]).index(1);
        let at = source.value_location(&from1);
        assert_eq!((at.line, at.column), (6, 18));
        assert_eq!(&MODEL[at.offset..at.offset + at.len], "gitlay");
        let key = source.key_location(&ModelPath::keys(["images", "gdk", "args"]));
        assert_eq!((key.line, key.column), (7, 5));
    }

    #[test]
    fn falls_back_to_the_closest_enclosing_value() {
        let source = SourceFile::new("m.yaml", MODEL);
        let missing = ModelPath::keys(["images", "gdk", "stage"]);
        let at = source.value_location(&missing);
        assert_eq!((at.line, at.column), (6, 5));
    }

    #[test]
    fn reports_duplicate_keys() {
        let source = SourceFile::new("m.yaml", "images:\n  a: {}\n  a: {}\n");
        let dup = &source.duplicate_keys()[0];
        assert_eq!(dup.path, ModelPath::keys(["images", "a"]));
        assert_eq!((dup.first.line, dup.second.line), (2, 3));
    }

    #[test]
    fn counts_columns_in_characters_and_offsets_in_bytes() {
        let text = "name: \"é\"\nx: [a, b]\n";
        let source = SourceFile::new("m.yaml", text);
        let at = source.value_location(&ModelPath::keys(["x"]).index(1));
        assert_eq!((at.line, at.column), (2, 8));
        assert_eq!(&text[at.offset..at.offset + at.len], "b");
    }
}
