//! The one place that names Codat's list parameters (`page`, `pageSize`,
//! `query`, `orderBy`): checking what the caller set, making the generated
//! `list-connections` call, and following the `_links.next` of a page.

use std::future::Future;
use std::num::NonZeroU32;

use url::Url;

use crate::paging::PageRequest;
use crate::raw::{self, types::Connections as ConnectionsPage, types::ErrorMessage, ResponseValue};
use crate::{CompanyId, ConnectionStatus, Error};

/// The largest page Codat serves.
pub const MAX_PAGE_SIZE: u32 = 5000;

/// The longest query Codat accepts, in characters.
pub const MAX_QUERY_LENGTH: usize = 2048;

/// The list parameters as the caller set them, checked when the listing is
/// sent (setters cannot fail).
#[derive(Debug, Clone)]
pub(crate) struct ListParameters {
    pub company_id: Result<CompanyId, InvalidCompanyId>,
    pub page: Option<u32>,
    pub page_size: Option<u32>,
    pub query: Option<String>,
    pub order_by: Option<String>,
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
    pub page: Option<NonZeroU32>,
    pub page_size: Option<NonZeroU32>,
    pub query: Option<String>,
    pub order_by: Option<String>,
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
            page: None,
            page_size: None,
            query: None,
            order_by: None,
            status: None,
        }
    }

    /// The query parameter actually sent: the query and the status filter combined.
    fn combined_query(&self) -> Option<String> {
        let status = self.status.as_ref().map(|s| format!("status={s}"));
        match (self.query.as_deref(), status) {
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
        let page = match self.page {
            None => None,
            Some(page) => Some(
                NonZeroU32::new(page)
                    .ok_or_else(|| Error::invalid_input("page", "0", "must be 1 or more"))?,
            ),
        };
        let page_size = match self.page_size {
            None => None,
            Some(size) => Some(
                NonZeroU32::new(size)
                    .filter(|size| size.get() <= MAX_PAGE_SIZE)
                    .ok_or_else(|| {
                        Error::invalid_input(
                            "pageSize",
                            &size.to_string(),
                            "must be from 1 to 5000",
                        )
                    })?,
            ),
        };
        let query = self.combined_query();
        if let Some(query) = &query {
            if query.chars().count() > MAX_QUERY_LENGTH {
                return Err(Error::invalid_input(
                    "query",
                    query,
                    "must be at most 2048 characters",
                ));
            }
            if query.is_empty() {
                return Err(Error::invalid_input(
                    "query",
                    "",
                    "must not be empty when given",
                ));
            }
        }
        if self.order_by.as_deref() == Some("") {
            return Err(Error::invalid_input(
                "orderBy",
                "",
                "must not be empty when given",
            ));
        }
        Ok(ListQuery {
            company_id,
            page,
            page_size,
            query,
            order_by: self.order_by.clone(),
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
        let mut list = raw.list_connections().company_id(self.company_id);
        if let Some(page) = self.page {
            list = list.page(page);
        }
        if let Some(page_size) = self.page_size {
            list = list.page_size(page_size);
        }
        if let Some(query) = &self.query {
            list = list.query(query.clone());
        }
        if let Some(order_by) = &self.order_by {
            list = list.order_by(order_by.clone());
        }
        list.send()
    }
}

impl PageRequest for ListQuery {
    const MAX_PAGE_SIZE: u32 = MAX_PAGE_SIZE;

    fn number(&self) -> u64 {
        self.page.map_or(1, |page| u64::from(page.get()))
    }

    /// The request for the page Codat's `_links.next` names: the `page`,
    /// `pageSize`, `query` and `orderBy` the link carries replace this
    /// request's, and a link without `page` means the page after this one.
    ///
    /// Only those values are taken from the link, never its host or path:
    /// the API key goes nowhere but the configured base URL. They are the
    /// names the generated builder sends in [`send`](ListQuery::send), just
    /// above: when the document renames one, that call stops compiling.
    fn follow(&self, href: &str) -> Result<Self, &'static str> {
        const UNREADABLE: &str = "the next page's link is not a URL";
        let base = Url::parse(crate::DEFAULT_BASE_URL).map_err(|_| UNREADABLE)?;
        let link = base.join(href).map_err(|_| UNREADABLE)?;
        let number = |value: &str| {
            value.parse::<NonZeroU32>().map_err(|_| {
                "the next page's link has a page or pageSize that is not a positive number"
            })
        };
        let mut next = self.clone();
        let mut page = None;
        for (name, value) in link.query_pairs() {
            match &*name {
                "page" => page = Some(number(&value)?),
                "pageSize" => next.page_size = Some(number(&value)?),
                "query" => next.query = Some(value.into_owned()),
                "orderBy" => next.order_by = Some(value.into_owned()),
                _ => {}
            }
        }
        next.page = match page {
            Some(page) => Some(page),
            None => u32::try_from(self.number() + 1)
                .ok()
                .and_then(NonZeroU32::new)
                .map(Some)
                .ok_or("the next page's number is out of range")?,
        };
        Ok(next)
    }

    fn for_page(&self, number: NonZeroU32, size: NonZeroU32) -> Self {
        Self {
            page: Some(number),
            page_size: Some(size),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ListQuery {
        ListQuery {
            company_id: "8a210b68-6988-11ed-a1eb-0242ac120002".parse().unwrap(),
            page: None,
            page_size: NonZeroU32::new(2),
            query: Some("status=Linked".into()),
            order_by: None,
        }
    }

    #[test]
    fn a_relative_link_gives_its_page_size_query_and_order() {
        let next = request()
            .follow("/listing?page=3&pageSize=50&query=sourceType%3DBanking&orderBy=-created")
            .unwrap();
        assert_eq!(
            next,
            ListQuery {
                page: NonZeroU32::new(3),
                page_size: NonZeroU32::new(50),
                query: Some("sourceType=Banking".into()),
                order_by: Some("-created".into()),
                ..request()
            }
        );
    }

    #[test]
    fn a_link_without_values_keeps_the_request_and_asks_for_the_next_page() {
        let next = request().follow("/x").unwrap();
        assert_eq!(next.page, NonZeroU32::new(2));
        assert_eq!(next.page_size, request().page_size);
        assert_eq!(next.query, request().query);
        assert_eq!(
            next.follow("x?orderBy=id").unwrap().page,
            NonZeroU32::new(3)
        );
    }

    #[test]
    fn an_absolute_link_gives_its_values_only() {
        let next = request()
            .follow("https://elsewhere.example/steal?page=2")
            .unwrap();
        assert_eq!(next.page, NonZeroU32::new(2));
        assert_eq!(next.page_size, request().page_size);
    }

    #[test]
    fn a_link_with_an_unusable_page_is_refused() {
        for href in [
            "/x?page=0",
            "/x?page=-1",
            "/x?page=two",
            "/x?pageSize=0",
            "/x?page=99999999999",
        ] {
            assert!(request().follow(href).is_err(), "{href}");
        }
    }
}
