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

/// The message and hint of the compile error of `src`, which parses.
#[track_caller]
fn compile_error(src: &str) -> (String, Option<String>) {
    let program = crate::syntax::parse_program(src).expect("parses");
    match super::resolve_program(&program, &mut super::Env::default()) {
        Ok(_) => panic!("{src:?} should not resolve"),
        Err(e) => (e.message(), e.hint()),
    }
}

#[test]
fn each_compile_error_has_its_message_and_hint() {
    let cases: [(&str, &str, Option<&str>); 12] = [
        ("x", "unknown name x", None),
        (
            "_",
            "unknown name _",
            Some("`_` ignores a value in a pattern or binding; it cannot be read"),
        ),
        (
            "x = 1;",
            "unknown name x",
            Some("declare it first with `var`"),
        ),
        (
            "fn f(a) { a = 1; }",
            "cannot assign to immutable a",
            Some("declare it with `var a = …` to make it assignable"),
        ),
        (
            "fn f() { 1 } f = 2;",
            "cannot assign to immutable f",
            Some("functions cannot be reassigned"),
        ),
        (
            "print = 1;",
            "cannot assign to immutable print",
            Some("functions cannot be reassigned"),
        ),
        (
            "return 1",
            "return outside a function",
            Some("`return` ends the enclosing function; at the top level there is none"),
        ),
        (
            "suspend Op()",
            "unknown effect Op",
            Some("declare it with `effect Op(…)`"),
        ),
        (
            "effect Op(x) suspend Op()",
            "wrong number of arguments: Op expects 1, got 0",
            None,
        ),
        (
            "effect Op() handle 1 with { Op(), k => 1, Op(), k => 2 }",
            "operation Op is handled twice in one handler",
            None,
        ),
        (
            "match 1 { (a, b) | a => 1 }",
            "the alternatives of an or-pattern must bind the same names",
            None,
        ),
        (
            &format!(
                "match 1 {{ {}x{} => 1 }}",
                "S(".repeat(1001),
                ")".repeat(1001)
            ),
            "pattern nested too deeply (more than 1000 levels)",
            Some("match in steps: name an inner part and match it in the arm"),
        ),
    ];
    for (src, message, hint) in cases {
        assert_eq!(
            compile_error(src),
            (message.to_string(), hint.map(str::to_string)),
            "{src:?}"
        );
    }
}
