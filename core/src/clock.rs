//! Time as the core sees it: the adapter's monotonic clock for budgets and deadlines, and the
//! wall clock for the signature date only. Both are arguments; the core never reads a clock.
//!
//! A retry budget measured on the wall clock would be reset, or lengthened, by a clock step (an
//! NTP correction, a laptop waking up); on a monotonic clock it cannot be. And should an adapter
//! ever hand in an instant earlier than one it gave before, a [`Call`](crate::call::Call) keeps
//! the latest it has seen, so time never runs backwards inside the core.

use std::time::{Duration, SystemTime};

/// A point on the adapter's monotonic clock, as the time since an origin the adapter chose (the
/// client's creation, `performance.timeOrigin`, …). Only differences between instants of one
/// clock mean anything.
///
/// `std::time::Instant` cannot be created on `wasm32-unknown-unknown` (its `now()` panics), so
/// the core has its own type; a native adapter makes one with
/// `Instant::from_origin(std_now.duration_since(origin))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(Duration);

impl Instant {
    /// The instant `since_origin` after the clock's origin.
    pub const fn from_origin(since_origin: Duration) -> Self {
        Instant(since_origin)
    }

    /// Time since the clock's origin.
    pub const fn since_origin(self) -> Duration {
        self.0
    }

    /// Time from `earlier` to `self`; zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        self.0.saturating_sub(earlier.0)
    }

    /// The instant `d` later (the far future if that overflows).
    pub fn saturating_add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(d))
    }
}

/// Both clocks read at one moment: what every step of a call is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// The monotonic clock: retry budgets, backoff deadlines.
    pub instant: Instant,
    /// The wall clock: the request's `date`/`x-date`, HTTP-date `retry-after` values.
    pub wall: SystemTime,
}

impl Now {
    /// Both clocks at one moment.
    pub const fn new(instant: Instant, wall: SystemTime) -> Self {
        Now { instant, wall }
    }

    /// This moment `d` later on both clocks (for virtual clocks in tests and replays).
    pub fn advanced(self, d: Duration) -> Now {
        Now {
            instant: self.instant.saturating_add(d),
            wall: self.wall.checked_add(d).unwrap_or(self.wall),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_saturate_instead_of_panicking() {
        let a = Instant::from_origin(Duration::from_secs(5));
        let b = Instant::from_origin(Duration::from_secs(7));
        assert_eq!(b.saturating_duration_since(a), Duration::from_secs(2));
        assert_eq!(a.saturating_duration_since(b), Duration::ZERO);
        assert_eq!(
            Instant::from_origin(Duration::MAX).saturating_add(Duration::from_secs(1)),
            Instant::from_origin(Duration::MAX)
        );
    }
}
