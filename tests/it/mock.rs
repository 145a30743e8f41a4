//! The embedded mock Codat behaves like Codat where the SDK can tell: its
//! answers to the SDK's calls, and (a table of hand-made requests) what it
//! answers to requests that break the document's contract. How the client
//! retries the mock's faults is in tests/paging_and_retries.rs.
#![cfg(feature = "mock")]

use crate::support;

use std::collections::{BTreeSet, HashMap};

use codat_connections::mock::MockCodat;
use codat_connections::{Client, ConnectionStatus, Error};
use reqwest::StatusCode;
use serde_json::Value;
use support::mock_setup::{ids_of, mock_authorization, mock_company, mock_company_linked};
use support::net::plain_http;
use support::{COMPANY, CONNECTION};

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
    let right = codat.client().unwrap();
    assert_eq!(ids_of(right.connections().list(company)).await, []);
}

#[tokio::test]
async fn unknown_company_and_connection_are_404() {
    let codat = MockCodat::start().await.unwrap();
    let client = codat.client().unwrap();
    let err = client.connections().list(COMPANY).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
    let company = codat.add_company();
    let err = client
        .connections()
        .get(company, CONNECTION)
        .await
        .unwrap_err();
    let Error::Api(api) = err else {
        panic!("not an API error")
    };
    assert!(api.message.unwrap().error.unwrap().contains("not found"));
}

#[tokio::test]
async fn pages_are_one_based_with_next_links_until_the_last() {
    let mock = mock_company_linked(5).await;
    let mut seen = BTreeSet::new();
    let mut has_next = Vec::new();
    for page in 1..=3 {
        let answer = mock.list().page(page).page_size(2).await.unwrap();
        assert_eq!(answer.page_number, i64::from(page));
        assert_eq!(answer.total_results, 5);
        has_next.push(answer.has_next_page());
        for connection in answer.results {
            assert!(seen.insert(connection.id), "duplicate {}", connection.id);
        }
    }
    assert_eq!(has_next, [true, true, false]);
    assert_eq!(seen, mock.connections.into_iter().collect());
}

#[tokio::test]
async fn status_filter_returns_only_that_status() {
    let mock = mock_company(&[ConnectionStatus::Deauthorized, ConnectionStatus::Linked]).await;
    let found = ids_of(mock.list().status(ConnectionStatus::Deauthorized)).await;
    assert_eq!(found, mock.connections[..1]);
}

#[tokio::test]
async fn the_listing_reads_codats_query_language() {
    use ConnectionStatus::{Deauthorized, Linked, PendingAuth, Unlinked};
    let mock = mock_company(&[Deauthorized, Linked, Unlinked, PendingAuth]).await;
    let ids = &mock.connections;
    let query = |text: &'static str| ids_of(mock.list().query(text));
    assert_eq!(
        query("status=Deauthorized || status=unlinked").await,
        [ids[0], ids[2]]
    );
    assert_eq!(
        query("status!=Linked && status!=PendingAuth").await,
        [ids[0], ids[2]]
    );
    let one = format!("id={}", ids[1]);
    assert_eq!(ids_of(mock.list().query(one)).await, [ids[1]]);
    assert_eq!(
        query("{status=Linked || status=Unlinked} && created>2000-01-01").await,
        [ids[1], ids[2]]
    );
    assert_eq!(query("created<2000-01-01").await, []);
    assert_eq!(
        query("platformName~FORM G").await.len(),
        4,
        "contains, any case"
    );
    // Codat's 400s (the document's `Malformed-Query` examples): a query
    // that does not parse, and one naming a property connections lack.
    for (text, says) in [
        ("status=Linked ||", "Error parsing query - Malformed query."),
        (
            "status=Linked && colour=blue",
            "Error parsing query - Could not resolve property colour on Connection",
        ),
    ] {
        let refused = mock.list().query(text).await.unwrap_err();
        assert_eq!(refused.status(), Some(StatusCode::BAD_REQUEST), "{text}");
        assert!(refused.to_string().contains(says), "{text}: {refused}");
    }
    assert_eq!(
        query("connectionInfo.region=eu").await,
        [],
        "a free sub-property"
    );
}

#[tokio::test]
async fn order_by_sorts_ascending_or_descending_and_refuses_unknown_fields() {
    let mock = mock_company_linked(4).await;
    let mut ids = mock.connections.clone();
    ids.sort();
    assert_eq!(ids_of(mock.list().order_by("id")).await, ids);
    ids.reverse();
    assert_eq!(ids_of(mock.list().order_by("-id")).await, ids);
    assert_eq!(ids_of(mock.list().order_by("linkUrl")).await.len(), 4);
    let err = mock.list().order_by("favouriteColour").await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
    let says = "Could not resolve property favouriteColour on Connection";
    assert!(err.to_string().contains(says), "{err}");
}

#[tokio::test]
async fn only_a_linked_connection_can_be_unlinked() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    let client = codat.client().unwrap();
    let connections = client.connections();
    let created = connections.create(company, "gbol").await.unwrap();
    assert_eq!(created.status, ConnectionStatus::PendingAuth);
    let err = connections.unlink(company, created.id).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
    codat.set_status(company, created.id, ConnectionStatus::Linked);
    let unlinked = connections.unlink(company, created.id).await.unwrap();
    assert_eq!(unlinked.status, ConnectionStatus::Unlinked);
}

#[tokio::test]
async fn deleted_connection_is_gone() {
    let mock = mock_company_linked(1).await;
    let (company, id) = (mock.company, mock.connections[0]);
    mock.client.connections().delete(company, id).await.unwrap();
    for gone in [
        mock.client.connections().get(company, id).await.map(drop),
        mock.client.connections().delete(company, id).await,
    ] {
        assert_eq!(gone.unwrap_err().status(), Some(StatusCode::NOT_FOUND));
    }
}

#[tokio::test]
async fn authorization_update_is_stored() {
    let values = HashMap::from([("realmId".to_owned(), "1234".to_owned())]);
    let mock = mock_company_linked(1).await;
    let (company, id) = (mock.company, mock.connections[0]);
    let connections = mock.client.connections();
    let updated = connections.update_authorization(company, id, &values);
    let stored = updated.await.unwrap().connection_info.unwrap();
    assert_eq!(stored["realmId"], "1234");
    let fetched = connections.get(company, id).await.unwrap();
    assert_eq!(fetched.connection_info.unwrap()["realmId"], "1234");
}

#[tokio::test]
async fn reauthorization_of_a_deauthorized_connection_points_at_its_own_link() {
    let mock = mock_company(&[ConnectionStatus::Deauthorized]).await;
    let (company, id) = (mock.company, mock.connections[0]);
    let connections = mock.client.connections();
    let reauthorization = || connections.reauthorization(company, id);
    let answer = reauthorization().await.unwrap();
    let url = answer
        .required_link_url()
        .expect("re-authorization required");
    assert!(url.path().contains(&id.to_string()), "{url}");
    assert_eq!(mock.codat.request_count(), 1, "exactly one request");
    mock.codat.set_status(company, id, ConnectionStatus::Linked);
    let answer = reauthorization().await.unwrap();
    assert!(answer.required_link_url().is_none());
    // No connection was created along the way.
    assert_eq!(ids_of(mock.list()).await, [id]);
}

/// Checks that `body` is Codat's `ErrorMessage` for `status`.
fn assert_codat_error(body: &Value, status: StatusCode) {
    assert_eq!(body["statusCode"], status.as_u16(), "{body}");
    // The service Codat's examples name: `ClientsApi` for a malformed query.
    let service = body["service"].as_str().unwrap_or_default();
    assert!(["PublicApi", "ClientsApi"].contains(&service), "{body}");
    let error = body["error"].as_str();
    assert!(error.is_some_and(|e| !e.is_empty()), "{body}");
    assert!(body["correlationId"].is_string(), "{body}");
    assert!(body["canBeRetried"].is_string(), "{body}");
    assert!(body["detailedErrorCode"].is_i64(), "{body}");
}

#[tokio::test]
async fn requests_breaking_the_contract_are_answered_in_codats_shape_naming_the_violation() {
    let mock = mock_company(&[ConnectionStatus::PendingAuth]).await;
    let (codat, company, id) = (&mock.codat, mock.company, mock.connections[0]);
    // The URLs the SDK uses, as the mock received them: the requests below
    // are hand-made where the SDK sends its own.
    mock.client.connections().get(company, id).await.unwrap();
    mock.list().page_size(10).await.unwrap();
    let sent = codat.requests();
    let one = format!("{}{}", codat.base_url(), sent[0].path);
    let list = format!("{}{}", codat.base_url(), sent[1].path);
    let query = sent[1].query.clone().unwrap();
    // The request (its JSON body, if any) and the answer: its status, and
    // the words the error (or its first validation error) holds.
    let cases = [
        (
            "POST",
            list.clone(),
            r#"{"platformKey": "GBOL"}"#,
            400,
            "platformKey pattern OpenApiContract",
        ),
        ("GET", format!("{list}?pageSize=0"), "", 400, "pageSize"),
        ("GET", format!("{list}?{query}"), "", 200, ""),
        (
            "GET",
            format!("{list}?{query}&favouriteColour=blue"),
            "",
            400,
            "query parameter favouriteColour",
        ),
        ("GET", one.clone(), "", 200, ""),
        (
            "GET",
            format!("{one}/no-such-resource"),
            "",
            404,
            "no-such-resource",
        ),
        // Codat answers a route it does not have with 404, and the document
        // lists 404 for every operation but 405 for none.
        ("POST", one.clone(), "{}", 404, "POST"),
        (
            "PATCH",
            one.clone(),
            r#"{"status": "Gone"}"#,
            400,
            r#"/status "Gone" (enum)"#,
        ),
        // The document's page is an int32: one past its largest is refused.
        ("GET", format!("{list}?page=2147483647"), "", 200, ""),
        ("GET", format!("{list}?page=2147483648"), "", 400, "int32"),
        // An ID that is no UUID names no resource: 404, which the document
        // lists for these operations (it lists no 400 for them).
        ("GET", format!("{one}x"), "", 404, "connectionId"),
        ("DELETE", format!("{one}x"), "", 404, "connectionId"),
        (
            "PUT",
            format!("{one}x/authorization"),
            "{}",
            404,
            "connectionId",
        ),
        // The listing lists a 400: there it stays.
        (
            "GET",
            list.replace(&company.to_string(), "not-a-uuid"),
            "",
            400,
            "companyId",
        ),
        // No body is allowed for an authorization update: nothing changes.
        ("PUT", format!("{one}/authorization"), "", 200, ""),
        // Codat's query language, and Codat's 400 for what is not it.
        ("GET", format!("{list}?query=id%3D{id}"), "", 200, ""),
        (
            "GET",
            format!("{list}?query=status"),
            "",
            400,
            "Malformed query. expected an operator Query",
        ),
    ];
    let http = plain_http();
    let send = |method: &str, url: &str, body: &str| {
        let request = http.request(method.parse().unwrap(), url);
        let request = request.header("Authorization", mock_authorization());
        match body {
            "" => request,
            body => request
                .header("Content-Type", "application/json")
                .body(body.to_owned()),
        }
    };
    for (method, url, body, status, words) in cases {
        let answer = send(method, &url, body).send().await.unwrap();
        let what = format!("{method} {url}");
        assert_eq!(answer.status().as_u16(), status, "{what}");
        let body: Value = answer.json().await.unwrap();
        if status >= 400 {
            assert_codat_error(&body, StatusCode::from_u16(status).unwrap());
        }
        let violation = &body["validation"]["errors"][0];
        let said = [
            &body["error"],
            &violation["message"],
            &violation["validatorName"],
        ]
        .map(|text| text.as_str().unwrap_or_default())
        .join(" ");
        for word in words.split_whitespace() {
            assert!(said.contains(word), "{what}: {word} not in {said}");
        }
    }
    // Without the key it is 401 first, whatever the request.
    let unauthenticated = http.get(format!("{list}?pageSize=0")).send().await.unwrap();
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
    // The refused requests changed nothing; a body within the schema is
    // served.
    let listed = mock.list().await.unwrap();
    let statuses: Vec<_> = listed.results.iter().map(|c| c.status.clone()).collect();
    assert_eq!(statuses, [ConnectionStatus::PendingAuth]);
    codat.set_status(company, id, ConnectionStatus::Linked);
    let unlink = send("PATCH", &one, r#"{"status": "Unlinked"}"#)
        .send()
        .await;
    assert_eq!(unlink.unwrap().status(), StatusCode::OK);
}
