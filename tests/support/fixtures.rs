//! The IDs, JSON bodies and clients the tests share, each defined once.

use codat_connections::{Client, PlatformKey, RetryPolicy};
use serde_json::{Value, json};

/// The company every single-company test talks about.
pub const COMPANY: &str = "8a210b68-6988-11ed-a1eb-0242ac120002";
/// The connection of Codat's own example (`tests/data/connection.json`).
pub const CONNECTION: &str = "ee2eb431-c0fa-4dc9-93fa-d29781c12bcd";
/// The `linkUrl` of Codat's example connection.
pub const LINK_URL: &str = "https://link-api.codat.io/companies/86bd88cb-44ab-4dfb-b32f-87b19b14287f/connections/ee2eb431-c0fa-4dc9-93fa-d29781c12bcd/start";
/// The API key the test clients send.
pub const API_KEY: &str = "test-key";
/// The `Authorization` header `API_KEY` becomes: `Basic base64("test-key")`.
pub const AUTHORIZATION: &str = "Basic dGVzdC1rZXk=";
/// `API_KEY` in base64 without padding: what a leak of the header would show.
pub const KEY_BASE64: &str = "dGVzdC1rZXk";

/// The path of `COMPANY`'s connections.
pub fn connections_path() -> String {
    format!("/companies/{COMPANY}/connections")
}

/// The path of `CONNECTION`.
pub fn connection_path() -> String {
    format!("/companies/{COMPANY}/connections/{CONNECTION}")
}

/// Codat's own example connection (`tests/data/connection.json`, taken from
/// openapi/connections.json), with `status` set.
pub fn connection_json(status: &str) -> Value {
    let mut value: Value =
        serde_json::from_str(include_str!("../data/connection.json")).expect("fixture is JSON");
    value["status"] = json!(status);
    value
}

/// Codat's own example page: page 2 of 3, one connection a page.
pub fn page_json() -> Value {
    serde_json::from_str(include_str!("../data/connections_page.json")).expect("fixture is JSON")
}

/// A page of `results`: number `page`, `total` connections in all, with a
/// `next` link or without.
pub fn page_of(page: u64, page_size: u64, total: u64, results: Vec<Value>, next: bool) -> Value {
    let href = |page: u64| json!({ "href": format!("{}?page={page}&pageSize={page_size}", connections_path()) });
    let mut links = json!({ "self": href(page), "current": href(page) });
    if next {
        links["next"] = href(page + 1);
    }
    json!({
        "_links": links,
        "pageNumber": page,
        "pageSize": page_size,
        "results": results,
        "totalResults": total,
    })
}

/// Codat's `ErrorMessage` body.
pub fn codat_error(status: u16, text: &str, correlation_id: &str) -> Value {
    json!({
        "canBeRetried": "Unknown",
        "correlationId": correlation_id,
        "detailedErrorCode": 0,
        "error": text,
        "service": "PublicApi",
        "statusCode": status,
    })
}

/// The platform key of Codat's sandbox.
pub fn gbol() -> PlatformKey {
    "gbol".parse().expect("gbol is a platform key")
}

/// A client of the server at `base_url` that sends each request once and at
/// once: most tests are about single exchanges (retries and the pace have
/// tests of their own; the pace alone made a test of 256 exchanges wait
/// 15 s).
pub fn client(base_url: &str) -> Client {
    Client::builder(API_KEY)
        .base_url(base_url)
        .retry(RetryPolicy::none())
        .requests_per_minute(None)
        .build()
        .expect("a loopback http base URL is allowed")
}

/// The status, reason and attempts of an `Error::Encoding`; any other
/// error fails the test, naming it.
pub fn encoding_error(err: &codat_connections::Error) -> (u16, &str, u32) {
    let codat_connections::Error::Encoding {
        status,
        reason,
        attempts,
    } = err
    else {
        panic!("expected Error::Encoding, got {err:?}");
    };
    (status.as_u16(), reason, *attempts)
}
