//! The process's allocator (mimalloc, declared by the binary and the benchmarks).

/// `mi_option_purge_delay` in the mimalloc (v3) that libmimalloc-sys builds; its Rust
/// bindings have no name for it (`tests/alloc.rs` reads it back).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Milliseconds freed memory is kept before it is returned to the OS.
pub const PURGE_DELAY_MS: i64 = 10;

/// Call first thing in `main`. mimalloc v3 keeps freed memory for a second before
/// returning it, so the transient values of a large load piled up on top of the kept
/// ones: the relevant 100k benchmark peaked 20–30 MiB higher, the irrelevant one 10 MiB,
/// for no measurable speed. v2's default was 10 ms.
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
