//! Serves Codat-shaped pages of connections from memory, pre-serialised, so
//! that the server is never what a benchmark measures.
//!
//! `bench-server <total connections> <page size>` prints its base URL on the
//! first line of stdout and serves until killed.
//!
//! `bench-server sweep <companies> <latency ms>` serves a portfolio instead:
//! `companies` companies (IDs from `benchmarks::sweep_company`) with 1 to 3
//! connections each, every listing answered after `latency ms` (a timer,
//! not a blocked thread), any page size. `GET /bench/stats` answers how
//! many listings it has served and how many connections need the customer
//! again, so that a benchmark can check every client found them all.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use benchmarks::{connection, COMPANY};

struct Pages {
    size: u64,
    pages: Vec<Bytes>,
    one: Bytes,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("sweep") {
        let companies: u64 = args.get(1).map_or(Ok(2_000), |a| a.parse())?;
        let latency: u64 = args.get(2).map_or(Ok(20), |a| a.parse())?;
        return serve(sweep_app(companies, Duration::from_millis(latency))).await;
    }
    let total: u64 = args.first().map_or(Ok(100_000), |a| a.parse())?;
    let size: u64 = args.get(1).map_or(Ok(5_000), |a| a.parse())?;
    let count = total.div_ceil(size);
    let pages = (1..=count)
        .map(|page| {
            let first = (page - 1) * size;
            let results: Vec<_> = (first..(first + size).min(total)).map(connection).collect();
            let href =
                |p: u64| format!("/companies/{COMPANY}/connections?page={p}&pageSize={size}");
            let mut links = serde_json::json!({
                "self": {"href": format!("/companies/{COMPANY}/connections")},
                "current": {"href": href(page)},
            });
            if page < count {
                links["next"] = serde_json::json!({"href": href(page + 1)});
            }
            if page > 1 {
                links["previous"] = serde_json::json!({"href": href(page - 1)});
            }
            let body = serde_json::json!({
                "results": results, "pageNumber": page, "pageSize": size,
                "totalResults": total, "_links": links,
            });
            Bytes::from(serde_json::to_vec(&body).expect("JSON values serialise"))
        })
        .collect();
    let mut one = connection(7);
    one["id"] = benchmarks::CONNECTION.into();
    let state = Arc::new(Pages {
        size,
        pages,
        one: Bytes::from(one.to_string()),
    });
    let app = Router::new()
        .route("/companies/{company}/connections", get(list))
        .route(
            "/companies/{company}/connections/{connection}",
            get(one_connection),
        )
        .with_state(state);
    serve(app).await
}

async fn serve(app: Router) -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    println!("http://{}", listener.local_addr()?);
    // No Nagle delay between a response's writes: latency is measured.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}

fn json(body: Bytes) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

async fn list(
    State(pages): State<Arc<Pages>>,
    Path(_company): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let (page, size) = page_and_size(query);
    if size != pages.size {
        return (
            StatusCode::BAD_REQUEST,
            format!("this server serves pageSize={} only", pages.size),
        )
            .into_response();
    }
    match pages.pages.get((page.max(1) - 1) as usize) {
        Some(body) => json(body.clone()),
        None => (StatusCode::NOT_FOUND, "no such page").into_response(),
    }
}

async fn one_connection(
    State(pages): State<Arc<Pages>>,
    Path((_c, _k)): Path<(String, String)>,
) -> Response {
    json(pages.one.clone())
}

/// The sweep benchmark's portfolio and what the server has served of it.
struct Portfolio {
    companies: HashMap<String, Vec<serde_json::Value>>,
    latency: Duration,
    needing_customer: u64,
    requests: AtomicU64,
}

fn sweep_app(companies: u64, latency: Duration) -> Router {
    let mut next = 0;
    let companies: HashMap<String, Vec<serde_json::Value>> = (0..companies)
        .map(|company| {
            let connections = (0..benchmarks::sweep_connections(company))
                .map(|_| {
                    next += 1;
                    connection(next)
                })
                .collect();
            (benchmarks::sweep_company(company), connections)
        })
        .collect();
    let needing_customer = companies
        .values()
        .flatten()
        .filter(|c| matches!(c["status"].as_str(), Some("Deauthorized" | "Unlinked")))
        .count() as u64;
    let portfolio = Arc::new(Portfolio {
        companies,
        latency,
        needing_customer,
        requests: AtomicU64::new(0),
    });
    Router::new()
        .route("/companies/{company}/connections", get(sweep_list))
        .route("/bench/stats", get(sweep_stats))
        .with_state(portfolio)
}

async fn sweep_list(
    State(portfolio): State<Arc<Portfolio>>,
    Path(company): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    portfolio.requests.fetch_add(1, Ordering::Relaxed);
    tokio::time::sleep(portfolio.latency).await;
    let Some(connections) = portfolio.companies.get(&company) else {
        return (StatusCode::NOT_FOUND, "no such company").into_response();
    };
    let (page, size) = page_and_size(query);
    let (page, size) = (page as usize, size as usize);
    if page == 0 || size == 0 || size > 5_000 {
        return (StatusCode::BAD_REQUEST, "page or pageSize out of range").into_response();
    }
    let results: Vec<_> = connections
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .collect();
    let href = |p: usize| format!("/companies/{company}/connections?page={p}&pageSize={size}");
    let mut links = serde_json::json!({
        "self": {"href": format!("/companies/{company}/connections")},
        "current": {"href": href(page)},
    });
    if page * size < connections.len() {
        links["next"] = serde_json::json!({"href": href(page + 1)});
    }
    if page > 1 {
        links["previous"] = serde_json::json!({"href": href(page - 1)});
    }
    let body = serde_json::json!({
        "results": results, "pageNumber": page, "pageSize": size,
        "totalResults": connections.len(), "_links": links,
    });
    json(Bytes::from(body.to_string()))
}

async fn sweep_stats(State(portfolio): State<Arc<Portfolio>>) -> Response {
    let stats = serde_json::json!({
        "requests": portfolio.requests.load(Ordering::Relaxed),
        "companies": portfolio.companies.len(),
        "needing_customer": portfolio.needing_customer,
    });
    json(Bytes::from(stats.to_string()))
}

/// `page` and `pageSize` of a listing's query, with Codat's defaults (1 and 100).
fn page_and_size(query: Option<String>) -> (u64, u64) {
    let params: HashMap<String, String> = query
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let number = |name: &str, default: u64| {
        params
            .get(name)
            .and_then(|p| p.parse().ok())
            .unwrap_or(default)
    };
    (number("page", 1), number("pageSize", 100))
}
