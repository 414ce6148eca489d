//! The per-thread generator behind jitter: fast, seeded from the OS, re-seedable for tests.

use std::cell::Cell;

use rand::rngs::{SmallRng, SysRng};
use rand::{RngExt, SeedableRng};

thread_local! {
    // `None` until the first draw, so threads that never retry never seed a generator.
    static GENERATOR: Cell<Option<SmallRng>> = const { Cell::new(None) };
}

/// A uniform draw in `[0, 1)` from this thread's generator.
pub(crate) fn unit_draw() -> f64 {
    GENERATOR
        .try_with(|slot| {
            let mut generator = slot.take().unwrap_or_else(seeded_from_os);
            let draw = generator.random::<f64>();
            slot.set(Some(generator));
            draw
        })
        // Only during thread teardown; any value in range keeps the bounds.
        .unwrap_or_else(|_| seeded_from_os().random::<f64>())
}

/// Re-seeds this thread's generator, making every following jitter draw on this thread
/// reproducible.
pub(crate) fn seed_thread(seed: u64) {
    // Thread teardown is the only failure, and then no further draw can happen on this thread.
    let _ = GENERATOR.try_with(|slot| slot.set(Some(SmallRng::seed_from_u64(seed))));
}

fn seeded_from_os() -> SmallRng {
    SmallRng::try_from_rng(&mut SysRng).unwrap_or_else(|_| {
        // No OS entropy (a sandbox without getrandom): the address of a stack slot and the time
        // still tell threads and processes apart, which is all jitter needs.
        let marker = 0u8;
        let address = std::ptr::addr_of!(marker) as usize as u64;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos());
        SmallRng::seed_from_u64(address ^ u64::from(nanos).rotate_left(32))
    })
}
