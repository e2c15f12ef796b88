//! The boundary around third-party decoders: a panic inside one becomes an error naming the
//! file, and its message is kept out of the user's terminal (the error says what failed).

use crate::error::{Result, TableError};
use std::cell::Cell;
use std::path::Path;
use std::sync::Once;

thread_local! {
    /// How many decoder boundaries this thread is inside.
    static INSIDE: Cell<u32> = const { Cell::new(0) };
    /// Where the last panic inside a boundary happened (for the message and upstream reports).
    static WHERE: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Installs, once, a panic hook that stays silent inside a boundary and otherwise defers to
/// the hook that was there before.
fn install_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if INSIDE.with(Cell::get) == 0 {
                previous(info);
            } else {
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()));
                WHERE.with(|w| *w.borrow_mut() = at);
            }
        }));
    });
}

/// Runs a decoder on `path`; a panic inside it is a `BadInput`-kind error naming the file and
/// the decoder's message.
pub fn decode<T>(path: &Path, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    install_hook();
    INSIDE.with(|c| c.set(c.get() + 1));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    INSIDE.with(|c| c.set(c.get() - 1));
    out.unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "no message".into());
        let at = WHERE
            .with(|w| w.borrow_mut().take())
            .map(|a| format!(" at {a}"))
            .unwrap_or_default();
        Err(TableError::Invalid(format!(
            "{}: the {what} decoder failed on this file ({message}{at}); the file is corrupt or not {what}",
            path.display()
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_is_an_error_naming_the_file() {
        let e = decode::<()>(Path::new("x.parquet"), "Parquet", || {
            panic!("Type <UNKNOWN 169>")
        })
        .unwrap_err();
        let m = e.to_string();
        assert!(m.contains("x.parquet") && m.contains("UNKNOWN 169"), "{m}");
        assert_eq!(decode(Path::new("y"), "Parquet", || Ok(3)).unwrap(), 3);
    }
}
