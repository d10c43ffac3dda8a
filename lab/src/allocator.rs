//! The process's memory allocator: mimalloc rather than the C library's.
//!
//! A lab is thousands of roles on a few threads of one runtime, and a task's memory is often
//! freed on another worker thread than the one that allocated it. glibc's allocator serves such
//! frees under the owning arena's lock: at CCE's maximum scale the built-in rehearsal spent
//! about a fifth of its CPU in `malloc`, `free` and the futex waits of that lock, and ran a
//! quarter quicker on mimalloc (bench/README.md, "The allocator").
//! Every binary of the crate (the CLI, the role image, the tests and benches) runs on it, so
//! what is measured is what ships.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicBool, Ordering};

#[global_allocator]
static ALLOCATOR: Allocator = Allocator;

/// mimalloc, with its settings made before the first allocation is served.
struct Allocator;

/// `mi_option_arena_eager_commit` in `mimalloc.h`'s `mi_option_t` (the same in its v2 and v3):
/// the enum keeps retired options in place, so an option's number does not change.
const ARENA_EAGER_COMMIT: std::ffi::c_int = 4;
/// `mi_option_purge_delay`: how many milliseconds freed pages wait before going back to the
/// system (10 by default).
const PURGE_DELAY: std::ffi::c_int = 15;

extern "C" {
    /// mimalloc's own setter; the library is linked in by the `mimalloc` crate.
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

static CONFIGURED: AtomicBool = AtomicBool::new(false);

/// Arenas are committed as their pages are first used, not whole when reserved: committed
/// eagerly, the seed's rehearsal peaked at 62 MB resident instead of 38 MB (its target is
/// 50 MB), and the 200 × 16 one at 358 MB instead of 277 MB, for no measurable speed.
fn configure() {
    if !CONFIGURED.load(Ordering::Relaxed) {
        CONFIGURED.store(true, Ordering::Relaxed);
        // SAFETY: mimalloc's options may be set at any time and from any thread (setting this
        // one twice, from two threads racing here, sets the same value); it decides how arenas
        // reserved from then on are committed.
        unsafe { mi_option_set(ARENA_EAGER_COMMIT, 0) }
    }
}

/// A process serving one role (a container's) gives freed pages back to the system at once: it
/// sits idle most of its life, and with mimalloc's delay each such process kept about 0.9 MiB
/// more than on glibc's allocator (a lab of 202 containers: 657 MiB against 468 MiB; 498 MiB
/// with no delay). A process of thousands of roles keeps the delay, which saves system calls
/// while it is busy.
pub(crate) fn return_freed_pages_at_once() {
    // SAFETY: as in `configure`; this option is read each time freed pages are considered.
    unsafe { mi_option_set(PURGE_DELAY, 0) }
}

// SAFETY: every call is mimalloc's own, with the caller's arguments.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        configure();
        mimalloc::MiMalloc.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        configure();
        mimalloc::MiMalloc.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        mimalloc::MiMalloc.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        mimalloc::MiMalloc.realloc(ptr, layout, new_size)
    }
}
