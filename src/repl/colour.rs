//! Colour in the REPL's messages: the labels of error and warning reports (`error`,
//! `warning`, `hint`), the gutter of their source excerpts, and the REPL's own notes
//! (definitions echoed, values cut short), dimmed.
//!
//! On only when both standard output and standard error are terminals, `NO_COLOR` is unset
//! or empty (<https://no-color.org>) and `TERM` is not `dumb`; off, every function here
//! returns its text unchanged, so what a pipe or a test reads never holds escape codes.

use std::io::{IsTerminal, Write};

/// ANSI: bold red.
const RED: &str = "\x1b[1;31m";
/// ANSI: bold yellow.
const YELLOW: &str = "\x1b[1;33m";
/// ANSI: bold cyan.
const CYAN: &str = "\x1b[1;36m";
/// ANSI: blue.
const BLUE: &str = "\x1b[34m";
/// ANSI: dim.
const DIM: &str = "\x1b[2m";
/// ANSI: back to plain text.
const RESET: &str = "\x1b[0m";

/// Whether to colour, decided once at start-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Palette {
    /// Colour on.
    on: bool,
}

impl Palette {
    /// No colour.
    #[cfg(test)]
    pub const PLAIN: Palette = Palette { on: false };

    /// Colour if the terminal and the environment allow it (see the module doc).
    pub fn detect() -> Palette {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        let terminals = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        Palette {
            on: terminals && !no_color && !dumb,
        }
    }

    /// `text` dimmed: the REPL's own notes.
    pub fn dim(self, text: &str) -> String {
        self.paint(DIM, text)
    }

    /// `text` in `colour`, if colour is on.
    fn paint(self, colour: &str, text: &str) -> String {
        if self.on {
            format!("{colour}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    /// A report (error or warnings, several lines) with its labels and gutters coloured.
    pub fn report(self, text: &str) -> String {
        if !self.on {
            return text.to_string();
        }
        text.split_inclusive('\n').map(|l| self.line(l)).collect()
    }

    /// One line of a report, coloured: `error:`, `warning:` and `= hint:` labels, and
    /// the `┌─`/`│` gutter of a source excerpt.
    fn line(self, line: &str) -> String {
        for (label, colour) in [("error", RED), ("warning", YELLOW)] {
            if let Some(rest) = line.strip_prefix(label)
                && rest.starts_with(':')
            {
                return format!("{}{rest}", self.paint(colour, label));
            }
        }
        let indent = line.len() - line.trim_start().len();
        let (lead, body) = line.split_at(indent);
        if let Some(rest) = body.strip_prefix("= hint") {
            return format!("{lead}= {}{rest}", self.paint(CYAN, "hint"));
        }
        if let Some(end) = gutter_end(body) {
            let (gutter, rest) = body.split_at(end);
            return format!("{lead}{}{rest}", self.paint(BLUE, gutter));
        }
        line.to_string()
    }
}

/// Where the gutter of a source excerpt's line ends (`12 │ `, `│ `, `┌─ `), if `body` (the
/// line without its indentation) has one: a line number or nothing, then `│` or `┌─`.
fn gutter_end(body: &str) -> Option<usize> {
    let bar = body.find(['│', '┌'])?;
    if !body[..bar].chars().all(|c| c.is_ascii_digit() || c == ' ') {
        return None;
    }
    let after = &body[bar..];
    let mark = if after.starts_with("┌─") {
        "┌─".len()
    } else {
        '│'.len_utf8()
    };
    let spaces = after[mark..].len() - after[mark..].trim_start_matches(' ').len();
    Some(bar + mark + spaces.min(1))
}

/// Standard error through a [`Palette`]: whole lines are coloured as report lines (the
/// session writes its warnings here); a line is held until its end is written.
pub struct ColouredStderr {
    /// How to colour.
    pub palette: Palette,
    /// The start of a line not yet ended.
    pending: Vec<u8>,
}

impl ColouredStderr {
    /// Standard error, coloured by `palette`.
    pub fn new(palette: Palette) -> ColouredStderr {
        ColouredStderr {
            palette,
            pending: Vec::new(),
        }
    }
}

impl Write for ColouredStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if let Some(end) = self.pending.iter().rposition(|&b| b == b'\n') {
            let lines: Vec<u8> = self.pending.drain(..=end).collect();
            let text = String::from_utf8_lossy(&lines);
            std::io::stderr().write_all(self.palette.report(&text).as_bytes())?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            std::io::stderr().write_all(&rest)?;
        }
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "error: unknown name greetng\n   ┌─ <repl:1>:1:1\n   │\n 1 │ greetng\n   │ ^^^^^^^\n   = hint: did you mean `greeting`?\n";

    #[test]
    fn off_the_text_is_unchanged() {
        let off = Palette { on: false };
        assert_eq!(off.report(REPORT), REPORT);
        assert_eq!(off.dim("let x = 5"), "let x = 5");
    }

    #[test]
    fn on_the_labels_and_gutters_are_coloured_and_the_words_kept() {
        let on = Palette { on: true };
        let coloured = on.report(REPORT);
        assert!(coloured.starts_with("\x1b[1;31merror\x1b[0m: unknown name greetng\n"));
        assert!(coloured.contains("   = \x1b[1;36mhint\x1b[0m: did you mean"));
        assert!(coloured.contains(" \x1b[34m1 │ \x1b[0mgreetng\n"));
        assert!(
            on.report(" 1 │ 42 + x\n")
                .contains("\x1b[34m1 │ \x1b[0m42 + x")
        );
        let plain: String = strip(&coloured);
        assert_eq!(plain, REPORT);
        assert!(
            on.report("warning: unused `x`\n")
                .starts_with("\x1b[1;33mwarning\x1b[0m:")
        );
    }

    /// `text` without its escape sequences.
    fn strip(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}
