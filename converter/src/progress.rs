//! Progress bars on stderr, drawn only when it is a terminal and `--quiet` is not given.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Whether to draw progress.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    show: bool,
}

impl Progress {
    /// Progress on a terminal stderr unless `quiet`.
    pub fn new(quiet: bool) -> Self {
        Progress {
            show: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// A byte counter for a download of `len` bytes (a spinner when the length is unknown).
    pub fn bytes(&self, len: Option<u64>, name: &str) -> ProgressBar {
        if !self.show {
            return ProgressBar::hidden();
        }
        let bar = match len {
            Some(len) => ProgressBar::new(len).with_style(style(
                "{msg} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec}",
            )),
            None => ProgressBar::new_spinner().with_style(style("{spinner} {msg} {bytes}")),
        };
        bar.set_message(name.to_string());
        bar
    }

    /// A counter of `len` images.
    pub fn images(&self, len: usize, message: &str) -> ProgressBar {
        if !self.show {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len as u64)
            .with_style(style("{msg} [{wide_bar}] {human_pos}/{human_len} images"));
        bar.set_message(message.to_string());
        bar
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}
