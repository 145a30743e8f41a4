//! The mock's HTTP side: the control API's routes apart, every request recorded, then answered by the
//! faults and the rate limit a test set, or else dispatched by the
//! document's operations to Codat's behaviour.

use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::{Request, State as Extract};
use axum::http::{StatusCode, header};
use axum::response::Response;

use super::answers::{error, validation_failed};
use super::compression;
use super::handlers;
use super::idempotency::{self, Admission};
use super::state::{ReceivedRequest, State};
use crate::mock::controls::faults::Fault;

type Shared = Arc<Mutex<State>>;

/// Every request to Codat's API goes to one handler: the document, not a
/// route table, decides which operation it calls. The control API has its
/// own routes, under a prefix Codat does not use.
pub(in crate::mock) fn router(state: Shared, base_url: String) -> Router {
    Router::new()
        .fallback(record_and_inject)
        .with_state(state.clone())
        .nest(
            crate::mock::controls::api::PREFIX,
            crate::mock::controls::api::router(state, base_url),
        )
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
    let (latency, fault, rate, claim, compression) = {
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
        // queued fault waits for the next request it lets through, and the
        // request's Idempotency-Key is left free).
        let rate = state.rate.count(tokio::time::Instant::now());
        if rate.refused() {
            return refused(rate);
        }
        let claim =
            match idempotency::admit(&state.idempotency, &state.authorization, &parts, &bytes) {
                Admission::Answer(mut response) => {
                    rate.apply(&mut response);
                    return response;
                }
                Admission::Unkeyed => None,
                Admission::Claimed(claim) => Some(claim),
            };
        let compression = state.compression && compression::accepts_gzip(&parts.headers);
        (
            state.latency,
            state.faults.pop_front(),
            rate,
            claim,
            compression,
        )
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    // Codat's own answer is kept for the key (also when a fault delays it
    // or drops it after); a fault's answer leaves the key free.
    let codat = async {
        let response = {
            let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
            serve(&mut state, &parts, &bytes)
        };
        match claim {
            Some(claim) => claim.settle(response).await,
            None => response,
        }
    };
    let compression = compression && fault.as_ref().is_none_or(Fault::answers_as_codat);
    let mut response = match fault {
        None => codat.await,
        Some(fault) => fault.answer(codat).await,
    };
    if compression {
        response = compression::gzip(response).await;
    }
    rate.apply(&mut response);
    response
}

/// The 429 of a request over the limit.
fn refused(rate: super::rate_limit::Counted) -> Response {
    let mut response = rate.refusal();
    rate.apply(&mut response);
    response
}

/// Codat's answer: 401 without the right key, 404 for a method and path
/// the document has no operation for (or IDs in the path that break it,
/// where the operation lists no 400), 400 naming each way the request breaks
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
    // A path whose IDs break the document names no resource: 404, the
    // answer the document lists for it, where it lists no 400.
    let broken_path = call.parameter_violations("path");
    if !broken_path.is_empty() && !call.operation.answers_with(400) {
        let why = broken_path.join("; ");
        return error(
            StatusCode::NOT_FOUND,
            &format!("No resource was found for {method} {path}: {why}"),
        );
    }
    let violations = call.violations(body);
    if !violations.is_empty() {
        return validation_failed(&violations);
    }
    handlers::answer(state, &call, body)
}
