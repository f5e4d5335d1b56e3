//! Fault injection: exact, reproducible failures for proving a client's retry logic.
//!
//! A [`Fault`] says *what* goes wrong ([`FaultKind`]) and *which* requests it hits (an OCI
//! operation name, a number of requests to let through first, how many to hit, and optionally a
//! seeded probability). The table of faults is consulted once per authenticated request; the
//! connection-level kinds are carried out by [`crate::conn`].

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// What an injected fault does to the request it hits.
///
/// Faults only ever hit requests whose signature verified (never CORS preflights, never `401`s).
/// See the crate docs (*Fault injection*) for what a client observes on the wire for each kind.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Answer this status with an OCI error body `{"code", "message"}` *before* processing:
    /// nothing is applied. `retry_after` adds a `retry-after: N` header. The request body is
    /// read and discarded first (so the connection stays usable), unless the client waits for
    /// `100 Continue`. A status outside `200..=599` is answered as 500.
    Status {
        /// HTTP status, e.g. 503.
        status: u16,
        /// OCI error code put into the body, e.g. `ServiceUnavailable`.
        code: String,
        /// Seconds for a `retry-after` header; `None`: no header.
        retry_after: Option<u64>,
    },
    /// Process the request normally (a create is applied and remembered under its
    /// `opc-retry-token`), then answer this status and code instead of the real response,
    /// whatever that was: "the response was lost".
    CommitThenStatus {
        /// HTTP status, e.g. 500.
        status: u16,
        /// OCI error code put into the body, e.g. `InternalServerError`.
        code: String,
    },
    /// Process the request normally, then close the TCP connection without sending a single
    /// response byte.
    CommitThenDrop,
    /// Process normally, send the status line and headers (with the full `content-length`) and
    /// the first half of the body (rounded down), then abort the connection with a TCP reset.
    ResetResponseBody,
    /// Like [`FaultKind::ResetResponseBody`], but close the connection cleanly (FIN) after half
    /// the body: the client sees end-of-stream before `content-length` bytes arrived.
    TruncateResponseBody,
    /// Hold the request for `duration` without reading its body or processing it, then close the
    /// connection without a response. Nothing is applied.
    Stall {
        /// How long to hold the request; make it longer than the client's read timeout.
        duration: Duration,
    },
    /// Read about half of the request body (by its `content-length`; one chunk when it has
    /// none; nothing when it is empty), then reset the connection without a response. Nothing is
    /// applied: in particular no (partial) object or part is stored. A client that waits for
    /// `100 Continue` receives it, since the body is read. A small body usually arrives whole
    /// with the headers; the client then only sees the reset.
    ResetRequestBody,
}

impl FaultKind {
    /// [`FaultKind::Status`] without `retry-after`.
    pub fn status(status: u16, code: &str) -> Self {
        FaultKind::Status {
            status,
            code: code.to_string(),
            retry_after: None,
        }
    }

    /// `429 TooManyRequests`, optionally with `retry-after: N` (seconds).
    pub fn too_many_requests(retry_after: Option<u64>) -> Self {
        FaultKind::Status {
            status: 429,
            code: "TooManyRequests".to_string(),
            retry_after,
        }
    }

    /// `500 InternalServerError`.
    pub fn internal_error() -> Self {
        Self::status(500, "InternalServerError")
    }

    /// `503 ServiceUnavailable`.
    pub fn unavailable() -> Self {
        Self::status(503, "ServiceUnavailable")
    }

    /// `409 IncorrectState` (retryable in OCI's SDKs, unlike other 409s).
    pub fn incorrect_state() -> Self {
        Self::status(409, "IncorrectState")
    }

    /// The variant's name, as counted in [`crate::Stats::fired_by_kind`]: `Status`,
    /// `CommitThenStatus`, `CommitThenDrop`, `ResetResponseBody`, `TruncateResponseBody`,
    /// `Stall` or `ResetRequestBody`.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Status { .. } => "Status",
            FaultKind::CommitThenStatus { .. } => "CommitThenStatus",
            FaultKind::CommitThenDrop => "CommitThenDrop",
            FaultKind::ResetResponseBody => "ResetResponseBody",
            FaultKind::TruncateResponseBody => "TruncateResponseBody",
            FaultKind::Stall { .. } => "Stall",
            FaultKind::ResetRequestBody => "ResetRequestBody",
        }
    }
}

/// One injected fault: a [`FaultKind`] and the requests it hits.
///
/// Requests are counted per fault, and only those matching its [`operation`](Fault::operation):
/// the first [`skip`](Fault::skip) go through, the next [`times`](Fault::times) (all further
/// ones when `None`) are hit, each only with [`probability`](Fault::probability) when that is
/// set. Build with [`Fault::new`] and the chained setters:
///
/// ```
/// use ocisdk_emulator::{Fault, FaultKind};
/// // The second and third CreateGroup answer 503; the others are served.
/// let fault = Fault::new(FaultKind::unavailable()).on("CreateGroup").skip(1).times(2);
/// assert_eq!(fault.operation.as_deref(), Some("CreateGroup"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// What happens to a hit request.
    pub kind: FaultKind,
    /// The OCI operation name as counted in [`crate::Stats::operations`] (`CreateGroup`,
    /// `PutObject`, `GetObject`, `ListUsers`, …; `Unknown` for unrouted requests); `None`
    /// matches every authenticated request.
    pub operation: Option<String>,
    /// Let this many matching requests through before the fault can fire.
    pub skip: u32,
    /// Consider at most this many matching requests after the skipped ones (so the fault fires
    /// at most this often); `None`: no limit.
    pub times: Option<u32>,
    /// If set, each considered request is hit with this probability (0.0 never, 1.0 always),
    /// drawn from a ChaCha20 generator seeded with [`seed`](Fault::seed), so a run is
    /// reproducible: the same requests in the same order are hit every time.
    pub probability: Option<f64>,
    /// Seed of the probability draws (unused without [`probability`](Fault::probability)).
    pub seed: u64,
}

impl Fault {
    /// A fault that hits every authenticated request until removed.
    pub fn new(kind: FaultKind) -> Self {
        Fault {
            kind,
            operation: None,
            skip: 0,
            times: None,
            probability: None,
            seed: 0,
        }
    }

    /// Only requests of this OCI operation (e.g. `CreateGroup`) match.
    pub fn on(mut self, operation: &str) -> Self {
        self.operation = Some(operation.to_string());
        self
    }

    /// Let the first `n` matching requests through.
    pub fn skip(mut self, n: u32) -> Self {
        self.skip = n;
        self
    }

    /// Consider only `n` matching requests (after the skipped ones).
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Hit each considered request with probability `p`, drawn from a generator seeded with
    /// `seed`.
    pub fn probability(mut self, p: f64, seed: u64) -> Self {
        self.probability = Some(p);
        self.seed = seed;
        self
    }
}

/// A fault with its own request counter and random generator.
struct Slot {
    fault: Fault,
    /// Matching requests seen so far (u64: `skip + times` may exceed u32).
    seen: u64,
    rng: ChaCha20Rng,
}

impl Slot {
    fn new(fault: Fault) -> Self {
        let rng = ChaCha20Rng::seed_from_u64(fault.seed);
        Slot {
            fault,
            seen: 0,
            rng,
        }
    }

    /// Counts a matching request and says whether this fault hits it.
    fn decide(&mut self) -> bool {
        self.seen += 1;
        let skip = u64::from(self.fault.skip);
        if self.seen <= skip {
            return false;
        }
        if let Some(times) = self.fault.times
            && self.seen > skip + u64::from(times)
        {
            return false;
        }
        match self.fault.probability {
            None => true,
            Some(p) => unit_f64(&mut self.rng) < p,
        }
    }
}

/// A uniform draw from [0, 1) with 53 random bits (rand_core alone has no float sampling).
fn unit_f64(rng: &mut ChaCha20Rng) -> f64 {
    const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
    (rng.next_u64() >> 11) as f64 * SCALE
}

/// The injected faults, in insertion order, plus what they have done.
#[derive(Default)]
pub(crate) struct FaultTable {
    slots: Mutex<Vec<Slot>>,
    fired: Mutex<FiredCounts>,
}

/// Counters behind [`crate::Stats::faults_fired`] and [`crate::Stats::fired_by_kind`].
#[derive(Default, Clone)]
pub(crate) struct FiredCounts {
    pub total: u64,
    pub by_kind: BTreeMap<&'static str, u64>,
}

impl FaultTable {
    pub(crate) fn new(faults: Vec<Fault>) -> Self {
        let table = FaultTable::default();
        for f in faults {
            table.push(f);
        }
        table
    }

    pub(crate) fn push(&self, fault: Fault) {
        if let Some(op) = &fault.operation
            && crate::model::operations(op).is_empty()
        {
            // Not an error: the caller may mean a name a later emulator version routes; but
            // today the fault can never fire, which is worth saying.
            tracing::warn!(
                operation = %op,
                "injected fault names an operation the emulator does not know; it will never fire"
            );
        }
        self.lock_slots().push(Slot::new(fault));
    }

    pub(crate) fn clear(&self) {
        self.lock_slots().clear();
    }

    /// Consults the faults in insertion order for one authenticated request of `op`. Each fault
    /// whose operation matches counts the request, until one fires; later faults do not see a
    /// request an earlier one hit.
    pub(crate) fn pick(&self, op: &str) -> Option<FaultKind> {
        let kind = {
            let mut slots = self.lock_slots();
            slots
                .iter_mut()
                .filter(|s| s.fault.operation.as_deref().is_none_or(|o| o == op))
                .find_map(|s| s.decide().then(|| s.fault.kind.clone()))
        }?;
        let mut fired = self.fired.lock().unwrap_or_else(|e| e.into_inner());
        fired.total += 1;
        *fired.by_kind.entry(kind.name()).or_insert(0) += 1;
        Some(kind)
    }

    pub(crate) fn fired(&self) -> FiredCounts {
        self.fired.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn reset_fired(&self) {
        *self.fired.lock().unwrap_or_else(|e| e.into_inner()) = FiredCounts::default();
    }

    fn lock_slots(&self) -> std::sync::MutexGuard<'_, Vec<Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn run(table: &FaultTable, ops: &[&str]) -> Vec<bool> {
        ops.iter().map(|op| table.pick(op).is_some()).collect()
    }

    #[test]
    fn skip_times_and_operation() {
        let t = FaultTable::new(vec![
            Fault::new(FaultKind::unavailable())
                .on("CreateGroup")
                .skip(1)
                .times(2),
        ]);
        let fired = run(
            &t,
            &[
                "ListGroups",
                "CreateGroup",
                "ListGroups",
                "CreateGroup",
                "CreateGroup",
                "CreateGroup",
            ],
        );
        assert_eq!(fired, [false, false, false, true, true, false]);
        assert_eq!(t.fired().total, 2);
        assert_eq!(t.fired().by_kind.get("Status"), Some(&2));
    }

    #[test]
    fn first_firing_fault_wins_and_later_ones_do_not_count_its_requests() {
        let t = FaultTable::new(vec![
            Fault::new(FaultKind::CommitThenDrop).times(1),
            Fault::new(FaultKind::internal_error()).skip(1).times(1),
        ]);
        // Request 1: the first fault fires, the second never sees it. Request 2: the first is
        // exhausted; the second counts its first request and skips it. Request 3: it fires.
        assert_eq!(t.pick("X"), Some(FaultKind::CommitThenDrop));
        assert_eq!(t.pick("X"), None);
        assert_eq!(t.pick("X"), Some(FaultKind::internal_error()));
        assert_eq!(t.pick("X"), None);
    }

    #[test]
    fn probability_is_reproducible() {
        let fault = Fault::new(FaultKind::unavailable()).probability(0.5, 7);
        let ops = ["Op"; 64];
        let a = run(&FaultTable::new(vec![fault.clone()]), &ops);
        let b = run(&FaultTable::new(vec![fault]), &ops);
        assert_eq!(a, b);
        let hits = a.iter().filter(|x| **x).count();
        assert!((16..=48).contains(&hits), "{hits} of 64");
        let other = run(
            &FaultTable::new(vec![
                Fault::new(FaultKind::unavailable()).probability(0.5, 8),
            ]),
            &ops,
        );
        assert_ne!(a, other);
        let never = run(
            &FaultTable::new(vec![
                Fault::new(FaultKind::unavailable()).probability(0.0, 1),
            ]),
            &ops,
        );
        assert!(never.iter().all(|x| !x));
        let always = run(
            &FaultTable::new(vec![
                Fault::new(FaultKind::unavailable()).probability(1.0, 1),
            ]),
            &ops,
        );
        assert!(always.iter().all(|x| *x));
    }

    #[test]
    fn probability_within_times_window() {
        // times bounds the window of considered requests, not the number of hits.
        let t = FaultTable::new(vec![
            Fault::new(FaultKind::unavailable())
                .times(10)
                .probability(0.5, 3),
        ]);
        let fired = run(&t, &["Op"; 30]);
        assert!(fired[10..].iter().all(|x| !x));
        assert!(fired[..10].iter().any(|x| *x));
    }
}
