//! Problems found in a model, located in its text and rendered like a compiler's errors.

use std::fmt;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic};

use super::excerpt::Excerpt;
use super::path::ModelPath;
use super::printable;
use super::source::{Location, SourceFile, Via};

/// Which part of a path an error points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The key (for "unknown field").
    Key,
    /// The value.
    Value,
}

/// One problem in a model, before it is located in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// A stable identifier of the kind of problem, e.g. `unknown-parent`.
    pub code: &'static str,
    pub message: String,
    pub path: ModelPath,
    pub anchor: Anchor,
    /// Short text shown under the underlined span.
    pub label: String,
    /// How to fix it, including "did you mean".
    pub help: Option<String>,
    /// Another place that explains this one (the first of two duplicates).
    pub related: Option<(ModelPath, String)>,
    /// The field a `missing-field` error says its mapping lacks (which a stand-in may fill).
    pub missing: Option<String>,
}

impl Diagnostic {
    pub fn new(code: &'static str, path: ModelPath, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            path,
            anchor: Anchor::Value,
            label: String::new(),
            help: None,
            related: None,
            missing: None,
        }
    }

    pub fn at_key(mut self) -> Self {
        self.anchor = Anchor::Key;
        self
    }

    /// Point at the value rather than the key (for a name written as a value).
    pub fn anchored_at_value(mut self) -> Self {
        self.anchor = Anchor::Value;
        self
    }

    /// Point at the value of the field `key` of what the diagnostic is at (a limit crossed by a
    /// job's or image's `timeout`, said at the timeout).
    pub fn at_value_of(mut self, key: &str) -> Self {
        self.path = self.path.key(key);
        self.anchored_at_value()
    }

    /// Name the required field this error says is missing.
    pub fn missing(mut self, field: impl Into<String>) -> Self {
        self.missing = Some(field.into());
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        self.help = help.or(self.help);
        self
    }

    pub fn related(mut self, path: ModelPath, note: impl Into<String>) -> Self {
        self.related = Some((path, note.into()));
        self
    }
}

/// How many errors [`ModelErrors::render`] shows with their lines and help.
pub const SHOWN_IN_FULL: usize = 100;

/// Every problem found in one model file. Rendering needs the text, so it travels along.
#[derive(Debug, Clone)]
pub struct ModelErrors {
    pub source: Arc<SourceFile>,
    /// Problems in the order they appear in the file.
    pub diagnostics: Vec<Diagnostic>,
    /// Explicit locations for problems the locator cannot place (YAML syntax errors).
    pub fixed_locations: Vec<Option<Location>>,
}

impl ModelErrors {
    pub fn new(source: Arc<SourceFile>, diagnostics: Vec<Diagnostic>) -> Self {
        let fixed_locations = vec![None; diagnostics.len()];
        let mut errors = ModelErrors { source, diagnostics, fixed_locations };
        errors.sort();
        errors
    }

    /// Problems, each located by its path or at the place given with it.
    pub fn located(source: Arc<SourceFile>, problems: Vec<(Diagnostic, Option<Location>)>) -> Self {
        let (diagnostics, fixed_locations) = problems.into_iter().unzip();
        let mut errors = ModelErrors { source, diagnostics, fixed_locations };
        errors.sort();
        errors
    }

    /// One problem at a known place (the parser's own location).
    pub fn at(source: Arc<SourceFile>, diagnostic: Diagnostic, location: Location) -> Self {
        ModelErrors { source, diagnostics: vec![diagnostic], fixed_locations: vec![Some(location)] }
    }

    /// These problems and another run's of the same file, in the file's order.
    pub fn extend(&mut self, other: ModelErrors) {
        self.diagnostics.extend(other.diagnostics);
        self.fixed_locations.extend(other.fixed_locations);
        self.sort();
    }

    /// Where a problem is in the text.
    pub fn location(&self, index: usize) -> Location {
        if let Some(Some(location)) = self.fixed_locations.get(index) {
            return *location;
        }
        let d = &self.diagnostics[index];
        match d.anchor {
            Anchor::Key => self.source.key_location(&d.path),
            Anchor::Value => self.source.value_location(&d.path),
        }
    }

    fn sort(&mut self) {
        let mut indexed: Vec<(Location, Diagnostic, Option<Location>)> = (0..self.diagnostics.len())
            .map(|i| (self.location(i), self.diagnostics[i].clone(), self.fixed_locations[i]))
            .collect();
        indexed.sort_by(|a, b| (a.0.offset, &a.1.message).cmp(&(b.0.offset, &b.1.message)));
        indexed.dedup_by(|a, b| a.0.offset == b.0.offset && a.1.message == b.1.message);
        self.diagnostics = indexed.iter().map(|(_, d, _)| d.clone()).collect();
        self.fixed_locations = indexed.iter().map(|(_, _, f)| *f).collect();
    }

    /// How the value of a problem's path reached it, when it came through an alias or a merge
    /// key (never for problems at a fixed location).
    pub fn usage(&self, index: usize) -> Option<(ModelPath, Via)> {
        if let Some(Some(_)) = self.fixed_locations.get(index) {
            return None;
        }
        self.source.closest(&self.diagnostics[index].path).and_then(|found| found.via)
    }

    /// Render every problem: `FILE:LINE:COL: error[code]: message`, the model path, the line with
    /// the span underlined, and the help. `color` adds ANSI colours (terminals only). Every text
    /// that comes from the model is escaped and bounded (see `printable`).
    ///
    /// The first [`SHOWN_IN_FULL`] are shown with their lines and help; the others (a model
    /// with thousands of errors, generated or hostile) one line each, which still locates every
    /// one, so that showing them costs time and space in proportion to their number.
    pub fn render(&self, color: bool) -> String {
        let name = printable::escape(&self.source.name);
        let mut out = String::new();
        for (i, d) in self.diagnostics.iter().enumerate() {
            let at = self.location(i);
            out.push_str(&format!(
                "{name}:{}:{}: error[{}]: {}\n",
                at.line,
                at.column,
                d.code,
                printable::for_terminal(&d.message)
            ));
            if i < SHOWN_IN_FULL {
                out.push_str(&self.snippet(i, at, color));
            }
        }
        let count = self.diagnostics.len();
        if count > SHOWN_IN_FULL {
            out.push_str(&format!(
                "{name}: the first {SHOWN_IN_FULL} errors are shown with their lines and help, the other {} one line each\n",
                count - SHOWN_IN_FULL
            ));
        }
        out.push_str(&format!("{name}: {} error{} in the model\n", count, if count == 1 { "" } else { "s" }));
        out
    }

    fn snippet(&self, index: usize, at: Location, color: bool) -> String {
        let d = &self.diagnostics[index];
        let mut spans = vec![(at, (!d.label.is_empty()).then(|| printable::for_terminal(&d.label)), true)];
        if let Some((path, note)) = &d.related {
            spans.push((self.source.value_location(path), Some(printable::for_terminal(note)), false));
        }
        if let Some((used_at, via)) = self.usage(index) {
            let note = match via {
                Via::Alias(_) => format!("used here, as {used_at}"),
                Via::Merge(_) => format!("merged here into {used_at}"),
            };
            spans.push((via.location(), Some(printable::for_terminal(&note)), false));
        }
        let locations: Vec<Location> = spans.iter().map(|(location, _, _)| *location).collect();
        let (excerpt, moved) = Excerpt::new(&self.source, &locations);
        let labels: Vec<LabeledSpan> = spans
            .into_iter()
            .zip(moved)
            .map(|((_, label, primary), span)| {
                if primary {
                    LabeledSpan::new_primary_with_span(label, span)
                } else {
                    LabeledSpan::new_with_span(label, span)
                }
            })
            .collect();
        let path = printable::for_terminal(&d.path.to_string());
        let mut report = MietteDiagnostic::new(format!("at {path}")).with_labels(labels);
        if let Some(help) = &d.help {
            report = report.with_help(printable::for_terminal(help));
        }
        let report = miette::Report::new(report).with_source_code(excerpt);
        let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        let handler = GraphicalReportHandler::new_themed(theme).with_context_lines(1).with_width(100);
        let mut rendered = String::new();
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut rendered, report.as_ref());
        rendered
    }
}

impl fmt::Display for ModelErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for ModelErrors {}
