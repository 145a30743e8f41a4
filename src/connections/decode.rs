//! Decoding an answer that holds connections, item by item when it does not
//! decode whole: a connection that does not decode costs only itself.

use serde::Deserialize;

use crate::http::intercept::Success;
use crate::raw::types::{Connection, Connections as ConnectionsPage};
use crate::{Error, Page, UndecodedConnection};

/// The connection a success answer holds; when it does not decode but the
/// body is a JSON object, the error keeps it ([`Error::ConnectionDecode`]).
pub(crate) fn connection(answer: Success) -> Result<Connection, Error> {
    let error = match answer.decode() {
        Ok(connection) => return Ok(connection),
        Err(error) => answer.decode_error(&error),
    };
    let Ok(raw) = serde_json::from_slice::<serde_json::Value>(&answer.body) else {
        return Err(error);
    };
    if !raw.is_object() {
        return Err(error);
    }
    match Connection::deserialize(&raw) {
        Ok(connection) => Ok(connection),
        Err(why) => Err(Error::ConnectionDecode(Box::new(UndecodedConnection::new(
            raw,
            &why,
            None,
            answer.status,
        )))),
    }
}

/// The page of connections a success answer holds. When its connections do
/// not all decode, the page holds those that do, and each of the others as
/// an [`UndecodedConnection`]; only a page whose own fields (its counts,
/// links, or the list of results) do not decode fails.
pub(crate) fn page(answer: Success) -> Result<Page<Connection>, Error> {
    let error = match answer.decode::<ConnectionsPage>() {
        Ok(page) => return Ok(Page::from(page)),
        Err(error) => answer.decode_error(&error),
    };
    let page = item_by_item(&answer).ok_or(error)?;
    if !page.undecoded.is_empty() {
        tracing::warn!(
            page = page.page_number,
            undecoded = page.undecoded.len(),
            "codat listing holds connections that do not decode; the others are kept"
        );
    }
    Ok(page)
}

fn item_by_item(answer: &Success) -> Option<Page<Connection>> {
    let mut value = serde_json::from_slice::<serde_json::Value>(&answer.body).ok()?;
    let items = match value.get_mut("results")?.take() {
        serde_json::Value::Array(items) => items,
        _ => return None,
    };
    value["results"] = serde_json::Value::Array(Vec::new());
    let mut page = Page::from(serde_json::from_value::<ConnectionsPage>(value).ok()?);
    let number = u64::try_from(page.page_number).ok();
    for item in items {
        match Connection::deserialize(&item) {
            Ok(connection) => page.results.push(connection),
            Err(why) => {
                page.undecoded
                    .push(UndecodedConnection::new(item, &why, number, answer.status))
            }
        }
    }
    Some(page)
}
