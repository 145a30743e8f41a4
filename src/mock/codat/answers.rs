//! The mock's answers in Codat's shapes: its `ErrorMessage` errors, the
//! validation failure that names each violation, and JSON successes. Every
//! part of the mock that answers (the dispatch, the handlers, the faults and
//! the rate limit) builds its answers here, so that all of them look alike.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Codat's `ErrorMessage` body.
fn error_body(status: StatusCode, message: &str) -> Value {
    json!({
        "statusCode": status.as_u16(),
        "service": "PublicApi",
        "error": message,
        "correlationId": uuid::Uuid::new_v4().simple().to_string(),
        "canBeRetried": "Unknown",
        "detailedErrorCode": 0,
    })
}

/// An error answer in Codat's shape.
pub(in crate::mock) fn error(status: StatusCode, message: &str) -> Response {
    json_answer(status, error_body(status, message).to_string())
}

/// Codat's 400 for a request that breaks the document: the violations in
/// the message, and each one as an item of `validation`.
pub(in crate::mock) fn validation_failed(violations: &[String]) -> Response {
    let message = format!("Request validation failed: {}", violations.join("; "));
    let items: Vec<Value> = violations
        .iter()
        .map(|m| json!({"itemId": null, "message": m, "validatorName": "OpenApiContract"}))
        .collect();
    let mut body = error_body(StatusCode::BAD_REQUEST, &message);
    body["canBeRetried"] = json!("False");
    body["validation"] = json!({"errors": items, "warnings": []});
    json_answer(StatusCode::BAD_REQUEST, body.to_string())
}

/// Codat's 400 for a listing's `query` or `orderBy` it cannot use: the
/// document's `Malformed-Query` answer, whose `error` is
/// `Error parsing query - {what}` (its examples say `Malformed query.` and
/// `Could not resolve property isCompleted on Dataset`), with the mock's
/// reason as a validation item.
pub(in crate::mock) fn malformed_query(what: &str, why: &str) -> Response {
    let mut body = error_body(
        StatusCode::BAD_REQUEST,
        &format!("Error parsing query - {what}"),
    );
    body["service"] = json!("ClientsApi");
    let item = json!({"itemId": null, "message": why, "validatorName": "Query"});
    body["validation"] = json!({"errors": [item], "warnings": []});
    json_answer(StatusCode::BAD_REQUEST, body.to_string())
}

/// A JSON answer.
fn json_answer(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A 200 with `value` as JSON.
pub(in crate::mock) fn json_response(value: &impl serde::Serialize) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => json_answer(StatusCode::OK, body),
        Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, &err.to_string()),
    }
}

/// Codat's answer for a company ID it does not know.
pub(in crate::mock) fn no_company(id: &str) -> Response {
    let message = format!("No company was found with ID {id}");
    error(StatusCode::NOT_FOUND, &message)
}
