//! Error reports: compile and runtime errors rendered with source snippets.
//!
//! One [`SourceMap`] per session holds every source text (a script, an `-e` string, each REPL
//! entry) so that spans, which are byte ranges, can be turned into `FILE:LINE:COLUMN` and a
//! snippet with a caret, by `codespan-reporting`.

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::{Files, SimpleFiles};
use codespan_reporting::term;

use crate::runtime::TraceFrame;
use crate::syntax::ast::Span;

/// Every source text of a session, by id.
#[derive(Default)]
pub struct SourceMap {
    /// The texts and their display names; a text's id is its index here.
    files: SimpleFiles<String, String>,
}

impl SourceMap {
    /// Adds a source text under a display name; returns its id.
    pub fn add(&mut self, name: &str, text: &str) -> u32 {
        self.files.add(name.to_string(), text.to_string()) as u32
    }

    /// `span` as a byte range of source `source`, clamped to that text (empty when there is
    /// no such source).
    fn clamp(&self, source: u32, span: Span) -> std::ops::Range<usize> {
        let len = self
            .files
            .get(source as usize)
            .map_or(0, |f| f.source().len());
        let start = (span.start as usize).min(len);
        start..(span.end as usize).clamp(start, len)
    }

    /// `FILE:LINE:COLUMN` (1-based) of a byte offset.
    pub fn location(&self, source: u32, offset: u32) -> String {
        let id = source as usize;
        let name = self
            .files
            .name(id)
            .map(|n| n.to_string())
            .unwrap_or_default();
        let start = self
            .clamp(
                source,
                Span {
                    start: offset,
                    end: offset,
                },
            )
            .start;
        match self.files.location(id, start) {
            Ok(loc) => format!("{name}:{}:{}", loc.line_number, loc.column_number),
            Err(_) => name,
        }
    }

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
        let mut out = term::emit_into_string(&term::Config::default(), &self.files, &d)
            .unwrap_or_else(|_| format!("error: {message}\n"));
        if !trace.is_empty() {
            out.push_str("backtrace (innermost first):\n");
            let lines: Vec<String> = trace.iter().map(|f| self.trace_line(f)).collect();
            for line in collapse(&lines) {
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

/// Shortens a backtrace for reading: a run of identical lines (deep recursion) becomes the
/// line and a count, and a backtrace still too long keeps its two ends.
fn collapse(lines: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let run = lines[i..].iter().take_while(|l| **l == lines[i]).count();
        out.push(lines[i].clone());
        if run > 1 {
            out.push(format!(
                "  ... the line above repeats {} more times",
                run - 1
            ));
        }
        i += run;
    }
    if out.len() > MAX_TRACE_LINES {
        let half = MAX_TRACE_LINES / 2;
        let omitted = out.len() - 2 * half;
        let tail = out.split_off(out.len() - half);
        out.truncate(half);
        out.push(format!("  ... {omitted} lines omitted ..."));
        out.extend(tail);
    }
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
        let mut lines = vec!["  at f (x:1:1)".to_string(); 1000];
        lines.push("  at <main> (x:2:1)".to_string());
        let out = collapse(&lines);
        assert_eq!(out.len(), 3, "{out:?}");
        assert!(out[1].contains("repeats 999 more times"));
        let many: Vec<String> = (0..100).map(|i| format!("  at f{i} (x:1:1)")).collect();
        let out = collapse(&many);
        assert_eq!(out.len(), MAX_TRACE_LINES + 1);
        assert!(out.iter().any(|l| l.contains("60 lines omitted")));
    }

    #[test]
    fn out_of_range_spans_are_clamped() {
        let mut map = SourceMap::default();
        let id = map.add("x", "abc");
        let text = map.render("oops", id, Span::new(10, 20), None, &[]);
        assert!(text.contains("error: oops"));
    }
}
