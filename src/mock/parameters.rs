//! The parameters the mock's handlers read, by their key under the
//! document's `components/parameters` (a rename of the parameter keeps its
//! key).

pub(super) const COMPANY: &str = "companyId";
pub(super) const CONNECTION: &str = "connectionId";
pub(super) const PAGE: &str = "page";
pub(super) const PAGE_SIZE: &str = "pageSize";
pub(super) const QUERY: &str = "query";
pub(super) const ORDER_BY: &str = "orderBy";
/// `list-companies`'s filter on a company's tags.
pub(super) const TAGS: &str = "tags";
