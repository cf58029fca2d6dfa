//! Tests of the library through whole programs: argument errors, the edge cases of the string
//! functions, random numbers.

use crate::Session;
use crate::tests::Kept;

/// What `program` prints; it must run without error.
fn output(program: &str) -> String {
    let out = Kept::default();
    let mut session = Session::new(Box::new(out.clone()), Vec::new(), crate::Options::default());
    if let Err(failure) = session.eval("<test>", program) {
        panic!("{program}: {}", failure.report);
    }
    String::from_utf8(out.0.take()).expect("the output is UTF-8")
}

/// What `expression` prints (`println(expression)`).
fn shown(expression: &str) -> String {
    let text = output(&format!("println({expression})"));
    text.strip_suffix('\n').unwrap_or(&text).to_string()
}

/// The message of the runtime error that evaluating `expression` ends in.
fn error(expression: &str) -> String {
    let mut session = Session::new(
        Box::new(std::io::sink()),
        Vec::new(),
        crate::Options::default(),
    );
    let failure = match session.eval("<test>", expression) {
        Ok(v) => panic!("{expression} gave {v:?}, not an error"),
        Err(failure) => failure,
    };
    let first = failure.report.lines().next().unwrap_or_default();
    first.strip_prefix("error: ").unwrap_or(first).to_string()
}

/// Checks each `(expression, message)`: evaluating the expression is that runtime error.
fn check_errors(cases: &[(&str, &str)]) {
    for (expression, message) in cases {
        assert_eq!(error(expression), *message, "{expression}");
    }
}

#[test]
fn string_argument_errors_name_the_function_and_show_the_value() {
    check_errors(&[
        ("chars(5)", "chars: expected a string, got 5"),
        ("split(\"a,b\", 0)", "split: expected a string, got 0"),
        ("lines([\"a\"])", "lines: expected a string, got [\"a\"]"),
        (
            "join(\"abc\", \",\")",
            "join: expected a list of strings, got \"abc\"",
        ),
        (
            "join([\"a\", 2], \",\")",
            "join: expected a list of strings, got [\"a\", 2]",
        ),
        (
            "join([1, 2], \"+\")",
            "join: expected a list of strings, got [1, 2]",
        ),
        ("join([\"a\"], 1)", "join: expected a string, got 1"),
        ("trim(())", "trim: expected a string, got ()"),
        (
            "upper(Some(\"a\"))",
            "upper: expected a string, got Some(\"a\")",
        ),
        ("lower(1.5)", "lower: expected a string, got 1.5"),
        ("contains(\"abc\", 1)", "contains: expected a string, got 1"),
        (
            "starts_with(1, \"a\")",
            "starts_with: expected a string, got 1",
        ),
        (
            "ends_with(\"a\", [\"a\"])",
            "ends_with: expected a string, got [\"a\"]",
        ),
        ("find(\"abc\", None)", "find: expected a string, got None"),
        (
            "replace(\"abc\", \"a\", 1)",
            "replace: expected a string, got 1",
        ),
        ("repeat(3, 2)", "repeat: expected a string, got 3"),
        (
            "repeat(\"a\", \"2\")",
            "repeat: expected a non-negative int, got \"2\"",
        ),
        ("ord(65)", "ord: expected a string of one character, got 65"),
        (
            "ord(\"\")",
            "ord: expected a string of one character, got \"\"",
        ),
        ("chr(-1)", "chr: expected a Unicode scalar value, got -1"),
        (
            "chr(1114112)",
            "chr: expected a Unicode scalar value, got 1114112",
        ),
        (
            "chr(\"a\")",
            "chr: expected a Unicode scalar value, got \"a\"",
        ),
        ("parse_float(1)", "parse_float: expected a string, got 1"),
        (
            "slice(\"abc\", \"0\", 1)",
            "slice: expected an int, got \"0\"",
        ),
        ("split(\"abc\", \"\")", "split: empty separator"),
    ]);
}

#[test]
fn list_argument_errors_name_the_function_and_show_the_value() {
    check_errors(&[
        (
            "reverse(\"abc\")",
            "reverse: expected a list or array, got \"abc\"",
        ),
        ("sort((2, 1))", "sort: expected a list or array, got (2, 1)"),
        (
            "sort([None, None])",
            "sort: cannot compare constructor with constructor",
        ),
        ("sort([1, 0.0 / 0.0])", "sort: cannot order NaN"),
        (
            "zip([1], \"ab\")",
            "zip: expected a list or array, got \"ab\"",
        ),
        ("enumerate(3)", "enumerate: expected a list or array, got 3"),
        (
            "sum([1, \"2\"])",
            "sum: expected a list of numbers, got [1, \"2\"]",
        ),
        ("sum(7)", "sum: expected a list of numbers, got 7"),
        ("nth([1], \"0\")", "nth: expected an int, got \"0\""),
        (
            "nth(\"abc\", 0)",
            "nth: expected a list or array, got \"abc\"",
        ),
        ("nth([1, 2], -1)", "index out of range: -1 (length 2)"),
        ("nth(to_array([]), 0)", "index out of range: 0 (length 0)"),
        (
            "list(3)",
            "list: expected a list, array, string or dictionary, got 3",
        ),
        (
            "to_array(\"ab\")",
            "to_array: expected a list or array, got \"ab\"",
        ),
        ("push([1], 2)", "push: expected an array, got [1]"),
        ("pop([])", "pop: expected an array, got []"),
        ("same(1, 1)", "same: expected an array or dictionary, got 1"),
        (
            "same(array(1, 0), \"a\")",
            "same: expected an array or dictionary, got \"a\"",
        ),
        ("sum([9223372036854775807, 1])", "integer overflow"),
    ]);
}

#[test]
fn number_argument_errors_name_the_function_and_show_the_value() {
    check_errors(&[
        ("sqrt(\"4\")", "sqrt: expected a number, got \"4\""),
        ("floor(None)", "floor: expected a number, got None"),
        ("ceil([1.5])", "ceil: expected a number, got [1.5]"),
        ("round(\"2.5\")", "round: expected a number, got \"2.5\""),
        ("round(1.0e19)", "integer overflow"),
        ("ceil(-1.0e19)", "integer overflow"),
        ("floor(-1.0 / 0.0)", "integer overflow"),
        ("ceil(0.0 / 0.0)", "integer overflow"),
        ("pow(\"2\", 2)", "pow: expected a number, got \"2\""),
        ("pow(2, true)", "pow: expected a number, got true"),
        ("pow(10, 19)", "integer overflow"),
        ("pow(-2, 64)", "integer overflow"),
        ("random(0)", "random: expected a positive int, got 0"),
        ("random(-3)", "random: expected a positive int, got -3"),
        ("random(2.0)", "random: expected a positive int, got 2.0"),
        ("seed(1.5)", "seed: expected an int, got 1.5"),
        ("fixed(\"1\", 2)", "fixed: expected a number, got \"1\""),
        (
            "fixed(1.0, -1)",
            "fixed: expected a non-negative int, got -1",
        ),
        (
            "fixed(1.0, 2.0)",
            "fixed: expected a non-negative int, got 2.0",
        ),
        (
            "pad_left(\"a\", \"3\")",
            "pad_left: expected an int, got \"3\"",
        ),
        (
            "pad_right(\"a\", 2.0)",
            "pad_right: expected an int, got 2.0",
        ),
        (
            "random_float(1)",
            "wrong number of arguments: random_float expects 0, got 1",
        ),
    ]);
}

#[test]
fn a_long_value_in_an_argument_error_is_cut() {
    let message = error("sum(range(0, 1000) ++ [\"x\"])");
    assert!(message.starts_with("sum: expected a list of numbers, got [0, 1, 2,"));
    assert!(message.ends_with("..."), "{message}");
    assert!(message.chars().count() < 300, "{message}");
}

#[test]
fn strings_too_long_for_memory_are_errors_not_aborts() {
    for call in [
        "repeat(\"ab\", 9223372036854775807)",
        "pad_left(1, 9223372036854775807)",
        "pad_right(1, 9223372036854775807)",
        "fixed(1.5, 9223372036854775807)",
        "fixed(1, 9223372036854775807)",
        "replace(repeat(\"a\", 1000), \"a\", repeat(\"b\", 1000000000000))",
    ] {
        let message = error(call);
        assert!(message.contains("bytes"), "{call}: {message}");
    }
}

#[test]
fn slice_clamps_and_counts_characters() {
    let cases = [
        ("slice(\"héllo\", 1, 4)", "éll"),
        ("slice(\"héllo\", -3, 2)", "hé"),
        ("slice(\"héllo\", 4, 1)", ""),
        ("slice(\"héllo\", 5, 9)", ""),
        (
            "slice(\"abc\", -9223372036854775808, 9223372036854775807)",
            "abc",
        ),
        ("slice(\"日本語\", 1, 2)", "本"),
        ("slice(\"\", 0, 0)", ""),
    ];
    for (call, expected) in cases {
        assert_eq!(shown(call), expected, "{call}");
    }
}

#[test]
fn searching_counts_characters_and_finds_the_empty_string() {
    assert_eq!(shown("find(\"日本語日本\", \"日本\")"), "Some(0)");
    assert_eq!(shown("find(\"é日本語\", \"語\")"), "Some(3)");
    assert_eq!(shown("find(\"\", \"\")"), "Some(0)");
    assert_eq!(shown("contains(\"\", \"\")"), "true");
    assert_eq!(shown("ends_with(\"abc\", \"\")"), "true");
}

#[test]
fn splitting_and_lines_keep_empty_parts() {
    assert_eq!(shown("split(\"a,,b\", \",\")"), "[\"a\", \"\", \"b\"]");
    assert_eq!(shown("split(\",\", \",\")"), "[\"\", \"\"]");
    assert_eq!(shown("lines(\"a\\n\\nb\")"), "[\"a\", \"\", \"b\"]");
    assert_eq!(shown("lines(\"a\\n\\n\")"), "[\"a\", \"\"]");
    // A lone carriage return is not a line end, even at the very end.
    let cr = "chr(13)";
    assert_eq!(shown(&format!("len(lines(\"a\" ++ {cr}))")), "1");
    assert_eq!(
        shown(&format!("lines(\"a\" ++ {cr}) == [\"a\" ++ {cr}]")),
        "true"
    );
}

#[test]
fn replace_and_repeat_handle_empty_strings() {
    assert_eq!(shown("replace(\"abc\", \"\", \"-\")"), "-a-b-c-");
    assert_eq!(shown("[replace(\"aaa\", \"a\", \"\")]"), "[\"\"]");
    assert_eq!(shown("[repeat(\"\", 9223372036854775807)]"), "[\"\"]");
    assert_eq!(shown("replace(\"a.b.c\", \".\", \"::\")"), "a::b::c");
}

#[test]
fn characters_and_their_numbers_round_trip() {
    assert_eq!(shown("ord(chr(1114111)) == 1114111"), "true");
    assert_eq!(
        shown("[ord(chr(55295)), ord(chr(57344))]"),
        "[55295, 57344]"
    );
    assert_eq!(
        error("chr(56320)"),
        "chr: expected a Unicode scalar value, got 56320"
    );
    assert_eq!(shown("join(chars(\"e\" ++ chr(769)), \"|\")"), "e|\u{301}");
    assert_eq!(shown("list(\"日本\")"), "[\"日\", \"本\"]");
}

#[test]
fn parsing_accepts_what_int_and_float_accept() {
    assert_eq!(shown("parse_int(\"+5\")"), "Some(5)");
    assert_eq!(shown("parse_int(\"1_000\")"), "None");
    assert_eq!(shown("parse_float(\" 1e3 \")"), "Some(1000.0)");
    assert_eq!(shown("parse_float(\"inf\")"), "Some(inf)");
    assert_eq!(shown("parse_float(\"NaN\")"), "Some(NaN)");
    assert_eq!(shown("parse_float(\".5\")"), "Some(0.5)");
}

#[test]
fn fixed_writes_exact_digits_past_formats_limits() {
    // Past the 1,074 digits a float's exact value can have, only zeros follow (and Rust's
    // `format!` precision, limited to 65,535, is not used for them).
    let text = shown("fixed(0.5, 70000)");
    assert_eq!(text.len(), 70002);
    assert!(text.starts_with("0.5000") && text.ends_with("000"));
    assert_eq!(shown("len(fixed(5.0e-324, 1074))"), "1076");
    assert_eq!(shown("fixed(-0.001, 2)"), "-0.00");
    assert_eq!(shown("fixed(1.0 / 0.0, 2)"), "inf");
    assert_eq!(shown("fixed(0.0 / 0.0, 2)"), "NaN");
    assert_eq!(
        shown("fixed(-9223372036854775808, 0)"),
        "-9223372036854775808"
    );
}

#[test]
fn padding_counts_characters() {
    assert_eq!(shown("pad_left(\"é\", 3)"), "  é");
    assert_eq!(shown("pad_right(\"\", 2) ++ \"|\""), "  |");
    assert_eq!(shown("pad_left(\"abc\", -9223372036854775808)"), "abc");
}

#[test]
fn lists_and_arrays() {
    assert_eq!(shown("sort([[1, 2], [1], []])"), "[[], [1], [1, 2]]");
    assert_eq!(shown("sort(to_array([\"b\", \"a\"]))"), "#[\"a\", \"b\"]");
    assert_eq!(shown("reverse(to_array([1, 2]))"), "#[2, 1]");
    assert_eq!(shown("zip(to_array([1]), to_array([2, 3]))"), "[(1, 2)]");
    assert_eq!(shown("nth(range(0, 100000), 99999)"), "99999");
    assert_eq!(shown("sum([1, 0.5, 1])"), "2.5");
    let pushed = output("let a = array(0, 0); push(a, a); println(same(a, a[0])); pop(a);");
    assert_eq!(pushed, "true\n");
}

#[test]
fn the_same_seed_gives_the_same_numbers() {
    let program = "
        fn draws(n) {
            var out = [];
            for _ in 0..n { out = random(1000000) :: out }
            (out, random_float())
        }
        seed(42);
        let a = draws(20);
        seed(42);
        let b = draws(20);
        seed(-42);
        let c = draws(20);
        println([a == b, a == c]);
        println(a);
    ";
    let first = output(program);
    assert!(first.starts_with("[true, false]\n"), "{first}");
    // The same on another run of the program, in a new session.
    assert_eq!(output(program), first);
}

#[test]
fn random_numbers_stay_in_range_and_cover_it() {
    let program = "
        let counts = array(3, 0);
        for _ in 0..3000 { let r = random(3); counts[r] = counts[r] + 1 }
        println(sort(list(counts))[0] > 0);
        var big = true;
        for _ in 0..1000 {
            let r = random(9223372036854775807);
            if r < 0 { big = false }
        }
        println(big);
        println(random(1));
    ";
    assert_eq!(output(program), "true\ntrue\n0\n");
}
