//! Source files and byte spans.

use crate::line_index::LineIndex;

/// A named piece of source text, the unit every front-end reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// The file name shown in diagnostics (a path or a pseudo-name).
    pub name: String,
    /// The whole text of the file.
    pub text: String,
}

impl SourceFile {
    /// A source file from its name and text.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        SourceFile {
            name: name.into(),
            text: text.into(),
        }
    }

    /// The 1-based line and column (in characters) of a byte offset.
    ///
    /// Each call scans the text; for many queries build a [`LineIndex`] once.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        LineIndex::new(&self.text).line_col(&self.text, offset)
    }

    /// The text of the 1-based line `line`, without its newline.
    pub fn line_text(&self, line: usize) -> &str {
        LineIndex::new(&self.text).line_text(&self.text, line)
    }
}

/// A half-open range of byte offsets into a [`SourceFile`], so every AST node
/// and diagnostic can point back at its text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// The span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// Moves an offset back onto a character boundary inside the text.
pub(crate) fn clamp_to_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let file = SourceFile::new("f", "ab\ncdé\nx");
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(4), (2, 2));
        assert_eq!(file.line_col(8), (3, 1));
        assert_eq!(file.line_col(999), (3, 2));
        assert_eq!(file.line_text(2), "cdé");
    }
}
