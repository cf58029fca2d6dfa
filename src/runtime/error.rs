//! The catalogue of runtime errors, and the error on its way to the top.
//!
//! It follows the pattern of the syntax errors' catalogue ([`crate::syntax::error`]): an
//! [`ErrorKind`] holds the data its text needs (a name, a count, a value as printed), never a
//! formatted message; its `Display` is the message (beginning with the phrase of the error
//! table of `docs/language.md` where that table has one) and [`ErrorKind::hint`] the hint,
//! side by side, so that grepping a message finds one line. Code that finds an error picks
//! its variant: operators and built-ins return the kind, and the code that ran them places
//! it (`kind.at(site)`, or `raise` in `crate::runtime::fail`, which first offers it to a
//! `Fail` handler).
//!
//! A [`RuntimeError`] is a kind placed at a site, collecting its backtrace as it unwinds (a
//! line per function it leaves, a marker per continuation it crosses).

use std::fmt;
use std::rc::Rc;

use crate::runtime::extension::MAX_NESTED_CONTINUATIONS;
use crate::span::Span;
use crate::stack::FiberId;

/// Every runtime error kont reports.
#[derive(Clone, Debug, PartialEq)]
pub enum ErrorKind {
    /// An operation that no handler handles: its name.
    UnhandledEffect(Rc<str>),
    /// A continuation resumed or discontinued a second time.
    AlreadyResumed,
    /// The native stack is exhausted.
    StackOverflow(Overflow),
    /// An int result out of range.
    IntegerOverflow,
    /// `/` or `%` of an int by zero.
    DivisionByZero,
    /// A call with the wrong number of arguments.
    WrongArity {
        /// The function (or `continuation`).
        name: Rc<str>,
        /// How many it takes: `2`, or `1 to 2`.
        expects: Arity,
        /// How many it was given.
        got: usize,
    },
    /// No arm of a `match` matched: the value, as `print` shows it.
    NoMatch(String),
    /// A `let`, `var` or `for` tuple pattern given something else: the value as `print`
    /// shows it, and the pattern's size.
    TupleMismatch {
        /// The value, as `print` shows it.
        value: String,
        /// How many names the pattern has.
        size: usize,
    },
    /// An index outside a sequence.
    IndexOutOfRange {
        /// The index.
        index: i64,
        /// The sequence's length.
        len: usize,
    },
    /// Calling a value that is not a function: the value as `print` shows it and its kind
    /// with its article (`an array`), or nothing for a top-level function not defined yet.
    NotAFunction(Option<(String, String)>),
    /// A dictionary has no such key: the key, as it prints inside data (cut if long).
    KeyNotFound(String),
    /// `d[k]` or `d[k] = v` with a value that cannot be a key: the value, as it prints
    /// inside data (cut if long).
    InvalidKey(String),
    /// Ctrl-C while the program ran.
    Interrupted,
    /// An operator applied to operands of kinds it does not take: `cannot add int and
    /// string`.
    Operands {
        /// What the operator does: `add`, `take the remainder of`.
        verb: &'static str,
        /// The left operand's kind.
        left: &'static str,
        /// The right operand's kind.
        right: &'static str,
    },
    /// An operator applied to an operand of a kind it does not take: `cannot negate string`.
    Operand {
        /// What the operator does.
        verb: &'static str,
        /// The operand's kind.
        kind: &'static str,
    },
    /// A value of this kind where a boolean is needed.
    ExpectedBool(&'static str),
    /// The right side of `::` is not a list: its kind.
    ConsOntoNonList(&'static str),
    /// Ordering values that have none: `cannot compare int with string`, `cannot order NaN`
    /// (the message, without the `type error: ` prefix, as `stdlib::order` gives it).
    Order(String),
    /// `==` on functions or continuations: `functions` or `continuations`.
    Uncomparable(&'static str),
    /// Indexing a value of this kind (with its article).
    CannotIndex(String),
    /// An index that is not an int: its kind.
    IndexNotInt(&'static str),
    /// Assigning an element of a value of this kind (with its article).
    CannotAssignElement(String),
    /// `for` over a value of this kind.
    CannotIterate(&'static str),
    /// A `for` range whose bounds are not both ints: their kinds.
    RangeNeedsInts(&'static str, &'static str),
    /// A built-in or a form given a value it does not take: `int expects a number or a
    /// string, got bool`.
    Expects {
        /// The built-in or form: `int`, `resume`.
        name: &'static str,
        /// What it takes: `a number or a string`.
        what: &'static str,
        /// The kind it got.
        got: &'static str,
    },
    /// `cont` of a built-in function: its name.
    ContOfBuiltin(&'static str),
    /// A library function given an argument it does not take: `split: expected a string,
    /// got 3`.
    Argument {
        /// The function.
        function: &'static str,
        /// What it needs, with its article: `a string`.
        expected: &'static str,
        /// The argument, as it prints inside data (cut if long).
        got: String,
    },
    /// A library function that cannot do what it was asked, for a reason of its own:
    /// `int: cannot parse "x"`, `split: empty separator`.
    Function {
        /// The function.
        function: &'static str,
        /// What went wrong.
        problem: String,
    },
    /// `head` or `tail` of the empty list: which.
    EmptyList(&'static str),
    /// `assert` of `false`, with the message given, if any.
    AssertionFailed(Option<String>),
    /// A request for more memory than the machine or the process may have (the message of
    /// `runtime::memory::check`).
    TooLarge(String),
    /// Printing a value made more than `print::MAX_PRINTED` bytes of text.
    TooLongToPrint,
    /// Memory or address space ran out: what could not be made.
    OutOfMemory(String),
    /// Writing the program's output failed: the system's reason.
    CannotWrite(String),
    /// The program's output was closed by its reader (`kont f.kont | head -1`): the program
    /// ends quietly (status 141), and no handler may stop that.
    OutputClosed,
    /// A `Fail(message)` the program performed itself that no handler handled: the message.
    Failed(String),
    /// A bug in kont: what went wrong.
    Internal(String),
    /// `exit(code)`: not an error, but it ends the program the way one does, from any
    /// depth of handlers and continuations, with no handler able to stop it.
    Exit(u8),
}

/// How many arguments a function takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arity {
    /// At least this many.
    pub min: usize,
    /// At most this many.
    pub max: usize,
}

impl Arity {
    /// Exactly `n`.
    pub fn exactly(n: usize) -> Arity {
        Arity { min: n, max: n }
    }
}

impl fmt::Display for Arity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{} to {}", self.min, self.max)
        }
    }
}

/// Which limit a `stack overflow` met.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overflow {
    /// One continuation's native stack, with all its extensions.
    NativeStack,
    /// The number of continuations running nested.
    NestedContinuations,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ErrorKind::*;
        match self {
            UnhandledEffect(op) => write!(f, "unhandled effect {op}"),
            AlreadyResumed => write!(f, "continuation already resumed"),
            StackOverflow(_) => write!(f, "stack overflow"),
            IntegerOverflow => write!(f, "integer overflow"),
            DivisionByZero => write!(f, "division by zero"),
            WrongArity { name, expects, got } => {
                write!(
                    f,
                    "wrong number of arguments: {name} expects {expects}, got {got}"
                )
            }
            NoMatch(value) => write!(f, "no pattern matched {value}"),
            TupleMismatch { value, size } => write!(
                f,
                "no pattern matched: cannot bind {value} to a tuple of {size} elements"
            ),
            IndexOutOfRange { index, len } => {
                write!(f, "index out of range: {index} (length {len})")
            }
            NotAFunction(Some((shown, kind))) => write!(f, "not a function: {shown} is {kind}"),
            NotAFunction(None) => write!(f, "not a function: ()"),
            KeyNotFound(key) => write!(f, "key not found: {key}"),
            InvalidKey(key) => write!(f, "invalid dictionary key: {key}"),
            Interrupted => write!(f, "interrupted"),
            Operands { verb, left, right } => {
                write!(f, "type error: cannot {verb} {left} and {right}")
            }
            Operand { verb, kind } => write!(f, "type error: cannot {verb} {kind}"),
            ExpectedBool(kind) => write!(f, "type error: expected bool, got {kind}"),
            ConsOntoNonList(kind) => write!(
                f,
                "type error: the right side of `::` must be a list, got {kind}"
            ),
            Order(problem) => write!(f, "type error: {problem}"),
            Uncomparable(what) => write!(f, "cannot compare {what}"),
            CannotIndex(kind) => write!(f, "type error: cannot index {kind}"),
            IndexNotInt(kind) => write!(f, "type error: an index must be an int, got {kind}"),
            CannotAssignElement(kind) => {
                write!(f, "type error: cannot assign to an element of {kind}")
            }
            CannotIterate(kind) => write!(f, "type error: cannot iterate over {kind}"),
            RangeNeedsInts(a, b) => write!(f, "type error: a range needs ints, got {a} and {b}"),
            Expects { name, what, got } => {
                write!(f, "type error: {name} expects {what}, got {got}")
            }
            ContOfBuiltin(name) => write!(
                f,
                "type error: cont expects a function written in kont, got the built-in {name}"
            ),
            Argument {
                function,
                expected,
                got,
            } => write!(f, "{function}: expected {expected}, got {got}"),
            Function { function, problem } => write!(f, "{function}: {problem}"),
            EmptyList(which) => write!(f, "{which} of empty list"),
            AssertionFailed(None) => write!(f, "assertion failed"),
            AssertionFailed(Some(message)) => write!(f, "assertion failed: {message}"),
            TooLarge(message) => write!(f, "{message}"),
            TooLongToPrint => write!(
                f,
                "value too long to print: its text is longer than {} MiB",
                crate::runtime::print::MAX_PRINTED >> 20
            ),
            OutOfMemory(what) => write!(f, "out of memory: {what}"),
            CannotWrite(reason) => write!(f, "cannot write output: {reason}"),
            OutputClosed => write!(f, "cannot write output: Broken pipe"),
            Failed(message) => write!(f, "{message}"),
            Internal(what) => write!(f, "internal error: {what}"),
            Exit(code) => write!(f, "exit({code})"),
        }
    }
}

impl ErrorKind {
    /// How to fix it, if a hint helps.
    pub fn hint(&self) -> Option<String> {
        use ErrorKind::*;
        Some(match self {
            UnhandledEffect(op) => format!("no enclosing `handle` has a clause for {op}"),
            AlreadyResumed => {
                "a continuation is one-shot: it can be resumed or discontinued once".to_string()
            }
            StackOverflow(Overflow::NativeStack) => "the recursion is too deep; a tail call (the call as the last action of a function) runs in constant stack".to_string(),
            StackOverflow(Overflow::NestedContinuations) => format!(
                "more than {MAX_NESTED_CONTINUATIONS} continuations (handle bodies, conts) run nested; the recursion through `handle` or `cont` is too deep"
            ),
            ContOfBuiltin(name) => format!("wrap it in one: cont (fn(x) => {name}(x))"),
            TooLongToPrint => "data that shares its parts (`t = Node(t, t)`) prints each part wherever it occurs: print a part of it, or a count".to_string(),
            NotAFunction(Some((_, kind))) if kind == "a continuation" => {
                "a continuation is resumed, not called: `resume k(v)`".to_string()
            }
            Operands {
                verb: "add",
                left: "string",
                right: "string",
            } => "strings are joined with `++`: `a ++ b`".to_string(),
            Operands {
                verb: "add",
                left,
                right,
            } if *left == "string" || *right == "string" => {
                "strings are joined with `++`, and `str(x)` makes a string of any value: `\"n = \" ++ str(n)`".to_string()
            }
            Operands {
                verb: "add",
                left: "list",
                right: "list",
            } => "lists are joined with `++`: `xs ++ ys`".to_string(),
            _ => return None,
        })
    }

    /// Whether a `Fail` handler may catch it: every error but running out of stack or
    /// memory, an interrupt, kont's own bugs, `exit` and a closed output (those end the program wherever they
    /// happen; see `docs/language.md`, "Built-in effects").
    pub fn catchable(&self) -> bool {
        !matches!(
            self,
            ErrorKind::StackOverflow(_)
                | ErrorKind::OutOfMemory(_)
                | ErrorKind::Interrupted
                | ErrorKind::Internal(_)
                | ErrorKind::Exit(_)
                | ErrorKind::OutputClosed
        )
    }

    /// This error, raised at `site`.
    pub fn at(self, site: Span) -> RuntimeError {
        RuntimeError {
            kind: self,
            site,
            trace: Vec::new(),
            suspended: Vec::new(),
        }
    }
}

/// One line of a kont backtrace.
#[derive(Clone, Debug)]
pub enum TraceFrame {
    /// Execution was inside function `name` at `span` of source `source`.
    Call {
        /// The function's name.
        name: Rc<str>,
        /// The source text the function comes from.
        source: u32,
        /// Where in that source.
        span: Span,
    },
    /// The error crossed from a continuation into the code that resumed it, here.
    Resumed {
        /// The source text of the `resume` (or `handle`).
        source: u32,
        /// Where in that source.
        span: Span,
    },
}

/// A runtime error on its way to the top, collecting its backtrace as it unwinds.
#[derive(Debug)]
pub struct RuntimeError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// Where in the function being unwound the error is now (its origin at first, then the
    /// call sites of the enclosing functions).
    pub site: Span,
    /// The frames unwound so far, innermost first.
    pub trace: Vec<TraceFrame>,
    /// The suspended computations the error ended, each with its frames: the one a failing
    /// handler clause had taken over, and any other the unwinding dropped (see
    /// [`Suspended`]), in the order they were ended.
    pub suspended: Vec<Suspended>,
}

/// The frames of a suspended computation that a runtime error ended, collected as that
/// computation unwound: on the error path only, so that nothing is recorded while no error
/// happens. A handler clause that fails on the fast path unwinds the computation beneath it
/// with its error (`effects/fast_path.rs`, `clause_stopped`); on the slow path, a
/// continuation that the unwinding error drops is cancelled by an unwinding that records
/// the calls it leaves (`effects/continuation.rs`, `drop_parts`). Both record the same
/// frames, innermost first.
#[derive(Clone, Debug)]
pub struct Suspended {
    /// The operation the computation was suspended at (a clause's name).
    pub operation: Rc<str>,
    /// Where in the frame being unwound the computation is now (the `suspend` at first).
    pub site: Span,
    /// The frames unwound so far, innermost first.
    pub trace: Vec<TraceFrame>,
    /// Set while the unwinding crosses the computation a nested fast-path clause of this
    /// one ran on top of (see [`Suspended::hide_until`]): the fiber of that clause's
    /// handler, out of which the frames are this computation's again.
    hidden_until: Option<FiberId>,
}

impl Suspended {
    /// A computation suspended at `operation`, at `site`, no frame unwound yet.
    pub fn at(operation: Rc<str>, site: Span) -> Suspended {
        Suspended {
            operation,
            site,
            trace: Vec::new(),
            hidden_until: None,
        }
    }

    /// The unwinding left a fast-path clause that ran inside this computation, for a
    /// handler on fiber `handler`: the frames beneath the clause, out to that fiber, are
    /// the suspended computation of the clause's own operation, which by the language runs
    /// outside its handler (the clause, not what it handles, is part of this computation,
    /// as on the slow path, where they are two continuations). Until the unwinding crosses
    /// out of `handler`'s fiber ([`Suspended::leave_fiber`]), nothing is recorded. An
    /// unwinding already hiding goes on to the fiber it hides until: it is further out.
    pub fn hide_until(&mut self, handler: FiberId) {
        self.hidden_until.get_or_insert(handler);
    }

    /// Records that the unwinding crossed from fiber `fiber` of the computation into the
    /// code that resumed it (or ran its `handle`), at `resume_site`: a line for it, unless
    /// the frames are hidden ([`Suspended::hide_until`]); out of the fiber they are hidden
    /// until, the unwinding is at `resume_site` without a line, as the slow path sees the
    /// clause called from there.
    pub fn leave_fiber(&mut self, fiber: FiberId, source: u32, resume_site: Span) {
        match self.hidden_until {
            None => {
                self.trace.push(TraceFrame::Resumed {
                    source,
                    span: resume_site,
                });
                self.site = resume_site;
            }
            Some(hidden) if hidden == fiber => {
                self.hidden_until = None;
                self.site = resume_site;
            }
            Some(_) => {}
        }
    }
}

/// What an unwinding records the calls it leaves into: an error's backtrace, or the frames
/// of a suspended computation it ends.
pub trait Unwinding {
    /// Records that the unwinding left function `name` (from `source`) and is now at
    /// `call_site` in its caller.
    fn leave_function(&mut self, name: &Rc<str>, source: u32, call_site: Span);
}

impl Unwinding for RuntimeError {
    fn leave_function(&mut self, name: &Rc<str>, source: u32, call_site: Span) {
        push_call(&mut self.trace, &mut self.site, name, source, call_site);
    }
}

impl Unwinding for Suspended {
    fn leave_function(&mut self, name: &Rc<str>, source: u32, call_site: Span) {
        if self.hidden_until.is_some() {
            return;
        }
        push_call(&mut self.trace, &mut self.site, name, source, call_site);
    }
}

/// Adds the frame of function `name` (from `source`), at `site`, to `trace`, and moves
/// `site` to `call_site` in its caller.
fn push_call(
    trace: &mut Vec<TraceFrame>,
    site: &mut Span,
    name: &Rc<str>,
    source: u32,
    call_site: Span,
) {
    trace.push(TraceFrame::Call {
        name: name.clone(),
        source,
        span: *site,
    });
    *site = call_site;
}

impl RuntimeError {
    /// The message (begins with one of the phrases of `docs/language.md`'s error table where
    /// one applies).
    pub fn message(&self) -> String {
        self.kind.to_string()
    }

    /// A hint for the learner, if one helps.
    pub fn hint(&self) -> Option<String> {
        self.kind.hint()
    }

    /// Records that the error crossed from a continuation into the code that resumed it.
    pub fn leave_continuation(&mut self, source: u32, resume_site: Span) {
        self.trace.push(TraceFrame::Resumed {
            source,
            span: resume_site,
        });
        self.site = resume_site;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_beneath_a_nested_clause_are_hidden_out_to_its_handlers_fiber() {
        let name: Rc<str> = "f".into();
        let outer = crate::stack::Fiber::new(|p| p).expect("a fiber");
        let inner = crate::stack::Fiber::new(|p| p).expect("a fiber");
        let mut frames = Suspended::at("B".into(), Span::new(1, 2));
        frames.leave_function(&name, 0, Span::new(3, 4));
        frames.hide_until(outer.id());
        // Already hiding: out to the outer fiber still.
        frames.hide_until(inner.id());
        frames.leave_function(&name, 0, Span::new(5, 6));
        frames.leave_fiber(inner.id(), 0, Span::new(7, 8));
        assert_eq!((frames.trace.len(), frames.site), (1, Span::new(3, 4)));
        // Out of it: no line, but the unwinding is where the fiber was entered.
        frames.leave_fiber(outer.id(), 0, Span::new(9, 10));
        assert_eq!((frames.trace.len(), frames.site), (1, Span::new(9, 10)));
        frames.leave_function(&name, 0, Span::new(11, 12));
        frames.leave_fiber(inner.id(), 0, Span::new(13, 14));
        assert!(
            matches!(frames.trace[1], TraceFrame::Call { span, .. } if span == Span::new(9, 10))
        );
        assert!(
            matches!(frames.trace[2], TraceFrame::Resumed { span, .. } if span == Span::new(13, 14))
        );
    }

    #[test]
    fn the_table_phrases_begin_their_messages() {
        let cases = [
            (
                ErrorKind::UnhandledEffect("Op".into()),
                "unhandled effect Op",
            ),
            (ErrorKind::AlreadyResumed, "continuation already resumed"),
            (
                ErrorKind::StackOverflow(Overflow::NativeStack),
                "stack overflow",
            ),
            (ErrorKind::IntegerOverflow, "integer overflow"),
            (ErrorKind::DivisionByZero, "division by zero"),
            (
                ErrorKind::WrongArity {
                    name: "f".into(),
                    expects: Arity::exactly(2),
                    got: 1,
                },
                "wrong number of arguments: f expects 2, got 1",
            ),
            (ErrorKind::NoMatch("3".into()), "no pattern matched 3"),
            (
                ErrorKind::IndexOutOfRange { index: 5, len: 3 },
                "index out of range: 5 (length 3)",
            ),
            (
                ErrorKind::NotAFunction(Some(("3".into(), "an int".into()))),
                "not a function: 3 is an int",
            ),
            (
                ErrorKind::KeyNotFound("\"k\"".into()),
                "key not found: \"k\"",
            ),
            (ErrorKind::Interrupted, "interrupted"),
            (
                ErrorKind::TooLongToPrint,
                "value too long to print: its text is longer than 256 MiB",
            ),
        ];
        for (kind, message) in cases {
            assert_eq!(kind.to_string(), message);
        }
        let range = Arity { min: 1, max: 2 };
        assert_eq!(range.to_string(), "1 to 2");
    }

    #[test]
    fn habits_of_other_languages_get_a_hint() {
        let hint = |kind: ErrorKind| kind.hint().unwrap_or_default();
        let continuation = (
            "<continuation: Ask() at demo.kont:3:16>".into(),
            "a continuation".into(),
        );
        assert_eq!(
            hint(ErrorKind::NotAFunction(Some(continuation))),
            "a continuation is resumed, not called: `resume k(v)`"
        );
        assert_eq!(
            hint(ErrorKind::NotAFunction(Some(("3".into(), "an int".into())))),
            ""
        );
        let add = |left, right| ErrorKind::Operands {
            verb: "add",
            left,
            right,
        };
        assert!(hint(add("string", "int")).contains("`\"n = \" ++ str(n)`"));
        assert!(hint(add("bool", "string")).contains("`str(x)`"));
        assert_eq!(
            hint(add("string", "string")),
            "strings are joined with `++`: `a ++ b`"
        );
        assert_eq!(
            hint(add("list", "list")),
            "lists are joined with `++`: `xs ++ ys`"
        );
        assert_eq!(hint(add("int", "bool")), "");
        let subtract = ErrorKind::Operands {
            verb: "subtract",
            left: "string",
            right: "string",
        };
        assert_eq!(hint(subtract), "");
    }

    #[test]
    fn only_the_limits_an_interrupt_and_bugs_escape_fail_handlers() {
        assert!(ErrorKind::DivisionByZero.catchable());
        assert!(ErrorKind::UnhandledEffect("Op".into()).catchable());
        assert!(ErrorKind::AlreadyResumed.catchable());
        assert!(!ErrorKind::StackOverflow(Overflow::NestedContinuations).catchable());
        assert!(!ErrorKind::OutOfMemory("a stack".into()).catchable());
        assert!(!ErrorKind::Interrupted.catchable());
        assert!(!ErrorKind::Internal("bug".into()).catchable());
    }
}
