//! [`Response`]: a call's typed value together with the answer it came in.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::http::rate_limit::RateLimit;

/// A successful call's value, with the answer's status and headers and how
/// many attempts it took; from `send_with_response()` on an operation.
///
/// ```no_run
/// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
/// let answer = client
///     .connections()
///     .get("8a210b68-6988-11ed-a1eb-0242ac120002", "2e9d2c44-f675-40ba-8049-353bfcb5e171")
///     .send_with_response()
///     .await?;
/// println!("{} after {} attempt(s)", answer.status, answer.attempts);
/// if let Some(limit) = answer.rate_limit() {
///     println!("{:?} requests left", limit.remaining);
/// }
/// let connection = answer.value;
/// # let _ = connection;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Response<T> {
    /// The decoded value.
    pub value: T,
    /// The answer's status (a 2xx).
    pub status: StatusCode,
    /// The answer's headers.
    pub headers: HeaderMap,
    /// How many attempts the call took (1 when not retried).
    pub attempts: u32,
}

impl<T> Response<T> {
    /// The `X-Rate-Limit-*` values of this answer, when it carried them.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        RateLimit::from_headers(&self.headers)
    }
}
