//! One module per command. Commands are where files are read and written; everything they
//! call is pure.

pub mod check;
pub mod emit;
pub mod files;
pub mod graph;
pub mod init;
pub mod plan;
pub mod schema;
pub mod tags;

/// Output for people or for tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// Write `text` to stderr; a closed stderr is not worth a panic either.
pub fn print_stderr(text: &str) {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes()).and_then(|()| stderr.flush());
}

/// Write `text` to stdout. A reader that went away (`pipegen … | head`) is not an error of
/// pipegen's, and must not become a panic; any other failure (a full disk under `> file`) is
/// one, or a truncated pipeline would be left behind with exit 0.
pub fn print_stdout(text: &str) -> Result<(), crate::error::Error> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(crate::error::Error::Write { path: "standard output".into(), source: error })
        }
        _ => Ok(()),
    }
}
