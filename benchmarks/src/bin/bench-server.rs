//! Serves Codat-shaped pages of connections from memory, pre-serialised, so
//! that the server is never what a benchmark measures.
//!
//! `bench-server [--gzip] <total connections> <page size> [latency ms]`
//! prints its base URL on the first line of stdout and serves until killed;
//! with a latency, every listing is answered after it (a timer).
//!
//! With `--gzip`, every page (and the single connection) is also kept
//! gzipped (level 6, compressed once at start-up), and a request whose
//! `Accept-Encoding` names gzip is answered with those bytes and
//! `Content-Encoding: gzip`: a benchmark then measures the client's
//! inflating, not the server's compressor. Without it, answers are never
//! compressed, whatever the request asks. The per-company listings of
//! `sweep` are built per request and never compressed.
//!
//! `bench-server sweep <companies> <latency ms>` serves a portfolio instead:
//! `companies` companies (IDs from `benchmarks::sweep_company`) with 1 to 3
//! connections each, every listing answered after `latency ms` (a timer,
//! not a blocked thread), any page size; `GET /companies` lists the same
//! companies with their connections embedded, as `list-companies` does
//! (pages of 5,000 are ready made). `GET /bench/stats` answers how many
//! listings it has served and how many connections need the customer
//! again (`?companies=N`: among the first N), so that a benchmark can check
//! every client found them all.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use benchmarks::{COMPANY, connection};

struct Pages {
    size: u64,
    latency: Duration,
    pages: Vec<Ready>,
    one: Ready,
}

/// An answer's JSON, and the same gzipped when the server compresses.
struct Ready {
    json: Bytes,
    gzipped: Option<Bytes>,
}

impl Ready {
    fn new(json: Bytes, gzip: bool) -> Self {
        let gzipped = gzip.then(|| {
            use std::io::Write;
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
            encoder.write_all(&json).expect("writing into a Vec");
            Bytes::from(encoder.finish().expect("writing into a Vec"))
        });
        Ready { json, gzipped }
    }

    /// The answer to a request with these headers: gzipped when the
    /// server compresses and the request names gzip (the benchmark's
    /// clients send `gzip, deflate` or `identity`, never a weight).
    fn answer(&self, request: &HeaderMap) -> Response {
        let names_gzip = |value: &str| {
            value
                .split([',', ';'])
                .any(|coding| coding.trim().eq_ignore_ascii_case("gzip"))
        };
        let asks = request
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .any(|value| value.to_str().is_ok_and(names_gzip));
        match &self.gzipped {
            Some(gzipped) if asks => (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CONTENT_ENCODING, "gzip"),
                ],
                gzipped.clone(),
            )
                .into_response(),
            _ => json(self.json.clone()),
        }
    }

    /// The bytes a client that asks for gzip receives.
    fn wire_len(&self) -> usize {
        self.gzipped.as_ref().unwrap_or(&self.json).len()
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let gzip = args.iter().any(|a| a == "--gzip");
    args.retain(|a| a != "--gzip");
    if args.first().map(String::as_str) == Some("sweep") {
        let companies: u64 = args.get(1).map_or(Ok(2_000), |a| a.parse())?;
        let latency: u64 = args.get(2).map_or(Ok(20), |a| a.parse())?;
        return serve(sweep_app(companies, Duration::from_millis(latency), gzip)).await;
    }
    let total: u64 = args.first().map_or(Ok(100_000), |a| a.parse())?;
    let size: u64 = args.get(1).map_or(Ok(5_000), |a| a.parse())?;
    let latency = Duration::from_millis(args.get(2).map_or(Ok(0), |a| a.parse())?);
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
            let json = serde_json::to_vec(&body).expect("JSON values serialise");
            Ready::new(Bytes::from(json), gzip)
        })
        .collect();
    let mut one = connection(7);
    one["id"] = benchmarks::CONNECTION.into();
    let state = Arc::new(Pages {
        size,
        latency,
        pages,
        one: Ready::new(Bytes::from(one.to_string()), gzip),
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
    request: HeaderMap,
) -> Response {
    if !pages.latency.is_zero() {
        tokio::time::sleep(pages.latency).await;
    }
    let (page, size) = page_and_size(query);
    if size != pages.size {
        return (
            StatusCode::BAD_REQUEST,
            format!("this server serves pageSize={} only", pages.size),
        )
            .into_response();
    }
    match pages.pages.get((page.max(1) - 1) as usize) {
        Some(ready) => ready.answer(&request),
        None => (StatusCode::NOT_FOUND, "no such page").into_response(),
    }
}

async fn one_connection(
    State(pages): State<Arc<Pages>>,
    Path((_c, _k)): Path<(String, String)>,
    request: HeaderMap,
) -> Response {
    if !pages.latency.is_zero() {
        tokio::time::sleep(pages.latency).await;
    }
    pages.one.answer(&request)
}

/// The sweep benchmark's portfolio and what the server has served of it,
/// as JSON text: every company's connections, every company with its
/// connections embedded, and the pages of 5,000 companies of
/// `list-companies`, so that serving them costs no serialising.
struct Portfolio {
    index: HashMap<String, usize>,
    connections: Vec<Vec<String>>,
    companies: Vec<String>,
    company_pages: Vec<Ready>,
    /// How many connections need the customer among the first `n` companies.
    needing_before: Vec<u64>,
    latency: Duration,
    requests: AtomicU64,
}

/// The page size `list-companies` pages are kept ready for.
const COMPANY_PAGE: usize = 5_000;

fn sweep_app(companies: u64, latency: Duration, gzip: bool) -> Router {
    let mut next = 0;
    let (mut connections, mut needing_before) = (Vec::new(), vec![0]);
    for company in 0..companies {
        let own: Vec<serde_json::Value> = (0..benchmarks::sweep_connections(company))
            .map(|_| {
                next += 1;
                connection(next)
            })
            .collect();
        let needing = own
            .iter()
            .filter(|c| matches!(c["status"].as_str(), Some("Deauthorized" | "Unlinked")))
            .count() as u64;
        needing_before.push(needing_before.last().copied().unwrap_or(0) + needing);
        connections.push(own.iter().map(|c| c.to_string()).collect::<Vec<_>>());
    }
    let companies: Vec<String> = connections
        .iter()
        .enumerate()
        .map(|(n, own)| benchmarks::company(n as u64, own))
        .collect();
    let index = (0..companies.len())
        .map(|n| (benchmarks::sweep_company(n as u64), n))
        .collect();
    let mut portfolio = Portfolio {
        index,
        connections,
        companies,
        company_pages: Vec::new(),
        needing_before,
        latency,
        requests: AtomicU64::new(0),
    };
    portfolio.company_pages = (1..=portfolio.companies.len().div_ceil(COMPANY_PAGE))
        .map(|page| Ready::new(portfolio.company_page(page, COMPANY_PAGE), gzip))
        .collect();
    Router::new()
        .route("/companies", get(companies_list))
        .route("/companies/{company}/connections", get(sweep_list))
        .route("/bench/stats", get(sweep_stats))
        .with_state(Arc::new(portfolio))
}

impl Portfolio {
    /// Page `page` (from 1) of `list-companies` in pages of `size`.
    fn company_page(&self, page: usize, size: usize) -> Bytes {
        let first = ((page - 1) * size).min(self.companies.len());
        let last = (first + size).min(self.companies.len());
        let body = paged_body(
            &self.companies[first..last],
            (page, size, self.companies.len()),
            "/companies",
        );
        Bytes::from(body)
    }
}

/// A Codat page: `results` (JSON text of each), its paging fields and links.
fn paged_body(
    results: &[String],
    (page, size, total): (usize, usize, usize),
    path: &str,
) -> String {
    let href = |p: usize| format!("{path}?page={p}&pageSize={size}");
    let mut links = serde_json::json!({
        "self": {"href": path},
        "current": {"href": href(page)},
    });
    if page * size < total {
        links["next"] = serde_json::json!({"href": href(page + 1)});
    }
    if page > 1 {
        links["previous"] = serde_json::json!({"href": href(page - 1)});
    }
    let length = results.iter().map(|r| r.len() + 1).sum::<usize>();
    let mut body = String::with_capacity(length + 512);
    body.push_str(r#"{"results":["#);
    for (n, result) in results.iter().enumerate() {
        if n > 0 {
            body.push(',');
        }
        body.push_str(result);
    }
    body.push_str(&format!(
        r#"],"pageNumber":{page},"pageSize":{size},"totalResults":{total},"_links":{links}}}"#
    ));
    body
}

/// `page` and `pageSize` within Codat's range, if they are.
fn checked_paging(query: Option<String>) -> Option<(usize, usize)> {
    let (page, size) = page_and_size(query);
    let (page, size) = (page as usize, size as usize);
    (page > 0 && size > 0 && size <= 5_000).then_some((page, size))
}

/// The 400 for paging out of Codat's range.
fn out_of_range() -> Response {
    (StatusCode::BAD_REQUEST, "page or pageSize out of range").into_response()
}

async fn companies_list(
    State(portfolio): State<Arc<Portfolio>>,
    RawQuery(query): RawQuery,
    request: HeaderMap,
) -> Response {
    portfolio.requests.fetch_add(1, Ordering::Relaxed);
    tokio::time::sleep(portfolio.latency).await;
    let Some((page, size)) = checked_paging(query) else {
        return out_of_range();
    };
    match portfolio.company_pages.get(page - 1) {
        Some(ready) if size == COMPANY_PAGE => ready.answer(&request),
        _ => json(portfolio.company_page(page, size)),
    }
}

async fn sweep_list(
    State(portfolio): State<Arc<Portfolio>>,
    Path(company): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    portfolio.requests.fetch_add(1, Ordering::Relaxed);
    tokio::time::sleep(portfolio.latency).await;
    let Some(&n) = portfolio.index.get(&company) else {
        return (StatusCode::NOT_FOUND, "no such company").into_response();
    };
    let Some((page, size)) = checked_paging(query) else {
        return out_of_range();
    };
    let connections = &portfolio.connections[n];
    let first = ((page - 1) * size).min(connections.len());
    let last = (first + size).min(connections.len());
    let path = format!("/companies/{company}/connections");
    let body = paged_body(
        &connections[first..last],
        (page, size, connections.len()),
        &path,
    );
    json(Bytes::from(body))
}

/// What the server has served; `?companies=N` counts the connections
/// needing the customer among the first N companies (default: all).
async fn sweep_stats(
    State(portfolio): State<Arc<Portfolio>>,
    RawQuery(query): RawQuery,
) -> Response {
    let all = portfolio.companies.len();
    let first = query
        .as_deref()
        .and_then(|q| q.strip_prefix("companies="))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(all)
        .min(all);
    let pages = &portfolio.company_pages;
    let stats = serde_json::json!({
        "requests": portfolio.requests.load(Ordering::Relaxed),
        "companies": all,
        "needing_customer": portfolio.needing_before[first],
        "company_page_bytes": pages.first().map_or(0, |p| p.json.len()),
        "portfolio_bytes": pages.iter().map(|p| p.json.len()).sum::<usize>(),
        "portfolio_wire_bytes": pages.iter().map(Ready::wire_len).sum::<usize>(),
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
