//! Classifying a failure, apart from what is done about it: whether the same
//! request may succeed later, whether an operation may be repeated after it,
//! and how long Codat asked to wait.

use std::time::Duration;

use reqwest::StatusCode;

use crate::Error;

impl Error {
    /// Whether the same request may succeed later: 408, 429 and 5xx answers,
    /// timeouts, connection failures and bodies that do not inflate. Whether it is *safe* to repeat
    /// depends on the operation too (a repeated create may create twice).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(api) => {
                api.status == StatusCode::REQUEST_TIMEOUT
                    || api.status == StatusCode::TOO_MANY_REQUESTS
                    || api.status.is_server_error()
            }
            Error::Timeout { .. } | Error::Encoding { .. } => true,
            Error::Transport { source, .. } => {
                source.is_connect() || source.is_request() || source.is_body()
            }
            _ => false,
        }
    }
}

/// Whether an operation may be repeated after a given failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeatable {
    /// Repeating has the same effect as sending once (GET, DELETE, PATCH to
    /// Unlinked, PUT).
    Idempotent,
    /// Sent with an `Idempotency-Key` (POST create, PATCH unlink): Codat
    /// replays its first answer to a request with the same key for 90
    /// minutes, so a request whose answer was lost (a timeout, a dropped
    /// connection) may be sent again. A 409 (the first request with the key
    /// is still being answered) is asked again after a backoff; a 5xx is
    /// not, since Codat would replay the same 5xx.
    Keyed,
}

/// Whether an operation that is `repeatable` may be sent again after
/// `error`: after a 429 or a failed connect Codat provably did not process
/// it; a keyed one also after a lost answer or a 409 (see [`Repeatable`]).
pub(crate) fn may_retry(error: &Error, repeatable: Repeatable) -> bool {
    match (repeatable, error) {
        (_, Error::Api(api)) if api.status == StatusCode::TOO_MANY_REQUESTS => true,
        (_, Error::Transport { source, .. }) if source.is_connect() => true,
        (Repeatable::Idempotent, err) => err.is_retryable(),
        (Repeatable::Keyed, Error::Api(api)) => api.status == StatusCode::CONFLICT,
        (
            Repeatable::Keyed,
            err @ (Error::Timeout { .. } | Error::Transport { .. } | Error::Encoding { .. }),
        ) => err.is_retryable(),
        (Repeatable::Keyed, _) => false,
    }
}

/// The wait Codat asked for in `Retry-After`: delta seconds or an HTTP date.
pub(crate) fn parse_retry_after(
    value: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (date.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// The wait Codat asked for with this error, in its `Retry-After`.
pub(crate) fn requested_wait(error: &Error) -> Option<Duration> {
    match error {
        Error::Api(api) => api
            .retry_after
            .as_deref()
            .and_then(|v| parse_retry_after(v, chrono::Utc::now())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_and_as_an_http_date() {
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:03 GMT", now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }
}
