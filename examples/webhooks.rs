//! A webhook receiver for Codat's connection events, to copy: it verifies
//! each delivery's signature and timestamp, answers at once, and hands the
//! event to a queue that a worker drains.
//!
//! ```sh
//! CODAT_WEBHOOK_SECRET=whsec_... cargo run --example webhooks --features mock
//! ```
//!
//! - `CODAT_WEBHOOK_ADDR`: where to listen (default `127.0.0.1:8080`); point
//!   the endpoint in Codat's portal (Monitor > Webhooks > Events) at it.
//! - `CODAT_WEBHOOK_SECRET`: that endpoint's signing secret (`whsec_...`).
//!   Without it the receiver uses a demo secret, says so, and refuses what
//!   Codat sends.
//! - `--self-test`: listen on a free port, send the receiver a signed
//!   `connection.disconnected`, a forged one, a stale one and a malformed one,
//!   check its answers, and exit.
//!
//! Answers: 204 for a verified event, 401 for a missing, bad or stale
//! signature, 400 for a malformed request, 413 for a body over the limit
//! (not read), 503 when the queue is full (Codat retries later).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use codat_connections::webhooks::{ConnectionEvent, WebhookError, Webhooks};
use tokio::sync::mpsc;

const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// A secret of the right form for trying the receiver out; never Codat's.
const DEMO_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// Events waiting for the worker; beyond this the receiver answers 503.
const QUEUE: usize = 1024;

#[derive(Clone)]
struct Receiver {
    webhooks: Arc<Webhooks>,
    queue: mpsc::Sender<ConnectionEvent>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let self_test = std::env::args().any(|a| a == "--self-test");
    let secret = match std::env::var("CODAT_WEBHOOK_SECRET") {
        Ok(secret) => secret,
        Err(_) => {
            eprintln!(
                "CODAT_WEBHOOK_SECRET is not set: using a demo secret, so deliveries from \
                 Codat will be refused (401). Set it to your endpoint's signing secret."
            );
            DEMO_SECRET.to_owned()
        }
    };
    let webhooks = Arc::new(Webhooks::new(&secret)?);
    let addr: SocketAddr = if self_test {
        "127.0.0.1:0".parse()?
    } else {
        std::env::var("CODAT_WEBHOOK_ADDR")
            .unwrap_or_else(|_| DEFAULT_ADDR.to_owned())
            .parse()?
    };

    // Codat wants a 2xx within 15 seconds, or it counts the delivery as
    // failed and retries: the handler only verifies and queues, and the work
    // (calling Codat, emailing the customer) happens in this worker.
    let (queue, events) = mpsc::channel(QUEUE);
    let worker = tokio::spawn(work(events));

    let app = Router::new()
        .fallback(receive)
        // Refuse larger bodies before reading them.
        .layer(DefaultBodyLimit::max(webhooks.body_limit()))
        .with_state(Receiver {
            webhooks: webhooks.clone(),
            queue,
        });
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    println!("receiving Codat webhooks at http://{local}/");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    if self_test {
        let result = self_test::run(local, &webhooks).await;
        server.abort();
        worker.abort();
        return result;
    }
    server.await??;
    Ok(())
}

/// Verifies a delivery and queues its event; never does the work itself.
async fn receive(
    State(receiver): State<Receiver>,
    method: axum::http::Method,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    if method != axum::http::Method::POST {
        return StatusCode::METHOD_NOT_ALLOWED;
    }
    // The raw bytes, as received: a re-serialised body would not verify.
    match receiver.webhooks.verify(&headers, &body) {
        Ok(event) => match receiver.queue.try_send(event) {
            Ok(()) => StatusCode::NO_CONTENT,
            // Codat retries a delivery that was not answered 2xx.
            Err(_) => StatusCode::SERVICE_UNAVAILABLE,
        },
        Err(err) => {
            eprintln!("refused a delivery: {err}");
            status_for(&err)
        }
    }
}

fn status_for(err: &WebhookError) -> StatusCode {
    if err.is_unauthenticated() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    }
}

/// One line per event; the link URL for a disconnected connection. Codat
/// delivers at least once, so an event id seen before is skipped.
async fn work(mut events: mpsc::Receiver<ConnectionEvent>) {
    let mut seen = HashSet::new();
    while let Some(event) = events.recv().await {
        if !seen.insert(event.id()) {
            println!("{} {}: already handled", event.event_type(), event.id());
            continue;
        }
        match event.connection() {
            Some(connection) => println!(
                "{} {}: connection {} ({}) on {}",
                event.event_type(),
                event.id(),
                connection.id,
                connection.status,
                connection.platform_name
            ),
            None => println!(
                "{} {}: not a type this SDK knows",
                event.event_type(),
                event.id()
            ),
        }
        match event.reauthorization() {
            Ok(Some(reauthorization)) => {
                if let Some(link_url) = reauthorization.required_link_url() {
                    println!("  send the customer to {link_url}");
                }
            }
            Ok(None) => {}
            Err(err) => println!("  cannot re-authorize: {err}"),
        }
    }
}

mod self_test {
    use std::net::SocketAddr;
    use std::time::{SystemTime, UNIX_EPOCH};

    use codat_connections::webhooks::Webhooks;

    /// Sends the receiver deliveries whose answers are known, and checks them.
    pub async fn run(
        addr: SocketAddr,
        webhooks: &Webhooks,
    ) -> Result<(), Box<dyn std::error::Error>> {
        // This crate gives reqwest rustls without a crypto provider; a plain
        // reqwest client needs one installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::new();
        let url = format!("http://{addr}/");
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
        let event = serde_json::json!({
            "id": "ba29118f-5406-4e59-b05c-ba307ca38d01",
            "eventType": "connection.disconnected",
            "generatedDate": "2024-08-08T17:10:34.015Z",
            "payload": {
                "referenceCompany": {"id": "0498e921-9b53-4396-a412-4f2f5983b0a2", "name": "Bank of Dave"},
                "connection": {
                    "id": "ee2eb431-c0fa-4dc9-93fa-d29781c12bcd",
                    "integrationId": "bf083d72-62c7-493e-aec9-81b4dbba7e2c",
                    "integrationKey": "dfxm",
                    "sourceId": "bdd831ce-eebd-4896-89a7-20e5ee8989ee",
                    "platformName": "Basiq",
                    "linkUrl": "https://link-api.codat.io/companies/0498e921-9b53-4396-a412-4f2f5983b0a2/connections/ee2eb431-c0fa-4dc9-93fa-d29781c12bcd/start",
                    "status": "Deauthorized",
                    "created": "2022-10-27T09:53:29Z",
                    "sourceType": "Banking"
                }
            }
        });
        let body = serde_json::to_vec(&event)?;
        let signed = |timestamp: i64, body: &[u8]| {
            webhooks
                .sign("msg_self_test", timestamp, body)
                .to_header_map()
        };
        let mut tampered = body.clone();
        tampered.extend_from_slice(b" ");
        let cases = [
            (
                "signed connection.disconnected",
                signed(now, &body),
                body.clone(),
                204,
            ),
            (
                "the same delivery again",
                signed(now, &body),
                body.clone(),
                204,
            ),
            ("tampered body", signed(now, &body), tampered, 401),
            (
                "signed ten minutes ago",
                signed(now - 600, &body),
                body.clone(),
                401,
            ),
            (
                "no signature headers",
                Default::default(),
                body.clone(),
                401,
            ),
            (
                "signed, but not JSON",
                signed(now, b"hello"),
                b"hello".to_vec(),
                400,
            ),
        ];
        let mut failed = 0;
        for (what, headers, body, expected) in cases {
            let status = http
                .post(&url)
                .headers(headers)
                .body(body)
                .send()
                .await?
                .status();
            let ok = status.as_u16() == expected;
            failed += usize::from(!ok);
            println!(
                "self-test: {what}: {status} {}",
                if ok { "as expected" } else { "UNEXPECTED" }
            );
        }
        // Let the worker print what was queued.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if failed > 0 {
            return Err(format!("self-test: {failed} unexpected answer(s)").into());
        }
        println!("self-test: passed");
        Ok(())
    }
}
