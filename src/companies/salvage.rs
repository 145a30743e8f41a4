//! Decoding an answer that holds companies: each company's connections are
//! decoded one by one ([`Company`]), so a connection that does not decode
//! costs only itself; a company that does not decode fails its answer.

use serde::Deserialize;

use crate::companies::Company;
use crate::http::intercept::Success;
use crate::raw::types::PagingInfo;
use crate::{Error, Page};

/// The company a success answer holds.
pub(crate) fn company(answer: Success) -> Result<Company, Error> {
    answer.decode().map_err(|error| answer.decode_error(&error))
}

/// A page of companies as it comes on the wire: `list-companies`'s
/// `Companies` is its results and Codat's `PagingInfo`.
#[derive(Deserialize)]
struct CompaniesPage {
    #[serde(default)]
    results: Vec<Company>,
    #[serde(flatten)]
    paging: PagingInfo,
}

/// The page of companies a success answer holds; each company's undecoded
/// connections carry the page's number and the answer's status.
pub(crate) fn page(answer: Success) -> Result<Page<Company>, Error> {
    let page: CompaniesPage = answer
        .decode()
        .map_err(|error| answer.decode_error(&error))?;
    let number = u64::try_from(page.paging.page_number).ok();
    let mut results = page.results;
    let mut undecoded = 0;
    for company in &mut results {
        for connection in &mut company.undecoded_connections {
            connection.page = number;
            connection.http_status = answer.status;
            undecoded += 1;
        }
    }
    if undecoded > 0 {
        tracing::warn!(
            page = page.paging.page_number,
            undecoded,
            "codat's companies hold connections that do not decode; the others are kept"
        );
    }
    Ok(Page {
        results,
        page_number: page.paging.page_number,
        page_size: page.paging.page_size,
        total_results: page.paging.total_results,
        links: page.paging.links,
        undecoded: Vec::new(),
    })
}
