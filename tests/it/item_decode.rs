//! One bad connection hides nothing: a page whose connections all decode
//! but one yields every good connection, and for the bad one an
//! `Error::ConnectionDecode` with its raw JSON, id and status, then the
//! listing goes on. `get` keeps the raw JSON too. One malformed value in
//! each field of `Connection`.
#![cfg(feature = "mock")]

use crate::support;

use codat_connections::mock::Fault;
use codat_connections::{Connection, ConnectionStatus, Error, Page};
use futures::StreamExt;
use serde_json::{Value, json};
use support::mock_setup::{MockSetup, connection_with_id, json_answer, mock_company};
use support::page_of;

/// Codat's example connection with `id` and `status`, and the fields it
/// lacks of `Connection` added.
fn connection(id: &str, status: &str) -> Value {
    let mut connection = connection_with_id(id, status);
    connection["dataConnectionErrors"] = json!([]);
    connection["connectionInfo"] = json!({"a": "b"});
    connection
}

const GOOD: [&str; 3] = [
    "00000000-0000-4000-8000-000000000001",
    "00000000-0000-4000-8000-000000000002",
    "00000000-0000-4000-8000-000000000003",
];
const BAD_ID: &str = "00000000-0000-4000-8000-0000000000bd";

/// Every field of `Connection`, each with a value its schema refuses.
fn malformed() -> Vec<(&'static str, Value)> {
    vec![
        ("id", json!("not-a-uuid")),
        ("integrationId", json!(42)),
        ("integrationKey", json!(["dfxm"])),
        ("sourceId", json!(true)),
        ("sourceType", json!(7)),
        ("platformName", json!({"name": "Basiq"})),
        ("linkUrl", json!(12)),
        ("status", json!(3)),
        ("lastSync", json!(20221027)),
        ("created", json!(null)),
        ("dataConnectionErrors", json!("none")),
        ("connectionInfo", json!([1, 2])),
    ]
}

/// Page `number` of a listing of `total`, three connections a page.
fn page(number: u64, results: Vec<Value>, total: u64, next: bool) -> Fault {
    json_answer(&page_of(number, 3, total, results, next))
}

#[tokio::test(start_paused = true)]
async fn a_malformed_field_loses_only_its_connection_and_the_listing_goes_on() {
    for (field, value) in malformed() {
        let mut bad = connection(BAD_ID, "Deauthorized");
        bad[field] = value.clone();
        let first = vec![
            connection(GOOD[0], "Linked"),
            bad.clone(),
            connection(GOOD[1], "Linked"),
        ];
        let second = vec![connection(GOOD[2], "Linked")];
        let mock = mock_company(&[]).await;
        let codat = &mock.codat;
        codat.answer_with(vec![page(1, first, 4, true), page(2, second, 4, false)]);
        let items: Vec<_> = mock.list().page_size(3).connections().collect().await;
        assert_eq!(items.len(), 4, "{field}: {items:?}");
        let good: Vec<String> = items
            .iter()
            .filter_map(|item| item.as_ref().ok().map(|c| c.id.to_string()))
            .collect();
        assert_eq!(good, GOOD, "{field}: every good connection, in order");
        let errors: Vec<_> = items.iter().filter_map(|i| i.as_ref().err()).collect();
        let [Error::ConnectionDecode(item)] = errors.as_slice() else {
            panic!("{field}: {errors:?}");
        };
        assert_eq!(item.raw, bad, "{field}: the raw JSON is kept");
        // Read where they are strings, even when not valid.
        let expected_id = match field {
            "id" => Some("not-a-uuid".to_owned()),
            _ => Some(BAD_ID.to_owned()),
        };
        assert_eq!(item.id, expected_id, "{field}");
        let expected_status = (field != "status").then(|| "Deauthorized".to_owned());
        assert_eq!(item.status, expected_status, "{field}");
        assert_eq!(item.page, Some(1));
        assert!(!item.message.is_empty(), "{field}");
        assert_eq!(codat.request_count(), 2, "{field}: both pages fetched once");
    }
    support::record(
        "Decoding",
        "a page of 3 connections, one with a malformed value in each field of Connection in turn (12 cases), then a second page",
        "the 3 good connections yielded in order; the bad one as Error::ConnectionDecode with its raw JSON, id and status where readable; the stream goes on",
    );
}

/// What listing a company answers when the mock answers `answer` first.
async fn listed(answer: Fault) -> Result<Page<Connection>, Error> {
    let mock = mock_company(&[]).await;
    mock.codat.answer_with(vec![answer]);
    mock.list().await
}

#[tokio::test(start_paused = true)]
async fn a_page_that_decodes_whole_is_not_decoded_item_by_item() {
    let whole = page(1, vec![connection(GOOD[0], "Linked")], 1, false);
    let page = listed(whole).await.unwrap();
    assert_eq!(page.results.len(), 1);
    assert!(page.undecoded.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_page_that_is_not_a_page_still_fails_whole() {
    let mut broken = page_of(1, 3, 1, vec![connection(GOOD[0], "Linked")], false);
    broken["totalResults"] = json!("many");
    let err = listed(json_answer(&broken)).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn get_keeps_the_raw_json_of_a_connection_that_does_not_decode() {
    for (field, value) in malformed() {
        let mock = mock_company(&[ConnectionStatus::Linked]).await;
        let id = mock.connections[0];
        let mut bad = connection(&id.to_string(), "Unlinked");
        bad[field] = value;
        mock.codat.answer_with(vec![json_answer(&bad)]);
        let answer = mock.client.connections().get(mock.company, id).await;
        let err = answer.unwrap_err();
        let Error::ConnectionDecode(item) = &err else {
            panic!("{field}: {err:?}");
        };
        assert_eq!(item.raw, bad, "{field}");
        assert_eq!(item.page, None);
        assert_eq!(err.status().map(|s| s.as_u16()), Some(200));
        assert_eq!(err.attempts(), 1);
        assert!(!err.is_retryable());
    }
    support::record(
        "Decoding",
        "get answered with a connection with a malformed value in each field (12 cases)",
        "Error::ConnectionDecode with the raw JSON, id and status where readable; not retried",
    );
}

#[tokio::test(start_paused = true)]
async fn a_sweep_keeps_a_company_whose_listing_holds_unusable_connections() {
    const BAD_LINK: &str = "00000000-0000-4000-8000-0000000000b1";
    let mut undecodable = connection(BAD_ID, "Deauthorized");
    undecodable["created"] = json!(20211115);
    let mut bad_link = connection(BAD_LINK, "Unlinked");
    bad_link["linkUrl"] = json!("not a url");
    let results = vec![
        connection(GOOD[0], "Deauthorized"),
        undecodable.clone(),
        connection(GOOD[1], "Linked"),
        bad_link,
    ];
    let mock = mock_company(&[]).await;
    mock.codat
        .answer_with(vec![json_answer(&page_of(1, 5000, 4, results, false))]);
    let swept: Vec<_> = mock.client.sweep([mock.company]).collect().await;
    let [company] = swept.as_slice() else {
        panic!("one company: {swept:?}");
    };
    let found = company.result.as_ref().expect("the company is kept");
    let needing: Vec<String> = found
        .needing_reauthorization
        .iter()
        .map(|n| n.connection.id.to_string())
        .collect();
    assert_eq!(needing, [GOOD[0]], "the good Deauthorized connection");
    assert_eq!(found.connections, 3, "the connections that decoded");
    let unusable = |id: &str| {
        let mut matching = found
            .undecoded
            .iter()
            .filter(|u| u.id.as_deref() == Some(id));
        let item = matching
            .next()
            .unwrap_or_else(|| panic!("{id} is not under undecoded"));
        assert!(matching.next().is_none(), "{id} twice");
        item
    };
    assert_eq!(found.undecoded.len(), 2, "{:?}", found.undecoded);
    let undecodable_item = unusable(BAD_ID);
    assert_eq!(undecodable_item.status.as_deref(), Some("Deauthorized"));
    assert_eq!(undecodable_item.raw, undecodable, "the raw JSON is kept");
    let bad_link_item = unusable(BAD_LINK);
    assert_eq!(bad_link_item.status.as_deref(), Some("Unlinked"));
    assert!(
        bad_link_item.message.contains("linkUrl is not a URL"),
        "{}",
        bad_link_item.message
    );
    support::record(
        "Sweep",
        "a company whose listing holds a good Deauthorized connection, a Deauthorized one with a malformed `created` and an Unlinked one whose linkUrl is not a URL",
        "the company is yielded, not failed: the good connection with its link URL, the other two under `undecoded` with their id and status (the first with its raw JSON)",
    );
}
