//! The trace page in a real browser: pages of real runs (tests/browser/traces.rs: the
//! examples generators.kont and scheduler.kont, tests/browser/every_kind.kont, long runs),
//! made through the library as `kont --trace-html` makes them, are loaded in headless
//! Chromium, and the document it renders is checked against the trace: one lane per stack,
//! one arrow per switch and one clause box per suspend in the rows drawn, only the rows in
//! view drawn, and stepping (the URL's `#step=N`, keys pressed through `press=`) moving the
//! current event and the highlighted source line to the event's place. Screenshots go to
//! target/trace-html/.
//!
//! Without Chromium the tests pass with a note on stderr, except under CI (`CI` set), where
//! they fail: .ci/run installs it.

#[path = "browser/traces.rs"]
mod traces;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kont::trace::event::{Event, EventKind};
use kont::trace::html::DEFAULT_LIMIT;
use traces::Trace;
use wait_timeout::ChildExt;

/// How long one Chromium run may take.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The browser window: a laptop screen.
const WINDOW: (u32, u32) = (1440, 900);

/// Chromium's path, or `None` after saying why the test does not run (a failure under CI).
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "chromium not installed: CI must install it (apt-get install chromium)"
    );
    // Written past the test harness's capture of `eprintln!`, so that `cargo test` shows it.
    let note = "skipped: chromium not installed (apt-get install chromium)\n";
    let _ = std::io::Write::write_all(&mut std::io::stderr(), note.as_bytes());
    None
}

/// target/trace-html/, where the pages, screenshots and browser profiles go.
fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("trace-html");
    std::fs::create_dir_all(&dir).expect("target/trace-html");
    dir
}

/// Writes the page of `trace` to target/trace-html/NAME.html.
fn write_page(name: &str, trace: &Trace) -> PathBuf {
    let path = out_dir().join(format!("{name}.html"));
    std::fs::write(&path, &trace.page).expect("writing the page");
    path
}

/// Runs Chromium headless on `page` with `#fragment`, with `args` (`--dump-dom`,
/// `--screenshot=…`): its standard output and how long it took.
fn run_chromium(
    chromium: &Path,
    page: &Path,
    fragment: &str,
    args: &[String],
) -> (String, Duration) {
    static PROFILES: AtomicUsize = AtomicUsize::new(0);
    let profile = out_dir().join(format!(
        "profile-{}-{}",
        std::process::id(),
        PROFILES.fetch_add(1, Ordering::Relaxed)
    ));
    let url = format!(
        "file://{}#{fragment}",
        page.canonicalize().unwrap().display()
    );
    let started = Instant::now();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
        ])
        .args([
            "--disable-dev-shm-usage",
            "--enable-logging=stderr",
            "--v=1",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--window-size={},{}", WINDOW.0, WINDOW.1))
        .args(args)
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting chromium");
    let stdout = read_all(child.stdout.take().unwrap());
    let stderr = read_all(child.stderr.take().unwrap());
    let status = match child.wait_timeout(TIMEOUT).unwrap() {
        Some(status) => status,
        None => {
            child.kill().unwrap();
            panic!("chromium took over {TIMEOUT:?} on {url}");
        }
    };
    let took = started.elapsed();
    let out = stdout.join().unwrap();
    let log = stderr.join().unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    assert!(status.success(), "chromium failed on {url}: {status}");
    // The page's console: no error, no resource refused by its Content-Security-Policy.
    for line in log.lines().filter(|line| line.contains(":CONSOLE")) {
        assert!(
            !line.contains("Uncaught") && !line.contains("Refused"),
            "{url}: {line}"
        );
    }
    (out, took)
}

/// A thread that reads all of `from`, lossily as UTF-8.
fn read_all(mut from: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        from.read_to_end(&mut bytes)
            .expect("reading chromium's output");
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The document Chromium renders for `page` at `#fragment`.
fn dom(chromium: &Path, page: &Path, fragment: &str) -> Rendered {
    let args = [
        "--dump-dom".to_string(),
        "--virtual-time-budget=10000".to_string(),
    ];
    Rendered::new(run_chromium(chromium, page, fragment, &args).0)
}

/// Saves a screenshot of `page` at `#fragment` as target/trace-html/NAME.png.
fn screenshot(chromium: &Path, page: &Path, fragment: &str, name: &str) -> PathBuf {
    let png = out_dir().join(format!("{name}.png"));
    let _ = std::fs::remove_file(&png);
    let args = [
        format!("--screenshot={}", png.display()),
        "--hide-scrollbars".to_string(),
        "--virtual-time-budget=10000".to_string(),
    ];
    run_chromium(chromium, page, fragment, &args);
    let bytes = std::fs::read(&png).expect("the screenshot");
    assert!(
        bytes.starts_with(b"\x89PNG"),
        "{} is not a PNG",
        png.display()
    );
    png
}

/// A rendered document, without its scripts (so that nothing in the page's code or an
/// event's text is taken for markup).
struct Rendered {
    /// The markup.
    html: String,
}

impl Rendered {
    /// The document Chromium printed.
    fn new(html: String) -> Self {
        let mut rest = html.as_str();
        let mut kept = String::with_capacity(html.len());
        while let Some(start) = rest.find("<script") {
            kept.push_str(&rest[..start]);
            let end = rest[start..].find("</script>").expect("a script's end");
            rest = &rest[start + end + "</script>".len()..];
        }
        kept.push_str(rest);
        assert!(kept.contains("id=\"rows\""), "no diagram in:\n{kept}");
        Rendered { html: kept }
    }

    /// The start tags that contain `needle`.
    fn tags(&self, needle: &str) -> Vec<&str> {
        tags_in(&self.html, needle)
    }

    /// The start tags in the diagram (not the legend) that contain `needle`.
    fn diagram_tags(&self, needle: &str) -> Vec<&str> {
        let start = self.html.find("id=\"rows\"").unwrap();
        let end = start + self.html[start..].find("<aside").unwrap();
        tags_in(&self.html[start..end], needle)
    }

    /// The number in `tag`'s attribute `name`.
    fn number(tag: &str, name: &str) -> usize {
        let key = format!(" {name}=\"");
        let from = tag
            .find(&key)
            .unwrap_or_else(|| panic!("no {name} in {tag}"))
            + key.len();
        let value = &tag[from..from + tag[from..].find('"').unwrap()];
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} in {tag}"))
    }

    /// The text after `marker` up to the next `<`.
    fn text_after(&self, marker: &str) -> &str {
        let from = self
            .html
            .find(marker)
            .unwrap_or_else(|| panic!("no {marker}"))
            + marker.len();
        &self.html[from..from + self.html[from..].find('<').unwrap()]
    }

    /// The rows drawn, numbered from 1.
    fn drawn(&self) -> (usize, usize) {
        let rows = self.tags("id=\"rows\"")[0];
        (
            Self::number(rows, "data-first"),
            Self::number(rows, "data-last"),
        )
    }

    /// The stacks with a lane.
    fn lanes(&self) -> BTreeSet<usize> {
        let heads = self.tags("class=\"lane-head\"");
        heads
            .iter()
            .map(|tag| Self::number(tag, "data-stack"))
            .collect()
    }

    /// The rows (from 1) that have an arrow.
    fn arrows(&self) -> Vec<usize> {
        let lines = self.diagram_tags("<line class=\"arrow ");
        let mut rows: Vec<usize> = lines
            .iter()
            .map(|tag| Self::number(tag, "data-row"))
            .collect();
        rows.sort();
        rows
    }

    /// The clause boxes drawn: whether on the fast path, and the row each starts on.
    fn boxes(&self) -> BTreeSet<(bool, usize)> {
        let rects = self.diagram_tags("<rect class=\"box ");
        rects
            .iter()
            .map(|tag| (tag.contains("box fast"), Self::number(tag, "data-start")))
            .collect()
    }

    /// The current event: its number in the header, and the row marked current.
    fn current(&self) -> usize {
        let number: usize = self
            .text_after("id=\"event-number\">")
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let marked = self.diagram_tags(" current\"");
        let rows: Vec<usize> = marked
            .iter()
            .filter(|tag| tag.starts_with("<g "))
            .map(|tag| Self::number(tag, "data-row"))
            .collect();
        assert_eq!(
            rows,
            [number],
            "the row marked current is the current event"
        );
        number
    }

    /// The highlighted source line.
    fn highlighted_line(&self) -> usize {
        let lines = self.tags("class=\"line current\"");
        assert_eq!(lines.len(), 1, "one highlighted line");
        Self::number(lines[0], "data-line")
    }
}

/// The start tags in `html` that contain `needle`.
fn tags_in<'a>(html: &'a str, needle: &str) -> Vec<&'a str> {
    html.match_indices(needle)
        .map(|(at, _)| {
            let start = html[..=at].rfind('<').unwrap();
            let end = at + html[at..].find('>').unwrap();
            &html[start..=end]
        })
        .collect()
}

/// The stacks of a trace: every event's, and both ends of every switch.
fn stacks(events: &[Event]) -> BTreeSet<usize> {
    let mut stacks = BTreeSet::new();
    for e in events {
        stacks.insert(e.stack as usize);
        if let EventKind::Switch { from, to, .. } = e.kind {
            stacks.extend([from as usize, to as usize]);
        }
    }
    stacks
}

/// The rows (from 1) of the switches among rows `first..=last`.
fn switch_rows(events: &[Event], first: usize, last: usize) -> Vec<usize> {
    (first..=last)
        .filter(|&row| matches!(events[row - 1].kind, EventKind::Switch { .. }))
        .collect()
}

/// Checks every row of `page` against `trace`, loading it at steps far enough apart that
/// the rows drawn cover the trace: lanes, arrows, and a clause box for every suspend.
fn check_diagram(chromium: &Path, page: &Path, trace: &Trace) {
    let events = &trace.events;
    let mut boxes = BTreeSet::new();
    let mut step = 1;
    loop {
        let dom = dom(chromium, page, &format!("step={step}"));
        assert_eq!(dom.lanes(), stacks(events), "one lane per stack");
        let (first, last) = dom.drawn();
        assert!(
            first <= step && step <= last,
            "step {step} drawn ({first}..={last})"
        );
        assert_eq!(
            dom.arrows(),
            switch_rows(events, first, last),
            "an arrow per switch in {first}..={last}"
        );
        assert_eq!(dom.current(), step);
        boxes.extend(dom.boxes());
        if last == events.len() {
            break;
        }
        step = last + 1;
    }
    // A fast clause's box starts at its suspend; a slow one's at the switch that brings the
    // operation to the handler (each switch brings one).
    let suspends = |fast: bool| {
        let rows = events.iter().enumerate();
        rows.filter(move |(_, e)| matches!(e.kind, EventKind::Suspend { fast: f, .. } if f == fast))
            .map(|(i, _)| i + 1)
    };
    let starts = |fast: bool| boxes.iter().filter(move |b| b.0 == fast).map(|b| b.1);
    assert!(
        suspends(true).eq(starts(true)),
        "a fast-path box at each fast suspend"
    );
    assert_eq!(
        suspends(false).count(),
        starts(false).count(),
        "a box per slow suspend"
    );
}

/// Checks stepping: `#step=N` and the keys move the current event and its source line.
fn check_stepping(chromium: &Path, page: &Path, events: &[Event]) {
    let line = |row: usize| events[row - 1].at.as_ref().map(|at| at.line as usize);
    // Two events with places on different lines, one step apart or more.
    let a = (1..=events.len())
        .find(|&row| line(row).is_some())
        .expect("an event with a place");
    let b = (a + 1..=events.len())
        .find(|&row| line(row).is_some_and(|l| Some(l) != line(a)))
        .expect("events on two lines");
    let at_a = dom(chromium, page, &format!("step={a}"));
    assert_eq!(
        (at_a.current(), at_a.highlighted_line()),
        (a, line(a).unwrap())
    );
    let place = events[a - 1].at.as_ref().unwrap();
    assert_eq!(
        at_a.text_after("id=\"source-name\">"),
        format!("{}:{}:{}", place.file, place.line, place.column),
        "the source panel shows the event's place"
    );
    let keys = vec!["ArrowRight"; b - a].join(",");
    let at_b = dom(chromium, page, &format!("step={a}&press={keys}"));
    assert_eq!(
        (at_b.current(), at_b.highlighted_line()),
        (b, line(b).unwrap())
    );
    let back = dom(chromium, page, &format!("step={b}&press=ArrowLeft"));
    assert_eq!(back.current(), b - 1);
    let next_switch = switch_rows(events, a + 1, events.len())[0];
    assert_eq!(
        dom(chromium, page, &format!("step={a}&press=Shift+ArrowRight")).current(),
        next_switch
    );
    assert_eq!(dom(chromium, page, "press=End").current(), events.len());
    assert_eq!(
        dom(chromium, page, &format!("step={b}&press=Home")).current(),
        1
    );
}

/// The header's counts, for the whole trace: events, stacks, switches.
fn check_counts(dom: &Rendered, events: &[Event]) {
    let switches = switch_rows(events, 1, events.len()).len();
    let expected = format!(
        "{} events · {} stacks · {} switches · ",
        events.len(),
        stacks(events).len(),
        switches
    );
    let stats = dom.text_after("id=\"stats\">");
    assert!(stats.starts_with(&expected), "{stats:?}, not {expected:?}");
}

/// The whole check of the real run of the program at `path`, saved as NAME: diagram,
/// counts, stepping, and a screenshot at the middle. Returns the trace and its page.
fn check_run(name: &str, path: &str) -> Option<(Trace, PathBuf)> {
    let chromium = chromium()?;
    let trace = traces::of_file(path);
    let page = write_page(name, &trace);
    check_diagram(&chromium, &page, &trace);
    check_counts(&dom(&chromium, &page, ""), &trace.events);
    check_stepping(&chromium, &page, &trace.events);
    let middle = trace.events.len() / 2;
    let png = screenshot(&chromium, &page, &format!("step={middle}"), name);
    eprintln!(
        "{name}: {} events, screenshot {}",
        trace.events.len(),
        png.display()
    );
    Some((trace, page))
}

#[test]
fn generators() {
    check_run("generators", "examples/generators.kont");
}

#[test]
fn scheduler() {
    check_run("scheduler", "examples/scheduler.kont");
}

#[test]
fn every_kind_of_event_and_the_error_that_ends_the_run() {
    let Some((trace, page)) = check_run("every_kind", "tests/browser/every_kind.kont") else {
        return;
    };
    let chromium = chromium().unwrap();
    let dom = dom(&chromium, &page, "");
    let end = dom.tags("id=\"run-end\"")[0];
    assert!(!end.contains("hidden"), "the error is shown: {end}");
    assert!(
        dom.text_after("id=\"run-end-text\">")
            .starts_with("error: index out of range: 5 (length 2)"),
        "{}",
        dom.text_after("id=\"run-end-text\">")
    );
    let library = trace
        .events
        .iter()
        .position(|e| e.at.as_ref().is_some_and(|at| at.line == 0))
        .expect("an event in the standard library");
    let dom = self::dom(&chromium, &page, &format!("step={}", library + 1));
    assert_eq!(
        dom.text_after("id=\"source-name\">"),
        "the standard library"
    );
    assert!(dom.html.contains("In the standard library"));
}

#[test]
fn an_empty_trace() {
    let Some(chromium) = chromium() else { return };
    let trace = traces::run("<eval>", "1", DEFAULT_LIMIT);
    assert!(trace.events.is_empty());
    let dom = dom(&chromium, &write_page("empty", &trace), "");
    assert!(dom.html.contains("no events: the run made none"));
    assert!(dom.lanes().is_empty());
    assert!(dom.tags("id=\"run-end\"")[0].contains("hidden"));
    assert!(dom.tags("id=\"cap-note\"")[0].contains("hidden"));
}

/// Loads a page of `count` events at its middle and times steps and scrolls in it: the
/// rows drawn are a screenful, whatever the count. Prints the figures.
fn check_long(count: usize) {
    let Some(chromium) = chromium() else { return };
    let trace = traces::long(count);
    assert_eq!(trace.events.len(), count);
    let name = format!("long-{count}");
    let page = write_page(&name, &trace);
    let step = count / 2;
    let args = ["--dump-dom".to_string()];
    let (html, took) = run_chromium(&chromium, &page, &format!("step={step}&bench=200"), &args);
    let dom = Rendered::new(html);
    assert_eq!(dom.current(), step);
    assert!(
        dom.text_after("id=\"cap-note\">")
            .starts_with(&format!("Recording stopped after {}", with_commas(count))),
        "the page says where recording stopped"
    );
    assert_eq!(dom.lanes(), stacks(&trace.events));
    let (first, last) = dom.drawn();
    assert!(
        last - first < 150,
        "{first}..={last}: only the rows in view are drawn"
    );
    assert_eq!(dom.arrows(), switch_rows(&trace.events, first, last));
    let body = dom.tags("<body")[0];
    let figure = |name: &str| {
        let key = format!("{name}=\"");
        let from = body.find(&key).unwrap_or_else(|| panic!("no {name}")) + key.len();
        body[from..from + body[from..].find('"').unwrap()].to_string()
    };
    eprintln!(
        "{count} events: page {:.1} MB, chromium {:.2} s, loaded in {} ms, \
         step {} ms (median {}, max {}), scroll {} ms (median {}, max {})",
        std::fs::metadata(&page).unwrap().len() as f64 / 1e6,
        took.as_secs_f64(),
        figure("data-load-ms"),
        figure("data-step-ms"),
        figure("data-step-median-ms"),
        figure("data-step-max-ms"),
        figure("data-scroll-ms"),
        figure("data-scroll-median-ms"),
        figure("data-scroll-max-ms"),
    );
    screenshot(&chromium, &page, &format!("step={step}"), &name);
}

/// `n` written as the page writes it (`10,000`).
fn with_commas(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn ten_thousand_events() {
    check_long(10_000);
}

/// Beyond: `cargo test --test browser -- --ignored --nocapture` prints the figures.
#[test]
#[ignore]
fn a_hundred_thousand_events() {
    check_long(100_000);
}

/// At the most a page holds (`kont::trace::html::MAX_EVENTS`).
#[test]
#[ignore]
fn a_million_events() {
    check_long(kont::trace::html::MAX_EVENTS);
}
