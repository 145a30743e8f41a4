//! One rate limit per [`crate::Client`]: the pace requests leave at, the
//! pause every request observes when Codat says to wait, and the latest
//! `X-Rate-Limit-*` values Codat sent.
//!
//! Codat limits a client, not a request: when one request is told to wait
//! (429 and `Retry-After`) or the remaining quota reaches zero, every other
//! request of the same client would be refused too, so they all wait
//! instead of each finding out with a 429 of its own. Between answers, the
//! client spends what `X-Rate-Limit-Remaining` said is left itself, so that
//! the requests it sends after an answer do not overrun the count.

use std::fmt;
use std::num::NonZeroU32;
use std::ops::Add;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use governor::clock::{Clock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName};
use tokio::time::Instant;

/// Codat's documented limit on requests from one IP address: 1,000 a
/// minute. Codat may block an IP address that goes over it, so a client
/// keeps under it unless told otherwise
/// ([`ClientBuilder::requests_per_minute`](crate::ClientBuilder::requests_per_minute)).
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 1000;

/// The latest values of Codat's `X-Rate-Limit-*` headers; see
/// [`Client::rate_limit`](crate::Client::rate_limit).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// `X-Rate-Limit-Limit`: how many requests the current period allows.
    pub limit: Option<u64>,
    /// `X-Rate-Limit-Remaining`: how many are left in the current period.
    pub remaining: Option<u64>,
    /// `X-Rate-Limit-Reset`: when the period ends and the count resets.
    pub reset: Option<chrono::DateTime<chrono::Utc>>,
}

impl RateLimit {
    /// The values in `headers`, when there is at least one.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Option<Self> {
        // Typed names: looking a header up by `&str` parses the name first.
        const LIMIT: HeaderName = HeaderName::from_static("x-rate-limit-limit");
        const REMAINING: HeaderName = HeaderName::from_static("x-rate-limit-remaining");
        const RESET: HeaderName = HeaderName::from_static("x-rate-limit-reset");
        let text = |name: HeaderName| headers.get(name)?.to_str().ok().map(str::trim);
        let number = |name: HeaderName| text(name)?.parse::<u64>().ok();
        let found = RateLimit {
            limit: number(LIMIT),
            remaining: number(REMAINING),
            reset: text(RESET).and_then(parse_reset),
        };
        (found.limit.is_some() || found.remaining.is_some() || found.reset.is_some())
            .then_some(found)
    }
}

/// `X-Rate-Limit-Reset`: a date, in ISO 8601 (with or without an offset,
/// without one meaning UTC) or as an HTTP date.
fn parse_reset(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(date) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(date.with_timezone(&chrono::Utc));
    }
    if let Ok(date) = chrono::DateTime::parse_from_rfc2822(text) {
        return Some(date.with_timezone(&chrono::Utc));
    }
    text.parse::<chrono::NaiveDateTime>()
        .ok()
        .map(|naive| naive.and_utc())
}

/// The rate-limit state one client shares between all its requests.
pub(crate) struct RateGate {
    pace: Option<Pace>,
    /// Wakes requests waiting for what remains when an answer says more.
    changed: tokio::sync::Notify,
    /// The longest one shared pause lasts (for a `Retry-After` or an
    /// `X-Rate-Limit-Reset`): the client's retry policy's longest wait.
    /// Beyond it the next request asks Codat again and its retry policy
    /// decides, rather than every request of the client sleeping until,
    /// say, a daily quota resets at midnight. At most
    /// [`RetryPolicy::MAX_DELAY_CEILING`](crate::RetryPolicy::MAX_DELAY_CEILING),
    /// so that a moment this far from now is always an `Instant`.
    max_pause: Duration,
    state: Mutex<GateState>,
}

#[derive(Default)]
struct GateState {
    latest: Option<RateLimit>,
    /// No request leaves before this moment.
    not_before: Option<Instant>,
    /// What is left of Codat's count until its reset, less the requests
    /// admitted since Codat said so.
    budget: Option<Budget>,
}

/// Codat's `X-Rate-Limit-Remaining` for one period, spent locally: requests
/// admitted after an answer are not in its count yet, so without this every
/// request in flight when the count reaches zero would be refused.
struct Budget {
    remaining: u64,
    /// The period's `X-Rate-Limit-Reset`, as Codat sent it.
    reset: chrono::DateTime<chrono::Utc>,
    /// When the period ends here (at most the longest shared pause away).
    until: Instant,
    /// Made here when the last period ended, before any answer of the new
    /// one: its first answer replaces `reset` and `until`, but what was
    /// spent meanwhile stays spent.
    provisional: bool,
}

impl fmt::Debug for RateGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateGate")
            .field(
                "requests_per_minute",
                &self.pace.as_ref().map(|p| p.per_minute),
            )
            .field("latest", &self.lock().latest)
            .finish()
    }
}

impl RateGate {
    /// A gate that lets at most `per_minute` requests a minute through
    /// (none: no pace of its own), whose shared pauses last at most
    /// `max_pause` (itself at most a day).
    pub(crate) fn new(per_minute: Option<NonZeroU32>, max_pause: Duration) -> Self {
        let max_pause = max_pause.min(crate::RetryPolicy::MAX_DELAY_CEILING);
        Self {
            pace: per_minute.map(Pace::new),
            changed: tokio::sync::Notify::new(),
            max_pause,
            state: Mutex::new(GateState::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The latest `X-Rate-Limit-*` values.
    pub(crate) fn latest(&self) -> Option<RateLimit> {
        self.lock().latest.clone()
    }

    /// The requests-per-minute pace, when there is one.
    pub(crate) fn requests_per_minute(&self) -> Option<u32> {
        self.pace.as_ref().map(|p| p.per_minute.get())
    }

    /// Waits until a request may leave: past any shared pause, then at the
    /// client's pace.
    pub(crate) async fn admit(&self) {
        loop {
            // Made before looking, so that an answer arriving in between
            // still wakes this request.
            let changed = self.changed.notified();
            let wait = {
                let mut state = self.lock();
                let now = Instant::now();
                let limit = state.latest.as_ref().and_then(|latest| latest.limit);
                match (state.not_before, &mut state.budget) {
                    (Some(moment), _) if moment > now => Some(moment),
                    (_, Some(budget)) if now >= budget.until => {
                        // A new period: its full limit, until its first
                        // answer says what remains (answers of the old
                        // period no longer count).
                        state.budget = limit.map(|limit| Budget {
                            remaining: limit.saturating_sub(1),
                            // The last moment chrono knows stays itself.
                            reset: budget
                                .reset
                                .checked_add_signed(chrono::Duration::nanoseconds(1))
                                .unwrap_or(budget.reset),
                            until: now + self.max_pause,
                            provisional: true,
                        });
                        None
                    }
                    (_, Some(budget)) if budget.remaining == 0 => Some(budget.until),
                    (_, Some(budget)) => {
                        budget.remaining -= 1;
                        None
                    }
                    (_, None) => None,
                }
            };
            match wait {
                Some(moment) => {
                    tracing::debug!(
                        wait_ms =
                            moment.saturating_duration_since(Instant::now()).as_millis() as u64,
                        "codat rate limit: waiting for Codat's pause or reset"
                    );
                    let sleep = std::pin::pin!(tokio::time::sleep_until(moment));
                    let changed = std::pin::pin!(changed);
                    futures::future::select(sleep, changed).await;
                }
                None => break,
            }
        }
        if let Some(pace) = &self.pace {
            pace.admit().await;
        }
    }

    /// Learns from an answer: its `X-Rate-Limit-*` values, and, on a 429
    /// with `Retry-After` or when nothing remains before the reset, a pause
    /// for every request of the client.
    pub(crate) fn observe(&self, status: StatusCode, headers: &HeaderMap) -> Option<RateLimit> {
        let seen = RateLimit::from_headers(headers);
        if seen.is_none() && status != StatusCode::TOO_MANY_REQUESTS {
            return None; // nothing to learn
        }
        let now = chrono::Utc::now();
        let mut pause = None;
        if status == StatusCode::TOO_MANY_REQUESTS {
            pause = headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| crate::http::classify::parse_retry_after(v, now));
        }
        if let Some(RateLimit {
            remaining: Some(0),
            reset: Some(reset),
            ..
        }) = &seen
        {
            let until_reset = (*reset - now).to_std().unwrap_or(Duration::ZERO);
            pause = Some(pause.map_or(until_reset, |p| p.max(until_reset)));
        }
        let mut state = self.lock();
        if let Some(pause) = pause.filter(|p| !p.is_zero()) {
            let moment = Instant::now() + pause.min(self.max_pause);
            if state.not_before.is_none_or(|current| current < moment) {
                state.not_before = Some(moment);
            }
        }
        if let Some(RateLimit {
            remaining: Some(remaining),
            reset: Some(reset),
            ..
        }) = &seen
        {
            match &mut state.budget {
                Some(budget) if budget.reset == *reset => {
                    budget.remaining = budget.remaining.min(*remaining);
                }
                // A late answer from an earlier period.
                Some(budget) if budget.reset > *reset => {}
                budget => {
                    if let Ok(left) = (*reset - now).to_std() {
                        // The first answer of a new period counted only the
                        // requests that reached Codat before it; those
                        // admitted since are in flight and already spent.
                        let spent_here = budget
                            .as_ref()
                            .filter(|b| b.provisional)
                            .map_or(u64::MAX, |b| b.remaining);
                        *budget = Some(Budget {
                            remaining: (*remaining).min(spent_here),
                            reset: *reset,
                            until: Instant::now() + left.min(self.max_pause),
                            provisional: false,
                        });
                    }
                }
            }
        }
        if seen.is_some() {
            state.latest.clone_from(&seen);
            self.changed.notify_waiters();
        }
        seen
    }
}

/// A requests-per-minute pace, from `governor`, on tokio's clock (so that
/// it follows a paused test clock and needs no timer thread of its own).
struct Pace {
    per_minute: NonZeroU32,
    limiter: RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Tick>>,
    clock: TokioClock,
}

impl Pace {
    /// At most `per_minute` requests in any minute, evenly spaced, and no
    /// burst: a server that counts by the second (or any shorter window)
    /// sees no more than its share of the minute either. The spacing leaves
    /// one second's worth of the minute unused, so that requests a little
    /// early or late on either side of a window's edge still fit.
    fn new(per_minute: NonZeroU32) -> Self {
        let spaced = per_minute
            .get()
            .saturating_sub(per_minute.get() / 60)
            .max(1);
        let quota = Quota::with_period(Duration::from_secs(60) / spaced)
            .unwrap_or_else(|| Quota::per_minute(per_minute))
            .allow_burst(NonZeroU32::MIN);
        let clock = TokioClock {
            start: Instant::now(),
        };
        Self {
            per_minute,
            limiter: RateLimiter::direct_with_clock(quota, clock.clone()),
            clock,
        }
    }

    async fn admit(&self) {
        while let Err(not_until) = self.limiter.check() {
            tokio::time::sleep(not_until.wait_time_from(self.clock.now())).await;
        }
    }
}

/// tokio's clock, for `governor`.
#[derive(Debug, Clone)]
struct TokioClock {
    start: Instant,
}

/// Nanoseconds since a [`TokioClock`] was made.
#[derive(Debug, Copy, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Tick(u64);

impl Add<Nanos> for Tick {
    type Output = Self;

    fn add(self, other: Nanos) -> Self {
        Tick(self.0.saturating_add(other.as_u64()))
    }
}

impl Reference for Tick {
    fn duration_since(&self, earlier: Self) -> Nanos {
        Nanos::from(self.0.saturating_sub(earlier.0))
    }

    fn saturating_sub(&self, duration: Nanos) -> Self {
        Tick(self.0.saturating_sub(duration.as_u64()))
    }
}

impl Clock for TokioClock {
    type Instant = Tick;

    fn now(&self) -> Tick {
        let elapsed = Instant::now().saturating_duration_since(self.start);
        Tick(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use std::ops::{Bound, RangeBounds};

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    /// Fails unless `waited` lies in `range`.
    fn assert_within(waited: Duration, range: impl RangeBounds<Duration> + fmt::Debug) {
        assert!(range.contains(&waited), "{waited:?}, not within {range:?}");
    }

    /// `gate` sees an answer with `status` and the headers `pairs`.
    fn observe(gate: &RateGate, status: StatusCode, pairs: &[(&'static str, &str)]) {
        gate.observe(status, &headers(pairs));
    }

    #[test]
    fn rate_limit_headers_are_read_with_the_reset_as_a_date() {
        let seen = RateLimit::from_headers(&headers(&[
            ("x-rate-limit-limit", "1000"),
            ("x-rate-limit-remaining", " 17 "),
            ("x-rate-limit-reset", "2026-11-26T13:00:00Z"),
        ]))
        .unwrap();
        assert_eq!(seen.limit, Some(1000));
        assert_eq!(seen.remaining, Some(17));
        assert_eq!(
            seen.reset.unwrap().to_rfc3339(),
            "2026-11-26T13:00:00+00:00"
        );
        for reset in [
            "Thu, 26 Nov 2026 13:00:00 GMT",
            "2026-11-26T13:00:00",
            "2026-11-26T14:00:00+01:00",
        ] {
            let seen = RateLimit::from_headers(&headers(&[("x-rate-limit-reset", reset)])).unwrap();
            assert_eq!(
                seen.reset.unwrap().to_rfc3339(),
                "2026-11-26T13:00:00+00:00",
                "{reset}"
            );
        }
        assert_eq!(RateLimit::from_headers(&HeaderMap::new()), None);
        assert_eq!(
            RateLimit::from_headers(&headers(&[("x-rate-limit-remaining", "many")])),
            None
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_pace_never_lets_more_than_the_limit_through_in_a_minute() {
        let gate = RateGate::new(NonZeroU32::new(120), Duration::from_secs(60));
        let started = Instant::now();
        let mut times = Vec::new();
        for _ in 0..360 {
            gate.admit().await;
            times.push(started.elapsed());
        }
        // Every window of a minute holds at most 120 requests.
        for (i, start) in times.iter().enumerate() {
            let within = times[i..]
                .iter()
                .take_while(|t| **t - *start < Duration::from_secs(60))
                .count();
            assert!(within <= 120, "{within} requests from {start:?}");
            // No burst: a server counting by the second sees its share.
            let second = times[i..]
                .iter()
                .take_while(|t| **t - *start < Duration::from_secs(1))
                .count();
            assert!(
                second <= 2,
                "{second} requests in the second from {start:?}"
            );
        }
        // And the pace is used: 360 requests take about three minutes.
        let total = *times.last().unwrap();
        assert_within(total, Duration::from_secs(170)..=Duration::from_secs(185));
    }

    #[tokio::test(start_paused = true)]
    async fn what_remains_is_spent_locally_until_the_reset() {
        let gate = RateGate::new(None, Duration::from_secs(60));
        let reset = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc3339();
        observe(
            &gate,
            StatusCode::OK,
            &[
                ("x-rate-limit-remaining", "3"),
                ("x-rate-limit-reset", &reset),
            ],
        );
        let started = Instant::now();
        for _ in 0..3 {
            gate.admit().await;
        }
        assert_eq!(started.elapsed(), Duration::ZERO);
        // A late answer that counted fewer requests does not add any back.
        observe(
            &gate,
            StatusCode::OK,
            &[
                ("x-rate-limit-remaining", "2"),
                ("x-rate-limit-reset", &reset),
            ],
        );
        gate.admit().await;
        let waited = started.elapsed();
        let (after, until) = (Duration::from_secs(29), Duration::from_secs(30));
        assert_within(waited, (Bound::Excluded(after), Bound::Included(until)));
        // A new period starts afresh.
        gate.admit().await;
        assert_eq!(started.elapsed(), waited);
    }

    #[tokio::test(start_paused = true)]
    async fn requests_admitted_as_a_period_starts_are_not_spent_twice() {
        let gate = RateGate::new(None, Duration::from_secs(60));
        let answer = |remaining: &str, in_ms: i64| {
            let reset = chrono::Utc::now() + chrono::Duration::milliseconds(in_ms);
            headers(&[
                ("x-rate-limit-limit", "10"),
                ("x-rate-limit-remaining", remaining),
                ("x-rate-limit-reset", &reset.to_rfc3339()),
            ])
        };
        gate.observe(StatusCode::OK, &answer("1", 1_000));
        gate.admit().await;
        tokio::time::advance(Duration::from_millis(1_001)).await;
        // A new period: five requests leave before any of them is answered.
        let started = Instant::now();
        for _ in 0..5 {
            gate.admit().await;
        }
        // Codat had counted only the first when it answered it.
        gate.observe(StatusCode::OK, &answer("9", 1_000));
        for _ in 0..5 {
            gate.admit().await;
        }
        assert_eq!(started.elapsed(), Duration::ZERO, "ten in the period");
        // The eleventh waits for the next period instead of earning a 429.
        gate.admit().await;
        let waited = started.elapsed();
        assert_within(waited, Duration::from_millis(900)..=Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_with_retry_after_pauses_every_request() {
        let gate = RateGate::new(None, Duration::from_secs(60));
        observe(
            &gate,
            StatusCode::TOO_MANY_REQUESTS,
            &[("retry-after", "7")],
        );
        let started = Instant::now();
        gate.admit().await;
        assert_eq!(started.elapsed(), Duration::from_secs(7));
        // Once past, nothing more.
        let again = Instant::now();
        gate.admit().await;
        assert_eq!(again.elapsed(), Duration::ZERO);
        // A 200 with Retry-After sets no pause; nor does a Retry-After of 0.
        observe(&gate, StatusCode::OK, &[("retry-after", "7")]);
        observe(
            &gate,
            StatusCode::TOO_MANY_REQUESTS,
            &[("retry-after", "0")],
        );
        gate.admit().await;
        assert_eq!(again.elapsed(), Duration::ZERO);
        // An absurd one is capped.
        observe(
            &gate,
            StatusCode::TOO_MANY_REQUESTS,
            &[("retry-after", "864000")],
        );
        gate.admit().await;
        assert_eq!(again.elapsed(), Duration::from_secs(60));
    }

    /// A gate under a client whose retry policy's longest wait was set to
    /// [`Duration::MAX`].
    fn gate_under_max_delay_of_duration_max(per_minute: Option<NonZeroU32>) -> RateGate {
        let policy = crate::RetryPolicy::default().max_delay(Duration::MAX);
        RateGate::new(per_minute, policy.longest_wait())
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_under_max_delay_of_duration_max_pauses_without_overflow() {
        let gate = gate_under_max_delay_of_duration_max(None);
        let longest = u64::MAX.to_string();
        observe(
            &gate,
            StatusCode::TOO_MANY_REQUESTS,
            &[("retry-after", &longest)],
        );
        let started = Instant::now();
        gate.admit().await;
        assert_eq!(started.elapsed(), crate::RetryPolicy::MAX_DELAY_CEILING);
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_period_under_max_delay_of_duration_max_starts_without_overflow() {
        let gate = gate_under_max_delay_of_duration_max(None);
        let reset = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc3339();
        observe(
            &gate,
            StatusCode::OK,
            &[
                ("x-rate-limit-limit", "10"),
                ("x-rate-limit-remaining", "0"),
                ("x-rate-limit-reset", &reset),
            ],
        );
        let started = Instant::now();
        // Waits for the reset, then starts the next period here.
        gate.admit().await;
        assert_within(
            started.elapsed(),
            Duration::from_secs(29)..=Duration::from_secs(30),
        );
        for _ in 0..9 {
            gate.admit().await;
        }
        assert_within(
            started.elapsed(),
            Duration::from_secs(29)..=Duration::from_secs(30),
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_reset_at_the_end_of_time_is_waited_for_at_most_the_longest_pause() {
        let gate = RateGate::new(None, Duration::from_secs(60));
        // chrono's last representable moment, as ISO 8601 without an offset.
        let end_of_time = "+262142-12-31T23:59:59.999999999";
        let parsed = parse_reset(end_of_time);
        assert_eq!(parsed, Some(chrono::DateTime::<chrono::Utc>::MAX_UTC));
        observe(
            &gate,
            StatusCode::OK,
            &[
                ("x-rate-limit-limit", "10"),
                ("x-rate-limit-remaining", "0"),
                ("x-rate-limit-reset", end_of_time),
            ],
        );
        let started = Instant::now();
        gate.admit().await;
        gate.admit().await;
        assert_eq!(started.elapsed(), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pace_of_u32_max_or_one_request_a_minute_admits_without_overflow() {
        let gate = gate_under_max_delay_of_duration_max(NonZeroU32::new(u32::MAX));
        assert_eq!(gate.requests_per_minute(), Some(u32::MAX));
        let started = Instant::now();
        for _ in 0..1_000 {
            gate.admit().await;
        }
        // tokio's timer counts whole milliseconds: at most one a millisecond.
        assert_within(started.elapsed(), ..=Duration::from_secs(1));
        let started = Instant::now();
        let gate = RateGate::new(NonZeroU32::new(1), Duration::from_secs(60));
        gate.admit().await;
        gate.admit().await;
        assert_eq!(started.elapsed(), Duration::from_secs(60));
    }
}
