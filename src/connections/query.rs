//! The connections listing's parameters: the company, Codat's list
//! parameters (`list_query.rs`) with the status filter folded into `query`,
//! the generated `list-connections` call, and following the `_links.next`
//! of a page.

use std::future::Future;
use std::num::NonZeroU32;

use crate::list_query::{self, Paging};
use crate::paging::PageRequest;
use crate::raw::{self, types::Connections as ConnectionsPage, types::ErrorMessage, ResponseValue};
use crate::{CompanyId, ConnectionStatus, Error, MAX_PAGE_SIZE};

/// The list parameters as the caller set them, checked when the listing is
/// sent (setters cannot fail).
#[derive(Debug, Clone)]
pub(crate) struct ListParameters {
    pub company_id: Result<CompanyId, InvalidCompanyId>,
    pub list: list_query::ListParameters,
    pub status: Option<ConnectionStatus>,
}

/// A company ID that was refused, kept (the parameters are `Clone`, and
/// `Error` is not) to be reported when the listing is sent.
#[derive(Debug, Clone)]
pub(crate) struct InvalidCompanyId {
    field: &'static str,
    value: Option<String>,
    reason: &'static str,
}

impl InvalidCompanyId {
    fn error(&self) -> Error {
        Error::InvalidInput {
            field: self.field,
            value: self.value.clone(),
            reason: self.reason,
        }
    }
}

/// One page request of a company's connections, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListQuery {
    pub company_id: CompanyId,
    pub paging: Paging,
}

impl ListParameters {
    pub(crate) fn new(company_id: Result<CompanyId, Error>) -> Self {
        let company_id = company_id.map_err(|error| match error {
            Error::InvalidInput {
                field,
                value,
                reason,
            } => InvalidCompanyId {
                field,
                value,
                reason,
            },
            // Converting into a CompanyId only ever refuses input; anything
            // else is still reported as this field's.
            other => InvalidCompanyId {
                field: CompanyId::FIELD,
                value: Some(other.to_string()),
                reason: "must be a company ID",
            },
        });
        Self {
            company_id,
            list: list_query::ListParameters::default(),
            status: None,
        }
    }

    /// The query parameter actually sent: the query and the status filter combined.
    fn combined_query(&self) -> Option<String> {
        let status = self.status.as_ref().map(|s| format!("status={s}"));
        match (self.list.query.as_deref(), status) {
            (None, status) => status,
            (Some(query), None) => Some(query.to_owned()),
            // Braces group in Codat's query language, so an `||` in the
            // caller's query cannot swallow the status filter.
            (Some(query), Some(status)) if query.contains("||") => {
                Some(format!("{{{query}}}&&{status}"))
            }
            (Some(query), Some(status)) => Some(format!("{query}&&{status}")),
        }
    }

    /// Checks everything and says what the first page request asks for, or
    /// what is wrong.
    pub(crate) fn check(&self) -> Result<ListQuery, Error> {
        let company_id = self.company_id.clone().map_err(|invalid| invalid.error())?;
        Ok(ListQuery {
            company_id,
            paging: self.list.check(self.combined_query())?,
        })
    }
}

impl ListQuery {
    /// The generated `list-connections` call for this page.
    pub(crate) fn send<'r>(
        &self,
        raw: &'r raw::Client,
    ) -> impl Future<Output = Result<ResponseValue<ConnectionsPage>, raw::Error<ErrorMessage>>> + 'r
    {
        let paging = &self.paging;
        let mut list = raw.list_connections().company_id(self.company_id);
        if let Some(page) = paging.page {
            list = list.page(page);
        }
        if let Some(page_size) = paging.page_size {
            list = list.page_size(page_size);
        }
        if let Some(query) = &paging.query {
            list = list.query(query.clone());
        }
        if let Some(order_by) = &paging.order_by {
            list = list.order_by(order_by.clone());
        }
        list.send()
    }
}

impl PageRequest for ListQuery {
    const MAX_PAGE_SIZE: u32 = MAX_PAGE_SIZE;

    fn number(&self) -> u64 {
        self.paging.number()
    }

    /// The request for the page Codat's `_links.next` names
    /// ([`Paging::follow`]); the company stays this request's. The names
    /// followed are those the generated builder sends in
    /// [`send`](ListQuery::send), just above: when the document renames one,
    /// that call stops compiling.
    fn follow(&self, href: &str) -> Result<Self, &'static str> {
        Ok(Self {
            company_id: self.company_id,
            paging: self.paging.follow(href, |_, _| {})?,
        })
    }

    fn for_page(&self, number: NonZeroU32, size: NonZeroU32) -> Self {
        Self {
            company_id: self.company_id,
            paging: self.paging.for_page(number, size),
        }
    }
}
