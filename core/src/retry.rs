//! Retry policy: which failures are worth another attempt, and how long to wait first.
//!
//! Pure and deterministic: the caller passes the attempt count, the time spent so far and the
//! randomness for jitter, so a test with a virtual clock gets the exact same sleeps every run.
//! The defaults match the official OCI SDKs: 8 attempts, a 600 s budget, and a wait of
//! `min(2^(n-1) s + U(0, 1 s), 30 s)` after the n-th failed attempt; `retry-after` wins when the
//! service sends it.

use std::fmt;
use std::time::Duration;

use crate::error::Error;

/// What kind of transient failure an attempt met: the data a [`RetryPolicy`] decides on
/// ([`Error::retry_class`]). Failures without a class are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryClass {
    /// 429 TooManyRequests: the service asks for less; `retry-after` says when.
    Throttled,
    /// A 5xx other than 501: the service failed, and may or may not have applied the request.
    ServerError,
    /// 409 IncorrectState or LockConflict: the resource is busy with another change.
    TransientConflict,
    /// The connection could not be made: nothing of the request reached the service.
    NotSent,
    /// No answer within the read timeout: the request may have reached the service.
    Timeout,
    /// The connection broke, or the response was cut short, after the request was sent: the
    /// service may have applied it.
    ConnectionLost,
}

impl RetryClass {
    /// Every class, in declaration order.
    pub const ALL: [RetryClass; 6] = [
        RetryClass::Throttled,
        RetryClass::ServerError,
        RetryClass::TransientConflict,
        RetryClass::NotSent,
        RetryClass::Timeout,
        RetryClass::ConnectionLost,
    ];

    /// Whether the failed attempt may have been applied by the service before it failed, so
    /// that another attempt of a non-idempotent request could meet its own effect.
    pub fn may_have_been_applied(self) -> bool {
        matches!(
            self,
            RetryClass::ServerError | RetryClass::Timeout | RetryClass::ConnectionLost
        )
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for RetryClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RetryClass::Throttled => "throttling",
            RetryClass::ServerError => "a server error",
            RetryClass::TransientConflict => "a transient conflict",
            RetryClass::NotSent => "a connection failure before sending",
            RetryClass::Timeout => "a timeout",
            RetryClass::ConnectionLost => "a connection lost after sending",
        })
    }
}

/// A set of [`RetryClass`]es: the ones a policy retries.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RetryClasses(u8);

impl RetryClasses {
    /// Every class (the default: what the official SDKs retry).
    pub fn all() -> Self {
        RetryClasses(RetryClass::ALL.iter().fold(0, |acc, c| acc | c.bit()))
    }

    /// No class.
    pub fn none() -> Self {
        RetryClasses(0)
    }

    /// This set with `class` added.
    pub fn with(self, class: RetryClass) -> Self {
        RetryClasses(self.0 | class.bit())
    }

    /// This set with `class` removed.
    pub fn without(self, class: RetryClass) -> Self {
        RetryClasses(self.0 & !class.bit())
    }

    /// Whether `class` is in the set.
    pub fn contains(self, class: RetryClass) -> bool {
        self.0 & class.bit() != 0
    }
}

impl Default for RetryClasses {
    fn default() -> Self {
        RetryClasses::all()
    }
}

impl fmt::Debug for RetryClasses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(RetryClass::ALL.iter().filter(|c| self.contains(**c)))
            .finish()
    }
}

/// How a client retries. `RetryPolicy::default()` is the official SDKs' default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Whether to retry at all.
    pub enabled: bool,
    /// Attempts in all, the first included (default 8).
    pub max_attempts: u32,
    /// Total time budget from the first attempt (default 600 s). No wait that would end past it
    /// is started.
    pub max_elapsed: Duration,
    /// Wait after the first failure, doubled after each further one (default 1 s).
    pub base_delay: Duration,
    /// Upper bound of any one wait, jitter included (default 30 s).
    pub max_delay: Duration,
    /// Uniform random extra added to each wait, from zero to this (default 1 s).
    pub max_jitter: Duration,
    /// Which kinds of failure are retried (default: all of them, as the official SDKs do).
    pub retry_on: RetryClasses,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            enabled: true,
            max_attempts: 8,
            max_elapsed: Duration::from_secs(600),
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_jitter: Duration::from_secs(1),
            retry_on: RetryClasses::all(),
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryDecision {
    /// Wait this long, then send the request again.
    Retry(Duration),
    /// Stop; the reason says why (attempts used up, budget, not retryable, disabled).
    Stop(StopReason),
}

/// Why no further attempt is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// The failure is final (a 4xx other than 409 IncorrectState/LockConflict and 429, 501, a
    /// decode or config error…).
    NotRetryable,
    /// The failure is transient, but of a class this policy does not retry.
    Excluded(RetryClass),
    /// Retries are switched off.
    Disabled,
    /// Every allowed attempt has been made.
    AttemptsExhausted,
    /// The next wait would end after the time budget.
    BudgetExhausted {
        /// The wait that was not started.
        next_wait: Duration,
    },
}

/// Name of the environment switch the official SDKs honour.
pub const RETRY_ENV: &str = "OCI_SDK_DEFAULT_RETRY_ENABLED";

impl RetryPolicy {
    /// No retries: every failure is final.
    pub fn disabled() -> Self {
        RetryPolicy {
            enabled: false,
            ..RetryPolicy::default()
        }
    }

    /// This policy, not retrying failures of `class`.
    pub fn without(mut self, class: RetryClass) -> Self {
        self.retry_on = self.retry_on.without(class);
        self
    }

    /// The default policy, switched off when `value` (the `OCI_SDK_DEFAULT_RETRY_ENABLED`
    /// variable) is `false` or `0`.
    pub fn from_env_value(value: Option<&str>) -> Self {
        match value.map(|v| v.trim().to_ascii_lowercase()) {
            Some(v) if v == "false" || v == "0" => RetryPolicy::disabled(),
            _ => RetryPolicy::default(),
        }
    }

    /// [`RetryPolicy::from_env_value`] with the process environment.
    #[cfg(feature = "std")]
    pub fn from_env() -> Self {
        Self::from_env_value(std::env::var(RETRY_ENV).ok().as_deref())
    }

    /// The wait after `attempts` failed attempts (1 for the first), before the budget check.
    /// `random` is any `u32` from a uniform source; it picks the jitter.
    pub fn backoff(&self, attempts: u32, random: u32) -> Duration {
        let exp = attempts.saturating_sub(1).min(30);
        let base = self.base_delay.saturating_mul(1u32 << exp);
        let jitter_nanos = self.max_jitter.as_nanos() * u128::from(random) / u128::from(u32::MAX);
        let jitter = Duration::from_nanos(u64::try_from(jitter_nanos).unwrap_or(u64::MAX));
        base.saturating_add(jitter).min(self.max_delay)
    }

    /// Decides after a failed attempt. `attempts` counts the attempts made (the failed one
    /// included), `elapsed` the time since the first began, `retry_after` the service's
    /// `retry-after`, if any.
    pub fn decide(
        &self,
        error: &Error,
        attempts: u32,
        elapsed: Duration,
        retry_after: Option<Duration>,
        random: u32,
    ) -> RetryDecision {
        let Some(class) = error.retry_class() else {
            return RetryDecision::Stop(StopReason::NotRetryable);
        };
        if !self.enabled {
            return RetryDecision::Stop(StopReason::Disabled);
        }
        if !self.retry_on.contains(class) {
            return RetryDecision::Stop(StopReason::Excluded(class));
        }
        if attempts >= self.max_attempts {
            return RetryDecision::Stop(StopReason::AttemptsExhausted);
        }
        let wait = retry_after.unwrap_or_else(|| self.backoff(attempts, random));
        if elapsed.saturating_add(wait) > self.max_elapsed {
            return RetryDecision::Stop(StopReason::BudgetExhausted { next_wait: wait });
        }
        RetryDecision::Retry(wait)
    }
}

/// Parses `retry-after`: delay-seconds (`120`) or an HTTP date relative to `now`.
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        // `try_from`: a hostile `retry-after: 1e20` must not panic the client.
        return Duration::try_from_secs_f64(secs).ok();
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::NotRetryable => f.write_str("the failure is not retryable"),
            StopReason::Excluded(class) => write!(f, "the policy does not retry {class}"),
            StopReason::Disabled => f.write_str("retries are disabled"),
            StopReason::AttemptsExhausted => f.write_str("all attempts are used"),
            StopReason::BudgetExhausted { next_wait } => write!(
                f,
                "the next wait of {:.1} s would cross the time budget",
                next_wait.as_secs_f64()
            ),
        }
    }
}
