//! [`RetryPolicy`]: when a failed request is sent again, and how long to wait.
//!
//! Codat's own SDKs retry with exponential backoff (initial 500 ms, at most
//! 60 s between attempts, exponent 1.5, for up to one hour) on 408, 429, 5xx
//! and connection errors. This policy starts from those figures and differs
//! where a Rust service is better served otherwise:
//!
//! - **Total time 5 minutes, not 1 hour**, and **at most 8 attempts**: a
//!   request held for an hour outlives almost every caller's own deadline
//!   and ties up a task; five minutes spans Codat's per-minute rate-limit
//!   window several times over.
//! - **Full jitter** (a random wait between zero and the backoff), so that
//!   many clients rate-limited at the same moment do not retry in lockstep.
//! - **`Retry-After` wins** over the backoff when Codat sends it (seconds or
//!   an HTTP date), capped at the policy's longest wait; when it would pass
//!   the total time, the error is returned at once instead of waiting in vain.
//! - **`Retry-After` never means "hammer"**: a `Retry-After` of 0 or a date
//!   already past (a server whose clock is behind ours, or a stale proxy
//!   answer) falls back to the backoff, with its jitter kept in the upper
//!   half (between half the backoff and the backoff), as Codat's TypeScript
//!   SDK does; a server that refused the request is never asked again at once.
//! - **Safe by operation**: reads, deletes and authorization updates are
//!   repeated on 408/429/5xx, timeouts and connection errors.
//! - **Writes by Codat's idempotency rules**: a create or an unlink (a
//!   `POST` or `PATCH`) carries an `Idempotency-Key`, the same on every
//!   attempt, and Codat answers a repeated key with the first answer (kept
//!   90 minutes) instead of acting twice. So such a write is repeated after
//!   a timeout or a dropped connection (the first answer may have been
//!   lost: the repeat gets it back, and no second connection is made);
//!   after a 409 (the first request with that key is still being answered),
//!   with backoff; and after a 429, with the same key, once `Retry-After`
//!   has passed (Codat keeps no 429 for a key). It is **not** repeated after
//!   a 5xx or a 408, which Codat keeps for the key and would only replay: the
//!   error names the key ([`Error::idempotency_key`](crate::Error::idempotency_key)),
//!   to ask again with later. A 422 for the key means it was used with
//!   another request: [`Error::IdempotencyKeyReused`](crate::Error::IdempotencyKeyReused).

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use crate::Error;
use crate::http::classify::{Repeatable, may_retry, requested_wait};

/// When and how often failed requests are retried.
///
/// ```
/// use std::time::Duration;
/// use codat_connections::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .max_attempts(12)
///     .max_elapsed(Duration::from_secs(600));
/// let never = RetryPolicy::none();
/// assert_eq!(never.attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    initial_delay: Duration,
    max_delay: Duration,
    exponent: f64,
    max_attempts: u32,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            exponent: 1.5,
            max_attempts: 8,
            max_elapsed: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The longest [`initial_delay`](Self::initial_delay) and
    /// [`max_delay`](Self::max_delay) a policy keeps: one day. A longer
    /// value (up to [`Duration::MAX`]) counts as this.
    pub const MAX_DELAY_CEILING: Duration = Duration::from_secs(24 * 60 * 60);

    /// A policy that never retries.
    pub fn none() -> Self {
        Self::default().max_attempts(1)
    }

    /// The backoff before the first retry (default 500 ms), clamped to
    /// [`MAX_DELAY_CEILING`](Self::MAX_DELAY_CEILING) (one day); the backoff
    /// never exceeds [`max_delay`](Self::max_delay) either.
    pub fn initial_delay(self, delay: Duration) -> Self {
        Self {
            initial_delay: delay.min(Self::MAX_DELAY_CEILING),
            ..self
        }
    }

    /// The longest wait between two attempts, `Retry-After` included (default
    /// 60 s), clamped to [`MAX_DELAY_CEILING`](Self::MAX_DELAY_CEILING) (one
    /// day). It is also the longest a client's shared rate-limit pause lasts
    /// ([`ClientBuilder::requests_per_minute`](crate::ClientBuilder::requests_per_minute)).
    /// `Duration::ZERO` retries without waiting, whatever Codat asks.
    pub fn max_delay(self, delay: Duration) -> Self {
        Self {
            max_delay: delay.min(Self::MAX_DELAY_CEILING),
            ..self
        }
    }

    /// How much the backoff grows per attempt (default 1.5; values below 1 count as 1).
    pub fn exponent(mut self, exponent: f64) -> Self {
        self.exponent = if exponent.is_finite() {
            exponent.max(1.0)
        } else {
            1.0
        };
        self
    }

    /// The most attempts, the first one included (default 8; at least 1).
    pub fn max_attempts(self, attempts: u32) -> Self {
        Self {
            max_attempts: attempts.max(1),
            ..self
        }
    }

    /// The longest time from the first attempt after which no retry starts
    /// (default 5 minutes). Any value is kept: `Duration::MAX` means no
    /// limit but [`max_attempts`](Self::max_attempts).
    pub fn max_elapsed(self, elapsed: Duration) -> Self {
        Self {
            max_elapsed: elapsed,
            ..self
        }
    }

    /// The longest wait between two attempts.
    pub(crate) fn longest_wait(&self) -> Duration {
        self.max_delay
    }

    /// The most attempts this policy makes.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The backoff ceiling before retry number `retry` (1 for the first retry).
    fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = self
            .exponent
            .powi(i32::try_from(retry.saturating_sub(1)).unwrap_or(i32::MAX));
        let millis = self.initial_delay.as_secs_f64() * factor;
        Duration::try_from_secs_f64(millis)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// A uniformly random duration in `[0, ceiling]` (full jitter), from the
/// process's randomly keyed hasher: no extra dependency, and good enough to
/// spread retries.
fn full_jitter(ceiling: Duration) -> Duration {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(ceiling.as_nanos());
    let unit = (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64;
    ceiling.mul_f64(unit)
}

/// Runs `attempt` until it succeeds or `policy` and `repeatable` allow no
/// more attempts; the value comes with, and the error returned says, how
/// many attempts were made.
///
/// It knows nothing of what is attempted: `operation` only names it in the
/// log, and each call of `attempt` produces one complete exchange.
pub(crate) async fn run<T, F, Fut>(
    policy: &RetryPolicy,
    repeatable: Repeatable,
    operation: &'static str,
    mut attempt: F,
) -> Result<(T, u32), Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let started = tokio::time::Instant::now();
    let mut number = 1;
    loop {
        let error = match attempt().await {
            Ok(value) => {
                tracing::debug!(operation, attempt = number, "codat request succeeded");
                return Ok((value, number));
            }
            Err(error) => error.with_attempts(number),
        };
        let status = error.status().map(|s| s.as_u16());
        if number >= policy.max_attempts || !may_retry(&error, repeatable) {
            tracing::debug!(
                operation,
                attempt = number,
                status,
                "codat request failed: {error}"
            );
            return Err(error);
        }
        let wait = match requested_wait(&error) {
            Some(wait) if !wait.is_zero() => wait.min(policy.max_delay),
            // Codat refused the request yet asked for no wait: back off,
            // and never by less than half the backoff.
            Some(_) => {
                let ceiling = policy.backoff_ceiling(number);
                ceiling / 2 + full_jitter(ceiling / 2)
            }
            None => full_jitter(policy.backoff_ceiling(number)),
        };
        let wait_ms = wait.as_millis() as u64;
        if started.elapsed().saturating_add(wait) > policy.max_elapsed {
            tracing::debug!(
                operation,
                attempt = number,
                status,
                wait_ms,
                "codat request failed; no time left to retry: {error}"
            );
            return Err(error);
        }
        tracing::info!(
            operation,
            attempt = number,
            status,
            wait_ms,
            "codat request failed, retrying: {error}"
        );
        tokio::time::sleep(wait).await;
        number += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    #[test]
    fn backoff_grows_by_the_exponent_up_to_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff_ceiling(1), Duration::from_millis(500));
        assert_eq!(policy.backoff_ceiling(2), Duration::from_millis(750));
        assert_eq!(policy.backoff_ceiling(3), Duration::from_micros(1_125_000));
        assert_eq!(policy.backoff_ceiling(30), Duration::from_secs(60));
        assert_eq!(policy.backoff_ceiling(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn jitter_stays_within_the_ceiling_and_varies() {
        let ceiling = Duration::from_secs(10);
        let waits: Vec<Duration> = (0..200).map(|_| full_jitter(ceiling)).collect();
        assert!(waits.iter().all(|w| *w <= ceiling));
        let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
        assert!(
            distinct.len() > 150,
            "jitter is not random: {}",
            distinct.len()
        );
        assert!(waits.iter().any(|w| *w < ceiling / 2) && waits.iter().any(|w| *w > ceiling / 2));
    }

    fn answered(status: u16) -> Error {
        Error::Api(Box::new(crate::ApiError {
            status: StatusCode::from_u16(status).unwrap(),
            message: None,
            body: String::new(),
            retry_after: None,
            attempts: 1,
            idempotency_key: None,
        }))
    }

    /// Runs `outcomes` in turn through the runner; returns the result and
    /// how many attempts were made.
    async fn run_through(
        repeatable: Repeatable,
        outcomes: Vec<Result<(), Error>>,
    ) -> (Result<((), u32), Error>, usize) {
        let mut outcomes = outcomes.into_iter();
        let mut made = 0;
        let result = run(&RetryPolicy::default(), repeatable, "test", || {
            made += 1;
            let next = outcomes.next().unwrap_or(Ok(()));
            async move { next }
        })
        .await;
        (result, made)
    }

    #[tokio::test(start_paused = true)]
    async fn idempotent_calls_are_repeated_and_every_attempt_counted() {
        let (result, made) = run_through(
            Repeatable::Idempotent,
            vec![Err(answered(503)), Err(answered(503)), Ok(())],
        )
        .await;
        assert!(result.is_ok());
        assert_eq!(made, 3);

        let (result, made) = run_through(
            Repeatable::Idempotent,
            vec![Err(answered(503)), Err(answered(404))],
        )
        .await;
        assert_eq!(made, 2);
        assert_eq!(result.unwrap_err().attempts(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn keyed_calls_are_repeated_after_409_and_429_never_after_5xx() {
        // Codat replays a keyed request's 5xx: asking again gains nothing.
        for status in [500, 503, 408, 400] {
            let (result, made) = run_through(Repeatable::Keyed, vec![Err(answered(status))]).await;
            assert_eq!((made, result.unwrap_err().attempts()), (1, 1), "{status}");
        }
        let (result, made) = run_through(
            Repeatable::Keyed,
            vec![Err(answered(429)), Err(answered(409)), Ok(())],
        )
        .await;
        assert_eq!(result.unwrap().1, 3);
        assert_eq!(made, 3);
    }

    fn refused_with_retry_after(value: &str) -> Error {
        match answered(429) {
            Error::Api(mut api) => {
                api.retry_after = Some(value.to_owned());
                Error::Api(api)
            }
            other => other,
        }
    }

    /// The moments (from the start) at which each attempt was made, against
    /// a server that always answers 429 with `retry_after`.
    async fn attempt_times(retry_after: &str) -> Vec<Duration> {
        let started = tokio::time::Instant::now();
        let mut times = Vec::new();
        let result: Result<((), u32), Error> = run(
            &RetryPolicy::default(),
            Repeatable::Idempotent,
            "test",
            || {
                times.push(started.elapsed());
                let refused = refused_with_retry_after(retry_after);
                async move { Err(refused) }
            },
        )
        .await;
        assert_eq!(result.unwrap_err().attempts(), 8);
        times
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_zero_or_past_falls_back_to_the_backoff() {
        let policy = RetryPolicy::default();
        for value in ["0", "Thu, 01 Jan 2015 00:00:00 GMT"] {
            let times = attempt_times(value).await;
            for (retry, pair) in times.windows(2).enumerate() {
                let waited = pair[1] - pair[0];
                let ceiling = policy.backoff_ceiling(retry as u32 + 1);
                // Tokio's timer counts whole milliseconds and rounds a
                // deadline up: a wait drawn just under the ceiling ends on
                // the next millisecond.
                let tick = Duration::from_millis(1);
                assert!(
                    waited >= ceiling / 2 && waited <= ceiling + tick,
                    "{value}: retry {}: waited {waited:?}, backoff {ceiling:?}",
                    retry + 1
                );
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_in_the_future_is_waited_exactly() {
        let times = attempt_times("2").await;
        for pair in times.windows(2) {
            assert_eq!(pair[1] - pair[0], Duration::from_secs(2));
        }
    }

    /// The longest `Retry-After` a server can send in seconds (`u64::MAX`).
    fn longest_retry_after() -> String {
        u64::MAX.to_string()
    }

    /// The moments (from the start) at which each attempt was made under
    /// `policy`, each attempt taking a second and ending in `error()`.
    async fn attempt_times_under(policy: &RetryPolicy, error: fn() -> Error) -> Vec<Duration> {
        let started = tokio::time::Instant::now();
        let mut times = Vec::new();
        let result: Result<((), u32), Error> = run(policy, Repeatable::Idempotent, "test", || {
            times.push(started.elapsed());
            async move {
                // Time spent on the attempt: the wait is added to it.
                tokio::time::sleep(Duration::from_secs(1)).await;
                Err(error())
            }
        })
        .await;
        assert_eq!(result.unwrap_err().attempts(), policy.attempts());
        times
    }

    #[tokio::test(start_paused = true)]
    async fn max_delay_of_duration_max_waits_without_overflow() {
        let policy = RetryPolicy::default()
            .max_delay(Duration::MAX)
            .max_elapsed(Duration::MAX)
            .max_attempts(2);
        let times =
            attempt_times_under(&policy, || refused_with_retry_after(&longest_retry_after())).await;
        let second = Duration::from_secs(1) + RetryPolicy::MAX_DELAY_CEILING;
        assert_eq!(times, [Duration::ZERO, second]);
    }

    #[tokio::test(start_paused = true)]
    async fn initial_delay_of_duration_max_backs_off_at_most_the_ceiling() {
        let policy = RetryPolicy::default()
            .initial_delay(Duration::MAX)
            .max_delay(Duration::MAX)
            .max_elapsed(Duration::MAX)
            .max_attempts(4);
        let times = attempt_times_under(&policy, || answered(503)).await;
        let tick = Duration::from_millis(1);
        for pair in times.windows(2) {
            let waited = pair[1] - pair[0] - Duration::from_secs(1);
            assert!(
                waited <= RetryPolicy::MAX_DELAY_CEILING + tick,
                "waited {waited:?}"
            );
        }
        assert_eq!(policy.backoff_ceiling(1), RetryPolicy::MAX_DELAY_CEILING);
        // With the default longest wait, the backoff is that wait.
        let capped = RetryPolicy::default().initial_delay(Duration::MAX);
        assert_eq!(capped.backoff_ceiling(1), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn max_elapsed_of_duration_max_retries_until_the_attempts_run_out() {
        let policy = RetryPolicy::default()
            .max_elapsed(Duration::MAX)
            .max_attempts(5);
        let times =
            attempt_times_under(&policy, || refused_with_retry_after(&longest_retry_after())).await;
        let waited = Duration::from_secs(1) + Duration::from_secs(60);
        let expected: Vec<Duration> = (0..5).map(|n| waited * n).collect();
        assert_eq!(times, expected);
    }

    #[test]
    fn exponent_of_f64_max_or_zero_delays_back_off_at_most_max_delay() {
        let steep = RetryPolicy::default().exponent(f64::MAX);
        assert_eq!(steep.backoff_ceiling(1), Duration::from_millis(500));
        assert_eq!(steep.backoff_ceiling(2), Duration::from_secs(60));
        assert_eq!(steep.backoff_ceiling(u32::MAX), Duration::from_secs(60));
        let none = RetryPolicy::default()
            .initial_delay(Duration::ZERO)
            .max_delay(Duration::ZERO)
            .exponent(f64::MAX);
        assert_eq!(none.backoff_ceiling(u32::MAX), Duration::ZERO);
    }

    #[test]
    fn never_retrying_policy_makes_one_attempt() {
        assert_eq!(RetryPolicy::none().attempts(), 1);
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
    }
}
