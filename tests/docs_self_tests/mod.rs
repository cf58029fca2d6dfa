//! The docs runner's tests of itself (`docs self-test: …` trials): the reading of fenced
//! blocks, the conventions that tie them to programs, and the checker, on made-up Markdown
//! and on real runs of kont. A child module of `tests/docs.rs`, whose private items it uses.

use libtest_mimic::{Failed, Trial};

use super::*;

/// The runner's tests of itself, as trials.
pub fn self_tests() -> Vec<Trial> {
    fn trial(name: &str, test: fn() -> Result<(), String>) -> Trial {
        Trial::test(format!("docs self-test: {name}"), move || {
            test().map_err(Failed::from)
        })
    }
    vec![
        trial(
            "fenced blocks are read with their number, line and info",
            || {
                let markdown = "# Title\n\n```kont gen.kont\nprintln(1)\n```\n\ntext\n\
                            ~~~~output\n1\n```\n~~~~\n  ```sh\n  kont x\n    more\n  ```\n";
                let found = blocks(markdown);
                let summary: Vec<(usize, usize, &str, &str)> = found
                    .iter()
                    .map(|b| (b.number, b.line, b.info.as_str(), b.text.as_str()))
                    .collect();
                let wanted = vec![
                    (1, 3, "kont gen.kont", "println(1)\n"),
                    (2, 8, "output", "1\n```\n"),
                    (3, 12, "sh", "kont x\n  more\n"),
                ];
                same(&summary, &wanted)
            },
        ),
        trial(
            "expectation blocks belong to the program above them",
            || {
                let markdown = "```kont a.kont\nprintln(read_line())\n```\nGiven\n```stdin\nx\n```\n\
                            ```sh\nkont a.kont\n```\nit prints\n```output\nSome(\"x\")\n```\n\
                            ```kont fragment\nnot run\n```\n\
                            ```kont\n1 / 0\n```\n```error status=3\nboom\n```\n\
                            ```trace stacks slow\nt\n```\n";
                let programs = programs(&blocks(markdown)).map_err(|p| p.join("\n"))?;
                let summary: Vec<Summary> = programs
                    .iter()
                    .map(|p| {
                        (
                            p.name.as_str(),
                            p.stdin.as_ref().map(|s| s.text.as_str()),
                            p.stdout.as_ref().map(|s| s.text.as_str()),
                            p.stderr.as_ref().map(|s| s.text.as_str()),
                            p.status,
                            p.traces.len(),
                        )
                    })
                    .collect();
                same(
                    &summary,
                    &vec![
                        ("a.kont", Some("x\n"), Some("Some(\"x\")\n"), None, 0, 0),
                        ("main.kont", None, None, Some("boom\n"), 3, 1),
                    ],
                )
            },
        ),
        trial(
            "every break of the conventions is reported with its line",
            || {
                let cases: [(&str, &str); 10] = [
                    (
                        "```\nprintln(1)\n```\n",
                        "line 1: block 1: a fenced block needs a language",
                    ),
                    (
                        "```output\n1\n```\n",
                        "line 1: block 1: an `output` block with no runnable",
                    ),
                    (
                        "```kont fragment\nx\n```\n```output\n1\n```\n",
                        "line 4: block 2: an `output` block with no runnable",
                    ),
                    (
                        "text\n```kont\nprintln(1)\n```\n```kont\nprintln(2)\n```\n```output\n2\n```\n",
                        "line 2: block 1: a `kont` program with nothing to check",
                    ),
                    (
                        "```kont\nprintln(1)\n```\n",
                        "line 1: block 1: a `kont` program with nothing to check",
                    ),
                    (
                        "```kont\n1\n```\n```output\n```\n```output\n```\n",
                        "line 6: block 3: a second `output` block",
                    ),
                    (
                        "```kont\n1\n```\n```error\nx\n```\n```stderr\n```\n",
                        "line 7: block 3: a program has at most one `error` or `stderr` block",
                    ),
                    (
                        "```kont\n1\n```\n```trace slow\n```\n",
                        "`trace slow`: write `trace`, `trace stacks` or `trace stacks slow`",
                    ),
                    (
                        "```kont gen\n1\n```\n",
                        "`kont gen`: after `kont` comes `fragment` or a file name",
                    ),
                    (
                        "```kont\n1\n```\n```error status=0\n```\n",
                        "`error status=0`: write `error status=N`",
                    ),
                ];
                for (markdown, needle) in cases {
                    match programs(&blocks(markdown)) {
                        Err(problems) if problems.iter().any(|p| p.contains(needle)) => {}
                        other => {
                            return Err(format!(
                                "{markdown:?}: expected `{needle}`, got {other:?}"
                            ));
                        }
                    }
                }
                Ok(())
            },
        ),
        trial(
            "a wrong output fails with the file, block, line and a diff",
            || {
                let markdown = "Intro\n\n```kont\nprintln(1 + 2)\n```\n\n```output\n4\n```\n";
                let program = &programs(&blocks(markdown)).map_err(|p| p.join("\n"))?[0];
                let run = &runs(program)[0];
                match run_program("docs/self_test.md", program, run) {
                    Ok(()) => Err("a wrong output passed".to_string()),
                    Err(report) => {
                        for needle in [
                            "docs/self_test.md:3: block 1 (`kont main.kont`)",
                            "$ kont main.kont",
                            "- stdout differs from the `output` block at line 7",
                            "  - 4\n",
                            "  + 3\n",
                        ] {
                            if !report.contains(needle) {
                                return Err(format!("`{needle}` is not in the report:\n{report}"));
                            }
                        }
                        Ok(())
                    }
                }
            },
        ),
        trial("a program runs with its input, traces and errors", || {
            let markdown = "```kont t.kont\neffect E()\nprintln(read_line());\n\
                            handle suspend E() with { E(), k => resume k(()) };\n1 / 0\n```\n\
                            ```stdin\nhi\n```\n```output\nSome(\"hi\")\n```\n\
                            ```error\nerror: division by zero\n  ┌─ t.kont:4:1\n  │\n\
                            4 │ 1 / 0\n  │ ^^^^^\n\nbacktrace (innermost first):\n  at <main> (t.kont:4:1)\n```\n\
                            ```trace\nhandle h1 at t.kont:3:1\n  \
                            suspend E() → h1, k1 at t.kont:3:8\nresume k1(()) at t.kont:3:37\n  \
                            finished k1 → () at t.kont:3:1\n```\n";
            let program = &programs(&blocks(markdown)).map_err(|p| p.join("\n"))?[0];
            let all = runs(program);
            if all.len() != 6 {
                return Err(format!("expected 6 runs, got {}", all.len()));
            }
            for run in &all {
                run_program("docs/self_test.md", program, run)?;
            }
            let mut wrong = all[3].clone();
            if let Some((_, trace)) = &mut wrong.trace {
                trace.text = trace.text.replace("k1", "k2");
            }
            match run_program("docs/self_test.md", program, &wrong) {
                Err(report) if report.contains("stderr differs from the `trace` block at line 23 and then the `error` block at line 13") => Ok(()),
                other => Err(format!("a wrong trace: {other:?}")),
            }
        }),
    ]
}

/// What the self-tests compare of a program: its name, input, output, error, exit status and
/// number of traces.
type Summary<'a> = (
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    i32,
    usize,
);

/// `Ok` if `got` is `wanted`, else both shown.
fn same<T: std::fmt::Debug + PartialEq>(got: &T, wanted: &T) -> Result<(), String> {
    if got == wanted {
        Ok(())
    } else {
        Err(format!("got {got:#?}\nwanted {wanted:#?}"))
    }
}
