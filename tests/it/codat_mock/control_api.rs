//! The mock's HTTP control API (`/_mock`), driven as a test in another
//! language drives it: every route its document `openapi/mock-control.json`
//! describes is served, answers only the statuses the document lists, with
//! bodies its schemas accept; what it arranges is what the crate's client
//! then sees; and what it refuses, it refuses whole, with a reason.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{Value, json};

use base64::Engine as _;
use codat_connections::mock::{MOCK_API_KEY, MockCodat};
use codat_connections::{ConnectionStatus, RetryPolicy};

use crate::support;

const COMPANY: &str = "8a210b68-6988-11ed-a1eb-0242ac120002";
const LINKED: &str = "2e9d2c44-f675-40ba-8049-353bfcb5e171";

fn document() -> Value {
    support::schema::read_json(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi/mock-control.json"),
    )
}

/// Calls the control API and checks the answer against the document: the
/// status is one the operation lists, and a JSON body fits its schema.
struct Control {
    http: reqwest::Client,
    base_url: String,
    doc: Value,
    /// The (method, path template) pairs called, to prove every one was.
    called: std::sync::Mutex<BTreeSet<(String, String)>>,
}

impl Control {
    fn new(base_url: &str) -> Self {
        Self {
            http: support::net::plain_http(),
            base_url: base_url.to_owned(),
            doc: document(),
            called: Default::default(),
        }
    }

    /// `method` on `path` (which `template` names in the document), with
    /// `body`; returns the status and the JSON body (null when empty).
    async fn call(
        &self,
        method: &str,
        template: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.base_url);
        let mut request = self.http.request(method.parse().unwrap(), &url);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("the control API answers");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        let value: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("the control API answers JSON")
        };
        let operation = &self.doc["paths"][template][method.to_lowercase()];
        assert!(
            operation.is_object(),
            "{method} {template} is not in the document"
        );
        let declared = &operation["responses"][status.to_string()];
        assert!(
            declared.is_object(),
            "{method} {path} answered {status}, which the document does not list: {value}"
        );
        match &declared["content"]["application/json"]["schema"] {
            Value::Null => assert!(
                value.is_null(),
                "{method} {path}: a body the document does not describe: {value}"
            ),
            schema => {
                let mut schema = schema.clone();
                schema["components"] = self.doc["components"].clone();
                let validator =
                    jsonschema::validator_for(&schema).expect("the document's schema compiles");
                let errors: Vec<String> = validator
                    .iter_errors(&value)
                    .map(|e| e.to_string())
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{method} {path} answered {value}, which breaks its schema: {errors:?}"
                );
            }
        }
        self.called
            .lock()
            .unwrap()
            .insert((method.to_lowercase(), template.to_owned()));
        (status, value)
    }

    /// Every (method, path template) of the document not called yet.
    fn uncalled(&self) -> Vec<(String, String)> {
        let called = self.called.lock().unwrap();
        let mut missing = Vec::new();
        for (template, item) in self.doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                let pair = (method.clone(), template.clone());
                if !called.contains(&pair) {
                    missing.push(pair);
                }
            }
        }
        missing
    }
}

const STATUS: &str = "/_mock/companies/{companyId}/connections/{connectionId}/status";
const LINK_FAILURE: &str = "/_mock/companies/{companyId}/connections/{connectionId}/link-failure";

fn connection_path(template: &str, company: &str, connection: &str) -> String {
    template
        .replace("{companyId}", company)
        .replace("{connectionId}", connection)
}

/// A client of Codat's API as one in another language makes it by hand:
/// it asks for gzip itself and inflates nothing, so the answer's
/// `Content-Encoding` and bytes are what the mock sent.
struct ByHand {
    http: reqwest::Client,
    authorization: String,
}

impl ByHand {
    fn new() -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Self {
            http: reqwest::Client::builder()
                .no_gzip()
                .no_deflate()
                .build()
                .unwrap(),
            authorization: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(MOCK_API_KEY)
            ),
        }
    }

    /// `GET url` with `Accept-Encoding: gzip`: the status, the
    /// `Content-Encoding` (if any) and the body as sent.
    async fn get_asking_gzip(&self, url: &str) -> (u16, Option<String>, Vec<u8>) {
        let answer = self
            .http
            .get(url)
            .header("authorization", &self.authorization)
            .header("accept-encoding", "gzip")
            .send()
            .await
            .expect("the mock answers");
        let status = answer.status().as_u16();
        let encoding = answer
            .headers()
            .get("content-encoding")
            .map(|value| value.to_str().unwrap().to_owned());
        (status, encoding, answer.bytes().await.unwrap().to_vec())
    }
}

/// `bytes` gzipped.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[tokio::test]
async fn every_route_of_its_document_arranges_what_the_client_then_sees() {
    let mock = MockCodat::start().await.unwrap();
    let control = Control::new(mock.base_url());
    let client = mock.client().unwrap();

    let seed = json!({"companies": [{"id": COMPANY, "connections": [
        {"id": LINKED, "platformKey": "gbol", "status": "Linked"}]}]});
    let (status, seeded) = control
        .call("POST", "/_mock/seed", "/_mock/seed", Some(seed))
        .await;
    assert_eq!((status, &seeded["companies"][0]), (200, &json!(COMPANY)));
    assert_eq!(
        client
            .connections()
            .list(COMPANY)
            .await
            .unwrap()
            .total_results,
        1
    );

    let path = connection_path(STATUS, COMPANY, LINKED);
    let (status, _) = control
        .call(
            "PUT",
            STATUS,
            &path,
            Some(json!({"status": "Deauthorized"})),
        )
        .await;
    assert_eq!(status, 204);
    let got = client.connections().get(COMPANY, LINKED).await.unwrap();
    assert_eq!(got.status, ConnectionStatus::Deauthorized);

    // Webhooks to a port nobody listens on: the link failure's delivery
    // fails, and is recorded.
    let nowhere = format!("http://127.0.0.1:{}/", support::net::free_port());
    let endpoint = json!({"url": nowhere, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"});
    assert_eq!(
        control
            .call("PUT", "/_mock/webhooks", "/_mock/webhooks", Some(endpoint))
            .await
            .0,
        204
    );
    let fault = json!({"fault": "duplicate", "times": 1});
    assert_eq!(
        control
            .call(
                "POST",
                "/_mock/webhook-faults",
                "/_mock/webhook-faults",
                Some(fault)
            )
            .await
            .0,
        204
    );
    let path = connection_path(LINK_FAILURE, COMPANY, LINKED);
    assert_eq!(control.call("POST", LINK_FAILURE, &path, None).await.0, 204);
    let deliveries = mock.wait_for_webhook_deliveries(1).await;
    let (status, listed) = control
        .call(
            "GET",
            "/_mock/webhook-deliveries",
            "/_mock/webhook-deliveries",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(listed["deliveries"][0]["eventType"], "connection.failed");
    assert_eq!(listed["deliveries"][0]["accepted"], false);
    assert!(listed["deliveries"][0]["error"].is_string(), "{listed}");
    assert_eq!(deliveries[0].event_type, "connection.failed");

    // A 429 through the control API: the client waits it out and retries.
    mock.clear_requests();
    let fault = json!({"fault": {"kind": "status", "status": 429, "retryAfter": "0"}, "times": 1});
    assert_eq!(
        control
            .call("POST", "/_mock/faults", "/_mock/faults", Some(fault))
            .await
            .0,
        204
    );
    client.connections().list(COMPANY).await.unwrap();
    let (status, received) = control
        .call("GET", "/_mock/requests", "/_mock/requests", None)
        .await;
    assert_eq!(status, 200);
    let requests = received["requests"].as_array().unwrap();
    assert_eq!(
        requests.len(),
        2,
        "the 429, then the retry; control calls are not recorded: {received}"
    );
    assert_eq!(
        requests[0]["path"],
        format!("/companies/{COMPANY}/connections")
    );
    assert!(
        requests[0]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["name"] != "authorization"),
        "the API key is never handed back"
    );
    assert_eq!(
        control
            .call("DELETE", "/_mock/requests", "/_mock/requests", None)
            .await
            .0,
        204
    );
    assert_eq!(mock.request_count(), 0);

    // Compression off, then on, as a client in another language asks for
    // gzip by hand; left off, for reset to turn it on again.
    let by_hand = ByHand::new();
    let listing = format!("{}/companies/{COMPANY}/connections", mock.base_url());
    let compression = |enabled: bool| {
        let body = Some(json!({ "enabled": enabled }));
        let control = &control;
        async move {
            let path = "/_mock/compression";
            control.call("PUT", path, path, body).await.0
        }
    };
    assert_eq!(compression(false).await, 204);
    let (status, encoding, body) = by_hand.get_asking_gzip(&listing).await;
    assert_eq!((status, encoding), (200, None), "off: sent as it is");
    let page: Value = serde_json::from_slice(&body).expect("plain JSON");
    assert_eq!(page["totalResults"], 1, "{page}");
    assert_eq!(compression(true).await, 204);
    let (status, encoding, body) = by_hand.get_asking_gzip(&listing).await;
    assert_eq!(
        (status, encoding.as_deref()),
        (200, Some("gzip")),
        "on again"
    );
    assert_eq!(&body[..2], &[0x1f, 0x8b], "a gzip stream");
    assert_eq!(compression(false).await, 204);

    let limit = json!({"limit": 1, "windowMilliseconds": 3600000});
    assert_eq!(
        control
            .call("PUT", "/_mock/rate-limit", "/_mock/rate-limit", Some(limit))
            .await
            .0,
        204
    );
    // By hand: the crate's client would wait for the window to end instead
    // of sending what the headers say is over the limit.
    let authorization = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(MOCK_API_KEY)
    );
    let url = format!("{}/companies/{COMPANY}/connections", mock.base_url());
    let codat_get = || {
        control
            .http
            .get(&url)
            .header("authorization", &authorization)
            .send()
    };
    assert_eq!(codat_get().await.unwrap().status().as_u16(), 200);
    let refused = codat_get().await.unwrap();
    assert_eq!(refused.status().as_u16(), 429, "over the limit");
    assert!(refused.headers().contains_key("retry-after"));
    let (_, received) = control
        .call("GET", "/_mock/requests", "/_mock/requests", None)
        .await;
    assert_eq!(received["rateLimited"], 1);

    let latency = json!({"milliseconds": 150});
    assert_eq!(
        control
            .call("PUT", "/_mock/latency", "/_mock/latency", Some(latency))
            .await
            .0,
        204
    );
    assert_eq!(
        control
            .call("POST", "/_mock/reset", "/_mock/reset", None)
            .await
            .0,
        204
    );
    // Reset lifted the limit and the latency, and forgot the company (a new
    // client: this one waits out the 429's Retry-After, as it should).
    let fresh = mock.client().unwrap();
    let fresh = fresh.connections().retry(RetryPolicy::none());
    let started = std::time::Instant::now();
    let gone = fresh.get(COMPANY, LINKED).await.unwrap_err();
    assert!(
        started.elapsed() < std::time::Duration::from_millis(150),
        "no latency after reset"
    );
    assert_eq!(gone.status().map(|s| s.as_u16()), Some(404), "{gone:?}");
    assert!(
        mock.webhook_deliveries().is_empty(),
        "reset forgets the deliveries"
    );
    // Reset turned compression on again: even the 404 comes gzipped.
    let (status, encoding, _) = by_hand.get_asking_gzip(&listing).await;
    assert_eq!(
        (status, encoding.as_deref()),
        (404, Some("gzip")),
        "compression on after reset"
    );

    assert_eq!(
        control.uncalled(),
        Vec::<(String, String)>::new(),
        "every route of the document is tested"
    );
    support::record(
        "Standalone mock",
        "every route of openapi/mock-control.json: seed, status, link failure, webhooks and their faults, a 429, a rate limit, latency, compression, requests, reset",
        "each answers a status and a body its document lists; the crate's client sees what it arranged",
    );
    support::record(
        "Standalone mock",
        "control API: compression turned off, on again, then off and the mock reset, each answer asked for with `Accept-Encoding: gzip` by hand",
        "off: no Content-Encoding, plain JSON; on: `Content-Encoding: gzip` and a gzip stream; after reset: gzip again",
    );
}

#[tokio::test]
async fn an_encoded_fault_sent_as_base64_reaches_the_client_as_an_encoding_error() {
    let mock = MockCodat::start().await.unwrap();
    let control = Control::new(mock.base_url());
    let company = mock.add_company();
    let connection = mock.add_connection(company, support::gbol(), ConnectionStatus::Linked);
    let client = mock.client().unwrap();
    let once = client.connections().retry(RetryPolicy::none());
    let mut got = once.get(company, connection).await.unwrap();
    got.status = ConnectionStatus::Deauthorized;
    let whole = gzip(&serde_json::to_vec(&got).unwrap());
    let encoded = |body: &[u8]| {
        json!({"fault": {
            "kind": "encoded",
            "status": 200,
            "contentEncoding": "gzip",
            "bodyBase64": base64::engine::general_purpose::STANDARD.encode(body),
        }, "times": 1})
    };
    let path = "/_mock/faults";
    // The bytes are sent exactly as given: whole, they inflate to the
    // connection they hold (not the mock's, which is Linked).
    let fault = encoded(&whole);
    assert_eq!(control.call("POST", path, path, Some(fault)).await.0, 204);
    let sent = once.get(company, connection).await.unwrap();
    assert_eq!(sent.status, ConnectionStatus::Deauthorized);
    // Cut short, they do not inflate.
    let fault = encoded(&whole[..whole.len() / 2]);
    assert_eq!(control.call("POST", path, path, Some(fault)).await.0, 204);
    let err = once.get(company, connection).await.unwrap_err();
    let (status, reason, attempts) = support::encoding_error(&err);
    assert_eq!((status, attempts), (200, 1));
    assert!(reason.contains("does not inflate"), "{reason}");
    // Once each: the next answer is Codat's.
    let got = once.get(company, connection).await.unwrap();
    assert_eq!(got.status, ConnectionStatus::Linked);
    support::record(
        "Standalone mock",
        "control API: an encoded fault, a gzip body sent as base64, for one request: whole, then cut short",
        "whole: the client inflates exactly the bytes given; cut short: the crate's client gets Error::Encoding (\"does not inflate\"); then Codat's answer again",
    );
}

/// A refusal case: what it is, the method, the path's template and the path,
/// the body, the status it gets, and what its message must say.
type Refusal<'a> = (
    &'a str,
    &'a str,
    &'a str,
    String,
    Option<Value>,
    u16,
    &'a str,
);

#[tokio::test]
async fn what_it_refuses_it_refuses_whole_with_a_reason() {
    let mock = MockCodat::start().await.unwrap();
    let control = Control::new(mock.base_url());
    let company = mock.add_company().to_string();
    let kinds =
        "status, respond, delay, dropConnection, dropAfterProcessing, dropDuringBody, encoded";

    #[rustfmt::skip]
    let cases: Vec<Refusal> = vec![
        ("an unknown fault kind", "POST", "/_mock/faults", "/_mock/faults".into(),
            Some(json!({"fault": {"kind": "explode"}})), 400, "explode"),
        ("a fault status that is not HTTP's", "POST", "/_mock/faults", "/_mock/faults".into(),
            Some(json!({"fault": {"kind": "status", "status": 1000}})), 400, "not an HTTP status"),
        ("a fault body that is not JSON", "POST", "/_mock/faults", "/_mock/faults".into(),
            None, 400, "not a valid body"),
        ("a seed with a field it does not know", "POST", "/_mock/seed", "/_mock/seed".into(),
            Some(json!({"companies": [{"id": COMPANY}], "colour": "blue"})), 400, "colour"),
        ("a seed using an ID the mock already holds", "POST", "/_mock/seed", "/_mock/seed".into(),
            Some(json!({"companies": [{"id": COMPANY}, {"id": company}]})), 409, "already has the company"),
        ("a seed using an ID twice", "POST", "/_mock/seed", "/_mock/seed".into(),
            Some(json!({"companies": [{"id": COMPANY}, {"id": COMPANY}]})), 409, "twice"),
        ("a fault for more than 10,000 requests", "POST", "/_mock/faults", "/_mock/faults".into(),
            Some(json!({"fault": {"kind": "dropConnection"}, "times": 10_001})), 400, "10000"),
        ("a status for a connection the mock lacks", "PUT", STATUS,
            connection_path(STATUS, &company, LINKED), Some(json!({"status": "Linked"})), 404, "no connection"),
        ("a status for a company ID that is not a UUID", "PUT", STATUS,
            connection_path(STATUS, "not-a-uuid", LINKED), Some(json!({"status": "Linked"})), 400, "not a UUID"),
        ("a rate limit of 0", "PUT", "/_mock/rate-limit", "/_mock/rate-limit".into(),
            Some(json!({"limit": 0})), 400, "above 0"),
        ("a latency over an hour", "PUT", "/_mock/latency", "/_mock/latency".into(),
            Some(json!({"milliseconds": 3_600_001})), 400, "over the hour"),
        ("a webhook secret that is not Codat's form", "PUT", "/_mock/webhooks", "/_mock/webhooks".into(),
            Some(json!({"url": "http://127.0.0.1:9/", "secret": "hunter2"})), 400, "secret"),
        ("a webhook URL without a host", "PUT", "/_mock/webhooks", "/_mock/webhooks".into(),
            Some(json!({"url": "http://", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})), 400, "not an http or https URI"),
        ("a seed connection whose ID is null", "POST", "/_mock/seed", "/_mock/seed".into(),
            Some(json!({"companies": [{"connections": [{"id": null, "platformKey": "gbol", "status": "Linked"}]}]})), 400, "null"),
        ("an unknown webhook fault", "POST", "/_mock/webhook-faults", "/_mock/webhook-faults".into(),
            Some(json!({"fault": "lost"})), 400, "lost"),
        ("an encoded fault whose body is not base64", "POST", "/_mock/faults", "/_mock/faults".into(),
            Some(json!({"fault": {"kind": "encoded", "status": 200, "bodyBase64": "H4s*"}})), 400, "bodyBase64 is not valid base64"),
        ("an encoded fault with a field it does not know", "POST", "/_mock/faults", "/_mock/faults".into(),
            Some(json!({"fault": {"kind": "encoded", "status": 200, "bodyBase64": "", "body": "{}"}})), 400, "unknown field `body`"),
        ("an encoded fault status that is not HTTP's", "POST", "/_mock/faults", "/_mock/faults".into(),
            Some(json!({"fault": {"kind": "encoded", "status": 600, "bodyBase64": ""}})), 400, "not an HTTP status"),
        ("an encoded fault whose contentEncoding is not a header value", "POST", "/_mock/faults", "/_mock/faults".into(),
            Some(json!({"fault": {"kind": "encoded", "status": 200, "contentEncoding": "gz\nip", "bodyBase64": ""}})), 400, "printable ASCII"),
        ("a compression switch with a field it does not know", "PUT", "/_mock/compression", "/_mock/compression".into(),
            Some(json!({"enabled": false, "level": 9})), 400, "level"),
        ("a compression switch that is not a boolean", "PUT", "/_mock/compression", "/_mock/compression".into(),
            Some(json!({"enabled": "off"})), 400, "not a valid body"),
    ];
    for (case, method, template, path, body, expected, why) in cases {
        let (status, answer) = control.call(method, template, &path, body).await;
        let message = answer["error"].as_str().unwrap_or_default();
        assert_eq!(status, expected, "{case}: {answer}");
        assert!(
            message.contains(why),
            "{case}: {message:?} does not say {why:?}"
        );
        support::record(
            "Standalone mock",
            &format!("control API: {case}"),
            &format!("{expected}, \"{why}\" in the message; nothing changed"),
        );
    }
    let unknown_fault = control
        .call(
            "POST",
            "/_mock/faults",
            "/_mock/faults",
            Some(json!({"fault": {"kind": "explode"}})),
        )
        .await
        .1;
    assert!(
        unknown_fault["error"]
            .as_str()
            .unwrap()
            .contains("dropConnection"),
        "names the kinds there are: {kinds}"
    );

    // Nothing half-done: the refused seed added no company, no fault is
    // queued, and no limit or latency was set.
    let client = mock.client().unwrap();
    let once = client.connections().retry(RetryPolicy::none());
    let absent = once.list(COMPANY).await.unwrap_err();
    assert_eq!(absent.status().map(|s| s.as_u16()), Some(404), "{absent:?}");
    for _ in 0..3 {
        once.list(&company)
            .await
            .expect("no fault queued, no limit set");
    }
    // Nor was compression turned off.
    let listing = format!("{}/companies/{company}/connections", mock.base_url());
    let (status, encoding, _) = ByHand::new().get_asking_gzip(&listing).await;
    assert_eq!((status, encoding.as_deref()), (200, Some("gzip")));

    // Outside its routes, the control API says so (and is not Codat).
    let http = support::net::plain_http();
    let answer = http
        .get(format!("{}/_mock/colours", mock.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 404);
    assert!(
        answer
            .text()
            .await
            .unwrap()
            .contains("openapi/mock-control.json")
    );
    let answer = http
        .get(format!("{}/_mock/reset", mock.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 405);
}
