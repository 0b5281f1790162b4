//! The property timeline: a row per property of the scenario, the run's
//! ticks from left to right, each violation a red mark at its tick
//! (`<g class="violation">`), then the violations as a table. At most
//! `max` violations are drawn; the caller notes a cut.

use super::escape::{clip, escape};
use crate::report::{Report, Violation};
use std::fmt::Write;

/// Room for the property names.
const NAMES: u64 = 230;
/// The plot's width.
const PLOT: u64 = 900;
/// A row's height.
const ROW: u64 = 26;

/// The property timeline's `<svg>`, drawing the first `max` violations.
pub fn timeline(report: &Report, max: usize) -> String {
    let violations = &report.violations[..report.violations.len().min(max)];
    let mut rows: Vec<(&str, Option<bool>)> = report
        .properties
        .iter()
        .map(|p| (p.property.as_str(), Some(p.holds)))
        .collect();
    // A violation of a property the report does not list gets its own row.
    for v in violations {
        if !rows.iter().any(|(name, _)| *name == v.property) {
            rows.push((v.property.as_str(), None));
        }
    }
    let span = report.rounds.max(1);
    let x = |tick: u64| NAMES + tick.min(span) * PLOT / span;
    let width = NAMES + PLOT + 20;
    let height = 30 + ROW * rows.len().max(1) as u64 + 10;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg id=\"properties\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" \
         height=\"{height}\" viewBox=\"0 0 {width} {height}\">"
    );
    // The tick axis: round steps, about ten of them.
    let step = [
        1u64, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000,
    ]
    .into_iter()
    .find(|s| s * 10 >= span)
    .unwrap_or(span / 10 + 1);
    let mut tick = 0;
    while tick <= span {
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{0}\" y1=\"20\" x2=\"{0}\" y2=\"{1}\"/>\
             <text class=\"tick\" x=\"{0}\" y=\"14\" text-anchor=\"middle\">t={tick}</text>",
            x(tick),
            height - 6
        );
        tick += step;
    }
    svg.push('\n');
    if rows.is_empty() {
        let _ = writeln!(
            svg,
            "<text x=\"{NAMES}\" y=\"44\">the scenario checks no property</text>"
        );
    }
    for (i, (name, holds)) in rows.iter().enumerate() {
        let y = 30 + ROW * i as u64 + ROW / 2;
        let state = match holds {
            Some(true) => "held",
            Some(false) => "violated",
            None => "unlisted",
        };
        let _ = writeln!(
            svg,
            "<g class=\"property {state}\" data-property=\"{}\"><text x=\"{}\" y=\"{}\" \
             text-anchor=\"end\">{}</text><line x1=\"{NAMES}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/>\
             <title>{} {state}</title></g>",
            escape(name),
            NAMES - 10,
            y + 4,
            escape(&clip(name, 30)),
            NAMES + PLOT,
            escape(name)
        );
        for v in violations.iter().filter(|v| v.property == *name) {
            let _ = writeln!(
                svg,
                "<g class=\"violation\" data-property=\"{}\" data-tick=\"{}\" data-role=\"{}\">\
                 <circle cx=\"{}\" cy=\"{y}\" r=\"6\"/><title>{}</title></g>",
                escape(&v.property),
                v.tick,
                escape(v.role.as_deref().unwrap_or("")),
                x(v.tick),
                escape(&describe(v))
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A violation in words.
fn describe(v: &Violation) -> String {
    format!(
        "t={} {} violated{}: {}",
        v.tick,
        v.property,
        v.role
            .as_ref()
            .map(|r| format!(" by {r}"))
            .unwrap_or_default(),
        v.event
    )
}

/// The first `max` violations as a table (or a line saying there are
/// none).
pub fn table(report: &Report, max: usize) -> String {
    if report.violations.is_empty() {
        return "<p class=\"none\">No property was violated.</p>\n".to_string();
    }
    let mut out = String::from(
        "<table class=\"violations\"><thead><tr><th>tick</th><th>property</th><th>role</th>\
         <th>event</th></tr></thead><tbody>\n",
    );
    for v in report.violations.iter().take(max) {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            v.tick,
            escape(&v.property),
            escape(v.role.as_deref().unwrap_or("—")),
            escape(&v.event)
        );
    }
    out.push_str("</tbody></table>\n");
    out
}
