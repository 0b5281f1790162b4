//! Tokens of the DOT subset nuscr prints, with their positions.

use super::DotError;

/// A lexical token and where it starts.
#[derive(Clone, Debug)]
pub(super) struct Token {
    /// What the token is.
    pub(super) kind: TokenKind,
    /// One-based line of its first character.
    pub(super) line: usize,
    /// One-based column of its first character.
    pub(super) col: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum TokenKind {
    /// An identifier, number or quoted string (quotes removed, escapes resolved).
    Id(String),
    /// One of `{ } [ ] ; , = ->`.
    Punct(&'static str),
    /// The end of the text.
    Eof,
}

impl TokenKind {
    /// How the token reads in an error message.
    pub(super) fn describe(&self) -> String {
        match self {
            TokenKind::Id(s) => format!("`{s}`"),
            TokenKind::Punct(p) => format!("`{p}`"),
            TokenKind::Eof => "the end of the text".to_string(),
        }
    }
}

/// Splits DOT text into tokens, skipping whitespace and comments.
pub(super) fn lex(text: &str) -> Result<Vec<Token>, DotError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let (mut i, mut line, mut col) = (0, 1, 1);
    let advance = |i: &mut usize, line: &mut usize, col: &mut usize| {
        if chars[*i] == '\n' {
            *line += 1;
            *col = 1;
        } else {
            *col += 1;
        }
        *i += 1;
    };
    while i < chars.len() {
        let c = chars[i];
        let (start_line, start_col) = (line, col);
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            advance(&mut i, &mut line, &mut col);
        } else if c == '#' || (c == '/' && next == Some('/')) {
            while i < chars.len() && chars[i] != '\n' {
                advance(&mut i, &mut line, &mut col);
            }
        } else if c == '/' && next == Some('*') {
            advance(&mut i, &mut line, &mut col);
            advance(&mut i, &mut line, &mut col);
            loop {
                if i >= chars.len() {
                    return Err(syntax(
                        start_line,
                        start_col,
                        "`*/` closing the comment",
                        "the end of the text",
                    ));
                }
                if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    advance(&mut i, &mut line, &mut col);
                    advance(&mut i, &mut line, &mut col);
                    break;
                }
                advance(&mut i, &mut line, &mut col);
            }
        } else if c == '"' {
            advance(&mut i, &mut line, &mut col);
            let mut value = String::new();
            loop {
                match chars.get(i) {
                    None => {
                        return Err(syntax(
                            start_line,
                            start_col,
                            "`\"` closing the string",
                            "the end of the text",
                        ))
                    }
                    Some('"') => break,
                    Some('\\') if matches!(chars.get(i + 1), Some('"' | '\\')) => {
                        advance(&mut i, &mut line, &mut col);
                        value.push(chars[i]);
                    }
                    Some('\\') if chars.get(i + 1) == Some(&'\n') => {
                        advance(&mut i, &mut line, &mut col);
                    }
                    Some(&other) => value.push(other),
                }
                advance(&mut i, &mut line, &mut col);
            }
            advance(&mut i, &mut line, &mut col);
            tokens.push(Token {
                kind: TokenKind::Id(value),
                line: start_line,
                col: start_col,
            });
        } else if c == '-' && next == Some('>') {
            advance(&mut i, &mut line, &mut col);
            advance(&mut i, &mut line, &mut col);
            tokens.push(Token {
                kind: TokenKind::Punct("->"),
                line: start_line,
                col: start_col,
            });
        } else if let Some(p) = ["{", "}", "[", "]", ";", ",", "="]
            .into_iter()
            .find(|p| p.starts_with(c))
        {
            advance(&mut i, &mut line, &mut col);
            tokens.push(Token {
                kind: TokenKind::Punct(p),
                line: start_line,
                col: start_col,
            });
        } else if c.is_alphanumeric() || c == '_' || c == '.' || c == '-' {
            let mut value = String::new();
            while i < chars.len()
                && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '.' | '-'))
            {
                if chars[i] == '-' && chars.get(i + 1) == Some(&'>') {
                    break;
                }
                value.push(chars[i]);
                advance(&mut i, &mut line, &mut col);
            }
            tokens.push(Token {
                kind: TokenKind::Id(value),
                line: start_line,
                col: start_col,
            });
        } else {
            return Err(syntax(line, col, "a DOT token", &format!("`{c}`")));
        }
    }
    tokens.push(Token {
        kind: TokenKind::Eof,
        line,
        col,
    });
    Ok(tokens)
}

/// A syntax error at a position.
pub(super) fn syntax(line: usize, col: usize, expected: &str, found: &str) -> DotError {
    DotError::Syntax {
        line,
        col,
        expected: expected.to_string(),
        found: found.to_string(),
    }
}
