//! Paths inside a model, as users read them: `images.gdk.from[1]`.

use std::fmt;
use std::sync::Arc;

/// One step of a [`ModelPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// Shared, so that extending a path (every child of every mapping the loader walks) copies
    /// no key.
    Key(Arc<str>),
    Index(usize),
}

/// Where something is inside a model: a key/index path from the document root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModelPath(Vec<Segment>);

impl ModelPath {
    pub fn root() -> Self {
        ModelPath(Vec::new())
    }

    /// Build a path from keys, e.g. `ModelPath::keys(["images", "gdk", "from"])`.
    pub fn keys<I, S>(keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Arc<str>>,
    {
        ModelPath(keys.into_iter().map(|k| Segment::Key(k.into())).collect())
    }

    pub fn from_segments(segments: Vec<Segment>) -> Self {
        ModelPath(segments)
    }

    pub fn key(&self, key: impl Into<Arc<str>>) -> Self {
        self.then(Segment::Key(key.into()))
    }

    pub fn index(&self, index: usize) -> Self {
        self.then(Segment::Index(index))
    }

    /// The path with one more step, allocated once at its final size (a clone and a push would
    /// allocate twice).
    fn then(&self, segment: Segment) -> Self {
        let mut segments = Vec::with_capacity(self.0.len() + 1);
        segments.extend_from_slice(&self.0);
        segments.push(segment);
        ModelPath(segments)
    }

    /// Each step as a JSON pointer segment (a key, or an index in decimal): how the schema
    /// names the place.
    pub fn pointer_segments(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|s| match s {
                Segment::Key(k) => k.to_string(),
                Segment::Index(i) => i.to_string(),
            })
            .collect()
    }

    /// The path one step up, or `None` at the root.
    pub fn parent(&self) -> Option<Self> {
        let mut up = self.clone();
        up.0.pop().map(|_| up)
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// The keys of the path, indices left out: `images.gdk.from[1]` → `images`, `gdk`, `from`.
    pub fn key_names(&self) -> Vec<&str> {
        self.0
            .iter()
            .filter_map(|s| match s {
                Segment::Key(k) => Some(&**k),
                Segment::Index(_) => None,
            })
            .collect()
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `self` is `prefix` or lies under it.
    pub fn starts_with(&self, prefix: &ModelPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// Read a JSON pointer (`/images/gdk/from/1`) as a model path. Array indices are told apart
    /// from keys by the shape of the value they index, which the caller knows.
    pub fn from_json_pointer(pointer: &str, value: &serde_json::Value) -> Self {
        let mut path = ModelPath::root();
        let mut current = Some(value);
        for raw in pointer.split('/').skip(1) {
            let token = raw.replace("~1", "/").replace("~0", "~");
            match current {
                Some(serde_json::Value::Array(items)) => {
                    let index = token.parse::<usize>().unwrap_or(0);
                    current = items.get(index);
                    path = path.index(index);
                }
                Some(serde_json::Value::Object(map)) => {
                    current = map.get(&token);
                    path = path.key(token);
                }
                _ => {
                    current = None;
                    path = path.key(token);
                }
            }
        }
        path
    }
}

/// A path on the way down a walk of the model: each step borrows the one above it, so a walk
/// allocates nothing for the many values that hold no problem, and [`Walk::path`] builds the
/// [`ModelPath`] of one that does.
#[derive(Debug, Clone, Copy)]
pub enum Walk<'a> {
    Root,
    Key(&'a Walk<'a>, &'a str),
    Index(&'a Walk<'a>, usize),
}

impl<'a> Walk<'a> {
    pub fn key(&'a self, key: &'a str) -> Walk<'a> {
        Walk::Key(self, key)
    }

    pub fn index(&'a self, index: usize) -> Walk<'a> {
        Walk::Index(self, index)
    }

    /// The path walked to here.
    pub fn path(&self) -> ModelPath {
        let mut segments = Vec::new();
        let mut at = self;
        loop {
            match at {
                Walk::Root => break,
                Walk::Key(up, key) => {
                    segments.push(Segment::Key((*key).into()));
                    at = up;
                }
                Walk::Index(up, index) => {
                    segments.push(Segment::Index(*index));
                    at = up;
                }
            }
        }
        segments.reverse();
        ModelPath(segments)
    }
}

fn is_plain_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for ModelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(the model)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if is_plain_key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                Segment::Key(key) => write!(f, "[{key:?}]")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_the_model_reads() {
        let path = ModelPath::keys(["images", "gdk", "from"]).index(1);
        assert_eq!(path.to_string(), "images.gdk.from[1]");
        assert_eq!(ModelPath::keys(["args", "a.b"]).to_string(), "args[\"a.b\"]");
        assert_eq!(ModelPath::root().to_string(), "(the model)");
    }

    #[test]
    fn a_walk_gives_the_path_it_went_down() {
        let root = Walk::Root;
        let images = root.key("images");
        let gdk = images.key("gdk");
        let from = gdk.key("from");
        assert_eq!(from.index(1).path(), ModelPath::keys(["images", "gdk", "from"]).index(1));
        assert_eq!(root.path(), ModelPath::root());
    }

    #[test]
    fn reads_json_pointers_with_the_value_shape() {
        let value = serde_json::json!({"images": {"gdk": {"from": ["a", "b"]}, "0": {}}});
        let path = ModelPath::from_json_pointer("/images/gdk/from/1", &value);
        assert_eq!(path, ModelPath::keys(["images", "gdk", "from"]).index(1));
        let numeric_key = ModelPath::from_json_pointer("/images/0", &value);
        assert_eq!(numeric_key, ModelPath::keys(["images", "0"]));
    }
}
