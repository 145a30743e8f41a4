//! The parameters the mock's handlers read, by their key under the
//! document's `components/parameters` (a rename of the parameter keeps its
//! key), and how a path's company ID is read.

use axum::response::Response;

use super::answers::no_company;
use crate::CompanyId;

pub(in crate::mock) const COMPANY: &str = "companyId";
pub(in crate::mock) const CONNECTION: &str = "connectionId";
pub(in crate::mock) const PAGE: &str = "page";
pub(in crate::mock) const PAGE_SIZE: &str = "pageSize";
pub(in crate::mock) const QUERY: &str = "query";
pub(in crate::mock) const ORDER_BY: &str = "orderBy";
/// `list-companies`'s filter on a company's tags.
pub(in crate::mock) const TAGS: &str = "tags";

/// The company a path names: Codat answers an ID that is not a UUID as it
/// answers one it does not know.
// The handlers return the error response itself (see `handlers.rs`).
#[allow(clippy::result_large_err)]
pub(in crate::mock) fn company_id(text: &str) -> Result<CompanyId, Response> {
    text.parse().map_err(|_| no_company(text))
}
