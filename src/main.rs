//! The `pipegen` binary: everything is in the library, so tests drive the same code.

/// jemalloc rather than the system's allocator: see Cargo.toml.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    pipegen::cli::main()
}
