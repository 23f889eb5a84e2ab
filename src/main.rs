//! The `pipegen` binary: everything is in the library, so tests drive the same code.

/// jemalloc rather than the system's allocator: see Cargo.toml.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read once when it starts (`_RJEM_MALLOC_CONF` in the environment still
/// overrides them). A run of pipegen is short and fills its heap once: with transparent huge
/// pages the kernel maps that heap in 2 MiB pages instead of 4 KiB ones, so a 1,000-image model
/// takes a quarter of the page faults and an eighth less CPU, for a few MiB more peak memory
/// (docs/performance.md). Where the kernel has huge pages off, jemalloc ignores the option.
#[cfg(all(target_os = "linux", not(target_env = "msvc")))]
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: &std::ffi::CStr = c"thp:always,metadata_thp:always";

fn main() -> std::process::ExitCode {
    pipegen::cli::main()
}
