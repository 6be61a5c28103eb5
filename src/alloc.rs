//! The process's allocator (mimalloc, declared by the binary and the benchmarks).

/// `mi_option_purge_delay` in the mimalloc (v3) that libmimalloc-sys builds; its Rust
/// bindings have no name for it (`tests/alloc.rs` reads it back).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Milliseconds freed memory is kept before it is returned to the OS.
pub const PURGE_DELAY_MS: i64 = 10;

/// Call first thing in `main`. mimalloc v3 keeps freed memory for a second before
/// returning it, so the transient values of a large load piled up on top of the kept
/// ones: at 1 s the relevant 1M check peaked at 936 MB (KB as `time` prints), too near
/// the 1 GB budget. v2's default was 10 ms. (100 ms looked faster while huge pages were
/// on, below; with them off, 10 ms is as fast and 7 MB smaller at 100k, 48 MB at 1M.)
///
/// It also turns transparent huge pages off for the process. mimalloc asks for them
/// (`madvise`), and each first touch of such a region then has the kernel zero 2 MiB,
/// again after every purge: that was a third of the relevant 100k check's CPU in `perf`
/// and made its wall time swing by half between runs. Without them (and at 10 ms) the
/// relevant 100k check takes 0.72-0.86 s instead of 0.83-1.24 s and peaks at 103-106 MB
/// instead of 131-132 (KB as `time` prints), the irrelevant one at 21 MB instead of
/// 52-56, and the relevant 1M check took 8.2 s instead of 13.2 s, at 833 MB.
pub fn tune() {
    // SAFETY: sets an integer option; mimalloc reads it when it next purges.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS as _) }
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes one integer flag and touches no memory of ours.
    // On failure (an old kernel) the process keeps the system's setting.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Whether transparent huge pages are off for this process (`tune` turns them off).
pub fn huge_pages_disabled() -> bool {
    #[cfg(target_os = "linux")]
    // SAFETY: reads the process's flag.
    return unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) } == 1;
    #[cfg(not(target_os = "linux"))]
    false
}

/// The purge delay mimalloc uses now (for the test that holds the option's number).
// `c_long` is i64 here and i32 on other targets.
#[allow(clippy::useless_conversion)]
pub fn purge_delay_ms() -> i64 {
    // SAFETY: reads an integer option.
    i64::from(unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) })
}
