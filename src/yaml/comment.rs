//! Comments in written YAML: lines above a key (or a sequence item), and a comment after a
//! scalar on its line.
//!
//! serde has no notion of comments, so [`Commented`] serializes as a struct with a reserved
//! name that pipegen's writer recognizes: it writes the comment lines above the line where the
//! value's key (or dash) stands, then the value, then the trailing comment. Other serializers
//! would see a plain struct of three fields; `Commented` is meant for [`super::to_string`] only.

use std::borrow::Cow;

use serde::ser::{self, Serialize, SerializeStruct};

use super::WriteError;

/// The reserved struct name of [`Commented`].
pub(super) const STRUCT_NAME: &str = "$pipegen::yaml::Commented";
const ABOVE_FIELD: &str = "above";
const AFTER_FIELD: &str = "after";
/// The field that holds the value; the comment fields come before it.
pub(super) const VALUE_FIELD: &str = "value";

/// A value with comments: lines written above its key (or above its `- ` in a sequence), and
/// a comment after it on the same line (a scalar's or an empty collection's only). Comment text
/// cannot hold line breaks, control characters or invisible ones ([`super::is_invisible`]):
/// writing fails rather than let text escape the comment or hide in it.
///
/// ```
/// use pipegen::yaml::{Commented, to_string};
/// let mut step = indexmap::IndexMap::new();
/// step.insert("uses", Commented::new("actions/checkout@08c6903").above("Pinned by SHA").after("v5.0.0"));
/// assert_eq!(to_string(&step).unwrap(), "# Pinned by SHA\nuses: actions/checkout@08c6903 # v5.0.0\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commented<T> {
    above: Vec<Cow<'static, str>>,
    after: Option<Cow<'static, str>>,
    value: T,
}

impl<T> Commented<T> {
    pub fn new(value: T) -> Self {
        Commented { above: Vec::new(), after: None, value }
    }

    /// Add a comment line above the value's key; lines keep the order they are added in.
    pub fn above(mut self, line: impl Into<Cow<'static, str>>) -> Self {
        self.above.push(line.into());
        self
    }

    /// Set the comment written after the value, on its line.
    pub fn after(mut self, comment: impl Into<Cow<'static, str>>) -> Self {
        self.after = Some(comment.into());
        self
    }

    /// The comment written after the value, if any.
    pub fn trailing(&self) -> Option<&str> {
        self.after.as_deref()
    }

    pub fn value(&self) -> &T {
        &self.value
    }
}

impl<T: Serialize> Serialize for Commented<T> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct(STRUCT_NAME, 3)?;
        state.serialize_field(ABOVE_FIELD, &self.above)?;
        state.serialize_field(AFTER_FIELD, &self.after)?;
        state.serialize_field(VALUE_FIELD, &self.value)?;
        state.end()
    }
}

/// The comments of a [`Commented`] being written, collected from its first two fields.
#[derive(Debug, Default)]
pub(super) struct CommentParts {
    pub above: Vec<String>,
    pub after: Option<String>,
}

impl CommentParts {
    pub fn collect<T: Serialize + ?Sized>(&mut self, field: &str, value: &T) -> Result<(), WriteError> {
        let mut texts = Vec::new();
        value.serialize(TextCollector { texts: &mut texts })?;
        match field {
            ABOVE_FIELD => self.above = texts,
            AFTER_FIELD => self.after = texts.pop(),
            other => return Err(WriteError::new(format!("`{other}` is not a field of a commented value"))),
        }
        Ok(())
    }
}

/// Whether `c` cannot stand in a comment: it would end the line early (a control character,
/// YAML 1.1's line and paragraph separators) or hide there ([`super::is_invisible`]).
pub fn unfit_for_comment(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') || super::is_invisible(c)
}

/// A comment ends at the end of its line: text that would end it early is refused.
fn check(text: &str) -> Result<(), WriteError> {
    match text.chars().find(|&c| unfit_for_comment(c)) {
        Some(c) => Err(WriteError::new(format!("a comment cannot hold the character {c:?}: {text:?}"))),
        None => Ok(()),
    }
}

/// Collects the strings of a comment field: a string, a sequence of strings, or an option.
struct TextCollector<'a> {
    texts: &'a mut Vec<String>,
}

fn not_text() -> WriteError {
    WriteError::new("a comment is a string or a list of strings")
}

macro_rules! reject {
    ($($method:ident($($arg:ty),*) -> $ok:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ok, WriteError> {
            Err(not_text())
        })*
    };
}

impl<'a> ser::Serializer for TextCollector<'a> {
    type Ok = ();
    type Error = WriteError;
    type SerializeSeq = Self;
    type SerializeTuple = ser::Impossible<(), WriteError>;
    type SerializeTupleStruct = ser::Impossible<(), WriteError>;
    type SerializeTupleVariant = ser::Impossible<(), WriteError>;
    type SerializeMap = ser::Impossible<(), WriteError>;
    type SerializeStruct = ser::Impossible<(), WriteError>;
    type SerializeStructVariant = ser::Impossible<(), WriteError>;

    fn serialize_str(self, v: &str) -> Result<(), WriteError> {
        check(v)?;
        self.texts.push(v.to_string());
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self, WriteError> {
        Ok(self)
    }

    fn serialize_none(self) -> Result<(), WriteError> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), WriteError> {
        value.serialize(self)
    }

    reject! {
        serialize_bool(bool) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
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
        Err(not_text())
    }
}

impl ser::SerializeSeq for TextCollector<'_> {
    type Ok = ();
    type Error = WriteError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WriteError> {
        value.serialize(TextCollector { texts: self.texts })
    }

    fn end(self) -> Result<(), WriteError> {
        Ok(())
    }
}
