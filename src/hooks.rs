//! The transport under the generated client: what every request carries and
//! how every answer is read. This is the only code that touches a request.
//!
//! progenitor's [`ClientHooks`] are implemented for [`raw::Client`], so the
//! crate's own operations and a user who drops down to [`crate::Client::raw`]
//! get the same Authorization header, user agent, timeout, tracing span and
//! bounded body.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION, RETRY_AFTER, USER_AGENT};
use reqwest::StatusCode;
use tracing::Instrument;

use crate::error::{snippet, ApiError};
use crate::raw::{self, types::ErrorMessage, ResponseValue};
use crate::Error;

/// The header progenitor adds to every request, set to the `info.version`
/// of `openapi/connections.json`.
///
/// It is removed before sending: Codat documents no such header, and the
/// value is the version of *our* copy of the document, not an API version
/// Codat negotiates, so sending it would only tell Codat (or a proxy that
/// starts to act on it) something untrue. Requests stay exactly what Codat's
/// reference shows.
const UNDOCUMENTED_API_VERSION: HeaderName = HeaderName::from_static("api-version");

/// The inner value of the generated [`raw::Client`]: the settings its hooks
/// apply to every request. Obtained from [`crate::Client::raw`]; it never
/// shows the API key.
#[derive(Clone)]
pub struct Transport {
    settings: Arc<Settings>,
    /// Where one call's last answer is written, when someone wants it.
    record: Option<Arc<Mutex<Option<Recorded>>>>,
}

struct Settings {
    authorization: HeaderValue,
    user_agent: HeaderValue,
    timeout: Duration,
    max_response_bytes: usize,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("api_key", &"<redacted>")
            .field("user_agent", &self.settings.user_agent)
            .field("timeout", &self.settings.timeout)
            .field("max_response_bytes", &self.settings.max_response_bytes)
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
    ) -> Self {
        debug_assert!(authorization.is_sensitive());
        Self {
            settings: Arc::new(Settings {
                authorization,
                user_agent,
                timeout,
                max_response_bytes,
            }),
            record: None,
        }
    }

    /// Writes what each exchange sent back into `slot`.
    fn record(&self, recorded: Recorded) {
        if let Some(slot) = &self.record {
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(recorded);
        }
    }

    /// Reads the whole body of `response`, at most `max_response_bytes`, and
    /// gives back an equivalent response whose body is already in memory.
    async fn read(&self, mut response: reqwest::Response) -> reqwest::Result<reqwest::Response> {
        let status = response.status();
        let limit = self.settings.max_response_bytes;
        let version = response.version();
        let headers = std::mem::take(response.headers_mut());
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

/// Marks an answer whose body was refused for its size (seen by `post`).
#[derive(Clone, Copy)]
struct TooLarge {
    limit: usize,
}

/// The last answer of one call, as it came.
enum Recorded {
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

/// Codat's name for an operation (progenitor's names use `_`).
fn codat_operation(operation_id: &str) -> String {
    operation_id.replace('_', "-")
}

impl ClientHooks<Transport> for raw::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), raw::Error<E>> {
        let settings = &self.inner.settings;
        let headers = request.headers_mut();
        headers.remove(UNDOCUMENTED_API_VERSION);
        headers.insert(AUTHORIZATION, settings.authorization.clone());
        headers.insert(USER_AGENT, settings.user_agent.clone());
        *request.timeout_mut() = Some(settings.timeout);
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let span = tracing::debug_span!(
            "codat.request",
            operation = %codat_operation(info.operation_id),
            method = %request.method(),
            path = %request.url().path(),
        );
        // Instrumenting the future (not entering the span across awaits)
        // keeps other tasks' events out of this request's span.
        async {
            let response = self.client.execute(request).await?;
            self.inner.read(response).await
        }
        .instrument(span)
        .await
    }

    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _info: &OperationInfo,
    ) -> Result<(), raw::Error<E>> {
        match result {
            Ok(response) => match response.extensions().get::<TooLarge>() {
                Some(TooLarge { limit }) => Err(raw::Error::Custom(format!(
                    "Codat's {} answer is larger than the {limit}-byte limit",
                    response.status()
                ))),
                None => Ok(()),
            },
            Err(_) => Ok(()),
        }
    }
}

/// A copy of `raw` that records its last answer, and the recorder to turn
/// its result into this crate's: one per attempt.
pub(crate) fn recording(raw: &raw::Client) -> (raw::Client, Recorder) {
    let slot = Arc::new(Mutex::new(None));
    let transport = Transport {
        settings: Arc::clone(&raw.inner.settings),
        record: Some(Arc::clone(&slot)),
    };
    (
        raw::Client::new_with_client(&raw.baseurl, raw.client.clone(), transport),
        Recorder(slot),
    )
}

/// A success answer, decoded.
#[derive(Debug)]
pub(crate) struct Answer<T> {
    pub value: T,
    pub status: StatusCode,
}

/// Turns the generated client's result into this crate's, with what the
/// generated error leaves out (the status and Retry-After of an error answer
/// whose body is not Codat's JSON, the body snippet of every error).
pub(crate) struct Recorder(Arc<Mutex<Option<Recorded>>>);

impl Recorder {
    /// `decode` reads a success answer the generated code did not expect (a
    /// 2xx other than the documented one).
    pub(crate) fn answer<T>(
        self,
        result: Result<ResponseValue<T>, raw::Error<ErrorMessage>>,
        decode: fn(&[u8]) -> serde_json::Result<T>,
    ) -> Result<Answer<T>, Error> {
        let error = match result {
            Ok(value) => {
                return Ok(Answer {
                    status: value.status(),
                    value: value.into_inner(),
                })
            }
            Err(error) => error,
        };
        let recorded = self.0.lock().unwrap_or_else(PoisonError::into_inner).take();
        match (error, recorded) {
            (
                raw::Error::CommunicationError(source)
                | raw::Error::ResponseBodyError(source)
                | raw::Error::InvalidUpgrade(source),
                _,
            ) => Err(Error::from_reqwest(source)),
            (_, Some(Recorded::TooLarge { status, limit })) => Err(Error::ResponseTooLarge {
                status,
                limit,
                attempts: 1,
            }),
            (
                error,
                Some(Recorded::Answered {
                    status,
                    retry_after: _,
                    body,
                }),
            ) if status.is_success() => {
                let parsed = match error {
                    raw::Error::InvalidResponsePayload(_, error) => Err(error),
                    _ => decode(&body),
                };
                parsed
                    .map(|value| Answer { value, status })
                    .map_err(|error| decode_error(status, &body, &error))
            }
            (
                _,
                Some(Recorded::Answered {
                    status,
                    retry_after,
                    body,
                }),
            ) => Err(api_error(status, retry_after, &body)),
            // Nothing was recorded: the request never reached the network.
            (raw::Error::InvalidRequest(reason) | raw::Error::Custom(reason), None) => {
                Err(Error::InvalidInput {
                    field: "request",
                    value: Some(snippet(reason.as_bytes())),
                    reason: "could not be made into an HTTP request",
                })
            }
            (other, None) => Err(Error::Decode {
                status: other.status(),
                message: other.to_string(),
                snippet: String::new(),
                attempts: 1,
            }),
        }
    }
}

fn decode_error(status: StatusCode, body: &[u8], error: &serde_json::Error) -> Error {
    Error::Decode {
        status: Some(status),
        message: if body.is_empty() {
            "the body is empty".to_owned()
        } else {
            error.to_string()
        },
        snippet: snippet(body),
        attempts: 1,
    }
}

fn api_error(status: StatusCode, retry_after: Option<String>, body: &[u8]) -> Error {
    // Only a JSON object is Codat's ErrorMessage (serde would also accept an
    // array for a struct).
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .filter(serde_json::Value::is_object)
        .and_then(|value| serde_json::from_value(value).ok());
    Error::Api(Box::new(ApiError {
        status,
        message,
        body: snippet(body),
        retry_after,
        attempts: 1,
    }))
}
