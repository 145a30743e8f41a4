//! Codat's idempotency, as its documentation describes it
//! (`using-the-api/write-data/idempotency`): a `POST` or `PATCH` carrying an
//! `Idempotency-Key` (a GUID) has its first answer cached for 90 minutes
//! (on tokio's clock) and replayed to every later request with that key.
//!
//! - The same key with another request (another body, path or method) is
//!   answered 422.
//! - The same key while the first request is still being answered (a
//!   [`Fault::Delay`](crate::mock::Fault::Delay) can hold it) is answered 409.
//! - A 429 is never cached: the key is released and may be used again.
//! - Every other answer, 4xx and 5xx included, is cached and replayed.
//! - A request that got no answer (its connection dropped before it was
//!   served) releases its key too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use super::answers::error;

/// How long Codat keeps a key's first answer.
pub(in crate::mock) const KEPT_FOR: Duration = Duration::from_secs(90 * 60);

/// The header's name.
pub(in crate::mock) const HEADER: HeaderName = HeaderName::from_static("idempotency-key");

/// The keys the mock has seen (shared with the requests that hold one).
#[derive(Debug, Default, Clone)]
pub(in crate::mock) struct Keys {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

/// One key: the request it was first sent with and, once answered, that
/// answer.
#[derive(Debug)]
struct Entry {
    request: Fingerprint,
    answer: Option<Cached>,
}

/// What makes two requests the same request.
#[derive(Debug, PartialEq, Eq)]
struct Fingerprint {
    method: Method,
    path: String,
    body: Bytes,
}

/// A cached answer.
#[derive(Debug)]
struct Cached {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    at: Instant,
}

/// What the key of one request says before it is served.
pub(in crate::mock) enum Admission {
    /// No key, or not a `POST` or `PATCH`: serve as usual.
    Unkeyed,
    /// Answer this instead (a replay, a 409, a 422, a 400).
    Answer(Response),
    /// Serve it, then [`Claim::settle`] the answer.
    Claimed(Claim),
}

/// The first request with a key, being answered. Dropped unsettled (its
/// connection was dropped, or it panicked), it releases the key.
pub(in crate::mock) struct Claim {
    keys: Keys,
    key: String,
    settled: bool,
}

/// Looks at the request's `Idempotency-Key`, when it has the API key the
/// mock accepts (its `Authorization` is `authorization`).
pub(in crate::mock) fn admit(
    keys: &Keys,
    authorization: &HeaderValue,
    parts: &axum::http::request::Parts,
    body: &Bytes,
) -> Admission {
    let mut values = parts.headers.get_all(&HEADER).iter();
    let Some(value) = values.next() else {
        return Admission::Unkeyed;
    };
    // A request without the right API key is refused before its key is
    // looked at (and its 401 is kept for no one).
    let authorized = parts.headers.get(header::AUTHORIZATION) == Some(authorization);
    if !authorized {
        return Admission::Unkeyed;
    }
    let refuse = |message: &str| Admission::Answer(error(StatusCode::BAD_REQUEST, message));
    if values.next().is_some() {
        return refuse("Only one Idempotency-Key header may be sent.");
    }
    if parts.method != Method::POST && parts.method != Method::PATCH {
        return refuse("The Idempotency-Key header can only be sent with POST or PATCH requests.");
    }
    let Some(key) = value
        .to_str()
        .ok()
        .filter(|key| uuid::Uuid::parse_str(key).is_ok())
    else {
        return refuse("The Idempotency-Key header must be a GUID.");
    };
    let request = Fingerprint {
        method: parts.method.clone(),
        path: parts.uri.path().to_owned(),
        body: body.clone(),
    };
    let now = Instant::now();
    let mut entries = keys.lock();
    entries.retain(|_, entry| {
        entry
            .answer
            .as_ref()
            .is_none_or(|answer| now.duration_since(answer.at) < KEPT_FOR)
    });
    match entries.get(key) {
        Some(entry) if entry.request != request => Admission::Answer(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The Idempotency-Key was already used with a different request.",
        )),
        Some(Entry { answer: None, .. }) => Admission::Answer(error(
            StatusCode::CONFLICT,
            "A request with this Idempotency-Key is still in progress.",
        )),
        Some(Entry {
            answer: Some(answer),
            ..
        }) => Admission::Answer(answer.replay()),
        None => {
            entries.insert(
                key.to_owned(),
                Entry {
                    request,
                    answer: None,
                },
            );
            Admission::Claimed(Claim {
                keys: keys.clone(),
                key: key.to_owned(),
                settled: false,
            })
        }
    }
}

impl Keys {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Cached {
    fn replay(&self) -> Response {
        let mut response = (self.status, self.body.clone()).into_response();
        *response.headers_mut() = self.headers.clone();
        response
    }
}

impl Claim {
    /// Keeps `response` as the key's answer (but a 429, which releases the
    /// key), and hands it back to be sent.
    pub(in crate::mock) async fn settle(mut self, response: Response) -> Response {
        self.settled = true;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            self.release();
            return response;
        }
        let (parts, body) = response.into_parts();
        let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
            // An answer whose body broke off is no answer: nothing to replay.
            self.release();
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the answer could not be read",
            );
        };
        if let Some(entry) = self.keys.lock().get_mut(&self.key) {
            entry.answer = Some(Cached {
                status: parts.status,
                headers: parts.headers.clone(),
                body: body.clone(),
                at: Instant::now(),
            });
        }
        Response::from_parts(parts, body.into())
    }

    fn release(&self) {
        self.keys.lock().remove(&self.key);
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if !self.settled {
            self.release();
        }
    }
}
