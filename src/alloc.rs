//! The process's allocator (mimalloc, declared by the binary and the benchmarks).

/// `mi_option_purge_delay` in the mimalloc (v3) that libmimalloc-sys builds; its Rust
/// bindings have no name for it (`tests/alloc.rs` reads it back).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Milliseconds freed memory is kept before it is returned to the OS.
pub const PURGE_DELAY_MS: i64 = 100;

/// Call first thing in `main`. mimalloc v3 keeps freed memory for a second before
/// returning it, so the transient values of a large load piled up on top of the kept
/// ones: at 1 s the relevant 1M check peaked at 936 MB (KB as `time` prints), too near
/// the 1 GB budget. v2's 10 ms returned pages so soon that they were faulted in again
/// and zeroed by the kernel: once the fast YAML reader took most of the parsing away,
/// that was 17% of the relevant 100k check's CPU in `perf`. At 100 ms the 100k check's
/// minor faults fall from 16-17k to 5-7k and its wall time by a tenth to a fifth, the 1M
/// check's from 15 s to 11 s, for 7-9 MB more at 100k and 850 -> 882 MB at 1M.
pub fn tune() {
    // SAFETY: sets an integer option; mimalloc reads it when it next purges.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS as _) }
}

/// The purge delay mimalloc uses now (for the test that holds the option's number).
// `c_long` is i64 here and i32 on other targets.
#[allow(clippy::useless_conversion)]
pub fn purge_delay_ms() -> i64 {
    // SAFETY: reads an integer option.
    i64::from(unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) })
}
