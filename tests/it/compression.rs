//! Compressed answers against the shipped mock: the client asks for gzip and
//! deflate and reads what the mock gzips; the body limit counts inflated
//! bytes; a body it cannot inflate (corrupt, cut short, an encoding it did
//! not ask for) is `Error::Encoding`, retried like a dropped connection.
//! Each case becomes a line of RELIABILITY.md.
#![cfg(feature = "mock")]

use crate::support;

use std::io::Write;

use codat_connections::mock::{Fault, MockCodat};
use codat_connections::{Client, CompanyId, ConnectionId, ConnectionStatus, Error, RetryPolicy};
use flate2::Compression;
use flate2::write::GzEncoder;
use futures::TryStreamExt;
use support::gbol;

const AREA: &str = "Compression";

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).expect("in memory");
    encoder.finish().expect("in memory")
}

/// Codat's 200 replaced by `body`, sent with `Content-Encoding: encoding`.
fn encoded(encoding: &str, body: Vec<u8>) -> Fault {
    Fault::Encoded {
        status: 200,
        content_encoding: encoding.to_owned(),
        body,
    }
}

/// A mock with one company and one connection, and a client of it that
/// retries at once (three attempts).
async fn mock() -> (MockCodat, Client, CompanyId, ConnectionId) {
    let mock = MockCodat::start().await.expect("the mock starts");
    let company = mock.add_company();
    let connection = mock.add_connection(company, gbol(), ConnectionStatus::Linked);
    let client = mock
        .client_builder()
        .retry(
            RetryPolicy::default()
                .max_attempts(3)
                .initial_delay(std::time::Duration::ZERO),
        )
        .build()
        .expect("a client of the mock");
    (mock, client, company, connection)
}

/// The JSON of a connection, as the mock answers `get-connection`.
async fn connection_json(
    mock: &MockCodat,
    company: CompanyId,
    connection: ConnectionId,
) -> Vec<u8> {
    let plain = mock.client_builder().compression(false).build().unwrap();
    let got = plain.connections().get(company, connection).await.unwrap();
    serde_json::to_vec(&got).unwrap()
}

#[tokio::test]
async fn the_client_asks_for_gzip_and_deflate_and_reads_gzipped_answers() {
    let (mock, client, company, connection) = mock().await;
    let listed: Vec<_> = client
        .connections()
        .list(company)
        .connections()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let accepted = |request: &codat_connections::mock::ReceivedRequest| {
        request
            .headers
            .iter()
            .find(|(name, _)| name == "accept-encoding")
            .map(|(_, value)| value.clone())
    };
    let asked = accepted(&mock.requests()[0]).unwrap_or_default();
    let codings: Vec<&str> = asked.split(',').map(str::trim).collect();
    assert_eq!(codings, ["gzip", "deflate"], "{asked:?}");
    // The mock did gzip that answer: asked the same way by hand, it says so.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let by_hand = reqwest::Client::builder()
        .no_gzip()
        .no_deflate()
        .build()
        .unwrap();
    let answer = by_hand
        .get(format!(
            "{}/companies/{company}/connections",
            mock.base_url()
        ))
        .header("authorization", "Basic bW9jay1rZXk=")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    let encoding = answer.headers().get("content-encoding").cloned();
    let body = answer.bytes().await.unwrap();
    assert_eq!(encoding.as_ref().map(|v| v.as_bytes()), Some(&b"gzip"[..]));
    assert_eq!(&body[..2], &[0x1f, 0x8b], "a gzip stream");
    // Turned off, the client asks for nothing, and the mock compresses nothing.
    mock.clear_requests();
    let plain = mock.client_builder().compression(false).build().unwrap();
    plain.connections().get(company, connection).await.unwrap();
    assert_eq!(accepted(&mock.requests()[0]), None);
    support::record(
        AREA,
        "Every request, and an answer gzipped by the server",
        "the client sends `Accept-Encoding: gzip,deflate` and decodes the gzipped answer; with `compression(false)` it asks for none",
    );
}

#[tokio::test]
async fn an_error_answer_that_came_gzipped_keeps_its_inflated_body() {
    let (mock, client, company, _) = mock().await;
    mock.inject(
        Fault::Status {
            status: 404,
            retry_after: None,
        },
        1,
    );
    let Err(Error::Api(api)) = client.companies().get(company).await else {
        panic!("expected Codat's 404");
    };
    assert_eq!(api.status.as_u16(), 404);
    assert!(api.message.is_some(), "the error body decoded: {api:?}");
    assert!(
        api.body.starts_with('{'),
        "the snippet is inflated: {:?}",
        api.body
    );
    support::record(
        AREA,
        "A 404 whose ErrorMessage body came gzipped",
        "Error::Api with Codat's message decoded and the body snippet inflated",
    );
}

#[tokio::test]
async fn a_gzipped_body_that_inflates_past_the_limit_is_refused_at_the_limit() {
    let (mock, _, company, connection) = mock().await;
    let limit = 1024 * 1024;
    let client = mock
        .client_builder()
        .max_response_bytes(limit)
        .build()
        .unwrap();
    let bomb = gzip(&vec![b' '; 64 * 1024 * 1024]);
    assert!(bomb.len() < limit / 4, "{} bytes compressed", bomb.len());
    mock.inject(encoded("gzip", bomb.clone()), 1);
    let err = client
        .connections()
        .get(company, connection)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: l, .. } if l == limit),
        "{err:?}"
    );
    support::record(
        AREA,
        "A 200 of 64 MiB of JSON whitespace, gzipped to 64 KiB, with a 1 MiB limit",
        &format!(
            "Error::ResponseTooLarge naming the 1,048,576-byte limit: counted inflated, reading stopped at the limit ({} bytes on the wire)",
            bomb.len()
        ),
    );
}

#[tokio::test]
async fn a_gzipped_body_that_does_not_inflate_is_an_encoding_error_and_retried() {
    let (mock, client, company, connection) = mock().await;
    let good = gzip(&connection_json(&mock, company, connection).await);
    let mut corrupt = good.clone();
    let middle = corrupt.len() / 2;
    corrupt[middle..middle + 8].copy_from_slice(b"garbage!");
    let cut_short = good[..good.len() / 2].to_vec();
    for (body, case) in [
        (corrupt, "A 200 whose gzip body is corrupt"),
        (cut_short, "A 200 whose gzip body is cut short"),
    ] {
        let fault = encoded("gzip", body);
        // Once: retried, and the second answer (Codat's) is read.
        mock.inject(fault.clone(), 1);
        let got = client.connections().get(company, connection).await.unwrap();
        assert_eq!(got.id, connection, "{case}");
        // Every time: the typed error, after every attempt.
        mock.inject(fault, 3);
        let err = client
            .connections()
            .get(company, connection)
            .await
            .unwrap_err();
        let (status, reason, attempts) = support::encoding_error(&err);
        assert_eq!((status, attempts), (200, 3), "{case}");
        assert!(reason.contains("does not inflate"), "{case}: {reason}");
        assert!(err.is_retryable());
        support::record(
            AREA,
            case,
            "Error::Encoding (\"does not inflate\"), retried like a dropped connection: once, then Codat's answer is read; every time, the error after 3 attempts",
        );
    }
}

#[tokio::test]
async fn an_encoding_the_client_did_not_ask_for_is_an_encoding_error() {
    let (mock, client, company, connection) = mock().await;
    mock.inject(encoded("br", vec![0x8b; 64]), 1);
    let got = client.connections().get(company, connection).await.unwrap();
    assert_eq!(got.id, connection);
    mock.inject(encoded("br", vec![0x8b; 64]), 3);
    let err = client
        .connections()
        .get(company, connection)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Encoding { reason, attempts: 3, .. } if reason.contains("`br`")),
        "{err:?}"
    );
    // A client that asked for nothing cannot read gzip either.
    let plain = mock
        .client_builder()
        .compression(false)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let gzipped = gzip(&connection_json(&mock, company, connection).await);
    mock.inject(encoded("gzip", gzipped), 1);
    let err = plain
        .connections()
        .get(company, connection)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Encoding { reason, .. } if reason.contains("did not ask for")),
        "{err:?}"
    );
    support::record(
        AREA,
        "A 200 compressed with br (not asked for), and a gzip answer to a client with compression off",
        "Error::Encoding naming the encoding the client did not ask for; retried like a dropped connection",
    );
}
