//! Unit tests of the lexer: the tokens of each lexical form, and the kind and text of its
//! errors.

use super::*;

#[test]
fn the_keyword_list_holds_exactly_the_keywords() {
    for word in KEYWORDS {
        let toks = lex(word).unwrap();
        assert!(
            !matches!(toks[..], [Tok::LowerName(_)]),
            "{word} lexes as a name"
        );
    }
    // The words among the `#[token("…")]` attributes of `Tok`, read from `lexer.rs`.
    let source = include_str!("../lexer.rs");
    let mut declared: Vec<&str> = source
        .split("#[token(\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|t| t.len() > 1 && t.chars().all(|c| c.is_ascii_lowercase()))
        .collect();
    declared.sort_unstable();
    assert_eq!(declared, KEYWORDS);
}

/// The tokens of `src`, or the first error with the text under its span.
fn lex(src: &str) -> Result<Vec<Tok>, (LexErrorKind, String)> {
    Lexer::new(src)
        .map(|t| {
            t.map(|(_, tok, _)| tok)
                .map_err(|e| (e.kind, src[e.span].to_string()))
        })
        .collect()
}

fn name(s: &str) -> Tok {
    Tok::LowerName(s.to_string())
}

#[test]
fn keywords_names_and_punctuation() {
    use Tok::*;
    assert_eq!(
        lex(
            "let var fn if else while for in match return effect suspend handle with \
                 resume cont discontinue true false and or not"
        ),
        Ok(vec![
            Let,
            Var,
            Fn,
            If,
            Else,
            While,
            For,
            In,
            Match,
            Return,
            Effect,
            Suspend,
            Handle,
            With,
            Resume,
            Cont,
            Discontinue,
            True,
            False,
            And,
            Or,
            Not
        ])
    );
    assert_eq!(
        lex("+ - * / % == != < <= > >= = ++ :: .. => , ; ( ) [ ] { } |"),
        Ok(vec![
            Plus, Minus, Star, Slash, Percent, EqEq, NotEq, Lt, Le, Gt, Ge, Eq, PlusPlus,
            ColonColon, DotDot, FatArrow, Comma, Semi, LParen, RParen, LBracket, RBracket, LBrace,
            RBrace, Bar
        ])
    );
    assert_eq!(
        lex("_ _x x1 lets Some NODE_2 a_B"),
        Ok(vec![
            Underscore,
            name("_x"),
            name("x1"),
            name("lets"),
            UpperName("Some".to_string()),
            UpperName("NODE_2".to_string()),
            name("a_B"),
        ])
    );
    assert_eq!(lex("a<=b"), Ok(vec![name("a"), Le, name("b")]));
    assert_eq!(lex("x::xs"), Ok(vec![name("x"), ColonColon, name("xs")]));
}

#[test]
fn integers() {
    assert_eq!(
        lex("0 42 1_000_000"),
        Ok(vec![Tok::Int(0), Tok::Int(42), Tok::Int(1_000_000)])
    );
    assert_eq!(lex("9223372036854775807"), Ok(vec![Tok::Int(i64::MAX)]));
    assert_eq!(lex("9223372036854775808"), Ok(vec![Tok::MinIntMagnitude]));
    assert_eq!(
        lex("9_223_372_036_854_775_808"),
        Ok(vec![Tok::MinIntMagnitude])
    );
    assert_eq!(
        lex("9223372036854775809"),
        Err((LexErrorKind::IntTooLarge, "9223372036854775809".to_string()))
    );
    let huge = "9".repeat(1000);
    assert_eq!(lex(&huge), Err((LexErrorKind::IntTooLarge, huge.clone())));
    assert_eq!(lex("007"), Ok(vec![Tok::Int(7)]));
}

#[test]
fn ranges_are_not_floats() {
    assert_eq!(
        lex("0..10"),
        Ok(vec![Tok::Int(0), Tok::DotDot, Tok::Int(10)])
    );
    assert_eq!(lex("a..b"), Ok(vec![name("a"), Tok::DotDot, name("b")]));
}

#[test]
fn floats() {
    assert_eq!(
        lex("1.5 2.0e3 6.02e-23 1.0E+5 1_0.2_5"),
        Ok(vec![
            Tok::Float(1.5),
            Tok::Float(2000.0),
            Tok::Float(6.02e-23),
            Tok::Float(1.0e5),
            Tok::Float(10.25)
        ])
    );
    assert_eq!(
        lex("1.0e999"),
        Err((LexErrorKind::FloatTooLarge, "1.0e999".to_string()))
    );
}

#[test]
fn not_floats() {
    assert_eq!(
        lex("1."),
        Err((LexErrorKind::UnexpectedChars, ".".to_string()))
    );
    assert_eq!(
        lex(".5"),
        Err((LexErrorKind::UnexpectedChars, ".".to_string()))
    );
    assert_eq!(
        lex("1e3"),
        Err((LexErrorKind::InvalidNumber, "1e3".to_string()))
    );
    assert_eq!(
        lex("1e-3 x"),
        Err((LexErrorKind::InvalidNumber, "1e-3".to_string()))
    );
    assert_eq!(
        lex("2x"),
        Err((LexErrorKind::InvalidNumber, "2x".to_string()))
    );
    assert_eq!(
        lex("1.5f"),
        Err((LexErrorKind::InvalidNumber, "1.5f".to_string()))
    );
    assert_eq!(
        lex("1.5e"),
        Err((LexErrorKind::InvalidNumber, "1.5e".to_string()))
    );
    // `1.` lexes as an integer followed by a stray `.`.
    let mut lexer = Lexer::new("1.");
    assert_eq!(lexer.next(), Some(Ok((0, Tok::Int(1), 1))));
    assert!(matches!(lexer.next(), Some(Err(_))));
    assert_eq!(lexer.next(), None);
}

#[test]
fn dot_hints() {
    let hint = |src: &str| {
        let error = Lexer::new(src).find_map(Result::err).expect("an error");
        error.to_parse_error(src).hint()
    };
    assert_eq!(
        hint("x = 12."),
        Some("`12.` is not a float: write `12.0`".to_string())
    );
    assert_eq!(
        hint("f(.25)"),
        Some("`.25` is not a float: write `0.25`".to_string())
    );
    assert_eq!(
        hint("x.y"),
        Some("kont has no `.` operator; ranges are written `a..b`".to_string())
    );
    assert_eq!(
        hint("1..."),
        Some("kont has no `.` operator; ranges are written `a..b`".to_string())
    );
    assert_eq!(
        hint("x1.0"),
        Some("kont has no `.` operator; ranges are written `a..b`".to_string())
    );
}

#[test]
fn strings() {
    assert_eq!(
        lex(r#""a\n\t\"\\" "" "héllo ✓""#),
        Ok(vec![
            Tok::Str("a\n\t\"\\".to_string()),
            Tok::Str(String::new()),
            Tok::Str("héllo ✓".to_string())
        ])
    );
    assert_eq!(
        lex("\"two\nlines\""),
        Ok(vec![Tok::Str("two\nlines".to_string())])
    );
    assert_eq!(
        lex("\"// not a comment\""),
        Ok(vec![Tok::Str("// not a comment".to_string())])
    );
}

#[test]
fn string_errors() {
    assert_eq!(
        lex(r#""a\qb""#),
        Err((LexErrorKind::InvalidEscape, r"\q".to_string()))
    );
    assert_eq!(
        lex(r#""\r""#),
        Err((LexErrorKind::InvalidEscape, r"\r".to_string()))
    );
    assert_eq!(
        lex(r#""\0""#),
        Err((LexErrorKind::InvalidEscape, r"\0".to_string()))
    );
    assert_eq!(
        lex("\"\\é\""),
        Err((LexErrorKind::InvalidEscape, "\\é".to_string()))
    );
    assert_eq!(
        lex("x \"abc"),
        Err((LexErrorKind::UnterminatedString, "\"".to_string()))
    );
    assert_eq!(
        lex("\"abc\\"),
        Err((LexErrorKind::UnterminatedString, "\"".to_string()))
    );
    assert_eq!(
        lex("\"abc\\\""),
        Err((LexErrorKind::UnterminatedString, "\"".to_string()))
    );
    let error = Lexer::new("\"abc").find_map(Result::err).expect("an error");
    assert!(error.to_parse_error("\"abc").at_eof());
    assert_eq!(
        error.to_parse_error("\"abc").message(),
        "unterminated string"
    );
    let error = Lexer::new(r#""\q""#)
        .find_map(Result::err)
        .expect("an error");
    assert!(!error.to_parse_error(r#""\q""#).at_eof());
    assert_eq!(
        error.to_parse_error(r#""\q""#).message(),
        r"invalid escape `\q` in string"
    );
}

#[test]
fn comments() {
    assert_eq!(lex("a // b\nc"), Ok(vec![name("a"), name("c")]));
    assert_eq!(lex("a // b"), Ok(vec![name("a")]));
    assert_eq!(lex("a /* b\n c */ d"), Ok(vec![name("a"), name("d")]));
    assert_eq!(lex("a /* /* b */ c"), Ok(vec![name("a"), name("c")]));
    assert_eq!(lex("a /**/ b"), Ok(vec![name("a"), name("b")]));
    assert_eq!(lex("a/b"), Ok(vec![name("a"), Tok::Slash, name("b")]));
    assert_eq!(
        lex("a /* b"),
        Err((LexErrorKind::UnterminatedComment, "/*".to_string()))
    );
    assert_eq!(
        lex("/*/"),
        Err((LexErrorKind::UnterminatedComment, "/*".to_string()))
    );
    let error = Lexer::new("/* x").find_map(Result::err).expect("an error");
    assert!(error.to_parse_error("/* x").at_eof());
}

#[test]
fn runs_of_unexpected_characters_merge() {
    assert_eq!(
        lex("a @#$ b"),
        Err((LexErrorKind::UnexpectedChars, "@#$".to_string()))
    );
    assert_eq!(
        lex("a @ # b"),
        Err((LexErrorKind::UnexpectedChars, "@".to_string()))
    );
    assert_eq!(
        lex("é"),
        Err((LexErrorKind::UnexpectedChars, "é".to_string()))
    );
    assert_eq!(
        lex("x 🦀🦀"),
        Err((LexErrorKind::UnexpectedChars, "🦀🦀".to_string()))
    );
    let src = "a ! b";
    let error = Lexer::new(src).find_map(Result::err).expect("an error");
    assert_eq!(
        error.to_parse_error(src).message(),
        "unexpected character `!`"
    );
    assert_eq!(
        error.to_parse_error(src).hint(),
        Some("write `not` for negation".to_string())
    );
    let src = "a && b";
    let error = Lexer::new(src).find_map(Result::err).expect("an error");
    assert_eq!(
        error.to_parse_error(src).message(),
        "unexpected characters `&&`"
    );
    assert_eq!(
        error.to_parse_error(src).hint(),
        Some("write `and` for logical and".to_string())
    );
}

#[test]
fn spans_are_byte_offsets() {
    let spans: Vec<(usize, usize)> = Lexer::new("x = \"ü\";")
        .map(|t| t.map(|(start, _, end)| (start, end)))
        .collect::<Result<_, _>>()
        .expect("lexes");
    assert_eq!(spans, vec![(0, 1), (2, 3), (4, 8), (8, 9)]);
}
