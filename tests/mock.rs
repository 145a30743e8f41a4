//! The embedded mock Codat behaves like Codat where the SDK can tell.
#![cfg(feature = "mock")]

use std::collections::{BTreeSet, HashMap};

use codat_connections::mock::MockCodat;
use codat_connections::{Client, ConnectionStatus, Error, PlatformKey};
use reqwest::StatusCode;

fn gbol() -> PlatformKey {
    "gbol".parse().unwrap()
}

#[tokio::test]
async fn wrong_api_key_is_answered_401_in_codats_shape() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    let wrong = Client::builder("not-the-key")
        .base_url(codat.base_url())
        .build()
        .unwrap();
    let err = wrong.connections().list(company).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    assert!(err.correlation_id().is_some());
    // The right key passes.
    let page = codat
        .client()
        .unwrap()
        .connections()
        .list(company)
        .await
        .unwrap();
    assert_eq!(page.total_results, 0);
}

#[tokio::test]
async fn unknown_company_and_connection_are_404() {
    let codat = MockCodat::start().await.unwrap();
    let client = codat.client().unwrap();
    let missing = "8a210b68-6988-11ed-a1eb-0242ac120002";
    let err = client.connections().list(missing).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
    let company = codat.add_company();
    let err = client
        .connections()
        .get(company, "2e9d2c44-f675-40ba-8049-353bfcb5e171")
        .await
        .unwrap_err();
    let Error::Api(api) = err else {
        panic!("not an API error")
    };
    assert!(api.message.unwrap().error.unwrap().contains("not found"));
}

#[tokio::test]
async fn pages_are_one_based_with_next_links_until_the_last() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    let ids: BTreeSet<_> = (0..5)
        .map(|_| codat.add_connection(company, gbol(), ConnectionStatus::Linked))
        .collect();
    let client = codat.client().unwrap();
    let mut seen = BTreeSet::new();
    let mut has_next = Vec::new();
    for page in 1..=3 {
        let answer = client
            .connections()
            .list(company)
            .page(page)
            .page_size(2)
            .await
            .unwrap();
        assert_eq!(answer.page_number, u64::from(page));
        assert_eq!(answer.total_results, 5);
        has_next.push(answer.has_next_page());
        for connection in answer.results {
            assert!(seen.insert(connection.id), "duplicate {}", connection.id);
        }
    }
    assert_eq!(has_next, [true, true, false]);
    assert_eq!(seen, ids);
}

#[tokio::test]
async fn status_filter_returns_only_that_status() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    let deauthorized = codat.add_connection(company, gbol(), ConnectionStatus::Deauthorized);
    codat.add_connection(company, gbol(), ConnectionStatus::Linked);
    let page = codat
        .client()
        .unwrap()
        .connections()
        .list(company)
        .status(ConnectionStatus::Deauthorized)
        .await
        .unwrap();
    let ids: Vec<_> = page.results.iter().map(|c| c.id).collect();
    assert_eq!(ids, [deauthorized]);
}

#[tokio::test]
async fn only_a_linked_connection_can_be_unlinked() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    let client = codat.client().unwrap();
    let created = client.connections().create(company, "gbol").await.unwrap();
    assert_eq!(created.status, ConnectionStatus::PendingAuth);
    let err = client
        .connections()
        .unlink(company, created.id)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
    codat.set_status(company, created.id, ConnectionStatus::Linked);
    let unlinked = client
        .connections()
        .unlink(company, created.id)
        .await
        .unwrap();
    assert_eq!(unlinked.status, ConnectionStatus::Unlinked);
}

#[tokio::test]
async fn deleted_connection_is_gone() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    let client = codat.client().unwrap();
    let id = codat.add_connection(company, gbol(), ConnectionStatus::Linked);
    client.connections().delete(company, id).await.unwrap();
    let err = client.connections().get(company, id).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
    let err = client.connections().delete(company, id).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn authorization_update_is_stored() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    let client = codat.client().unwrap();
    let id = codat.add_connection(company, gbol(), ConnectionStatus::Linked);
    let values = HashMap::from([("realmId".to_owned(), "1234".to_owned())]);
    let updated = client
        .connections()
        .update_authorization(company, id, &values)
        .await
        .unwrap();
    let info = updated.connection_info.unwrap();
    assert_eq!(info["realmId"], "1234");
    let fetched = client.connections().get(company, id).await.unwrap();
    assert_eq!(fetched.connection_info.unwrap()["realmId"], "1234");
}

#[tokio::test]
async fn reauthorization_of_a_deauthorized_connection_points_at_its_own_link() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    let client = codat.client().unwrap();
    let id = codat.add_connection(company, gbol(), ConnectionStatus::Deauthorized);
    let before = codat.request_count();
    let answer = client
        .connections()
        .reauthorization(company, id)
        .await
        .unwrap();
    let url = answer
        .required_link_url()
        .expect("re-authorization required");
    assert!(url.path().contains(&id.to_string()), "{url}");
    assert_eq!(codat.request_count(), before + 1, "exactly one request");
    codat.set_status(company, id, ConnectionStatus::Linked);
    let answer = client
        .connections()
        .reauthorization(company, id)
        .await
        .unwrap();
    assert!(answer.required_link_url().is_none());
    // No connection was created along the way.
    let page = client.connections().list(company).await.unwrap();
    assert_eq!(page.total_results, 1);
}

/// What the SDK sends for the mock's key.
fn authorization() -> String {
    use base64::Engine as _;
    let key = codat_connections::mock::MOCK_API_KEY;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

#[tokio::test]
async fn a_request_breaking_the_contract_is_answered_400_naming_the_violation() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    // The SDK never sends such a request; a hand-made one shows what Codat says.
    // This crate gives reqwest rustls without a built-in crypto provider
    // (it hands its own clients a ring configuration), so a plain reqwest
    // client needs one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let url = format!("{}/companies/{company}/connections", codat.base_url());
    let answer = http
        .post(&url)
        .header("Authorization", authorization())
        .json(&serde_json::json!({"platformKey": "GBOL"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = answer.json().await.unwrap();
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("platformKey") && error.contains("pattern"),
        "{error}"
    );
    assert_eq!(
        body["validation"]["errors"][0]["validatorName"],
        "OpenApiContract"
    );
    let answer = http
        .get(&url)
        .query(&[("pageSize", "0")])
        .header("Authorization", authorization())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    // Without the key it is 401 first, whatever the request.
    let answer = http
        .get(&url)
        .query(&[("pageSize", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    // Nothing was created by the refused request.
    let page = codat
        .client()
        .unwrap()
        .connections()
        .list(company)
        .await
        .unwrap();
    assert_eq!(page.total_results, 0);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_connection_is_retried_for_a_read_but_not_for_a_create() {
    use codat_connections::mock::Fault;
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    let client = codat.client().unwrap();
    codat.inject(Fault::DropConnection, 1);
    let page = client.connections().list(company).await.unwrap();
    assert_eq!(page.total_results, 0);
    assert_eq!(codat.request_count(), 2);

    codat.inject(Fault::DropConnection, 1);
    let err = client
        .connections()
        .create(company, "gbol")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { attempts: 1, .. }),
        "{err:?}"
    );
    assert_eq!(
        codat
            .requests()
            .iter()
            .filter(|r| r.method == "POST")
            .count(),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn a_connection_dropped_during_the_body_is_a_transport_error() {
    use codat_connections::mock::Fault;
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    let client = codat.client().unwrap();
    let fault = Fault::DropDuringBody {
        status: 200,
        partial_body: b"{\"results\": [".to_vec(),
    };
    codat.inject(fault, 10);
    let err = client
        .connections()
        .retry(codat_connections::RetryPolicy::default().max_attempts(2))
        .list(company)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { attempts: 2, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn order_by_sorts_ascending_or_descending_and_refuses_unknown_fields() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    let ids: Vec<_> = (0..4)
        .map(|_| codat.add_connection(company, gbol(), ConnectionStatus::Linked))
        .collect();
    let client = codat.client().unwrap();
    let listed = |order: &'static str| {
        let client = client.clone();
        async move {
            client
                .connections()
                .list(company)
                .order_by(order)
                .await
                .map(|page| page.results.iter().map(|c| c.id).collect::<Vec<_>>())
        }
    };
    let mut ascending = ids.clone();
    ascending.sort();
    assert_eq!(listed("id").await.unwrap(), ascending);
    let mut descending = ascending.clone();
    descending.reverse();
    assert_eq!(listed("-id").await.unwrap(), descending);
    let err = listed("favouriteColour").await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
}

/// A plain HTTP client, for requests the SDK never makes.
fn http() -> reqwest::Client {
    // See a_request_breaking_the_contract_is_answered_400_naming_the_violation.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// The body of an answer, checked to be Codat's `ErrorMessage` for `status`.
async fn codat_error(answer: reqwest::Response, status: StatusCode) -> serde_json::Value {
    assert_eq!(answer.status(), status);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["statusCode"], status.as_u16(), "{body}");
    assert_eq!(body["service"], "PublicApi", "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    assert!(body["correlationId"].is_string(), "{body}");
    assert!(body["canBeRetried"].is_string(), "{body}");
    assert!(body["detailedErrorCode"].is_i64(), "{body}");
    body
}

/// The URL the SDK reads one connection at, as the mock received it: the
/// tests below send their own requests where the SDK does.
async fn connection_url(codat: &MockCodat) -> (codat_connections::CompanyId, String) {
    let company = codat.add_company();
    let id = codat.add_connection(company, gbol(), ConnectionStatus::PendingAuth);
    let client = codat.client().unwrap();
    client.connections().get(company, id).await.unwrap();
    let path = codat.requests().last().unwrap().path.clone();
    (company, format!("{}{path}", codat.base_url()))
}

#[tokio::test]
async fn a_path_the_document_lacks_is_404_in_codats_shape() {
    let codat = MockCodat::start().await.unwrap();
    let (_, url) = connection_url(&codat).await;
    let answer = http()
        .get(format!("{url}/no-such-resource"))
        .header("Authorization", authorization())
        .send()
        .await
        .unwrap();
    let body = codat_error(answer, StatusCode::NOT_FOUND).await;
    assert!(body["error"].as_str().unwrap().contains("no-such-resource"));
    // The path the SDK used is found.
    let answer = http()
        .get(&url)
        .header("Authorization", authorization())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_method_the_document_lacks_on_a_known_path_is_404_not_405() {
    // Codat answers a route it does not have with 404, and the document
    // lists 404 for every operation but 405 for none.
    let codat = MockCodat::start().await.unwrap();
    let (_, url) = connection_url(&codat).await;
    let answer = http()
        .post(&url)
        .header("Authorization", authorization())
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    let body = codat_error(answer, StatusCode::NOT_FOUND).await;
    assert!(body["error"].as_str().unwrap().contains("POST"), "{body}");
}

#[tokio::test]
async fn a_query_parameter_the_document_lacks_is_400_naming_it() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    let client = codat.client().unwrap();
    client
        .connections()
        .list(company)
        .page_size(10)
        .await
        .unwrap();
    let sent = codat.requests().last().unwrap().clone();
    let url = format!("{}{}", codat.base_url(), sent.path);
    let query = sent.query.unwrap();
    // What the SDK sent passes; one parameter more does not.
    let answer = http()
        .get(format!("{url}?{query}"))
        .header("Authorization", authorization())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let answer = http()
        .get(format!("{url}?{query}&favouriteColour=blue"))
        .header("Authorization", authorization())
        .send()
        .await
        .unwrap();
    let body = codat_error(answer, StatusCode::BAD_REQUEST).await;
    let message = body["validation"]["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("query parameter favouriteColour"),
        "{message}"
    );
    assert!(body["error"].as_str().unwrap().contains("favouriteColour"));
}

#[tokio::test]
async fn a_body_breaking_the_schema_is_400_naming_the_violation() {
    let codat = MockCodat::start().await.unwrap();
    let (company, url) = connection_url(&codat).await;
    let answer = http()
        .patch(&url)
        .header("Authorization", authorization())
        .json(&serde_json::json!({"status": "Gone"}))
        .send()
        .await
        .unwrap();
    let body = codat_error(answer, StatusCode::BAD_REQUEST).await;
    let message = body["validation"]["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("/status") && message.contains("\"Gone\"") && message.ends_with("(enum)"),
        "{message}"
    );
    // The connection was left as it was; a body within the schema is served.
    let id = unchanged_connection(&codat, company).await;
    codat.set_status(company, id, ConnectionStatus::Linked);
    let answer = http()
        .patch(&url)
        .header("Authorization", authorization())
        .json(&serde_json::json!({"status": "Unlinked"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
}

/// The one connection of `company`, after checking it is unchanged.
async fn unchanged_connection(
    codat: &MockCodat,
    company: codat_connections::CompanyId,
) -> codat_connections::ConnectionId {
    let page = codat
        .client()
        .unwrap()
        .connections()
        .list(company)
        .await
        .unwrap();
    assert_eq!(page.results.len(), 1);
    assert_eq!(page.results[0].status, ConnectionStatus::PendingAuth);
    page.results[0].id
}
