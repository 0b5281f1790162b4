//! Structured generators shared by the fuzz targets: inputs that nest as
//! deep as the fuzzer likes, which random bytes almost never do.

use arbitrary::Arbitrary;

/// The most bytes a generated input may take, so deep inputs stay cheap.
pub const MAX_BYTES: usize = 4 << 20;

/// Raw bytes with a nested middle: `prefix`, `open` repeated `depth`
/// times, `middle`, `close` repeated `depth` times, `suffix`.
///
/// For any length-prefixed or bracketed format this reaches nesting depths
/// (up to millions) that mutation of small inputs never finds.
#[derive(Arbitrary, Debug)]
pub struct Nested {
    /// Bytes before the nesting.
    pub prefix: Vec<u8>,
    /// One level of opening.
    pub open: Vec<u8>,
    /// The innermost bytes.
    pub middle: Vec<u8>,
    /// One level of closing.
    pub close: Vec<u8>,
    /// Bytes after the nesting.
    pub suffix: Vec<u8>,
    /// How many levels (clamped so the whole stays under [`MAX_BYTES`]).
    pub depth: u32,
}

impl Nested {
    /// The bytes this describes.
    pub fn bytes(&self) -> Vec<u8> {
        let fixed = self.prefix.len() + self.middle.len() + self.suffix.len();
        let level = (self.open.len() + self.close.len()).max(1);
        let depth = (self.depth as usize).min(MAX_BYTES.saturating_sub(fixed) / level);
        let mut out = Vec::with_capacity(fixed + depth * level);
        out.extend_from_slice(&self.prefix);
        for _ in 0..depth {
            out.extend_from_slice(&self.open);
        }
        out.extend_from_slice(&self.middle);
        for _ in 0..depth {
            out.extend_from_slice(&self.close);
        }
        out.extend_from_slice(&self.suffix);
        out
    }
}

/// A kind of JSON nesting the importers must survive.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum JsonNesting {
    /// `{"product":[ ... ]}` around a sort.
    ProductSort,
    /// `{"record":[{"name":"f","sort": ... }]}` around a sort.
    RecordSort,
    /// Global messages, each continuing with the next.
    GlobalMessages,
    /// Local sends, each continuing with the next.
    LocalSends,
    /// `rec` binders around a body.
    Recursions,
}

impl JsonNesting {
    /// The opening and closing text of one level, and the innermost value.
    pub fn parts(self) -> (&'static str, &'static str, &'static str) {
        const MESSAGE: &str = r#"{"kind":"comm","sender":"A","receiver":"B","branches":[{"label":{"name":"m","sort":"unit"},"continuation":"#;
        const SEND: &str = r#"{"kind":"send","partner":"B","branches":[{"label":{"name":"m","sort":"unit"},"continuation":"#;
        match self {
            JsonNesting::ProductSort => (r#"{"product":["#, "]}", r#""int""#),
            JsonNesting::RecordSort => (r#"{"record":[{"name":"f","sort":"#, "}]}", r#""int""#),
            JsonNesting::GlobalMessages => (MESSAGE, "}]}", r#"{"kind":"end"}"#),
            JsonNesting::LocalSends => (SEND, "}]}", r#"{"kind":"end"}"#),
            JsonNesting::Recursions => (
                r#"{"kind":"rec","var":"t","body":"#,
                "}",
                r#"{"kind":"var","name":"t"}"#,
            ),
        }
    }
}

/// Deep JSON of one [`JsonNesting`] kind, optionally wrapped and damaged.
#[derive(Arbitrary, Debug)]
pub struct DeepJson {
    /// What nests.
    pub nesting: JsonNesting,
    /// How deep (clamped to [`MAX_BYTES`] of text).
    pub depth: u32,
    /// Where to cut the text short (none when out of range).
    pub truncate_at: Option<u32>,
}

impl DeepJson {
    /// The JSON text.
    pub fn text(&self) -> String {
        let (open, close, middle) = self.nesting.parts();
        let nested = Nested {
            prefix: Vec::new(),
            open: open.as_bytes().to_vec(),
            middle: middle.as_bytes().to_vec(),
            close: close.as_bytes().to_vec(),
            suffix: Vec::new(),
            depth: self.depth,
        };
        let mut text = String::from_utf8_lossy(&nested.bytes()).into_owned();
        if let Some(at) = self.truncate_at {
            let at = at as usize;
            if at < text.len() && text.is_char_boundary(at) {
                text.truncate(at);
            }
        }
        text
    }
}
