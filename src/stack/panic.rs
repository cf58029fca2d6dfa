//! Panics on kont stacks: kept off the terminal and reported as an event.
//!
//! The start function of every continuation catches panics (`catch_unwind`), so none
//! unwinds into the assembly; the parent gets `Event::Panicked(message)`. A panic hook,
//! installed once per process, keeps Rust's default message off the terminal for
//! panics raised while a kont stack runs and records the message and location for the
//! event instead; panics elsewhere go to the previous hook. (A panic that code on a
//! kont stack catches itself is silenced too.)

use super::chain;
use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;

thread_local! {
    /// The last panic on a kont stack of this thread: (payload text, full message).
    static LAST: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

/// Installs the hook, once per process.
pub fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            if chain::current().is_none() {
                return previous(info);
            }
            let text = info.payload_as_str().unwrap_or("Box<dyn Any>").to_owned();
            let message = match info.location() {
                Some(location) => format!("{text} (panicked at {location})"),
                None => text.clone(),
            };
            let _ = LAST.try_with(|last| *last.borrow_mut() = Some((text, message)));
        }));
    });
}

/// The message for a panic caught on a kont stack: the hook's record (payload text and
/// location) if it belongs to this payload, else the payload text alone. Consumes the
/// payload; a payload whose destructor panics is leaked rather than unwinding further.
pub fn message(payload: Box<dyn Any + Send>) -> String {
    let text = payload_text(&*payload);
    let recorded = LAST
        .try_with(|last| last.borrow_mut().take())
        .ok()
        .flatten();
    let message = match recorded {
        Some((recorded_text, message)) if recorded_text == text => message,
        _ => text.to_owned(),
    };
    if let Err(nested) = panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(nested);
    }
    message
}

/// A panic payload as text, as the default hook shows it.
fn payload_text(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "Box<dyn Any>"
    }
}
