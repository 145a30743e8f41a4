//! What every request of a client carries (authorization, user agent,
//! timeout) and how every answer is read (whole, within the size limit, into
//! reused buffers). progenitor's hooks (`src/http/hooks.rs`) call it; this is
//! the only code that touches a request.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER, USER_AGENT};
use reqwest::{ResponseBuilderExt as _, StatusCode, Version};
use url::Url;

use crate::http::rate_limit::{RateGate, RateLimit};

/// The header progenitor adds to every request, set to the `info.version`
/// of `openapi/connections.json`.
///
/// It is removed before sending: Codat documents no such header, and the
/// value is the version of *our* copy of the document, not an API version
/// Codat negotiates, so sending it would only tell Codat (or a proxy that
/// starts to act on it) something untrue. Requests stay exactly what Codat's
/// reference shows.
const UNDOCUMENTED_API_VERSION: HeaderName = HeaderName::from_static("api-version");

/// The inner value of the generated [`crate::raw::Client`]: what its hooks
/// apply to every request (authorization, user agent, timeout, body limit,
/// the client's shared rate limit). Obtained from [`crate::Client::raw`]; it
/// never shows the API key.
///
/// ```
/// use codat_connections::raw::ClientInfo as _;
///
/// let client = codat_connections::Client::new("your-api-key")?;
/// let settings: &codat_connections::RequestSettings = client.raw().inner();
/// assert!(!format!("{settings:?}").contains("your-api-key"));
/// # Ok::<(), codat_connections::Error>(())
/// ```
#[derive(Clone)]
pub struct RequestSettings(Arc<Settings>);

struct Settings {
    authorization: HeaderValue,
    user_agent: HeaderValue,
    timeout: Duration,
    max_response_bytes: usize,
    /// Shared by every request of the client, `raw()` included.
    gate: RateGate,
    /// Buffers of earlier long answers, for the next ones.
    spare: Arc<SpareBuffers>,
}

impl fmt::Debug for RequestSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestSettings")
            .field("api_key", &"<redacted>")
            .field("user_agent", &self.0.user_agent)
            .field("timeout", &self.0.timeout)
            .field("max_response_bytes", &self.0.max_response_bytes)
            .field("rate", &self.0.gate)
            .finish()
    }
}

/// An answer as it was read: whole, or its body not kept, and why.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The whole body (inflated, when it came compressed).
    pub body: Result<Bytes, Unread>,
    version: Version,
    /// The URL the answer came from, kept on the rebuilt response (without
    /// it reqwest would parse a placeholder URL for every answer).
    url: Url,
}

impl Answer {
    /// The `Retry-After` of an error answer (successes keep nothing).
    pub(crate) fn retry_after(&self) -> Option<String> {
        if self.status.is_success() {
            return None;
        }
        self.headers
            .get(RETRY_AFTER)?
            .to_str()
            .ok()
            .map(str::to_owned)
    }

    /// The answer as a response the generated code can read, its body in
    /// memory; a body not kept is empty, and the response marked with
    /// [`Unread`] for the `post` hook.
    pub(crate) fn into_response(self) -> reqwest::Response {
        let (body, unread) = match self.body {
            Ok(body) => (body, None),
            Err(unread) => (Bytes::new(), Some(unread)),
        };
        let mut response = ::http::Response::builder()
            .status(self.status)
            .version(self.version)
            .url(self.url)
            .body(body)
            // Cannot fail: every part is already typed (a status, a
            // version, a URL), so the builder has nothing left to parse.
            .expect("a response built from typed parts is valid");
        *response.headers_mut() = self.headers;
        if let Some(unread) = unread {
            response.extensions_mut().insert(unread);
        }
        reqwest::Response::from(response)
    }
}

/// Why an answer's body was not kept (and marks a response so, for the
/// `post` hook).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unread {
    /// It was larger than the limit, in bytes: as announced, or as read
    /// (inflated, when it came compressed); reading stopped there.
    TooLarge { limit: usize },
    /// It came compressed in a way the client cannot read: an encoding it
    /// did not ask for, or a compressed body that does not inflate. Says how.
    Encoding(String),
}

impl RequestSettings {
    /// `authorization` must be marked sensitive (it holds the API key).
    pub(crate) fn new(
        authorization: HeaderValue,
        user_agent: HeaderValue,
        timeout: Duration,
        max_response_bytes: usize,
        gate: RateGate,
    ) -> Self {
        debug_assert!(authorization.is_sensitive());
        Self(Arc::new(Settings {
            authorization,
            user_agent,
            timeout,
            max_response_bytes,
            gate,
            spare: Arc::default(),
        }))
    }

    /// Sets what every request carries, over what the generated code set.
    pub(crate) fn prepare(&self, request: &mut reqwest::Request) {
        let settings = &self.0;
        let headers = request.headers_mut();
        headers.remove(UNDOCUMENTED_API_VERSION);
        headers.insert(AUTHORIZATION, settings.authorization.clone());
        headers.insert(USER_AGENT, settings.user_agent.clone());
        *request.timeout_mut() = Some(settings.timeout);
    }

    /// Waits until the client's rate limit lets a request leave.
    pub(crate) async fn admit(&self) {
        self.0.gate.admit().await;
    }

    /// The latest `X-Rate-Limit-*` values Codat sent to this client.
    pub(crate) fn rate_limit(&self) -> Option<RateLimit> {
        self.0.gate.latest()
    }

    /// The client's pace, in requests per minute, when it has one.
    pub(crate) fn requests_per_minute(&self) -> Option<u32> {
        self.0.gate.requests_per_minute()
    }

    /// Reads the whole body of `response`, at most `max_response_bytes`, and
    /// tells the client's rate limit what the answer said.
    pub(crate) async fn read(&self, mut response: reqwest::Response) -> reqwest::Result<Answer> {
        let status = response.status();
        let limit = self.0.max_response_bytes;
        let headers = std::mem::take(response.headers_mut());
        if let Some(seen) = self.0.gate.observe(status, &headers) {
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
        let version = response.version();
        let url = response.url().clone();
        // reqwest inflates what it asked for, and then drops the header; one
        // left is an encoding it did not ask for, which it passes through.
        let body = match unasked_encoding(&headers) {
            Some(unasked) => Err(unasked),
            None => match read_body(&mut response, limit, &self.0.spare).await {
                Ok(Some(body)) => Ok(body),
                Ok(None) => Err(Unread::TooLarge { limit }),
                Err(error) if error.is_decode() => Err(Unread::Encoding(format!(
                    "its compressed body does not inflate (corrupt or cut short): {}",
                    std::error::Error::source(&error)
                        .map_or(error.to_string(), ToString::to_string)
                ))),
                Err(error) => return Err(error),
            },
        };
        if let Ok(body) = &body {
            tracing::debug!(
                status = status.as_u16(),
                bytes = body.len(),
                "codat.response"
            );
        }
        Ok(Answer {
            status,
            headers,
            body,
            version,
            url,
        })
    }
}

/// The `Content-Encoding` of an answer reqwest did not inflate, as the
/// reason its body is not read.
fn unasked_encoding(headers: &HeaderMap) -> Option<Unread> {
    let encoding = headers.get(::http::header::CONTENT_ENCODING)?;
    let encoding = String::from_utf8_lossy(encoding.as_bytes());
    (!encoding.trim().eq_ignore_ascii_case("identity")).then(|| {
        Unread::Encoding(format!(
            "it came compressed with `{}`, which the client did not ask for",
            encoding.trim()
        ))
    })
}

/// The whole body of `response`, or `None` when it is larger than `limit`
/// bytes (announced or as read; inflated, when reqwest inflates it: reading
/// stops at the limit, whatever the compressed size).
///
/// A body that comes in one chunk (every small answer) is kept as it came;
/// a longer one is copied once, into a buffer with room for the announced
/// length (a kept one when one has the room).
async fn read_body(
    response: &mut reqwest::Response,
    limit: usize,
    spare: &Arc<SpareBuffers>,
) -> reqwest::Result<Option<Bytes>> {
    let length = response.content_length();
    if length.is_some_and(|length| length > limit as u64) {
        return Ok(None);
    }
    let Some(first) = response.chunk().await? else {
        return Ok(Some(Bytes::new()));
    };
    if first.len() > limit {
        return Ok(None);
    }
    let Some(mut chunk) = response.chunk().await? else {
        return Ok(Some(first));
    };
    let mut body = match length {
        Some(length) => spare.take((length as usize).max(first.len() + chunk.len())),
        // Inflated (or chunked): its length is known once it is read.
        None => spare.take_largest(first.len() + chunk.len()),
    };
    body.extend_from_slice(&first);
    loop {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
        match response.chunk().await? {
            Some(next) => chunk = next,
            None => return Ok(Some(SpareBuffers::give_back(body, spare))),
        }
    }
}

/// The buffers of a client's long answers, kept for its next answers once
/// their bodies are dropped.
///
/// A page of 5,000 connections is about 3 MiB: a fresh buffer of that size
/// costs the process a page fault every 4 KiB, page after page, and growing
/// one copies it several times over. Only a few buffers of moderate size
/// are kept, so that a client at rest holds little.
#[derive(Default)]
struct SpareBuffers(Mutex<Vec<Vec<u8>>>);

impl SpareBuffers {
    /// How many buffers are kept (a listing with read-ahead has a few pages
    /// in flight).
    const KEPT: usize = 2;
    /// Answers shorter than this are cheap to allocate.
    const SMALLEST: usize = 64 * 1024;
    /// Buffers larger than this are not kept.
    const LARGEST: usize = 8 * 1024 * 1024;

    /// An empty buffer with room for `capacity` bytes: a kept one that
    /// already has the room, else a new one with a little more (the next
    /// pages of a listing are about as long, give or take a few bytes).
    ///
    /// A kept buffer is never grown: growing copies it whole, and doubles
    /// it past [`Self::LARGEST`], so that it is not kept again.
    fn take(&self, capacity: usize) -> Vec<u8> {
        if capacity >= Self::SMALLEST {
            let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(at) = kept.iter().position(|kept| kept.capacity() >= capacity) {
                return kept.swap_remove(at);
            }
        }
        Vec::with_capacity(Self::room(capacity))
    }

    /// The largest kept buffer, for an answer whose length is not known
    /// yet, else a new one with room for `capacity` bytes.
    fn take_largest(&self, capacity: usize) -> Vec<u8> {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let largest = kept
            .iter()
            .enumerate()
            .max_by_key(|(_, kept)| kept.capacity());
        match largest.map(|(at, _)| at) {
            Some(at) => kept.swap_remove(at),
            None => Vec::with_capacity(capacity),
        }
    }

    /// The room a new buffer for `capacity` bytes gets: 1/16 more, within
    /// what is kept.
    fn room(capacity: usize) -> usize {
        if (Self::SMALLEST..=Self::LARGEST).contains(&capacity) {
            (capacity + capacity / 16).min(Self::LARGEST)
        } else {
            capacity
        }
    }

    /// `body` as `Bytes` whose buffer comes back to `spare` when the last
    /// of them is dropped.
    fn give_back(body: Vec<u8>, spare: &Arc<SpareBuffers>) -> Bytes {
        if !(Self::SMALLEST..=Self::LARGEST).contains(&body.capacity()) {
            return Bytes::from(body);
        }
        Bytes::from_owner(Returning {
            body,
            home: Arc::downgrade(spare),
        })
    }
}

/// An answer's body that goes back to its client's spare buffers when
/// dropped (unless the client is gone, or has enough of them).
struct Returning {
    body: Vec<u8>,
    home: Weak<SpareBuffers>,
}

impl AsRef<[u8]> for Returning {
    fn as_ref(&self) -> &[u8] {
        &self.body
    }
}

impl Drop for Returning {
    fn drop(&mut self) {
        let Some(home) = self.home.upgrade() else {
            return;
        };
        let mut kept = home.0.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() < SpareBuffers::KEPT {
            let mut body = std::mem::take(&mut self.body);
            body.clear();
            kept.push(body);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    /// Serves one answer with `body` in `pieces` writes, with a
    /// `content-length` when `announced`, else until the connection closes.
    fn serve(body: Vec<u8>, pieces: usize, announced: bool) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/page", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            let _ = socket.read(&mut [0; 4096]);
            let length = if announced {
                format!("content-length: {}\r\n", body.len())
            } else {
                "connection: close\r\n".to_owned()
            };
            write!(socket, "HTTP/1.1 200 OK\r\n{length}\r\n").unwrap();
            for part in body.chunks(body.len().div_ceil(pieces)) {
                // The client may stop reading once over its limit.
                if socket
                    .write_all(part)
                    .and_then(|()| socket.flush())
                    .is_err()
                {
                    return;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        url
    }

    /// The HTTP client and settings of a client with this body limit.
    fn client(limit: usize) -> (reqwest::Client, RequestSettings) {
        let client = crate::Client::builder("k")
            .max_response_bytes(limit)
            .build()
            .unwrap();
        (client.raw().client.clone(), client.raw().inner.clone())
    }

    fn spare(transport: &RequestSettings) -> usize {
        transport.0.spare.0.lock().unwrap().len()
    }

    #[tokio::test]
    async fn a_long_answer_is_read_whole_and_its_buffer_serves_the_next() {
        let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let (http, transport) = client(1 << 20);
        for _ in 0..2 {
            let url = serve(body.clone(), 4, true);
            let response = http.get(&url).send().await.unwrap();
            let read = transport.read(response).await.unwrap().into_response();
            assert_eq!(read.url().as_str(), url);
            let bytes = read.bytes().await.unwrap();
            assert_eq!(&bytes[..], &body[..]);
            assert_eq!(spare(&transport), 0, "the buffer is in use");
            drop(bytes);
            assert_eq!(spare(&transport), 1, "the buffer is kept");
        }
    }

    #[test]
    fn a_kept_buffer_serves_an_answer_it_has_room_for_and_is_never_grown() {
        let spare = Arc::new(SpareBuffers::default());
        let page = 3 << 20;
        let first = spare.take(page);
        assert!(
            first.capacity() >= page + page / 16,
            "room for a longer page"
        );
        let (pointer, capacity) = (first.as_ptr(), first.capacity());
        drop(SpareBuffers::give_back(first, &spare));
        // A page a little longer than the first is read into the same buffer.
        let second = spare.take(page + 1000);
        assert_eq!((second.as_ptr(), second.capacity()), (pointer, capacity));
        drop(SpareBuffers::give_back(second, &spare));
        // One longer than the buffer gets a new one; the kept one stays kept.
        let longer = spare.take(capacity + 1);
        assert_ne!(longer.as_ptr(), pointer);
        assert_eq!(spare.0.lock().unwrap()[0].capacity(), capacity);
        // An answer of unknown length takes the largest kept buffer.
        let unknown = spare.take_largest(100);
        assert_eq!(unknown.as_ptr(), pointer);
    }

    #[tokio::test]
    async fn a_long_answer_over_the_limit_is_refused_as_it_comes() {
        let (http, transport) = client(100_000);
        let url = serve(vec![b'x'; 200_000], 8, false);
        let response = http.get(&url).send().await.unwrap();
        assert_eq!(response.content_length(), None);
        let read = transport.read(response).await.unwrap().into_response();
        assert_eq!(
            read.extensions().get::<Unread>(),
            Some(&Unread::TooLarge { limit: 100_000 })
        );
        assert!(read.bytes().await.unwrap().is_empty());
    }
}
