//! The `pipegen` binary: everything is in the library, so tests drive the same code.

fn main() -> std::process::ExitCode {
    pipegen::cli::main()
}
