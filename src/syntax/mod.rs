//! The front end: source text to [`ast::Program`].
//!
//! `lexer` turns text into tokens with `logos`; `parser` runs the LALRPOP grammar in
//! `grammar/kont.lalrpop` over them and maps its errors to [`ParseError`]s, whose words
//! are the catalogue `error`'s; `brackets` finds the bracket an unfinished input left
//! open, where such an error is reported.

pub mod ast;
mod brackets;
pub mod error;
pub mod lexer;
pub mod parser;

pub use error::ParseError;
pub use parser::parse_program;
