//! How the REPL shows what an entry did: the definitions it made, echoed one per line
//! (`fn fact(n)`, `let x = 5`), and its value, cut to a screen unless `:set print full`.
//!
//! A value is printed whole up to a screenful of characters (the terminal's width times
//! its height less two lines; 80 by 24 when the size is unknown); past that it is cut, and a
//! note says how much was left out. An echoed definition's value is cut to the rest of its
//! one line.

use kont::definitions::Definition;
use kont::runtime::ErrorKind;
use kont::{Session, Shown};

use super::colour::Palette;

/// The terminal's size, in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Screen {
    /// Columns.
    pub cols: usize,
    /// Rows.
    pub rows: usize,
}

impl Screen {
    /// The size assumed when the terminal does not say.
    pub const DEFAULT: Screen = Screen { cols: 80, rows: 24 };

    /// How many characters of a value fit on the screen, leaving two lines (the note and
    /// the next prompt); never fewer than 80.
    fn chars(self) -> usize {
        (self.cols * self.rows.saturating_sub(2)).max(80)
    }
}

/// The first `limit` characters of `text` and how many were left out (0 if none were).
fn cut(text: &str, limit: usize) -> (&str, usize) {
    match text.char_indices().nth(limit) {
        Some((end, _)) => (&text[..end], text[end..].chars().count()),
        None => (text, 0),
    }
}

/// A number with `,` between thousands: `698,890`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// `shown`, a value as the REPL prints it, cut to `screen` unless `full`, with its note:
/// the lines to print. When `shown` is not the whole of it, its text was longer than printing
/// makes (`print::MAX_PRINTED`): the note says how much more at least.
pub fn value(shown: &Shown, screen: Screen, full: bool, palette: Palette) -> String {
    let (kept, left) = if full {
        (shown.text.as_str(), 0)
    } else {
        cut(&shown.text, screen.chars())
    };
    if left == 0 && shown.whole {
        return format!("{kept}\n");
    }
    let at_least = if shown.whole { "" } else { "more than " };
    let note = format!(
        "({at_least}{} more characters not shown; :set print full shows everything)",
        grouped(left)
    );
    format!("{kept}…\n{}\n", palette.dim(&note))
}

/// The line echoing `def`, which the last entry of `session` made: `fn f(a, b)`,
/// `let x = 5` (its value cut to the line), `var n = 0`, `effect Ask(question)`; the error
/// `interrupted` if Ctrl-C stops printing its value.
pub fn definition(
    def: &Definition,
    session: &Session,
    screen: Screen,
    palette: Palette,
) -> Result<String, ErrorKind> {
    let line = match def {
        Definition::Fn { name, params } => format!("fn {name}({})", params.join(", ")),
        Definition::Effect { name, params } => format!("effect {name}({})", params.join(", ")),
        Definition::Let { name, mutable } => {
            let keyword = keyword(*mutable);
            let head = format!("{keyword} {name} = ");
            match session.global_value(name) {
                Some(v) => {
                    let room = screen.cols.saturating_sub(head.chars().count() + 2).max(10);
                    // Only what the line shows is printed (4 bytes a character at most).
                    let shown = session.show_value(&v, room * 4)?;
                    let (kept, left) = cut(&shown.text, room);
                    let more = left > 0 || !shown.whole;
                    format!("{head}{kept}{}", if more { "…" } else { "" })
                }
                None => format!("{keyword} {name}"),
            }
        }
    };
    Ok(format!("{}\n", palette.dim(&line)))
}

/// The report of an error printing a value: `error: MESSAGE`, and its hint.
pub fn error(e: &ErrorKind) -> String {
    match e.hint() {
        Some(hint) => format!("error: {e}\n  = hint: {hint}\n"),
        None => format!("error: {e}\n"),
    }
}

/// The keyword of a top-level binding: `var` or `let`.
fn keyword(mutable: bool) -> &'static str {
    if mutable { "var" } else { "let" }
}

/// The line `:load FILE` prints after the file ran: what it defined, by kind and name
/// (`lib.kont defined fn triple, let loaded`), cut to the screen's width; none if it
/// defined nothing.
pub fn loaded(file: &str, defs: &[Definition], screen: Screen, palette: Palette) -> Option<String> {
    if defs.is_empty() {
        return None;
    }
    let names: Vec<String> = defs
        .iter()
        .map(|d| match d {
            Definition::Fn { name, .. } => format!("fn {name}"),
            Definition::Let { name, mutable } => format!("{} {name}", keyword(*mutable)),
            Definition::Effect { name, .. } => format!("effect {name}"),
        })
        .collect();
    let line = format!("{file} defined {}", names.join(", "));
    let (kept, left) = cut(&line, screen.cols.saturating_sub(1).max(20));
    let more = if left > 0 { "…" } else { "" };
    Some(format!("{}\n", palette.dim(&format!("{kept}{more}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No colour.
    const PLAIN: Palette = Palette::PLAIN;

    /// `text` shown whole, or not (`whole`).
    fn shown(text: &str, whole: bool) -> Shown {
        Shown {
            text: text.to_string(),
            whole,
        }
    }

    #[test]
    fn a_value_that_fits_on_the_screen_is_printed_whole() {
        let screen = Screen { cols: 10, rows: 12 };
        let text = "x".repeat(100);
        assert_eq!(
            value(&shown(&text, true), screen, false, PLAIN),
            format!("{text}\n")
        );
    }

    #[test]
    fn a_longer_value_is_cut_with_a_note_of_what_was_left_out() {
        let screen = Screen { cols: 10, rows: 12 };
        let text = "é".repeat(1_234);
        let printed = value(&shown(&text, true), screen, false, PLAIN);
        assert_eq!(
            printed,
            format!(
                "{}…\n(1,134 more characters not shown; :set print full shows everything)\n",
                "é".repeat(100)
            )
        );
        assert_eq!(
            value(&shown(&text, true), screen, true, PLAIN),
            format!("{text}\n")
        );
    }

    #[test]
    fn a_value_printed_in_part_says_at_least_how_much_was_left_out() {
        let screen = Screen { cols: 10, rows: 12 };
        let text = "x".repeat(1_100);
        assert_eq!(
            value(&shown(&text, false), screen, false, PLAIN),
            format!(
                "{}…\n(more than 1,000 more characters not shown; :set print full shows everything)\n",
                "x".repeat(100)
            )
        );
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(7), "7");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(698_890), "698,890");
        assert_eq!(grouped(12_345_678), "12,345,678");
    }
}
