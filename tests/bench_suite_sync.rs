//! The golden tests in `tests/programs/bench_suite/` run the benchmark programs of
//! `benches/suite/` on their small inputs. The golden runner runs one file, so each test is a
//! copy of its benchmark with a header of comment lines on top (`// args: …`, `// expect: …`,
//! `// Mirrors benches/suite/NAME.kont …`). This test keeps the copies from drifting: without
//! its header, every copy must equal its benchmark byte for byte, and every benchmark must
//! have a copy.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// The `.kont` file names in a directory.
fn kont_files(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".kont"))
        .collect()
}

/// `text` without its leading header lines (those that begin with `// args:`, `// expect:` or
/// `// Mirrors benches/suite/`).
fn strip_header(text: &str) -> &str {
    let mut rest = text;
    while ["// args:", "// expect:", "// Mirrors benches/suite/"]
        .iter()
        .any(|prefix| rest.starts_with(prefix))
    {
        rest = rest.find('\n').map_or("", |end| &rest[end + 1..]);
    }
    rest
}

#[test]
fn bench_suite_tests_are_copies_of_the_benchmarks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let benches = root.join("benches/suite");
    let tests = root.join("tests/programs/bench_suite");
    let names = kont_files(&benches);
    assert!(!names.is_empty(), "no benchmarks in {}", benches.display());
    assert_eq!(
        names,
        kont_files(&tests),
        "benches/suite and tests/programs/bench_suite must hold the same programs"
    );
    for name in &names {
        let bench = fs::read_to_string(benches.join(name)).unwrap();
        let copy = fs::read_to_string(tests.join(name)).unwrap();
        assert!(
            copy.starts_with("// args:") && copy.contains("// expect:"),
            "tests/programs/bench_suite/{name} needs `// args:` and `// expect:` header lines"
        );
        assert!(
            strip_header(&copy) == bench,
            "tests/programs/bench_suite/{name} differs from benches/suite/{name} below its \
             header; copy the benchmark again and keep the header lines"
        );
    }
}

#[test]
fn strip_header_removes_only_the_header() {
    let copy =
        "// args: 5\n// expect: 0\n// Mirrors benches/suite/x.kont\n// x: a benchmark\nfn f() {}\n";
    assert_eq!(strip_header(copy), "// x: a benchmark\nfn f() {}\n");
    assert_eq!(strip_header("// args: 5"), "");
}
