//! Rendering diagnostics as text, rustc-style and without colour.
//!
//! Rendering is bounded whatever the input: positions come from one
//! [`LineIndex`] per file, a long source line is clipped to a window around
//! the span, and [`render_all`] prints at most [`MAX_RENDERED`] diagnostics
//! per file, then says how many more there were.

use crate::diagnostic::Diagnostic;
use crate::line_index::LineIndex;
use crate::source::{clamp_to_char_boundary, SourceFile, Span};
use std::fmt::Write as _;

/// The most diagnostics [`render_all`] prints for one file.
pub const MAX_RENDERED: usize = 50;

/// The widest source line shown in full; longer lines are clipped.
const MAX_LINE_CHARS: usize = 120;

/// Characters kept before the span when a line is clipped.
const CONTEXT_BEFORE: usize = 40;

/// Marks text left out of a clipped line.
const ELLIPSIS: &str = "...";

/// Renders the diagnostics of one file, one after the other with a blank
/// line between, at most [`MAX_RENDERED`] of them, followed by
/// `... and N more errors` when some were left out.
pub fn render_all(diagnostics: &[Diagnostic], file: &SourceFile) -> String {
    let index = LineIndex::new(&file.text);
    let mut out = String::new();
    for d in diagnostics.iter().take(MAX_RENDERED) {
        out.push_str(&d.render_indexed(file, &index));
        out.push('\n');
    }
    let hidden = diagnostics.len().saturating_sub(MAX_RENDERED);
    if hidden > 0 {
        let plural = if hidden == 1 { "" } else { "s" };
        let _ = writeln!(
            out,
            "{ELLIPSIS} and {hidden} more error{plural} in {} (only the first {MAX_RENDERED} are shown)\n",
            file.name
        );
    }
    out
}

/// The part of a source line that is shown, in characters.
struct Window {
    /// The first character shown.
    from: usize,
    /// One past the last character shown.
    to: usize,
    /// Whether characters were left out on the left.
    clipped_left: bool,
}

impl Window {
    /// The window of a line of `len` characters that shows column `col`.
    fn around(len: usize, col: usize) -> Self {
        if len <= MAX_LINE_CHARS {
            return Window {
                from: 0,
                to: len,
                clipped_left: false,
            };
        }
        let from = (col - 1)
            .saturating_sub(CONTEXT_BEFORE)
            .min(len - MAX_LINE_CHARS);
        Window {
            from,
            to: from + MAX_LINE_CHARS,
            clipped_left: from > 0,
        }
    }

    /// The shown text of `line`, with ellipses where it was clipped.
    fn show(&self, line: &str) -> String {
        let mut out = String::new();
        if self.clipped_left {
            out.push_str(ELLIPSIS);
        }
        out.extend(line.chars().skip(self.from).take(self.to - self.from));
        if self.to < line.chars().count() {
            out.push_str(ELLIPSIS);
        }
        out
    }

    /// Whether the 1-based column `col` is inside the window (or just past
    /// its end, where a caret for the end of the line goes).
    fn shows(&self, col: usize) -> bool {
        (self.from..=self.to).contains(&(col - 1))
    }

    /// Where a 1-based column lands in the shown text (0-based), and how many
    /// characters of the line are shown from there on.
    fn place(&self, col: usize) -> (usize, usize) {
        let at = (col - 1).clamp(self.from, self.to);
        let shift = if self.clipped_left { ELLIPSIS.len() } else { 0 };
        (at - self.from + shift, self.to - at)
    }
}

impl Diagnostic {
    /// Renders the diagnostic rustc-style, without colour.
    ///
    /// ```text
    /// error[E010]: undeclared role `Carol`
    ///  --> shop.tell:3:12
    ///   |
    /// 3 |   Alice -> Carol : Hi
    ///   |            ^^^^^ not listed in `roles`
    ///   |
    ///   = help: add `Carol` to the `roles` line
    /// ```
    ///
    /// To render many diagnostics of one file, use [`render_all`].
    pub fn render(&self, file: &SourceFile) -> String {
        self.render_indexed(file, &LineIndex::new(&file.text))
    }

    /// [`Diagnostic::render`] with the file's lines already indexed.
    pub fn render_indexed(&self, file: &SourceFile, index: &LineIndex) -> String {
        let text = file.text.as_str();
        let mut lines: Vec<(Span, String, char)> = vec![(self.span, self.label.clone(), '^')];
        for (span, label) in &self.secondary {
            lines.push((*span, label.clone(), '-'));
        }
        let (line, col) = index.line_col(text, self.span.start);
        let max_line = lines
            .iter()
            .map(|(span, _, _)| index.line_col(text, span.start).0)
            .max()
            .unwrap_or(line);
        let gutter = max_line.to_string().len();
        let pad = " ".repeat(gutter);
        let mut out = String::new();
        let _ = writeln!(out, "error[{}]: {}", self.kind.code(), self.message);
        let _ = writeln!(out, "{pad}--> {}:{line}:{col}", file.name);
        let _ = writeln!(out, "{pad} |");
        lines.sort_by_key(|(span, _, _)| span.start);
        let mut shown: Option<(usize, Window)> = None;
        for (span, label, marker) in &lines {
            let (l, c) = index.line_col(text, span.start);
            let source_line = index.line_text(text, l);
            let window = match shown.take() {
                Some((last, window)) if last == l && window.shows(c) => window,
                _ => {
                    let window = Window::around(source_line.chars().count(), c);
                    let _ = writeln!(out, "{l:>gutter$} | {}", window.show(source_line));
                    window
                }
            };
            let (at, room) = window.place(c);
            let width = span_chars(text, *span).min(room).max(1);
            let label_part = if label.is_empty() {
                String::new()
            } else {
                format!(" {label}")
            };
            let _ = writeln!(
                out,
                "{pad} | {}{}{}",
                " ".repeat(at),
                marker.to_string().repeat(width),
                label_part
            );
            shown = Some((l, window));
        }
        // A single expectation is already in the headline; a list gets a note.
        let note = self.expected.len() > 1;
        if note || self.help.is_some() {
            let _ = writeln!(out, "{pad} |");
        }
        if note {
            let _ = writeln!(
                out,
                "{pad} = note: expected one of {}",
                self.expected.join(", ")
            );
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{pad} = help: {help}");
        }
        out
    }
}

/// The number of characters of a span on its first line.
fn span_chars(text: &str, span: Span) -> usize {
    let start = clamp_to_char_boundary(text, span.start);
    let end = clamp_to_char_boundary(text, span.end.max(start));
    text[start..end]
        .split('\n')
        .next()
        .unwrap_or("")
        .chars()
        .count()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::diagnostic::DiagnosticKind;

    #[test]
    fn render_points_at_the_span() {
        let file = SourceFile::new("t.tell", "protocol P =\n  A -> Carol : Hi\n");
        let d = Diagnostic::new(
            DiagnosticKind::UndeclaredRole,
            "undeclared role `Carol`",
            Span::new(20, 25),
            "not listed in `roles`",
        )
        .with_help("add `Carol` to the `roles` line");
        let text = d.render(&file);
        assert_eq!(
            text,
            "error[E010]: undeclared role `Carol`\n --> t.tell:2:8\n  |\n2 |   A -> Carol : Hi\n  |        ^^^^^ not listed in `roles`\n  |\n  = help: add `Carol` to the `roles` line\n"
        );
    }

    /// A syntax error at `span` with a secondary span, in `file`.
    fn at(span: Span, secondary: Span) -> Diagnostic {
        Diagnostic::new(DiagnosticKind::Syntax, "expected `}`", span, "here")
            .with_secondary(secondary, "opened here")
    }

    #[test]
    fn long_lines_are_clipped_around_the_span() {
        let line = format!("{}A -> B : x; {}", "{ ".repeat(500), "} ".repeat(500));
        let file = SourceFile::new("long.tell", line.clone());
        let start = line.find('A').unwrap();
        let middle = at(Span::new(start, start + 1), Span::new(start - 2, start - 1));
        let first = at(Span::new(0, 1), Span::new(4, 5));
        let last = at(Span::new(line.len() - 2, line.len() - 1), Span::new(1, 2));
        let rendered = [middle, first, last].map(|d| d.render(&file)).join("\n");
        for row in rendered.lines() {
            assert!(row.chars().count() < MAX_LINE_CHARS + 20, "{row}");
        }
        insta::assert_snapshot!(rendered);
    }

    #[test]
    fn a_file_prints_at_most_fifty_diagnostics() {
        let file = SourceFile::new("many.tell", "x\n".repeat(60));
        let diagnostics: Vec<Diagnostic> = (0..60)
            .map(|i| at(Span::new(2 * i, 2 * i + 1), Span::new(2 * i, 2 * i + 1)))
            .collect();
        let rendered = render_all(&diagnostics, &file);
        assert_eq!(rendered.matches("error[E001]").count(), MAX_RENDERED);
        let tail: Vec<&str> = rendered.lines().rev().take(8).collect();
        insta::assert_snapshot!(tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
        let few = render_all(&diagnostics[..2], &file);
        assert_eq!(few.matches("error[E001]").count(), 2);
        assert!(!few.contains("more error"), "{few}");
    }
}
