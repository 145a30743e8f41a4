//! Codat's behaviour for each operation of the document the mock
//! implements, once the call has passed the key check and the contract.
// Handlers return the error response itself; the size of an error path in a
// test server does not matter, and boxing every response would only add noise.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::answers::no_company;
use super::answers::{error, json_response};
use super::companies;
use super::contract::Call;
use super::listing;
use super::parameters::{self as parameter, company_id};
use super::state::State;
use crate::raw::types::Connection;
use crate::{CompanyId, ConnectionId, ConnectionStatus, PlatformKey};

/// Codat's behaviour for a call of one operation of the document: its
/// answer, or the error answer that ended it early.
type Handler = fn(&mut State, &Call<'_>, &[u8]) -> Result<Response, Response>;

/// The operations the mock implements, by the document's `operationId`.
/// Their paths, methods and parameter names are read from the document, so
/// the mock answers where the document says Codat does.
const HANDLERS: [(&str, Handler); 9] = [
    ("list-companies", companies::list_companies),
    ("create-company", companies::create_company),
    ("get-company", companies::get_company),
    ("list-connections", list_connections),
    ("create-connection", create_connection),
    ("get-connection", get_connection),
    ("delete-connection", delete_connection),
    ("unlink-connection", unlink_connection),
    ("update-connection-authorization", update_authorization),
];

/// The answer of the operation `call` calls, or 501 for one the document
/// has and the mock does not implement.
pub(in crate::mock) fn answer(state: &mut State, call: &Call<'_>, body: &[u8]) -> Response {
    match HANDLERS.iter().find(|(id, _)| *id == call.operation.id) {
        Some((_, handle)) => handle(state, call, body).unwrap_or_else(|refused| refused),
        None => error(
            StatusCode::NOT_IMPLEMENTED,
            &format!("The mock does not implement {}", call.operation.id),
        ),
    }
}

/// The company a call names, and its connections.
fn connections_of<'s>(
    state: &'s mut State,
    call: &Call<'_>,
) -> Result<(CompanyId, &'s mut BTreeMap<ConnectionId, Connection>), Response> {
    let company = call.value(parameter::COMPANY).unwrap_or_default();
    let id = company_id(company)?;
    state
        .companies
        .get_mut(&id)
        .map(|c| (id, &mut c.connections))
        .ok_or_else(|| no_company(company))
}

/// The connection a call names.
fn connection_of<'s>(
    state: &'s mut State,
    call: &Call<'_>,
) -> Result<&'s mut Connection, Response> {
    let (_, connections) = connections_of(state, call)?;
    let connection = call.value(parameter::CONNECTION).unwrap_or_default();
    connection
        .parse::<ConnectionId>()
        .ok()
        .and_then(|id| connections.get_mut(&id))
        .ok_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                &format!("Data connection {connection} not found"),
            )
        })
}

fn list_connections(state: &mut State, call: &Call<'_>, _: &[u8]) -> Result<Response, Response> {
    let (page, page_size) = listing::page_of(call);
    let fields = state.contract.properties(CONNECTION_SCHEMA);
    let filter = listing::filter(call, parameter::QUERY, fields, CONNECTION_SCHEMA)?;
    let (key, descending) = match call.value(parameter::ORDER_BY).map(order_by) {
        None => (sort_key_created as SortKey, false),
        Some(Ok(order)) => order,
        Some(Err(field)) => return Err(listing::unresolved(&field, "orderBy", CONNECTION_SCHEMA)),
    };
    let (_, connections) = connections_of(state, call)?;
    let mut matching: Vec<&Connection> = connections
        .values()
        .filter(|c| {
            filter
                .as_ref()
                .is_none_or(|query| serde_json::to_value(c).is_ok_and(|json| query.matches(&json)))
        })
        .collect();
    // Each connection's key is worked out once, not at every comparison.
    matching.sort_by_cached_key(|c| (key(c), c.id));
    if descending {
        matching.reverse();
    }
    Ok(listing::page_answer(call, &matching, page, page_size))
}

/// The document's schema of a connection, whose properties a query names.
const CONNECTION_SCHEMA: &str = "Connection";

/// What a connection is ordered by.
type SortKey = fn(&Connection) -> String;

fn sort_key_created(c: &Connection) -> String {
    c.created
        .naive_local()
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Codat's `orderBy`: a field name, `-` in front for descending; the
/// field, when a connection has none by that name to order by.
fn order_by(text: &str) -> Result<(SortKey, bool), String> {
    let (descending, field) = match text.strip_prefix('-') {
        Some(field) => (true, field),
        None => (false, text),
    };
    let key: SortKey = match field {
        "created" => sort_key_created,
        "lastSync" => |c| {
            c.last_sync
                .as_ref()
                .and_then(crate::DateTime::naive_local)
                .map(|t| t.to_string())
                .unwrap_or_default()
        },
        "id" => |c| c.id.to_string(),
        "platformName" => |c| c.platform_name.clone(),
        "status" => |c| c.status.to_string(),
        "sourceType" => |c| c.source_type.to_string(),
        "integrationKey" => |c| c.integration_key.clone().unwrap_or_default(),
        "integrationId" => |c| c.integration_id.to_string(),
        "sourceId" => |c| c.source_id.to_string(),
        "linkUrl" => |c| c.link_url.clone(),
        other => return Err(other.to_owned()),
    };
    Ok((key, descending))
}

/// A fresh connection ID.
fn new_id() -> ConnectionId {
    ConnectionId::from_uuid(uuid::Uuid::new_v4())
}

/// A text field of a JSON request body.
fn body_text(body: &[u8], field: &str) -> Option<String> {
    let body = serde_json::from_slice::<Value>(body).ok()?;
    body.get(field)?.as_str().map(str::to_owned)
}

fn create_connection(
    state: &mut State,
    call: &Call<'_>,
    body: &[u8],
) -> Result<Response, Response> {
    let key = body_text(body, "platformKey").and_then(|k| k.parse::<PlatformKey>().ok());
    let Some(key) = key else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "platformKey must be four lowercase letters",
        ));
    };
    let (company_id, _) = connections_of(state, call)?;
    let connection = state
        .new_connection(company_id, new_id(), key, ConnectionStatus::PendingAuth)
        .map_err(|message| error(StatusCode::INTERNAL_SERVER_ERROR, &message))?;
    let answer = json_response(&connection);
    state.announce("connection.created", company_id, &connection);
    if let Some(company) = state.companies.get_mut(&company_id) {
        company.connections.insert(connection.id, connection);
    }
    Ok(answer)
}

fn get_connection(state: &mut State, call: &Call<'_>, _: &[u8]) -> Result<Response, Response> {
    Ok(json_response(connection_of(state, call)?))
}

fn delete_connection(state: &mut State, call: &Call<'_>, _: &[u8]) -> Result<Response, Response> {
    let id = connection_of(state, call)?.id;
    if let Ok((company, connections)) = connections_of(state, call)
        && let Some(deleted) = connections.remove(&id)
    {
        state.announce("connection.deleted", company, &deleted);
    }
    Ok(StatusCode::OK.into_response())
}

fn unlink_connection(
    state: &mut State,
    call: &Call<'_>,
    body: &[u8],
) -> Result<Response, Response> {
    if body_text(body, "status").as_deref() != Some("Unlinked") {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "the body must be {\"status\": \"Unlinked\"}",
        ));
    }
    let (company, _) = connections_of(state, call)?;
    let found = connection_of(state, call)?;
    if found.status != ConnectionStatus::Linked {
        return Err(error(
            StatusCode::BAD_REQUEST,
            &format!(
                "Only a Linked connection can be unlinked; this one is {}",
                found.status
            ),
        ));
    }
    found.status = ConnectionStatus::Unlinked;
    let unlinked = found.clone();
    state.announce("connection.disconnected", company, &unlinked);
    Ok(json_response(&unlinked))
}

fn update_authorization(
    state: &mut State,
    call: &Call<'_>,
    body: &[u8],
) -> Result<Response, Response> {
    // The document does not require a body: none updates nothing.
    let values = match body.is_empty() {
        true => HashMap::new(),
        false => serde_json::from_slice::<HashMap<String, String>>(body).map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                "the body must be an object of strings",
            )
        })?,
    };
    let found = connection_of(state, call)?;
    let info = found.connection_info.get_or_insert_with(Default::default);
    for (key, value) in values {
        info.insert(key, Value::String(value));
    }
    Ok(json_response(found))
}
