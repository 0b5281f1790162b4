//! The marks of the sequence diagram: for each kind (`data-kind`) its
//! colour, shape and meaning, how a shape is drawn, and the legend that
//! explains them.

use super::escape::escape;
use std::fmt::Write;

/// How a mark is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// An X (losses, discards).
    Cross,
    /// A filled disc.
    Disc,
    /// A ring.
    Ring,
    /// A diamond.
    Diamond,
    /// A filled square.
    Square,
    /// A triangle pointing down.
    Triangle,
    /// A dashed line across every lane (network-wide events).
    Band,
}

/// One kind of mark: its `data-kind`, colour, shape and legend text.
#[derive(Clone, Copy, Debug)]
pub struct MarkStyle {
    /// The `data-kind` attribute.
    pub kind: &'static str,
    /// Its colour (CSS).
    pub colour: &'static str,
    /// Its shape.
    pub shape: Shape,
    /// What it means, for the legend.
    pub meaning: &'static str,
}

/// Every mark the diagram draws, in legend order.
pub const MARK_STYLES: &[MarkStyle] = &[
    MarkStyle {
        kind: "drop",
        colour: "#d62728",
        shape: Shape::Cross,
        meaning: "message lost by the network (loss or message_drop)",
    },
    MarkStyle {
        kind: "duplicate",
        colour: "#ff7f0e",
        shape: Shape::Disc,
        meaning: "message duplicated (the copy is a dashed arrow)",
    },
    MarkStyle {
        kind: "corrupt",
        colour: "#9467bd",
        shape: Shape::Diamond,
        meaning: "payload corrupted in transit",
    },
    MarkStyle {
        kind: "rejected",
        colour: "#8c564b",
        shape: Shape::Triangle,
        meaning:
            "message rejected at the receive (signature, hash chain, sequence or replay check)",
    },
    MarkStyle {
        kind: "lie",
        colour: "#ff00aa",
        shape: Shape::Triangle,
        meaning: "a byzantine role's message differs from what its honest host decided (equivocate, random_payload, random_choice)",
    },
    MarkStyle {
        kind: "inject",
        colour: "#e377c2",
        shape: Shape::Diamond,
        meaning: "message injected by a forge or replay byzantine role",
    },
    MarkStyle {
        kind: "withheld",
        colour: "#7f7f7f",
        shape: Shape::Square,
        meaning: "message withheld by a silent byzantine sender",
    },
    MarkStyle {
        kind: "discard",
        colour: "#bcbd22",
        shape: Shape::Cross,
        meaning: "message discarded at delivery (crashed receiver, full buffer, finished session)",
    },
    MarkStyle {
        kind: "fault",
        colour: "#e41a1c",
        shape: Shape::Ring,
        meaning: "coroutine fault (monitor, handler, timeout without a branch, ...)",
    },
    MarkStyle {
        kind: "timeout",
        colour: "#1f77b4",
        shape: Shape::Ring,
        meaning: "timeout branch taken",
    },
    MarkStyle {
        kind: "crash",
        colour: "#111111",
        shape: Shape::Square,
        meaning: "node crash (crash-stop)",
    },
    MarkStyle {
        kind: "pause",
        colour: "#17becf",
        shape: Shape::Square,
        meaning: "node paused",
    },
    MarkStyle {
        kind: "resume",
        colour: "#17becf",
        shape: Shape::Ring,
        meaning: "pause over",
    },
    MarkStyle {
        kind: "partition",
        colour: "#e377c2",
        shape: Shape::Band,
        meaning: "network partition (links cut)",
    },
    MarkStyle {
        kind: "heal",
        colour: "#2ca02c",
        shape: Shape::Band,
        meaning: "partition healed",
    },
];

/// The style of a mark kind (the first one for an unknown kind).
pub(super) fn style(kind: &str) -> &'static MarkStyle {
    MARK_STYLES
        .iter()
        .find(|s| s.kind == kind)
        .unwrap_or(&MARK_STYLES[0])
}

/// A mark's shape centred on (`x`, `y`); a band is a short dashed line.
pub(super) fn glyph(shape: Shape, x: u64, y: u64, c: &str) -> String {
    match shape {
        Shape::Band => format!(
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{c}\" \
             stroke-width=\"2\" stroke-dasharray=\"6 3\"/>",
            x.saturating_sub(14),
            x + 14
        ),
        Shape::Cross => format!(
            "<path d=\"M {} {} l 12 12 m 0 -12 l -12 12\" stroke=\"{c}\" stroke-width=\"3\"/>",
            x - 6,
            y - 6
        ),
        Shape::Disc => format!("<circle cx=\"{x}\" cy=\"{y}\" r=\"6\" fill=\"{c}\"/>"),
        Shape::Ring => format!(
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"6\" fill=\"none\" stroke=\"{c}\" \
             stroke-width=\"3\"/>"
        ),
        Shape::Diamond => format!(
            "<path d=\"M {x} {} l 7 7 l -7 7 l -7 -7 z\" fill=\"{c}\"/>",
            y - 7
        ),
        Shape::Square => format!(
            "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{c}\"/>",
            x - 6,
            y - 6
        ),
        Shape::Triangle => format!(
            "<path d=\"M {} {} l 14 0 l -7 12 z\" fill=\"{c}\"/>",
            x - 7,
            y - 6
        ),
    }
}

/// The legend: a swatch per kind of arrow and mark.
pub fn legend() -> String {
    let mut out = String::from("<ul class=\"legend\">\n");
    out.push_str(
        "<li><svg width=\"34\" height=\"14\"><line x1=\"2\" y1=\"7\" x2=\"30\" y2=\"7\" \
         stroke=\"#333\" stroke-width=\"1.5\" marker-end=\"url(#arrowhead)\"/></svg> \
         message, from its send tick to its delivery tick</li>\n\
         <li><svg width=\"34\" height=\"14\"><line x1=\"2\" y1=\"7\" x2=\"30\" y2=\"7\" \
         stroke=\"#ff7f0e\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/></svg> \
         duplicate copy; purple: corrupted; blue dotted: reordered or delayed; brown dotted: refused by its receiver; pink: injected by a byzantine role; magenta: a byzantine lie</li>\n\
         <li><svg width=\"34\" height=\"14\"><rect x=\"2\" y=\"1\" width=\"30\" height=\"12\" \
         rx=\"3\" fill=\"#fff7d6\" stroke=\"#c9a227\"/></svg> effect call and its outcome</li>\n",
    );
    for s in MARK_STYLES {
        let swatch = glyph(s.shape, 17, 8, s.colour);
        let _ = writeln!(
            out,
            "<li class=\"legend-item\" data-legend=\"{}\"><svg width=\"34\" height=\"16\">{swatch}</svg> \
             <b>{}</b>: {}</li>",
            s.kind,
            s.kind,
            escape(s.meaning)
        );
    }
    out.push_str("</ul>\n");
    out
}
