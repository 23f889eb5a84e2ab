//! A serde `Serializer` that writes block-style YAML straight into a `String`, in one pass.
//!
//! Layout (as serde_yaml wrote it): two spaces per level; a sequence in a mapping is not
//! indented further than its key (`key:\n- item`); a mapping or sequence that is an item of a
//! sequence starts on the item's line (`- key: value`, `- - item`); empty collections are
//! `{}` and `[]`; keys longer than 128 bytes are written as explicit keys (`? key` then
//! `: value`), as libyaml did. Strings are written by [`super::scalar`].

use serde::ser::{self, Serialize};

use super::comment::{self, CommentParts};
use super::scalar::{self, Role, Style};
use super::tree_size::TreeSize;
use super::{Extend, SizeLimit, WriteError};

/// Where the next node is written.
#[derive(Debug, Clone, Copy)]
enum Position {
    /// At the start of the document.
    Root,
    /// After `key:`, the key at column `indent`.
    AfterKey { indent: usize },
    /// After `- ` (or `: ` of an explicit key) at column `indent`: the node starts on this line,
    /// at `indent + 2`.
    Inline { indent: usize },
}

pub(super) struct Writer {
    out: String,
    /// Where the current line starts in `out`: comments above a key are inserted there.
    line_start: usize,
    at: Position,
    /// A comment to write after the next scalar, on its line.
    trailing: Option<String>,
    /// Whether the next string is written double-quoted ([`super::DoubleQuoted`]).
    double_quoted: bool,
    /// The size of the tree a reader builds from what is written so far.
    size: TreeSize,
    /// Writing stops once the text passes this, unless `extend` raises it.
    limit: Option<SizeLimit>,
    extend: Option<Extend>,
    /// Where the entry being written in each open collection began, outermost first.
    open_entries: Vec<usize>,
}

impl Writer {
    pub fn new(limit: Option<SizeLimit>, extend: Option<Extend>) -> Writer {
        Writer {
            out: String::with_capacity(4096),
            line_start: 0,
            at: Position::Root,
            trailing: None,
            double_quoted: false,
            size: TreeSize::default(),
            limit,
            extend,
            open_entries: Vec::new(),
        }
    }

    /// The text, the size of its parsed tree ([`TreeSize`]) or, when writing stopped, of the
    /// nodes written so far, and where the entries of the collections still open began.
    pub fn finish(self) -> (String, usize, Vec<usize>) {
        let size = self.size.so_far();
        (self.out, size, self.open_entries)
    }

    /// Stop writing once the text has passed its limit (and `extend` does not raise a byte
    /// budget): checked after each entry of a mapping or a sequence, a comparison or two.
    fn within_limit(&mut self) -> Result<(), WriteError> {
        let over = match self.limit {
            None => false,
            Some(SizeLimit::Bytes(bytes)) => self.out.len() > bytes,
            Some(SizeLimit::Tree(size)) => self.size.so_far() > size,
        };
        if !over {
            return Ok(());
        }
        let raised = match (&mut self.extend, self.limit) {
            (Some(extend), Some(SizeLimit::Bytes(_))) => extend(&self.out, &self.open_entries),
            _ => None,
        };
        match raised {
            // A budget the text already passes is asked about again after the next entry.
            Some(bytes) => {
                self.limit = Some(SizeLimit::Bytes(bytes.max(self.out.len())));
                Ok(())
            }
            None => Err(WriteError::OverLimit),
        }
    }

    fn end_line(&mut self) {
        if let Some(comment) = self.trailing.take() {
            self.out.push_str(" # ");
            self.out.push_str(&comment);
        }
        self.out.push('\n');
        self.line_start = self.out.len();
    }

    /// Write a scalar that is always plain: a number, a boolean, `null`.
    fn plain(&mut self, text: &str) {
        self.size.scalar(None);
        if let Position::AfterKey { .. } = self.at {
            self.out.push(' ');
        }
        self.out.push_str(text);
        self.end_line();
    }

    fn string(&mut self, text: &str) {
        // The style chosen reads back as this string.
        self.size.scalar(Some(text));
        let style = if std::mem::take(&mut self.double_quoted) {
            Style::DoubleQuoted
        } else {
            scalar::style(text, Role::Value)
        };
        if let Position::AfterKey { .. } = self.at {
            self.out.push(' ');
        }
        match style {
            Style::Plain => self.out.push_str(text),
            Style::SingleQuoted => scalar::write_single_quoted(&mut self.out, text),
            Style::DoubleQuoted => scalar::write_double_quoted(&mut self.out, text),
            Style::Literal => {
                self.out.push_str(scalar::literal_header(text));
                self.end_line();
                let indent = match self.at {
                    Position::Root => 2,
                    Position::AfterKey { indent } | Position::Inline { indent } => indent + 2,
                };
                scalar::write_literal_body(&mut self.out, text, indent);
                self.line_start = self.out.len();
                return;
            }
        }
        self.end_line();
    }

    /// Start a mapping or a sequence at the current position; nothing is written until its first
    /// entry, so that an empty one can still be written `{}` or `[]`.
    fn open(&mut self, kind: Kind) -> Block<'_> {
        let (column, first_on_new_line) = match (self.at, kind) {
            (Position::Root, _) => (0, false),
            (Position::AfterKey { indent }, Kind::Mapping) => (indent + 2, true),
            // A sequence in a mapping is not indented further than its key.
            (Position::AfterKey { indent }, Kind::Sequence) => (indent, true),
            (Position::Inline { indent }, _) => (indent + 2, false),
        };
        let opened_at = self.at;
        self.size.open(kind == Kind::Mapping);
        self.open_entries.push(self.out.len());
        Block { writer: self, kind, column, first_on_new_line, entries: 0, opened_at }
    }

    /// Write `comments` as lines above the current line, at its indentation.
    fn comment_lines_above(&mut self, comments: &[String]) {
        if comments.is_empty() {
            return;
        }
        let line = &self.out[self.line_start..];
        let indent = line.len() - line.trim_start_matches(' ').len();
        let mut text = String::new();
        for comment in comments {
            push_spaces(&mut text, indent);
            if comment.is_empty() {
                text.push('#');
            } else {
                text.push_str("# ");
                text.push_str(comment);
            }
            text.push('\n');
        }
        self.out.insert_str(self.line_start, &text);
        self.line_start += text.len();
    }
}

/// Append `count` spaces.
pub(super) fn push_spaces(out: &mut String, count: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = count;
    while left > 0 {
        let now = left.min(SPACES.len());
        out.push_str(&SPACES[..now]);
        left -= now;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Mapping,
    Sequence,
}

/// An open mapping or sequence.
pub(super) struct Block<'w> {
    writer: &'w mut Writer,
    kind: Kind,
    /// The column of its keys or dashes.
    column: usize,
    /// Whether the first entry starts on a new line (after `key:`) or on the current one (after
    /// `- `, or at the start of the document).
    first_on_new_line: bool,
    entries: usize,
    opened_at: Position,
}

impl Block<'_> {
    /// Begin an entry: the line break or indentation before its key or dash.
    fn begin_entry(&mut self) -> Result<(), WriteError> {
        let w = &mut *self.writer;
        if self.entries == 0 {
            if w.trailing.is_some() {
                return Err(WriteError::new("a trailing comment needs a scalar or an empty collection"));
            }
            if self.first_on_new_line {
                w.end_line();
                push_spaces(&mut w.out, self.column);
            }
        } else {
            push_spaces(&mut w.out, self.column);
        }
        // The entry's line starts before its indentation.
        if let Some(start) = w.open_entries.last_mut() {
            *start = w.line_start;
        }
        self.entries += 1;
        Ok(())
    }

    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WriteError> {
        self.begin_entry()?;
        self.writer.out.push_str("- ");
        self.writer.at = Position::Inline { indent: self.column };
        value.serialize(&mut *self.writer)?;
        self.writer.within_limit()
    }

    /// Write a key that is a string; `on` as a struct field is GitHub's trigger key.
    fn string_key(&mut self, key: &str, field: bool) -> Result<(), WriteError> {
        self.begin_entry()?;
        // GitHub documents its trigger key as a plain `on:`; YAML 1.1 would read a boolean. Only
        // a struct field, a name in pipegen's code, gets this; a map key holding model data never.
        let style = if field && key == "on" { Style::Plain } else { scalar::style(key, Role::Key) };
        let string = !(style == Style::Plain && super::reads_as_non_string(key));
        self.writer.size.scalar(string.then_some(key));
        let out = &mut self.writer.out;
        let explicit = key.len() > 128;
        if explicit {
            out.push_str("? ");
        }
        match style {
            Style::Plain => out.push_str(key),
            Style::SingleQuoted => scalar::write_single_quoted(out, key),
            Style::DoubleQuoted | Style::Literal => scalar::write_double_quoted(out, key),
        }
        self.after_key(explicit);
        Ok(())
    }

    /// Write a key that is a number, a boolean or null.
    fn plain_key(&mut self, key: &str) -> Result<(), WriteError> {
        self.begin_entry()?;
        self.writer.size.scalar(None);
        self.writer.out.push_str(key);
        self.after_key(false);
        Ok(())
    }

    fn after_key(&mut self, explicit: bool) {
        let w = &mut *self.writer;
        if explicit {
            let key_line = w.line_start;
            w.end_line();
            push_spaces(&mut w.out, self.column);
            w.out.push_str(": ");
            w.at = Position::Inline { indent: self.column };
            // Comments about the entry go above its `? key` line.
            w.line_start = key_line;
        } else {
            w.out.push(':');
            w.at = Position::AfterKey { indent: self.column };
        }
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WriteError> {
        value.serialize(&mut *self.writer)?;
        self.writer.within_limit()
    }

    fn close(self) -> Result<(), WriteError> {
        self.writer.size.close();
        self.writer.open_entries.pop();
        if self.entries == 0 {
            let w = self.writer;
            if let Position::AfterKey { .. } = self.opened_at {
                w.out.push(' ');
            }
            w.out.push_str(if self.kind == Kind::Mapping { "{}" } else { "[]" });
            w.end_line();
        }
        Ok(())
    }
}

/// The compound serializers: a block, or a [`comment::Commented`] value.
pub(super) enum Compound<'w> {
    Block(Block<'w>),
    Commented { writer: &'w mut Writer, parts: CommentParts },
}

impl<'w> Compound<'w> {
    fn block(self) -> Block<'w> {
        match self {
            Compound::Block(block) => block,
            Compound::Commented { .. } => unreachable!("a commented value is only opened as a struct"),
        }
    }

    fn block_mut(&mut self) -> &mut Block<'w> {
        match self {
            Compound::Block(block) => block,
            Compound::Commented { .. } => unreachable!("a commented value is only opened as a struct"),
        }
    }
}

impl<'w> ser::Serializer for &'w mut Writer {
    type Ok = ();
    type Error = WriteError;
    type SerializeSeq = Compound<'w>;
    type SerializeTuple = Compound<'w>;
    type SerializeTupleStruct = Compound<'w>;
    type SerializeTupleVariant = Compound<'w>;
    type SerializeMap = Compound<'w>;
    type SerializeStruct = Compound<'w>;
    type SerializeStructVariant = Compound<'w>;

    fn serialize_bool(self, v: bool) -> Result<(), WriteError> {
        self.plain(if v { "true" } else { "false" });
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), WriteError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result<(), WriteError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result<(), WriteError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i64(self, v: i64) -> Result<(), WriteError> {
        self.plain(&v.to_string());
        Ok(())
    }

    fn serialize_i128(self, v: i128) -> Result<(), WriteError> {
        self.plain(&v.to_string());
        Ok(())
    }

    fn serialize_u8(self, v: u8) -> Result<(), WriteError> {
        self.serialize_u64(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result<(), WriteError> {
        self.serialize_u64(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result<(), WriteError> {
        self.serialize_u64(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result<(), WriteError> {
        self.plain(&v.to_string());
        Ok(())
    }

    fn serialize_u128(self, v: u128) -> Result<(), WriteError> {
        self.plain(&v.to_string());
        Ok(())
    }

    fn serialize_f32(self, v: f32) -> Result<(), WriteError> {
        self.serialize_f64(v.into())
    }

    fn serialize_f64(self, v: f64) -> Result<(), WriteError> {
        self.plain(&float(v));
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), WriteError> {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), WriteError> {
        self.string(v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), WriteError> {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for byte in v {
            seq.serialize_element(byte)?;
        }
        seq.end()
    }

    fn serialize_none(self) -> Result<(), WriteError> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), WriteError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), WriteError> {
        self.plain("null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), WriteError> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<(), WriteError> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, value: &T) -> Result<(), WriteError> {
        self.double_quoted = name == super::quoted::NEWTYPE_NAME;
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _value: &T,
    ) -> Result<(), WriteError> {
        Err(variant_error(variant))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'w>, WriteError> {
        Ok(Compound::Block(self.open(Kind::Sequence)))
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'w>, WriteError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Compound<'w>, WriteError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'w>, WriteError> {
        Err(variant_error(variant))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'w>, WriteError> {
        Ok(Compound::Block(self.open(Kind::Mapping)))
    }

    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Compound<'w>, WriteError> {
        if name == comment::STRUCT_NAME {
            return Ok(Compound::Commented { writer: self, parts: CommentParts::default() });
        }
        Ok(Compound::Block(self.open(Kind::Mapping)))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'w>, WriteError> {
        Err(variant_error(variant))
    }
}

/// Enum variants with data would need YAML tags, which pipegen's outputs never have.
fn variant_error(variant: &str) -> WriteError {
    WriteError::new(format!("the enum variant `{variant}` holds data; write it untagged"))
}

/// A float as both YAML versions read it back: always a `.` before an exponent and a signed
/// exponent (YAML 1.1 reads `1e20` as a string).
fn float(v: f64) -> String {
    if v.is_nan() {
        return ".nan".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { ".inf" } else { "-.inf" }.to_string();
    }
    let text = format!("{v:?}");
    match text.split_once('e') {
        None => text,
        Some((mantissa, exponent)) => {
            let mut out = String::with_capacity(text.len() + 3);
            out.push_str(mantissa);
            if !mantissa.contains('.') {
                out.push_str(".0");
            }
            out.push('e');
            if !exponent.starts_with('-') {
                out.push('+');
            }
            out.push_str(exponent);
            out
        }
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = WriteError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WriteError> {
        self.block_mut().item(value)
    }

    fn end(self) -> Result<(), WriteError> {
        self.block().close()
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = WriteError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WriteError> {
        self.block_mut().item(value)
    }

    fn end(self) -> Result<(), WriteError> {
        self.block().close()
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = WriteError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WriteError> {
        self.block_mut().item(value)
    }

    fn end(self) -> Result<(), WriteError> {
        self.block().close()
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = WriteError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WriteError> {
        self.block_mut().item(value)
    }

    fn end(self) -> Result<(), WriteError> {
        self.block().close()
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = WriteError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), WriteError> {
        key.serialize(KeyWriter { block: self.block_mut() })
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WriteError> {
        self.block_mut().value(value)
    }

    fn end(self) -> Result<(), WriteError> {
        self.block().close()
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = WriteError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), WriteError> {
        match self {
            Compound::Block(block) => {
                block.string_key(key, true)?;
                block.value(value)
            }
            Compound::Commented { writer, parts } => {
                if key == comment::VALUE_FIELD {
                    writer.comment_lines_above(&parts.above);
                    // Inside another commented value, both comments stand after the scalar.
                    writer.trailing = match (writer.trailing.take(), parts.after.take()) {
                        (Some(outer), Some(inner)) => Some(format!("{outer} # {inner}")),
                        (outer, inner) => inner.or(outer),
                    };
                    value.serialize(&mut **writer)?;
                    if writer.trailing.is_some() {
                        return Err(WriteError::new("a trailing comment needs a scalar or an empty collection"));
                    }
                    Ok(())
                } else {
                    parts.collect(key, value)
                }
            }
        }
    }

    fn end(self) -> Result<(), WriteError> {
        match self {
            Compound::Block(block) => block.close(),
            Compound::Commented { .. } => Ok(()),
        }
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = WriteError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), WriteError> {
        let block = self.block_mut();
        block.string_key(key, true)?;
        block.value(value)
    }

    fn end(self) -> Result<(), WriteError> {
        self.block().close()
    }
}

/// Writes a mapping key: a string, a number, a boolean or null.
struct KeyWriter<'b, 'w> {
    block: &'b mut Block<'w>,
}

fn key_error() -> WriteError {
    WriteError::new("a mapping key must be a string, a number, a boolean or null")
}

impl ser::Serializer for KeyWriter<'_, '_> {
    type Ok = ();
    type Error = WriteError;
    type SerializeSeq = ser::Impossible<(), WriteError>;
    type SerializeTuple = ser::Impossible<(), WriteError>;
    type SerializeTupleStruct = ser::Impossible<(), WriteError>;
    type SerializeTupleVariant = ser::Impossible<(), WriteError>;
    type SerializeMap = ser::Impossible<(), WriteError>;
    type SerializeStruct = ser::Impossible<(), WriteError>;
    type SerializeStructVariant = ser::Impossible<(), WriteError>;

    fn serialize_bool(self, v: bool) -> Result<(), WriteError> {
        self.block.plain_key(if v { "true" } else { "false" })
    }

    fn serialize_i8(self, v: i8) -> Result<(), WriteError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result<(), WriteError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result<(), WriteError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i64(self, v: i64) -> Result<(), WriteError> {
        self.block.plain_key(&v.to_string())
    }

    fn serialize_i128(self, v: i128) -> Result<(), WriteError> {
        self.block.plain_key(&v.to_string())
    }

    fn serialize_u8(self, v: u8) -> Result<(), WriteError> {
        self.serialize_u64(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result<(), WriteError> {
        self.serialize_u64(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result<(), WriteError> {
        self.serialize_u64(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result<(), WriteError> {
        self.block.plain_key(&v.to_string())
    }

    fn serialize_u128(self, v: u128) -> Result<(), WriteError> {
        self.block.plain_key(&v.to_string())
    }

    fn serialize_f32(self, v: f32) -> Result<(), WriteError> {
        self.serialize_f64(v.into())
    }

    fn serialize_f64(self, v: f64) -> Result<(), WriteError> {
        self.block.plain_key(&float(v))
    }

    fn serialize_char(self, v: char) -> Result<(), WriteError> {
        self.block.string_key(v.encode_utf8(&mut [0; 4]), false)
    }

    fn serialize_str(self, v: &str) -> Result<(), WriteError> {
        self.block.string_key(v, false)
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), WriteError> {
        Err(key_error())
    }

    fn serialize_none(self) -> Result<(), WriteError> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), WriteError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), WriteError> {
        self.block.plain_key("null")
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), WriteError> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<(), WriteError> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<(), WriteError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), WriteError> {
        Err(key_error())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, WriteError> {
        Err(key_error())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, WriteError> {
        Err(key_error())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, WriteError> {
        Err(key_error())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, WriteError> {
        Err(key_error())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, WriteError> {
        Err(key_error())
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct, WriteError> {
        Err(key_error())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, WriteError> {
        Err(key_error())
    }
}
