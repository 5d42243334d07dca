//! Standard output for both binaries' commands: a closed pipe (the reader quit, `| head`) ends
//! the output quietly instead of as an error or a panic.

use std::io::Write;

/// Writes `text` to standard output and flushes it. A closed pipe is not an error: the command
/// has nothing left to say.
pub fn emit(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(()),
    }
}
