//! Strings: immutable UTF-8 text that knows how many characters it has.
//!
//! [`Value::Str`] holds an `Rc<Str>` (a thin pointer, so `Value` stays 16 bytes). The
//! language counts positions and lengths in Unicode scalar values, so a [`Str`] records its
//! number of characters when it is made, which costs one pass over text that was just
//! written anyway: `len(s)` is then O(1) for every string, and a string with as many
//! characters as bytes is ASCII, where `s[i]` is byte `i` (O(1)). On other strings `s[i]`
//! walks to the character (O(i)).
//!
//! Invariant: `chars` is the number of `char`s of `text`. Every `Str` is made by
//! [`Str::new`], the only constructor, which counts them; the text is never changed after.
//!
//! One-character ASCII strings, which indexing and `chars` make one per character, are
//! shared: [`char_value`] hands out one string per ASCII character and thread instead of
//! allocating a new one each time.

use std::rc::Rc;

use crate::runtime::value::Value;

/// An immutable string and its length in characters. Reads of the text go through
/// `Deref<Target = str>`.
pub struct Str {
    /// The text.
    text: String,
    /// How many `char`s `text` has.
    chars: usize,
}

impl Str {
    /// The string of `text`, its characters counted.
    pub fn new(text: String) -> Str {
        let chars = text.chars().count();
        Str { text, chars }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// How many characters (Unicode scalar values) the string has: O(1).
    pub fn char_count(&self) -> usize {
        self.chars
    }

    /// Whether every character is ASCII (one byte each): O(1).
    pub fn is_ascii(&self) -> bool {
        self.chars == self.text.len()
    }

    /// The character at position `i` (counting characters), if there is one: O(1) on an
    /// ASCII string, O(i) on another.
    pub fn char_at(&self, i: usize) -> Option<char> {
        if self.is_ascii() {
            self.text.as_bytes().get(i).map(|&b| char::from(b))
        } else {
            self.text.chars().nth(i)
        }
    }
}

impl std::ops::Deref for Str {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl PartialEq for Str {
    fn eq(&self, other: &Str) -> bool {
        self.text == other.text
    }
}

thread_local! {
    /// The one-character strings of the 128 ASCII characters, indexed by their code.
    static ASCII_CHARS: Vec<Rc<Str>> = (0..128u8)
        .map(|b| Rc::new(Str::new(char::from(b).to_string())))
        .collect();
}

/// The one-character string of `c`: for an ASCII character, one shared string per thread
/// (no allocation); for another, a new one.
pub fn char_value(c: char) -> Value {
    if c.is_ascii() {
        ASCII_CHARS.with(|chars| Value::Str(chars[c as usize].clone()))
    } else {
        Value::str(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_counts_its_characters_once() {
        let ascii = Str::new("hello".to_string());
        assert_eq!(ascii.char_count(), 5);
        assert!(ascii.is_ascii());
        let accented = Str::new("héllo😀".to_string());
        assert_eq!(accented.char_count(), 6);
        assert_eq!(accented.len(), 10);
        assert!(!accented.is_ascii());
        let empty = Str::new(String::new());
        assert_eq!(empty.char_count(), 0);
        assert!(empty.is_ascii());
    }

    #[test]
    fn char_at_counts_characters_not_bytes() {
        let s = Str::new("a日😀b".to_string());
        let got: Vec<Option<char>> = (0..5).map(|i| s.char_at(i)).collect();
        assert_eq!(got, [Some('a'), Some('日'), Some('😀'), Some('b'), None]);
        let ascii = Str::new("xyz".to_string());
        assert_eq!(ascii.char_at(2), Some('z'));
        assert_eq!(ascii.char_at(3), None);
        assert_eq!(ascii.char_at(usize::MAX), None);
    }

    #[test]
    fn ascii_characters_are_shared_and_others_made() {
        let (a, b) = (char_value('q'), char_value('q'));
        match (&a, &b) {
            (Value::Str(x), Value::Str(y)) => {
                assert!(Rc::ptr_eq(x, y));
                assert_eq!(x.as_str(), "q");
                assert_eq!(x.char_count(), 1);
            }
            _ => panic!("not strings"),
        }
        match char_value('é') {
            Value::Str(s) => assert_eq!((s.as_str(), s.char_count(), s.len()), ("é", 1, 2)),
            _ => panic!("not a string"),
        }
        match char_value('\0') {
            Value::Str(s) => assert_eq!(s.as_str(), "\0"),
            _ => panic!("not a string"),
        }
    }

    #[test]
    fn equality_is_by_text() {
        assert!(Str::new("ab".to_string()) == Str::new("ab".to_string()));
        assert!(Str::new("ab".to_string()) != Str::new("ba".to_string()));
    }
}
