//! Where each line of a text starts, so positions are found by binary
//! search instead of scanning the text from its start.

use crate::source::clamp_to_char_boundary;

/// The byte offset of the start of every line of one text.
///
/// Built once per file (one pass), it answers line and column queries in
/// logarithmic time plus the length of the one line asked about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    /// Offset of the first byte of each line; the first is always 0.
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes the lines of `text`.
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The 1-based line and column (in characters) of a byte offset of `text`.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = clamp_to_char_boundary(text, offset);
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let col = text.get(start..offset).unwrap_or("").chars().count() + 1;
        (line, col)
    }

    /// The text of the 1-based line `line` of `text`, without its newline.
    pub fn line_text<'t>(&self, text: &'t str, line: usize) -> &'t str {
        let Some(&start) = self.starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self
            .starts
            .get(line)
            .map_or(text.len(), |&next| next.saturating_sub(1));
        text.get(start..end).unwrap_or("").trim_end_matches('\r')
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Line and column by scanning from the start, as positions were found
    /// before the index.
    fn scan(text: &str, offset: usize) -> (usize, usize) {
        let before = &text[..clamp_to_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[start..].chars().count() + 1)
    }

    #[test]
    fn the_index_agrees_with_a_scan() {
        let text = "ab\ncdé\r\n\nx";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() + 3 {
            assert_eq!(
                index.line_col(text, offset),
                scan(text, offset),
                "offset {offset}"
            );
        }
        let lines: Vec<&str> = (1..=5).map(|l| index.line_text(text, l)).collect();
        assert_eq!(lines, ["ab", "cdé", "", "x", ""]);
    }

    proptest! {
        #[test]
        fn positions_agree_with_a_scan(text in "[ab\né\r]{0,40}", offset in 0usize..50) {
            let index = LineIndex::new(&text);
            prop_assert_eq!(index.line_col(&text, offset), scan(&text, offset));
            let (line, _) = scan(&text, offset);
            let expected = text.split('\n').nth(line - 1).unwrap_or("").trim_end_matches('\r');
            prop_assert_eq!(index.line_text(&text, line), expected);
        }
    }
}
