//! Error reports: compile and runtime errors (and warnings) rendered with source snippets.
//!
//! The session's [`SourceMap`] (`src/source_map.rs`) holds every source text; this module
//! renders a report from it, by `codespan-reporting`: the message, `FILE:LINE:COLUMN`, the
//! line with a caret (a line too long to show whole is cut around it:
//! `diagnostic/excerpt.rs`), a hint, and a backtrace shortened for reading.

mod excerpt;

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::term;
use excerpt::Excerpt;

use crate::runtime::{Suspended, TraceFrame};
use crate::source_map::SourceMap;
use crate::span::Span;

/// Rendering, next to the source texts it reads.
impl SourceMap {
    /// Renders an error at `span` of `source`, with an optional hint and backtrace.
    pub fn render(
        &self,
        message: &str,
        source: u32,
        span: Span,
        hint: Option<&str>,
        trace: &[TraceFrame],
    ) -> String {
        let report = Report {
            hint,
            ..Report::error(message, source, span)
        };
        let mut out = self.render_report(&report);
        out.push_str(&self.render_backtrace(trace));
        out
    }

    /// Renders a backtrace, if it has frames: `backtrace (innermost first):` and its lines,
    /// shortened for reading.
    pub fn render_backtrace(&self, trace: &[TraceFrame]) -> String {
        let mut out = String::new();
        if !trace.is_empty() {
            out.push_str("backtrace (innermost first):\n");
            for line in collapse(&runs(trace), |f| self.trace_line(f)) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        out
    }

    /// The lines of a backtrace of `trace`, shortened as an error's is, without their
    /// indentation: what `backtrace(k)` returns.
    pub fn backtrace_lines(&self, trace: &[TraceFrame]) -> Vec<String> {
        collapse(&runs(trace), |f| self.trace_line(f))
            .into_iter()
            .map(|line| line.trim_start().to_string())
            .collect()
    }

    /// Renders the frames of the suspended computations a runtime error ended, between its
    /// snippet and its backtrace: for each, `the suspended computation (OP) was at:` and its frames, as
    /// backtrace lines, innermost first (shortened as a backtrace is).
    pub fn render_suspended(&self, suspended: &[Suspended]) -> String {
        let mut out = String::new();
        for computation in suspended {
            out.push_str(&format!(
                "the suspended computation ({}) was at:\n",
                computation.operation
            ));
            for line in collapse(&runs(&computation.trace), |f| self.trace_line(f)) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        out
    }

    /// Renders `report`: `error: MESSAGE` or `warning: MESSAGE`, the location, the source
    /// line with a caret under the span (and under each secondary span, with its label),
    /// and the hint.
    pub fn render_report(&self, report: &Report) -> String {
        let severity = match report.severity {
            Severity::Error => codespan_reporting::diagnostic::Severity::Error,
            Severity::Warning => codespan_reporting::diagnostic::Severity::Warning,
        };
        let source = report.source;
        let places: Vec<std::ops::Range<usize>> = std::iter::once(report.span)
            .chain(report.secondary.iter().map(|(span, _)| *span))
            .map(|span| self.clamp(source, span))
            .collect();
        let name = self.name(source);
        let text = self.text(source);
        let excerpt = Excerpt::new(&name, text, &places);
        let shown =
            |r: &std::ops::Range<usize>| excerpt.shown_offset(r.start)..excerpt.shown_offset(r.end);
        let primary = Label::primary((), shown(&places[0]));
        let secondary = report
            .secondary
            .iter()
            .zip(&places[1..])
            .map(|((_, text), place)| Label::secondary((), shown(place)).with_message(text));
        let mut d = Diagnostic::new(severity)
            .with_message(report.message)
            .with_labels(std::iter::once(primary).chain(secondary).collect());
        if let Some(h) = report.hint {
            d = d.with_notes(vec![format!("hint: {h}")]);
        }
        term::emit_into_string(&term::Config::default(), &excerpt, &d)
            .unwrap_or_else(|_| format!("{}: {}\n", report.severity, report.message))
    }

    /// The line of a stack trace for `frame`: where a function was called, or where a
    /// continuation was resumed.
    fn trace_line(&self, frame: &TraceFrame) -> String {
        match frame {
            TraceFrame::Call { name, source, span } => {
                format!("  at {name} ({})", self.location(*source, span.start))
            }
            TraceFrame::Resumed { source, span } => {
                format!(
                    "  --- continuation resumed at {} ---",
                    self.location(*source, span.start)
                )
            }
        }
    }
}

/// How serious a report is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The program does not run (or stopped): `error: …`.
    Error,
    /// The program runs, but something in it looks wrong: `warning: …`.
    Warning,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// What one report shows, for [`SourceMap::render_report`]: a message at a span of one
/// source, other places of the same source with a label each, and a hint.
pub struct Report<'a> {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub message: &'a str,
    /// The source the spans are in.
    pub source: u32,
    /// Where: the location printed, and the caret.
    pub span: Span,
    /// Other places that explain it, each with its label.
    pub secondary: &'a [(Span, String)],
    /// How to fix it.
    pub hint: Option<&'a str>,
}

impl<'a> Report<'a> {
    /// An error with `message` at `span` of `source`, nothing else.
    pub fn error(message: &'a str, source: u32, span: Span) -> Report<'a> {
        Report {
            severity: Severity::Error,
            message,
            source,
            span,
            secondary: &[],
            hint: None,
        }
    }
}

/// Most backtrace lines shown; the middle of a longer backtrace is elided.
const MAX_TRACE_LINES: usize = 40;

/// The frames of a backtrace as runs of frames that show as the same line (deep recursion
/// repeats one), each with its length: millions of frames, formatted one by one, took
/// minutes (a location costs time in proportion to its column).
fn runs(trace: &[TraceFrame]) -> Vec<(&TraceFrame, usize)> {
    let mut runs: Vec<(&TraceFrame, usize)> = Vec::new();
    for frame in trace {
        match runs.last_mut() {
            Some((last, n)) if same_line(last, frame) => *n += 1,
            _ => runs.push((frame, 1)),
        }
    }
    runs
}

/// Whether two frames show as the same backtrace line (see [`shown_as`]).
fn same_line(a: &TraceFrame, b: &TraceFrame) -> bool {
    shown_as(a) == shown_as(b)
}

/// What a frame's backtrace line shows: the function's name (none where a continuation was
/// resumed), the source, and where the span starts.
fn shown_as(frame: &TraceFrame) -> (Option<&str>, u32, u32) {
    match frame {
        TraceFrame::Call { name, source, span } => (Some(name), *source, span.start),
        TraceFrame::Resumed { source, span } => (None, *source, span.start),
    }
}

/// One line of a shortened backtrace: a run's line, or the count of its repeats.
enum Shown {
    /// The line of run `i`.
    Line(usize),
    /// How many more times run `i`'s line repeats.
    Repeats(usize),
}

/// Shortens a backtrace for reading: a run of frames that show as the same line (deep
/// recursion) becomes the line and a count, and a backtrace still too long keeps its two
/// ends. `line` formats a run's line, and is called only for the lines shown.
fn collapse<T>(runs: &[(T, usize)], line: impl Fn(&T) -> String) -> Vec<String> {
    let shown: Vec<Shown> = runs
        .iter()
        .enumerate()
        .flat_map(|(i, (_, n))| {
            std::iter::once(Shown::Line(i)).chain((*n > 1).then_some(Shown::Repeats(i)))
        })
        .collect();
    let text = |s: &Shown| match *s {
        Shown::Line(i) => line(&runs[i].0),
        Shown::Repeats(i) => format!("  ... the line above repeats {} more times", runs[i].1 - 1),
    };
    if shown.len() <= MAX_TRACE_LINES {
        return shown.iter().map(text).collect();
    }
    let half = MAX_TRACE_LINES / 2;
    let omitted = shown.len() - 2 * half;
    let mut out: Vec<String> = shown[..half].iter().map(text).collect();
    out.push(format!("  ... {omitted} lines omitted ..."));
    out.extend(shown[shown.len() - half..].iter().map(text));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_snippet_and_hint() {
        let mut map = SourceMap::default();
        let id = map.add("demo.kont", "let x = 1;\nlet y = x / 0;\n");
        let text = map.render(
            "division by zero",
            id,
            Span::new(19, 24),
            Some("check the divisor"),
            &[],
        );
        assert!(text.starts_with("error: division by zero"), "{text}");
        assert!(text.contains("demo.kont:2:9"), "{text}");
        assert!(text.contains("let y = x / 0;"), "{text}");
        assert!(text.contains("^^^^^"), "{text}");
        assert!(text.contains("hint: check the divisor"), "{text}");
    }

    #[test]
    fn deep_recursion_backtraces_are_collapsed() {
        let frame = |name: &str, start: usize| TraceFrame::Call {
            name: name.into(),
            source: 0,
            span: Span::new(start, start + 1),
        };
        let mut trace = vec![frame("f", 0); 1000];
        trace.push(frame("<main>", 5));
        let lines = |f: &&TraceFrame| format!("{f:?}");
        let out = collapse(&runs(&trace), lines);
        assert_eq!(out.len(), 3, "{out:?}");
        assert!(out[1].contains("repeats 999 more times"));
        let many: Vec<TraceFrame> = (0..100).map(|i| frame("f", i)).collect();
        let out = collapse(&runs(&many), lines);
        assert_eq!(out.len(), MAX_TRACE_LINES + 1);
        assert!(out.iter().any(|l| l.contains("60 lines omitted")));
        // Only the lines shown are formatted.
        let formatted = std::cell::Cell::new(0);
        collapse(&runs(&many), |f| {
            formatted.set(formatted.get() + 1);
            lines(f)
        });
        assert_eq!(formatted.get(), MAX_TRACE_LINES);
    }

    #[test]
    fn an_error_on_a_long_line_shows_a_window_of_it() {
        let mut map = SourceMap::default();
        let line = format!("let a = [{}]; nope", "1, ".repeat(1_000_000));
        let id = map.add("long.kont", &line);
        let at = line.find("nope").unwrap();
        let text = map.render("unknown name nope", id, Span::new(at, at + 4), None, &[]);
        assert!(text.len() < 1_000, "{} bytes", text.len());
        assert!(text.contains("┌─ long.kont:1:3000013"), "{text}");
        assert!(
            text.contains("… 1, 1, 1,") && text.contains("]; nope\n"),
            "{text}"
        );
        let caret = text.lines().find(|l| l.contains('^')).unwrap();
        assert_eq!(
            caret.trim_end().len() - caret.trim_end().trim_end_matches('^').len(),
            4
        );
    }

    #[test]
    fn out_of_range_spans_are_clamped() {
        let mut map = SourceMap::default();
        let id = map.add("x", "abc");
        let text = map.render("oops", id, Span::new(10, 20), None, &[]);
        assert!(text.contains("error: oops"));
    }
}
