//! Decoding survives what Codat adds or leaves out: unknown enum values and
//! fields, nulls, loosely-typed connectionInfo, and every documented date form.

use codat_connections::{Client, Connection, ConnectionStatus, DateTime, SourceType};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const COMPANY: &str = "8a210b68-6988-11ed-a1eb-0242ac120002";
const CONNECTION: &str = "ee2eb431-c0fa-4dc9-93fa-d29781c12bcd";

fn example() -> Value {
    serde_json::from_str(include_str!("data/connection.json")).expect("fixture is JSON")
}

fn with(mut value: Value, field: &str, new: Value) -> Value {
    value[field] = new;
    value
}

fn decode(value: Value) -> Connection {
    serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("should decode: {e}\n{value:#}"))
}

/// Serves `body` as the answer to get-connection and fetches it.
async fn get_through_client(body: Value) -> Connection {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/companies/{COMPANY}/connections/{CONNECTION}"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder("test-key")
        .base_url(server.uri())
        .build()
        .expect("valid settings");
    let connection = client
        .connections()
        .get(COMPANY, CONNECTION)
        .await
        .unwrap_or_else(|e| panic!("should decode through the client: {e:?}"));
    server.verify().await;
    connection
}

// ---------------------------------------------------------------- enums

#[tokio::test]
async fn unknown_status_is_kept() {
    let connection = get_through_client(with(example(), "status", json!("Suspended"))).await;
    assert_eq!(
        connection.status,
        ConnectionStatus::Unknown("Suspended".to_owned())
    );
    assert!(!connection.status.is_known());
    // ... and written back as received.
    assert_eq!(
        serde_json::to_value(&connection).expect("serialisable")["status"],
        "Suspended"
    );
}

#[tokio::test]
async fn known_status_is_the_named_variant_not_unknown() {
    let connection = get_through_client(with(example(), "status", json!("Deauthorized"))).await;
    assert_eq!(connection.status, ConnectionStatus::Deauthorized);
    assert!(connection.status.is_known());
}

#[tokio::test]
async fn unknown_source_type_is_kept() {
    let connection = get_through_client(with(example(), "sourceType", json!("Payroll"))).await;
    assert_eq!(
        connection.source_type,
        SourceType::Unrecognized("Payroll".to_owned())
    );
    assert!(!connection.source_type.is_known());
}

#[test]
fn codats_own_unknown_source_type_is_a_named_value() {
    let connection = decode(with(example(), "sourceType", json!("Unknown")));
    assert_eq!(connection.source_type, SourceType::Unknown);
    assert!(connection.source_type.is_known());
}

fn data_connection_error(status: Value) -> Value {
    json!([{
        "errorMessage": "The token has expired",
        "erroredOnUtc": "2022-10-27T10:22:43Z",
        "resolvedOnUtc": null,
        "status": status,
        "statusCode": "401",
        "statusText": "Unauthorized"
    }])
}

fn error_status_of(connection: &Connection) -> Option<String> {
    let errors = connection
        .data_connection_errors
        .as_ref()
        .expect("dataConnectionErrors decoded");
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].error_message.as_deref(),
        Some("The token has expired")
    );
    assert_eq!(errors[0].status_code.as_deref(), Some("401"));
    errors[0].status.as_ref().map(ToString::to_string)
}

#[test]
fn known_data_connection_error_statuses_decode() {
    for status in ["Active", "Resolved"] {
        let connection = decode(with(
            example(),
            "dataConnectionErrors",
            data_connection_error(json!(status)),
        ));
        assert_eq!(error_status_of(&connection).as_deref(), Some(status));
    }
    let connection = decode(with(
        example(),
        "dataConnectionErrors",
        data_connection_error(Value::Null),
    ));
    assert_eq!(error_status_of(&connection), None);
}

#[test]
fn unknown_data_connection_error_status_is_kept() {
    let value = with(
        example(),
        "dataConnectionErrors",
        data_connection_error(json!("Flapping")),
    );
    let connection = decode(value);
    assert_eq!(error_status_of(&connection).as_deref(), Some("Flapping"));
    assert_eq!(
        serde_json::to_value(&connection).expect("serialisable")["dataConnectionErrors"][0]
            ["status"],
        "Flapping"
    );
}

#[tokio::test]
async fn unknown_data_connection_error_status_is_kept_through_the_client() {
    let connection = get_through_client(with(
        example(),
        "dataConnectionErrors",
        data_connection_error(json!("Flapping")),
    ))
    .await;
    assert_eq!(error_status_of(&connection).as_deref(), Some("Flapping"));
}

// ---------------------------------------------------------------- unknown fields

#[tokio::test]
async fn unknown_fields_are_ignored_at_top_level_and_nested() {
    let mut value = example();
    value["brandNewField"] = json!({"deep": [1, 2, {"x": null}]});
    value["additionalProperties"] = json!(true);
    value["dataConnectionErrors"] = data_connection_error(json!("Active"));
    value["dataConnectionErrors"][0]["retryAfterUtc"] = json!("2022-10-28T00:00:00Z");
    value["dataConnectionErrors"][0]["severity"] = json!(3);
    let connection = get_through_client(value).await;
    assert_eq!(connection.platform_name, "Basiq");
    assert_eq!(error_status_of(&connection).as_deref(), Some("Active"));
    let written = serde_json::to_value(&connection).expect("serialisable");
    assert!(written.get("brandNewField").is_none(), "{written}");
}

#[tokio::test]
async fn unknown_fields_in_a_page_and_its_links_are_ignored() {
    let mut page: Value =
        serde_json::from_str(include_str!("data/connections_page.json")).expect("fixture");
    page["_links"]["last"] = json!({"href": "/last"});
    page["_links"]["next"]["templated"] = json!(false);
    page["nextCursor"] = json!("abc");
    page["results"][0]["newThing"] = json!([]);

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/companies/{COMPANY}/connections")))
        .respond_with(ResponseTemplate::new(200).set_body_json(page))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder("test-key")
        .base_url(server.uri())
        .build()
        .expect("valid settings");
    let page = client
        .connections()
        .list(COMPANY)
        .await
        .expect("extra fields are ignored");
    assert_eq!(page.results.len(), 1);
    assert!(page.has_next_page());
    server.verify().await;
}

// ---------------------------------------------------------------- nulls and absences

#[tokio::test]
async fn null_in_every_nullable_field_decodes_to_none() {
    let mut value = example();
    value["lastSync"] = Value::Null;
    value["connectionInfo"] = Value::Null;
    value["dataConnectionErrors"] = Value::Null;
    value
        .as_object_mut()
        .expect("object")
        .remove("integrationKey");
    let connection = get_through_client(value).await;
    assert_eq!(connection.last_sync, None);
    assert_eq!(connection.connection_info, None);
    assert_eq!(connection.data_connection_errors, None);
    assert_eq!(connection.integration_key, None);
}

#[test]
fn absent_optional_fields_decode_to_none() {
    let mut value = example();
    let object = value.as_object_mut().expect("object");
    for field in [
        "lastSync",
        "connectionInfo",
        "dataConnectionErrors",
        "integrationKey",
    ] {
        object.remove(field);
    }
    let connection = decode(value);
    assert_eq!(connection.last_sync, None);
    assert_eq!(connection.connection_info, None);
    assert_eq!(connection.data_connection_errors, None);
    assert_eq!(connection.integration_key, None);
}

#[test]
fn nulls_inside_a_data_connection_error_decode_to_none() {
    let connection = decode(with(
        example(),
        "dataConnectionErrors",
        json!([{
            "errorMessage": null,
            "erroredOnUtc": null,
            "resolvedOnUtc": null,
            "status": null,
            "statusCode": null,
            "statusText": null
        }]),
    ));
    let errors = connection.data_connection_errors.expect("present");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].error_message, None);
    assert_eq!(errors[0].errored_on_utc, None);
    assert_eq!(errors[0].resolved_on_utc, None);
    assert!(errors[0].status.is_none());
}

#[test]
fn missing_required_field_is_still_an_error() {
    for field in ["id", "status", "created", "linkUrl", "sourceType"] {
        let mut value = example();
        value.as_object_mut().expect("object").remove(field);
        assert!(
            serde_json::from_value::<Connection>(value).is_err(),
            "{field} is required"
        );
    }
}

#[test]
fn connection_info_keeps_non_string_values() {
    let info = json!({
        "tenant": "abc",
        "count": 3,
        "ratio": 0.5,
        "enabled": true,
        "missing": null,
        "list": [1, "two"],
        "nested": {"a": {"b": 1}}
    });
    let connection = decode(with(example(), "connectionInfo", info.clone()));
    let kept = connection.connection_info.expect("connectionInfo decoded");
    assert_eq!(Value::Object(kept), info);
}

#[tokio::test]
async fn connection_info_keeps_non_string_values_through_the_client() {
    let info = json!({"count": 3, "enabled": false, "nested": {"a": [null]}});
    let connection = get_through_client(with(example(), "connectionInfo", info.clone())).await;
    assert_eq!(connection.connection_info.map(Value::Object), Some(info));
}

// ---------------------------------------------------------------- dates

#[test]
fn utc_date_time_is_the_utc_variant() {
    let connection = decode(with(example(), "created", json!("2021-11-15T06:00:00Z")));
    let DateTime::Utc(utc) = connection.created else {
        panic!("expected Utc, got {:?}", connection.created);
    };
    assert_eq!(utc.to_rfc3339(), "2021-11-15T06:00:00+00:00");
    assert_eq!(connection.created.to_string(), "2021-11-15T06:00:00Z");
}

#[test]
fn unqualified_date_time_is_local_with_no_instant() {
    let connection = decode(with(example(), "created", json!("2021-11-15T01:00:00")));
    let DateTime::Local(local) = connection.created else {
        panic!("expected Local, got {:?}", connection.created);
    };
    assert_eq!(local.to_string(), "2021-11-15 01:00:00");
    assert_eq!(connection.created.to_utc(), None, "no offset is invented");
    assert_eq!(connection.created.to_string(), "2021-11-15T01:00:00");
}

#[test]
fn offset_date_time_is_the_offset_variant_at_the_same_instant() {
    let connection = decode(with(
        example(),
        "created",
        json!("2021-11-15T01:00:00-05:00"),
    ));
    let DateTime::Offset(offset) = connection.created else {
        panic!("expected Offset, got {:?}", connection.created);
    };
    assert_eq!(offset.to_rfc3339(), "2021-11-15T01:00:00-05:00");
    assert_eq!(
        connection
            .created
            .to_utc()
            .map(|u| u.to_rfc3339())
            .as_deref(),
        Some("2021-11-15T06:00:00+00:00")
    );
}

#[test]
fn seven_digit_fraction_is_kept_to_100_nanoseconds() {
    let connection = decode(with(
        example(),
        "created",
        json!("2022-10-27T10:22:43.6464237Z"),
    ));
    let DateTime::Utc(utc) = connection.created else {
        panic!("expected Utc, got {:?}", connection.created);
    };
    assert_eq!(utc.timestamp_subsec_nanos(), 646_423_700);
    assert_eq!(utc.timestamp(), 1_666_866_163);
}

#[test]
fn date_only_is_the_date_variant() {
    let connection = decode(with(example(), "created", json!("2022-10-23")));
    let DateTime::Date(date) = connection.created else {
        panic!("expected Date, got {:?}", connection.created);
    };
    assert_eq!(date.to_string(), "2022-10-23");
    assert_eq!(connection.created.to_utc(), None);
}

#[tokio::test]
async fn every_documented_form_of_last_sync_decodes_through_the_client() {
    type IsVariant = fn(&DateTime) -> bool;
    let forms: [(&str, IsVariant); 5] = [
        ("2021-11-15T06:00:00Z", |d| matches!(d, DateTime::Utc(_))),
        ("2021-11-15T01:00:00", |d| matches!(d, DateTime::Local(_))),
        ("2021-11-15T01:00:00-05:00", |d| {
            matches!(d, DateTime::Offset(_))
        }),
        ("2022-10-27T10:22:43.6464237Z", |d| {
            matches!(d, DateTime::Utc(_))
        }),
        ("2022-10-23", |d| matches!(d, DateTime::Date(_))),
    ];
    for (form, is_expected_variant) in forms {
        let connection = get_through_client(with(example(), "lastSync", json!(form))).await;
        let last_sync = connection.last_sync.expect("lastSync decoded");
        assert!(
            is_expected_variant(&last_sync),
            "{form} became {last_sync:?}"
        );
        // The same form in `created` decodes to the same value.
        let created = decode(with(example(), "created", json!(form))).created;
        assert_eq!(created, last_sync, "{form}");
    }
}

#[test]
fn an_undocumented_date_form_is_a_decode_error_not_a_guess() {
    for bad in ["15/11/2021", "2021-11-15 06:00:00", "", "1636956000"] {
        assert!(
            serde_json::from_value::<Connection>(with(example(), "created", json!(bad))).is_err(),
            "{bad:?} should not decode"
        );
    }
}
