//! The sequence diagram of a run: a vertical lane per role, time flowing
//! down (one row of pixels per tick, scaled), an arrow per delivered
//! message from its send tick to its delivery tick, a coloured mark per
//! fault and point event, and effect calls as small notes beside their
//! role's lane.
//!
//! Everything drawn is an *event*: an arrow, a mark or a note. They are
//! drawn in tick order, at most `max_events` of them; the caller says
//! "first N of M events" when the cap cut the run. Every element carries a
//! stable class and data attributes so a test can count them in the page:
//! `<g class="msg ...">` per arrow, `<g class="fault-mark" data-kind="...">`
//! per mark, `<g class="effect">` per note.

use super::escape::{clip, escape};
use super::marks::{glyph, style, Shape};
use crate::report::timeline::{EffectCall, Fate, MarkKind, MessageRecord, Timeline};
use std::collections::BTreeMap;
use std::fmt::Write;

/// One thing the diagram draws.
#[derive(Clone, Debug)]
enum Item<'a> {
    /// A delivered message.
    Arrow { m: &'a MessageRecord, recv: u64 },
    /// A message still in flight at the end.
    Pending(&'a MessageRecord),
    /// A mark on a lane (`role`) or across all of them; a lost message's
    /// mark sits on a stub pointing `toward` its receiver.
    Mark {
        kind: &'static str,
        tick: u64,
        role: Option<usize>,
        toward: Option<usize>,
        detail: String,
    },
    /// An effect call.
    Effect(&'a EffectCall),
}

impl Item<'_> {
    fn tick(&self) -> u64 {
        match self {
            Item::Arrow { m, .. } | Item::Pending(m) => m.sent,
            Item::Mark { tick, .. } => *tick,
            Item::Effect(e) => e.tick,
        }
    }
}

/// The diagram and how much of the run it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagram {
    /// The `<svg>` element.
    pub svg: String,
    /// Events drawn.
    pub drawn: usize,
    /// Events in the run.
    pub total: usize,
}

/// Pixels between lanes.
const LANE: u64 = 180;
/// Room for the tick axis on the left.
const LEFT: u64 = 70;
/// Room for the role names on top.
const TOP: u64 = 56;

fn describe(t: &Timeline, m: &MessageRecord) -> String {
    format!(
        "{} -> {} : {} (seq {})",
        t.role_name(m.from),
        t.role_name(m.to),
        m.label,
        m.seq
    )
}

/// Every event of the run, in tick order (ties in the order recorded:
/// messages, then marks, then effect calls).
fn items(t: &Timeline) -> Vec<Item<'_>> {
    let mut items = Vec::new();
    let at = |kind, tick, role, detail| Item::Mark {
        kind,
        tick,
        role: Some(role),
        toward: None,
        detail,
    };
    for m in &t.messages {
        let what = describe(t, m);
        if let Some(how) = &m.injected {
            let detail = format!("{what} injected at t={}: {how}", m.sent);
            items.push(at("inject", m.sent, m.from, detail));
        } else if m.lied {
            let detail = format!("{what}: a byzantine lie at t={}", m.sent);
            items.push(at("lie", m.sent, m.from, detail));
        }
        if m.injected.is_some() {
            // Marked above.
        } else if m.duplicate {
            let detail = format!("{what} duplicated at t={}", m.sent);
            items.push(at("duplicate", m.sent, m.from, detail));
        } else if m.corrupted {
            let detail = format!("{what} corrupted at t={}", m.sent);
            items.push(at("corrupt", m.sent, m.from, detail));
        }
        match &m.fate {
            Fate::Delivered { tick } => items.push(Item::Arrow { m, recv: *tick }),
            Fate::Lost { tick } => items.push(Item::Mark {
                kind: "drop",
                tick: *tick,
                role: Some(m.from),
                toward: Some(m.to),
                detail: format!("{what} lost at t={tick}"),
            }),
            Fate::Withheld { tick } => {
                let detail = format!("{what} withheld at t={tick}");
                items.push(at("withheld", *tick, m.from, detail));
            }
            Fate::Discarded { tick, reason } => {
                let detail = format!("{what} discarded at t={tick}: {reason}");
                items.push(at("discard", *tick, m.to, detail));
            }
            Fate::InFlight => items.push(Item::Pending(m)),
        }
    }
    for k in &t.marks {
        items.push(Item::Mark {
            kind: k.kind.name(),
            tick: k.tick,
            role: k.role,
            toward: None,
            detail: k.detail.clone(),
        });
    }
    items.extend(t.effects.iter().map(Item::Effect));
    items.sort_by_key(Item::tick);
    items
}

/// Draws the first `max_events` events of `t` (a run of `rounds` ticks).
pub fn diagram(t: &Timeline, rounds: u64, max_events: usize) -> Diagram {
    let all = items(t);
    let total = all.len();
    let shown = &all[..total.min(max_events)];
    let capped = shown.len() < total;
    let last = shown
        .iter()
        .map(|i| match i {
            Item::Arrow { recv, .. } => *recv,
            other => other.tick(),
        })
        .max()
        .unwrap_or(0);
    let last = if capped { last } else { last.max(rounds) };
    // Sixteen pixels a tick, fewer for long runs (zoom in to read them).
    let scale = (24_000 / (last + 1)).clamp(3, 16);
    let lanes = t.roles.len().max(1) as u64;
    let width = LEFT + lanes * LANE;
    let height = TOP + (last + 2) * scale + 24;
    let g = Geometry { scale };
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg id=\"sequence\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" \
         height=\"{height}\" viewBox=\"0 0 {width} {height}\" data-width=\"{width}\" \
         data-height=\"{height}\" data-events-total=\"{total}\" data-events-drawn=\"{}\">",
        shown.len()
    );
    svg.push_str(
        "<defs><marker id=\"arrowhead\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">\
         <path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#333\"/></marker></defs>\n",
    );
    axis(&mut svg, last, scale, width);
    for (i, name) in t.roles.iter().enumerate() {
        let x = lane_x(i);
        let _ = writeln!(
            svg,
            "<text class=\"role-name\" data-role=\"{}\" x=\"{x}\" y=\"{}\" \
             text-anchor=\"middle\">{}</text>\
             <line class=\"lane\" x1=\"{x}\" y1=\"{TOP}\" x2=\"{x}\" y2=\"{}\"/>",
            escape(name),
            TOP - 22,
            escape(&clip(name, 22)),
            height - 10
        );
    }
    spans(&mut svg, t, last, &g, width);
    let mut crowd: BTreeMap<(Option<usize>, u64), u64> = BTreeMap::new();
    for item in shown {
        match item {
            Item::Arrow { m, recv } => arrow(&mut svg, t, m, *recv, &g),
            Item::Pending(m) => pending(&mut svg, t, m, &g, height),
            Item::Mark {
                kind,
                tick,
                role,
                toward,
                detail,
            } => {
                // Marks on one lane at one tick stand side by side.
                let n = crowd.entry((*role, *tick)).or_insert(0);
                let at = Place {
                    tick: *tick,
                    role: *role,
                    toward: *toward,
                    shift: *n * 15,
                };
                *n += 1;
                mark(&mut svg, kind, &at, detail, &g, width);
            }
            Item::Effect(e) => effect(&mut svg, t, e, &g),
        }
    }
    svg.push_str("</svg>");
    Diagram {
        svg,
        drawn: shown.len(),
        total,
    }
}

/// Tick to pixels.
struct Geometry {
    scale: u64,
}

impl Geometry {
    fn y(&self, tick: u64) -> u64 {
        TOP + 8 + tick * self.scale
    }
}

fn lane_x(role: usize) -> u64 {
    LEFT + LANE / 2 + role as u64 * LANE
}

/// Tick numbers down the left, at least 40 pixels apart, with faint rules.
fn axis(svg: &mut String, last: u64, scale: u64, width: u64) {
    let step = [1u64, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]
        .into_iter()
        .find(|s| s * scale >= 40)
        .unwrap_or(10_000);
    let g = Geometry { scale };
    svg.push_str("<g class=\"axis\">");
    let mut tick = 0;
    while tick <= last + 1 {
        let y = g.y(tick);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{y}\" x2=\"{width}\" y2=\"{y}\"/>\
             <text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">t={tick}</text>",
            LEFT - 6,
            y + 4
        );
        tick += step;
    }
    svg.push_str("</g>\n");
}

fn arrow(svg: &mut String, t: &Timeline, m: &MessageRecord, recv: u64, g: &Geometry) {
    let mut class = String::from("msg");
    for (on, name) in [
        (m.duplicate, " dup"),
        (m.corrupted, " corrupted"),
        (m.reordered, " reordered"),
        (m.delayed, " delayed"),
        (m.rejected.is_some(), " rejected"),
        (m.injected.is_some(), " injected"),
        (m.lied, " lied"),
    ] {
        if on {
            class.push_str(name);
        }
    }
    let (x1, y1) = (lane_x(m.from), g.y(m.sent));
    let (x2, y2) = if m.from == m.to {
        (x1 + 40, g.y(recv))
    } else {
        (lane_x(m.to), g.y(recv))
    };
    let (lx, ly) = ((x1 + x2) / 2, (y1 + y2) / 2);
    let mut notes = Vec::new();
    for (on, note) in [
        (m.duplicate, "duplicate copy"),
        (m.corrupted, "corrupted"),
        (m.reordered, "reordered"),
        (m.delayed, "delayed by a fault"),
    ] {
        if on {
            notes.push(note.to_string());
        }
    }
    if let Some(how) = &m.injected {
        notes.push(format!("injected by a byzantine role ({how})"));
    }
    if m.lied {
        notes.push("a byzantine lie: its honest host decided otherwise".to_string());
    }
    if let Some(tick) = m.rejected {
        notes.push(format!("rejected by the receiver at t={tick}"));
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" [{}]", notes.join(", "))
    };
    let _ = writeln!(
        svg,
        "<g class=\"{class}\" data-from=\"{}\" data-to=\"{}\" data-label=\"{}\" data-seq=\"{}\" \
         data-sent=\"{}\" data-recv=\"{recv}\"><line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" \
         y2=\"{y2}\" marker-end=\"url(#arrowhead)\"/><text x=\"{lx}\" y=\"{}\" \
         text-anchor=\"middle\">{}</text><title>{}</title></g>",
        escape(t.role_name(m.from)),
        escape(t.role_name(m.to)),
        escape(&m.label),
        m.seq,
        m.sent,
        ly.saturating_sub(3),
        escape(&clip(&m.label, 24)),
        escape(&format!(
            "{}: sent t={}, delivered t={recv}{notes}",
            describe(t, m),
            m.sent
        )),
    );
}

fn pending(svg: &mut String, t: &Timeline, m: &MessageRecord, g: &Geometry, height: u64) {
    let (x1, y1) = (lane_x(m.from), g.y(m.sent));
    let x2 = (x1 + lane_x(m.to)) / 2;
    let _ = writeln!(
        svg,
        "<g class=\"pending\" data-from=\"{}\" data-to=\"{}\"><line x1=\"{x1}\" y1=\"{y1}\" \
         x2=\"{x2}\" y2=\"{}\"/><title>{}</title></g>",
        escape(t.role_name(m.from)),
        escape(t.role_name(m.to)),
        height - 12,
        escape(&format!(
            "{}: sent t={}, still in flight at the end",
            describe(t, m),
            m.sent
        ))
    );
}

/// What lasts: a pause (to its resume), a crash (to the end) and a
/// partition (to its heal), as pale bands behind the arrows, for the part
/// of the run that is drawn (decoration: not events, not counted).
fn spans(svg: &mut String, t: &Timeline, last: u64, g: &Geometry, width: u64) {
    let end_of = |from: u64, role: Option<usize>, kind: MarkKind| {
        t.marks
            .iter()
            .find(|m| m.kind == kind && m.role == role && m.tick >= from)
            .map_or(last + 1, |m| m.tick.min(last + 1))
    };
    for m in t.marks.iter().filter(|m| m.tick <= last) {
        let (y1, role) = (g.y(m.tick), m.role);
        let (class, x, w, end, colour) = match (m.kind, role) {
            (MarkKind::Pause, Some(r)) => {
                let end = end_of(m.tick, role, MarkKind::Resume);
                ("pause-span", lane_x(r) - 6, 12, end, "#17becf")
            }
            (MarkKind::Crash, Some(r)) => ("crash-span", lane_x(r) - 4, 8, last + 1, "#111111"),
            (MarkKind::Partition, None) => {
                let end = end_of(m.tick, None, MarkKind::Heal);
                ("partition-span", LEFT, width - LEFT, end, "#e377c2")
            }
            _ => continue,
        };
        let h = g.y(end).saturating_sub(y1);
        let _ = writeln!(
            svg,
            "<rect class=\"span {class}\" x=\"{x}\" y=\"{y1}\" width=\"{w}\" height=\"{h}\" \
             fill=\"{colour}\" fill-opacity=\"0.15\"/>"
        );
    }
}

/// Where a mark goes: its tick, its lane (none: across all lanes) and,
/// for a lost message, the lane it was heading for.
struct Place {
    tick: u64,
    role: Option<usize>,
    toward: Option<usize>,
    /// Pixels to the right, past the marks already drawn there.
    shift: u64,
}

fn mark(svg: &mut String, kind: &str, at: &Place, detail: &str, g: &Geometry, width: u64) {
    let s = style(kind);
    let (tick, role) = (at.tick, at.role);
    let y = g.y(tick);
    let c = s.colour;
    let role_attr = role
        .map(|r| format!(" data-role-index=\"{r}\""))
        .unwrap_or_default();
    let _ = write!(
        svg,
        "<g class=\"fault-mark\" data-kind=\"{kind}\" data-tick=\"{tick}\"{role_attr}>"
    );
    let shape = match (role, at.toward) {
        // A stub a third of the way to the receiver, the mark at its end.
        (Some(r), Some(to)) if s.shape != Shape::Band && to != r => {
            let (x1, x2) = (lane_x(r), lane_x(to));
            let x = if x2 > x1 {
                x1 + (x2 - x1) / 3
            } else {
                x1 - (x1 - x2) / 3
            };
            format!(
                "<line x1=\"{x1}\" y1=\"{y}\" x2=\"{x}\" y2=\"{y}\" stroke=\"{c}\" \
                 stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>{}",
                glyph(s.shape, x, y, c)
            )
        }
        (Some(r), _) if s.shape != Shape::Band => glyph(s.shape, lane_x(r) + at.shift, y, c),
        _ => format!(
            "<line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{width}\" y2=\"{y}\" stroke=\"{c}\" \
             stroke-width=\"2\" stroke-dasharray=\"8 4\"/><text x=\"{}\" y=\"{}\" \
             fill=\"{c}\" class=\"band-label\">{}</text>",
            LEFT + 4,
            y.saturating_sub(3),
            escape(&clip(detail, 80))
        ),
    };
    svg.push_str(&shape);
    let _ = writeln!(svg, "<title>t={tick} {}</title></g>", escape(detail));
}

fn effect(svg: &mut String, t: &Timeline, e: &EffectCall, g: &Geometry) {
    let (x, y) = (lane_x(e.role) + 8, g.y(e.tick));
    let text = format!("{} → {}", e.op, e.outcome);
    let shown = clip(&text, 26);
    let w = 7 * shown.chars().count() as u64 + 8;
    let _ = writeln!(
        svg,
        "<g class=\"effect\" data-role=\"{}\" data-tick=\"{}\"><rect x=\"{x}\" y=\"{}\" \
         width=\"{w}\" height=\"14\" rx=\"3\"/><text x=\"{}\" y=\"{}\">{}</text>\
         <title>t={} {} performs {}</title></g>",
        escape(t.role_name(e.role)),
        e.tick,
        y.saturating_sub(7),
        x + 4,
        y + 4,
        escape(&shown),
        e.tick,
        escape(t.role_name(e.role)),
        escape(&text)
    );
}
