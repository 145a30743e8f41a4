//! Webhook verification and decoding: every way a delivery can be forged,
//! replayed, truncated or odd, and what `Webhooks` answers. Each case becomes
//! a row of RELIABILITY.md.

mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use codat_connections::webhooks::{ConnectionEvent, WebhookError, Webhooks};
use codat_connections::{ConnectionStatus, Reauthorization};
use http::HeaderMap;
use proptest::prelude::*;
use serde_json::{json, Value};

const AREA: &str = "Webhooks";
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const NOW: u64 = 1_764_150_000;
const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

fn webhooks() -> Webhooks {
    Webhooks::new(SECRET).unwrap()
}

/// The headers Codat would send for `body`, signed with `secret` at `timestamp`.
fn signed(secret: &str, timestamp: i64, body: &[u8]) -> HeaderMap {
    Webhooks::new(secret)
        .unwrap()
        .sign(ID, timestamp, body)
        .to_header_map()
}

/// The example events in Codat's document, by event type and example name.
fn documented_examples() -> Vec<(String, String, Value)> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/connections.json"),
    )
    .unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for (event_type, item) in doc["x-codat-webhooks"].as_object().unwrap() {
        let examples = item
            .pointer("/post/requestBody/content/application~1json/examples")
            .and_then(Value::as_object)
            .unwrap();
        for (name, example) in examples {
            out.push((event_type.clone(), name.clone(), example["value"].clone()));
        }
    }
    out
}

fn disconnected_example() -> Value {
    documented_examples()
        .into_iter()
        .find(|(t, name, _)| t == "connection.disconnected" && name == "De-authorized")
        .unwrap()
        .2
}

fn body_of(event: &Value) -> Vec<u8> {
    serde_json::to_vec(event).unwrap()
}

/// The event types ConnectionEvent has a variant for. Codat removing one
/// breaks receivers (the tests below fail); Codat adding one does not (it
/// decodes as Unknown).
const KNOWN: [&str; 6] = [
    "connection.created",
    "connection.connected",
    "connection.failed",
    "connection.disconnected",
    "connection.reconnected",
    "connection.deleted",
];

#[test]
fn every_documented_example_verifies_and_decodes_as_its_event_type() {
    let examples = documented_examples();
    let types: std::collections::BTreeSet<&str> =
        examples.iter().map(|(t, _, _)| t.as_str()).collect();
    for known in KNOWN {
        assert!(types.contains(known), "{known} is gone from the document");
    }
    for (event_type, name, event) in &examples {
        let body = body_of(event);
        let decoded = webhooks()
            .verify_at(&signed(SECRET, NOW as i64, &body), &body, now())
            .unwrap_or_else(|e| panic!("{event_type} {name}: {e}"));
        assert_eq!(decoded.event_type(), event_type);
        assert_eq!(decoded.id().to_string(), event["id"].as_str().unwrap());
        if !KNOWN.contains(&event_type.as_str()) {
            assert!(
                matches!(decoded, ConnectionEvent::Unknown { .. }),
                "{event_type}"
            );
            continue;
        }
        let connection = decoded.connection().unwrap();
        assert_eq!(
            connection.link_url,
            event["payload"]["connection"]["linkUrl"].as_str().unwrap()
        );
    }
    support::record(
        AREA,
        "each example event in Codat's document (six event types), signed",
        "verified and decoded as its own ConnectionEvent variant, with the event id and connection",
    );
}

/// Codat's published documents: `CODAT_UPSTREAM_DIR`, or `../shared/upstream`
/// beside the crate (as tests/drift.rs finds them).
fn upstream_documents() -> Vec<(String, Value)> {
    let dir = match std::env::var_os("CODAT_UPSTREAM_DIR") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/upstream"),
    };
    assert!(
        dir.join("history").is_dir(),
        "Codat's documents are not at {}: set CODAT_UPSTREAM_DIR",
        dir.display()
    );
    let mut paths: Vec<_> = std::fs::read_dir(dir.join("history"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths.push(dir.join("Codat-Platform.json"));
    paths
        .into_iter()
        .map(|p| {
            let doc = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), doc)
        })
        .collect()
}

/// Every example event a published document gives for the connection
/// webhooks: under each webhook (from 2025-06) or, before that, in the
/// `ConnectionWebhook` schema's `examples`.
fn example_events(doc: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    if let Some(webhooks) = doc.get("webhooks").and_then(Value::as_object) {
        for (event_type, item) in webhooks
            .iter()
            .filter(|(t, _)| t.starts_with("connection."))
        {
            let examples = item
                .pointer("/post/requestBody/content/application~1json/examples")
                .and_then(Value::as_object)
                .into_iter()
                .flatten();
            for (name, example) in examples {
                out.push((format!("{event_type} {name}"), example["value"].clone()));
            }
        }
    }
    let schema_examples = doc
        .pointer("/components/schemas/ConnectionWebhook/examples")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    for (i, example) in schema_examples.enumerate() {
        out.push((format!("ConnectionWebhook example {i}"), example.clone()));
    }
    out
}

#[test]
fn the_example_events_of_every_published_version_decode() {
    let mut versions_with_examples = Vec::new();
    let mut misnamed = 0;
    let mut numeric_codes = 0;
    // `event` with the first data connection error's statusCode set to `code`.
    let event_with = |event: &Value, code: &Value| {
        let mut e = event.clone();
        e["payload"]["connection"]["dataConnectionErrors"][0]["statusCode"] = code.clone();
        e
    };
    for (name, doc) in upstream_documents() {
        let examples = example_events(&doc);
        for (example, mut event) in examples.iter().cloned() {
            // Codat's examples of September 2024 name the event type `type`,
            // against their own schema (`eventType`); later documents fixed
            // the examples. A body without `eventType` is not an event.
            if let Some(event_type) = event.as_object_mut().and_then(|e| e.remove("type")) {
                let wrong = body_of(&{
                    let mut e = event.clone();
                    e["type"] = event_type.clone();
                    e
                });
                let err = webhooks()
                    .verify_at(&signed(SECRET, NOW as i64, &wrong), &wrong, now())
                    .unwrap_err();
                assert!(matches!(err, WebhookError::NotAnEvent { .. }), "{err:?}");
                event["eventType"] = event_type;
                misnamed += 1;
            }
            // The same examples give a data connection error's `statusCode`
            // as a number (401), against the schema's string ("401" in later
            // examples and in the client's answers). Decoded like the
            // client's answers, strictly: not an event.
            let code = event
                .pointer("/payload/connection/dataConnectionErrors/0/statusCode")
                .filter(|c| c.is_number())
                .cloned();
            if let Some(code) = code {
                let numeric = body_of(&event);
                let err = webhooks()
                    .verify_at(&signed(SECRET, NOW as i64, &numeric), &numeric, now())
                    .unwrap_err();
                assert!(matches!(err, WebhookError::NotAnEvent { .. }), "{err:?}");
                event = event_with(&event, &json!(code.to_string()));
                numeric_codes += 1;
            }
            let body = body_of(&event);
            let decoded = webhooks()
                .verify_at(&signed(SECRET, NOW as i64, &body), &body, now())
                .unwrap_or_else(|e| panic!("{name} {example}: {e}"));
            assert_eq!(decoded.event_type(), event["eventType"], "{name} {example}");
            if KNOWN.contains(&decoded.event_type()) {
                assert!(decoded.connection().is_some(), "{name} {example}");
            } else {
                assert!(
                    matches!(decoded, ConnectionEvent::Unknown { .. }),
                    "{name} {example}"
                );
            }
        }
        if !examples.is_empty() {
            versions_with_examples.push(name);
        }
    }
    // Webhooks appear in Codat's document on 2024-09-23 (5a17935).
    assert_eq!(
        versions_with_examples.len(),
        7,
        "{versions_with_examples:?}"
    );
    assert!(
        versions_with_examples[0].starts_with("2024-09-23"),
        "{versions_with_examples:?}"
    );
    assert_eq!(misnamed, 18, "six examples in each of three versions");
    assert_eq!(numeric_codes, 3, "one example in each of three versions");
    support::record(
        AREA,
        "the example events of every published version of Codat's document with webhooks (2024-09-23 on)",
        "each verifies and decodes as its event type; the 2024-09 examples' `type` for `eventType`, and a numeric `statusCode`, both against their own schema, are NotAnEvent",
    );
}

#[test]
fn a_deauthorized_connection_event_gives_the_link_url() {
    let event = disconnected_example();
    let body = body_of(&event);
    let decoded = webhooks()
        .verify_at(&signed(SECRET, NOW as i64, &body), &body, now())
        .unwrap();
    let ConnectionEvent::Disconnected(change) = &decoded else {
        panic!("{decoded:?}");
    };
    assert_eq!(change.connection.status, ConnectionStatus::Deauthorized);
    let reauthorization = decoded.reauthorization().unwrap().unwrap();
    let Reauthorization::Required { link_url, .. } = &reauthorization else {
        panic!("{reauthorization:?}");
    };
    assert_eq!(
        link_url.as_str(),
        event["payload"]["connection"]["linkUrl"].as_str().unwrap()
    );
    // Every other event type has nothing to re-authorize.
    let mut created = event.clone();
    created["eventType"] = json!("connection.created");
    let body = body_of(&created);
    let decoded = webhooks()
        .verify_at(&signed(SECRET, NOW as i64, &body), &body, now())
        .unwrap();
    assert_eq!(decoded.reauthorization().unwrap(), None);
}

#[test]
fn a_tampered_body_is_refused() {
    let body = body_of(&disconnected_example());
    let headers = signed(SECRET, NOW as i64, &body);
    let mut tampered = body.clone();
    let at = tampered.iter().position(|b| *b == b'D').unwrap();
    tampered[at] = b'L'; // "Deauthorized" -> "Leauthorized"
    assert_eq!(
        webhooks().verify_at(&headers, &tampered, now()),
        Err(WebhookError::BadSignature)
    );
    let mut longer = body.clone();
    longer.push(b' ');
    assert_eq!(
        webhooks().verify_at(&headers, &longer, now()),
        Err(WebhookError::BadSignature)
    );
    assert!(webhooks().verify_at(&headers, &body, now()).is_ok());
    support::record(
        AREA,
        "tampered body (one byte changed, or a byte added)",
        "refused: WebhookError::BadSignature (answer 401)",
    );
}

#[test]
fn a_delivery_signed_with_another_secret_is_refused() {
    let body = body_of(&disconnected_example());
    let headers = signed(OTHER_SECRET, NOW as i64, &body);
    assert_eq!(
        webhooks().verify_at(&headers, &body, now()),
        Err(WebhookError::BadSignature)
    );
    support::record(
        AREA,
        "signed with another endpoint's secret",
        "refused: WebhookError::BadSignature (answer 401)",
    );
}

#[test]
fn stale_and_future_timestamps_are_refused_beyond_five_minutes() {
    let body = body_of(&disconnected_example());
    for (offset, accepted) in [(-301, false), (-300, true), (300, true), (301, false)] {
        let timestamp = NOW as i64 + offset;
        let result = webhooks().verify_at(&signed(SECRET, timestamp, &body), &body, now());
        if accepted {
            assert!(result.is_ok(), "{offset}: {result:?}");
        } else {
            assert_eq!(
                result,
                Err(WebhookError::TimestampOutOfTolerance {
                    skew_seconds: offset,
                    tolerance_seconds: 300
                }),
                "{offset}"
            );
        }
    }
    support::record(
        AREA,
        "stale timestamp (signed 301 s ago; a replay)",
        "refused: WebhookError::TimestampOutOfTolerance (answer 401); 300 s ago is accepted",
    );
    support::record(
        AREA,
        "future timestamp (301 s ahead)",
        "refused: WebhookError::TimestampOutOfTolerance (answer 401); 300 s ahead is accepted",
    );
}

#[test]
fn a_timestamp_that_is_not_seconds_is_refused() {
    let body = body_of(&disconnected_example());
    for bad in [
        "",
        "-1",
        "+1764150000",
        "1764150000.5",
        "1e9",
        " 1764150000",
        "99999999999999999999",
    ] {
        let mut headers = signed(SECRET, NOW as i64, &body);
        headers.insert("webhook-timestamp", bad.parse().unwrap());
        assert_eq!(
            webhooks().verify_at(&headers, &body, now()),
            Err(WebhookError::MalformedHeader {
                header: "webhook-timestamp"
            }),
            "{bad:?}"
        );
    }
    support::record(
        AREA,
        "timestamp not a number of seconds (empty, signed, fractional, exponent, overflowing)",
        "refused: WebhookError::MalformedHeader naming webhook-timestamp (answer 401)",
    );
}

#[test]
fn each_missing_header_is_named() {
    let body = body_of(&disconnected_example());
    for header in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let mut headers = signed(SECRET, NOW as i64, &body);
        headers.remove(header);
        assert_eq!(
            webhooks().verify_at(&headers, &body, now()),
            Err(WebhookError::MissingHeader { header }),
            "{header}"
        );
        support::record(
            AREA,
            &format!("`{header}` header missing"),
            &format!("refused: WebhookError::MissingHeader naming {header} (answer 401)"),
        );
    }
}

#[test]
fn several_signatures_verify_when_one_is_valid() {
    let body = body_of(&disconnected_example());
    let valid = webhooks().sign(ID, NOW as i64, &body).signature;
    let other = Webhooks::new(OTHER_SECRET)
        .unwrap()
        .sign(ID, NOW as i64, &body)
        .signature;
    let mut headers = signed(SECRET, NOW as i64, &body);
    for list in [
        format!("{other} {valid}"),
        format!("{valid} {other}"),
        format!("v1a,c29tZXRoaW5nIGVsc2U= {other} {valid}"),
    ] {
        headers.insert("webhook-signature", list.parse().unwrap());
        assert!(
            webhooks().verify_at(&headers, &body, now()).is_ok(),
            "{list}"
        );
    }
    headers.insert(
        "webhook-signature",
        format!("{other} v1a,{}", &valid[3..]).parse().unwrap(),
    );
    assert_eq!(
        webhooks().verify_at(&headers, &body, now()),
        Err(WebhookError::BadSignature)
    );
    support::record(
        AREA,
        "several signatures (secret rotation), one of them valid",
        "accepted, whatever its position; none valid (or the valid one under another version): BadSignature",
    );
}

#[test]
fn an_oversized_body_is_refused_before_its_signature_is_checked() {
    let webhooks = webhooks().max_body_bytes(1024);
    let body = vec![b' '; 1025];
    let headers = signed(SECRET, NOW as i64, &body);
    assert_eq!(
        webhooks.verify_at(&headers, &body, now()),
        Err(WebhookError::BodyTooLarge {
            size: 1025,
            limit: 1024
        })
    );
    assert_eq!(
        webhooks.verify_at(&HeaderMap::new(), &body, now()),
        Err(WebhookError::BodyTooLarge {
            size: 1025,
            limit: 1024
        })
    );
    let default_limit = codat_connections::webhooks::DEFAULT_MAX_WEBHOOK_BYTES;
    let big = vec![b' '; default_limit + 1];
    assert!(matches!(
        Webhooks::new(SECRET)
            .unwrap()
            .verify_at(&signed(SECRET, NOW as i64, &big), &big, now()),
        Err(WebhookError::BodyTooLarge { .. })
    ));
    support::record(
        AREA,
        "body over the limit (1 MiB by default), even correctly signed",
        "refused before hashing: WebhookError::BodyTooLarge (answer 400)",
    );
}

#[test]
fn a_signed_body_that_is_not_utf8_is_not_json() {
    let body = b"{\"id\": \"\xff\xfe\"}".to_vec();
    let err = webhooks()
        .verify_at(&signed(SECRET, NOW as i64, &body), &body, now())
        .unwrap_err();
    assert!(matches!(err, WebhookError::NotJson { .. }), "{err:?}");
    let unsigned = webhooks()
        .verify_at(&signed(OTHER_SECRET, NOW as i64, &body), &body, now())
        .unwrap_err();
    assert_eq!(unsigned, WebhookError::BadSignature);
    support::record(
        AREA,
        "non-UTF-8 body",
        "verified over its raw bytes, then refused: WebhookError::NotJson (answer 400)",
    );
}

#[test]
fn json_that_is_not_an_event_is_refused() {
    let cases: [(&[u8], &str); 6] = [
        (b"not json", "not JSON"),
        (b"[]", "an array"),
        (br#"{"id": "ba29118f-5406-4e59-b05c-ba307ca38d01"}"#, "no eventType"),
        (br#"{"eventType": "connection.created"}"#, "no id"),
        (
            br#"{"id": "x", "eventType": "connection.created"}"#,
            "id not a UUID",
        ),
        (
            br#"{"id": "ba29118f-5406-4e59-b05c-ba307ca38d01", "eventType": "connection.created", "payload": {}}"#,
            "known type without a connection",
        ),
    ];
    for (body, what) in cases {
        let err = webhooks()
            .verify_at(&signed(SECRET, NOW as i64, body), body, now())
            .unwrap_err();
        let expected = if what == "not JSON" {
            matches!(err, WebhookError::NotJson { .. })
        } else {
            matches!(err, WebhookError::NotAnEvent { .. })
        };
        assert!(expected, "{what}: {err:?}");
        assert!(!err.is_unauthenticated(), "{what}");
    }
    support::record(
        AREA,
        "signed JSON that is not an event (array, no eventType or id, id not a UUID, no connection)",
        "refused: WebhookError::NotAnEvent (answer 400); not JSON: WebhookError::NotJson",
    );
}

#[test]
fn an_unknown_event_type_is_kept_with_its_json() {
    let mut event = disconnected_example();
    event["eventType"] = json!("connection.paused");
    event["payload"]["why"] = json!("a field of tomorrow");
    let body = body_of(&event);
    let decoded = webhooks()
        .verify_at(&signed(SECRET, NOW as i64, &body), &body, now())
        .unwrap();
    let ConnectionEvent::Unknown {
        id,
        event_type,
        raw,
    } = &decoded
    else {
        panic!("{decoded:?}");
    };
    assert_eq!(event_type, "connection.paused");
    assert_eq!(id.to_string(), event["id"].as_str().unwrap());
    assert_eq!(raw, &event);
    assert_eq!(decoded.reauthorization().unwrap(), None);
    support::record(
        AREA,
        "unknown event type (`connection.paused`)",
        "kept: ConnectionEvent::Unknown with its id, type and whole JSON",
    );
}

#[test]
fn extra_fields_and_unknown_values_are_ignored() {
    let mut event = disconnected_example();
    event["newTopLevel"] = json!({"nested": [1, 2]});
    event["payload"]["newInPayload"] = json!(true);
    event["payload"]["referenceCompany"]["newInCompany"] = json!("x");
    event["payload"]["connection"]["newInConnection"] = json!(42);
    event["payload"]["connection"]["status"] = json!("Suspended");
    event["payload"]["connection"]["sourceType"] = json!("Payroll");
    event["generatedDate"] = json!("2024-08-08T17:10:34");
    // More tags, and longer, than Codat documents today.
    let tags: serde_json::Map<String, Value> = (0..12)
        .map(|i| (format!("tag{i}"), json!("x".repeat(150))))
        .collect();
    event["payload"]["referenceCompany"]["tags"] = Value::Object(tags);
    let body = body_of(&event);
    let decoded = webhooks()
        .verify_at(&signed(SECRET, NOW as i64, &body), &body, now())
        .unwrap();
    let change = decoded.change().unwrap();
    assert_eq!(
        change.connection.status,
        ConnectionStatus::Unknown("Suspended".into())
    );
    assert!(change.generated_date.is_some());
    assert_eq!(
        change
            .company
            .as_ref()
            .unwrap()
            .tags
            .as_ref()
            .unwrap()
            .len(),
        12
    );
    support::record(
        AREA,
        "extra fields at every level, unknown status and source type, a date without offset, more and longer company tags than documented",
        "decoded: unknown fields ignored, open enums keep the value, Codat's date forms accepted",
    );
}

#[test]
fn both_header_spellings_are_accepted() {
    let body = body_of(&disconnected_example());
    let signed = webhooks().sign(ID, NOW as i64, &body);
    let timestamp = signed.timestamp.to_string();
    let svix = [
        ("svix-id", ID),
        ("svix-timestamp", timestamp.as_str()),
        ("svix-signature", signed.signature.as_str()),
    ];
    let standard = [
        ("Webhook-Id", ID),
        ("Webhook-Timestamp", timestamp.as_str()),
        ("Webhook-Signature", signed.signature.as_str()),
    ];
    assert!(webhooks().verify_at(&svix, &body, now()).is_ok());
    assert!(webhooks().verify_at(&standard, &body, now()).is_ok());
    let mut map = HeaderMap::new();
    for (name, value) in svix {
        map.insert(name, value.parse().unwrap());
    }
    assert!(webhooks().verify_at(&map, &body, now()).is_ok());
    // A bad signature under either spelling is still refused.
    let forged = [
        ("svix-id", ID),
        ("svix-timestamp", timestamp.as_str()),
        (
            "svix-signature",
            "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ),
    ];
    assert_eq!(
        webhooks().verify_at(&forged, &body, now()),
        Err(WebhookError::BadSignature)
    );
    support::record(
        AREA,
        "headers spelt `svix-id/-timestamp/-signature` or `webhook-*` (any case)",
        "both accepted, as http::HeaderMap or name-value pairs",
    );
}

#[test]
fn a_secret_without_its_prefix_is_the_same_secret() {
    let body = body_of(&disconnected_example());
    let headers = signed(SECRET, NOW as i64, &body);
    let bare = SECRET.trim_start_matches("whsec_");
    assert!(Webhooks::new(bare)
        .unwrap()
        .verify_at(&headers, &body, now())
        .is_ok());
    for malformed in ["", "whsec_", "whsec_not base64!", "whsec_====", "   "] {
        let err = Webhooks::new(malformed).unwrap_err();
        assert!(
            matches!(err, WebhookError::MalformedSecret { .. }),
            "{malformed:?}: {err:?}"
        );
    }
    support::record(
        AREA,
        "secret without the `whsec_` prefix",
        "accepted as the same key; an empty or non-base64 secret: WebhookError::MalformedSecret",
    );
}

#[test]
fn the_secret_is_in_no_error_or_debug_output() {
    let bare = SECRET.trim_start_matches("whsec_");
    let webhooks = webhooks();
    let body = body_of(&disconnected_example());
    let mut printed = format!("{webhooks:?}");
    for headers in [
        HeaderMap::new(),
        signed(OTHER_SECRET, NOW as i64, &body),
        signed(SECRET, 0, &body),
    ] {
        let err = webhooks.verify_at(&headers, &body, now()).unwrap_err();
        printed.push_str(&format!("{err} {err:?}"));
    }
    let err = Webhooks::new(&format!("{SECRET}!")).unwrap_err();
    printed.push_str(&format!("{err} {err:?}"));
    assert!(!printed.contains(bare), "{printed}");
    assert!(!printed.contains(&bare[..8]), "{printed}");
    support::record(
        AREA,
        "the signing secret, in Debug of Webhooks and in every error",
        "never shown ([redacted])",
    );
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("webhook-id".to_owned()),
        Just("webhook-timestamp".to_owned()),
        Just("webhook-signature".to_owned()),
        Just("svix-id".to_owned()),
        Just("svix-timestamp".to_owned()),
        Just("svix-signature".to_owned()),
        "[a-zA-Z-]{1,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn verification_never_panics_and_refuses_arbitrary_input(
        headers in proptest::collection::vec((header_name(), proptest::collection::vec(any::<u8>(), 0..80)), 0..8),
        body in proptest::collection::vec(any::<u8>(), 0..512),
        now_seconds in any::<u32>(),
    ) {
        let now = UNIX_EPOCH + Duration::from_secs(u64::from(now_seconds));
        let result = webhooks().verify_at(&headers, &body, now);
        prop_assert!(result.is_err());
    }

    #[test]
    fn verification_accepts_exactly_what_was_signed(
        body in proptest::collection::vec(any::<u8>(), 0..512),
        id in "[a-zA-Z0-9_]{1,40}",
        skew in -300i64..=300,
        flip in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let timestamp = NOW as i64 + skew;
        let signature = webhooks().sign(&id, timestamp, &body).signature;
        let headers = [
            ("webhook-id", id.clone()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature.clone()),
        ];
        let verified = webhooks().verify_raw_at(&headers, &body, now());
        prop_assert!(verified.is_ok(), "{:?}", verified);
        prop_assert_eq!(verified.unwrap().body, body.as_slice());

        // Any one bit changed in the body, or another secret: refused.
        if !body.is_empty() {
            let mut changed = body.clone();
            changed[flip.index(body.len())] ^= 1 << bit;
            prop_assert_eq!(
                webhooks().verify_raw_at(&headers, &changed, now()),
                Err(WebhookError::BadSignature)
            );
        }
        prop_assert_eq!(
            Webhooks::new(OTHER_SECRET).unwrap().verify_raw_at(&headers, &body, now()),
            Err(WebhookError::BadSignature)
        );
        // Another id or timestamp under the same signature: refused.
        let other_id = [
            ("webhook-id", format!("{id}x")),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature.clone()),
        ];
        prop_assert_eq!(
            webhooks().verify_raw_at(&other_id, &body, now()),
            Err(WebhookError::BadSignature)
        );
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Z0-9 .:-]{0,20}".prop_map(Value::from),
        Just(json!("ba29118f-5406-4e59-b05c-ba307ca38d01")),
        Just(json!("connection.disconnected")),
        Just(json!("2024-08-08T17:10:34.015Z")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("id".to_owned()),
                    Just("eventType".to_owned()),
                    Just("payload".to_owned()),
                    Just("connection".to_owned()),
                    Just("status".to_owned()),
                    "[a-z]{1,8}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_signed_body_of_any_json_decodes_or_is_refused_without_panic(value in json_value()) {
        let body = body_of(&value);
        let result = webhooks().verify_at(&signed(SECRET, NOW as i64, &body), &body, now());
        match result {
            Ok(event) => {
                prop_assert_eq!(Some(event.event_type()), value["eventType"].as_str());
            }
            Err(err) => prop_assert!(
                matches!(err, WebhookError::NotAnEvent { .. } | WebhookError::NotJson { .. }),
                "{:?}", err
            ),
        }
    }
}

#[test]
fn property_tests_are_recorded() {
    support::record(
        AREA,
        "property: arbitrary headers (both spellings and others, arbitrary bytes) and bodies",
        "never a panic, never accepted",
    );
    support::record(
        AREA,
        "property: arbitrary bodies signed with the secret, within the tolerance",
        "accepted; one bit changed, another secret or another id: BadSignature",
    );
    support::record(
        AREA,
        "property: arbitrary JSON (event-like keys and values), correctly signed",
        "decoded with its own eventType, or NotAnEvent / NotJson; never a panic",
    );
}

/// The mock sends Codat's connection webhooks to a receiver built on this
/// crate's API, as a user's service would be.
#[cfg(feature = "mock")]
mod from_the_mock {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use axum::body::Bytes;
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use codat_connections::mock::{
        DeliveryOutcome, MockCodat, WebhookFault, MAX_DELIVERY_ATTEMPTS,
    };
    use codat_connections::webhooks::{ConnectionEvent, Webhooks};
    use codat_connections::{ConnectionStatus, Reauthorization, Url};
    use tokio::sync::mpsc;

    use super::{support, AREA, SECRET};

    #[derive(Clone)]
    struct Shared {
        webhooks: Arc<Webhooks>,
        events: mpsc::UnboundedSender<ConnectionEvent>,
        refuse_next: Arc<AtomicUsize>,
    }

    /// A receiver as a user writes it: verify, queue, answer.
    struct Receiver {
        url: Url,
        events: mpsc::UnboundedReceiver<ConnectionEvent>,
        refuse_next: Arc<AtomicUsize>,
    }

    impl Receiver {
        async fn start() -> Receiver {
            let (events, receiver) = mpsc::unbounded_channel();
            let refuse_next = Arc::new(AtomicUsize::new(0));
            let shared = Shared {
                webhooks: Arc::new(Webhooks::new(SECRET).unwrap()),
                events,
                refuse_next: refuse_next.clone(),
            };
            let app = axum::Router::new().fallback(receive).with_state(shared);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/codat/webhooks", listener.local_addr().unwrap())
                .parse()
                .unwrap();
            tokio::spawn(async move { axum::serve(listener, app).await });
            Receiver {
                url,
                events: receiver,
                refuse_next,
            }
        }

        async fn next(&mut self) -> ConnectionEvent {
            tokio::time::timeout(Duration::from_secs(5), self.events.recv())
                .await
                .expect("an event within 5 s")
                .expect("the receiver is running")
        }

        fn nothing_more(&mut self) -> bool {
            self.events.try_recv().is_err()
        }
    }

    async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
        if shared
            .refuse_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return StatusCode::SERVICE_UNAVAILABLE;
        }
        match shared.webhooks.verify(&headers, &body) {
            Ok(event) => {
                let _ = shared.events.send(event);
                StatusCode::NO_CONTENT
            }
            Err(err) if err.is_unauthenticated() => StatusCode::UNAUTHORIZED,
            Err(_) => StatusCode::BAD_REQUEST,
        }
    }

    #[tokio::test]
    async fn a_deauthorized_connection_reaches_the_receiver_with_the_clients_link_url() {
        let codat = MockCodat::start().await.unwrap();
        let company = codat.add_company();
        let connection =
            codat.add_connection(company, "gbol".parse().unwrap(), ConnectionStatus::Linked);
        let mut receiver = Receiver::start().await;
        codat
            .send_webhooks_to(receiver.url.clone(), SECRET)
            .unwrap();

        codat.set_status(company, connection, ConnectionStatus::Deauthorized);

        let event = receiver.next().await;
        let ConnectionEvent::Disconnected(change) = &event else {
            panic!("{event:?}");
        };
        assert_eq!(change.connection.id, connection);
        assert_eq!(change.company.as_ref().unwrap().id, Some(company));
        let from_event = event.reauthorization().unwrap().unwrap();
        let from_client = codat
            .client()
            .unwrap()
            .connections()
            .reauthorization(company, connection)
            .await
            .unwrap();
        let Reauthorization::Required { link_url, .. } = &from_event else {
            panic!("{from_event:?}");
        };
        assert_eq!(Some(link_url), from_client.required_link_url());

        let deliveries = codat.wait_for_webhook_deliveries(1).await;
        assert_eq!(deliveries.len(), 1);
        assert_eq!(deliveries[0].event_type, "connection.disconnected");
        assert_eq!(deliveries[0].event_id, event.id());
        assert_eq!(deliveries[0].outcome, DeliveryOutcome::Answered(204));
        assert!(receiver.nothing_more());
        support::record(
            AREA,
            "mock moves a connection to Deauthorized; its signed connection.disconnected reaches a receiver",
            "verified and decoded; reauthorization() gives the same link URL as the client's, with no request",
        );
    }

    #[tokio::test]
    async fn each_change_of_a_connection_sends_its_event_in_order() {
        let codat = MockCodat::start().await.unwrap();
        let company = codat.add_company();
        let mut receiver = Receiver::start().await;
        codat
            .send_webhooks_to(receiver.url.clone(), SECRET)
            .unwrap();
        let client = codat.client().unwrap();

        let created = client.connections().create(company, "gbol").await.unwrap();
        codat.fail_linking(company, created.id);
        codat.set_status(company, created.id, ConnectionStatus::Linked);
        client
            .connections()
            .unlink(company, created.id)
            .await
            .unwrap();
        codat.set_status(company, created.id, ConnectionStatus::Linked);
        codat.set_status(company, created.id, ConnectionStatus::Linked); // no change, no event
        client
            .connections()
            .delete(company, created.id)
            .await
            .unwrap();

        let mut seen = Vec::new();
        for _ in 0..6 {
            let event = receiver.next().await;
            assert_eq!(event.connection().unwrap().id, created.id);
            seen.push((
                event.event_type().to_owned(),
                event.connection().unwrap().status.clone(),
            ));
        }
        assert_eq!(
            seen,
            [
                (
                    "connection.created".to_owned(),
                    ConnectionStatus::PendingAuth
                ),
                (
                    "connection.failed".to_owned(),
                    ConnectionStatus::PendingAuth
                ),
                ("connection.connected".to_owned(), ConnectionStatus::Linked),
                (
                    "connection.disconnected".to_owned(),
                    ConnectionStatus::Unlinked
                ),
                (
                    "connection.reconnected".to_owned(),
                    ConnectionStatus::Linked
                ),
                ("connection.deleted".to_owned(), ConnectionStatus::Linked),
            ]
        );
        let deliveries = codat.wait_for_webhook_deliveries(6).await;
        assert_eq!(deliveries.len(), 6);
        assert!(deliveries.iter().all(|d| d.outcome.is_accepted()));
        support::record(
            AREA,
            "mock: create a connection, fail to link it, link, unlink, re-link, delete it",
            "connection.created, .failed, .connected, .disconnected, .reconnected, .deleted delivered in order, signed",
        );
    }

    #[tokio::test]
    async fn a_duplicate_delivery_carries_the_same_event_id() {
        let codat = MockCodat::start().await.unwrap();
        let company = codat.add_company();
        let connection =
            codat.add_connection(company, "gbol".parse().unwrap(), ConnectionStatus::Linked);
        let mut receiver = Receiver::start().await;
        codat
            .send_webhooks_to(receiver.url.clone(), SECRET)
            .unwrap();
        codat.inject_webhook_fault(WebhookFault::Duplicate, 1);

        codat.set_status(company, connection, ConnectionStatus::Deauthorized);

        let first = receiver.next().await;
        let second = receiver.next().await;
        assert_eq!(first.id(), second.id(), "de-duplicate on the event id");
        let deliveries = codat.wait_for_webhook_deliveries(2).await;
        assert_eq!(deliveries.len(), 2);
        assert_eq!(deliveries[0].message_id, deliveries[1].message_id);
        support::record(
            AREA,
            "mock fault: the same event delivered twice",
            "both verify; ConnectionEvent::id is the same, for the receiver to de-duplicate",
        );
    }

    #[tokio::test]
    async fn an_out_of_order_delivery_arrives_after_the_next_event() {
        let codat = MockCodat::start().await.unwrap();
        let company = codat.add_company();
        let connection = codat.add_connection(
            company,
            "gbol".parse().unwrap(),
            ConnectionStatus::PendingAuth,
        );
        let mut receiver = Receiver::start().await;
        codat
            .send_webhooks_to(receiver.url.clone(), SECRET)
            .unwrap();
        codat.inject_webhook_fault(WebhookFault::OutOfOrder, 1);

        codat.set_status(company, connection, ConnectionStatus::Linked);
        codat.set_status(company, connection, ConnectionStatus::Deauthorized);

        let first = receiver.next().await;
        let second = receiver.next().await;
        assert_eq!(first.event_type(), "connection.disconnected");
        assert_eq!(second.event_type(), "connection.connected");
        // generatedDate tells the receiver which came first.
        let generated =
            |e: &ConnectionEvent| e.change().unwrap().generated_date.unwrap().naive_local();
        assert!(generated(&first) >= generated(&second));
        support::record(
            AREA,
            "mock fault: an event delivered after the one that followed it",
            "both verify; generatedDate orders them",
        );
    }

    #[tokio::test]
    async fn a_delivery_the_endpoint_refuses_is_retried_until_accepted() {
        let codat = MockCodat::start().await.unwrap();
        let company = codat.add_company();
        let connection =
            codat.add_connection(company, "gbol".parse().unwrap(), ConnectionStatus::Linked);
        let mut receiver = Receiver::start().await;
        receiver.refuse_next.store(1, Ordering::SeqCst);
        codat
            .send_webhooks_to(receiver.url.clone(), SECRET)
            .unwrap();

        codat.set_status(company, connection, ConnectionStatus::Unlinked);

        assert_eq!(
            receiver.next().await.event_type(),
            "connection.disconnected"
        );
        let deliveries = codat.wait_for_webhook_deliveries(2).await;
        let outcomes: Vec<_> = deliveries
            .iter()
            .map(|d| (d.attempt, d.outcome.clone()))
            .collect();
        assert_eq!(
            outcomes,
            [
                (1, DeliveryOutcome::Answered(503)),
                (2, DeliveryOutcome::Answered(204))
            ]
        );
        support::record(
            AREA,
            "mock: the endpoint answers 503 to a delivery",
            "retried (same message id); the next attempt is accepted; each attempt recorded",
        );
    }

    #[tokio::test]
    async fn forged_and_replayed_deliveries_never_reach_the_queue() {
        let codat = MockCodat::start().await.unwrap();
        let company = codat.add_company();
        let connection =
            codat.add_connection(company, "gbol".parse().unwrap(), ConnectionStatus::Linked);
        let mut receiver = Receiver::start().await;
        codat
            .send_webhooks_to(receiver.url.clone(), SECRET)
            .unwrap();
        codat.inject_webhook_fault(WebhookFault::BadSignature, 1);
        codat.inject_webhook_fault(WebhookFault::Stale, 1);

        codat.set_status(company, connection, ConnectionStatus::Deauthorized);
        codat.set_status(company, connection, ConnectionStatus::Linked);
        codat.set_status(company, connection, ConnectionStatus::Unlinked);

        // The third, signed correctly, is the only one to arrive.
        let event = receiver.next().await;
        assert_eq!(
            event.connection().unwrap().status,
            ConnectionStatus::Unlinked
        );
        let deliveries = codat
            .wait_for_webhook_deliveries(2 * MAX_DELIVERY_ATTEMPTS + 1)
            .await;
        let refused: Vec<_> = deliveries
            .iter()
            .filter(|d| !d.outcome.is_accepted())
            .collect();
        assert_eq!(refused.len(), 2 * MAX_DELIVERY_ATTEMPTS, "{deliveries:#?}");
        assert!(refused
            .iter()
            .all(|d| d.outcome == DeliveryOutcome::Answered(401)));
        assert!(receiver.nothing_more());
        support::record(
            AREA,
            "mock faults: a delivery signed with another secret, one signed ten minutes ago",
            "the receiver answers 401 to every attempt; neither reaches its queue",
        );
    }

    #[tokio::test]
    async fn without_an_endpoint_nothing_is_sent() {
        let codat = MockCodat::start().await.unwrap();
        let company = codat.add_company();
        let connection =
            codat.add_connection(company, "gbol".parse().unwrap(), ConnectionStatus::Linked);
        codat.set_status(company, connection, ConnectionStatus::Deauthorized);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(codat.webhook_deliveries().is_empty());
        assert!(codat
            .send_webhooks_to("http://127.0.0.1:9/".parse().unwrap(), "whsec_")
            .is_err());
    }
}
