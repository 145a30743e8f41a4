//! Webhook verification and decoding: every way a delivery can be forged,
//! replayed, truncated or odd, and what `Webhooks` answers (an injected
//! clock). Each case becomes a row of RELIABILITY.md. The mock's deliveries,
//! end to end, are in tests/webhook_deliveries.rs.

use crate::support;

use std::time::{Duration, UNIX_EPOCH};

use codat_connections::webhooks::{
    ConnectionEvent, DEFAULT_MAX_WEBHOOK_BYTES, WebhookError, Webhooks,
};
use codat_connections::{ConnectionStatus, Reauthorization};
use http::HeaderMap;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use serde_json::{Value, json};
use support::webhooks::*;

const AREA: &str = "Webhooks";

/// The event type Codat gives the variant `event` decoded as; `None` for
/// `Unknown`. Codat removing a type breaks receivers (the tests below
/// fail); Codat adding one does not (it decodes as `Unknown`).
fn variant_type(event: &ConnectionEvent) -> Option<&'static str> {
    Some(match event {
        ConnectionEvent::Created(_) => "connection.created",
        ConnectionEvent::Connected(_) => "connection.connected",
        ConnectionEvent::Failed(_) => "connection.failed",
        ConnectionEvent::Disconnected(_) => "connection.disconnected",
        ConnectionEvent::Reconnected(_) => "connection.reconnected",
        ConnectionEvent::Deleted(_) => "connection.deleted",
        _ => return None,
    })
}

#[test]
fn every_documented_example_verifies_and_decodes_as_its_event_type() {
    let mut variants = std::collections::BTreeSet::new();
    for (event_type, name, event) in documented_examples() {
        let decoded =
            verify_signed(&body_of(&event)).unwrap_or_else(|e| panic!("{event_type} {name}: {e}"));
        assert_eq!(decoded.event_type(), event_type);
        assert_eq!(decoded.id().to_string(), event["id"].as_str().unwrap());
        let Some(variant) = variant_type(&decoded) else {
            assert!(matches!(decoded, ConnectionEvent::Unknown { .. }));
            continue;
        };
        assert_eq!(variant, event_type, "{name}");
        variants.insert(variant);
        let link_url = &decoded.connection().unwrap().link_url;
        assert_eq!(
            link_url,
            event["payload"]["connection"]["linkUrl"].as_str().unwrap()
        );
    }
    assert_eq!(
        variants.len(),
        6,
        "an event type is gone from the document: {variants:?}"
    );
    support::record(
        AREA,
        "each example event in Codat's document (six event types), signed",
        "verified and decoded as its own ConnectionEvent variant, with the event id and connection",
    );
}

/// Codat's published documents (as tests/drift.rs finds them).
fn upstream_documents() -> Vec<(String, Value)> {
    let dir = support::upstream::dir();
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
    let not_an_event = |event: &Value| {
        let err = verify_signed(&body_of(event)).unwrap_err();
        assert!(matches!(err, WebhookError::NotAnEvent { .. }), "{err:?}");
    };
    for (name, doc) in upstream_documents() {
        let examples = example_events(&doc);
        for (example, mut event) in examples.iter().cloned() {
            // Codat's examples of September 2024 name the event type `type`,
            // against their own schema (`eventType`); later documents fixed
            // the examples. A body without `eventType` is not an event.
            if event.get("type").is_some() {
                not_an_event(&event);
                event["eventType"] = event.as_object_mut().unwrap().remove("type").unwrap();
                misnamed += 1;
            }
            // The same examples give a data connection error's `statusCode`
            // as a number (401), against the schema's string ("401" in later
            // examples and in the client's answers). Decoded like the
            // client's answers, strictly: not an event.
            let code = "/payload/connection/dataConnectionErrors/0/statusCode";
            if let Some(number) = event.pointer(code).filter(|c| c.is_number()).cloned() {
                not_an_event(&event);
                *event.pointer_mut(code).unwrap() = json!(number.to_string());
                numeric_codes += 1;
            }
            let decoded =
                verify_signed(&body_of(&event)).unwrap_or_else(|e| panic!("{name} {example}: {e}"));
            assert_eq!(decoded.event_type(), event["eventType"], "{name} {example}");
            assert_eq!(
                variant_type(&decoded).is_some(),
                decoded.connection().is_some(),
                "{name} {example}"
            );
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
    let mut event = disconnected_example();
    let decoded = verify_signed(&body_of(&event)).unwrap();
    let ConnectionEvent::Disconnected(change) = &decoded else {
        panic!("{decoded:?}");
    };
    assert_eq!(change.connection.status, ConnectionStatus::Deauthorized);
    let reauthorization = decoded.reauthorization().unwrap().unwrap();
    let Reauthorization::Required { link_url, .. } = &reauthorization else {
        panic!("{reauthorization:?}");
    };
    let documented = event["payload"]["connection"]["linkUrl"].as_str().unwrap();
    assert_eq!(link_url.as_str(), documented);
    // Every other event type has nothing to re-authorize.
    event["eventType"] = json!("connection.created");
    let created = verify_signed(&body_of(&event)).unwrap();
    assert_eq!(created.reauthorization().unwrap(), None);
}

/// One delivery of a refusal case: its headers and body, the verifier
/// that receives it, and its answer (`Ok(())` when it is accepted).
struct Delivery {
    what: String,
    webhooks: Webhooks,
    headers: HeaderMap,
    body: Vec<u8>,
    expected: Result<(), WebhookError>,
}

fn delivery(
    what: impl ToString,
    headers: HeaderMap,
    body: &[u8],
    expected: Result<(), WebhookError>,
) -> Delivery {
    Delivery {
        what: what.to_string(),
        webhooks: webhooks(),
        headers,
        body: body.to_vec(),
        expected,
    }
}

/// Verification's answer, without the parser's words in NotJson and
/// NotAnEvent.
fn answer(result: Result<ConnectionEvent, WebhookError>) -> Result<(), WebhookError> {
    result.map(drop).map_err(|err| match err {
        WebhookError::NotJson { .. } => not_json(),
        WebhookError::NotAnEvent { .. } => not_an_event(),
        err => err,
    })
}

fn not_json() -> WebhookError {
    WebhookError::NotJson {
        message: String::new(),
    }
}

fn not_an_event() -> WebhookError {
    WebhookError::NotAnEvent {
        message: String::new(),
    }
}

fn row(
    case: impl Into<String>,
    outcome: impl Into<String>,
    deliveries: Vec<Delivery>,
) -> (String, String, Vec<Delivery>) {
    (case.into(), outcome.into(), deliveries)
}

/// The refusal table: a row of RELIABILITY.md (case, outcome), and the
/// deliveries that prove it, each changed from a correctly signed delivery
/// of Codat's de-authorized example.
fn refusals() -> Vec<(String, String, Vec<Delivery>)> {
    let body = body_of(&disconnected_example());
    let good = signed(SECRET, NOW, &body);
    let with = |name: &'static str, value: &str| {
        let mut headers = good.clone();
        headers.insert(name, value.parse().unwrap());
        headers
    };
    let bad_signature = || Err(WebhookError::BadSignature);
    let mut tampered = body.clone();
    let at = tampered.iter().position(|b| *b == b'D').unwrap();
    tampered[at] = b'L'; // "Deauthorized" -> "Leauthorized"
    let skewed = |offset: i64, accepted: bool| {
        let expected = if accepted {
            Ok(())
        } else {
            Err(WebhookError::TimestampOutOfTolerance {
                skew_seconds: offset,
                tolerance_seconds: 300,
            })
        };
        delivery(offset, signed(SECRET, NOW + offset, &body), &body, expected)
    };
    let valid = webhooks().sign(MESSAGE_ID, NOW, &body).signature;
    let other = Webhooks::new(OTHER_SECRET)
        .unwrap()
        .sign(MESSAGE_ID, NOW, &body)
        .signature;
    let oversized = |webhooks: Webhooks, limit: usize, signed_by: Option<&str>| {
        let body = vec![b' '; limit + 1];
        let headers = signed_by.map_or_else(HeaderMap::new, |secret| signed(secret, NOW, &body));
        let expected = Err(WebhookError::BodyTooLarge {
            size: limit + 1,
            limit,
        });
        Delivery {
            webhooks,
            ..delivery(format!("{} bytes", body.len()), headers, &body, expected)
        }
    };
    let not_utf8 = b"{\"id\": \"\xff\xfe\"}";
    let malformed_timestamps = [
        "",
        "-1",
        "+1764150000",
        "1764150000.5",
        "1e9",
        " 1764150000",
        "99999999999999999999",
    ];
    let not_events: [(&[u8], WebhookError); 6] = [
        (b"not json", not_json()),
        (b"[]", not_an_event()),
        (br#"{"id": "ba29118f-5406-4e59-b05c-ba307ca38d01"}"#, not_an_event()),
        (br#"{"eventType": "connection.created"}"#, not_an_event()),
        (br#"{"id": "x", "eventType": "connection.created"}"#, not_an_event()),
        (
            br#"{"id": "ba29118f-5406-4e59-b05c-ba307ca38d01", "eventType": "connection.created", "payload": {}}"#,
            not_an_event(),
        ),
    ];
    let mut rows = vec![
        row(
            "tampered body (one byte changed, or a byte added)",
            "refused: WebhookError::BadSignature (answer 401)",
            vec![
                delivery("one byte changed", good.clone(), &tampered, bad_signature()),
                delivery(
                    "a byte added",
                    good.clone(),
                    &[&body[..], b" "].concat(),
                    bad_signature(),
                ),
                delivery("as signed", good.clone(), &body, Ok(())),
            ],
        ),
        row(
            "signed with another endpoint's secret",
            "refused: WebhookError::BadSignature (answer 401)",
            vec![delivery(
                "",
                signed(OTHER_SECRET, NOW, &body),
                &body,
                bad_signature(),
            )],
        ),
        row(
            "stale timestamp (signed 301 s ago; a replay)",
            "refused: WebhookError::TimestampOutOfTolerance (answer 401); 300 s ago is accepted",
            vec![skewed(-301, false), skewed(-300, true)],
        ),
        row(
            "future timestamp (301 s ahead)",
            "refused: WebhookError::TimestampOutOfTolerance (answer 401); 300 s ahead is accepted",
            vec![skewed(301, false), skewed(300, true)],
        ),
        row(
            "timestamp not a number of seconds (empty, signed, fractional, exponent, overflowing)",
            "refused: WebhookError::MalformedHeader naming webhook-timestamp (answer 401)",
            malformed_timestamps
                .iter()
                .map(|bad| {
                    let expected = Err(WebhookError::MalformedHeader {
                        header: "webhook-timestamp",
                    });
                    delivery(
                        format!("{bad:?}"),
                        with("webhook-timestamp", bad),
                        &body,
                        expected,
                    )
                })
                .collect(),
        ),
        row(
            "several signatures (secret rotation), one of them valid",
            "accepted, whatever its position; none valid (or the valid one under another version): BadSignature",
            [
                (format!("{other} {valid}"), Ok(())),
                (format!("{valid} {other}"), Ok(())),
                (format!("v1a,c29tZXRoaW5nIGVsc2U= {other} {valid}"), Ok(())),
                (format!("{other} v1a,{}", &valid[3..]), bad_signature()),
            ]
            .into_iter()
            .map(|(list, expected)| {
                delivery(&list, with("webhook-signature", &list), &body, expected)
            })
            .collect(),
        ),
        row(
            "body over the limit (1 MiB by default), even correctly signed",
            "refused before hashing: WebhookError::BodyTooLarge (answer 400)",
            vec![
                oversized(webhooks().max_body_bytes(1024), 1024, Some(SECRET)),
                oversized(webhooks().max_body_bytes(1024), 1024, None),
                oversized(webhooks(), DEFAULT_MAX_WEBHOOK_BYTES, Some(SECRET)),
            ],
        ),
        row(
            "non-UTF-8 body",
            "verified over its raw bytes, then refused: WebhookError::NotJson (answer 400)",
            vec![
                delivery(
                    "signed",
                    signed(SECRET, NOW, not_utf8),
                    not_utf8,
                    Err(not_json()),
                ),
                delivery(
                    "forged",
                    signed(OTHER_SECRET, NOW, not_utf8),
                    not_utf8,
                    bad_signature(),
                ),
            ],
        ),
        row(
            "signed JSON that is not an event (array, no eventType or id, id not a UUID, no connection)",
            "refused: WebhookError::NotAnEvent (answer 400); not JSON: WebhookError::NotJson",
            not_events
                .into_iter()
                .map(|(body, err)| {
                    let what = String::from_utf8_lossy(body);
                    delivery(what, signed(SECRET, NOW, body), body, Err(err))
                })
                .collect(),
        ),
    ];
    for header in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let mut headers = good.clone();
        headers.remove(header);
        let expected = Err(WebhookError::MissingHeader { header });
        rows.push(row(
            format!("`{header}` header missing"),
            format!("refused: WebhookError::MissingHeader naming {header} (answer 401)"),
            vec![delivery(header, headers, &body, expected)],
        ));
    }
    rows
}

#[test]
fn each_forged_replayed_or_malformed_delivery_is_refused() {
    for (case, outcome, deliveries) in refusals() {
        for d in deliveries {
            let result = d.webhooks.verify_at(&d.headers, &d.body, now());
            if let Err(err @ (WebhookError::NotJson { .. } | WebhookError::NotAnEvent { .. })) =
                &result
            {
                assert!(!err.is_unauthenticated(), "{case}, {}: {err:?}", d.what);
            }
            assert_eq!(answer(result), d.expected, "{case}, {}", d.what);
        }
        support::record(AREA, &case, &outcome);
    }
}

#[test]
fn an_unknown_event_type_is_kept_with_its_json() {
    let mut event = disconnected_example();
    event["eventType"] = json!("connection.paused");
    event["payload"]["why"] = json!("a field of tomorrow");
    let decoded = verify_signed(&body_of(&event)).unwrap();
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
    let decoded = verify_signed(&body_of(&event)).unwrap();
    let change = decoded.change().unwrap();
    assert_eq!(
        change.connection.status,
        ConnectionStatus::Unknown("Suspended".into())
    );
    assert!(change.generated_date.is_some());
    let company = change.company.as_ref().unwrap();
    assert_eq!(company.tags.as_ref().map(|tags| tags.len()), Some(12));
    support::record(
        AREA,
        "extra fields at every level, unknown status and source type, a date without offset, more and longer company tags than documented",
        "decoded: unknown fields ignored, open enums keep the value, Codat's date forms accepted",
    );
}

#[test]
fn both_header_spellings_are_accepted() {
    let body = body_of(&disconnected_example());
    let signed = webhooks().sign(MESSAGE_ID, NOW, &body);
    let timestamp = signed.timestamp.to_string();
    let spelt = |prefix: &str, signature: &str| {
        ["id", "timestamp", "signature"]
            .into_iter()
            .zip([MESSAGE_ID, timestamp.as_str(), signature])
            .map(|(name, value)| (format!("{prefix}{name}"), value.to_owned()))
            .collect::<Vec<_>>()
    };
    let svix = spelt("svix-", &signed.signature);
    assert!(webhooks().verify_at(&svix, &body, now()).is_ok());
    let standard = spelt("Webhook-", &signed.signature);
    assert!(webhooks().verify_at(&standard, &body, now()).is_ok());
    let map: HeaderMap = svix
        .iter()
        .map(|(name, value)| (name.parse().unwrap(), value.parse().unwrap()))
        .collect();
    assert!(webhooks().verify_at(&map, &body, now()).is_ok());
    // A bad signature under either spelling is still refused.
    let forged = spelt("svix-", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
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
    let bare = Webhooks::new(SECRET.trim_start_matches("whsec_")).unwrap();
    assert!(
        bare.verify_at(&signed(SECRET, NOW, &body), &body, now())
            .is_ok()
    );
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
        signed(OTHER_SECRET, NOW, &body),
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

/// One of `names`, or any other string matching `pattern`.
fn one_of(names: &'static [&'static str], pattern: &'static str) -> BoxedStrategy<String> {
    prop_oneof![prop::sample::select(names).prop_map(str::to_owned), pattern,].boxed()
}

fn header_name() -> BoxedStrategy<String> {
    let names = &[
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "svix-id",
        "svix-timestamp",
        "svix-signature",
    ];
    one_of(names, "[a-zA-Z-]{1,20}")
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
    let key = one_of(
        &["id", "eventType", "payload", "connection", "status"],
        "[a-z]{1,8}",
    );
    leaf.prop_recursive(3, 24, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map(key.clone(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Runs `test` on 256 values of `strategy`, then records the row.
fn property<S: Strategy>(
    case: &str,
    outcome: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let mut runner = TestRunner::new(ProptestConfig::with_cases(256));
    if let Err(failure) = runner.run(&strategy, test) {
        panic!("{failure}");
    }
    support::record(AREA, case, outcome);
}

#[test]
fn verification_never_panics_and_refuses_arbitrary_input() {
    let header = (header_name(), proptest::collection::vec(any::<u8>(), 0..80));
    let strategy = (
        proptest::collection::vec(header, 0..8),
        proptest::collection::vec(any::<u8>(), 0..512),
        any::<u32>(),
    );
    property(
        "property: arbitrary headers (both spellings and others, arbitrary bytes) and bodies",
        "never a panic, never accepted",
        strategy,
        |(headers, body, now_seconds)| {
            let now = UNIX_EPOCH + Duration::from_secs(u64::from(now_seconds));
            let result = webhooks().verify_at(&headers, &body, now);
            prop_assert!(result.is_err());
            Ok(())
        },
    );
}

#[test]
fn verification_accepts_exactly_what_was_signed() {
    let strategy = (
        proptest::collection::vec(any::<u8>(), 0..512),
        "[a-zA-Z0-9_]{1,40}",
        -300i64..=300,
        any::<prop::sample::Index>(),
        0u8..8,
    );
    property(
        "property: arbitrary bodies signed with the secret, within the tolerance",
        "accepted; one bit changed, another secret or another id: BadSignature",
        strategy,
        |(body, id, skew, flip, bit)| {
            let timestamp = NOW + skew;
            let signature = webhooks().sign(&id, timestamp, &body).signature;
            let headers = |id: &str| {
                [
                    ("webhook-id", id.to_owned()),
                    ("webhook-timestamp", timestamp.to_string()),
                    ("webhook-signature", signature.clone()),
                ]
            };
            let verified = webhooks().verify_raw_at(&headers(&id), &body, now());
            prop_assert!(verified.is_ok(), "{:?}", verified);
            prop_assert_eq!(verified.unwrap().body, body.as_slice());
            // Another secret, another id under the same signature, or any
            // one bit changed in the body: refused.
            let other = Webhooks::new(OTHER_SECRET).unwrap();
            let mut forgeries = vec![
                (other, id.clone(), body.clone()),
                (webhooks(), format!("{id}x"), body.clone()),
            ];
            if !body.is_empty() {
                let mut changed = body.clone();
                changed[flip.index(body.len())] ^= 1 << bit;
                forgeries.push((webhooks(), id.clone(), changed));
            }
            for (verifier, id, body) in forgeries {
                let refused = verifier.verify_raw_at(&headers(&id), &body, now()).err();
                prop_assert_eq!(refused, Some(WebhookError::BadSignature));
            }
            Ok(())
        },
    );
}

#[test]
fn a_signed_body_of_any_json_decodes_or_is_refused_without_panic() {
    property(
        "property: arbitrary JSON (event-like keys and values), correctly signed",
        "decoded with its own eventType, or NotAnEvent / NotJson; never a panic",
        json_value(),
        |value| {
            match verify_signed(&body_of(&value)) {
                Ok(event) => {
                    prop_assert_eq!(Some(event.event_type()), value["eventType"].as_str());
                }
                Err(err) => prop_assert!(
                    matches!(
                        err,
                        WebhookError::NotAnEvent { .. } | WebhookError::NotJson { .. }
                    ),
                    "{:?}",
                    err
                ),
            }
            Ok(())
        },
    );
}
