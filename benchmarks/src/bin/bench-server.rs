//! Serves Codat-shaped pages of connections from memory, pre-serialised, so
//! that the server is never what a benchmark measures.
//!
//! `bench-server <total connections> <page size>` prints its base URL on the
//! first line of stdout and serves until killed.

use std::collections::HashMap;
use std::sync::Arc;

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
    let params: HashMap<String, String> = query
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let page: u64 = params.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let size: u64 = params
        .get("pageSize")
        .and_then(|p| p.parse().ok())
        .unwrap_or(100);
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
