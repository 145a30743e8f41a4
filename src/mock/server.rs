//! The mock's HTTP side: routes, Codat's behaviour, and its error shape.
// Handlers return the error response itself; the size of an error path in a
// test server does not matter, and boxing every response would only add noise.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State as Extract};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::Router;
use base64::Engine as _;
use serde_json::{json, Value};

use super::contract::Contract;
use super::rate_limit::RateWindow;
use super::{Fault, ReceivedRequest};
use crate::raw::types::{Connection, HalLinks, HalRef};
use crate::{CompanyId, ConnectionId, ConnectionStatus, DateTime, PlatformKey, SourceType};

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
        }
    }

    pub(super) fn new_connection(
        &self,
        company: CompanyId,
        platform_key: PlatformKey,
        status: ConnectionStatus,
    ) -> Connection {
        let id = ConnectionId::from_uuid(uuid::Uuid::new_v4());
        Connection {
            id,
            integration_id: uuid::Uuid::new_v4(),
            integration_key: Some(platform_key.to_string()),
            source_id: uuid::Uuid::new_v4().into(),
            source_type: SourceType::Accounting,
            platform_name: format!("Platform {platform_key}"),
            link_url: format!(
                "{}/link/companies/{company}/connections/{id}/start",
                self.base_url
            ),
            status,
            last_sync: None,
            created: DateTime::Utc(chrono::Utc::now()),
            data_connection_errors: None,
            connection_info: None,
        }
    }
}

pub(super) fn router(state: Shared) -> Router {
    Router::new()
        .route(
            "/companies/{company}/connections",
            get(list_connections).post(create_connection),
        )
        .route(
            "/companies/{company}/connections/{connection}",
            get(get_connection)
                .delete(delete_connection)
                .patch(unlink_connection),
        )
        .route(
            "/companies/{company}/connections/{connection}/authorization",
            put(update_authorization),
        )
        .layer(middleware::from_fn_with_state(
            state.clone(),
            record_and_inject,
        ))
        .with_state(state)
}

/// The most of a request body the mock reads.
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Records every request, applies the configured latency, and answers with
/// the next injected fault instead of Codat's behaviour while any is queued.
/// Otherwise refuses what Codat would refuse before looking at data (401, 400).
async fn record_and_inject(
    Extract(shared): Extract<Shared>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is too large",
        );
    };
    let (latency, fault, refusal, rate) = {
        let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
        let refusal = refuse(&state, &parts, &bytes);
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
        let refusal = if rate.refused() {
            Some(rate.refusal())
        } else {
            refusal
        };
        (state.latency, fault, refusal, rate)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let answer = |refusal: Option<Response>, parts, bytes| async move {
        match refusal {
            Some(response) => response,
            None => {
                next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                    .await
            }
        }
    };
    let mut response = match fault {
        None => answer(refusal, parts, bytes).await,
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
            answer(refusal, parts, bytes).await
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

/// The answer Codat gives before it looks at the data: 401 without the
/// right key, 400 naming each violation of the contract.
fn refuse(state: &State, parts: &axum::http::request::Parts, body: &[u8]) -> Option<Response> {
    let authorized = parts
        .headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| v == state.authorization);
    if !authorized {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: the Authorization header is missing or holds an unknown API key.",
        ));
    }
    let violations = state.contract.violations(
        parts.method.as_str(),
        parts.uri.path(),
        parts.uri.query(),
        body,
    );
    if violations.is_empty() {
        return None;
    }
    let message = format!("Request validation failed: {}", violations.join("; "));
    let items: Vec<Value> = violations
        .iter()
        .map(|m| json!({"itemId": null, "message": m, "validatorName": "OpenApiContract"}))
        .collect();
    let mut body = error_body(StatusCode::BAD_REQUEST, &message);
    body["canBeRetried"] = json!("False");
    body["validation"] = json!({"errors": items, "warnings": []});
    Some(json_answer(StatusCode::BAD_REQUEST, body.to_string()))
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
pub(super) fn error(status: StatusCode, message: &str) -> Response {
    json_answer(status, error_body(status, message).to_string())
}

/// A JSON answer.
fn json_answer(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn json_response(value: &impl serde::Serialize) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => json_answer(StatusCode::OK, body),
        Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, &err.to_string()),
    }
}

/// Runs `handle` on the state.
fn with_state(shared: &Shared, handle: impl FnOnce(&mut State) -> Response) -> Response {
    let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
    handle(&mut state)
}

fn company_id(text: &str) -> Result<CompanyId, Response> {
    text.parse().map_err(|_| {
        error(
            StatusCode::NOT_FOUND,
            &format!("No company was found with ID {text}"),
        )
    })
}

fn connections_of<'s>(
    state: &'s mut State,
    company: &str,
) -> Result<(CompanyId, &'s mut BTreeMap<ConnectionId, Connection>), Response> {
    let id = company_id(company)?;
    state
        .companies
        .get_mut(&id)
        .map(|c| (id, c))
        .ok_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                &format!("No company was found with ID {company}"),
            )
        })
}

fn connection_of<'s>(
    state: &'s mut State,
    company: &str,
    connection: &str,
) -> Result<&'s mut Connection, Response> {
    let (_, connections) = connections_of(state, company)?;
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

async fn list_connections(
    Extract(shared): Extract<Shared>,
    Path(company): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    with_state(&shared, |state| {
        let params: HashMap<String, String> =
            url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let number = |name: &str, default: u64, max: u64| -> Result<u64, Response> {
            match params.get(name) {
                None => Ok(default),
                Some(text) => text
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| {
                        error(
                            StatusCode::BAD_REQUEST,
                            &format!("{name} must be between 1 and {max}"),
                        )
                    }),
            }
        };
        let (page, page_size) = match (
            number("page", 1, u64::from(u32::MAX)),
            number("pageSize", 100, 5000),
        ) {
            (Ok(p), Ok(s)) => (p, s),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        let status_filter = match params.get("query").map(|q| parse_status_query(q)) {
            None => None,
            Some(Ok(status)) => Some(status),
            Some(Err(message)) => return error(StatusCode::BAD_REQUEST, &message),
        };
        let (_, connections) = match connections_of(state, &company) {
            Ok(found) => found,
            Err(e) => return e,
        };
        let mut matching: Vec<&Connection> = connections
            .values()
            .filter(|c| status_filter.as_ref().is_none_or(|s| &c.status == s))
            .collect();
        let order = match params.get("orderBy").map(|o| order_by(o)) {
            None => Ok((sort_key_created as SortKey, false)),
            Some(order) => order,
        };
        let (key, descending) = match order {
            Ok(order) => order,
            Err(message) => return error(StatusCode::BAD_REQUEST, &message),
        };
        matching.sort_by(|a, b| {
            let ordering = key(a).cmp(&key(b)).then(a.id.cmp(&b.id));
            if descending {
                ordering.reverse()
            } else {
                ordering
            }
        });
        let total = matching.len() as u64;
        let start = ((page - 1) * page_size).min(total) as usize;
        let end = (page * page_size).min(total) as usize;
        let results: Vec<Connection> = matching[start..end].iter().map(|c| (*c).clone()).collect();
        let href = |p: u64| HalRef {
            href: Some(format!(
                "/companies/{company}/connections?page={p}&pageSize={page_size}"
            )),
        };
        let links = HalLinks {
            self_: HalRef {
                href: Some(format!("/companies/{company}/connections")),
            },
            current: href(page),
            next: (page * page_size < total).then(|| href(page + 1)),
            previous: (page > 1).then(|| href(page - 1)),
        };
        json_response(&json!({
            "results": results,
            "pageNumber": page,
            "pageSize": page_size,
            "totalResults": total,
            "_links": links,
        }))
    })
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

async fn create_connection(
    Extract(shared): Extract<Shared>,
    Path(company): Path<String>,
    body: Bytes,
) -> Response {
    with_state(&shared, |state| {
        let key = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("platformKey")?.as_str().map(str::to_owned))
            .and_then(|k| k.parse::<PlatformKey>().ok());
        let Some(key) = key else {
            return error(
                StatusCode::BAD_REQUEST,
                "platformKey must be four lowercase letters",
            );
        };
        let company_id = match connections_of(state, &company) {
            Ok((id, _)) => id,
            Err(e) => return e,
        };
        let connection = state.new_connection(company_id, key, ConnectionStatus::PendingAuth);
        let answer = json_response(&connection);
        if let Some(connections) = state.companies.get_mut(&company_id) {
            connections.insert(connection.id, connection);
        }
        answer
    })
}

async fn get_connection(
    Extract(shared): Extract<Shared>,
    Path((company, connection)): Path<(String, String)>,
) -> Response {
    with_state(&shared, |state| {
        match connection_of(state, &company, &connection) {
            Ok(found) => json_response(found),
            Err(e) => e,
        }
    })
}

async fn delete_connection(
    Extract(shared): Extract<Shared>,
    Path((company, connection)): Path<(String, String)>,
) -> Response {
    with_state(&shared, |state| {
        let id = match connection_of(state, &company, &connection) {
            Ok(found) => found.id,
            Err(e) => return e,
        };
        if let Ok((_, connections)) = connections_of(state, &company) {
            connections.remove(&id);
        }
        StatusCode::OK.into_response()
    })
}

async fn unlink_connection(
    Extract(shared): Extract<Shared>,
    Path((company, connection)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    with_state(&shared, |state| {
        let wanted = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("status")?.as_str().map(str::to_owned));
        if wanted.as_deref() != Some("Unlinked") {
            return error(
                StatusCode::BAD_REQUEST,
                "the body must be {\"status\": \"Unlinked\"}",
            );
        }
        let found = match connection_of(state, &company, &connection) {
            Ok(found) => found,
            Err(e) => return e,
        };
        if found.status != ConnectionStatus::Linked {
            return error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "Only a Linked connection can be unlinked; this one is {}",
                    found.status
                ),
            );
        }
        found.status = ConnectionStatus::Unlinked;
        json_response(found)
    })
}

async fn update_authorization(
    Extract(shared): Extract<Shared>,
    Path((company, connection)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    with_state(&shared, |state| {
        let Ok(values) = serde_json::from_slice::<HashMap<String, String>>(&body) else {
            return error(
                StatusCode::BAD_REQUEST,
                "the body must be an object of strings",
            );
        };
        let found = match connection_of(state, &company, &connection) {
            Ok(found) => found,
            Err(e) => return e,
        };
        let info = found.connection_info.get_or_insert_with(Default::default);
        for (key, value) in values {
            info.insert(key, Value::String(value));
        }
        json_response(found)
    })
}
