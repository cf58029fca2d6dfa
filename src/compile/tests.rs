//! Unit tests of the compiler's integer fast paths.

use super::operators::{by_comparison, is_comparison};
use crate::syntax::ast::BinOp;

/// A comparison of Rust's integers.
type Compare = fn(&i64, &i64) -> bool;

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
    let samples = [i64::MIN, -7, -1, 0, 1, 2, 7, i64::MAX];
    for (op, expected) in ops {
        assert!(is_comparison(op));
        for x in samples {
            for y in samples {
                let holds = by_comparison!(op, test => test(x, y));
                assert_eq!(holds, expected(&x, &y), "{x} {op:?} {y}");
            }
        }
    }
    assert!(!is_comparison(BinOp::Add));
}
