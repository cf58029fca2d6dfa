//! The front end: source text to [`ast::Program`].
//!
//! `lexer` turns text into tokens with `logos`; `parser` runs the LALRPOP grammar in
//! `grammar/kont.lalrpop` over them and maps its errors to [`ParseError`]s.

pub mod ast;
pub mod lexer;
pub mod parser;

pub use parser::{ParseError, parse_program};
