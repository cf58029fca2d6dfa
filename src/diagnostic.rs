//! Error reports: compile and runtime errors rendered with source snippets.
//!
//! The session's [`SourceMap`] (`src/source_map.rs`) holds every source text; this module
//! renders a report from it, by `codespan-reporting`: the message, `FILE:LINE:COLUMN`, the
//! line with a caret, a hint, and a backtrace shortened for reading.

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::term;

use crate::runtime::TraceFrame;
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
        let mut d = Diagnostic::error()
            .with_message(message)
            .with_labels(vec![Label::primary(
                source as usize,
                self.clamp(source, span),
            )]);
        if let Some(h) = hint {
            d = d.with_notes(vec![format!("hint: {h}")]);
        }
        let mut out = term::emit_into_string(&term::Config::default(), self.files(), &d)
            .unwrap_or_else(|_| format!("error: {message}\n"));
        if !trace.is_empty() {
            out.push_str("backtrace (innermost first):\n");
            for line in collapse(&runs(trace), |f| self.trace_line(f)) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        out
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
    fn out_of_range_spans_are_clamped() {
        let mut map = SourceMap::default();
        let id = map.add("x", "abc");
        let text = map.render("oops", id, Span::new(10, 20), None, &[]);
        assert!(text.contains("error: oops"));
    }
}
