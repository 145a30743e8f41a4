//! What a caller may set for one call (a timeout, extra headers, an
//! `Idempotency-Key`), carried from the operation to the `pre` hook for each
//! of the call's attempts, and checked before anything is sent.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use uuid::Uuid;

use crate::Error;

/// The header Codat reads to replay the first answer to a repeated POST or
/// PATCH (codat-docs, `using-the-api/write-data/idempotency.md`).
pub(crate) const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The headers the client sets itself, which a call's own headers may not
/// replace.
const OWNED: [&str; 9] = [
    "authorization",
    "idempotency-key",
    "user-agent",
    "content-type",
    "content-length",
    "transfer-encoding",
    "host",
    "accept",
    "connection",
];

tokio::task_local! {
    /// The options of the crate's own call being made in this task.
    static OPTIONS: CallOptions;
}

/// The options of one call; a refused one is kept as the error the call
/// fails with, before anything is sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallOptions {
    pub timeout: Option<Duration>,
    pub headers: HeaderMap,
    pub idempotency_key: Option<Uuid>,
    /// The first option refused, if any.
    pub refused: Option<Refused>,
}

/// An option refused: the [`Error::InvalidInput`] the call fails with.
#[derive(Debug, Clone)]
pub(crate) struct Refused {
    field: &'static str,
    value: String,
    reason: &'static str,
}

impl From<Refused> for Error {
    fn from(refused: Refused) -> Self {
        Error::invalid_input(refused.field, &refused.value, refused.reason)
    }
}

fn refused(field: &'static str, value: &str, reason: &'static str) -> Refused {
    Refused {
        field,
        value: value.to_owned(),
        reason,
    }
}

impl CallOptions {
    /// The longest each attempt may take, clamped to
    /// [`ClientBuilder::MAX_TIMEOUT`](crate::ClientBuilder::MAX_TIMEOUT).
    pub(crate) fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = Some(timeout.min(crate::ClientBuilder::MAX_TIMEOUT));
    }

    /// Adds the header `name: value`, or records why it is refused.
    pub(crate) fn add_header(&mut self, name: &str, value: &str) {
        if self.refused.is_some() {
            return;
        }
        match checked_header(name, value) {
            Ok((name, value)) => {
                self.headers.append(name, value);
            }
            Err(error) => self.refused = Some(error),
        }
    }

    /// Sets the idempotency key from `key` (a UUID), or records why it is refused.
    pub(crate) fn set_idempotency_key(&mut self, key: &str) {
        match key.trim().parse::<Uuid>() {
            Ok(key) => self.idempotency_key = Some(key),
            Err(_) if self.refused.is_none() => {
                self.refused = Some(refused(
                    "Idempotency-Key",
                    key,
                    "must be a UUID, such as 0b0a7c3e-2f9e-4f57-9d3a-6d3e8e5c1a2b",
                ));
            }
            Err(_) => {}
        }
    }

    /// Runs `call` with these options applying to each of its requests.
    pub(crate) async fn scope<F: std::future::Future>(self, call: F) -> F::Output {
        OPTIONS.scope(self, call).await
    }
}

fn checked_header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), Refused> {
    let parsed = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| refused("header", name, "is not a valid HTTP header name"))?;
    if OWNED.contains(&parsed.as_str()) {
        return Err(refused(
            "header",
            name,
            "is set by the client itself and cannot be given per call",
        ));
    }
    let value = HeaderValue::from_str(value)
        .map_err(|_| refused("header", name, "has a value that is not valid in HTTP"))?;
    Ok((parsed, value))
}

/// Applies the options of the call being made in this task to `request`,
/// after the client's own settings; a request made outside the crate's
/// calls (through [`crate::Client::raw`]) is left as it is.
pub(crate) fn apply(request: &mut reqwest::Request) {
    let _outside = OPTIONS.try_with(|options| {
        if let Some(timeout) = options.timeout {
            *request.timeout_mut() = Some(timeout);
        }
        let headers = request.headers_mut();
        for (name, value) in &options.headers {
            headers.append(name, value.clone());
        }
        if let Some(key) = options.idempotency_key {
            // Cannot fail: a UUID's hyphenated form is 36 ASCII hex digits
            // and hyphens, all valid in a header value.
            let value = HeaderValue::from_str(&key.to_string())
                .expect("a UUID's hyphenated form is a valid header value");
            headers.insert(IDEMPOTENCY_KEY, value);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_the_client_owns_or_that_are_malformed_are_refused() {
        for (name, value) in [
            ("Authorization", "Basic x"),
            ("idempotency-key", "0b0a7c3e-2f9e-4f57-9d3a-6d3e8e5c1a2b"),
            ("User-Agent", "me"),
            ("bad name", "x"),
            ("x-trace", "line\nbreak"),
        ] {
            let mut options = CallOptions::default();
            options.add_header(name, value);
            let refused = Error::from(options.refused.expect(name));
            assert!(
                matches!(
                    refused,
                    Error::InvalidInput {
                        field: "header",
                        ..
                    }
                ),
                "{refused}"
            );
            assert!(options.headers.is_empty());
        }
        let mut options = CallOptions::default();
        options.add_header("X-Trace-Id", "abc");
        assert!(options.refused.is_none());
        assert_eq!(options.headers["x-trace-id"], "abc");
    }

    #[test]
    fn an_idempotency_key_must_be_a_uuid() {
        let mut options = CallOptions::default();
        options.set_idempotency_key("order-17");
        assert!(matches!(
            options.refused.map(Error::from),
            Some(Error::InvalidInput {
                field: "Idempotency-Key",
                ..
            })
        ));
        let mut options = CallOptions::default();
        options.set_idempotency_key("0B0A7C3E-2F9E-4F57-9D3A-6D3E8E5C1A2B");
        assert_eq!(
            options.idempotency_key.unwrap().to_string(),
            "0b0a7c3e-2f9e-4f57-9d3a-6d3e8e5c1a2b"
        );
    }
}
