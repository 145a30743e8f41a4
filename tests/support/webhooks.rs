//! Webhook deliveries as Codat signs them: the secrets, the clock the
//! verification tests stand at, and the example events of Codat's document.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use codat_connections::webhooks::{ConnectionEvent, WebhookError, Webhooks};
use http::HeaderMap;
use serde_json::Value;

/// The signing secret of the receiving endpoint.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// Another endpoint's secret: what a forger might sign with.
pub const OTHER_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
/// The time the verification tests stand at, in seconds since the epoch.
pub const NOW: i64 = 1_764_150_000;
/// The `webhook-id` of the deliveries signed here.
pub const MESSAGE_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";

/// `NOW` as the clock `Webhooks::verify_at` reads.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW.unsigned_abs())
}

/// The verifier of the endpoint whose secret is `SECRET`.
pub fn webhooks() -> Webhooks {
    Webhooks::new(SECRET).expect("SECRET is a signing secret")
}

/// The headers Codat would send for `body`, signed with `secret` at `timestamp`.
pub fn signed(secret: &str, timestamp: i64, body: &[u8]) -> HeaderMap {
    Webhooks::new(secret)
        .expect("a signing secret")
        .sign(MESSAGE_ID, timestamp, body)
        .to_header_map()
}

/// `event` as the bytes of a delivery.
pub fn body_of(event: &Value) -> Vec<u8> {
    serde_json::to_vec(event).expect("JSON serialises")
}

/// `body` signed with `SECRET` now, as the endpoint verifies it now.
pub fn verify_signed(body: &[u8]) -> Result<ConnectionEvent, WebhookError> {
    webhooks().verify_at(&signed(SECRET, NOW, body), body, now())
}

/// The example events in openapi/connections.json: event type, example
/// name and event.
pub fn documented_examples() -> Vec<(String, String, Value)> {
    let doc = super::schema::connections_document();
    let mut out = Vec::new();
    for (event_type, item) in doc["x-codat-webhooks"].as_object().expect("webhooks") {
        let examples = item
            .pointer("/post/requestBody/content/application~1json/examples")
            .and_then(Value::as_object)
            .expect("each webhook has examples");
        for (name, example) in examples {
            out.push((event_type.clone(), name.clone(), example["value"].clone()));
        }
    }
    out
}

/// Codat's example of a connection the customer de-authorized.
pub fn disconnected_example() -> Value {
    documented_examples()
        .into_iter()
        .find(|(event_type, name, _)| {
            event_type == "connection.disconnected" && name == "De-authorized"
        })
        .expect("the document has the De-authorized example")
        .2
}
