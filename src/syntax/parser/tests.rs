//! Unit tests of the parser: the tree each construct parses to (rendered compactly, one
//! line per shape), spans, and the message, span and hint of its errors.

use super::*;
use crate::syntax::ast::{Arm, BindPat, Block, ForIter, Pattern, Program};

// --- A compact rendering of the tree, so that tests can state shapes in one line.

fn render_program(program: &Program) -> String {
    render_stmts(&program.stmts)
}

fn render_stmts(stmts: &[Stmt]) -> String {
    stmts.iter().map(render_stmt).collect::<Vec<_>>().join(" ")
}

fn render_stmt(stmt: &Stmt) -> String {
    match stmt {
        Stmt::Let {
            pattern,
            mutable,
            value,
            ..
        } => format!(
            "{} {} = {};",
            if *mutable { "var" } else { "let" },
            render_bind(pattern),
            render(value)
        ),
        Stmt::Assign { target, value, .. } => format!("{} = {};", target.name, render(value)),
        Stmt::IndexAssign {
            array,
            index,
            value,
            ..
        } => format!("{}[{}] = {};", render(array), render(index), render(value)),
        Stmt::Fn(decl) => format!(
            "fn {}({}) {}",
            decl.name.name,
            render_params(&decl.params),
            render_block(&decl.body)
        ),
        Stmt::Effect { name, params, .. } => {
            let params: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
            format!("effect {}({})", name.name, params.join(" "))
        }
        Stmt::Expr { expr, semi } => {
            format!("{}{}", render(expr), if *semi { ";" } else { "" })
        }
    }
}

fn render_block(block: &Block) -> String {
    format!("{{{}}}", render_stmts(&block.stmts))
}

fn render_bind(pattern: &BindPat) -> String {
    match pattern {
        BindPat::Name(i) => i.name.clone(),
        BindPat::Wildcard(_) => "_".to_string(),
        BindPat::Tuple(items, _) => {
            let items: Vec<String> = items.iter().map(render_bind).collect();
            format!("({})", items.join(" "))
        }
    }
}

fn render_param(param: &Param) -> String {
    match param {
        Param::Name(i) => i.name.clone(),
        Param::Wildcard(_) => "_".to_string(),
    }
}

fn render_params(params: &[Param]) -> String {
    params
        .iter()
        .map(render_param)
        .collect::<Vec<_>>()
        .join(" ")
}

fn render_list(items: &[Expr]) -> String {
    items.iter().map(render).collect::<Vec<_>>().join(" ")
}

fn render_pattern(pattern: &Pattern) -> String {
    let list = |items: &[Pattern]| {
        items
            .iter()
            .map(render_pattern)
            .collect::<Vec<_>>()
            .join(" ")
    };
    match pattern {
        Pattern::Wildcard(_) => "_".to_string(),
        Pattern::Bind(i) => i.name.clone(),
        Pattern::Int(n, _) => n.to_string(),
        Pattern::Float(x, _) => format!("{x:?}"),
        Pattern::Str(s, _) => format!("{s:?}"),
        Pattern::Bool(b, _) => b.to_string(),
        Pattern::Unit(_) => "()".to_string(),
        Pattern::Tuple(items, _) => format!("(tuple {})", list(items)),
        Pattern::List(items, _) => format!("[{}]", list(items)),
        Pattern::Cons(h, t, _) => format!("(:: {} {})", render_pattern(h), render_pattern(t)),
        Pattern::Ctor(c, args, _) if args.is_empty() => c.name.clone(),
        Pattern::Ctor(c, args, _) => format!("({} {})", c.name, list(args)),
        Pattern::Or(alternatives, _) => format!("(| {})", list(alternatives)),
    }
}

fn render_arm(arm: &Arm) -> String {
    match &arm.guard {
        Some(guard) => format!(
            "[{} if {} => {}]",
            render_pattern(&arm.pattern),
            render(guard),
            render(&arm.body)
        ),
        None => format!(
            "[{} => {}]",
            render_pattern(&arm.pattern),
            render(&arm.body)
        ),
    }
}

fn render_handler(handler: &Handler) -> String {
    let mut clauses: Vec<String> = handler
        .ops
        .iter()
        .map(|c| {
            format!(
                "[{}({}) {} => {}]",
                c.op.name,
                render_params(&c.params),
                render_param(&c.k),
                render(&c.body)
            )
        })
        .collect();
    if let Some(ret) = &handler.ret {
        clauses.push(format!(
            "[return({}) => {}]",
            render_param(&ret.param),
            render(&ret.body)
        ));
    }
    format!("{{{}}}", clauses.join(" "))
}

fn render(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(n) => n.to_string(),
        ExprKind::Float(x) => format!("{x:?}"),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Unit => "()".to_string(),
        ExprKind::Var(i) => i.name.clone(),
        ExprKind::Ctor(c, args) if args.is_empty() => c.name.clone(),
        ExprKind::Ctor(c, args) => format!("({} {})", c.name, render_list(args)),
        ExprKind::List(items) => format!("[{}]", render_list(items)),
        ExprKind::Tuple(items) => format!("(tuple {})", render_list(items)),
        ExprKind::Binary(op, l, r) => {
            let op = match op {
                BinOp::Add => "+",
                BinOp::Sub => "-",
                BinOp::Mul => "*",
                BinOp::Div => "/",
                BinOp::Rem => "%",
                BinOp::Eq => "==",
                BinOp::Ne => "!=",
                BinOp::Lt => "<",
                BinOp::Le => "<=",
                BinOp::Gt => ">",
                BinOp::Ge => ">=",
                BinOp::Concat => "++",
                BinOp::Cons => "::",
                BinOp::And => "and",
                BinOp::Or => "or",
            };
            format!("({op} {} {})", render(l), render(r))
        }
        ExprKind::Unary(UnOp::Neg, e) => format!("(neg {})", render(e)),
        ExprKind::Unary(UnOp::Not, e) => format!("(not {})", render(e)),
        ExprKind::Call(f, args) if args.is_empty() => format!("(call {})", render(f)),
        ExprKind::Call(f, args) => format!("(call {} {})", render(f), render_list(args)),
        ExprKind::Index(a, i) => format!("(index {} {})", render(a), render(i)),
        ExprKind::If(c, then, None) => format!("(if {} {})", render(c), render_block(then)),
        ExprKind::If(c, then, Some(else_)) => format!(
            "(if {} {} {})",
            render(c),
            render_block(then),
            render(else_)
        ),
        ExprKind::While(c, body) => format!("(while {} {})", render(c), render_block(body)),
        ExprKind::For(p, ForIter::Range(a, b), body) => format!(
            "(for {} {}..{} {})",
            render_bind(p),
            render(a),
            render(b),
            render_block(body)
        ),
        ExprKind::For(p, ForIter::Expr(e), body) => format!(
            "(for {} {} {})",
            render_bind(p),
            render(e),
            render_block(body)
        ),
        ExprKind::Match(e, arms) => {
            let arms: Vec<String> = arms.iter().map(render_arm).collect();
            format!("(match {} {})", render(e), arms.join(" "))
        }
        ExprKind::Block(b) => render_block(b),
        ExprKind::Lambda(params, body) => {
            format!("(fn ({}) {})", render_params(params), render(body))
        }
        ExprKind::Return(None) => "(return)".to_string(),
        ExprKind::Return(Some(e)) => format!("(return {})", render(e)),
        ExprKind::Suspend(op, args) => format!("(suspend {} {})", op.name, render_list(args)),
        ExprKind::Handle(body, handler) => {
            format!("(handle {} {})", render(body), render_handler(handler))
        }
        ExprKind::Resume(k, args, None) => {
            format!("(resume {} {})", render(k), render_list(args))
        }
        ExprKind::Resume(k, args, Some(h)) => format!(
            "(resume {} {} with {})",
            render(k),
            render_list(args),
            render_handler(h)
        ),
        ExprKind::Cont(e) => format!("(cont {})", render(e)),
        ExprKind::Discontinue(e) => format!("(discontinue {})", render(e)),
    }
}

// --- Helpers.

#[track_caller]
fn parse(src: &str) -> Program {
    match parse_program(src) {
        Ok(program) => program,
        Err(e) => panic!("{src:?} should parse, but: {e}"),
    }
}

/// The rendered program.
#[track_caller]
fn show(src: &str) -> String {
    render_program(&parse(src))
}

/// The rendered program, which must be one expression statement without `;`.
#[track_caller]
fn show_expr(src: &str) -> String {
    match parse(src).stmts.as_slice() {
        [Stmt::Expr { expr, semi: false }] => render(expr),
        other => panic!("{src:?} is not one expression: {other:?}"),
    }
}

#[track_caller]
fn error(src: &str) -> ParseError {
    match parse_program(src) {
        Ok(program) => panic!(
            "{src:?} should not parse, but gave {}",
            render_program(&program)
        ),
        Err(e) => e,
    }
}

/// The error's message, the text under its span and its hint.
#[track_caller]
fn error_at(src: &str) -> (String, String, Option<String>) {
    let e = error(src);
    let text = src[e.span.start as usize..e.span.end as usize].to_string();
    (e.message(), text, e.hint())
}

// --- Statements and the `;` rule.

#[test]
fn statements_of_the_reference() {
    assert_eq!(show("let x = 1 + 2;"), "let x = (+ 1 2);");
    assert_eq!(show("var n = 0;"), "var n = 0;");
    assert_eq!(show("n = n + 1;"), "n = (+ n 1);");
    assert_eq!(show("a[i] = v;"), "a[i] = v;");
    assert_eq!(show("fn square(x) { x * x }"), "fn square(x) {(* x x)}");
    assert_eq!(
        show("let add = fn(a, b) { a + b };"),
        "let add = (fn (a b) {(+ a b)});"
    );
    assert_eq!(
        show("let inc = fn(x) => x + 1;"),
        "let inc = (fn (x) (+ x 1));"
    );
    assert_eq!(show("return e"), "(return e)");
    assert_eq!(
        show("let (q, r) = (7 / 2, 7 % 2);"),
        "let (q r) = (tuple (/ 7 2) (% 7 2));"
    );
    assert_eq!(show("let (a, (b, _)) = t;"), "let (a (b _)) = t;");
    assert_eq!(show("let _ = f();"), "let _ = (call f);");
    assert_eq!(show("let (x) = 1;"), "let x = 1;");
}

#[test]
fn index_assignment_targets() {
    assert_eq!(show("m[i][j] = v;"), "(index m i)[j] = v;");
    assert_eq!(show("get()[0] = v;"), "(call get)[0] = v;");
    assert_eq!(show("(a)[0] = 1"), "a[0] = 1;");
    assert_eq!(show("fs[0](x)[1] = 2;"), "(call (index fs 0) x)[1] = 2;");
}

#[test]
fn declarations() {
    assert_eq!(show("effect Yield(value)"), "effect Yield(value)");
    assert_eq!(show("effect Get()"), "effect Get()");
    assert_eq!(show("effect Put(a, b,)"), "effect Put(a b)");
    assert_eq!(show("fn f(_, y) { y }"), "fn f(_ y) {y}");
    assert_eq!(
        show("effect Get() fn f() { 1 } fn g() { 2 } g()"),
        "effect Get() fn f() {1} fn g() {2} (call g)"
    );
}

#[test]
fn block_like_statements_end_at_their_brace() {
    assert_eq!(show("if c { a } else { b } - 1"), "(if c {a} {b}) -1");
    assert_eq!(show("{ a } (b)"), "{a} b");
    assert_eq!(show("{ a } [1]"), "{a} [1]");
    assert_eq!(show("while c { f() } x"), "(while c {(call f)}) x");
    assert_eq!(show("for x in xs { } y"), "(for x xs {}) y");
    assert_eq!(show("match x { _ => 1 } y"), "(match x [_ => 1]) y");
    assert_eq!(
        show("handle f() with { return(x) => x } g()"),
        "(handle (call f) {[return(x) => x]}) (call g)"
    );
    assert_eq!(show("if a { 1 } if b { 2 }"), "(if a {1}) (if b {2})");
}

#[test]
fn block_like_forms_inside_expressions_continue() {
    assert_eq!(
        show("let v = if c { 1 } else { 2 };"),
        "let v = (if c {1} {2});"
    );
    assert_eq!(
        show("x = if c { 1 } else { 2 } + 1;"),
        "x = (+ (if c {1} {2}) 1);"
    );
    assert_eq!(show("1 + { 2 }"), "(+ 1 {2})");
    assert_eq!(
        show("f(match x { _ => 1 }) + 1"),
        "(+ (call f (match x [_ => 1])) 1)"
    );
}

#[test]
fn semi_is_recorded() {
    let program = parse("f(); g()");
    assert!(matches!(program.stmts[0], Stmt::Expr { semi: true, .. }));
    assert!(matches!(program.stmts[1], Stmt::Expr { semi: false, .. }));
    assert_eq!(show("if c { 1 } x"), "(if c {1}) x");
    assert_eq!(show("if c { 1 }; x;"), "(if c {1}); x;");
    assert_eq!(show("{ 1 } ;; ;"), "{1};");
    assert_eq!(show(";;f();;"), "(call f);");
    assert_eq!(show(""), "");
    assert_eq!(show("{ }"), "{}");
    assert_eq!(show("{ let x = 1 }"), "{let x = 1;}");
    assert_eq!(show("{ x = 1 }"), "{x = 1;}");
    assert_eq!(show("fn f() { 1 };"), "fn f() {1}");
}

#[test]
fn statements_that_need_a_semicolon() {
    let (message, text, hint) = error_at("let v = if c { 1 } else { 2 }\nprint(v)");
    assert_eq!(message, "unexpected token `print`");
    assert_eq!(text, "print");
    assert!(hint.unwrap().contains("a `;` is needed after `let`"));
    let (_, _, hint) = error_at("x = 1 y");
    assert_eq!(hint.as_deref(), Some("a `;` is needed after an assignment"));
    let (_, _, hint) = error_at("fn f() { return 1 2 }");
    assert_eq!(hint.as_deref(), Some("a `;` is needed after `return`"));
    let (message, _, hint) = error_at("f() g()");
    assert_eq!(message, "unexpected token `g`");
    assert!(hint.unwrap().starts_with("expected one of `;`, "));
    let (message, _, _) = error_at("fn(x) { x } f()");
    assert_eq!(message, "unexpected token `f`");
    let (message, _, _) = error_at("resume k(1) with { } f()");
    assert_eq!(message, "unexpected token `f`");
}

// --- Expressions and precedence.

#[test]
fn literals() {
    assert_eq!(show_expr("42"), "42");
    assert_eq!(show_expr("1_000_000"), "1000000");
    assert_eq!(show_expr("1.5"), "1.5");
    assert_eq!(show_expr("2.0e3"), "2000.0");
    assert_eq!(show_expr("6.02e-23"), "6.02e-23");
    assert_eq!(show_expr("1.0E+5"), "100000.0");
    assert_eq!(show_expr(r#""a\n\t\"\\""#), r#""a\n\t\"\\""#);
    assert_eq!(show_expr("\"héllo ✓\""), "\"héllo ✓\"");
    assert_eq!(show_expr("true"), "true");
    assert_eq!(show_expr("false"), "false");
    assert_eq!(show_expr("()"), "()");
    assert_eq!(show_expr("_x"), "_x");
}

#[test]
fn negative_literals_fold() {
    assert_eq!(show_expr("-5"), "-5");
    assert_eq!(show_expr("-2.5"), "-2.5");
    assert_eq!(show_expr("-9223372036854775808"), "-9223372036854775808");
    assert_eq!(
        show_expr("- -9223372036854775808"),
        "(neg -9223372036854775808)"
    );
    assert_eq!(show_expr("-x"), "(neg x)");
    assert_eq!(show_expr("-f(x)"), "(neg (call f x))");
    assert_eq!(show_expr("-a[0]"), "(neg (index a 0))");
    assert_eq!(show_expr("1 - -1"), "(- 1 -1)");
    assert_eq!(show_expr("-2 * 3"), "(* -2 3)");
    assert_eq!(show_expr("9223372036854775807"), "9223372036854775807");
}

#[test]
fn precedence() {
    assert_eq!(show_expr("1 + 2 * 3"), "(+ 1 (* 2 3))");
    assert_eq!(show_expr("1 * 2 + 3"), "(+ (* 1 2) 3)");
    assert_eq!(show_expr("1 - 2 - 3"), "(- (- 1 2) 3)");
    assert_eq!(show_expr("8 / 4 / 2 % 3"), "(% (/ (/ 8 4) 2) 3)");
    assert_eq!(show_expr("(1 + 2) * 3"), "(* (+ 1 2) 3)");
    assert_eq!(show_expr("a :: b ++ c"), "(:: a (++ b c))");
    assert_eq!(show_expr("a ++ b :: c"), "(++ a (:: b c))");
    assert_eq!(show_expr("a :: b :: c"), "(:: a (:: b c))");
    assert_eq!(show_expr("x + 1 :: xs"), "(:: (+ x 1) xs)");
    assert_eq!(show_expr("a ++ b == c"), "(== (++ a b) c)");
    assert_eq!(show_expr("not a == b"), "(not (== a b))");
    assert_eq!(show_expr("not not a"), "(not (not a))");
    assert_eq!(show_expr("a and not b"), "(and a (not b))");
    assert_eq!(show_expr("a or b and c"), "(or a (and b c))");
    assert_eq!(show_expr("a or b or c"), "(or (or a b) c)");
    assert_eq!(show_expr("a and b and c"), "(and (and a b) c)");
    assert_eq!(show_expr("a < b or c >= d"), "(or (< a b) (>= c d))");
    assert_eq!(
        show_expr("a != b and c <= d and e > f"),
        "(and (and (!= a b) (<= c d)) (> e f))"
    );
    assert_eq!(show_expr("cont f"), "(cont f)");
    assert_eq!(show_expr("discontinue ks[0]"), "(discontinue (index ks 0))");
    assert_eq!(show_expr("cont f + 1"), "(+ (cont f) 1)");
    assert_eq!(show_expr("-cont f"), "(neg (cont f))");
}

#[test]
fn comparisons_do_not_chain() {
    let (message, text, hint) = error_at("a < b < c");
    assert_eq!(message, "comparison operators cannot be chained");
    assert_eq!(text, "<");
    assert!(hint.unwrap().contains("use `and`"));
    let e = error("if 1 == 2 == 3 { }");
    assert_eq!(e.span, Span::new(10, 12));
    assert!(!e.at_eof());
    assert_eq!(show_expr("(a < b) == c"), "(== (< a b) c)");
    assert_eq!(show_expr("a < b and b < c"), "(and (< a b) (< b c))");
}

#[test]
fn calls_indexing_and_constructors() {
    assert_eq!(show_expr("f(a, b)"), "(call f a b)");
    assert_eq!(show_expr("f()"), "(call f)");
    assert_eq!(show_expr("f(a,)"), "(call f a)");
    assert_eq!(show_expr("(make())(1)"), "(call (call make) 1)");
    assert_eq!(show_expr("fs[0](x)"), "(call (index fs 0) x)");
    assert_eq!(show_expr("f(x)(y)"), "(call (call f x) y)");
    assert_eq!(show_expr("a[i][j]"), "(index (index a i) j)");
    assert_eq!(show_expr("Node(l, 3, r)"), "(Node l 3 r)");
    assert_eq!(show_expr("Some(x)"), "(Some x)");
    assert_eq!(show_expr("Leaf"), "Leaf");
    assert_eq!(show_expr("C()"), "C");
    assert_eq!(show_expr("Some(x)(y)"), "(call (Some x) y)");
    assert_eq!(show_expr("Leaf[0]"), "(index Leaf 0)");
    assert_eq!(show_expr("fn(x) { x }(3)"), "(call (fn (x) {x}) 3)");
}

#[test]
fn lists_tuples_and_grouping() {
    assert_eq!(show_expr("[]"), "[]");
    assert_eq!(show_expr("[1, 2, 3]"), "[1 2 3]");
    assert_eq!(show_expr("[1, 2, 3,]"), "[1 2 3]");
    assert_eq!(show_expr("(a, b)"), "(tuple a b)");
    assert_eq!(show_expr("(a, b, c,)"), "(tuple a b c)");
    assert_eq!(show_expr("((a))"), "a");
    assert_eq!(show_expr("(fn() => 1)"), "(fn () 1)");
    assert_eq!(error_at("(a,)").0, "unexpected token `)`");
}

#[test]
fn lambdas() {
    assert_eq!(show_expr("fn(a, b) { a + b }"), "(fn (a b) {(+ a b)})");
    assert_eq!(show_expr("fn(x) => x + 1"), "(fn (x) (+ x 1))");
    assert_eq!(show_expr("fn() => fn(y) => y"), "(fn () (fn (y) y))");
    assert_eq!(show_expr("fn(_) => 0"), "(fn (_) 0)");
    assert_eq!(
        show_expr("f(fn(x) => x + 1, 2)"),
        "(call f (fn (x) (+ x 1)) 2)"
    );
    assert_eq!(show_expr("fn(x) => x or y"), "(fn (x) (or x y))");
    assert_eq!(show_expr("fn(x) => return x"), "(fn (x) (return x))");
    // Level-1 forms only stand where a full expression may.
    assert_eq!(error_at("1 + fn(x) => x").0, "unexpected token `=>`");
    assert!(parse_program("a or return b").is_err());
}

#[test]
fn return_forms() {
    assert_eq!(show("fn f() { return }"), "fn f() {(return)}");
    assert_eq!(show("fn f() { return; }"), "fn f() {(return);}");
    assert_eq!(
        show("fn f() { return 1 + 2; }"),
        "fn f() {(return (+ 1 2));}"
    );
    assert_eq!(show("fn f() { return { 1 } }"), "fn f() {(return {1})}");
    assert_eq!(
        show_expr("match x { _ => return, }"),
        "(match x [_ => (return)])"
    );
    assert_eq!(show_expr("f(return)"), "(call f (return))");
}

#[test]
fn if_while_for() {
    assert_eq!(
        show_expr("if c { a } else if d { b } else { e }"),
        "(if c {a} (if d {b} {e}))"
    );
    assert_eq!(show_expr("if c { a }"), "(if c {a})");
    assert_eq!(
        show_expr("while i < 10 { i = i + 1 }"),
        "(while (< i 10) {i = (+ i 1);})"
    );
    assert_eq!(show_expr("for x in xs { f(x) }"), "(for x xs {(call f x)})");
    assert_eq!(show_expr("for i in 0..10 { }"), "(for i 0..10 {})");
    assert_eq!(
        show_expr("for i in a + 1..n * 2 { }"),
        "(for i (+ a 1)..(* n 2) {})"
    );
    assert_eq!(show_expr("for (k, v) in pairs { }"), "(for (k v) pairs {})");
    assert_eq!(
        show_expr("for _ in range(0, 3) { }"),
        "(for _ (call range 0 3) {})"
    );
    // `..` only as the head of a `for`.
    assert!(parse_program("let r = 0..10;").is_err());
}

#[test]
fn heads_end_at_the_first_open_brace() {
    assert_eq!(
        show_expr("if f(x) { 1 } else { 2 }"),
        "(if (call f x) {1} {2})"
    );
    assert_eq!(
        show_expr("while i < len(a) { }"),
        "(while (< i (call len a)) {})"
    );
    assert_eq!(show_expr("match xs { _ => 0 }"), "(match xs [_ => 0])");
    assert_eq!(
        show_expr("if (fn() => 1)() == 1 { }"),
        "(if (== (call (fn () 1)) 1) {})"
    );
    assert_eq!(
        show_expr("for x in range(0, 3) { }"),
        "(for x (call range 0 3) {})"
    );
    assert_eq!(
        show_expr("if (fn(x) { x })(1) == 1 { }"),
        "(if (== (call (fn (x) {x}) 1) 1) {})"
    );
    assert_eq!(show_expr("if f({ 1 }) { }"), "(if (call f {1}) {})");
    assert_eq!(show_expr("if [x][0] { }"), "(if (index [x] 0) {})");
    assert_eq!(
        show_expr("if if a { b } else { c } { d }"),
        "(if (if a {b} {c}) {d})"
    );
    assert_eq!(
        show_expr("if match x { _ => true } { 1 }"),
        "(if (match x [_ => true]) {1})"
    );
    assert_eq!(
        show_expr("if handle f() with { } { 1 }"),
        "(if (handle (call f) {}) {1})"
    );
    assert_eq!(show_expr("if not done { }"), "(if (not done) {})");
    assert_eq!(show_expr("if -x < 0 { }"), "(if (< (neg x) 0) {})");
    assert_eq!(
        show_expr("while resume k(1) with { } { }"),
        "(while (resume k 1 with {}) {})"
    );
    // A bare block or a block-bodied lambda in a head must be parenthesised.
    let (message, text, hint) = error_at("if { true } { 1 }");
    assert_eq!(
        (message.as_str(), text.as_str()),
        ("unexpected token `{`", "{")
    );
    assert!(hint.unwrap().contains("in parentheses"));
    let (message, _, hint) = error_at("if fn(x) { x }(1) == 1 { }");
    assert_eq!(message, "unexpected token `fn`");
    assert!(hint.unwrap().contains("in parentheses"));
    assert!(parse_program("if x == { 1 } { }").is_err());
    assert!(parse_program("if return { }").is_err());
    assert!(parse_program("match fn() => 1 { }").is_err());
}

// --- Patterns.

#[test]
fn match_forms_of_the_reference() {
    assert_eq!(
        show_expr("match t {\n  Leaf => 0,\n  Node(l, v, r) => size(l) + 1 + size(r),\n}"),
        "(match t [Leaf => 0] [(Node l v r) => (+ (+ (call size l) 1) (call size r))])"
    );
    assert_eq!(
        show_expr("match xs { [] => 0, x :: rest => x + sum(rest) }"),
        "(match xs [[] => 0] [(:: x rest) => (+ x (call sum rest))])"
    );
    assert_eq!(
        show_expr("match p { (a, b) => a + b }"),
        "(match p [(tuple a b) => (+ a b)])"
    );
    assert_eq!(
        show_expr(
            r#"match n { 0 => "zero", 1 | 2 => "small", m if m < 0 => "negative", _ => "big" }"#
        ),
        r#"(match n [0 => "zero"] [(| 1 2) => "small"] [m if (< m 0) => "negative"] [_ => "big"])"#
    );
}

#[test]
fn patterns() {
    let pattern = |p: &str| {
        let src = format!("match x {{ {p} => 0 }}");
        match &parse(&src).stmts[0] {
            Stmt::Expr { expr, .. } => match &expr.kind {
                ExprKind::Match(_, arms) => render_pattern(&arms[0].pattern),
                _ => unreachable!(),
            },
            _ => unreachable!(),
        }
    };
    assert_eq!(pattern("_"), "_");
    assert_eq!(pattern("y"), "y");
    assert_eq!(pattern("-1"), "-1");
    assert_eq!(pattern("-2.5"), "-2.5");
    assert_eq!(pattern("-9223372036854775808"), "-9223372036854775808");
    assert_eq!(pattern("\"s\""), "\"s\"");
    assert_eq!(pattern("true"), "true");
    assert_eq!(pattern("false"), "false");
    assert_eq!(pattern("()"), "()");
    assert_eq!(pattern("(p)"), "p");
    assert_eq!(pattern("(p, q, r)"), "(tuple p q r)");
    assert_eq!(pattern("[]"), "[]");
    assert_eq!(pattern("[p, q,]"), "[p q]");
    assert_eq!(pattern("a :: b :: c"), "(:: a (:: b c))");
    assert_eq!(pattern("Some(x)"), "(Some x)");
    assert_eq!(pattern("None"), "None");
    assert_eq!(pattern("C()"), "C");
    assert_eq!(pattern("1 | 2 | 3"), "(| 1 2 3)");
    assert_eq!(pattern("x :: _ | []"), "(| (:: x _) [])");
    assert_eq!(pattern("(1 | 2, _)"), "(tuple (| 1 2) _)");
    assert_eq!(
        pattern("Node(Leaf, v, (a, [b]))"),
        "(Node Leaf v (tuple a [b]))"
    );
    assert_eq!(pattern("(a :: b) :: c"), "(:: (:: a b) c)");
}

#[test]
fn guard_applies_to_the_whole_or_pattern() {
    assert_eq!(
        show_expr("match n { 1 | 2 if ok => a }"),
        "(match n [(| 1 2) if ok => a])"
    );
}

#[test]
fn match_arm_commas() {
    assert_eq!(
        show_expr("match x { 1 => { a } 2 => if c { b } else { d } 3 => e }"),
        "(match x [1 => {a}] [2 => (if c {b} {d})] [3 => e])"
    );
    assert_eq!(
        show_expr("match x { 1 => match y { _ => 1 } _ => while c { } }"),
        "(match x [1 => (match y [_ => 1])] [_ => (while c {})])"
    );
    assert_eq!(
        show_expr("match x { 1 => for i in xs { } _ => handle f() with { } }"),
        "(match x [1 => (for i xs {})] [_ => (handle (call f) {})])"
    );
    assert_eq!(
        show_expr("match x { 1 => { a }, 2 => b, }"),
        "(match x [1 => {a}] [2 => b])"
    );
    assert_eq!(show_expr("match x { }"), "(match x )");
    // A block-like body ends at its `}`.
    assert!(parse_program("match x { 1 => { a } + 1, }").is_err());
    // Other bodies need a comma unless last.
    let (message, _, hint) = error_at("match x { 1 => a 2 => b }");
    assert_eq!(message, "unexpected token `2`");
    assert!(hint.unwrap().starts_with("expected one of `}`, `,`"));
    assert!(parse_program("match x { 1 => a,, 2 => b }").is_err());
    assert!(parse_program("match x { , }").is_err());
}

// --- Effects.

#[test]
fn suspend_binds_like_a_call() {
    assert_eq!(show_expr("suspend Yield(42)"), "(suspend Yield 42)");
    assert_eq!(show_expr("suspend Get()"), "(suspend Get )");
    assert_eq!(show_expr("suspend Op(a, b)"), "(suspend Op a b)");
    assert_eq!(
        show_expr("suspend A() + suspend B()"),
        "(+ (suspend A ) (suspend B ))"
    );
    assert_eq!(show_expr("suspend Get()[0]"), "(index (suspend Get ) 0)");
    assert_eq!(show_expr("suspend Get()(1)"), "(call (suspend Get ) 1)");
    assert_eq!(show_expr("-suspend Get()"), "(neg (suspend Get ))");
    let (message, text, hint) = error_at("suspend Get + 1");
    assert_eq!(
        (message.as_str(), text.as_str()),
        ("unexpected token `+`", "+")
    );
    assert!(hint.unwrap().contains("`suspend Get()`"));
    assert!(
        error("suspend Get")
            .hint()
            .unwrap()
            .contains("`suspend Get()`")
    );
    let (_, _, hint) = error_at("suspend get()");
    assert!(hint.unwrap().contains("upper-case"));
}

#[test]
fn resume_forms() {
    assert_eq!(show_expr("resume k(v)"), "(resume k v)");
    assert_eq!(show_expr("resume k()"), "(resume k )");
    assert_eq!(show_expr("resume k(())"), "(resume k ())");
    assert_eq!(show_expr("total + resume k(v)"), "(+ total (resume k v))");
    assert_eq!(show_expr("resume k(v) + 1"), "(+ (resume k v) 1)");
    assert_eq!(show_expr("resume ks[0](1)"), "(resume (index ks 0) 1)");
    assert_eq!(
        show_expr("resume ks[i][j](1)"),
        "(resume (index (index ks i) j) 1)"
    );
    assert_eq!(show_expr("resume (f())(x)"), "(resume (call f) x)");
    assert_eq!(show_expr("resume k(v)[0]"), "(index (resume k v) 0)");
    assert_eq!(show_expr("resume k(a, b)"), "(resume k a b)");
    assert_eq!(
        show_expr("resume k(v) with { Get(), k2 => resume k2(1) }"),
        "(resume k v with {[Get() k2 => (resume k2 1)]})"
    );
    assert_eq!(
        show_expr("resume k(v) with { } + 1"),
        "(+ (resume k v with {}) 1)"
    );
    assert_eq!(show_expr("cont f"), "(cont f)");
    assert_eq!(show_expr("resume cont_k(1)"), "(resume cont_k 1)");
    let (_, _, hint) = error_at("resume k; 1");
    assert!(hint.unwrap().contains("`resume k(v)`"));
    assert!(parse_program("resume K(1)").is_err());
    assert_eq!(show_expr("resume f()(1)"), "(call (resume f ) 1)");
}

#[test]
fn with_after_resume_belongs_to_the_resume() {
    assert_eq!(
        show_expr("handle (resume k(v)) with { A(), k => 1 }"),
        "(handle (resume k v) {[A() k => 1]})"
    );
    assert_eq!(
        show_expr("handle resume k(v) with { A(), k => 1 } with { }"),
        "(handle (resume k v with {[A() k => 1]}) {})"
    );
    assert_eq!(
        show_expr("handle resume k(v) + 1 with { }"),
        "(handle (+ (resume k v) 1) {})"
    );
    assert_eq!(
        show_expr("handle resume k(v)[0] with { }"),
        "(handle (index (resume k v) 0) {})"
    );
    let e = error("handle resume k(v) with { A(), k => 1 }");
    assert!(e.at_eof());
    assert!(e.hint().unwrap().contains("handle (resume k(v)) with"));
    let e = error("handle 1 + resume k(v) with { }; 2");
    assert!(!e.at_eof());
    assert!(e.hint().unwrap().contains("handle (resume k(v)) with"));
}

#[test]
fn handle_forms() {
    assert_eq!(
        show_expr(
            "handle body with {\n  Yield(v), k => { println(v); resume k(()) }\n  Get(), k => resume k(10),\n  return(x) => x,\n}"
        ),
        "(handle body {[Yield(v) k => {(call println v); (resume k ())}] [Get() k => (resume k 10)] [return(x) => x]})"
    );
    assert_eq!(
        show_expr("handle { f(); g() } with { Op(a, _), _ => a }"),
        "(handle {(call f); (call g)} {[Op(a _) _ => a]})"
    );
    assert_eq!(
        show_expr("println(handle f() with { return(_) => 0 })"),
        "(call println (handle (call f) {[return(_) => 0]}))"
    );
    assert_eq!(
        show_expr("handle fn() => 1 with { }"),
        "(handle (fn () 1) {})"
    );
    assert_eq!(
        show_expr("handle handle f() with { A(), k => 1 } with { B(), k => 2 }"),
        "(handle (handle (call f) {[A() k => 1]}) {[B() k => 2]})"
    );
    assert_eq!(
        show_expr("handle x with { return(x) => x, A(), k => 1 }"),
        "(handle x {[A() k => 1] [return(x) => x]})"
    );
    assert_eq!(
        show_expr("1 + handle f() with { }"),
        "(+ 1 (handle (call f) {}))"
    );
}

#[test]
fn handler_clause_commas_and_return_clauses() {
    assert_eq!(
        show_expr("handle f() with { A(), k => { 1 } B(), k => if c { 2 } C(), k => 3 }"),
        "(handle (call f) {[A() k => {1}] [B() k => (if c {2})] [C() k => 3]})"
    );
    let (message, _, hint) = error_at("handle f() with { A(), k => 1 B(), k => 2 }");
    assert_eq!(message, "unexpected token `B`");
    assert!(hint.unwrap().starts_with("expected one of `}`, `,`"));
    let (message, text, _) = error_at("handle f() with { return(x) => x, return(y) => y }");
    assert_eq!(message, "a handler has at most one `return` clause");
    assert_eq!(text, "return(y) => y");
    assert!(parse_program("handle f() with { return(x, y) => x }").is_err());
    assert!(parse_program("handle f() with { return() => 1 }").is_err());
    assert!(parse_program("handle f() with { A() => 1 }").is_err());
    assert!(parse_program("handle f() with { a(), k => 1 }").is_err());
    assert!(parse_program("handle f() with { A(1), k => 1 }").is_err());
}

// --- Errors.

#[test]
fn unexpected_end_of_input_is_at_eof() {
    for src in ["let x = ", "1 +", "handle f()", "fn f() { let y = "] {
        let e = error(src);
        assert!(e.at_eof(), "{src:?}: {e:?}");
        assert_eq!(e.message(), "unexpected end of input");
        assert_eq!(e.span, Span::new(src.len(), src.len()));
    }
    let e = error("let x = ");
    assert_eq!(e.hint().as_deref(), Some("expected an expression"));
}

#[test]
fn input_ending_where_a_bracket_could_close_is_reported_at_the_bracket() {
    for (src, bracket) in [
        ("fn f(", 4),
        ("{", 0),
        ("if c {", 5),
        ("match x {", 8),
        ("f(1,", 1),
        ("f(1, g(2)", 1),
        ("[1, {\n  2\n}\n  ", 0),
    ] {
        let e = error(src);
        assert!(e.at_eof(), "{src:?}: {e:?}");
        assert_eq!(e.span, Span::new(bracket, bracket + 1), "{src:?}");
        let opener = &src[bracket..bracket + 1];
        assert_eq!(
            e.message(),
            format!("unexpected end of input: this `{opener}` is never closed")
        );
        // The end of the input, blank space apart, is the second label.
        let end = src.trim_end().len();
        assert_eq!(
            e.secondary(),
            [(Span::new(end, end), "the input ends here".to_string())]
        );
    }
    assert_eq!(
        error("fn f(").hint().as_deref(),
        Some("add the `)` that closes it")
    );
}

#[test]
fn a_closer_indented_like_an_outer_line_marks_the_bracket_it_closed() {
    let src = "fn f(x) {\n  if x {\n    1\n}\n";
    let e = error(src);
    assert_eq!(e.span, Span::new(17, 18));
    assert_eq!(
        e.message(),
        "unexpected end of input: this `{` most likely lacks its `}`"
    );
    let labels = e.secondary();
    assert_eq!(labels[0].0, Span::new(25, 26));
    assert_eq!(
        labels[0].1,
        "this `}` closes it, but is indented like an outer `{`'s line"
    );
}

#[test]
fn habits_of_other_languages_get_a_hint() {
    let hint = |src| error(src).hint();
    assert_eq!(
        hint("perform Ask()").as_deref(),
        Some("kont performs an operation with `suspend`: `suspend Ask(…)`")
    );
    for src in [
        "handle f() with { ask(), k => 1 }",
        "handle f() with { A(), k => 1, ask(), k => 1 }",
        "suspend ask()",
    ] {
        assert_eq!(
            hint(src).as_deref(),
            Some("operation names start with an upper-case letter"),
            "{src:?}"
        );
    }
}

#[test]
fn mid_input_errors_are_not_at_eof() {
    let e = error("fn f(1) { }");
    assert!(!e.at_eof());
    assert_eq!(e.message(), "unexpected token `1`");
    assert_eq!(e.span, Span::new(5, 6));
    let e = error("let x = );");
    assert!(!e.at_eof());
    assert_eq!(
        e.hint().as_deref(),
        Some("nothing before it is an open `(` to close")
    );
    let e = error("}");
    assert_eq!(
        e.hint().as_deref(),
        Some("nothing before it is an open `{` to close")
    );
}

#[test]
fn lexical_errors_become_parse_errors() {
    let (message, text, hint) = error_at("let x = 1.;");
    assert_eq!(
        (message.as_str(), text.as_str()),
        ("invalid float literal `1.`", "1.")
    );
    assert_eq!(hint.as_deref(), Some("`1.` is not a float: write `1.0`"));
    let (message, _, hint) = error_at("x = .5");
    assert_eq!(message, "invalid float literal `.5`");
    assert_eq!(hint.as_deref(), Some("`.5` is not a float: write `0.5`"));
    let (message, text, hint) = error_at("x = 1e3");
    assert_eq!(
        (message.as_str(), text.as_str()),
        ("invalid float literal `1e3`", "1e3")
    );
    assert_eq!(hint.as_deref(), Some("`1e3` is not a float: write `1.0e3`"));
    let (message, text, _) = error_at("x = 9223372036854775808");
    assert_eq!(
        (message.as_str(), text.as_str()),
        ("integer literal too large", "9223372036854775808")
    );
    let (message, _, _) = error_at("x = 99999999999999999999");
    assert_eq!(message, "integer literal too large");
    let (message, _, _) = error_at("x = -99999999999999999999");
    assert_eq!(message, "integer literal too large");
    assert_eq!(
        error_at("f(9223372036854775808)").0,
        "integer literal too large"
    );
    assert_eq!(
        error_at("-(9223372036854775808)").0,
        "integer literal too large"
    );
    let (message, text, _) = error_at(r#"s = "a\qb";"#);
    assert_eq!(
        (message.as_str(), text.as_str()),
        ("invalid escape `\\q` in string", "\\q")
    );
    let e = error("s = \"abc");
    assert_eq!(
        (e.message().as_str(), e.at_eof()),
        ("unterminated string", true)
    );
    assert_eq!(e.span, Span::new(4, 5));
    let e = error("x /* abc");
    assert_eq!(
        (e.message().as_str(), e.at_eof()),
        ("unterminated block comment", true)
    );
    let (message, text, _) = error_at("x @@ y");
    assert_eq!(
        (message.as_str(), text.as_str()),
        ("unexpected characters `@@`", "@@")
    );
    assert!(!error("x @@ y").at_eof());
}

#[test]
fn the_first_error_wins() {
    assert_eq!(error("f(; @").message(), "unexpected token `;`");
    assert_eq!(error("f(@ ;").message(), "unexpected character `@`");
}

#[test]
fn specific_hints() {
    let (_, _, hint) = error_at("if x = 1 { }");
    assert!(hint.unwrap().contains("`==`"));
    let (_, _, hint) = error_at("a == not b");
    assert!(hint.unwrap().contains("parentheses"));
    let (_, _, hint) = error_at("fn Foo() { }");
    assert!(hint.unwrap().contains("lower-case"));
    let (_, _, hint) = error_at("effect get()");
    assert!(hint.unwrap().contains("upper-case"));
    let (message, _, hint) = error_at("1 2");
    assert_eq!(message, "unexpected token `2`");
    assert_eq!(
        hint.as_deref(),
        Some("expected one of `;`, an operator, `(`, `[`")
    );
}

#[test]
fn display_shows_the_hint() {
    let e = error("1 2");
    assert_eq!(
        e.to_string(),
        "unexpected token `2` (expected one of `;`, an operator, `(`, `[`)"
    );
    assert_eq!(
        error("x = 99999999999999999999")
            .to_string()
            .lines()
            .count(),
        1
    );
}

// --- Spans.

#[test]
fn spans_cover_the_source_text() {
    let src = "let x = f(a, b) + 1;";
    let Stmt::Let { value, span: s, .. } = &parse(src).stmts[0] else {
        panic!("not a let");
    };
    assert_eq!(*s, Span::new(0, 19));
    assert_eq!(
        &src[value.span.start as usize..value.span.end as usize],
        "f(a, b) + 1"
    );
    let ExprKind::Binary(_, call, one) = &value.kind else {
        panic!("not a binary");
    };
    assert_eq!(call.span, Span::new(8, 15));
    assert_eq!(one.span, Span::new(18, 19));
    let src = "  match x { Some(y) | None => y }";
    let Stmt::Expr { expr, .. } = &parse(src).stmts[0] else {
        panic!("not an expression");
    };
    assert_eq!(expr.span, Span::new(2, src.len()));
    let ExprKind::Match(_, arms) = &expr.kind else {
        panic!("not a match");
    };
    assert_eq!(arms[0].span, Span::new(12, 31));
    assert_eq!(arms[0].pattern.span(), Span::new(12, 26));
    let src = "-5";
    assert_eq!(parse(src).stmts.len(), 1);
    let Stmt::Expr { expr, .. } = &parse(src).stmts[0] else {
        panic!("not an expression");
    };
    assert_eq!(expr.span, Span::new(0, 2));
}

// --- Whole programs.

#[test]
fn the_reference_example_program() {
    let src = r#"effect Yield(value)

fn range_gen(a, b) {
  var i = a;
  while i < b { suspend Yield(i); i = i + 1 }
}

fn sum_of(gen) {
  var total = 0;
  handle gen() with {
    Yield(v), k => { total = total + v; resume k(()) }
    return(_) => total
  }
}

println(sum_of(fn() => range_gen(0, 10)))   // 45
"#;
    assert_eq!(
        show(src),
        "effect Yield(value) \
             fn range_gen(a b) {var i = a; (while (< i b) {(suspend Yield i); i = (+ i 1);})} \
             fn sum_of(gen) {var total = 0; (handle (call gen) {[Yield(v) k => {total = (+ total v); (resume k ())}] [return(_) => total]})} \
             (call println (call sum_of (fn () (call range_gen 0 10))))"
    );
}

#[test]
fn comments_and_whitespace() {
    assert_eq!(
        show("// a\nlet /* b */ x = 1; /* c\n d */ x // e"),
        "let x = 1; x"
    );
    assert_eq!(show("f(/**/)"), "(call f)");
}

#[test]
fn deep_nesting_grows_the_heap_not_the_stack() {
    // The parser keeps its stack on the heap; the depth here is bounded only by the
    // recursive `Drop` of the tree, which is not the parser's.
    let depth = 5_000;
    let nested = [
        format!("{}1{}", "(".repeat(depth), ")".repeat(depth)),
        format!("{}1{}", "[".repeat(depth), "]".repeat(depth)),
        format!("{}{}", "{".repeat(depth), "}".repeat(depth)),
        format!("{}{}x", "not ".repeat(depth), "- ".repeat(depth)),
        format!("{}[]", "x :: ".repeat(depth)),
        format!("{}x", "fn() => ".repeat(depth)),
        format!("if a {{ }}{} else {{ }}", " else if a { }".repeat(depth)),
    ];
    for src in &nested {
        assert!(parse_program(src).is_ok(), "{}", &src[..20]);
    }
    let open = "[".repeat(100_000);
    assert!(error(&open).at_eof());
    let unbalanced = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_001));
    assert!(!error(&unbalanced).at_eof());
}

#[test]
fn token_soup_never_panics() {
    // A deterministic smoke test (the property tests live elsewhere): random sequences
    // of fragments must give a tree or an error whose span lies on character boundaries
    // inside the source.
    const FRAGMENTS: &[&str] = &[
        "let ",
        "var ",
        "fn ",
        "if ",
        "else ",
        "while ",
        "for ",
        " in ",
        "match ",
        "return ",
        "effect ",
        "suspend ",
        "handle ",
        " with ",
        "resume ",
        "cont ",
        "discontinue ",
        "true",
        "false",
        " and ",
        " or ",
        "not ",
        "+",
        "-",
        "*",
        "/",
        "%",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "=",
        "++",
        "::",
        "..",
        "=>",
        ",",
        ";",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "|",
        "_",
        "x",
        "k",
        "Op",
        "Some",
        "1",
        "9223372036854775808",
        "2.5",
        "\"s\"",
        "\"\\q\"",
        "\"",
        "/*",
        "*/",
        "//",
        "\n",
        " ",
        ".",
        "1.",
        "1e3",
        "@",
        "é",
        "!",
        "&&",
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |bound: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % bound as u64) as usize
    };
    for _ in 0..20_000 {
        let len = next(24);
        let src: String = (0..len).map(|_| FRAGMENTS[next(FRAGMENTS.len())]).collect();
        if let Err(e) = parse_program(&src) {
            let (start, end) = (e.span.start as usize, e.span.end as usize);
            assert!(start <= end && end <= src.len(), "{src:?}: {e:?}");
            assert!(
                src.is_char_boundary(start) && src.is_char_boundary(end),
                "{src:?}"
            );
            assert!(!e.message().is_empty());
        }
    }
}

// --- Nesting, counted as the tokens are read.

#[test]
fn brackets_nested_too_deeply_are_an_error_where_the_bound_is_passed() {
    let n = MAX_NESTING;
    // Parentheses add no level to the tree: as deep as the bound, they parse.
    let src = format!("{}1{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(show_expr(&src), "1");
    for open in ["(", "[", "{ "] {
        let src = format!("x = {}1", open.repeat(n + 1));
        let e = error(&src);
        assert_eq!(e.kind, ParseErrorKind::NestedTooDeeply, "{open}");
        assert_eq!(
            e.message(),
            "expression nested too deeply (more than 100000 levels)"
        );
        assert_eq!(
            e.hint().as_deref(),
            Some("split it into smaller expressions with `let`")
        );
        // At the first bracket past the bound, with nothing after it read.
        let at = 4 + open.len() * n;
        assert_eq!(e.span.start as usize, at, "{open}");
    }
}

#[test]
fn chains_waiting_for_their_operands_are_counted_like_brackets() {
    // `- - … 1` folds into a literal, so it parses up to the bound of tokens waiting (an
    // even number of them).
    let folded = format!("{}1", "- ".repeat(MAX_PENDING));
    assert_eq!(show_expr(&folded), "1");
    for (unit, what) in [("- ", "minus"), ("1 :: ", "cons"), ("not ", "not")] {
        let src = format!("{}1", unit.repeat(MAX_PENDING + 1));
        assert_eq!(error(&src).kind, ParseErrorKind::NestedTooDeeply, "{what}");
    }
    // A `;`, a `,` or a closing bracket ends what waits: many short chains are fine.
    assert!(nesting_ok(&"x = 1 :: 2 :: [];".repeat(MAX_PENDING / 2 + 1)));
    assert!(nesting_ok(&format!("[{}]", "-1, ".repeat(MAX_PENDING + 1))));
    // A binary `-` waits for nothing (the resolver bounds such a chain's depth).
    assert!(nesting_ok(&format!(
        "x = 1{}",
        " - 1".repeat(MAX_PENDING + 1)
    )));
    assert!(!nesting_ok(&format!(
        "x = 1{}",
        " - -1".repeat(MAX_PENDING + 1)
    )));
}

/// Whether the tokens of `src` pass the count of [`Nesting`] (without building a tree,
/// which a test's stack could not drop).
fn nesting_ok(src: &str) -> bool {
    let mut nesting = Nesting::default();
    Lexer::new(src).all(|token| nesting.step(&token.expect("tokens")).is_ok())
}
