//! progenitor's [`ClientHooks`] for the generated [`raw::Client`], and the
//! step from the generated client's results to this crate's.
//!
//! The hooks hand every request to the [`Transport`] (its inner value), so
//! the crate's own operations and a user who drops down to
//! [`crate::Client::raw`] get the same Authorization header, user agent,
//! timeout, tracing span and bounded body.
//!
//! The crate's own operations go one step further: the generated code makes
//! and sends the request and reads every error answer, but a success
//! answer's body is decoded here, by [`decode`], into the same generated
//! types. The `post` hook ends the generated call there (the body is already
//! recorded), and the [`Recorder`] decodes it.

use std::sync::PoisonError;

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::StatusCode;
use tracing::Instrument;

use crate::error::{snippet, ApiError};
use crate::http::transport::{RecordSlot, Recorded, TooLarge, Transport};
use crate::raw::{self, types::ErrorMessage, ResponseValue};
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
                // The crate's own call: its Recorder decodes the recorded
                // body (see `decode`), so the generated code stops here.
                None if self.inner.is_recording() && response.status().is_success() => {
                    Err(raw::Error::Custom(DECODED_BY_THE_RECORDER.to_owned()))
                }
                None => Ok(()),
            },
            Err(_) => Ok(()),
        }
    }
}

/// What the `post` hook ends the generated code's call with when the
/// crate's own [`Recorder`] decodes the success answer; never seen by users.
const DECODED_BY_THE_RECORDER: &str = "the success answer is decoded by the recorder";

/// A success answer's body, decoded into `T`.
///
/// It checks the body is UTF-8 once, whole, then parses it as a `str`:
/// serde_json then need not check every string on its own, which is about a
/// quarter of the CPU time of decoding a page of 5,000 connections with
/// `serde_json::from_slice` (what the generated code does). A body that is
/// not UTF-8 is parsed as bytes, for serde_json's error and its position.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
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
}

/// Turns the generated client's result into this crate's, with what the
/// generated error leaves out (the status and Retry-After of an error answer
/// whose body is not Codat's JSON, the body snippet of every error).
pub(crate) struct Recorder(RecordSlot);

impl Recorder {
    /// `decode` reads the body of a success answer (any 2xx).
    pub(crate) fn answer<T>(
        self,
        result: Result<ResponseValue<T>, raw::Error<ErrorMessage>>,
        decode: fn(&[u8]) -> serde_json::Result<T>,
    ) -> Result<Answer<T>, Error> {
        self.answer_or(result, decode, |_, _, error| Err(error))
    }

    /// As [`answer`](Self::answer), but a success answer `decode` cannot
    /// read goes to `salvage` (with its status, body and the decode error)
    /// instead of failing at once: it decodes what it can.
    pub(crate) fn answer_or<T>(
        self,
        result: Result<ResponseValue<T>, raw::Error<ErrorMessage>>,
        decode: fn(&[u8]) -> serde_json::Result<T>,
        salvage: impl FnOnce(StatusCode, &[u8], Error) -> Result<T, Error>,
    ) -> Result<Answer<T>, Error> {
        let error = match result {
            Ok(value) => {
                return Ok(Answer {
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
                // The `post` hook stopped the generated code before it
                // decoded anything.
                debug_assert!(matches!(error, raw::Error::Custom(_)), "{error}");
                match decode(&body) {
                    Ok(value) => Ok(Answer { value }),
                    Err(error) => salvage(status, &body, decode_error(status, &body, &error))
                        .map(|value| Answer { value }),
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

#[cfg(test)]
mod tests {
    use super::decode;
    use crate::raw::types::Connections;

    fn page(link: &str) -> String {
        let connection = serde_json::json!({
            "id": "2e9d2c44-f675-40ba-8049-353bfcb5e171",
            "integrationId": "bf083d72-62c7-493e-aec9-81b4dbba7e2c",
            "integrationKey": "dfxm",
            "sourceId": "bdd831ce-eebd-4896-89a7-20e5ee8989ee",
            "platformName": "Basiq",
            "linkUrl": "LINK",
            "status": "Deauthorized",
            "created": "2022-10-27T09:53:29Z",
            "sourceType": "Banking",
        });
        let page = serde_json::json!({
            "results": [connection], "pageNumber": 1, "pageSize": 100,
            "totalResults": 1, "_links": {"self": {"href": "/"}, "current": {"href": "/"}},
        });
        page.to_string().replace("LINK", link)
    }

    #[test]
    fn decodes_what_from_slice_decodes_and_fails_where_it_fails() {
        let escaped = page(r"https://link.codat.io/\u00e9t\u00e9");
        let bodies = [
            page("https://link.codat.io/start").into_bytes(),
            page("https://link.codat.io/été").into_bytes(),
            escaped.into_bytes(),
        ];
        // Not UTF-8: a 0xff byte inside a string.
        let mut invalid = bodies[0].clone();
        let at = invalid.windows(5).position(|w| w == b"start").unwrap();
        invalid[at] = 0xff;
        for body in bodies
            .iter()
            .chain([&invalid, &b"{\"results\": [".to_vec()])
        {
            let ours = decode::<Connections>(body).map_err(|e| e.to_string());
            let generated = serde_json::from_slice::<Connections>(body).map_err(|e| e.to_string());
            assert_eq!(ours, generated, "{}", String::from_utf8_lossy(body));
        }
        let decoded = decode::<Connections>(&bodies[1]).unwrap();
        assert_eq!(decoded.results[0].link_url, "https://link.codat.io/été");
        assert!(
            decode::<Connections>(&invalid).is_err(),
            "0xff is not UTF-8"
        );
    }
}
