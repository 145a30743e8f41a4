//! progenitor's [`ClientHooks`] for the generated [`raw::Client`], and the
//! step from the generated client's results to this crate's.
//!
//! The hooks hand every request to the [`Transport`] (its inner value), so
//! the crate's own operations and a user who drops down to
//! [`crate::Client::raw`] get the same Authorization header, user agent,
//! timeout, tracing span and bounded body.

use std::sync::PoisonError;

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::StatusCode;
use tracing::Instrument;

use crate::error::{snippet, ApiError};
use crate::raw::{self, types::ErrorMessage, ResponseValue};
use crate::transport::{RecordSlot, Recorded, TooLarge, Transport};
use crate::Error;

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
        self.inner.prepare(request);
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
            rate_limit.limit = tracing::field::Empty,
            rate_limit.remaining = tracing::field::Empty,
            rate_limit.reset = tracing::field::Empty,
        );
        // Instrumenting the future (not entering the span across awaits)
        // keeps other tasks' events out of this request's span.
        async {
            // Before the request's own timeout starts: a wait for the
            // client's rate limit is not the server being slow.
            self.inner.admit().await;
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
    let (transport, slot) = raw.inner.recording();
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
pub(crate) struct Recorder(RecordSlot);

impl Recorder {
    /// `decode` reads a success answer the generated code did not expect (a
    /// 2xx other than the documented one).
    pub(crate) fn answer<T>(
        self,
        result: Result<ResponseValue<T>, raw::Error<ErrorMessage>>,
        decode: fn(&[u8]) -> serde_json::Result<T>,
    ) -> Result<Answer<T>, Error> {
        self.answer_or(result, decode, |_, _, error| Err(error))
    }

    /// As [`answer`](Self::answer), but a success answer the generated code
    /// could not decode goes to `salvage` (with its status, body and the
    /// decode error) instead of failing at once: it decodes what it can.
    pub(crate) fn answer_or<T>(
        self,
        result: Result<ResponseValue<T>, raw::Error<ErrorMessage>>,
        decode: fn(&[u8]) -> serde_json::Result<T>,
        salvage: impl FnOnce(StatusCode, &[u8], Error) -> Result<T, Error>,
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
                match parsed {
                    Ok(value) => Ok(Answer { value, status }),
                    Err(error) => salvage(status, &body, decode_error(status, &body, &error))
                        .map(|value| Answer { value, status }),
                }
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
