//! A string written double-quoted on one line whatever it holds, for readers that look at the
//! file line by line: a linter's ignore comment above a key applies to the line of its value,
//! and a literal block would spread the value over lines of its own (one of which could even
//! start with `#`, which such a reader takes for a comment).
//!
//! serde has no notion of scalar styles, so [`DoubleQuoted`] serializes as a newtype struct with
//! a reserved name that pipegen's writer recognizes; other serializers see the plain string.

use serde::{Serialize, Serializer};

/// The reserved newtype name of [`DoubleQuoted`].
pub(super) const NEWTYPE_NAME: &str = "$pipegen::yaml::DoubleQuoted";

/// A string value written `"…"` with escapes, never plain, single-quoted or as a literal block.
pub struct DoubleQuoted<'a>(pub &'a str);

impl Serialize for DoubleQuoted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(NEWTYPE_NAME, self.0)
    }
}
