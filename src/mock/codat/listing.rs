//! What Codat's listings share (connections, companies): the page asked
//! for, a filter in Codat's query language, and the page answered with
//! Codat's paging numbers and `_links`.
// Handlers return the error response itself, as in `handlers.rs`.
#![allow(clippy::result_large_err)]

use axum::response::Response;
use serde::Serialize;
use serde_json::json;

use super::answers::{json_response, malformed_query};
use super::contract::Call;
use super::parameters as parameter;
use super::query_language::Query;

/// The page and page size a listing asks for: the contract has checked the
/// values; a document without the parameter, or without its default,
/// leaves Codat's own (1 and 100).
pub(in crate::mock) fn page_of(call: &Call<'_>) -> (u64, u64) {
    let number = |key: &str, default: u64| {
        call.value(key)
            .and_then(|text| text.parse::<u64>().ok())
            .unwrap_or(default)
            .max(1)
    };
    (
        number(parameter::PAGE, 1),
        number(parameter::PAGE_SIZE, 100),
    )
}

/// The filter the parameter `key` gives, in Codat's query language over an
/// `entity` (`Connection`, `Company`) with `fields`; Codat's 400 for a query
/// it cannot read, or that names a property the entity does not have (the
/// document's `Malformed-Query` examples).
pub(in crate::mock) fn filter(
    call: &Call<'_>,
    key: &str,
    fields: &[(String, bool)],
    entity: &str,
) -> Result<Option<Query>, Response> {
    match call.value(key).map(Query::parse) {
        None => Ok(None),
        Some(Ok(query)) => match query.unresolved(fields) {
            None => Ok(Some(query)),
            Some(property) => Err(unresolved(&property, key, entity)),
        },
        Some(Err(why)) => Err(malformed_query("Malformed query.", &why)),
    }
}

/// Codat's 400 for a property it cannot find on an `entity`.
pub(in crate::mock) fn unresolved(property: &str, parameter: &str, entity: &str) -> Response {
    malformed_query(
        &format!("Could not resolve property {property} on {entity}"),
        &format!("{parameter}: a {entity} has no property {property:?}"),
    )
}

/// Page `page` of `page_size` of `items` (all of the listing, in order),
/// with Codat's paging numbers and `_links`, which name the page
/// parameters as the document does.
pub(in crate::mock) fn page_answer<T: Serialize>(
    call: &Call<'_>,
    items: &[T],
    page: u64,
    page_size: u64,
) -> Response {
    let total = items.len() as u64;
    let start = ((page - 1).saturating_mul(page_size)).min(total) as usize;
    let end = page.saturating_mul(page_size).min(total) as usize;
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
    json_response(&json!({
        "results": &items[start..end],
        "pageNumber": page,
        "pageSize": page_size,
        "totalResults": total,
        "_links": links,
    }))
}
