//! The operators of kont: what the parser reads, the resolved program carries and the
//! runtime applies ([`crate::runtime::ops::binary`]).
//!
//! A leaf module: it depends on nothing in the crate, so that the runtime can name an
//! operator without depending on the syntax tree.

/// Binary operators (including the short-circuit `and`/`or`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `++`
    Concat,
    /// `::`
    Cons,
    /// `and` (short-circuit)
    And,
    /// `or` (short-circuit)
    Or,
}

/// Prefix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `-e`
    Neg,
    /// `not e`
    Not,
}
