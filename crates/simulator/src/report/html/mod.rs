//! The HTML run report (`sim-run --html report.html`): one self-contained
//! page (inline SVG, style and script; nothing fetched) to look at a run.
//! It shows a header (scenario, seed, status, passed or failed, trace
//! digest), the network's counts and the faults, a sequence diagram with
//! its legend (`sequence.rs`, `marks.rs`), the property timeline (`properties.rs`),
//! per-role statistics and the scenario's text.
//!
//! The page is a function of the report, the timeline and the scenario's
//! text: no clock, no wall time (`wall_time_ms` is left out), no paths, so
//! the same scenario and seed give the same bytes. All text is escaped
//! (`escape.rs`).

mod escape;
mod marks;
mod properties;
mod sequence;

pub use escape::escape;
pub use marks::{MarkStyle, Shape, MARK_STYLES};

use super::timeline::{Fate, Timeline};
use super::Report;
use std::fmt::Write;

/// At most this many events are drawn by default: enough for a few
/// hundred rounds, and a page a browser opens at once.
pub const DEFAULT_MAX_EVENTS: usize = 2_000;

/// How the page is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HtmlOptions {
    /// The most events (arrows, marks, effect notes) the diagram draws,
    /// and the most violations the property timeline draws.
    pub max_events: usize,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            max_events: DEFAULT_MAX_EVENTS,
        }
    }
}

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// The page for a run: its report, its timeline (see
/// `simulate_recorded`) and the scenario's TOML text.
pub fn render(
    report: &Report,
    timeline: &Timeline,
    scenario_text: &str,
    options: &HtmlOptions,
) -> String {
    let title = format!(
        "Simulation report: {} (seed {})",
        report.scenario, report.seed
    );
    let diagram = sequence::diagram(timeline, report.rounds, options.max_events);
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body data-script=\"off\">\n",
        escape(&title)
    );
    header(&mut page, report, &title);
    page.push_str("<section id=\"diagram\">\n<h2>Sequence diagram</h2>\n");
    page.push_str(&cap_note(diagram.drawn, diagram.total, "events"));
    page.push_str(
        "<div class=\"controls\"><button type=\"button\" id=\"zoom-out\">−</button>\
         <input type=\"range\" id=\"zoom\" min=\"10\" max=\"400\" step=\"5\" value=\"100\" \
         aria-label=\"zoom\"><button type=\"button\" id=\"zoom-in\">+</button>\
         <button type=\"button\" id=\"zoom-fit\">fit width</button>\
         <button type=\"button\" id=\"zoom-reset\">100%</button>\
         <output id=\"zoom-value\">100%</output></div>\n",
    );
    page.push_str(&marks::legend());
    let _ = writeln!(
        page,
        "<div class=\"scroll\" id=\"scroll\">\n{}\n</div>",
        diagram.svg
    );
    page.push_str("</section>\n");
    page.push_str("<section id=\"property-timeline\">\n<h2>Properties</h2>\n");
    page.push_str(&cap_note(
        report.violations.len().min(options.max_events),
        report.violations.len(),
        "violations",
    ));
    let _ = writeln!(
        page,
        "<div class=\"scroll-x\">{}</div>",
        properties::timeline(report, options.max_events)
    );
    page.push_str(&properties::table(report, options.max_events));
    page.push_str("</section>\n");
    roles(&mut page, report, timeline);
    let _ = write!(
        page,
        "<section id=\"scenario\">\n<h2>Scenario</h2>\n<pre class=\"scenario\">{}</pre>\n\
         </section>\n<script>\n{SCRIPT}</script>\n</body>\n</html>\n",
        escape(scenario_text)
    );
    page
}

/// "Showing the first N of M ..." when the cap cut them, else how many.
fn cap_note(drawn: usize, total: usize, what: &str) -> String {
    if drawn < total {
        format!(
            "<p class=\"cap-note\" data-drawn=\"{drawn}\" data-total=\"{total}\">Showing the \
             first {drawn} of {total} {what} (in tick order); the rest of the run is not \
             drawn (<code>--html-max-events</code> raises the cap).</p>\n"
        )
    } else {
        format!(
            "<p class=\"count-note\" data-drawn=\"{drawn}\" data-total=\"{total}\">All \
             {total} {what} drawn.</p>\n"
        )
    }
}

fn header(page: &mut String, report: &Report, title: &str) {
    let (verdict, class) = if report.passed {
        ("PASSED", "passed")
    } else {
        ("FAILED", "failed")
    };
    let _ = writeln!(
        page,
        "<header>\n<h1>{}</h1>\n<p class=\"verdict {class}\" id=\"verdict\">{verdict}</p>",
        escape(title)
    );
    page.push_str("<dl class=\"summary\">\n");
    let rows = [
        ("scenario", report.scenario.clone()),
        ("seed", report.seed.to_string()),
        ("status", report.status.clone()),
        ("result", verdict.to_lowercase()),
        ("rounds", report.rounds.to_string()),
        ("ticks", report.ticks.to_string()),
        ("steps", report.steps.to_string()),
        ("trace digest", report.trace_digest.clone()),
        ("trace events", report.trace_events.to_string()),
    ];
    for (key, value) in rows {
        let _ = writeln!(page, "<dt>{key}</dt><dd>{}</dd>", escape(&value));
    }
    page.push_str("</dl>\n");
    if let Some(e) = &report.machine_error {
        let _ = writeln!(
            page,
            "<p class=\"machine-error\">machine error: {}</p>",
            escape(e)
        );
    }
    let n = &report.network;
    page.push_str("<table class=\"network\"><thead><tr>");
    let counts = [
        ("sent", n.sent),
        ("delivered", n.delivered),
        ("lost", n.lost),
        ("duplicated", n.duplicated),
        ("corrupted", n.corrupted),
        ("reordered", n.reordered),
        ("withheld", n.withheld),
        ("delayed", n.delayed),
        ("held", n.held),
        ("discarded", n.discarded),
        ("in flight at end", n.in_flight_at_end),
    ];
    for (key, _) in counts {
        let _ = write!(page, "<th>{key}</th>");
    }
    page.push_str("</tr></thead><tbody><tr>");
    for (_, value) in counts {
        let _ = write!(page, "<td>{value}</td>");
    }
    page.push_str("</tr></tbody></table>\n");
    if !report.faults.is_empty() {
        page.push_str(
            "<table class=\"faults\"><thead><tr><th>fault</th><th>action</th><th>fired</th>\
             <th>at ticks</th></tr></thead><tbody>\n",
        );
        for f in &report.faults {
            let ticks: Vec<String> = f.fired_at.iter().map(u64::to_string).collect();
            let _ = writeln!(
                page,
                "<tr><td>#{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                f.index,
                escape(&f.action),
                if f.fired { "yes" } else { "never" },
                ticks.join(", ")
            );
        }
        page.push_str("</tbody></table>\n");
    }
    let lists = [
        (
            "warnings",
            report
                .warnings
                .iter()
                .map(|w| escape(w))
                .collect::<Vec<_>>(),
        ),
        (
            "contracts",
            report
                .contracts
                .iter()
                .map(|c| {
                    let state = if c.holds { "holds" } else { "fails" };
                    let why = c
                        .detail
                        .as_ref()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default();
                    escape(&format!("{} {state}{why}", c.contract))
                })
                .collect(),
        ),
    ];
    for (class, items) in lists {
        if items.is_empty() {
            continue;
        }
        let _ = write!(page, "<ul class=\"{class}\">");
        for item in items {
            let _ = write!(page, "<li>{item}</li>");
        }
        page.push_str("</ul>\n");
    }
    page.push_str("</header>\n");
}

/// Per-role statistics: the report's progress and status, with the
/// timeline's message counts.
fn roles(page: &mut String, report: &Report, timeline: &Timeline) {
    page.push_str(
        "<section id=\"roles\">\n<h2>Per-role statistics</h2>\n<table class=\"roles\"><thead>\
         <tr><th>role</th><th>status</th><th>sent</th><th>received</th><th>lost</th>\
         <th>effect calls</th><th>progress events</th><th>last progress</th><th>crashed</th>\
         <th>byzantine</th></tr></thead><tbody>\n",
    );
    for r in &report.roles {
        let index = timeline.roles.iter().position(|n| *n == r.role);
        let count = |f: &dyn Fn(&crate::report::timeline::MessageRecord, usize) -> bool| {
            index.map_or(0, |i| timeline.messages.iter().filter(|m| f(m, i)).count())
        };
        let sent = count(&|m, i| m.from == i && !m.duplicate);
        let received = count(&|m, i| m.to == i && matches!(m.fate, Fate::Delivered { .. }));
        let lost = count(&|m, i| m.from == i && matches!(m.fate, Fate::Lost { .. }));
        let effects = index.map_or(0, |i| {
            timeline.effects.iter().filter(|e| e.role == i).count()
        });
        let byzantine = report
            .byzantine
            .iter()
            .find(|b| b.role == r.role)
            .map(|b| match &b.injections {
                Some(i) => format!(
                    "{} ({} injected: {} rejected, {} accepted, {} unread)",
                    b.strategy, i.injected, i.rejected, i.accepted, i.unread
                ),
                None => format!("{} ({} lies)", b.strategy, b.lies),
            })
            .unwrap_or_default();
        let _ = writeln!(
            page,
            "<tr data-role=\"{}\"><td>{}</td><td>{}</td><td>{sent}</td><td>{received}</td>\
             <td>{lost}</td><td>{effects}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&r.role),
            escape(&r.role),
            escape(&r.status),
            r.progress_events,
            r.last_progress_tick
                .map_or_else(|| "—".to_string(), |t| t.to_string()),
            if r.crashed { "yes" } else { "no" },
            escape(&byzantine)
        );
    }
    page.push_str("</tbody></table>\n</section>\n");
}

#[cfg(test)]
mod tests;
