//! Reading a program's source file: the script `kont FILE` runs and the file `:load` runs
//! in the REPL.
//!
//! A source is read whole, up to [`MAX_SOURCE_BYTES`]: a path such as `/dev/zero` or a FIFO
//! that never ends would otherwise be read until the machine ran out of memory.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// The largest source file kont reads: 256 MiB. (Compiling one takes memory in proportion to
/// its tokens, some 18 times its size for ordinary code; one that would not fit in memory is
/// refused before it is parsed: see `kont::FRONT_END_BYTES_PER_TOKEN`.)
pub const MAX_SOURCE_BYTES: u64 = 256 << 20;

/// The text of the source file at `path`, without a leading byte-order mark; or the message
/// of an error (`cannot read FILE: …`, `FILE is not UTF-8 text`, `FILE is larger than …`).
pub fn read(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|f| f.take(MAX_SOURCE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(format!(
            "{shown} is larger than {} MiB, more than kont reads as a source",
            MAX_SOURCE_BYTES >> 20
        ));
    }
    let text = String::from_utf8(bytes).map_err(|_| format!("{shown} is not UTF-8 text"))?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_file_is_refused_at_the_limit() {
        let err = read(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(
            err,
            "/dev/zero is larger than 256 MiB, more than kont reads as a source"
        );
    }

    #[test]
    fn a_missing_file_is_named_in_the_error() {
        let err = read(Path::new("/nonexistent/x.kont")).unwrap_err();
        assert!(
            err.starts_with("cannot read /nonexistent/x.kont: "),
            "{err}"
        );
    }
}
