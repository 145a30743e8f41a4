//! Pages of companies as Codat sends them, for the tests of their readings.

use crate::http::intercept::Success;

/// A 200 answer with `body`.
pub(crate) fn answer(body: &str) -> Success {
    Success::ok(body.to_owned())
}

/// A connection numbered `id` whose `status` is the JSON value `status`;
/// its `connectionInfo` has a `status` of its own.
pub(crate) fn connection(id: u8, status: &str) -> String {
    format!(
        r#"{{"id": "2e9d2c44-f675-40ba-8049-353bfcb5e1{id:02}", "integrationId": "bf083d72-62c7-493e-aec9-81b4dbba7e2c",
            "integrationKey": "gbol", "sourceId": "bdd831ce-eebd-4896-89a7-20e5ee8989ee",
            "platformName": "Basiq", "linkUrl": "https://link-api.codat.io/x",
            "status": {status}, "created": "2022-10-27T09:53:29Z", "sourceType": "Banking",
            "connectionInfo": {{"status": "Linked"}}}}"#
    )
}

/// A company numbered `n` with `connections` (a JSON value) as its
/// `dataConnections`.
pub(crate) fn company(n: u8, connections: &str) -> String {
    format!(
        r#"{{"id": "8a210b68-6988-11ed-a1eb-0242ac1200{n:02}", "name": "Company {n}",
            "redirect": "https://link.codat.io/company/{n}", "tags": {{"a": "b"}}, "products": [],
            "dataConnections": {connections}}}"#
    )
}

/// A page of `companies`: page 3 of 2 a page, 9 in all.
pub(crate) fn listing(companies: &[String]) -> String {
    format!(
        r#"{{"results": [{}], "pageNumber": 3, "pageSize": 2, "totalResults": 9,
            "_links": {{"self": {{"href": "/companies"}}, "current": {{"href": "/companies?page=3"}}}}}}"#,
        companies.join(",")
    )
}
