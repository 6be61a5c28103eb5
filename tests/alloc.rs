//! The binary tells mimalloc to return freed memory after 10 ms instead of v3's second
//! (`alloc::tune`). The option is set by its number in mimalloc's enum, which the Rust
//! bindings do not name: this holds the number to the option whose default is v3's
//! documented 1000 ms purge delay, and the setting to what `tune` asks. Its own process:
//! nothing else here sets mimalloc options. `tune` also turns transparent huge pages off
//! for the process.

use karmada_preflight::alloc::{huge_pages_disabled, purge_delay_ms, tune, PURGE_DELAY_MS};

#[test]
fn tune_shortens_mimallocs_purge_delay() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        assert_eq!(purge_delay_ms(), 1000, "option 15 is not the purge delay");
    }
    tune();
    assert_eq!(purge_delay_ms(), PURGE_DELAY_MS);
    #[cfg(target_os = "linux")]
    assert!(huge_pages_disabled(), "transparent huge pages still on");
}
