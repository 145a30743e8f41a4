//! Contract tests: every operation of the SDK against Prism, the OpenAPI
//! mock server, which rejects any request that breaks the contract. Run
//! twice: on our `openapi/connections.json`, and on Codat's own published
//! document (so our normalised document cannot drift from Codat's contract).
//!
//! Then Prism's dynamic mode (json-schema-faker, a generator no one here
//! wrote) on Codat's document: every answer it generates must decode.
//!
//! Prism comes pinned from `tests/prism/package-lock.json`; `cargo xtask ci`
//! installs it. Prism's examples carry placeholder values (`pageNumber: 0`,
//! `href: "string"`), so nothing here asserts on those.

use crate::support;

use std::collections::HashMap;

use codat_connections::{ConnectionStatus, Reauthorization};
use futures::StreamExt;
use support::generated::{Held, OPERATIONS, assert_all_decoded, decoded};
use support::net::plain_http;
use support::prism::{Prism, root};
use support::{COMPANY, CONNECTION, upstream};
use uuid::Uuid;

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
    let prism = Prism::start(&upstream::newest_path());
    every_operation_passes(&prism).await;
    invalid_requests_are_rejected(&prism).await;
}

/// Answers Prism generates for each operation.
const PRISM_ANSWERS: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_prism_generates_from_codats_document_decodes() {
    let prism = Prism::start_dynamic(&upstream::newest_path());
    let client = prism.unpaced_client();
    let (mut answers, mut held, mut failures) = (0, Held::default(), Vec::new());
    let company = Uuid::parse_str(support::COMPANY).expect("a UUID");
    for operation in OPERATIONS {
        let results: Vec<_> = futures::stream::iter(0..PRISM_ANSWERS)
            .map(|_| decoded(&client, operation, company))
            .buffer_unordered(8)
            .collect()
            .await;
        for result in results {
            answers += 1;
            match result {
                Ok(one) => held.add(one),
                Err(error) => failures.push(format!("{operation:?}: {error:?}")),
            }
        }
    }
    assert_eq!(answers, OPERATIONS.len() * PRISM_ANSWERS);
    let case = format!(
        "{answers} answers Prism (--dynamic) generated from Codat's published document: list, create, get, unlink, update authorization, {PRISM_ANSWERS} each"
    );
    let source = "Prism generated from Codat's document";
    assert_all_decoded(source, answers, held, &failures, &case);
}
