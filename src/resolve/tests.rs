//! Unit tests of the resolver: scopes, compile errors, and whether a unit names `backtrace`.

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

/// An environment whose library is the prelude's, as a session's is.
fn env_with_library() -> super::Env {
    let mut prelude = super::Env::for_prelude();
    let program = crate::syntax::parse_program(crate::PRELUDE).expect("the prelude parses");
    super::resolve_program(program, &mut prelude).expect("the prelude resolves");
    super::Env::with_library(&prelude)
}

/// The message and hint of the compile error of `src`, which parses.
#[track_caller]
fn compile_error(src: &str) -> (String, Option<String>) {
    let program = crate::syntax::parse_program(src).expect("parses");
    match super::resolve_program(program, &mut env_with_library()) {
        Ok(_) => panic!("{src:?} should not resolve"),
        Err(e) => (e.message(), e.hint()),
    }
}

#[test]
fn each_compile_error_has_its_message_and_hint() {
    let cases: [(&str, &str, Option<&str>); 20] = [
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
            "effect Yield(v) suspend Yeild(1)",
            "unknown effect Yeild",
            Some("did you mean `Yield`?"),
        ),
        (
            "fn f(greeting) { greetng }",
            "unknown name greetng",
            Some("did you mean `greeting`?"),
        ),
        (
            "var total = 0; fn f() { totl = 1; }",
            "unknown name totl",
            Some("did you mean `total`?"),
        ),
        ("lne([])", "unknown name lne", Some("did you mean `len`?")),
        (
            "fliter([], 0)",
            "unknown name fliter",
            Some("did you mean `filter`?"),
        ),
        ("ture", "unknown name ture", Some("did you mean `true`?")),
        ("foo(1)", "unknown name foo", None),
        (
            "perform(1)",
            "unknown name perform",
            Some("kont performs an operation with `suspend`: `suspend Op(…)`"),
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

/// The warnings of `src`, which resolves, each as its message and the text it points at.
#[track_caller]
fn warnings(src: &str) -> Vec<(String, String)> {
    let program = crate::syntax::parse_program(src).expect("parses");
    let resolved = super::resolve_program(program, &mut env_with_library()).expect("resolves");
    let at = |span: crate::span::Span| src[span.start as usize..span.end as usize].to_string();
    resolved
        .warnings
        .iter()
        .map(|w| (w.message(), at(w.span)))
        .collect()
}

/// `(message, text)` pairs, for comparing with [`warnings`].
fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(m, t)| (m.to_string(), t.to_string()))
        .collect()
}

#[test]
fn unused_lets_vars_and_parameters_are_warned_about_in_source_order() {
    let src = "fn f(a, b) { let c = 1; var d = 2; a }\n\
               let g = fn(x, y) => y;\n\
               effect E(v)\n\
               handle 1 with { E(v), k => resume k(0), return(r) => 0 }";
    assert_eq!(
        warnings(src),
        pairs(&[
            ("unused parameter `b`", "b"),
            ("unused variable `c`", "c"),
            ("unused variable `d`", "d"),
            ("unused parameter `x`", "x"),
            ("unused parameter `v`", "v"),
            ("unused parameter `r`", "r"),
        ])
    );
}

#[test]
fn names_that_are_used_or_start_with_an_underscore_or_are_global_are_not_warned_about() {
    let src = "let top = 1; var count = 0;\n\
               fn f(_a, _, used) { let _b = 1; var c = 0; c = c + used; let (p, _q) = (1, 2); p }\n\
               fn g(n) { fn inner() { n } inner }\n\
               effect E()\n\
               let k1 = handle suspend E() with { E(), k => k };\n\
               handle suspend E() with { E(), k => { discontinue k; 0 } };\n\
               handle suspend E() with { E(), _ => 0 };\n\
               handle suspend E() with { E(), _k => 0 };\n\
               for i in 0..3 { }\n\
               match 1 { n => 0 }";
    assert_eq!(warnings(src), []);
}

#[test]
fn a_clause_that_never_uses_its_continuation_is_warned_about() {
    let src = "effect Log(m) handle suspend Log(1) with { Log(m), k => m }";
    assert_eq!(
        warnings(src),
        pairs(&[(
            "the rest of the computation is dropped: `k` is never resumed",
            "k"
        )])
    );
    let hint = crate::resolve::WarningKind::ContinuationDropped("k".into()).hint();
    assert_eq!(
        hint,
        "`resume k(v)` continues the computation; name it `_` if that is intended"
    );
}

#[test]
fn code_after_a_return_is_warned_about_once_per_block() {
    let src = "fn f(x) { return x; x + 1; x + 2 }\n\
               fn g(x) { if x { return 1 } else { return 2 }; fn h() { 0 } 3 }\n\
               fn i(x) { match x { 0 => return 1, _ => return 2 }; 3 }\n\
               fn j(_x) { { return 0 }; 1 }\n\
               fn fine(x) { if x { return 1 }; while x { return 2 }; 3 }";
    let unreachable = "unreachable code after `return`";
    assert_eq!(
        warnings(src),
        pairs(&[
            (unreachable, "x + 1"),
            (unreachable, "3"),
            (unreachable, "3"),
            (unreachable, "1"),
        ])
    );
    let program = crate::syntax::parse_program("fn f() { return 1; 2 }").expect("parses");
    let resolved = super::resolve_program(program, &mut super::Env::default()).expect("resolves");
    let labels = resolved.warnings[0].secondary();
    assert_eq!(
        labels,
        [(
            crate::span::Span::new(9, 17),
            "the function returns here".to_string()
        )]
    );
}

#[test]
fn a_return_nested_deeper_than_the_limit_is_not_looked_for() {
    let nested = |levels: usize| {
        format!(
            "fn f() {{ {}return 1{}; 2 }}",
            "{ ".repeat(levels),
            " }".repeat(levels)
        )
    };
    assert_eq!(warnings(&nested(6)).len(), 1);
    assert_eq!(warnings(&nested(20)).len(), 0);
}

#[test]
fn the_prelude_has_no_warnings() {
    let program = crate::syntax::parse_program(crate::PRELUDE).expect("the prelude parses");
    let resolved =
        super::resolve_program(program, &mut super::Env::for_prelude()).expect("resolves");
    assert_eq!(resolved.warnings, []);
}

#[test]
fn a_unit_names_backtrace_only_if_a_name_resolves_to_the_builtin() {
    let names = |src: &str| {
        let program = crate::syntax::parse_program(src).expect("parses");
        let resolved = super::resolve_program(program, &mut env_with_library());
        resolved.expect("resolves").names_backtrace
    };
    assert!(names("fn f(k) { backtrace(k) }"));
    assert!(names("fn f() { map([1], fn(_) => backtrace) }"));
    assert!(!names("let s = \"backtrace\"; // backtrace(k)\nprintln(s)"));
    assert!(!names("fn backtrace(k) { k } backtrace(1)"));
    assert!(!names("fn f(backtrace) { backtrace }"));
    assert!(!names("let backtrace = 1; println(backtrace)"));
}
