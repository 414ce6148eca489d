//! The throttle's sliding window of requests and accepts, lock-free, with O(1) reads.
//!
//! Two cumulative counters count every request and every accept since the throttle was
//! created: a call adds to one with a single `fetch_add`, and touches nothing else. The window
//! is split into ten buckets of a tenth of its length; for each of the last ten buckets the
//! window keeps the two counters' values when that bucket began (a *start*). The counts over
//! the window are then the counters now minus the start of the oldest bucket in it (the
//! *base*), two subtractions, whatever the call rate.
//!
//! When time enters a new bucket, the first call to notice it (one load and a comparison per
//! call) records the bucket's start and moves the base on: a sweep. Sweeps are serialised by a
//! flag taken with one compare-and-swap; a call that finds it taken does not wait, it counts
//! and decides on the base as it is, which the sweep under way is about to move. So no call
//! ever waits for another. The breaker's time window (`breaker/window.rs`) keeps counts in
//! tagged buckets and sums them on every read; this one is read on every admission, hence the
//! running counters and the base, and its counts are unbounded (64-bit).
//!
//! What the window holds at a time in bucket `S` is everything since bucket `S - 9` began:
//! between nine and ten tenths of the window. A request counts in the bucket it was made in, an
//! accept in the bucket it was recorded in; a call racing a sweep may count in the bucket before
//! the one it fell in.

use super::sync::{AtomicBool, AtomicU64, Ordering};

/// Buckets per window.
pub(crate) const BUCKETS: u64 = 10;
/// The same, as the length of the array of starts.
const SLOTS: usize = 10;

/// The counters' values when one bucket began.
#[derive(Default)]
struct Start {
    requests: AtomicU64,
    accepts: AtomicU64,
}

pub(crate) struct Window {
    bucket_nanos: u64,
    /// Requests since the throttle was created (or reset).
    requests: AtomicU64,
    /// Accepts since the throttle was created (or reset).
    accepts: AtomicU64,
    /// The start of the oldest bucket in the window.
    base_requests: AtomicU64,
    base_accepts: AtomicU64,
    /// The newest bucket whose start is recorded.
    swept: AtomicU64,
    /// Taken by the one call recording a start; the others do not wait for it.
    sweeping: AtomicBool,
    /// The start of bucket `b` at `b % BUCKETS`, for the buckets `swept - 9 ..= swept`.
    starts: [Start; SLOTS],
}

impl Window {
    /// A window of `length`, split into ten buckets (each at least a nanosecond).
    pub(crate) fn new(length: std::time::Duration) -> Window {
        let nanos = u64::try_from(length.as_nanos()).unwrap_or(u64::MAX);
        Window {
            bucket_nanos: (nanos / BUCKETS).max(1),
            requests: AtomicU64::new(0),
            accepts: AtomicU64::new(0),
            base_requests: AtomicU64::new(0),
            base_accepts: AtomicU64::new(0),
            swept: AtomicU64::new(0),
            sweeping: AtomicBool::new(false),
            starts: Default::default(),
        }
    }

    /// The bucket a time `nanos` after the throttle's origin falls in.
    #[inline]
    pub(crate) fn bucket(&self, nanos: u64) -> u64 {
        nanos / self.bucket_nanos
    }

    /// A bucket's length.
    pub(crate) fn bucket_nanos(&self) -> u64 {
        self.bucket_nanos
    }

    /// The newest bucket the window has moved on to.
    pub(crate) fn swept(&self) -> u64 {
        self.swept.load(Ordering::Acquire)
    }

    /// Moves the window on to `bucket` if it is newer than the one swept last.
    #[inline]
    pub(crate) fn advance(&self, bucket: u64) {
        if bucket > self.swept.load(Ordering::Acquire) {
            self.sweep(bucket);
        }
    }

    /// Records the start of every bucket from the one after the last swept to `bucket`, and
    /// moves the base to the start of the oldest bucket in the window. Skipped when another
    /// call is sweeping: it will have done so, or the next call does.
    #[cold]
    #[inline(never)]
    fn sweep(&self, bucket: u64) {
        if self
            .sweeping
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        let last = self.swept.load(Ordering::Relaxed);
        if bucket > last {
            // The calls since the last sweep all count before `bucket` (give or take the ones
            // racing this sweep); a bucket skipped had no call, so it starts where `bucket` does.
            let requests = self.requests.load(Ordering::Relaxed);
            let accepts = self.accepts.load(Ordering::Relaxed);
            let first = (last + 1).max(bucket.saturating_sub(BUCKETS - 1));
            for recorded in first..=bucket {
                let start = self.start(recorded);
                start.requests.store(requests, Ordering::Relaxed);
                start.accepts.store(accepts, Ordering::Relaxed);
            }
            // Bucket `bucket - 9` began the window; before bucket 9 the window began at zero,
            // whose start is the empty one each slot holds from creation.
            let oldest = self.start(bucket.saturating_sub(BUCKETS - 1));
            let (base_requests, base_accepts) = if bucket >= BUCKETS - 1 {
                (
                    oldest.requests.load(Ordering::Relaxed),
                    oldest.accepts.load(Ordering::Relaxed),
                )
            } else {
                (0, 0)
            };
            self.base_requests.store(base_requests, Ordering::Relaxed);
            self.base_accepts.store(base_accepts, Ordering::Relaxed);
            self.swept.store(bucket, Ordering::Release);
        }
        self.sweeping.store(false, Ordering::Release);
    }

    fn start(&self, bucket: u64) -> &Start {
        // `bucket % BUCKETS` is below 10.
        #[allow(clippy::cast_possible_truncation)]
        &self.starts[(bucket % BUCKETS) as usize]
    }

    /// Requests and accepts in the window: the counters less the base.
    #[inline]
    pub(crate) fn counts(&self) -> (u64, u64) {
        // The base first: it only grows towards the counters, so read after it they are never
        // below it (but for an ignored call taken back, hence the saturation).
        let base_requests = self.base_requests.load(Ordering::Relaxed);
        let base_accepts = self.base_accepts.load(Ordering::Relaxed);
        let requests = self.requests.load(Ordering::Relaxed);
        let accepts = self.accepts.load(Ordering::Relaxed);
        (
            requests.saturating_sub(base_requests),
            accepts.saturating_sub(base_accepts),
        )
    }

    /// One more request.
    #[inline]
    pub(crate) fn add_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// One more accept.
    #[inline]
    pub(crate) fn add_accept(&self) {
        self.accepts.fetch_add(1, Ordering::Relaxed);
    }

    /// One request fewer: a call that turned out not to reach the backend.
    pub(crate) fn remove_request(&self) {
        self.requests.fetch_sub(1, Ordering::Relaxed);
    }

    /// Empty, as new: waits for a sweep under way to finish (a reset is rare, and never on a
    /// call's path).
    pub(crate) fn clear(&self) {
        while self
            .sweeping
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        for counter in [
            &self.requests,
            &self.accepts,
            &self.base_requests,
            &self.base_accepts,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
        for start in &self.starts {
            start.requests.store(0, Ordering::Relaxed);
            start.accepts.store(0, Ordering::Relaxed);
        }
        // From here the whole window is the empty start each slot holds: the next sweep moves
        // on from the bucket swept last, recording starts of zero.
        self.sweeping.store(false, Ordering::Release);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A window of ten buckets of 1 ns, for bucket numbers as times.
    fn window() -> Window {
        Window::new(Duration::from_nanos(10))
    }

    fn call(window: &Window, bucket: u64, accepted: bool) {
        window.advance(bucket);
        window.add_request();
        if accepted {
            window.add_accept();
        }
    }

    #[test]
    fn counts_follow_the_last_ten_buckets() {
        let window = window();
        assert_eq!(window.counts(), (0, 0));
        call(&window, 0, true);
        call(&window, 3, false);
        call(&window, 9, true);
        assert_eq!(window.counts(), (3, 2));
        // Bucket 10: the window is buckets 1 to 10, so bucket 0's call is gone.
        window.advance(10);
        assert_eq!(window.counts(), (2, 1));
        call(&window, 12, true);
        assert_eq!(window.counts(), (3, 2));
        window.advance(13);
        assert_eq!(window.counts(), (2, 2), "bucket 3 left");
        window.advance(19);
        assert_eq!(window.counts(), (1, 1), "bucket 9 left");
        window.advance(22);
        assert_eq!(window.counts(), (0, 0));
    }

    #[test]
    fn a_long_pause_empties_the_window_and_counting_resumes() {
        let window = window();
        for bucket in 0..5 {
            call(&window, bucket, false);
        }
        window.advance(1_000_000);
        assert_eq!(window.counts(), (0, 0));
        call(&window, 1_000_000, true);
        call(&window, 1_000_004, false);
        assert_eq!(window.counts(), (2, 1));
        window.advance(1_000_010);
        assert_eq!(window.counts(), (1, 0));
    }

    #[test]
    fn an_older_time_counts_without_moving_the_window_back() {
        let window = window();
        call(&window, 20, true);
        call(&window, 5, false);
        assert_eq!(window.counts(), (2, 1));
        window.advance(29);
        assert_eq!(
            window.counts(),
            (2, 1),
            "the late call counted in bucket 20"
        );
        window.advance(30);
        assert_eq!(window.counts(), (0, 0), "and left with it");
    }

    #[test]
    fn clear_empties_it_and_the_window_moves_on_from_there() {
        let window = window();
        call(&window, 3, true);
        window.clear();
        assert_eq!(window.counts(), (0, 0));
        call(&window, 4, false);
        window.advance(12);
        assert_eq!(window.counts(), (1, 0));
        window.advance(14);
        assert_eq!(window.counts(), (0, 0));
    }
}
