//! How the crate's own calls take each answer from under the generated code,
//! which would otherwise read it: the one place that knows the generated call
//! is ended with an error even when Codat answered with success.
//!
//! Why: the generated `send()` decodes a success body with
//! `serde_json::from_slice`, which checks every string it meets for UTF-8 on
//! its own; checking the whole body once and parsing it as a `str`
//! ([`Success::decode`]) saves about a quarter of the CPU time of decoding a
//! page of 5,000 connections. progenitor has no hook between reading a body
//! and decoding it, so for the crate's own calls (run inside [`exchange`]):
//!
//! 1. the `exec` hook hands the answer it read to [`keep`], which keeps
//!    it for this call and gives the generated code an empty response;
//! 2. the `post` hook asks [`post`], which ends the generated call with
//!    [`READ_BY_THE_CRATE`] before it reads anything;
//! 3. [`exchange`] makes the kept answer this crate's: a [`Success`] for a
//!    2xx, an [`Error`] otherwise (with the status, `Retry-After` and body
//!    snippet the generated error would leave out).
//!
//! A user's own call through [`crate::Client::raw`] runs outside
//! [`exchange`]: the generated code reads its answer as generated.

use std::cell::RefCell;
use std::future::Future;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::Error;
use crate::error::{ApiError, snippet};
use crate::http::transport::{Answer, Unread};
use crate::raw::{self, types::ErrorMessage};

tokio::task_local! {
    /// The answer of the crate's own call being made in this task, once read.
    static INTERCEPTED: RefCell<Option<Intercepted>>;
}

/// What the `post` hook ends a crate's own call with; never seen by users.
const READ_BY_THE_CRATE: &str = "the answer is read by the crate, not the generated code";

/// The parts of an answer the crate's own calls read.
struct Intercepted {
    status: StatusCode,
    headers: HeaderMap,
    retry_after: Option<String>,
    /// `Err`: not kept, and why.
    body: Result<Bytes, Unread>,
}

/// A success answer (any 2xx), its body not decoded yet.
#[derive(Debug, Clone)]
pub(crate) struct Success {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Success {
    /// The body, decoded into `T`: checked for UTF-8 once, whole, then
    /// parsed as a `str`, so that serde_json need not check every string on
    /// its own (what the generated code's `from_slice` does). A body that
    /// is not UTF-8 is parsed as bytes, for serde_json's error and position.
    /// `T` may borrow from the body (its strings, or a `&RawValue`).
    pub(crate) fn decode<'a, T: serde::Deserialize<'a>>(&'a self) -> serde_json::Result<T> {
        match std::str::from_utf8(&self.body) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => serde_json::from_slice(&self.body),
        }
    }

    /// A 200 answer with `body` and no headers.
    #[cfg(test)]
    pub(crate) fn ok(body: impl Into<Bytes>) -> Self {
        Success {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: body.into(),
        }
    }

    /// The error for a body that does not decode into what was expected.
    pub(crate) fn decode_error(&self, error: &serde_json::Error) -> Error {
        Error::Decode {
            status: Some(self.status),
            message: if self.body.is_empty() {
                "the body is empty".to_owned()
            } else {
                error.to_string()
            },
            snippet: snippet(&self.body),
            attempts: 1,
        }
    }
}

/// Runs one generated call as the crate's own: its answer comes back here
/// instead of being read by the generated code.
pub(crate) async fn exchange<V>(
    call: impl Future<Output = Result<V, raw::Error<ErrorMessage>>>,
) -> Result<Success, Error> {
    INTERCEPTED
        .scope(RefCell::new(None), async {
            let generated = call.await.err();
            match (INTERCEPTED.with(RefCell::take), generated) {
                (Some(taken), _) => taken.into_result(),
                (None, Some(error)) => Err(unanswered(error)),
                // The `post` hook ends every call that got an answer, so an
                // answer the generated code read cannot come back here.
                (None, None) => Err(Error::Decode {
                    status: None,
                    message: "the answer was not handed over".to_owned(),
                    snippet: String::new(),
                    attempts: 1,
                }),
            }
        })
        .await
}

/// What the `exec` hook gives the generated code for `answer`: inside
/// [`exchange`], an empty response (the answer is kept for it); otherwise
/// the answer itself.
pub(crate) fn keep(mut answer: Answer) -> reqwest::Response {
    // The closure runs only inside `exchange`; elsewhere the answer stays whole.
    let _outside = INTERCEPTED.try_with(|slot| {
        let taken = Intercepted {
            status: answer.status,
            retry_after: answer.retry_after(),
            headers: std::mem::take(&mut answer.headers),
            body: std::mem::replace(&mut answer.body, Ok(Bytes::new())),
        };
        slot.replace(Some(taken));
    });
    answer.into_response()
}

/// What the `post` hook makes of `result`: the crate's own calls end here
/// (see the module's docs), and a body refused for its size ends any call.
pub(crate) fn post(result: &reqwest::Result<reqwest::Response>) -> Result<(), String> {
    let Ok(response) = result else {
        return Ok(());
    };
    if INTERCEPTED.try_with(|_| ()).is_ok() {
        return Err(READ_BY_THE_CRATE.to_owned());
    }
    match response.extensions().get::<Unread>() {
        Some(Unread::TooLarge { limit }) => Err(format!(
            "Codat's {} answer is larger than the {limit}-byte limit",
            response.status()
        )),
        Some(Unread::Encoding(reason)) => Err(format!(
            "could not read Codat's {} answer: {reason}",
            response.status()
        )),
        None => Ok(()),
    }
}

impl Intercepted {
    fn into_result(self) -> Result<Success, Error> {
        match self.body {
            Err(Unread::TooLarge { limit }) => Err(Error::ResponseTooLarge {
                status: self.status,
                limit,
                attempts: 1,
            }),
            Err(Unread::Encoding(reason)) => Err(Error::Encoding {
                status: self.status,
                reason,
                attempts: 1,
            }),
            Ok(body) if self.status.is_success() => Ok(Success {
                status: self.status,
                headers: self.headers,
                body,
            }),
            Ok(body) => Err(api_error(self.status, self.retry_after, &body)),
        }
    }
}

/// The error of a call that got no answer: it could not be made, or sent.
fn unanswered(error: raw::Error<ErrorMessage>) -> Error {
    match error {
        raw::Error::CommunicationError(source)
        | raw::Error::ResponseBodyError(source)
        | raw::Error::InvalidUpgrade(source) => Error::from_reqwest(source),
        raw::Error::InvalidRequest(reason) | raw::Error::Custom(reason) => Error::InvalidInput {
            field: "request",
            value: Some(snippet(reason.as_bytes())),
            reason: "could not be made into an HTTP request",
        },
        other => Error::Decode {
            status: other.status(),
            message: other.to_string(),
            snippet: String::new(),
            attempts: 1,
        },
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
        idempotency_key: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::Success;
    use crate::raw::types::Connections;

    fn decode(body: &[u8]) -> serde_json::Result<Connections> {
        Success::ok(body.to_vec()).decode()
    }

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
            let ours = decode(body).map_err(|e| e.to_string());
            let generated = serde_json::from_slice::<Connections>(body).map_err(|e| e.to_string());
            assert_eq!(ours, generated, "{}", String::from_utf8_lossy(body));
        }
        let decoded = decode(&bodies[1]).unwrap();
        assert_eq!(decoded.results[0].link_url, "https://link.codat.io/été");
        assert!(decode(&invalid).is_err(), "0xff is not UTF-8");
    }
}
