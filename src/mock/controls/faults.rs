//! What a test can have the mock answer instead of Codat's behaviour, and
//! how each such answer goes out on the wire.

use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::mock::codat::answers::error;

/// Something the mock answers instead of Codat's behaviour; see
/// [`MockCodat::inject`](crate::mock::MockCodat::inject). A fault's own answer is
/// not kept for the request's `Idempotency-Key` (the key is left free);
/// Codat's answer, when a fault delays it or drops it after, is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// An error status with Codat's `ErrorMessage` body, and a
    /// `Retry-After` header when given (seconds or an HTTP date).
    Status {
        /// The HTTP status, such as 429 or 503.
        status: u16,
        /// The `Retry-After` value, as sent.
        retry_after: Option<String>,
    },
    /// Exactly this answer: for malformed, truncated or foreign bodies.
    Respond {
        /// The HTTP status.
        status: u16,
        /// The `Content-Type` header.
        content_type: String,
        /// The body bytes.
        body: Vec<u8>,
    },
    /// Exactly this body with this `Content-Encoding`, as Codat's answer:
    /// for a compressed body that is corrupt, cut short or inflates past a
    /// client's limit, or one in an encoding the client did not ask for.
    Encoded {
        /// The HTTP status.
        status: u16,
        /// The `Content-Encoding` header, such as `gzip` or `br`.
        content_encoding: String,
        /// The body bytes, sent as they are.
        body: Vec<u8>,
    },
    /// Waits this long, at most [`MAX_DELAY`](crate::mock::MAX_DELAY) (an hour),
    /// then answers as Codat would.
    Delay(std::time::Duration),
    /// Closes the connection without answering (and without acting on
    /// the request).
    DropConnection,
    /// Acts on the request as Codat would (a create creates, and an
    /// `Idempotency-Key` keeps the answer), then closes the connection
    /// before the answer is sent: the answer a client loses on the way.
    DropAfterProcessing,
    /// Sends the status and the start of a body, then closes the connection.
    DropDuringBody {
        /// The HTTP status sent before the connection drops.
        status: u16,
        /// The bytes sent before the connection drops.
        partial_body: Vec<u8>,
    },
}

impl Fault {
    /// Whether its answer is one the mock compresses when asked, as it does
    /// Codat's own: Codat's answer held back, or an error status.
    pub(in crate::mock) fn answers_as_codat(&self) -> bool {
        matches!(self, Fault::Delay(_) | Fault::Status { .. })
    }

    /// The fault's answer; `codat` is Codat's own, awaited only by the
    /// faults that answer as Codat would.
    pub(in crate::mock) async fn answer(
        self,
        codat: impl std::future::Future<Output = Response>,
    ) -> Response {
        match self {
            Fault::Status {
                status,
                retry_after,
            } => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let mut response = error(
                    status,
                    status.canonical_reason().unwrap_or("Injected fault"),
                );
                if let Some(value) =
                    retry_after.and_then(|v| header::HeaderValue::from_str(&v).ok())
                {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
            Fault::Respond {
                status,
                content_type,
                body,
            } => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
            }
            Fault::Encoded {
                status,
                content_encoding,
                body,
            } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                let headers = [
                    (header::CONTENT_TYPE, "application/json".to_owned()),
                    (header::CONTENT_ENCODING, content_encoding),
                ];
                (status, headers, body).into_response()
            }
            Fault::Delay(delay) => {
                tokio::time::sleep(delay.min(crate::mock::MAX_DELAY)).await;
                codat.await
            }
            Fault::DropConnection => {
                // Unwinding out of the connection's task closes the socket with
                // no answer at all; resume_unwind skips the panic hook, so
                // nothing is printed.
                std::panic::resume_unwind(Box::new("mock Codat dropped the connection"))
            }
            Fault::DropAfterProcessing => {
                drop(codat.await);
                std::panic::resume_unwind(Box::new(
                    "mock Codat dropped the connection after acting on the request",
                ))
            }
            Fault::DropDuringBody {
                status,
                partial_body,
            } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                    Ok(Bytes::from(partial_body)),
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "dropped",
                    )),
                ];
                let body = axum::body::Body::from_stream(futures::stream::iter(chunks));
                (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
            }
        }
    }
}
