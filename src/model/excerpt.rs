//! The part of a model shown under an error: the lines around each underlined span, each line
//! cut to a window around the span and with its unprintable characters escaped.
//!
//! miette renders whatever source it is given, whole: a span 70,000 columns into a line makes it
//! panic (a format width over `u16::MAX`), a megabyte on one line is printed in full, and an
//! escape sequence in the text reaches the terminal. So the renderer gets an [`Excerpt`] instead
//! of the file: only the lines it shows, bounded, with the spans moved to match, and it still
//! reports the real line and column numbers.

use std::collections::HashMap;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use super::printable;
use super::source::{Location, SourceFile};

/// A line longer than this (in characters) is shown as a window around its spans.
const MAX_LINE_CHARS: usize = 150;

/// How many characters of a long line the window shows.
const WINDOW_CHARS: usize = 100;

/// How many characters the window shows before the first span on its line.
const WINDOW_LEAD: usize = 30;

/// A span over more lines than this is underlined on its first line only.
const MAX_SPAN_LINES: usize = 8;

/// Lines of a model, prepared for miette.
#[derive(Debug)]
pub struct Excerpt {
    name: String,
    text: String,
    /// For each line of `text`: the real line (0-based) it shows.
    real_lines: Vec<usize>,
    /// The real column (1-based, in characters) of each span's start, by its offset in `text`.
    columns: HashMap<usize, usize>,
}

/// One shown line: where it is in the excerpt and how its characters moved.
struct ShownLine {
    /// Pairs of (real byte offset, excerpt byte offset) at each character boundary of the window.
    boundaries: Vec<(usize, usize)>,
    /// Excerpt offsets of the window's start and end.
    start: usize,
    end: usize,
}

impl Excerpt {
    /// The excerpt that shows `spans` of `source`, and the spans as offsets into it.
    pub fn new(source: &SourceFile, spans: &[Location]) -> (Excerpt, Vec<(usize, usize)>) {
        let ranges = source.line_ranges();
        let line_of = |offset: usize| ranges.partition_point(|&(start, _)| start <= offset).saturating_sub(1);

        // Each span as (start offset, end offset, start line, end line), long ones cut to one line.
        let clamped: Vec<(usize, usize, usize, usize)> = spans
            .iter()
            .map(|at| {
                let start = at.offset.min(source.text.len());
                let end = (at.offset + at.len).min(source.text.len()).max(start);
                let first = line_of(start);
                let last = line_of(end.saturating_sub(1).max(start));
                if last - first >= MAX_SPAN_LINES {
                    (start, ranges[first].1.max(start), first, first)
                } else {
                    (start, end, first, last)
                }
            })
            .collect();

        // Lines to show: each span's lines and one on either side; groups closer than two lines
        // are joined with the lines between them, so line numbers only jump between groups.
        let mut intervals: Vec<(usize, usize)> = clamped
            .iter()
            .map(|&(_, _, first, last)| (first.saturating_sub(1), (last + 1).min(ranges.len() - 1)))
            .collect();
        intervals.sort_unstable();
        let mut groups: Vec<(usize, usize)> = Vec::new();
        for (first, last) in intervals {
            match groups.last_mut() {
                Some(group) if first <= group.1 + 2 => group.1 = group.1.max(last),
                _ => groups.push((first, last)),
            }
        }

        let mut text = String::new();
        let mut real_lines = Vec::new();
        let mut shown: HashMap<usize, ShownLine> = HashMap::new();
        for (g, &(first, last)) in groups.iter().enumerate() {
            if g > 0 {
                // A blank line between groups, never inside a rendered context.
                text.push('\n');
                real_lines.push(last.min(first.saturating_sub(1)));
            }
            for (line, &(start, end)) in ranges.iter().enumerate().take(last + 1).skip(first) {
                let focus: Vec<(usize, usize)> = clamped
                    .iter()
                    .filter(|&&(s, e, _, _)| s <= end && e >= start)
                    .map(|&(s, e, _, _)| (s.max(start), e.min(end)))
                    .collect();
                let window = window(&source.text[start..end], start, &focus);
                shown.insert(line, render_line(&source.text, window, &mut text));
                text.push('\n');
                real_lines.push(line);
            }
        }

        let translate = |offset: usize| -> usize {
            let line = line_of(offset);
            let Some(shown) = shown.get(&line) else { return 0 };
            match shown.boundaries.binary_search_by_key(&offset, |&(real, _)| real) {
                Ok(i) => shown.boundaries[i].1,
                Err(0) => shown.start,
                Err(i) if i == shown.boundaries.len() => shown.end,
                Err(i) => shown.boundaries[i - 1].1,
            }
        };
        let mut columns = HashMap::new();
        let moved: Vec<(usize, usize)> = clamped
            .iter()
            .map(|&(start, end, _, _)| {
                let from = translate(start);
                let to = translate(end).max(from);
                columns.entry(from).or_insert_with(|| source.location_of_offset(start).column);
                (from, to - from)
            })
            .collect();
        let name = printable::escape(&source.name).into_owned();
        (Excerpt { name, text, real_lines, columns }, moved)
    }
}

/// The part of a line to show: byte offsets (absolute) of its window's start and end.
fn window(line: &str, line_start: usize, focus: &[(usize, usize)]) -> (usize, usize) {
    let count = line.chars().count();
    if count <= MAX_LINE_CHARS {
        return (line_start, line_start + line.len());
    }
    let char_at = |offset: usize| line[..offset - line_start].chars().count();
    let byte_at = |chars: usize| line_start + line.char_indices().nth(chars).map_or(line.len(), |(i, _)| i);
    let first = focus.iter().map(|&(s, _)| char_at(s)).min().unwrap_or(0);
    let last = focus.iter().map(|&(_, e)| char_at(e)).max().unwrap_or(0);
    let from = if last <= WINDOW_CHARS { 0 } else { first.saturating_sub(WINDOW_LEAD) };
    let to = (from + WINDOW_CHARS).min(count);
    (byte_at(from), byte_at(to))
}

/// Append the window of a line to `out`, escaped, marked `… ` / ` …` where it is cut.
fn render_line(text: &str, (start, end): (usize, usize), out: &mut String) -> ShownLine {
    let line_start = text[..start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let line_end = text[end..].find(['\n', '\r']).map_or(text.len(), |i| end + i);
    if start > line_start {
        out.push_str("… ");
    }
    let window_start = out.len();
    let mut boundaries = Vec::new();
    for (i, c) in text[start..end].char_indices() {
        boundaries.push((start + i, out.len()));
        // The byte-order mark that starts a file is no part of the model: not shown.
        if start + i == 0 && c == '\u{feff}' {
            continue;
        }
        out.push_str(&printable::escape_except_tab(c.encode_utf8(&mut [0; 4])));
    }
    boundaries.push((end, out.len()));
    let window_end = out.len();
    if end < line_end {
        out.push_str(" …");
    }
    ShownLine { boundaries, start: window_start, end: window_end }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.as_str().read_span(span, context_lines_before, context_lines_after)?;
        let data = inner.data();
        let line = self.real_lines.get(inner.line()).copied().unwrap_or(inner.line());
        // The header's column: the real one for a span's own start.
        let column = match self.columns.get(&span.offset()) {
            Some(column) if context_lines_before == 0 => column - 1,
            _ => inner.column(),
        };
        // Lines in this piece, so that miette only joins pieces that are really adjacent.
        let line_count = data.iter().filter(|&&b| b == b'\n').count().max(1);
        Ok(Box::new(MietteSpanContents::new_named(self.name.clone(), data, *inner.span(), line, column, line_count)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excerpt(text: &str, spans: &[(usize, usize)]) -> (Excerpt, Vec<(usize, usize)>) {
        let source = SourceFile::new("m.yaml", text);
        let locations: Vec<Location> =
            spans.iter().map(|&(offset, len)| Location { len, ..source.location_of_offset(offset) }).collect();
        Excerpt::new(&source, &locations)
    }

    #[test]
    fn short_lines_are_shown_as_they_are() {
        let text = "a: 1\nb: [x, y]\nc: 3\nd: 4\n";
        let (excerpt, spans) = excerpt(text, &[(9, 1)]);
        assert_eq!(excerpt.text, "a: 1\nb: [x, y]\nc: 3\n");
        assert_eq!(excerpt.real_lines, [0, 1, 2]);
        assert_eq!(&excerpt.text[spans[0].0..spans[0].0 + spans[0].1], "x");
    }

    #[test]
    fn long_lines_are_cut_around_the_span() {
        let value = "v".repeat(100_000);
        let text = format!("a: [{value}, bad]\n");
        let at = text.find("bad").expect("bad");
        let (excerpt, spans) = excerpt(&text, &[(at, 3)]);
        assert!(excerpt.text.len() < 200, "{}", excerpt.text);
        assert!(excerpt.text.starts_with("… vvv"));
        assert_eq!(&excerpt.text[spans[0].0..spans[0].0 + spans[0].1], "bad");
        assert_eq!(excerpt.columns[&spans[0].0], 100_007);
    }

    #[test]
    fn distant_spans_keep_their_line_numbers() {
        let text: String = (0..100).map(|i| format!("k{i}: {i}\n")).collect();
        let first = text.find("k3:").expect("k3");
        let second = text.find("k90:").expect("k90");
        let (excerpt, _) = excerpt(&text, &[(first, 2), (second, 3)]);
        assert_eq!(excerpt.real_lines, [2, 3, 4, 88, 89, 90, 91]);
        assert_eq!(excerpt.text.lines().count(), 7);
    }

    #[test]
    fn escape_sequences_are_escaped() {
        let text = "a: \"\u{1b}[2J\"\nb: x\n";
        let (excerpt, _) = excerpt(text, &[(text.find('b').expect("b"), 1)]);
        assert!(!excerpt.text.contains('\u{1b}'));
        assert!(excerpt.text.contains("\\u{1b}[2J"));
    }

    #[test]
    fn a_byte_order_mark_is_not_shown() {
        let text = "\u{feff}pipegn: 1\nname: x\n";
        let (shown, _) = excerpt(text, &[(3, 6)]);
        assert!(shown.text.starts_with("pipegn: 1"), "{:?}", shown.text);
        // Another zero-width no-break space is shown escaped, as any invisible character.
        let text = "a: \"x\u{feff}\"\n";
        let (shown, _) = excerpt(text, &[(0, 1)]);
        assert!(!shown.text.contains('\u{feff}') && shown.text.contains("feff"), "{:?}", shown.text);
    }
}
