//! Which paths of a context a builder sends (BuildKit) or copies (buildah), given the patterns.
//!
//! Both walk the context top down and ask about every directory before what is inside it.
//!
//! BuildKit (tonistiigi/fsutil's filter, `MatchesUsingParentResults`): for each entry, the patterns
//! are tried in order, remembering which matched its parent directory. A pattern that matched the
//! parent applies again without being tried. Any other pattern is tried against the entry's own
//! path, but only when it could change the verdict (an exception while excluded, a plain pattern
//! while not), and is otherwise remembered as not matching. The last pattern that applies decides.
//! fsutil then skips excluded directories no exception could reach into; that changes nothing the
//! rule above decides, so it is not modelled.
//!
//! buildah (its copier walking the context for `COPY`): an entry is excluded when the last pattern
//! matching it, or any directory above it, is a plain one. An excluded directory is skipped whole
//! unless some exception's text, followed by `/`, starts with the directory's path (a plain text
//! prefix: a glob exception such as `!**/keep` never opens a directory).

use std::collections::HashMap;

use super::go::runes;
use super::reader::Pattern;

/// BuildKit: whether `path` is sent.
pub struct BuildKitWalk<'p> {
    patterns: &'p [Pattern],
    /// For each directory met so far: which patterns matched it (or a directory above it).
    directories: HashMap<Vec<u8>, Vec<bool>>,
}

impl<'p> BuildKitWalk<'p> {
    pub fn new(patterns: &'p [Pattern]) -> Self {
        BuildKitWalk { patterns, directories: HashMap::new() }
    }

    pub fn sent(&mut self, path: &[u8]) -> bool {
        let mut parent: Option<Vec<bool>> = None;
        let mut excluded = false;
        let ends = path.iter().enumerate().filter(|&(_, &b)| b == b'/').map(|(i, _)| i).chain([path.len()]);
        for end in ends {
            let prefix = &path[..end];
            let is_directory = end < path.len();
            if is_directory && let Some(known) = self.directories.get(prefix) {
                parent = Some(known.clone());
                continue;
            }
            let (verdict, matched) = self.evaluate(prefix, parent.as_deref());
            excluded = verdict;
            if is_directory {
                self.directories.insert(prefix.to_vec(), matched.clone());
            }
            parent = Some(matched);
        }
        !excluded
    }

    /// One entry: (excluded, which patterns matched it for its children).
    fn evaluate(&self, path: &[u8], parent: Option<&[bool]>) -> (bool, Vec<bool>) {
        let path_runes = runes(path);
        let mut excluded = false;
        let mut matched = vec![false; self.patterns.len()];
        for (i, pattern) in self.patterns.iter().enumerate() {
            let mut hit = parent.is_some_and(|p| p[i]);
            if !hit {
                if pattern.exception != excluded {
                    continue;
                }
                hit = pattern.matcher.matches(path, &path_runes);
            }
            matched[i] = hit;
            if hit {
                excluded = !pattern.exception;
            }
        }
        (excluded, matched)
    }
}

/// buildah: whether `path` is copied.
pub struct BuildahWalk<'p> {
    patterns: &'p [Pattern],
    has_exceptions: bool,
    /// For each directory met so far: whether the walk goes into it.
    directories: HashMap<Vec<u8>, bool>,
}

impl<'p> BuildahWalk<'p> {
    pub fn new(patterns: &'p [Pattern]) -> Self {
        let has_exceptions = patterns.iter().any(|p| p.exception);
        BuildahWalk { patterns, has_exceptions, directories: HashMap::new() }
    }

    pub fn sent(&mut self, path: &[u8]) -> bool {
        for (end, _) in path.iter().enumerate().filter(|&(_, &b)| b == b'/') {
            let directory = &path[..end];
            let entered = match self.directories.get(directory) {
                Some(&known) => known,
                None => {
                    let entered = !self.excluded(directory) || self.opened_by_exception(directory);
                    self.directories.insert(directory.to_vec(), entered);
                    entered
                }
            };
            if !entered {
                return false;
            }
        }
        !self.excluded(path)
    }

    fn excluded(&self, path: &[u8]) -> bool {
        let path_runes = runes(path);
        let mut excluded = false;
        for pattern in self.patterns {
            if pattern.matcher.matches(path, &path_runes) {
                excluded = !pattern.exception;
            }
        }
        excluded
    }

    fn opened_by_exception(&self, directory: &[u8]) -> bool {
        self.has_exceptions
            && self.patterns.iter().filter(|p| p.exception).any(|p| {
                let spec = trim_slashes(&p.cleaned);
                let mut with_slash = spec.to_vec();
                with_slash.push(b'/');
                with_slash.starts_with(trim_slashes(directory))
            })
    }
}

fn trim_slashes(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != b'/').unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|&b| b != b'/').map_or(start, |e| e + 1);
    &bytes[start..end.max(start)]
}
