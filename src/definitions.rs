//! What a unit defined at its top level, in the order it is written: the REPL echoes it
//! after the entry runs (`fn fact(n)`, `let x = 5`), so that a definition, which has no
//! value to print, still shows that it was taken.
//!
//! Read off the parsed program, not the resolver's work: it is what the user wrote (names
//! and parameters), and only a unit that ran to its end is echoed, so every name listed
//! holds its value by then.

use crate::syntax::ast::{BindPat, Param, Program, Stmt};

/// One definition of a unit's top level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Definition {
    /// `fn name(params) { … }`; a `_` parameter is `_`.
    Fn {
        /// The function's name.
        name: String,
        /// Its parameters' names.
        params: Vec<String>,
    },
    /// A name bound by a top-level `let` (or `var`, `mutable`).
    Let {
        /// The name.
        name: String,
        /// Whether it is a `var`.
        mutable: bool,
    },
    /// `effect Name(params)`.
    Effect {
        /// The operation's name.
        name: String,
        /// Its parameters' names.
        params: Vec<String>,
    },
}

/// The top-level definitions of `program`, in source order (a tuple `let` gives one per
/// name bound, `_` none).
pub fn of_program(program: &Program) -> Vec<Definition> {
    let mut out = Vec::new();
    for stmt in &program.stmts {
        match stmt {
            Stmt::Fn(f) => out.push(Definition::Fn {
                name: f.name.name.clone(),
                params: f.params.iter().map(param_name).collect(),
            }),
            Stmt::Let {
                pattern, mutable, ..
            } => bound(pattern, *mutable, &mut out),
            Stmt::Effect { name, params, .. } => out.push(Definition::Effect {
                name: name.name.clone(),
                params: params.iter().map(|p| p.name.clone()).collect(),
            }),
            Stmt::Assign { .. } | Stmt::IndexAssign { .. } | Stmt::Expr { .. } => {}
        }
    }
    out
}

/// A parameter as it was written.
fn param_name(p: &Param) -> String {
    match p {
        Param::Name(id) => id.name.clone(),
        Param::Wildcard(_) => "_".to_string(),
    }
}

/// Adds the names `pattern` binds to `out`.
fn bound(pattern: &BindPat, mutable: bool, out: &mut Vec<Definition>) {
    match pattern {
        BindPat::Name(id) => out.push(Definition::Let {
            name: id.name.clone(),
            mutable,
        }),
        BindPat::Wildcard(_) => {}
        BindPat::Tuple(parts, _) => {
            for p in parts {
                bound(p, mutable, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definitions of `source`.
    fn defs(source: &str) -> Vec<Definition> {
        of_program(&crate::syntax::parse_program(source).expect("parses"))
    }

    #[test]
    fn every_kind_of_top_level_definition_is_listed_in_source_order() {
        let got = defs(
            "effect Ask(q, r) fn f(a, _) { a } let (x, _, (y, z)) = (1, 2, (3, 4)); var w = 0; w = 1; f(1)",
        );
        let names: Vec<String> = got
            .iter()
            .map(|d| match d {
                Definition::Fn { name, params } => format!("fn {name}({})", params.join(", ")),
                Definition::Let { name, mutable } => {
                    format!("{} {name}", if *mutable { "var" } else { "let" })
                }
                Definition::Effect { name, params } => {
                    format!("effect {name}({})", params.join(", "))
                }
            })
            .collect();
        assert_eq!(
            names,
            [
                "effect Ask(q, r)",
                "fn f(a, _)",
                "let x",
                "let y",
                "let z",
                "var w"
            ]
        );
    }

    #[test]
    fn nested_definitions_and_plain_statements_are_not_listed() {
        assert_eq!(defs("{ let a = 1; a }; fn() { let b = 2 }; println(1)"), []);
    }
}
