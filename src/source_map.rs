//! Every source text of a session, by id: what turns a span, a byte range of one source, into
//! `FILE:LINE:COLUMN`.
//!
//! A leaf module, like [`crate::span`]: the runtime names the place of a printed continuation
//! with it (the VM holds the session's [`SourceMap`]), the diagnostics render error reports
//! with it (`src/diagnostic.rs`), and neither depends on the other for that. One map per
//! session holds the script, an `-e` string, each REPL entry and the standard library's
//! kont source.

use codespan_reporting::files::{Files, SimpleFiles};

use crate::span::Span;

/// Every source text of a session, by id.
#[derive(Default)]
pub struct SourceMap {
    /// The texts and their display names; a text's id is its index here.
    files: SimpleFiles<String, String>,
    /// The ids of the standard library's kont source, as added ([`SourceMap::add_library`]:
    /// once, and again when a session compiles it with frame records).
    library: Vec<u32>,
}

impl SourceMap {
    /// Adds a source text under a display name; returns its id. The copy kept for showing
    /// has its ASCII control characters other than tab and line ends replaced by `?` (the
    /// same length, so spans stay valid): printed as they are, an escape sequence in a
    /// source would act on the terminal that shows the error.
    pub fn add(&mut self, name: &str, text: &str) -> u32 {
        let shown = text.replace(
            |c: char| c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r'),
            "?",
        );
        self.files.add(name.to_string(), shown) as u32
    }

    /// Adds the standard library's kont source: its locations show as `standard library`,
    /// not as lines of a text the learner did not write.
    pub fn add_library(&mut self, text: &str) -> u32 {
        let id = self.add("standard library", text);
        self.library.push(id);
        id
    }

    /// Whether `source` is the standard library's.
    pub fn is_library(&self, source: u32) -> bool {
        self.library.contains(&source)
    }

    /// The texts with their names, for rendering reports (`codespan-reporting`'s file
    /// database, indexed by source id).
    pub fn files(&self) -> &SimpleFiles<String, String> {
        &self.files
    }

    /// The text of source `source`, as kept for showing (empty when there is no such
    /// source).
    pub fn text(&self, source: u32) -> &str {
        self.files
            .get(source as usize)
            .map_or("", |f| f.source().as_str())
    }

    /// `span` as a byte range of source `source`, clamped to that text (empty when there is
    /// no such source).
    pub fn clamp(&self, source: u32, span: Span) -> std::ops::Range<usize> {
        let len = self
            .files
            .get(source as usize)
            .map_or(0, |f| f.source().len());
        let start = (span.start as usize).min(len);
        start..(span.end as usize).clamp(start, len)
    }

    /// `FILE:LINE:COLUMN` (1-based; the column counts characters) of a byte offset;
    /// `standard library` in the library.
    pub fn location(&self, source: u32, offset: u32) -> String {
        if self.is_library(source) {
            return "standard library".to_string();
        }
        let name = self.name(source);
        match self.line_column(source, offset) {
            Some((line, column)) => format!("{name}:{line}:{column}"),
            None => name,
        }
    }

    /// The display name of source `source` (empty when there is no such source).
    pub fn name(&self, source: u32) -> String {
        self.files
            .name(source as usize)
            .map(|n| n.to_string())
            .unwrap_or_default()
    }

    /// The line and column (1-based; the column counts characters) of a byte offset of
    /// source `source`, clamped to its text; `None` when there is no such source.
    pub fn line_column(&self, source: u32, offset: u32) -> Option<(usize, usize)> {
        let at = Span {
            start: offset,
            end: offset,
        };
        let start = self.clamp(source, at).start;
        let loc = self.files.location(source as usize, start).ok()?;
        Some((loc.line_number, loc.column_number))
    }

    /// The text of the source last added under `name`, as kept for showing (see
    /// [`SourceMap::add`]).
    pub fn text_named(&self, name: &str) -> Option<&str> {
        (0..)
            .map_while(|id| self.files.get(id).ok())
            .filter(|file| file.name() == name)
            .last()
            .map(|file| file.source().as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_count_lines_and_characters() {
        let mut map = SourceMap::default();
        let lib = map.add_library("fn f() { 1 }\n");
        let id = map.add("demo.kont", "let x = 1;\nlet é = x / 0;\n");
        assert_eq!(map.location(id, 0), "demo.kont:1:1");
        // `x / 0` on line 2, after a two-byte character: byte 20, column 9.
        assert_eq!(map.location(id, 20), "demo.kont:2:9");
        // Past the end: clamped to it.
        assert_eq!(map.location(id, 1000), "demo.kont:3:1");
        assert_eq!(map.location(lib, 3), "standard library");
        assert_eq!(map.location(7, 0), "");
        assert_eq!(map.line_column(id, 20), Some((2, 9)));
        assert_eq!(map.line_column(7, 0), None);
    }

    #[test]
    fn a_text_is_found_by_its_name_the_last_of_that_name() {
        let mut map = SourceMap::default();
        map.add("<repl>", "1");
        map.add("a.kont", "2");
        map.add("<repl>", "3");
        assert_eq!(map.text_named("<repl>"), Some("3"));
        assert_eq!(map.text_named("a.kont"), Some("2"));
        assert_eq!(map.text_named("b.kont"), None);
    }
}
