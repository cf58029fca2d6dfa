//! Unit tests of the resolver's scopes.

use super::scopes::Scopes;

#[test]
fn the_latest_binding_of_a_name_is_found_and_closing_a_scope_restores_the_one_before() {
    let mut s = Scopes::new();
    s.bind("x", 0);
    s.bind("y", 1);
    s.push();
    s.bind("x", 2);
    s.bind("x", 3);
    assert_eq!(
        (s.lookup("x"), s.lookup("y"), s.lookup("z")),
        (Some(3), Some(1), None)
    );
    s.pop();
    assert_eq!(s.lookup("x"), Some(0));
    s.push();
    s.bind("z", 4);
    s.pop();
    assert_eq!((s.lookup("z"), s.depth()), (None, 1));
}

#[test]
fn truncating_the_innermost_scope_unbinds_its_latest_names() {
    let mut s = Scopes::new();
    s.bind("a", 0);
    let len = s.innermost().len();
    s.bind("b", 1);
    s.bind("a", 2);
    s.truncate_innermost(len);
    assert_eq!((s.lookup("a"), s.lookup("b")), (Some(0), None));
    assert_eq!(s.innermost().len(), 1);
}
