//! The companies listing's parameters: Codat's list parameters
//! (`list_query.rs`) and `tags`, the generated `list-companies` call, and
//! following the `_links.next` of a page.

use std::future::Future;
use std::num::NonZeroU32;

use crate::list_query::{self, check_query, Paging};
use crate::paging::PageRequest;
use crate::raw::{self, types::Companies as CompaniesPage, types::ErrorMessage, ResponseValue};
use crate::{Error, MAX_PAGE_SIZE};

/// The parameters as the caller set them, checked when the listing is sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct CompaniesParameters {
    pub list: list_query::ListParameters,
    pub tags: Option<String>,
}

/// One page request of the companies listing, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompaniesQuery {
    pub paging: Paging,
    pub tags: Option<String>,
}

impl CompaniesParameters {
    /// Checks everything and says what the first page request asks for.
    pub(crate) fn check(&self) -> Result<CompaniesQuery, Error> {
        if let Some(tags) = &self.tags {
            check_query("tags", tags)?;
        }
        Ok(CompaniesQuery {
            paging: self.list.check(self.list.query.clone())?,
            tags: self.tags.clone(),
        })
    }
}

impl CompaniesQuery {
    /// The generated `list-companies` call for this page.
    pub(crate) fn send<'r>(
        &self,
        raw: &'r raw::Client,
    ) -> impl Future<Output = Result<ResponseValue<CompaniesPage>, raw::Error<ErrorMessage>>> + 'r
    {
        let paging = &self.paging;
        let mut list = raw.list_companies();
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
        if let Some(tags) = &self.tags {
            list = list.tags(tags.clone());
        }
        list.send()
    }
}

impl PageRequest for CompaniesQuery {
    const MAX_PAGE_SIZE: u32 = MAX_PAGE_SIZE;

    fn number(&self) -> u64 {
        self.paging.number()
    }

    /// The request for the page Codat's `_links.next` names
    /// ([`Paging::follow`]), and its `tags` when it gives them (the names
    /// the generated builder sends in [`send`](CompaniesQuery::send)).
    fn follow(&self, href: &str) -> Result<Self, &'static str> {
        let mut tags = self.tags.clone();
        let paging = self.paging.follow(href, |name, value| {
            if name == "tags" {
                tags = Some(value);
            }
        })?;
        Ok(Self { paging, tags })
    }

    fn for_page(&self, number: NonZeroU32, size: NonZeroU32) -> Self {
        Self {
            paging: self.paging.for_page(number, size),
            tags: self.tags.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_checked_and_followed() {
        let mut parameters = CompaniesParameters {
            tags: Some(String::new()),
            ..CompaniesParameters::default()
        };
        assert_eq!(
            parameters.check().unwrap_err().invalid_field(),
            Some("tags")
        );
        parameters.tags = Some("region=uk".into());
        let first = parameters.check().unwrap();
        let next = first.follow("/companies?page=2&tags=region%3Dus").unwrap();
        assert_eq!(next.tags.as_deref(), Some("region=us"));
        assert_eq!(next.number(), 2);
        let kept = first.follow("/companies?page=3").unwrap();
        assert_eq!(kept.tags.as_deref(), Some("region=uk"));
        let planned = first.for_page(NonZeroU32::MIN, NonZeroU32::MAX);
        assert_eq!(planned.tags, first.tags);
    }
}
