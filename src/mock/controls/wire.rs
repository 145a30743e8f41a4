//! The JSON forms of the control API (`api.rs`): what its requests
//! say, turned into the mock's own [`Fault`]s and [`WebhookFault`]s, and
//! what it answers with, written from the mock's own records. The forms are
//! those of `openapi/mock-control.json`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::faults::Fault;
use crate::ConnectionStatus;
use crate::mock::codat::state::ReceivedRequest;
use crate::mock::codat::webhooks::{DeliveryOutcome, WebhookDelivery, WebhookFault};

/// The most a delay of the control API may ask for (an hour, the mock's
/// [`MAX_DELAY`](crate::mock::MAX_DELAY)): longer is a mistake, not a test.
const LONGEST_DELAY_MS: u64 = crate::mock::MAX_DELAY.as_secs() * 1_000;

/// The most requests (or deliveries) one injection may cover.
pub(in crate::mock) const MOST_TIMES: usize = 10_000;

/// The highest rate limit the control API sets (Codat's is 12,000 a
/// minute; higher is no limit at all).
pub(in crate::mock) const HIGHEST_LIMIT: u64 = 1_000_000_000;

/// `times`, checked against [`MOST_TIMES`].
pub(in crate::mock) fn bounded_times(times: usize) -> Result<usize, String> {
    if times > MOST_TIMES {
        return Err(format!(
            "times {times} is over the {MOST_TIMES} one injection may cover"
        ));
    }
    Ok(times)
}

/// `POST /_mock/faults`: a fault, and for how many requests.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::mock) struct FaultsRequest {
    pub(in crate::mock) fault: FaultForm,
    #[serde(default = "once")]
    pub(in crate::mock) times: usize,
}

/// A [`Fault`] as the control API writes it, tagged by `kind`.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub(in crate::mock) enum FaultForm {
    /// [`Fault::Status`].
    #[serde(rename_all = "camelCase")]
    Status {
        status: u16,
        #[serde(default, deserialize_with = "super::seed::present")]
        retry_after: Option<String>,
    },
    /// [`Fault::Respond`].
    #[serde(rename_all = "camelCase")]
    Respond {
        status: u16,
        #[serde(default = "json_type")]
        content_type: String,
        #[serde(default)]
        body: String,
    },
    /// [`Fault::Delay`].
    Delay { milliseconds: u64 },
    /// [`Fault::DropConnection`] (a struct variant, so that a field it does
    /// not know is refused as on the others).
    DropConnection {},
    /// [`Fault::DropAfterProcessing`].
    DropAfterProcessing {},
    /// [`Fault::DropDuringBody`].
    #[serde(rename_all = "camelCase")]
    DropDuringBody {
        status: u16,
        #[serde(default)]
        partial_body: String,
    },
    /// [`Fault::Encoded`]: the body is binary (a gzip stream cut short,
    /// say), so it travels as base64.
    #[serde(rename_all = "camelCase")]
    Encoded {
        status: u16,
        #[serde(default = "gzip")]
        content_encoding: String,
        body_base64: String,
    },
}

/// A header value the document allows: printable ASCII and spaces, which
/// every HTTP stack sends as given.
fn printable(what: &str, value: &str) -> Result<(), String> {
    if value.chars().all(|c| (' '..='~').contains(&c)) {
        Ok(())
    } else {
        Err(format!(
            "{what} {value:?} holds more than printable ASCII, as a header value must"
        ))
    }
}

fn once() -> usize {
    1
}

fn json_type() -> String {
    "application/json".to_owned()
}

fn gzip() -> String {
    "gzip".to_owned()
}

/// Bytes written as base64 (the standard alphabet, padded, as the
/// document's pattern has it), or why they are not.
fn base64_bytes(what: &str, text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|err| format!("{what} is not valid base64 (standard alphabet, padded): {err}"))
}

impl FaultForm {
    /// The mock's fault, or why this one cannot be sent: a status that is
    /// not an HTTP status, a `Retry-After` or `Content-Encoding` that is not
    /// a header value, a body that is not base64, a delay over an hour.
    pub(in crate::mock) fn into_fault(self) -> Result<Fault, String> {
        let status_of = |status: u16| {
            if (100..=599).contains(&status) {
                Ok(status)
            } else {
                Err(format!(
                    "status {status} is not an HTTP status (100 to 599)"
                ))
            }
        };
        Ok(match self {
            FaultForm::Status {
                status,
                retry_after,
            } => {
                if let Some(value) = &retry_after {
                    printable("retryAfter", value)?;
                }
                Fault::Status {
                    status: status_of(status)?,
                    retry_after,
                }
            }
            FaultForm::Respond {
                status,
                content_type,
                body,
            } => {
                printable("contentType", &content_type)?;
                Fault::Respond {
                    status: status_of(status)?,
                    content_type,
                    body: body.into_bytes(),
                }
            }
            FaultForm::Delay { milliseconds } => {
                Fault::Delay(bounded_millis("a delay", milliseconds)?)
            }
            FaultForm::DropConnection {} => Fault::DropConnection,
            FaultForm::DropAfterProcessing {} => Fault::DropAfterProcessing,
            FaultForm::DropDuringBody {
                status,
                partial_body,
            } => Fault::DropDuringBody {
                status: status_of(status)?,
                partial_body: partial_body.into_bytes(),
            },
            FaultForm::Encoded {
                status,
                content_encoding,
                body_base64,
            } => {
                let status = status_of(status)?;
                printable("contentEncoding", &content_encoding)?;
                Fault::Encoded {
                    status,
                    content_encoding,
                    body: base64_bytes("bodyBase64", &body_base64)?,
                }
            }
        })
    }
}

/// `POST /_mock/webhook-faults`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::mock) struct WebhookFaultsRequest {
    pub(in crate::mock) fault: WebhookFaultForm,
    #[serde(default = "once")]
    pub(in crate::mock) times: usize,
}

/// A [`WebhookFault`] by name.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(in crate::mock) enum WebhookFaultForm {
    Duplicate,
    OutOfOrder,
    BadSignature,
    Stale,
}

impl From<WebhookFaultForm> for WebhookFault {
    fn from(form: WebhookFaultForm) -> Self {
        match form {
            WebhookFaultForm::Duplicate => WebhookFault::Duplicate,
            WebhookFaultForm::OutOfOrder => WebhookFault::OutOfOrder,
            WebhookFaultForm::BadSignature => WebhookFault::BadSignature,
            WebhookFaultForm::Stale => WebhookFault::Stale,
        }
    }
}

/// `PUT .../status`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::mock) struct StatusRequest {
    pub(in crate::mock) status: ConnectionStatus,
}

/// `PUT /_mock/rate-limit`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(in crate::mock) struct RateLimitRequest {
    pub(in crate::mock) limit: u64,
    #[serde(default = "minute_ms")]
    pub(in crate::mock) window_milliseconds: u64,
}

fn minute_ms() -> u64 {
    60_000
}

/// `PUT /_mock/latency`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::mock) struct LatencyRequest {
    pub(in crate::mock) milliseconds: u64,
}

/// `PUT /_mock/compression`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::mock) struct CompressionRequest {
    pub(in crate::mock) enabled: bool,
}

/// `PUT /_mock/webhooks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::mock) struct WebhooksRequest {
    url: String,
    pub(in crate::mock) secret: String,
}

impl WebhooksRequest {
    /// The endpoint, when it is an `http` or `https` URI as RFC 3986 writes
    /// one (ASCII, nothing a URI must not hold): the `url` crate would take
    /// and rewrite more, such as a host in another script.
    pub(in crate::mock) fn url(&self) -> Result<crate::Url, String> {
        let text = &self.url;
        let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c);
        let host = text
            .strip_prefix("http://")
            .or_else(|| text.strip_prefix("https://"))
            .and_then(|rest| rest.chars().next());
        let http = host.is_some_and(|c| !"/?#".contains(c));
        match text.parse::<crate::Url>() {
            Ok(url) if http && text.chars().all(allowed) => Ok(url),
            _ => Err(format!("url {text:?} is not an http or https URI")),
        }
    }
}

/// The longest delay or latency the control API accepts, checked.
pub(in crate::mock) fn bounded_millis(what: &str, milliseconds: u64) -> Result<Duration, String> {
    if milliseconds > LONGEST_DELAY_MS {
        return Err(format!(
            "{what} of {milliseconds} ms is over the hour the mock allows"
        ));
    }
    Ok(Duration::from_millis(milliseconds))
}

/// Headers as the control API writes them: name and value, in order.
fn headers(headers: &[(String, String)]) -> Value {
    headers
        .iter()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect()
}

/// A request the mock received, as `GET /_mock/requests` lists it (the body
/// as text, bytes that are not UTF-8 replaced; no `query` without one).
pub(in crate::mock) fn received(request: &ReceivedRequest) -> Value {
    let mut value = json!({
        "method": request.method,
        "path": request.path,
        "headers": headers(&request.headers),
        "body": String::from_utf8_lossy(&request.body),
    });
    if let Some(query) = &request.query {
        value["query"] = json!(query);
    }
    value
}

/// A webhook delivery attempt, as `GET /_mock/webhook-deliveries` lists it:
/// the endpoint's `status`, or the `error` when it gave no answer.
pub(in crate::mock) fn delivery(delivery: &WebhookDelivery) -> Value {
    let mut value = json!({
        "eventType": delivery.event_type,
        "eventId": delivery.event_id,
        "messageId": delivery.message_id,
        "attempt": delivery.attempt,
        "headers": headers(&delivery.headers),
        "body": String::from_utf8_lossy(&delivery.body),
        "accepted": delivery.outcome.is_accepted(),
    });
    match &delivery.outcome {
        DeliveryOutcome::Answered(status) => value["status"] = json!(status),
        DeliveryOutcome::Failed(why) => value["error"] = json!(why),
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_read_as_the_document_writes_them() {
        let read = |text: &str| {
            serde_json::from_str::<FaultsRequest>(text)
                .map_err(|err| err.to_string())
                .and_then(|request| request.fault.into_fault())
        };
        assert_eq!(
            read(r#"{"fault": {"kind": "status", "status": 429, "retryAfter": "1"}}"#),
            Ok(Fault::Status {
                status: 429,
                retry_after: Some("1".into())
            })
        );
        assert_eq!(
            read(r#"{"fault": {"kind": "delay", "milliseconds": 5}, "times": 2}"#),
            Ok(Fault::Delay(Duration::from_millis(5)))
        );
        assert_eq!(
            read(r#"{"fault": {"kind": "dropConnection"}}"#),
            Ok(Fault::DropConnection)
        );
        let unknown = read(r#"{"fault": {"kind": "explode"}}"#).unwrap_err();
        assert!(
            unknown.contains("explode") && unknown.contains("dropConnection"),
            "{unknown}"
        );
        let status = read(r#"{"fault": {"kind": "status", "status": 99}}"#).unwrap_err();
        assert!(status.contains("not an HTTP status"), "{status}");
        let extra = read(r#"{"fault": {"kind": "status", "status": 500, "colour": 1}}"#);
        assert!(extra.unwrap_err().contains("colour"));
        let extra = read(r#"{"fault": {"kind": "dropAfterProcessing", "colour": 1}}"#);
        assert!(extra.unwrap_err().contains("colour"));
        let long = read(r#"{"fault": {"kind": "delay", "milliseconds": 3600001}}"#);
        assert!(long.unwrap_err().contains("hour"));
    }

    #[test]
    fn an_encoded_fault_carries_its_body_as_base64() {
        let read = |fault: &str| {
            serde_json::from_str::<FaultsRequest>(&format!(r#"{{"fault": {fault}}}"#))
                .map_err(|err| err.to_string())
                .and_then(|request| request.fault.into_fault())
        };
        assert_eq!(
            read(
                r#"{"kind": "encoded", "status": 200, "contentEncoding": "br", "bodyBase64": "H4sIAA=="}"#
            ),
            Ok(Fault::Encoded {
                status: 200,
                content_encoding: "br".into(),
                body: vec![0x1f, 0x8b, 0x08, 0x00],
            })
        );
        assert_eq!(
            read(r#"{"kind": "encoded", "status": 502, "bodyBase64": ""}"#),
            Ok(Fault::Encoded {
                status: 502,
                content_encoding: "gzip".into(),
                body: Vec::new(),
            }),
            "gzip unless said otherwise; an empty body is a body"
        );
        for (fault, why) in [
            (
                r#"{"kind": "encoded", "status": 200, "bodyBase64": "H4s*"}"#,
                "bodyBase64 is not valid base64",
            ),
            (
                r#"{"kind": "encoded", "status": 200, "bodyBase64": "H4sIAA"}"#,
                "bodyBase64 is not valid base64",
            ),
            (
                r#"{"kind": "encoded", "status": 200, "bodyBase64": "QR=="}"#,
                "bodyBase64 is not valid base64",
            ),
            (
                r#"{"kind": "encoded", "status": 600, "bodyBase64": ""}"#,
                "not an HTTP status",
            ),
            (
                r#"{"kind": "encoded", "status": 200, "contentEncoding": "gz\nip", "bodyBase64": ""}"#,
                "printable ASCII",
            ),
            (
                r#"{"kind": "encoded", "status": 200, "contentEncoding": "gzïp", "bodyBase64": ""}"#,
                "printable ASCII",
            ),
            (r#"{"kind": "encoded", "status": 200}"#, "bodyBase64"),
            (
                r#"{"kind": "encoded", "status": 200, "bodyBase64": "", "body": "x"}"#,
                "unknown field `body`",
            ),
        ] {
            let refused = read(fault).unwrap_err();
            assert!(refused.contains(why), "{fault}: {refused}");
        }
    }

    #[test]
    fn compression_is_switched_by_enabled_alone() {
        let read = |text: &str| {
            serde_json::from_str::<CompressionRequest>(text)
                .map(|request| request.enabled)
                .map_err(|err| err.to_string())
        };
        assert_eq!(read(r#"{"enabled": false}"#), Ok(false));
        assert_eq!(read(r#"{"enabled": true}"#), Ok(true));
        assert!(read(r#"{}"#).unwrap_err().contains("enabled"));
        assert!(read(r#"{"enabled": "no"}"#).is_err());
        let extra = read(r#"{"enabled": true, "level": 9}"#).unwrap_err();
        assert!(extra.contains("level"), "{extra}");
    }
}
