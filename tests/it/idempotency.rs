//! Writes that can be retried safely, and per-call options, against the
//! shipped mock on tokio's paused clock: every create and unlink carries an
//! `Idempotency-Key`, the same on each of its attempts, and is retried as
//! Codat's rules for keyed requests allow; every operation takes a timeout
//! and headers of its own, and tells its status, headers and attempts.
#![cfg(feature = "mock")]

use crate::support;

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use codat_connections::mock::{Fault, MockCodat, ReceivedRequest};
use codat_connections::{
    Client, CompanyId, Connection, ConnectionId, ConnectionStatus, DEFAULT_TIMEOUT, Error,
    RetryPolicy,
};
use reqwest::StatusCode;
use support::mock_setup::status_answer;
use tokio::time::Instant;
use uuid::Uuid;

/// A mock with one company, and a client of it.
async fn mock() -> (MockCodat, CompanyId, Client) {
    let codat = MockCodat::start().await.expect("the mock starts");
    let company = codat.add_company();
    let client = codat.client().expect("the mock's client");
    (codat, company, client)
}

/// A mock with one company holding one `Linked` connection, and a client
/// of it.
async fn mock_linked() -> (MockCodat, CompanyId, ConnectionId, Client) {
    let (codat, company, client) = mock().await;
    let linked = ConnectionStatus::Linked;
    let connection = codat.add_connection(company, "gbol".parse().unwrap(), linked);
    (codat, company, connection, client)
}

/// The `Idempotency-Key`s of the requests with `method`, in order.
fn keys(codat: &MockCodat, method: &str) -> Vec<Option<String>> {
    codat
        .requests()
        .iter()
        .filter(|r| r.method == method)
        .map(|r| r.idempotency_key().map(str::to_owned))
        .collect()
}

/// The company's connections, as the mock holds them.
async fn held(client: &Client, company: CompanyId) -> Vec<Connection> {
    client
        .connections()
        .list(company)
        .collect_all()
        .await
        .expect("the mock lists")
}

#[tokio::test(start_paused = true)]
async fn a_create_whose_answer_is_lost_is_retried_with_its_key_and_returns_the_one_connection() {
    let (codat, company, client) = mock().await;
    codat.inject(Fault::DropAfterProcessing, 1);
    let created = client.connections().create(company, "gbol").await.unwrap();

    let keys = keys(&codat, "POST");
    assert_eq!(keys.len(), 2, "the create was sent again");
    assert!(keys[0].is_some() && keys[0] == keys[1], "{keys:?}");
    let held = held(&client, company).await;
    assert_eq!(held.len(), 1, "the mock holds exactly one connection");
    assert_eq!(held[0].id, created.id, "the retry answered the first one");

    // Without the key, the second attempt would have made a second one:
    // the mock acts on an unkeyed request each time it is sent.
    let raw = client.raw().create_connection().company_id(company).body(
        codat_connections::raw::types::CreateConnectionBody {
            platform_key: Some("gbol".parse().unwrap()),
        },
    );
    raw.clone().send().await.unwrap();
    raw.send().await.unwrap();
    assert_eq!(held_count(&client, company).await, 3);
    support::record(
        "Idempotency",
        "create whose answer is lost after the mock created the connection",
        "retried with the same Idempotency-Key; Codat's first answer is replayed: one connection, the one returned",
    );
}

async fn held_count(client: &Client, company: CompanyId) -> usize {
    held(client, company).await.len()
}

#[tokio::test(start_paused = true)]
async fn a_callers_own_key_reused_after_a_restart_returns_the_same_connection() {
    let (codat, company, client) = mock().await;
    let key = Uuid::new_v4();
    let first = client
        .connections()
        .create(company, "gbol")
        .idempotency_key(key)
        .await
        .unwrap();
    drop(client);

    // The process restarts with the key it stored.
    let restarted = codat.client().unwrap();
    let again = restarted
        .connections()
        .create(company, "gbol")
        .idempotency_key(key)
        .await
        .unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(held_count(&restarted, company).await, 1);
    assert_eq!(keys(&codat, "POST"), vec![Some(key.to_string()); 2]);

    // Another key is another create.
    let other = restarted.connections().create(company, "gbol").await;
    assert_ne!(other.unwrap().id, first.id);
    assert_eq!(held_count(&restarted, company).await, 2);
    support::record(
        "Idempotency",
        "a caller's own key, sent again by a new client after a restart",
        "the same connection; none created twice",
    );
}

#[tokio::test(start_paused = true)]
async fn a_key_still_in_progress_is_answered_409_and_asked_again_until_the_first_answer() {
    let (codat, company, client) = mock().await;
    let key = Uuid::new_v4();
    // The first create is held for three seconds.
    codat.inject(Fault::Delay(Duration::from_secs(3)), 1);
    let create = || {
        client
            .connections()
            .create(company, "gbol")
            .idempotency_key(key)
            .send_with_response()
    };
    let first = create();
    let second = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        create().await
    };
    let (first, second) = tokio::join!(first, second);
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.attempts, 1);
    assert!(second.attempts >= 2, "the second was answered 409 first");
    assert_eq!(second.value.id, first.value.id);
    assert_eq!(held_count(&client, company).await, 1);
    support::record(
        "Idempotency",
        "a create sent again with its key while the first is still being answered",
        "409 (in progress), asked again with backoff and the same key, then Codat's first answer",
    );
}

#[tokio::test(start_paused = true)]
async fn a_key_used_with_another_request_is_its_own_typed_error() {
    let (codat, company, client) = mock().await;
    let key = Uuid::new_v4();
    let create = |platform: &'static str| {
        client
            .connections()
            .create(company, platform)
            .idempotency_key(key)
    };
    create("gbol").await.unwrap();
    let err = create("qhyg").await.unwrap_err();
    match &err {
        Error::IdempotencyKeyReused { key: reused, api } => {
            assert_eq!(*reused, key);
            assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
        }
        other => panic!("not IdempotencyKeyReused: {other:?}"),
    }
    assert_eq!((err.attempts(), err.idempotency_key()), (1, Some(key)));
    assert!(err.to_string().contains(&key.to_string()), "{err}");
    assert_eq!(held_count(&client, company).await, 1);
    assert_eq!(codat.requests().len(), 3);
    support::record(
        "Idempotency",
        "a key sent again with another body",
        "Error::IdempotencyKeyReused naming the key, after 1 attempt (Codat's 422)",
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_is_never_kept_for_the_key_so_the_retry_with_it_creates() {
    let (codat, company, client) = mock().await;
    // The mock's own rate limit: another client spends the minute's one
    // request, and the create is refused until the window ends.
    codat.enforce_rate_limit(1);
    let other = codat.client().unwrap();
    other.connections().list(company).await.unwrap();
    let started = Instant::now();
    let created = client
        .connections()
        .create(company, "gbol")
        .send_with_response()
        .await
        .unwrap();
    assert_eq!(created.attempts, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(50),
        "waited out the 429"
    );
    let keys = keys(&codat, "POST");
    assert!(
        keys.len() == 2 && keys[0].is_some() && keys[0] == keys[1],
        "{keys:?}"
    );
    assert_eq!(codat.rate_limited_count(), 1);
    assert_eq!(held(&client, company).await[0].id, created.value.id);
    support::record(
        "Idempotency",
        "a create answered 429 by the rate limit",
        "waits for Retry-After and is sent again with the same key; Codat keeps no 429, so it creates",
    );
}

#[tokio::test(start_paused = true)]
async fn a_5xx_is_not_retried_and_the_error_names_the_key_to_ask_again_with() {
    let (codat, company, client) = mock().await;
    codat.inject(status_answer(503, None), 1);
    let err = client
        .connections()
        .create(company, "gbol")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(err.attempts(), 1);
    let key = err.idempotency_key().expect("the error names its key");
    assert_eq!(keys(&codat, "POST"), vec![Some(key.to_string())]);

    // Later, the caller asks again with that key.
    let created = client
        .connections()
        .create(company, "gbol")
        .idempotency_key(key)
        .await
        .unwrap();
    assert_eq!(held(&client, company).await[0].id, created.id);
    support::record(
        "Idempotency",
        "a create answered 503",
        "not retried (Codat would replay the 503 for the key); the error names the key, to ask again with later",
    );
}

#[tokio::test(start_paused = true)]
async fn an_unlink_sent_again_with_its_key_is_answered_as_the_first_time() {
    let (codat, company, connection, client) = mock_linked().await;
    let key = Uuid::new_v4();
    let unlink = || {
        client
            .connections()
            .unlink(company, connection)
            .idempotency_key(key)
    };
    let first = unlink().await.unwrap();
    assert_eq!(first.status, ConnectionStatus::Unlinked);
    // Without its key, a second unlink is refused: the connection is no
    // longer linked. With it, Codat's first answer comes back.
    let again = unlink().await.unwrap();
    assert_eq!(again, first);
    let unkeyed = client
        .raw()
        .unlink_connection()
        .company_id(company)
        .connection_id(connection)
        .body(codat_connections::raw::types::UpdateConnectionStatus {
            status: Some(ConnectionStatus::Unlinked),
        })
        .send()
        .await;
    assert!(unkeyed.is_err(), "an unkeyed second unlink is refused");
    assert_eq!(
        keys(&codat, "PATCH")[..2],
        [Some(key.to_string()), Some(key.to_string())]
    );
}

#[tokio::test(start_paused = true)]
async fn the_mock_keeps_a_keys_answer_for_90_minutes() {
    let (_codat, company, client) = mock().await;
    let key = Uuid::new_v4();
    let create = || {
        client
            .connections()
            .create(company, "gbol")
            .idempotency_key(key)
    };
    let first = create().await.unwrap();
    tokio::time::advance(Duration::from_secs(89 * 60)).await;
    assert_eq!(
        create().await.unwrap().id,
        first.id,
        "replayed within 90 minutes"
    );
    tokio::time::advance(Duration::from_secs(2 * 60)).await;
    assert_ne!(
        create().await.unwrap().id,
        first.id,
        "forgotten after 90 minutes"
    );
    assert_eq!(held_count(&client, company).await, 2);
}

#[tokio::test(start_paused = true)]
async fn the_mock_refuses_a_key_that_breaks_codats_rules() {
    let (codat, company, _client) = mock().await;
    let url = format!("{}/companies/{company}/connections", codat.base_url());
    let http = support::net::plain_http();
    let authorization = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(codat_connections::mock::MOCK_API_KEY)
    );
    let authorization = &authorization;
    let send = |request: reqwest::RequestBuilder| async move {
        let answer = request
            .header("Authorization", authorization)
            .send()
            .await
            .unwrap();
        answer.status()
    };
    let body = serde_json::json!({"platformKey": "gbol"});
    let not_a_guid = http
        .post(&url)
        .header("Idempotency-Key", "order-17")
        .json(&body);
    assert_eq!(send(not_a_guid).await, StatusCode::BAD_REQUEST);
    let on_a_get = http
        .get(&url)
        .header("Idempotency-Key", Uuid::new_v4().to_string());
    assert_eq!(send(on_a_get).await, StatusCode::BAD_REQUEST);
    let key = Uuid::new_v4().to_string();
    let twice = http
        .post(&url)
        .header("Idempotency-Key", &key)
        .header("Idempotency-Key", &key)
        .json(&body);
    assert_eq!(send(twice).await, StatusCode::BAD_REQUEST);
    let good = http.post(&url).header("Idempotency-Key", &key).json(&body);
    assert_eq!(send(good).await, StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn a_key_is_refused_before_sending_where_it_does_not_belong() {
    let (codat, company, connection, client) = mock_linked().await;
    let not_a_uuid = client
        .connections()
        .create(company, "gbol")
        .idempotency_key("order-17")
        .await
        .unwrap_err();
    assert_eq!(not_a_uuid.invalid_field(), Some("Idempotency-Key"));
    let on_a_get = client
        .connections()
        .get(company, connection)
        .idempotency_key(Uuid::new_v4())
        .await
        .unwrap_err();
    assert_eq!(on_a_get.invalid_field(), Some("Idempotency-Key"));
    assert!(codat.requests().is_empty(), "{:?}", codat.requests());
}

#[tokio::test(start_paused = true)]
async fn a_per_call_timeout_applies_to_that_call_only() {
    let (codat, company, connection, client) = mock_linked().await;
    let slow = Fault::Delay(Duration::from_secs(10));
    assert!(DEFAULT_TIMEOUT > Duration::from_secs(10));

    codat.inject(slow.clone(), 1);
    let started = Instant::now();
    let err = client
        .connections()
        .get(company, connection)
        .timeout(Duration::from_secs(2))
        .retry(RetryPolicy::none())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { attempts: 1, .. }), "{err:?}");
    assert_eq!(started.elapsed(), Duration::from_secs(2));

    // The next call has the client's timeout again.
    codat.inject(slow, 1);
    let started = Instant::now();
    client.connections().get(company, connection).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(10));

    // And each attempt of a retried call has the call's timeout.
    codat.inject(Fault::Delay(Duration::from_secs(10)), 2);
    let list = client
        .connections()
        .list(company)
        .timeout(Duration::from_secs(1))
        .retry(RetryPolicy::default().max_attempts(2))
        .await
        .unwrap_err();
    assert!(
        matches!(list, Error::Timeout { attempts: 2, .. }),
        "{list:?}"
    );
    support::record(
        "Per-call options",
        "a call with a timeout shorter than the client's, against a slow answer",
        "Error::Timeout after that timeout, on each attempt; the next call has the client's timeout",
    );
}

#[tokio::test(start_paused = true)]
async fn a_header_of_ones_own_is_sent_and_one_the_crate_owns_is_refused() {
    let (codat, company, connection, client) = mock_linked().await;
    client
        .connections()
        .get(company, connection)
        .header("X-Trace-Id", "4bf92f3577b34da6")
        .await
        .unwrap();
    let sent: &ReceivedRequest = &codat.requests()[0];
    assert!(
        sent.headers
            .contains(&("x-trace-id".to_owned(), "4bf92f3577b34da6".to_owned()))
    );
    codat.clear_requests();

    for (name, value) in [
        ("Authorization", "Basic someone-else"),
        ("idempotency-key", "0f1b3c9e-3f0a-4a53-9c55-3d0c2a9e6f10"),
        ("User-Agent", "other"),
        ("Content-Type", "text/plain"),
        ("Host", "example.com"),
        ("not a header", "x"),
        ("X-Trace-Id", "line\nbreak"),
    ] {
        let refused = client
            .connections()
            .create(company, "gbol")
            .header(name, value)
            .await
            .unwrap_err();
        assert_eq!(
            refused.invalid_field(),
            Some("header"),
            "{name}: {refused:?}"
        );
        let listed = client.connections().list(company).header(name, value).await;
        assert_eq!(
            listed.unwrap_err().invalid_field(),
            Some("header"),
            "{name}"
        );
    }
    assert!(codat.requests().is_empty(), "nothing was sent");
    support::record(
        "Per-call options",
        "a header the client sets itself (Authorization, Idempotency-Key, User-Agent, ...) given for one call",
        "Error::InvalidInput before anything is sent; a header of the caller's own is sent",
    );
}

#[tokio::test(start_paused = true)]
async fn send_with_response_on_every_operation_tells_status_headers_and_attempts() {
    let (codat, company, linked, client) = mock_linked().await;
    let ops = client.connections();
    // Each operation's first answer is a 429 (retried), so attempts is 2.
    let retried = || codat.inject(status_answer(429, Some("1")), 1);

    retried();
    let created = ops
        .create(company, "gbol")
        .send_with_response()
        .await
        .unwrap();
    retried();
    let got = ops.get(company, linked).send_with_response().await.unwrap();
    retried();
    let listed = ops.list(company).send_with_response().await.unwrap();
    retried();
    let authorization = HashMap::from([("key".to_owned(), "value".to_owned())]);
    let updated = ops
        .update_authorization(company, linked, &authorization)
        .send_with_response()
        .await
        .unwrap();
    retried();
    let unlinked = ops
        .unlink(company, linked)
        .send_with_response()
        .await
        .unwrap();
    retried();
    let deleted = ops
        .delete(company, created.value.id)
        .send_with_response()
        .await
        .unwrap();

    assert_eq!(got.value.id, linked);
    assert_eq!(listed.value.total_results, 2);
    assert_eq!(unlinked.value.status, ConnectionStatus::Unlinked);
    let answers = [
        (
            "create",
            created.status,
            &created.headers,
            created.attempts,
            created.rate_limit(),
        ),
        (
            "get",
            got.status,
            &got.headers,
            got.attempts,
            got.rate_limit(),
        ),
        (
            "list",
            listed.status,
            &listed.headers,
            listed.attempts,
            listed.rate_limit(),
        ),
        (
            "update",
            updated.status,
            &updated.headers,
            updated.attempts,
            updated.rate_limit(),
        ),
        (
            "unlink",
            unlinked.status,
            &unlinked.headers,
            unlinked.attempts,
            unlinked.rate_limit(),
        ),
        (
            "delete",
            deleted.status,
            &deleted.headers,
            deleted.attempts,
            deleted.rate_limit(),
        ),
    ];
    for (name, status, headers, attempts, rate_limit) in answers {
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(attempts, 2, "{name}");
        assert!(
            headers.contains_key("x-rate-limit-remaining"),
            "{name}: {headers:?}"
        );
        assert!(rate_limit.and_then(|r| r.limit).is_some(), "{name}");
    }
    support::record(
        "Per-call options",
        "send_with_response on each of the six operations, the first answer a 429",
        "the value with the answer's status, headers, rate-limit values and attempts (2): retries and the rate limit kept",
    );
}
