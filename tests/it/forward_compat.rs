//! Decoding survives what Codat adds, changes or leaves out, from JSON and
//! through the client alike: unknown enum values and fields, nulls and
//! absences, loosely-typed connectionInfo, every documented date form, extra
//! page links; and what is genuinely invalid is still refused. (Every
//! version Codat has published is in `tests/drift.rs`.)
//!
//! Each case edits Codat's own example connection (or page), decodes it with
//! serde and gets it from a local server through the client, and checks
//! that both give the same, expected value.

use crate::support;

use chrono::SecondsFormat;
use codat_connections::{
    Client, Connection, ConnectionStatus, DataConnectionError, DataConnectionErrorStatus, DateTime,
    Error, Page, SourceType,
};
use serde_json::{Value, json};
use support::{COMPANY, CONNECTION, client, connection_path, connections_path, page_json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The RELIABILITY.md section these cases belong to: changes Codat has not
/// made yet are one kind of drift.
const AREA: &str = "Spec drift";

/// Codat's own example connection (`Linked`).
fn example() -> Value {
    support::connection_json("Linked")
}

/// A local server answering GET `path` with `body`, and a client of it.
async fn serve(at: String, body: &Value) -> (MockServer, Client) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let client = client(&server.uri());
    (server, client)
}

/// get-connection answered with `body`.
async fn get(body: &Value) -> Result<Connection, Error> {
    let (_server, client) = serve(connection_path(), body).await;
    client.connections().get(COMPANY, CONNECTION).await
}

/// list-connections answered with `body`.
async fn list(body: &Value) -> Result<Page<Connection>, Error> {
    let (_server, client) = serve(connections_path(), body).await;
    client.connections().list(COMPANY).await
}

/// `value` decoded by serde and through the client, which must agree.
async fn decoded_both_ways(value: &Value) -> Connection {
    let direct: Connection = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("does not decode: {e}\n{value:#}"));
    let served = get(value)
        .await
        .unwrap_or_else(|e| panic!("does not decode through the client: {e:?}\n{value:#}"));
    assert_eq!(served, direct, "the client and serde disagree on {value}");
    direct
}

/// `value` refused by serde, and by the client as a connection that does not
/// decode, keeping the JSON as received.
async fn refused_both_ways(what: &str, value: &Value) {
    assert!(
        serde_json::from_value::<Connection>(value.clone()).is_err(),
        "{what}: decoded although invalid: {value}"
    );
    match get(value).await {
        Err(Error::ConnectionDecode(undecoded)) => assert_eq!(&undecoded.raw, value, "{what}"),
        other => panic!("{what}: {other:?}"),
    }
}

/// A connection as written back by the client.
fn written(connection: &Connection) -> Value {
    serde_json::to_value(connection).expect("a connection serialises")
}

/// One `dataConnectionErrors` entry with every documented field set.
fn data_connection_error(status: Value) -> Value {
    json!({
        "statusCode": "503",
        "statusText": "Service Unavailable",
        "errorMessage": "The platform is down",
        "erroredOnUtc": "2024-05-01T10:00:00Z",
        "status": status,
        "resolvedOnUtc": null
    })
}

// ---------------------------------------------------------------- enums

#[tokio::test]
async fn enum_values_decode_to_named_or_catch_all_variants_and_re_encode_unchanged() {
    use DataConnectionErrorStatus as Status;
    // (status, sourceType, dataConnectionErrors[].status as sent; and decoded)
    let cases = [
        (
            "Suspended",
            "Payroll",
            json!("Escalated"),
            ConnectionStatus::Unknown("Suspended".into()),
            SourceType::Unrecognized("Payroll".into()),
            Some(Status::Unknown("Escalated".into())),
        ),
        // `Unknown` is a source type Codat names itself, not a catch-all.
        (
            "Deauthorized",
            "Unknown",
            json!("Active"),
            ConnectionStatus::Deauthorized,
            SourceType::Unknown,
            Some(Status::Active),
        ),
        (
            "PendingAuth",
            "Accounting",
            json!("Resolved"),
            ConnectionStatus::PendingAuth,
            SourceType::Accounting,
            Some(Status::Resolved),
        ),
        (
            "Unlinked",
            "Banking",
            Value::Null,
            ConnectionStatus::Unlinked,
            SourceType::Banking,
            None,
        ),
    ];
    for (status, source_type, error_status, expected_status, expected_source, expected_error) in
        cases
    {
        let mut value = example();
        value["status"] = json!(status);
        value["sourceType"] = json!(source_type);
        value["dataConnectionErrors"] = json!([data_connection_error(error_status.clone())]);
        let connection = decoded_both_ways(&value).await;
        let errors = connection.data_connection_errors.clone().expect("errors");
        assert_eq!(connection.status, expected_status);
        assert_eq!(connection.source_type, expected_source);
        assert_eq!(errors[0].status, expected_error);
        assert_eq!(errors[0].status_code.as_deref(), Some("503"));
        assert_eq!(
            errors[0].error_message.as_deref(),
            Some("The platform is down")
        );
        let catch_all = matches!(expected_status, ConnectionStatus::Unknown(_));
        assert_eq!(connection.status.is_known(), !catch_all, "{status}");
        assert_eq!(
            connection.source_type.is_known(),
            !catch_all,
            "{source_type}"
        );
        let again = written(&connection);
        assert_eq!(again["status"], status);
        assert_eq!(again["sourceType"], source_type);
        let again_error = &again["dataConnectionErrors"][0];
        assert_eq!(
            again_error.get("status").unwrap_or(&Value::Null),
            &error_status
        );
    }
    support::record(
        AREA,
        "future: status Suspended, sourceType Payroll, error status Escalated",
        "decode to the catch-all variants and re-encode unchanged",
    );
}

// ---------------------------------------------------------------- fields

/// One change to the example connection and what must show after decoding.
struct Case {
    edit: fn(&mut Value),
    check: fn(&Connection),
    /// The RELIABILITY.md row (case, outcome) the case proves, if any.
    row: Option<(&'static str, &'static str)>,
}

const OPTIONAL: [&str; 4] = [
    "integrationKey",
    "lastSync",
    "dataConnectionErrors",
    "connectionInfo",
];

fn without_optionals(connection: &Connection) {
    assert_eq!(connection.integration_key, None);
    assert_eq!(connection.last_sync, None);
    assert_eq!(connection.data_connection_errors, None);
    assert_eq!(connection.connection_info, None);
}

const CASES: [Case; 5] = [
    // New fields of every JSON type, at the top level and nested.
    Case {
        edit: |value| {
            value["syncSettings"] =
                json!({"frequency": "daily", "windows": [{"from": 1, "to": 2}]});
            value["tags"] = json!(["a", "b", {"c": null}]);
            value["healthScore"] = json!(0.93);
            value["isSandbox"] = json!(false);
            value["previousStatus"] = Value::Null;
            value["additionalProperties"] = json!(true);
            let mut error = data_connection_error(json!("Active"));
            error["retryAfter"] = json!({"seconds": 30, "hints": ["backoff"]});
            error["causes"] = json!([{"code": 1}]);
            error["severity"] = json!(3);
            value["dataConnectionErrors"] = json!([error]);
        },
        check: |connection| {
            let mut expected = example();
            expected["dataConnectionErrors"] = json!([data_connection_error(json!("Active"))]);
            let expected: Connection = serde_json::from_value(expected).expect("decodes");
            assert_eq!(
                connection, &expected,
                "the known fields decode as without them"
            );
            assert!(written(connection).get("syncSettings").is_none());
        },
        row: Some((
            "future: new top-level and nested fields (objects, arrays, numbers, bools, null)",
            "ignored; the known fields decode as without them",
        )),
    },
    Case {
        edit: |value| {
            for key in OPTIONAL {
                value[key] = Value::Null;
            }
        },
        check: without_optionals,
        row: None,
    },
    Case {
        edit: |value| {
            let object = value.as_object_mut().expect("an object");
            for key in OPTIONAL {
                object.remove(key);
            }
        },
        check: without_optionals,
        row: None,
    },
    Case {
        edit: |value| {
            value["dataConnectionErrors"] = json!([{
                "statusCode": null, "statusText": null, "errorMessage": null,
                "erroredOnUtc": null, "status": null, "resolvedOnUtc": null
            }]);
        },
        check: |connection| {
            let errors = connection.data_connection_errors.clone();
            assert_eq!(errors, Some(vec![DataConnectionError::default()]));
        },
        row: Some((
            "future: null in every optional field (Connection and dataConnectionErrors[])",
            "decodes to None",
        )),
    },
    Case {
        edit: |value| value["connectionInfo"] = connection_info(),
        check: |connection| {
            let info = connection.connection_info.clone().map(Value::Object);
            assert_eq!(
                info,
                Some(connection_info()),
                "connectionInfo is kept exactly"
            );
        },
        row: Some((
            "future: connectionInfo with nested objects, arrays, numbers, bools, nulls",
            "decodes and keeps every value",
        )),
    },
];

fn connection_info() -> Value {
    json!({
        "realmId": "123",
        "nested": {"deeper": {"list": [1, 2.5, -3, true, null, "x", {"k": []}]}},
        "count": 7,
        "ratio": 0.25,
        "enabled": true,
        "nothing": null,
        "list": []
    })
}

#[tokio::test]
async fn added_null_absent_and_free_form_fields_decode() {
    for case in &CASES {
        let mut value = example();
        (case.edit)(&mut value);
        (case.check)(&decoded_both_ways(&value).await);
    }
    for (case, outcome) in CASES.iter().filter_map(|case| case.row) {
        support::record(AREA, case, outcome);
    }
}

// ---------------------------------------------------------------- dates

/// The variant of a decoded `DateTime`, by name.
fn variant(date: &DateTime) -> &'static str {
    match date {
        DateTime::Utc(_) => "Utc",
        DateTime::Local(_) => "Local",
        DateTime::Offset(_) => "Offset",
        DateTime::Date(_) => "Date",
        _ => "another",
    }
}

#[tokio::test]
async fn every_documented_date_form_decodes_in_every_date_field() {
    // (as sent and written back, its variant, the instant if it names one);
    // seven digits are kept to the 100 nanoseconds.
    let forms = [
        ("2021-11-15T06:00:00Z", "Utc", Some("2021-11-15T06:00:00Z")),
        ("2021-11-15T01:00:00", "Local", None),
        (
            "2021-11-15T01:00:00-05:00",
            "Offset",
            Some("2021-11-15T06:00:00Z"),
        ),
        (
            "2021-11-15T06:00:00+00:00",
            "Offset",
            Some("2021-11-15T06:00:00Z"),
        ),
        (
            "2022-10-27T10:22:43.6464237Z",
            "Utc",
            Some("2022-10-27T10:22:43.646423700Z"),
        ),
        ("2022-10-27T10:22:43.6464237", "Local", None),
        ("2022-10-23", "Date", None),
    ];
    for (form, expected_variant, instant) in forms {
        let mut value = example();
        value["created"] = json!(form);
        value["lastSync"] = json!(form);
        value["dataConnectionErrors"] = json!([{
            "erroredOnUtc": form, "resolvedOnUtc": form, "status": "Resolved"
        }]);
        let connection = decoded_both_ways(&value).await;
        let errors = connection.data_connection_errors.expect("errors decode");
        let dates = [
            Some(connection.created),
            connection.last_sync,
            errors[0].errored_on_utc.clone(),
            errors[0].resolved_on_utc.clone(),
        ];
        for date in dates {
            let date = date.unwrap_or_else(|| panic!("{form}: a date field decoded to None"));
            assert_eq!(
                variant(&date),
                expected_variant,
                "{form} decoded to {date:?}"
            );
            assert_eq!(date.to_string(), form, "written back as received");
            assert_eq!(form.parse::<DateTime>().ok(), Some(date.clone()));
            let utc = date
                .to_utc()
                .map(|u| u.to_rfc3339_opts(SecondsFormat::AutoSi, true));
            assert_eq!(utc.as_deref(), instant, "{form}: no instant is invented");
        }
    }
    support::record(
        AREA,
        "future: created, lastSync, erroredOnUtc, resolvedOnUtc in Z, local, offset, 7-digit fraction and date-only forms",
        "decode to the matching DateTime variant; re-encode unchanged (7 digits as 9)",
    );
}

#[tokio::test]
async fn a_date_field_that_is_not_a_date_is_kept_as_it_came() {
    // Codat's `DateTime` schema is a plain string: these are all valid answers.
    let texts = [
        "eiusmod",
        "fugiat sed",
        "",
        "15/11/2021",
        "2021-11-15 06:00:00",
        "1636956000",
        "2021-02-29",
        "2021-11-15T06:00:00+0500",
    ];
    for text in texts {
        let mut value = example();
        value["created"] = json!(text);
        value["lastSync"] = json!(text);
        value["dataConnectionErrors"] = json!([{"erroredOnUtc": text, "resolvedOnUtc": text}]);
        let connection = decoded_both_ways(&value).await;
        let errors = connection
            .data_connection_errors
            .clone()
            .expect("errors decode");
        let dates = [
            Some(connection.created.clone()),
            connection.last_sync.clone(),
            errors[0].errored_on_utc.clone(),
            errors[0].resolved_on_utc.clone(),
        ];
        for date in dates {
            let date = date.unwrap_or_else(|| panic!("{text:?}: a date field decoded to None"));
            assert_eq!(date, DateTime::Other(text.to_owned()), "{text:?}");
            assert_eq!(date.to_utc(), None, "{text:?} is no instant");
            assert_eq!(date.date(), None, "{text:?} is no date");
            assert!(date.parse_error().is_some(), "{text:?} says why");
        }
        let encoded = serde_json::to_value(&connection).expect("serialises");
        for field in ["created", "lastSync"] {
            assert_eq!(
                encoded[field],
                json!(text),
                "{field} written back as it came"
            );
        }
    }
    support::record(
        AREA,
        "future: created, lastSync, erroredOnUtc, resolvedOnUtc holding strings that are not dates (lorem ipsum, empty, other date spellings, impossible dates)",
        "the connection decodes; each is DateTime::Other with the text as sent, no instant or date; re-encoded unchanged",
    );
}

// ---------------------------------------------------------------- pages

#[tokio::test]
async fn a_page_with_extra_links_and_fields_decodes() {
    let mut second = example();
    second["status"] = json!("Suspended");
    second["id"] = json!("0f5f2c39-3f0f-4e1f-9b7a-3a1f2d5e6c7b");
    second["newThing"] = json!([]);
    for next in [json!({"href": "/next", "templated": false}), Value::Null] {
        let mut page = page_json();
        page["_links"]["first"] = json!({"href": "/companies/x/connections?page=1"});
        page["_links"]["last"] = json!({"href": "/last", "templated": false});
        page["_links"]["self"]["title"] = json!("This page");
        page["_links"]["next"] = next.clone();
        page["nextCursor"] = json!("opaque-cursor");
        page["meta"] = json!({"generatedAt": "2026-01-01T00:00:00Z", "shards": [1, 2]});
        page["results"]
            .as_array_mut()
            .expect("results")
            .push(second.clone());
        let decoded = list(&page).await.expect("extras are ignored");
        assert!(decoded.undecoded.is_empty(), "{:?}", decoded.undecoded);
        assert_eq!(decoded.results.len(), 2);
        let suspended = ConnectionStatus::Unknown("Suspended".into());
        assert_eq!(decoded.results[1].status, suspended);
        assert_eq!(decoded.next_href(), next["href"].as_str());
        let href = |link: &str| page["_links"][link]["href"].as_str().map(str::to_owned);
        assert_eq!(decoded.links.self_.href, href("self"));
        assert_eq!(decoded.links.current.href, href("current"));
        assert_eq!(Some(decoded.page_number), page["pageNumber"].as_i64());
        assert_eq!(Some(decoded.total_results), page["totalResults"].as_i64());
    }
    support::record(
        AREA,
        "future: page with extra _links entries, extra link fields, next null, extra top-level fields",
        "decodes; extras ignored",
    );
}

// ---------------------------------------------------------------- negative control

#[tokio::test]
async fn genuinely_invalid_responses_are_refused() {
    let connection = support::schema::component("Connection");
    let doc = support::schema::connections_document();
    let schema = support::schema::flatten(doc, &connection, 0);
    let required = schema["required"].as_array().expect("required fields");
    assert!(required.len() >= 5, "{required:?}");
    for field in required {
        let mut value = example();
        let field = field.as_str().expect("a name");
        value.as_object_mut().expect("an object").remove(field);
        refused_both_ways(&format!("{field} missing"), &value).await;
    }
    let bad: [(&str, Value); 7] = [
        ("id", json!("not-a-uuid")),
        ("created", json!(1636956000)),
        ("created", json!(null)),
        ("created", json!(["2021-11-15"])),
        ("created", json!({"date": "2021-11-15"})),
        ("lastSync", json!(true)),
        ("status", json!(3)),
    ];
    for (field, wrong) in bad {
        let mut value = example();
        value[field] = wrong.clone();
        refused_both_ways(&format!("{field} = {wrong}"), &value).await;
    }
    let mut page = page_json();
    page.as_object_mut().expect("an object").remove("_links");
    let err = list(&page).await.expect_err("a page without _links");
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    // The control's control: the untouched example decodes.
    decoded_both_ways(&example()).await;
    support::record(
        AREA,
        "negative control: created missing, id not a UUID, created not a string, status a number, page without _links",
        "refused",
    );
}
