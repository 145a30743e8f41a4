//! The transport under the generated client: what every request carries
//! (authorization, user agent, timeout) and how every answer is read (whole,
//! within the size limit). progenitor's hooks (`src/hooks.rs`) call it; this
//! is the only code that touches a request.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION, RETRY_AFTER, USER_AGENT};
use reqwest::StatusCode;

use crate::rate_limit::{RateGate, RateLimit};

/// The header progenitor adds to every request, set to the `info.version`
/// of `openapi/connections.json`.
///
/// It is removed before sending: Codat documents no such header, and the
/// value is the version of *our* copy of the document, not an API version
/// Codat negotiates, so sending it would only tell Codat (or a proxy that
/// starts to act on it) something untrue. Requests stay exactly what Codat's
/// reference shows.
const UNDOCUMENTED_API_VERSION: HeaderName = HeaderName::from_static("api-version");

/// The inner value of the generated [`crate::raw::Client`]: the settings its hooks
/// apply to every request. Obtained from [`crate::Client::raw`]; it never
/// shows the API key.
#[derive(Clone)]
pub struct Transport {
    settings: Arc<Settings>,
    /// Where one call's last answer is written, when someone wants it.
    record: Option<RecordSlot>,
}

struct Settings {
    authorization: HeaderValue,
    user_agent: HeaderValue,
    timeout: Duration,
    max_response_bytes: usize,
    /// Shared by every request of the client, `raw()` included.
    gate: RateGate,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("api_key", &"<redacted>")
            .field("user_agent", &self.settings.user_agent)
            .field("timeout", &self.settings.timeout)
            .field("max_response_bytes", &self.settings.max_response_bytes)
            .field("rate", &self.settings.gate)
            .finish()
    }
}

impl Transport {
    /// `authorization` must be marked sensitive (it holds the API key).
    pub(crate) fn new(
        authorization: HeaderValue,
        user_agent: HeaderValue,
        timeout: Duration,
        max_response_bytes: usize,
        gate: RateGate,
    ) -> Self {
        debug_assert!(authorization.is_sensitive());
        Self {
            settings: Arc::new(Settings {
                authorization,
                user_agent,
                timeout,
                max_response_bytes,
                gate,
            }),
            record: None,
        }
    }

    /// Sets what every request carries, over what the generated code set.
    pub(crate) fn prepare(&self, request: &mut reqwest::Request) {
        let settings = &self.settings;
        let headers = request.headers_mut();
        headers.remove(UNDOCUMENTED_API_VERSION);
        headers.insert(AUTHORIZATION, settings.authorization.clone());
        headers.insert(USER_AGENT, settings.user_agent.clone());
        *request.timeout_mut() = Some(settings.timeout);
    }

    /// Waits until the client's rate limit lets a request leave.
    pub(crate) async fn admit(&self) {
        self.settings.gate.admit().await;
    }

    /// The latest `X-Rate-Limit-*` values Codat sent to this client.
    pub(crate) fn rate_limit(&self) -> Option<RateLimit> {
        self.settings.gate.latest()
    }

    /// The client's pace, in requests per minute, when it has one.
    pub(crate) fn requests_per_minute(&self) -> Option<u32> {
        self.settings.gate.requests_per_minute()
    }

    /// A transport with the same settings that writes each answer it reads
    /// into the returned slot.
    pub(crate) fn recording(&self) -> (Transport, RecordSlot) {
        let slot = Arc::new(Mutex::new(None));
        let transport = Transport {
            settings: Arc::clone(&self.settings),
            record: Some(Arc::clone(&slot)),
        };
        (transport, slot)
    }

    /// Writes what each exchange sent back into `slot`.
    fn record(&self, recorded: Recorded) {
        if let Some(slot) = &self.record {
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(recorded);
        }
    }

    /// Reads the whole body of `response`, at most `max_response_bytes`, and
    /// gives back an equivalent response whose body is already in memory.
    pub(crate) async fn read(
        &self,
        mut response: reqwest::Response,
    ) -> reqwest::Result<reqwest::Response> {
        let status = response.status();
        let limit = self.settings.max_response_bytes;
        let version = response.version();
        let headers = std::mem::take(response.headers_mut());
        if let Some(seen) = self.settings.gate.observe(status, &headers) {
            let span = tracing::Span::current();
            span.record("rate_limit.limit", seen.limit);
            span.record("rate_limit.remaining", seen.remaining);
            if let Some(reset) = seen.reset {
                span.record(
                    "rate_limit.reset",
                    tracing::field::display(reset.to_rfc3339()),
                );
            }
        }
        let answer = |body: Bytes| {
            let mut answer = http::Response::new(body);
            *answer.status_mut() = status;
            *answer.version_mut() = version;
            answer
        };
        let mut body = BytesMut::new();
        let mut too_large = response
            .content_length()
            .is_some_and(|length| length > limit as u64);
        while !too_large {
            let Some(chunk) = response.chunk().await? else {
                break;
            };
            too_large = body.len() + chunk.len() > limit;
            if !too_large {
                body.extend_from_slice(&chunk);
            }
        }
        if too_large {
            self.record(Recorded::TooLarge { status, limit });
            let mut refused = answer(Bytes::new());
            *refused.headers_mut() = headers;
            refused.extensions_mut().insert(TooLarge { limit });
            return Ok(reqwest::Response::from(refused));
        }
        let body = body.freeze();
        tracing::debug!(
            status = status.as_u16(),
            bytes = body.len(),
            "codat.response"
        );
        if self.record.is_some() {
            // Only an error answer's Retry-After is used; successes keep nothing.
            let retry_after = (!status.is_success())
                .then(|| headers.get(RETRY_AFTER)?.to_str().ok().map(str::to_owned))
                .flatten();
            self.record(Recorded::Answered {
                status,
                retry_after,
                body: body.clone(),
            });
        }
        let mut answer = answer(body);
        *answer.headers_mut() = headers;
        Ok(reqwest::Response::from(answer))
    }
}

/// Where one call's last answer is written.
pub(crate) type RecordSlot = Arc<Mutex<Option<Recorded>>>;

/// Marks an answer whose body was refused for its size (seen by the `post`
/// hook).
#[derive(Clone, Copy)]
pub(crate) struct TooLarge {
    pub limit: usize,
}

/// The last answer of one call, as it came.
pub(crate) enum Recorded {
    Answered {
        status: StatusCode,
        retry_after: Option<String>,
        body: Bytes,
    },
    TooLarge {
        status: StatusCode,
        limit: usize,
    },
}
