//! The mock's rate limit, as Codat's: every answer carries
//! `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset`
//! (a date), and a request over the limit is answered 429 with
//! `Retry-After`.
//!
//! The limit counts requests in windows of one minute (on tokio's clock, so
//! a paused test clock drives it), the first one starting with the first
//! request. Unless a test sets a limit
//! ([`MockCodat::enforce_rate_limit`](crate::mock::MockCodat::enforce_rate_limit)),
//! it is so high that no test reaches it.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use tokio::time::Instant;

/// The limit when a test has set none: headers are sent, nothing is refused.
pub(in crate::mock) const UNENFORCED: u64 = 1_000_000_000;

/// How long one window lasts unless a test says otherwise.
pub(in crate::mock) const WINDOW: Duration = Duration::from_secs(60);

/// The requests counted in the current window.
#[derive(Debug)]
pub(in crate::mock) struct RateWindow {
    pub(in crate::mock) limit: u64,
    pub(in crate::mock) window: Duration,
    started: Option<Instant>,
    counted: u64,
    /// How many requests were refused, over the mock's life.
    pub(in crate::mock) refused: u64,
}

impl Default for RateWindow {
    fn default() -> Self {
        Self {
            limit: UNENFORCED,
            window: WINDOW,
            started: None,
            counted: 0,
            refused: 0,
        }
    }
}

/// What the limit says about one request: its headers, and whether it is
/// refused.
#[derive(Debug)]
pub(in crate::mock) struct Counted {
    limit: u64,
    remaining: u64,
    /// Until the window ends.
    left: Duration,
    refused: bool,
}

impl RateWindow {
    /// Enforces `limit` in windows of `window` (from a millisecond to
    /// [`MAX_DELAY`](crate::mock::MAX_DELAY)), the first starting with the next
    /// request (what was counted under the old limit is forgotten).
    pub(in crate::mock) fn set(&mut self, limit: u64, window: Duration) {
        self.limit = limit;
        self.window = window.clamp(Duration::from_millis(1), crate::mock::MAX_DELAY);
        self.started = None;
        self.counted = 0;
    }

    /// Counts a request arriving `now`.
    pub(in crate::mock) fn count(&mut self, now: Instant) -> Counted {
        let started = match self.started {
            Some(started) if now.saturating_duration_since(started) < self.window => started,
            _ => {
                self.counted = 0;
                *self.started.insert(now)
            }
        };
        let refused = self.counted >= self.limit;
        if refused {
            self.refused += 1;
        } else {
            self.counted += 1;
        }
        Counted {
            limit: self.limit,
            remaining: self.limit.saturating_sub(self.counted),
            left: self
                .window
                .saturating_sub(now.saturating_duration_since(started)),
            refused,
        }
    }
}

impl Counted {
    /// Whether the request is over the limit.
    pub(in crate::mock) fn refused(&self) -> bool {
        self.refused
    }

    /// The 429 Codat sends over the limit: `Retry-After` in whole seconds
    /// until the window ends.
    pub(in crate::mock) fn refusal(&self) -> Response {
        let mut response = super::answers::error(
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit exceeded: too many requests in this period.",
        );
        let seconds = self.left.as_secs() + u64::from(self.left.subsec_nanos() > 0);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        response
    }

    /// Adds the `X-Rate-Limit-*` headers to `response`. The reset is a date
    /// (ISO 8601, in UTC).
    pub(in crate::mock) fn apply(&self, response: &mut Response) {
        let reset = chrono::Utc::now()
            + chrono::Duration::from_std(self.left).unwrap_or(chrono::Duration::zero());
        // Milliseconds, rounded up to a tenth of a second: never earlier
        // than the window's end.
        let millis = reset.timestamp_millis()
            + i64::from(!reset.timestamp_subsec_nanos().is_multiple_of(1_000_000));
        let reset = chrono::DateTime::from_timestamp_millis((millis + 99) / 100 * 100)
            .unwrap_or(reset)
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string();
        let headers = response.headers_mut();
        headers.insert("x-rate-limit-limit", HeaderValue::from(self.limit));
        headers.insert("x-rate-limit-remaining", HeaderValue::from(self.remaining));
        if let Ok(value) = HeaderValue::from_str(&reset) {
            headers.insert("x-rate-limit-reset", value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_set_after_requests_were_counted_starts_a_fresh_window() {
        let mut rate = RateWindow::default();
        let now = Instant::now();
        for _ in 0..5 {
            assert!(!rate.count(now).refused());
        }
        rate.set(1, Duration::from_secs(60));
        let first = rate.count(now);
        assert!(!first.refused());
        assert_eq!(first.remaining, 0);
        let second = rate.count(now);
        assert!(second.refused());
        assert_eq!((second.remaining, rate.refused), (0, 1));
    }

    #[test]
    fn a_window_of_duration_max_refuses_with_a_retry_after_without_overflow() {
        let mut rate = RateWindow::default();
        rate.set(1, Duration::MAX);
        let now = Instant::now();
        let mut answers = Vec::new();
        for _ in 0..2 {
            let counted = rate.count(now);
            let mut response = counted.refusal();
            counted.apply(&mut response);
            answers.push((counted.refused(), response));
        }
        assert_eq!(
            answers.iter().map(|a| a.0).collect::<Vec<_>>(),
            [false, true]
        );
        let retry_after = &answers[1].1.headers()[header::RETRY_AFTER];
        assert_eq!(retry_after, "3600");
        assert!(answers[1].1.headers().contains_key("x-rate-limit-reset"));
        assert_eq!(rate.window, crate::mock::MAX_DELAY);
    }

    #[test]
    fn a_window_of_zero_counts_as_a_millisecond() {
        let mut rate = RateWindow::default();
        rate.set(1, Duration::ZERO);
        assert_eq!(rate.window, Duration::from_millis(1));
        let now = Instant::now();
        assert!(!rate.count(now).refused());
        let refusal = rate.count(now).refusal();
        assert_eq!(refusal.headers()[header::RETRY_AFTER], "1");
    }
}
