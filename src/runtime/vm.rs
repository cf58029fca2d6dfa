//! [`Vm`]: the state every continuation of one session shares.

use std::cell::{Cell, RefCell};
use std::io::Write;

use std::rc::Rc;

use crate::runtime::INITIAL_STACK;
use crate::runtime::effects::{self, HandlerEntry};
use crate::runtime::spares::Spares;
use crate::runtime::value::Value;
use crate::source_map::SourceMap;

/// How many values of capacity the emptied value stacks kept for reuse may hold in all
/// (2 MiB).
pub const SPARE_STACK_VALUES: usize = 1 << 17;

/// State shared by every continuation of one session.
pub struct Vm {
    /// Where `print` and `println` write.
    pub out: RefCell<Box<dyn Write>>,
    /// The script's command-line arguments (`args()`).
    pub args: Vec<String>,
    /// The handler stack: handlers installed by the running chain of continuations, innermost
    /// last (see [`effects`]).
    pub handlers: RefCell<Vec<HandlerEntry>>,
    /// Empty vectors of handler entries, kept to carry the entries of the next suspend that
    /// captures more than one (a lone entry is held inline).
    pub spare_entries: Spares<HandlerEntry>,
    /// Emptied value stacks of finished continuations, kept for the next ones (see
    /// [`Vm::value_stack`]), up to [`SPARE_STACK_VALUES`] values in all: a handler around a
    /// deep recursion, run again and again, reuses the grown stack instead of growing a new
    /// one each time.
    pub spare_stacks: Spares<Value>,
    /// Values in flight during a stack switch (see [`effects`]).
    pub transfer: effects::Transfer,
    /// The names and arities of declared effect operations, indexed by operation id.
    pub effects: RefCell<Vec<(Rc<str>, usize)>>,
    /// Every source text of the session, by id: the session adds each one it evaluates, and
    /// reports errors from them; a printed continuation names the place it suspended at
    /// from them, and a traced run the places of its events.
    pub sources: RefCell<SourceMap>,
    /// Whether tail-resumptive handler clauses run without switching stacks.
    pub fast_resume: bool,
    /// Set when writing the program's output failed because its reader went away (a closed
    /// pipe, as in `kont prog.kont | head -1`): the program then stops quietly.
    pub output_closed: Cell<bool>,
}

impl Vm {
    /// A VM writing to `out`, with script arguments `args`, whose tail-resumptive handler
    /// clauses run without switching stacks if `fast_resume` (see [`effects`]; without it
    /// they take the slow path, with the same results).
    pub fn new(out: Box<dyn Write>, args: Vec<String>, fast_resume: bool) -> Vm {
        Vm {
            out: RefCell::new(out),
            args,
            handlers: RefCell::new(Vec::new()),
            spare_entries: Spares::new(64, 64 * 8),
            spare_stacks: Spares::new(64, SPARE_STACK_VALUES),
            transfer: effects::Transfer::default(),
            effects: RefCell::new(Vec::new()),
            sources: RefCell::new(SourceMap::default()),
            fast_resume,
            output_closed: Cell::new(false),
        }
    }

    /// A value stack for a new continuation: an emptied one kept in the spares, or a new one.
    #[inline(always)]
    pub fn value_stack(&self) -> Vec<Value> {
        self.spare_stacks
            .take()
            .unwrap_or_else(|| Vec::with_capacity(INITIAL_STACK))
    }

    /// Empties the value stack of a continuation that has finished and keeps it in the
    /// spares.
    #[inline(always)]
    pub fn keep_value_stack(&self, mut stack: Vec<Value>) {
        stack.clear();
        self.spare_stacks.give(stack);
    }
}
