//! The mock's HTTP side: requests dispatched by the document's operations,
//! and Codat's behaviour for each.
// Handlers return the error response itself; the size of an error path in a
// test server does not matter, and boxing every response would only add noise.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State as Extract};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine as _;
use serde_json::{json, Value};

use super::answers::{error, json_response, validation_failed};
use super::contract::{Call, Contract};
use super::rate_limit::RateWindow;
use super::{Fault, ReceivedRequest};
use crate::raw::types::Connection;
use crate::{CompanyId, ConnectionId, ConnectionStatus, DateTime, PlatformKey, SourceType};

/// Codat's behaviour for a call of one operation of the document: its
/// answer, or the error answer that ended it early.
type Handler = fn(&mut State, &Call<'_>, &[u8]) -> Result<Response, Response>;

/// The operations the mock implements, by the document's `operationId`.
/// Their paths, methods and parameter names are read from the document, so
/// the mock answers where the document says Codat does.
const HANDLERS: [(&str, Handler); 6] = [
    ("list-connections", list_connections),
    ("create-connection", create_connection),
    ("get-connection", get_connection),
    ("delete-connection", delete_connection),
    ("unlink-connection", unlink_connection),
    ("update-connection-authorization", update_authorization),
];

/// The parameters the handlers read, by their key under the document's
/// `components/parameters` (a rename of the parameter keeps its key).
mod parameter {
    pub(super) const COMPANY: &str = "companyId";
    pub(super) const CONNECTION: &str = "connectionId";
    pub(super) const PAGE: &str = "page";
    pub(super) const PAGE_SIZE: &str = "pageSize";
    pub(super) const QUERY: &str = "query";
    pub(super) const ORDER_BY: &str = "orderBy";
}

type Shared = Arc<Mutex<State>>;

/// Everything the mock knows.
#[derive(Debug)]
pub(super) struct State {
    base_url: String,
    pub(super) companies: BTreeMap<CompanyId, BTreeMap<ConnectionId, Connection>>,
    pub(super) received: Vec<ReceivedRequest>,
    pub(super) faults: VecDeque<Fault>,
    pub(super) latency: Duration,
    pub(super) rate: RateWindow,
    contract: &'static Contract,
    /// The `Authorization` value the mock's key makes, marked sensitive so
    /// that `Debug` does not show it.
    authorization: header::HeaderValue,
    /// The connection webhooks to send (`src/mock/webhooks.rs`).
    pub(super) webhooks: super::webhooks::Outbox,
}

impl State {
    pub(super) fn new(base_url: String) -> Self {
        Self {
            base_url,
            companies: BTreeMap::new(),
            received: Vec::new(),
            faults: VecDeque::new(),
            latency: Duration::ZERO,
            rate: RateWindow::default(),
            contract: Contract::shared(),
            authorization: expected_authorization(),
            webhooks: Default::default(),
        }
    }

    /// Sends the connection webhook `event_type` for `connection`, when a
    /// test registered an endpoint.
    pub(super) fn announce(
        &self,
        event_type: &'static str,
        company: CompanyId,
        connection: &Connection,
    ) {
        self.webhooks
            .connection_event(event_type, company, connection, &self.base_url);
    }

    /// A new connection as Codat makes one, or what keeps the document's
    /// `Connection` from holding it.
    pub(super) fn new_connection(
        &self,
        company: CompanyId,
        platform_key: PlatformKey,
        status: ConnectionStatus,
    ) -> Result<Connection, String> {
        let id = ConnectionId::from_uuid(uuid::Uuid::new_v4());
        // Written as Codat sends it and decoded, so that a field the document
        // adds is simply absent here, as in an answer from Codat.
        serde_json::from_value(json!({
            "id": id,
            "integrationId": uuid::Uuid::new_v4(),
            "integrationKey": platform_key,
            "sourceId": uuid::Uuid::new_v4(),
            "sourceType": SourceType::Accounting,
            "platformName": format!("Platform {platform_key}"),
            "linkUrl": format!(
                "{}/link/companies/{company}/connections/{id}/start",
                self.base_url
            ),
            "status": status,
            "created": DateTime::Utc(chrono::Utc::now()),
        }))
        .map_err(|err| format!("the mock's connection is not a Connection of the document: {err}"))
    }
}

/// Every request goes to one handler: the document, not a route table,
/// decides which operation it calls.
pub(super) fn router(state: Shared) -> Router {
    Router::new().fallback(record_and_inject).with_state(state)
}

/// The most of a request body the mock reads.
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Records every request, applies the configured latency, and answers with
/// the next injected fault instead of Codat's behaviour while any is queued.
/// Otherwise answers as Codat would ([`serve`]).
async fn record_and_inject(Extract(shared): Extract<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is too large",
        );
    };
    let (latency, fault, rate) = {
        let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
        state.received.push(ReceivedRequest {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts
                .headers
                .iter()
                .filter(|(name, _)| *name != header::AUTHORIZATION)
                .map(|(name, value)| {
                    (
                        name.to_string(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: bytes.to_vec(),
        });
        // Over the rate limit, Codat refuses before anything else (a
        // queued fault waits for the next request it lets through).
        let rate = state.rate.count(tokio::time::Instant::now());
        let fault = if rate.refused() {
            None
        } else {
            state.faults.pop_front()
        };
        (state.latency, fault, rate)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let answer = || {
        if rate.refused() {
            return rate.refusal();
        }
        let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
        serve(&mut state, &parts, &bytes)
    };
    let mut response = match fault {
        None => answer(),
        Some(Fault::Status {
            status,
            retry_after,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = error(
                status,
                status.canonical_reason().unwrap_or("Injected fault"),
            );
            if let Some(value) = retry_after.and_then(|v| header::HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Some(Fault::Respond {
            status,
            content_type,
            body,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            answer()
        }
        Some(Fault::DropConnection) => {
            // Unwinding out of the connection's task closes the socket with
            // no answer at all; resume_unwind skips the panic hook, so
            // nothing is printed.
            std::panic::resume_unwind(Box::new("mock Codat dropped the connection"))
        }
        Some(Fault::DropDuringBody {
            status,
            partial_body,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(Bytes::from(partial_body)),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "dropped",
                )),
            ];
            let body = axum::body::Body::from_stream(futures::stream::iter(chunks));
            (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
    };
    rate.apply(&mut response);
    response
}

/// Codat's answer: 401 without the right key, 404 for a method and path
/// the document has no operation for, 400 naming each way the request breaks
/// the document, and otherwise the operation's behaviour.
fn serve(state: &mut State, parts: &axum::http::request::Parts, body: &[u8]) -> Response {
    let authorized = parts
        .headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| v == state.authorization);
    if !authorized {
        return error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: the Authorization header is missing or holds an unknown API key.",
        );
    }
    let (method, path) = (parts.method.as_str(), parts.uri.path());
    // 404, not 405, for a known path with another method: the document
    // promises a 404 answer on every operation and a 405 on none.
    let Some(call) = state.contract.route(method, path, parts.uri.query()) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("No resource was found for {method} {path}"),
        );
    };
    let violations = call.violations(body);
    if !violations.is_empty() {
        return validation_failed(&violations);
    }
    match HANDLERS.iter().find(|(id, _)| *id == call.operation.id) {
        Some((_, handle)) => handle(state, &call, body).unwrap_or_else(|refused| refused),
        None => error(
            StatusCode::NOT_IMPLEMENTED,
            &format!("The mock does not implement {}", call.operation.id),
        ),
    }
}

fn expected_authorization() -> header::HeaderValue {
    let text = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(super::MOCK_API_KEY)
    );
    // Base64 of a constant is always a valid header value.
    let mut value =
        header::HeaderValue::from_str(&text).unwrap_or(header::HeaderValue::from_static(""));
    value.set_sensitive(true);
    value
}

fn company_id(text: &str) -> Result<CompanyId, Response> {
    text.parse().map_err(|_| no_company(text))
}

/// Codat's answer for a company ID it does not know.
fn no_company(id: &str) -> Response {
    let message = format!("No company was found with ID {id}");
    error(StatusCode::NOT_FOUND, &message)
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
        .map(|c| (id, c))
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
    // The contract has checked the values; a document without the
    // parameter, or without its default, leaves Codat's own.
    let number = |key: &str, default: u64| {
        call.value(key)
            .and_then(|text| text.parse::<u64>().ok())
            .unwrap_or(default)
            .max(1)
    };
    let (page, page_size) = (
        number(parameter::PAGE, 1),
        number(parameter::PAGE_SIZE, 100),
    );
    let status_filter = match call.value(parameter::QUERY).map(parse_status_query) {
        None => None,
        Some(Ok(status)) => Some(status),
        Some(Err(message)) => return Err(error(StatusCode::BAD_REQUEST, &message)),
    };
    let (key, descending) = match call.value(parameter::ORDER_BY).map(order_by) {
        None => (sort_key_created as SortKey, false),
        Some(Ok(order)) => order,
        Some(Err(message)) => return Err(error(StatusCode::BAD_REQUEST, &message)),
    };
    let (_, connections) = connections_of(state, call)?;
    let mut matching: Vec<&Connection> = connections
        .values()
        .filter(|c| status_filter.as_ref().is_none_or(|s| &c.status == s))
        .collect();
    matching.sort_by(|a, b| {
        let ordering = key(a).cmp(&key(b)).then(a.id.cmp(&b.id));
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    });
    let total = matching.len() as u64;
    let start = ((page - 1).saturating_mul(page_size)).min(total) as usize;
    let end = page.saturating_mul(page_size).min(total) as usize;
    let results: Vec<&Connection> = matching[start..end].to_vec();
    // Links name the page parameters as the document does.
    let href = |p: u64| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let Some(name) = call.name(parameter::PAGE) {
            query.append_pair(name, &p.to_string());
        }
        if let Some(name) = call.name(parameter::PAGE_SIZE) {
            query.append_pair(name, &page_size.to_string());
        }
        json!({"href": format!("{}?{}", call.path, query.finish())})
    };
    let mut links = json!({
        "self": {"href": call.path},
        "current": href(page),
    });
    if page.saturating_mul(page_size) < total {
        links["next"] = href(page + 1);
    }
    if page > 1 {
        links["previous"] = href(page - 1);
    }
    Ok(json_response(&json!({
        "results": results,
        "pageNumber": page,
        "pageSize": page_size,
        "totalResults": total,
        "_links": links,
    })))
}

/// What a connection is ordered by.
type SortKey = fn(&Connection) -> String;

fn sort_key_created(c: &Connection) -> String {
    c.created.naive_local().to_string()
}

/// Codat's `orderBy`: a field name, `-` in front for descending.
fn order_by(text: &str) -> Result<(SortKey, bool), String> {
    let (descending, field) = match text.strip_prefix('-') {
        Some(field) => (true, field),
        None => (false, text),
    };
    let key: SortKey = match field {
        "created" => sort_key_created,
        "lastSync" => |c| {
            c.last_sync
                .map(|d| d.naive_local().to_string())
                .unwrap_or_default()
        },
        "id" => |c| c.id.to_string(),
        "platformName" => |c| c.platform_name.clone(),
        "status" => |c| c.status.to_string(),
        "sourceType" => |c| c.source_type.to_string(),
        "integrationKey" => |c| c.integration_key.clone().unwrap_or_default(),
        other => {
            return Err(format!(
                "orderBy: connections cannot be ordered by {other:?}"
            ))
        }
    };
    Ok((key, descending))
}

/// The part of Codat's query language the mock understands: `status=X`.
fn parse_status_query(query: &str) -> Result<ConnectionStatus, String> {
    query
        .strip_prefix("status=")
        .filter(|s| !s.is_empty() && !s.contains(['&', '|', '{', '}']))
        .map(ConnectionStatus::from)
        .ok_or_else(|| {
            format!("the mock only understands queries of the form status=<status>, not {query:?}")
        })
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
        .new_connection(company_id, key, ConnectionStatus::PendingAuth)
        .map_err(|message| error(StatusCode::INTERNAL_SERVER_ERROR, &message))?;
    let answer = json_response(&connection);
    state.announce("connection.created", company_id, &connection);
    if let Some(connections) = state.companies.get_mut(&company_id) {
        connections.insert(connection.id, connection);
    }
    Ok(answer)
}

fn get_connection(state: &mut State, call: &Call<'_>, _: &[u8]) -> Result<Response, Response> {
    Ok(json_response(connection_of(state, call)?))
}

fn delete_connection(state: &mut State, call: &Call<'_>, _: &[u8]) -> Result<Response, Response> {
    let id = connection_of(state, call)?.id;
    if let Ok((company, connections)) = connections_of(state, call) {
        if let Some(deleted) = connections.remove(&id) {
            state.announce("connection.deleted", company, &deleted);
        }
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
    let Ok(values) = serde_json::from_slice::<HashMap<String, String>>(body) else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "the body must be an object of strings",
        ));
    };
    let found = connection_of(state, call)?;
    let info = found.connection_info.get_or_insert_with(Default::default);
    for (key, value) in values {
        info.insert(key, Value::String(value));
    }
    Ok(json_response(found))
}
