//! The golden runner's tests of itself (`runner self-test: …` trials): the expectation parser
//! and the checker on made-up outcomes, and the piping of a program's input through commands
//! other than kont. A child module of `tests/golden.rs`, whose private items it uses.

use std::process::Command;
use std::time::Duration;

use libtest_mimic::{Failed, Trial};

use super::*;

/// The runner's tests of itself, as trials.
pub fn self_tests() -> Vec<Trial> {
    fn trial(name: &str, test: fn() -> Result<(), String>) -> Trial {
        Trial::test(format!("runner self-test: {name}"), move || {
            test().map_err(Failed::from)
        })
    }
    fn outcome(code: i32, stdout: &[u8], stderr: &str) -> Outcome {
        Outcome {
            status: Some(Status::Code(code)),
            stdout: stdout.to_vec(),
            stderr: stderr.as_bytes().to_vec(),
            truncated: false,
            elapsed: Duration::ZERO,
        }
    }
    fn expect_err<T: std::fmt::Debug>(
        result: Result<T, String>,
        needle: &str,
    ) -> Result<(), String> {
        match result {
            Err(message) if message.contains(needle) => Ok(()),
            Err(message) => Err(format!("wrong failure: expected `{needle}` in:\n{message}")),
            Ok(value) => Err(format!("should have failed with `{needle}`, got {value:?}")),
        }
    }

    vec![
        trial("a program without expectations fails", || {
            expect_err(
                expectations(parse_spec("println(1)\n// just a comment\n"), None),
                "no expectations",
            )
        }),
        trial("an empty .out file is an expectation", || {
            let expected = expectations(parse_spec("let x = 1;\n"), Some(Vec::new()))?;
            check(&expected, &outcome(0, b"", ""))?;
            expect_err(check(&expected, &outcome(0, b"1\n", "")), "stdout differs")
        }),
        trial("an example without a .out file fails", || {
            expect_err(
                example_expectations(&parse_spec("println(1) // expect: 1\n"), None, None),
                "missing .out",
            )
        }),
        trial(
            "an example's .trace file is its whole stderr, run with --trace",
            || {
                let trace = "handle h1 at examples/x.kont:1:1\n".to_string();
                let expected =
                    example_expectations(&parse_spec(""), Some(Vec::new()), Some(trace))?;
                if expected.flags != ["--trace"] {
                    return Err(format!("flags {:?}", expected.flags));
                }
                check(
                    &expected,
                    &outcome(0, b"", "handle h1 at examples/x.kont:1:1\n"),
                )?;
                expect_err(check(&expected, &outcome(0, b"", "")), "trace")?;
                expect_err(
                    check(
                        &expected,
                        &outcome(0, b"", "handle h1 at examples/x.kont:1:1\nmore\n"),
                    ),
                    "trace",
                )
            },
        ),
        trial("directives are parsed", || {
            let source = "// checks things\n\
                          println(1); // expect: 1\n\
                          // expect:\n\
                          // expect:   two spaces\r\n\
                          // args: a  b\tc\n\
                          // expect stderr: t.kont:3:5\n\
                          // expect warning: unused variable `x`\n\
                          // expect runtime error: division by zero\n\
                          let s = \"// not a directive\"; // the expected value\n";
            let spec = parse_spec(source);
            let wanted = Spec {
                stdout: vec!["1".into(), "".into(), "  two spaces".into()],
                errors: vec![ExpectedExit::RuntimeError("division by zero".into())],
                stderr: vec!["t.kont:3:5".into()],
                stderr_end: vec![],
                warnings: vec!["unused variable `x`".into()],
                args: vec!["a".into(), "b".into(), "c".into()],
                flags: vec![],
                trace: vec![],
                slow_trace: vec![],
                malformed: vec![],
            };
            if spec == wanted {
                Ok(())
            } else {
                Err(format!("got {spec:#?}"))
            }
        }),
        trial("a misspelt directive fails", || {
            expect_err(
                expectations(parse_spec("1 // expect error: boom\n"), None),
                "unknown directive",
            )?;
            expect_err(
                expectations(parse_spec("// expected: 1\n"), None),
                "unknown directive",
            )
        }),
        trial("two error expectations fail", || {
            let spec = parse_spec("// expect runtime error: a\n// expect compile error: b\n");
            expect_err(expectations(spec, None), "more than one")
        }),
        trial("an exit expectation sets the status", || {
            let spec = parse_spec("println(1) // expect: 1\n// expect exit: 3\n");
            assert_eq!(spec.errors, [ExpectedExit::Status(3)]);
            let expected = expectations(spec, None)?;
            check(&expected, &outcome(3, b"1\n", "bye\n"))?;
            expect_err(check(&expected, &outcome(0, b"1\n", "")), "exit status 0")?;
            expect_err(check(&expected, &outcome(3, b"", "")), "stdout differs")?;
            let expected = expectations(
                parse_spec("// expect exit: 0\n// expect stderr: warning\n"),
                None,
            )?;
            check(&expected, &outcome(0, b"", "warning: x"))?;
            expect_err(check(&expected, &outcome(0, b"", "")), "does not contain")
        }),
        trial("an exit expectation combines with no other", || {
            for source in [
                "// expect exit: 3\n// expect runtime error: a\n",
                "// expect compile error: a\n// expect exit: 2\n",
                "// expect exit: 3\n// expect exit: 3\n",
            ] {
                expect_err(expectations(parse_spec(source), None), "more than one")?;
            }
            for status in ["256", "-1", "x", "", "3 4"] {
                let source = format!("// expect exit: {status}\n");
                expect_err(
                    expectations(parse_spec(&source), None),
                    "needs a status from 0 to 255",
                )?;
            }
            Ok(())
        }),
        trial("input is piped to the program, then closed", || {
            let input: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
            let echoed = run_command(Command::new("cat"), Some(input.clone()))?;
            if echoed.status != Some(Status::Code(0)) || echoed.stdout != input {
                return Err(format!("cat gave back {} bytes", echoed.stdout.len()));
            }
            // A program that reads none of it ends all the same.
            let ignored = run_command(Command::new("true"), Some(input))?;
            if ignored.status != Some(Status::Code(0)) {
                return Err(format!("true ended with {:?}", ignored.status));
            }
            Ok(())
        }),
        trial("stdout is compared exactly", || {
            let expected = expectations(parse_spec("// expect: 1\n// expect: 2\n"), None)?;
            check(&expected, &outcome(0, b"1\n2\n", ""))?;
            expect_err(
                check(&expected, &outcome(0, b"1\n2", "")),
                "does not end with a newline",
            )?;
            expect_err(check(&expected, &outcome(0, b"1\n3\n", "")), "+ 3")?;
            expect_err(
                check(&expected, &outcome(0, b"1\n2\n\n", "")),
                "stdout differs",
            )?;
            expect_err(
                check(&expected, &outcome(0, b"1\n\xff\n", "")),
                "not valid UTF-8",
            )
        }),
        trial("exit status and error message are checked", || {
            let expected = expectations(
                parse_spec("// expect runtime error: no pattern matched\n"),
                None,
            )?;
            check(
                &expected,
                &outcome(1, b"", "error: no pattern matched\n  at f (x.kont:1:1)\n"),
            )?;
            expect_err(
                check(&expected, &outcome(2, b"", "error: no pattern matched")),
                "exit status 2",
            )?;
            expect_err(
                check(&expected, &outcome(1, b"", "error: stack overflow")),
                "does not contain",
            )?;
            let expected = expectations(
                parse_spec("// expect compile error: unknown name x\n"),
                None,
            )?;
            check(&expected, &outcome(2, b"", "error: unknown name x\n"))?;
            expect_err(check(&expected, &outcome(0, b"", "")), "exit status 0")
        }),
        trial("the end of stderr is exactly its lines", || {
            let source = "// expect runtime error: division by zero\n\
                          // expect stderr ends: the suspended computation (B) was at:\n\
                          // expect stderr ends:   at mid (t.kont:4:12)\n";
            let expected = expectations(parse_spec(source), None)?;
            let report = "error: division by zero\n\
                          the suspended computation (B) was at:\n  at mid (t.kont:4:12)\n";
            check(&expected, &outcome(1, b"", report))?;
            let longer = report.replace("  at mid", "  at inner (t.kont:3:14)\n  at mid");
            expect_err(
                check(&expected, &outcome(1, b"", &longer)),
                "does not end with",
            )?;
            let more = format!("{report}  at <main> (t.kont:5:1)\n");
            expect_err(
                check(&expected, &outcome(1, b"", &more)),
                "does not end with",
            )?;
            let cut = report.replace("the suspended", "not the suspended");
            expect_err(
                check(&expected, &outcome(1, b"", &cut)),
                "does not end with",
            )
        }),
        trial("a trace is the exact beginning of stderr", || {
            let source = "// flags: --trace=stacks --trace-limit 9\n\
                          // expect trace: handle h1 at t.kont:1:1\n\
                          // expect slow trace: handle h1 at t.kont:1:1\n\
                          // expect slow trace:   switch main → s1\n";
            let spec = parse_spec(source);
            assert_eq!(spec.flags, ["--trace=stacks", "--trace-limit", "9"]);
            assert_eq!(spec.trace, ["handle h1 at t.kont:1:1"]);
            assert_eq!(spec.slow_trace.len(), 2);
            let expected = expectations(spec, None)?;
            let fast = "handle h1 at t.kont:1:1\n";
            check(&expected, &outcome(0, b"", fast))?;
            expect_err(
                check(&expected, &outcome(0, b"", "handle h2 at t.kont:1:1\n")),
                "does not begin with the expected trace",
            )?;
            expect_err(
                check(&expected, &outcome(0, b"", &format!("{fast}more\n"))),
                "more than the expected trace",
            )?;
            let slow = expected.on(Paths {
                slow: true,
                ..Paths::default()
            });
            check(
                &slow,
                &outcome(0, b"", "handle h1 at t.kont:1:1\n  switch main → s1\n"),
            )?;
            expect_err(check(&slow, &outcome(0, b"", fast)), "does not begin")
        }),
        trial("a trace follows kont's warnings", || {
            let source = "// flags: --trace\n\
                          // expect warning: unused variable `x`\n\
                          // expect trace: handle h1 at t.kont:1:1\n";
            let expected = expectations(parse_spec(source), None)?;
            let warning = "warning: unused variable `x`\n  ┌─ t.kont:1:5\n  │\n\n";
            let stderr = format!("{warning}handle h1 at t.kont:1:1\n");
            check(&expected, &outcome(0, b"", &stderr))
        }),
        trial("a failing program's error report follows its trace", || {
            let source = "// flags: --trace\n\
                          // expect trace: suspend Op() → root at t.kont:1:1\n\
                          // expect runtime error: unhandled effect Op\n";
            let expected = expectations(parse_spec(source), None)?;
            let stderr = "suspend Op() → root at t.kont:1:1\nerror: unhandled effect Op\n";
            check(&expected, &outcome(1, b"", stderr))
        }),
        trial("a trace needs the trace flag, a slow trace a trace", || {
            expect_err(
                expectations(parse_spec("// expect trace: handle h1\n"), None),
                "needs `// flags: --trace`",
            )?;
            let source = "// flags: --trace\n// expect slow trace: handle h1\n// expect: 1\n";
            expect_err(
                expectations(parse_spec(source), None),
                "need `// expect trace:` lines too",
            )
        }),
        trial("warnings are exactly those expected, in order", || {
            let warning = |message: &str| {
                format!("warning: {message}\n  ┌─ t.kont:1:5\n  │\n1 │ let x = 1;\n")
            };
            let both = warning("unused variable `x`") + &warning("unused parameter `y`");
            let expected = expectations(
                parse_spec(
                    "// expect warning: unused variable `x`\n\
                     // expect warning: unused parameter `y`\n",
                ),
                None,
            )?;
            check(&expected, &outcome(0, b"", &both))?;
            expect_err(
                check(&expected, &outcome(0, b"", &warning("unused variable `x`"))),
                "kont warned",
            )?;
            let reversed = warning("unused parameter `y`") + &warning("unused variable `x`");
            expect_err(check(&expected, &outcome(0, b"", &reversed)), "kont warned")?;
            // A program with no warning expected fails on one; its own `warning:` output is
            // not a warning of kont's.
            let expected = expectations(parse_spec("// expect: 1\n"), None)?;
            expect_err(check(&expected, &outcome(0, b"1\n", &both)), "kont warned")?;
            check(&expected, &outcome(0, b"1\n", "warning: low fuel\n"))?;
            expect_err(
                expectations(parse_spec("// expect warning:\n"), None),
                "empty `// expect warning:`",
            )
        }),
        trial("crashes, hangs and panics fail", || {
            let expected = expectations(parse_spec("// expect: 1\n"), None)?;
            let mut crashed = outcome(0, b"1\n", "");
            crashed.status = Some(Status::Signal(Some(11)));
            expect_err(check(&expected, &crashed), "signal 11")?;
            let mut hung = outcome(0, b"1\n", "");
            hung.status = None;
            expect_err(check(&expected, &hung), "timed out")?;
            expect_err(
                check(
                    &expected,
                    &outcome(0, b"1\n", "thread 'main' panicked at src/x.rs:1:1"),
                ),
                "Rust panic",
            )
        }),
    ]
}
