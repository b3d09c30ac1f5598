//! Printing results: a closed stdout (e.g. `converter … | head -1`) ends the command
//! quietly instead of panicking, and any other failure to print is one error line.

use std::io::{ErrorKind, Write};

/// Writes `text` to stdout. On a closed pipe the process exits with 0, as the reader has
/// all it wanted; on another error it prints one `error:` line and exits with 1.
pub fn write(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: stdout: cannot write: {e}");
        std::process::exit(1);
    }
}

/// Like `println!`, through [`write`].
macro_rules! say {
    () => {
        $crate::output::write("\n")
    };
    ($($arg:tt)*) => {
        $crate::output::write(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// Like `print!`, through [`write`].
macro_rules! say_raw {
    ($($arg:tt)*) => {
        $crate::output::write(&format!($($arg)*))
    };
}

pub(crate) use {say, say_raw};
