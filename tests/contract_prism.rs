//! Contract tests: every operation of the SDK against Prism, the OpenAPI
//! mock server, which rejects any request that breaks the contract. Run
//! twice: on our `openapi/connections.json`, and on Codat's own published
//! document (so our normalised document cannot drift from Codat's contract).
//!
//! Prism comes pinned from `tests/prism/package-lock.json`; `cargo xtask ci`
//! installs it. Prism's examples carry placeholder values (`pageNumber: 0`,
//! `href: "string"`), so nothing here asserts on those.

mod support;

use std::collections::HashMap;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use codat_connections::{Client, ConnectionStatus, Reauthorization, RetryPolicy};
use support::net::{free_port, plain_http};
use support::{COMPANY, CONNECTION};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn prism_bin() -> PathBuf {
    let path = std::env::var_os("PRISM_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("tests/prism/node_modules/.bin/prism"));
    assert!(
        path.exists(),
        "Prism is not installed at {}. Run `cargo xtask ci`, which installs the pinned version, \
         or `npm ci --prefix tests/prism` (Node.js 20+ with npm), or set PRISM_BIN.",
        path.display()
    );
    path
}

/// A Prism process serving one document on a free loopback port; killed on drop.
struct Prism {
    child: Child,
    base_url: String,
}

impl Prism {
    fn start(document: &Path) -> Prism {
        assert!(document.exists(), "no document at {}", document.display());
        let port = free_port();
        let child = Command::new(prism_bin())
            .args([
                "mock",
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-v",
                "warn",
                "--errors",
            ])
            .arg(document)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("Prism starts");
        let mut prism = Prism {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
        };
        // With `-v warn` Prism prints no "listening" line: wait for the port
        // to answer HTTP at all.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = prism.child.try_wait().expect("Prism's status") {
                panic!("Prism exited before listening: {status}");
            }
            if answers_http(port) {
                return prism;
            }
            assert!(
                Instant::now() < deadline,
                "Prism did not listen within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn client(&self) -> Client {
        Client::builder("contract-test-key")
            .base_url(&self.base_url)
            .retry(RetryPolicy::none())
            // Prism never answers a request whose JSON body is malformed.
            .timeout(Duration::from_secs(20))
            .build()
            .expect("valid settings")
    }
}

fn answers_http(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).is_ok() && first.starts_with(b"HTTP/1.1 ")
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every operation of the SDK; each must pass Prism's request validation
/// (it answers 400/422 otherwise) and decode into our types.
async fn every_operation_passes(prism: &Prism) {
    let client = prism.client();
    let connections = client.connections();

    let page = connections
        .list(COMPANY)
        .page(1)
        .page_size(100)
        .query("sourceType=Banking")
        .order_by("-created")
        .status(ConnectionStatus::Linked)
        .await
        .expect("list-connections with every parameter");
    assert!(!page.results.is_empty());
    connections
        .list(COMPANY)
        .await
        .expect("list-connections with no parameter");

    let created = connections
        .create(COMPANY, "gbol")
        .await
        .expect("create-connection");
    assert!(!created.link_url.is_empty());
    let authorization = HashMap::from([("realmId".to_owned(), "1234".to_owned())]);
    let (company, connection) = (COMPANY, CONNECTION);
    let answers = [
        (
            "get-connection",
            connections.get(company, connection).await.map(drop),
        ),
        (
            "unlink-connection",
            connections.unlink(company, connection).await.map(drop),
        ),
        (
            "update-connection-authorization",
            connections
                .update_authorization(company, connection, &authorization)
                .await
                .map(drop),
        ),
        (
            "delete-connection",
            connections.delete(company, connection).await,
        ),
    ];
    for (operation, answer) in answers {
        answer.unwrap_or_else(|e| panic!("{operation}: {e}"));
    }
    let answer = connections
        .reauthorization(COMPANY, CONNECTION)
        .await
        .expect("the re-authorization helper");
    assert!(matches!(
        answer,
        Reauthorization::AlreadyLinked { .. }
            | Reauthorization::Required { .. }
            | Reauthorization::PendingAuth { .. }
    ));
}

/// Deliberately invalid requests are rejected: the suite can fail.
async fn invalid_requests_are_rejected(prism: &Prism) {
    let http = plain_http();
    let url = format!("{}/companies/{COMPANY}/connections", prism.base_url);
    let key = ("Authorization", "Basic eA==");
    let bad_body = http.post(&url).header(key.0, key.1);
    let bad_body = bad_body.json(&serde_json::json!({"platformKey": "NOT-A-KEY"}));
    let bad_parameter = http.get(&url).query(&[("pageSize", "5001")]);
    let cases = [
        ("a platform key breaking the pattern", bad_body, 422),
        ("pageSize 5001", bad_parameter.header(key.0, key.1), 400),
        ("no key", http.get(&url), 401),
    ];
    for (what, request, status) in cases {
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status().as_u16(), status, "{what} passed");
        if status == 400 {
            assert!(answer.headers().contains_key("sl-violations"), "{what}");
        }
    }
}

#[tokio::test]
async fn every_operation_satisfies_our_document() {
    let prism = Prism::start(&root().join("openapi/connections.json"));
    every_operation_passes(&prism).await;
    invalid_requests_are_rejected(&prism).await;
}

#[tokio::test]
async fn every_operation_satisfies_codats_own_document() {
    let upstream = std::env::var_os("CODAT_UPSTREAM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/upstream"));
    let document = upstream.join("Codat-Platform.json");
    assert!(
        document.exists(),
        "Codat's published document is not at {}; set CODAT_UPSTREAM_DIR to the folder holding \
         Codat-Platform.json (json/Codat-Platform.json in the public repository codatio/oas).",
        document.display()
    );
    let prism = Prism::start(&document);
    every_operation_passes(&prism).await;
    invalid_requests_are_rejected(&prism).await;
}
