//! One bad connection hides nothing: a page whose connections all decode
//! but one yields every good connection, and for the bad one an
//! `Error::ConnectionDecode` with its raw JSON, id and status, then the
//! listing goes on. `get` keeps the raw JSON too. One malformed value in
//! each field of `Connection`.
#![cfg(feature = "mock")]

mod support;

use codat_connections::mock::{Fault, MockCodat};
use codat_connections::{ConnectionStatus, Error};
use futures::StreamExt;
use serde_json::{json, Value};

fn connection(id: &str, status: &str) -> Value {
    json!({
        "created": "2022-10-27T09:53:29Z",
        "id": id,
        "integrationId": "bf083d72-62c7-493e-aec9-81b4dbba7e2c",
        "integrationKey": "dfxm",
        "lastSync": "2022-10-27T10:22:43.6464237Z",
        "linkUrl": format!("https://link-api.codat.io/companies/86bd88cb-44ab-4dfb-b32f-87b19b14287f/connections/{id}/start"),
        "platformName": "Basiq",
        "sourceId": "bdd831ce-eebd-4896-89a7-20e5ee8989ee",
        "sourceType": "Banking",
        "status": status,
        "dataConnectionErrors": [],
        "connectionInfo": {"a": "b"},
    })
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
        ("lastSync", json!("yesterday")),
        ("created", json!(null)),
        ("dataConnectionErrors", json!("none")),
        ("connectionInfo", json!([1, 2])),
    ]
}

fn page(number: u64, results: Vec<Value>, total: u64, next: bool) -> Fault {
    let href = |p: u64| json!({"href": format!("/companies/x/connections?page={p}&pageSize=3")});
    let mut links = json!({"self": {"href": "/companies/x/connections"}, "current": href(number)});
    if next {
        links["next"] = href(number + 1);
    }
    let body = json!({
        "results": results,
        "pageNumber": number,
        "pageSize": 3,
        "totalResults": total,
        "_links": links,
    });
    Fault::Respond {
        status: 200,
        content_type: "application/json".into(),
        body: body.to_string().into_bytes(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_malformed_field_loses_only_its_connection_and_the_listing_goes_on() {
    for (field, value) in malformed() {
        let codat = MockCodat::start().await.unwrap();
        let company = codat.add_company();
        let mut bad = connection(BAD_ID, "Deauthorized");
        bad[field] = value.clone();
        codat.inject(
            page(
                1,
                vec![
                    connection(GOOD[0], "Linked"),
                    bad.clone(),
                    connection(GOOD[1], "Linked"),
                ],
                4,
                true,
            ),
            1,
        );
        codat.inject(page(2, vec![connection(GOOD[2], "Linked")], 4, false), 1);
        let client = codat.client().unwrap();
        let items: Vec<_> = client
            .connections()
            .list(company)
            .page_size(3)
            .connections()
            .collect()
            .await;
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

#[tokio::test(start_paused = true)]
async fn a_page_that_decodes_whole_is_not_decoded_item_by_item() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    codat.inject(page(1, vec![connection(GOOD[0], "Linked")], 1, false), 1);
    let client = codat.client().unwrap();
    let page = client.connections().list(company).await.unwrap();
    assert_eq!(page.results.len(), 1);
    assert!(page.undecoded.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_page_that_is_not_a_page_still_fails_whole() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    let mut broken = page(1, vec![connection(GOOD[0], "Linked")], 1, false);
    if let Fault::Respond { body, .. } = &mut broken {
        let mut value: Value = serde_json::from_slice(body).unwrap();
        value["totalResults"] = json!("many");
        *body = value.to_string().into_bytes();
    }
    codat.inject(broken, 1);
    let err = codat
        .client()
        .unwrap()
        .connections()
        .list(company)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn get_keeps_the_raw_json_of_a_connection_that_does_not_decode() {
    for (field, value) in malformed() {
        let codat = MockCodat::start().await.unwrap();
        let company = codat.add_company();
        let id = codat.add_connection(company, "gbol".parse().unwrap(), ConnectionStatus::Linked);
        let mut bad = connection(&id.to_string(), "Unlinked");
        bad[field] = value;
        codat.inject(
            Fault::Respond {
                status: 200,
                content_type: "application/json".into(),
                body: bad.to_string().into_bytes(),
            },
            1,
        );
        let err = codat
            .client()
            .unwrap()
            .connections()
            .get(company, id)
            .await
            .unwrap_err();
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
