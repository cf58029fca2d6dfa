//! Unit tests of the compiler: its integer fast paths against the runtime's operators, and
//! the generic path.

use super::operators::{by_arithmetic, by_comparison, is_arithmetic, is_comparison};
use super::{Compiler, Shared, Special};
use crate::operator::BinOp;
use crate::resolve;
use crate::runtime::ops;
use crate::runtime::value::Value;
use crate::span::Span;
use crate::syntax;

/// A comparison of Rust's integers.
type Compare = fn(&i64, &i64) -> bool;

/// Ints around the edges of the fast paths: zero, signs, overflow.
const SAMPLES: [i64; 9] = [i64::MIN, -7, -1, 0, 1, 2, 7, i64::MAX - 1, i64::MAX];

#[test]
fn integer_tests_agree_with_the_comparison_operators() {
    let ops: [(BinOp, Compare); 6] = [
        (BinOp::Lt, i64::lt),
        (BinOp::Le, i64::le),
        (BinOp::Gt, i64::gt),
        (BinOp::Ge, i64::ge),
        (BinOp::Eq, i64::eq),
        (BinOp::Ne, i64::ne),
    ];
    for (op, expected) in ops {
        assert!(is_comparison(op));
        for x in SAMPLES {
            for y in SAMPLES {
                let holds = by_comparison!(op, test => test(x, y));
                assert_eq!(holds, expected(&x, &y), "{x} {op:?} {y}");
                let general = ops::binary(op, &Value::Int(x), &Value::Int(y));
                assert!(matches!(general, Ok(v) if matches!(v, Value::True) == holds));
            }
        }
    }
    assert!(!is_comparison(BinOp::Add));
}

#[test]
fn integer_fast_paths_agree_with_the_arithmetic_operators_or_leave_it_to_them() {
    let ops = [BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div, BinOp::Rem];
    for op in ops {
        assert!(is_arithmetic(op));
        for x in SAMPLES {
            for y in SAMPLES {
                let fast = by_arithmetic!(op, fast => fast(x, y));
                let general = ops::binary(op, &Value::Int(x), &Value::Int(y));
                match fast {
                    Some(r) => assert!(matches!(general, Ok(Value::Int(g)) if g == r)),
                    // The general path then reports an overflow or a division by zero.
                    None => assert!(general.is_err(), "{x} {op:?} {y}"),
                }
            }
        }
    }
    assert!(!is_arithmetic(BinOp::Lt));
}

/// Every kind of specialised closure.
const KINDS: [Special; 12] = [
    Special::Constant,
    Special::Statement,
    Special::Condition,
    Special::Block,
    Special::Operator,
    Special::Update,
    Special::Element,
    Special::Shape,
    Special::Call,
    Special::BuiltinArgs,
    Special::Arguments,
    Special::Handler,
];

/// A program for which the compiler makes a specialised closure of `kind`.
fn program_making(kind: Special) -> &'static str {
    match kind {
        Special::Constant => "let x = 1;",
        Special::Statement => "fn f(x) { x; 0 }",
        Special::Condition => "fn f(a, b) { if a and b { 1 } else { 2 } }",
        Special::Block => "fn f(x) { let y = x; y }",
        Special::Operator => "fn f(x) { x + 1 }",
        Special::Update => "fn f(x) { var y = x; y = y + 1; y }",
        Special::Element => "fn f(a) { a[0] }",
        Special::Shape => "fn f(xs) { match xs { [] => 0, h :: t => h } }",
        Special::Call => "fn f(n) { f(n - 1) }",
        Special::BuiltinArgs => "fn f(x) { abs(x) }",
        Special::Arguments => "fn g(a, b) { a } fn f(x) { g(x, 1) }",
        Special::Handler => "effect E() fn f() { handle suspend E() with { E(), k => 1 } }",
    }
}

/// The specialised closures the compiler makes for `source`, on the generic path if
/// `generic`.
fn made(source: &str, generic: bool) -> Vec<Special> {
    let Ok(program) = syntax::parse_program(source) else {
        panic!("{source} does not parse");
    };
    let Ok(resolve::Resolved { unit, .. }) =
        resolve::resolve_program(program, &mut resolve::Env::default())
    else {
        panic!("{source} does not resolve");
    };
    let shared = Shared::new(&unit, 0, generic, false, false);
    Compiler::new(&shared, false, Span::default()).function(&unit.main);
    shared.made.into_inner()
}

#[test]
fn the_generic_path_makes_no_specialised_closure() {
    for kind in KINDS {
        let source = program_making(kind);
        assert!(made(source, false).contains(&kind), "{kind:?}: {source}");
        assert_eq!(made(source, true), [], "{kind:?}: {source}");
    }
}
