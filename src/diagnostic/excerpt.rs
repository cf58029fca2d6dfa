//! A source as an error report shows it: a line longer than [`MAX_SHOWN`] characters is
//! cut to a window around the places the report points at, with `…` where it was cut, so
//! that an error on an 11 MB line prints a few hundred bytes, not the line and a caret line
//! padded to its length. Locations (`FILE:LINE:COLUMN`) are still those of the whole text.

use std::borrow::Cow;
use std::ops::Range;

use codespan_reporting::files::{Error, Files, Location, SimpleFile};

/// The longest line, in characters, that a report shows whole.
pub const MAX_SHOWN: usize = 160;

/// How many characters of a cut line are kept before the first place shown in it.
const BEFORE: usize = 40;

/// A line cut to a window: the original byte range kept, and where the line and the
/// window start in the text shown.
struct Cut {
    /// The line's byte range in the original text (without its line end).
    line: Range<usize>,
    /// The byte range of the line kept.
    kept: Range<usize>,
    /// Where the line starts in the text shown.
    shown_at: usize,
}

impl Cut {
    /// How long the `…` before the window is (none if the window starts the line).
    fn head(&self) -> usize {
        if self.kept.start > self.line.start {
            MARK.len()
        } else {
            0
        }
    }

    /// How long the line is as shown: the window and its marks.
    fn shown_len(&self) -> usize {
        let tail = if self.kept.end < self.line.end {
            MARK.len()
        } else {
            0
        };
        self.head() + self.kept.len() + tail
    }
}

/// The text a report shows, and how its offsets map to the original's.
pub struct Excerpt<'a> {
    /// The original source, for locations.
    original: SimpleFile<&'a str, &'a str>,
    /// The text shown: the original with its long lines cut (the original itself when none
    /// is, not copied).
    shown: SimpleFile<&'a str, Cow<'a, str>>,
    /// The lines cut, in order.
    cuts: Vec<Cut>,
}

/// The ellipsis that marks where a line was cut.
const MARK: &str = "…";

impl<'a> Excerpt<'a> {
    /// `text` (named `name`) as a report pointing at the byte ranges `places` shows it.
    pub fn new(name: &'a str, text: &'a str, places: &[Range<usize>]) -> Excerpt<'a> {
        let mut shown = String::new();
        let mut cuts = Vec::new();
        let mut copied = 0;
        for line in long_lines_at(text, places) {
            let first = places
                .iter()
                .filter(|p| line.contains(&p.start) || p.start == line.end)
                .map(|p| p.start)
                .min()
                .unwrap_or(line.start);
            let kept = window(text, line.clone(), first);
            shown.push_str(&text[copied..line.start]);
            let shown_at = shown.len();
            if kept.start > line.start {
                shown.push_str(MARK);
            }
            shown.push_str(&text[kept.clone()]);
            if kept.end < line.end {
                shown.push_str(MARK);
            }
            copied = line.end;
            cuts.push(Cut {
                line,
                kept,
                shown_at,
            });
        }
        let shown = if cuts.is_empty() {
            Cow::Borrowed(text)
        } else {
            shown.push_str(&text[copied..]);
            Cow::Owned(shown)
        };
        Excerpt {
            original: SimpleFile::new(name, text),
            shown: SimpleFile::new(name, shown),
            cuts,
        }
    }

    /// Where the original byte offset `at` is in the text shown (a place cut away moves to
    /// the nearest end of its line's window).
    pub fn shown_offset(&self, at: usize) -> usize {
        let mut delta: isize = 0;
        for cut in &self.cuts {
            if at < cut.line.start {
                break;
            }
            if at <= cut.line.end {
                let inside = at.clamp(cut.kept.start, cut.kept.end) - cut.kept.start;
                return cut.shown_at + cut.head() + inside;
            }
            delta += cut.shown_len() as isize - cut.line.len() as isize;
        }
        at.saturating_add_signed(delta)
    }

    /// The original byte offset of the offset `at` of the text shown.
    fn original_offset(&self, at: usize) -> usize {
        let mut delta: isize = 0;
        for cut in &self.cuts {
            if at < cut.shown_at {
                break;
            }
            if at <= cut.shown_at + cut.shown_len() {
                let inside = at
                    .saturating_sub(cut.shown_at + cut.head())
                    .min(cut.kept.len());
                return cut.kept.start + inside;
            }
            delta += cut.line.len() as isize - cut.shown_len() as isize;
        }
        at.saturating_add_signed(delta)
    }
}

/// The byte ranges of the lines of `text` longer than [`MAX_SHOWN`] characters that hold a
/// start or an end of `places`, in order, each once.
fn long_lines_at(text: &str, places: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut lines: Vec<Range<usize>> = places
        .iter()
        .flat_map(|p| [p.start, p.end])
        .map(|at| line_around(text, at))
        .filter(|l| l.len() > MAX_SHOWN && text[l.clone()].chars().nth(MAX_SHOWN).is_some())
        .collect();
    lines.sort_by_key(|l| l.start);
    lines.dedup();
    lines
}

/// The byte range of the line of `text` that holds offset `at`, without its line end.
fn line_around(text: &str, at: usize) -> Range<usize> {
    let at = at.min(text.len());
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find(['\n', '\r']).map_or(text.len(), |i| at + i);
    start..end
}

/// The part of `line` of `text` kept: [`MAX_SHOWN`] characters from [`BEFORE`] characters
/// before `first`, on character boundaries.
fn window(text: &str, line: Range<usize>, first: usize) -> Range<usize> {
    let before: Vec<usize> = text[line.start..first.clamp(line.start, line.end)]
        .char_indices()
        .map(|(i, _)| line.start + i)
        .collect();
    let start = before
        .len()
        .checked_sub(BEFORE)
        .map_or(line.start, |i| before[i]);
    let end = text[start..line.end]
        .char_indices()
        .nth(MAX_SHOWN)
        .map_or(line.end, |(i, _)| start + i);
    start..end
}

impl<'a> Files<'a> for Excerpt<'a> {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, (): ()) -> Result<&'a str, Error> {
        Ok(*self.shown.name())
    }

    fn source(&'a self, (): ()) -> Result<&'a str, Error> {
        Ok(self.shown.source())
    }

    fn line_index(&'a self, (): (), byte_index: usize) -> Result<usize, Error> {
        self.shown.line_index((), byte_index)
    }

    fn line_range(&'a self, (): (), line_index: usize) -> Result<Range<usize>, Error> {
        self.shown.line_range((), line_index)
    }

    /// The location in the original text: the column of a place in a cut line counts the
    /// characters cut away.
    fn location(&'a self, (): (), byte_index: usize) -> Result<Location, Error> {
        self.original.location((), self.original_offset(byte_index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_are_shown_whole() {
        let text = "let x = 1;\nprintln(y)\n";
        let e = Excerpt::new("t", text, std::slice::from_ref(&(19..20)));
        assert_eq!(e.shown.source(), text);
        assert_eq!(e.shown_offset(19), 19);
        assert_eq!(e.location((), 19).unwrap().column_number, 9);
    }

    #[test]
    fn a_long_line_is_cut_around_the_place_and_locations_stay_whole() {
        let long = format!("let a = [{}];", "1, ".repeat(10_000));
        let text = format!("first\n{long} nope\nlast\n");
        let at = text.find("nope").unwrap();
        let e = Excerpt::new("t", &text, std::slice::from_ref(&(at..at + 4)));
        let shown = e.shown.source();
        assert!(shown.len() < 400, "{shown}");
        assert!(shown.starts_with("first\n…"), "{shown}");
        assert!(shown.ends_with("nope\nlast\n"), "{shown}");
        let s = e.shown_offset(at);
        assert_eq!(&shown[s..s + 4], "nope");
        let loc = e.location((), s).unwrap();
        assert_eq!(loc.line_number, 2);
        assert_eq!(loc.column_number, long.chars().count() + 2);
        // After the cut line, offsets shift by what was cut.
        let last = text.find("last").unwrap();
        assert_eq!(
            &shown[e.shown_offset(last)..e.shown_offset(last) + 4],
            "last"
        );
    }

    #[test]
    fn a_place_at_the_start_of_a_long_line_keeps_its_start_and_cuts_the_end() {
        let text = format!("{}x\n", "é".repeat(1_000));
        let e = Excerpt::new("t", &text, std::slice::from_ref(&(0..2)));
        let shown = e.shown.source();
        assert!(shown.starts_with('é') && shown.ends_with("…\n"), "{shown}");
        assert_eq!(shown.chars().count(), MAX_SHOWN + 2);
        assert_eq!(e.location((), e.shown_offset(0)).unwrap().column_number, 1);
    }
}
