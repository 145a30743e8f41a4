//! The one error type of the crate, with what a caller needs to act on it.

use std::fmt;

use reqwest::StatusCode;

use crate::raw::types::ErrorMessage;

mod undecoded;

pub use undecoded::{UndecodedCompany, UndecodedConnection};

/// The longest piece of a response body an error keeps, in bytes.
pub const BODY_SNIPPET_LIMIT: usize = 512;

/// Everything that can go wrong when talking to Codat.
///
/// Match on the variant to decide what to do; [`Error::status`],
/// [`Error::correlation_id`] and [`Error::is_retryable`] answer the common
/// questions without a match.
///
/// ```
/// use codat_connections::{CompanyId, Error};
///
/// let err = "not-a-uuid".parse::<CompanyId>().unwrap_err();
/// assert!(matches!(err, Error::InvalidInput { field: "companyId", .. }));
/// assert!(!err.is_retryable());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Codat answered with an error status.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// A value given to the SDK is not one Codat accepts; no request was sent.
    #[error("invalid {field}: {reason}{}", value.as_ref().map(|v| format!(" (got {v:?})")).unwrap_or_default())]
    InvalidInput {
        /// The field, in Codat's words (`companyId`, `platformKey`, `pageSize`, ...).
        field: &'static str,
        /// The rejected value, shortened; absent for secrets.
        value: Option<String>,
        /// What a valid value looks like.
        reason: &'static str,
    },
    /// No complete answer came within the configured timeout.
    #[error("the request to Codat timed out{}", after(*attempts))]
    Timeout {
        /// The underlying error, when the HTTP client reported one.
        #[source]
        source: Option<reqwest::Error>,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The request could not be sent or its answer not read (DNS, TLS,
    /// refused or dropped connection).
    #[error("could not talk to Codat{}: {source}", after(*attempts))]
    Transport {
        /// What the HTTP client reported.
        #[source]
        source: reqwest::Error,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The SDK could not set up TLS for the client it builds (for example,
    /// the system has no CA certificates to verify Codat's with); nothing
    /// was sent.
    #[error("could not set up TLS: {reason}")]
    Tls {
        /// What rustls reported.
        reason: String,
    },
    /// The answer's body was larger than the configured limit
    /// (`ClientBuilder::max_response_bytes`); it was not read further.
    #[error("Codat's {status} answer is larger than the {limit}-byte limit{}", after(*attempts))]
    ResponseTooLarge {
        /// The status of the answer.
        status: StatusCode,
        /// The limit, in bytes.
        limit: usize,
        /// How many attempts were made.
        attempts: u32,
    },
    /// Codat's answer came compressed in a way the client cannot read: with
    /// a `Content-Encoding` it did not ask for (it asks for gzip and deflate,
    /// unless [`ClientBuilder::compression`](crate::ClientBuilder::compression)
    /// turned that off), or as a compressed body that does not inflate
    /// (corrupt, or cut short). Retried like a dropped connection.
    #[error("could not read Codat's {status} answer{}: {reason}", after(*attempts))]
    Encoding {
        /// The status of the answer.
        status: StatusCode,
        /// How the body could not be read.
        reason: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// Codat's pages contradict each other (an empty page that claims a
    /// successor, the same page twice, a link back to a page already listed,
    /// pages going on past what `totalResults` allows); listing stopped
    /// rather than loop or repeat itself. Every page that held anything new
    /// was yielded before this error.
    #[error("listing stopped at page {page}: {reason}")]
    InconsistentPaging {
        /// The page at which the contradiction showed.
        page: u64,
        /// What was inconsistent.
        reason: &'static str,
    },
    /// One connection Codat sent does not decode (a field in a shape its
    /// document does not allow), while the answer around it does: the
    /// connection's raw JSON is kept, with its id and status where readable.
    ///
    /// From [`get`](crate::Connections::get), the call's error. In a listing
    /// ([`ListConnections::connections`](crate::ListConnections::connections)),
    /// one item of the stream: the stream goes on after it with the next
    /// connection, so every connection that decodes is still yielded.
    #[error("{0}")]
    ConnectionDecode(Box<UndecodedConnection>),
    /// One company of a listing does not decode (its `id` missing, a field
    /// in a shape Codat's document does not allow), while the page around it
    /// does: the company's raw JSON is kept, with its id and name where
    /// readable. One item of the stream
    /// ([`ListCompanies::companies`](crate::ListCompanies::companies),
    /// [`Client::sweep_portfolio`](crate::Client::sweep_portfolio)): the
    /// stream goes on after it with the next company.
    #[error("{0}")]
    CompanyDecode(Box<UndecodedCompany>),
    /// Codat answered with success, but not with what its contract describes.
    #[error("could not decode {}: {message} (starts {snippet:?}){}", decoded(*status), after(*attempts))]
    Decode {
        /// The status of the answer, when the value came in an HTTP answer
        /// (`None` for a value checked later, such as a connection's
        /// `linkUrl` in [`crate::Reauthorization::of`]).
        status: Option<StatusCode>,
        /// What did not match.
        message: String,
        /// The start of the body or value, at most [`BODY_SNIPPET_LIMIT`] bytes.
        snippet: String,
        /// How many attempts were made (0 when nothing was sent).
        attempts: u32,
    },
    /// Codat refused the request (422) because its `Idempotency-Key` was
    /// used before for a request with another body: give each distinct
    /// write its own key.
    #[error("the Idempotency-Key {key} was used before for another request: {api}")]
    IdempotencyKeyReused {
        /// The key the request carried.
        key: uuid::Uuid,
        /// Codat's answer.
        api: Box<ApiError>,
    },
}

/// An error status from Codat, with Codat's `ErrorMessage` when the body held one.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// Codat's decoded error body, when it was JSON in Codat's shape.
    pub message: Option<ErrorMessage>,
    /// The start of the raw body, at most [`BODY_SNIPPET_LIMIT`] bytes (kept
    /// when the body is not Codat's JSON, such as a proxy's HTML page).
    pub body: String,
    /// The `Retry-After` header, as sent.
    pub retry_after: Option<String>,
    /// How many attempts were made (more than one when retried).
    pub attempts: u32,
    /// The `Idempotency-Key` the request carried (a create or an unlink):
    /// Codat replays the answer to a request with this key for 90 minutes,
    /// so asking again with it later cannot act twice.
    pub idempotency_key: Option<uuid::Uuid>,
}

/// What a decode error is about.
fn decoded(status: Option<StatusCode>) -> String {
    match status {
        Some(status) => format!("Codat's {status} response"),
        None => "a value from Codat".to_owned(),
    }
}

/// ` after N attempts` when a request was retried.
fn after(attempts: u32) -> String {
    if attempts > 1 {
        format!(" after {attempts} attempts")
    } else {
        String::new()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Codat answered {}", self.status)?;
        match self.message.as_ref() {
            Some(message) => {
                if let Some(text) = &message.error {
                    write!(f, ": {text}")?;
                }
                if let Some(id) = &message.correlation_id {
                    write!(f, " (correlation id {id})")?;
                }
            }
            None if !self.body.is_empty() => write!(f, ": {:?}", self.body)?,
            None => {}
        }
        f.write_str(&after(self.attempts))
    }
}

impl Error {
    pub(crate) fn invalid_input(field: &'static str, value: &str, reason: &'static str) -> Self {
        Error::InvalidInput {
            field,
            value: Some(snippet(value.as_bytes())),
            reason,
        }
    }

    /// An invalid secret: the value is never kept.
    pub(crate) fn invalid_secret(field: &'static str, reason: &'static str) -> Self {
        Error::InvalidInput {
            field,
            value: None,
            reason,
        }
    }

    pub(crate) fn from_reqwest(err: reqwest::Error) -> Self {
        if err.is_timeout() {
            Error::Timeout {
                source: Some(err),
                attempts: 1,
            }
        } else {
            Error::Transport {
                source: err,
                attempts: 1,
            }
        }
    }

    /// Records how many attempts led to this error.
    pub(crate) fn with_attempts(mut self, count: u32) -> Self {
        match &mut self {
            Error::Api(api) | Error::IdempotencyKeyReused { api, .. } => api.attempts = count,
            Error::ConnectionDecode(item) => item.attempts = count,
            Error::CompanyDecode(item) => item.attempts = count,
            Error::Timeout { attempts, .. }
            | Error::Transport { attempts, .. }
            | Error::Decode { attempts, .. }
            | Error::Encoding { attempts, .. }
            | Error::ResponseTooLarge { attempts, .. } => {
                *attempts = count;
            }
            Error::InvalidInput { .. } | Error::InconsistentPaging { .. } | Error::Tls { .. } => {}
        }
        self
    }

    /// How many attempts were made before this error (1 when not retried;
    /// 0 when nothing was sent).
    pub fn attempts(&self) -> u32 {
        match self {
            Error::Api(api) | Error::IdempotencyKeyReused { api, .. } => api.attempts,
            Error::ConnectionDecode(item) => item.attempts,
            Error::CompanyDecode(item) => item.attempts,
            Error::Timeout { attempts, .. }
            | Error::Transport { attempts, .. }
            | Error::Decode { attempts, .. }
            | Error::Encoding { attempts, .. }
            | Error::ResponseTooLarge { attempts, .. } => *attempts,
            Error::InvalidInput { .. } | Error::InconsistentPaging { .. } | Error::Tls { .. } => 0,
        }
    }

    /// The HTTP status Codat answered with, if it answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(api) | Error::IdempotencyKeyReused { api, .. } => Some(api.status),
            Error::Decode { status, .. } => *status,
            Error::ConnectionDecode(item) => Some(item.http_status),
            Error::CompanyDecode(item) => Some(item.http_status),
            Error::ResponseTooLarge { status, .. } | Error::Encoding { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// Codat's correlation id for the failed request: quote it to Codat's support.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            Error::Api(api) | Error::IdempotencyKeyReused { api, .. } => {
                api.message.as_ref()?.correlation_id.as_deref()
            }
            _ => None,
        }
    }

    /// The `Idempotency-Key` of the write that failed, when Codat answered
    /// it: ask again with the same key (`.idempotency_key(..)` on the
    /// operation) and Codat replays its answer instead of acting twice.
    pub fn idempotency_key(&self) -> Option<uuid::Uuid> {
        match self {
            Error::Api(api) => api.idempotency_key,
            Error::IdempotencyKeyReused { key, .. } => Some(*key),
            _ => None,
        }
    }

    /// The field a value was refused for, when the error is [`Error::InvalidInput`].
    pub fn invalid_field(&self) -> Option<&'static str> {
        match self {
            Error::InvalidInput { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl From<std::convert::Infallible> for Error {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

/// The start of `bytes` as text, at most [`BODY_SNIPPET_LIMIT`] bytes, cut
/// at a character boundary.
pub(crate) fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(BODY_SNIPPET_LIMIT * 4)]);
    let mut end = text.len().min(BODY_SNIPPET_LIMIT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, message: Option<ErrorMessage>, body: &str) -> Error {
        Error::Api(Box::new(ApiError {
            status: StatusCode::from_u16(status).unwrap(),
            message,
            body: body.to_owned(),
            retry_after: None,
            attempts: 1,
            idempotency_key: None,
        }))
    }

    #[test]
    fn api_error_says_status_message_and_correlation_id() {
        let message: ErrorMessage = serde_json::from_str(
            r#"{"statusCode":404,"service":"PublicApi","error":"Data connection not found","correlationId":"8fa2b5f4","canBeRetried":"Unknown","detailedErrorCode":0}"#,
        )
        .unwrap();
        let err = api(404, Some(message), "");
        assert_eq!(
            err.to_string(),
            "Codat answered 404 Not Found: Data connection not found (correlation id 8fa2b5f4)"
        );
        assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
        assert_eq!(err.correlation_id(), Some("8fa2b5f4"));
        assert!(!err.is_retryable());
    }

    #[test]
    fn retried_errors_say_how_many_attempts() {
        let err = api(503, None, "").with_attempts(3);
        assert_eq!(err.attempts(), 3);
        assert_eq!(
            err.to_string(),
            "Codat answered 503 Service Unavailable after 3 attempts"
        );
        assert_eq!(
            api(503, None, "").to_string(),
            "Codat answered 503 Service Unavailable"
        );
    }

    #[test]
    fn retryable_statuses() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(api(status, None, "").is_retryable(), "{status}");
        }
        for status in [400, 401, 402, 403, 404, 409] {
            assert!(!api(status, None, "").is_retryable(), "{status}");
        }
    }

    #[test]
    fn snippet_is_bounded_and_cut_at_a_char_boundary() {
        let long = "é".repeat(BODY_SNIPPET_LIMIT);
        let cut = snippet(long.as_bytes());
        assert!(cut.len() <= BODY_SNIPPET_LIMIT);
        assert!(cut.chars().all(|c| c == 'é'));
        assert_eq!(snippet(b"<html>"), "<html>");
    }

    #[test]
    fn decode_error_has_a_status_only_when_it_came_in_an_answer() {
        let answered = Error::Decode {
            status: Some(StatusCode::OK),
            message: "expected value".into(),
            snippet: "{".into(),
            attempts: 1,
        }
        .with_attempts(3);
        assert_eq!(answered.status(), Some(StatusCode::OK));
        assert_eq!(answered.attempts(), 3);
        assert_eq!(
            answered.to_string(),
            "could not decode Codat's 200 OK response: expected value (starts \"{\") after 3 attempts"
        );
        let checked = Error::Decode {
            status: None,
            message: "linkUrl is not a URL".into(),
            snippet: "nope".into(),
            attempts: 0,
        };
        assert_eq!(checked.status(), None);
        assert_eq!(checked.attempts(), 0);
        assert!(!checked.to_string().contains("200"), "{checked}");
    }

    #[test]
    fn invalid_secret_keeps_no_value() {
        let err = Error::invalid_secret("apiKey", "must not be empty");
        assert_eq!(err.to_string(), "invalid apiKey: must not be empty");
    }
}
