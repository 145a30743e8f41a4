//! The mock's HTTP control API, under [`PREFIX`]: what a test in any
//! language needs to arrange the mock and read it back, described by
//! `openapi/mock-control.json`. Each route calls the same control a Rust
//! test calls on [`MockCodat`] (`controls.rs`); nothing here keeps state of
//! its own. Control requests are not Codat's: they need no API key, are not
//! recorded, and no fault or rate limit applies to them.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as Extract};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::de::DeserializeOwned;
use serde_json::json;

use super::seed::Seed;
use super::wire::{self as wire, bounded_millis};
use crate::mock::MockCodat;
use crate::mock::codat::answers::{error, json_response};
use crate::mock::codat::state::State;
use crate::{CompanyId, ConnectionId};

/// Where the control API's routes start; Codat has no path there.
pub(in crate::mock) const PREFIX: &str = "/_mock";

/// What every route works on: the mock, as its controls see it.
#[derive(Clone)]
struct Controls {
    base_url: String,
    state: Arc<Mutex<State>>,
}

impl Controls {
    fn mock(&self) -> MockCodat {
        MockCodat::handle(self.base_url.clone(), self.state.clone())
    }
}

/// The control API's routes, to be nested under [`PREFIX`].
pub(in crate::mock) fn router(state: Arc<Mutex<State>>, base_url: String) -> Router {
    Router::new()
        .route("/seed", post(seed))
        .route(
            "/companies/{company}/connections/{connection}/status",
            put(set_status),
        )
        .route(
            "/companies/{company}/connections/{connection}/link-failure",
            post(fail_linking),
        )
        .route("/faults", post(inject))
        .route("/rate-limit", put(rate_limit))
        .route("/latency", put(latency))
        .route("/compression", put(compression))
        .route("/webhooks", put(webhooks))
        .route("/webhook-faults", post(webhook_faults))
        .route("/webhook-deliveries", get(deliveries))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/reset", post(reset))
        .fallback(unknown)
        .method_not_allowed_fallback(wrong_method)
        .with_state(Controls { base_url, state })
}

/// A request the control API refuses (a 400 unless it names what the mock
/// lacks, a 404), and why; nothing was changed.
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error(self.0, &self.1)
    }
}

/// A 400 saying why.
fn refused(why: &str) -> Refusal {
    Refusal(StatusCode::BAD_REQUEST, why.to_owned())
}

/// A 404 saying why.
fn missing(why: String) -> Refusal {
    Refusal(StatusCode::NOT_FOUND, why)
}

/// A 409 saying why.
fn conflict(why: String) -> Refusal {
    Refusal(StatusCode::CONFLICT, why)
}

/// The body, read as the route's JSON form, or the 400 that says why not.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, Refusal> {
    serde_json::from_slice(bytes).map_err(|err| refused(&format!("not a valid body: {err}")))
}

/// The path's IDs, or the 400 naming the one that is not a UUID.
fn ids(company: &str, connection: &str) -> Result<(CompanyId, ConnectionId), Refusal> {
    let company = company
        .parse()
        .map_err(|_| refused(&format!("company {company:?} is not a UUID")))?;
    let connection = connection
        .parse()
        .map_err(|_| refused(&format!("connection {connection:?} is not a UUID")))?;
    Ok((company, connection))
}

fn done() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

async fn seed(Extract(controls): Extract<Controls>, bytes: Bytes) -> Result<Response, Refusal> {
    let seed: Seed = body(&bytes)?;
    // An ID used twice, or one the mock already holds, conflicts: 409.
    seed.check().map_err(conflict)?;
    let companies = controls.mock().seed(&seed).map_err(conflict)?;
    Ok(json_response(&json!({ "companies": companies })))
}

async fn set_status(
    Extract(controls): Extract<Controls>,
    Path((company, connection)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<Response, Refusal> {
    let (company, connection) = ids(&company, &connection)?;
    let request: wire::StatusRequest = body(&bytes)?;
    controls
        .mock()
        .try_set_status(company, connection, request.status)
        .map_err(missing)?;
    Ok(done())
}

async fn fail_linking(
    Extract(controls): Extract<Controls>,
    Path((company, connection)): Path<(String, String)>,
) -> Result<Response, Refusal> {
    let (company, connection) = ids(&company, &connection)?;
    controls
        .mock()
        .try_fail_linking(company, connection)
        .map_err(missing)?;
    Ok(done())
}

async fn inject(Extract(controls): Extract<Controls>, bytes: Bytes) -> Result<Response, Refusal> {
    let request: wire::FaultsRequest = body(&bytes)?;
    let fault = request.fault.into_fault().map_err(|why| refused(&why))?;
    let times = wire::bounded_times(request.times).map_err(|why| refused(&why))?;
    controls.mock().inject(fault, times);
    Ok(done())
}

async fn rate_limit(
    Extract(controls): Extract<Controls>,
    bytes: Bytes,
) -> Result<Response, Refusal> {
    let request: wire::RateLimitRequest = body(&bytes)?;
    if request.limit == 0 || request.window_milliseconds == 0 {
        return Err(refused(
            "limit and windowMilliseconds must be above 0 (reset lifts a limit)",
        ));
    }
    if request.limit > wire::HIGHEST_LIMIT {
        return Err(refused(&format!(
            "a limit over {} is no limit (reset lifts a limit)",
            wire::HIGHEST_LIMIT
        )));
    }
    let window =
        bounded_millis("a window", request.window_milliseconds).map_err(|why| refused(&why))?;
    controls
        .mock()
        .enforce_rate_limit_per(request.limit, window);
    Ok(done())
}

async fn latency(Extract(controls): Extract<Controls>, bytes: Bytes) -> Result<Response, Refusal> {
    let request: wire::LatencyRequest = body(&bytes)?;
    let latency = bounded_millis("a latency", request.milliseconds).map_err(|why| refused(&why))?;
    controls.mock().set_latency(latency);
    Ok(done())
}

async fn compression(
    Extract(controls): Extract<Controls>,
    bytes: Bytes,
) -> Result<Response, Refusal> {
    let request: wire::CompressionRequest = body(&bytes)?;
    controls.mock().set_compression(request.enabled);
    Ok(done())
}

async fn webhooks(Extract(controls): Extract<Controls>, bytes: Bytes) -> Result<Response, Refusal> {
    let request: wire::WebhooksRequest = body(&bytes)?;
    let url = request.url().map_err(|why| refused(&why))?;
    controls
        .mock()
        .send_webhooks_to(url, &request.secret)
        .map_err(|err| refused(&err.to_string()))?;
    Ok(done())
}

async fn webhook_faults(
    Extract(controls): Extract<Controls>,
    bytes: Bytes,
) -> Result<Response, Refusal> {
    let request: wire::WebhookFaultsRequest = body(&bytes)?;
    let times = wire::bounded_times(request.times).map_err(|why| refused(&why))?;
    controls
        .mock()
        .inject_webhook_fault(request.fault.into(), times);
    Ok(done())
}

async fn deliveries(Extract(controls): Extract<Controls>) -> Response {
    let deliveries: Vec<_> = controls
        .mock()
        .webhook_deliveries()
        .iter()
        .map(wire::delivery)
        .collect();
    json_response(&json!({ "deliveries": deliveries }))
}

async fn requests(Extract(controls): Extract<Controls>) -> Response {
    let mock = controls.mock();
    let requests: Vec<_> = mock.requests().iter().map(wire::received).collect();
    json_response(&json!({
        "requests": requests,
        "rateLimited": mock.rate_limited_count(),
    }))
}

async fn clear_requests(Extract(controls): Extract<Controls>) -> Response {
    controls.mock().clear_requests();
    done()
}

async fn reset(Extract(controls): Extract<Controls>) -> Response {
    controls.mock().reset();
    done()
}

async fn unknown(method: Method, uri: Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!(
            "the mock's control API has no {method} {uri}; its routes are in openapi/mock-control.json"
        ),
    )
}

async fn wrong_method(method: Method, uri: Uri) -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("the mock's control API does not take {method} on {uri}"),
    )
}
