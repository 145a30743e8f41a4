//! The list parameters every Codat listing takes (`page`, `pageSize`,
//! `query`, `orderBy`): checking what the caller set, and reading them off a
//! page's `_links.next`; and the request of one page, those with the
//! area's own ([`ListQuery`]). Each area (`connections/list.rs`,
//! `companies/list.rs`) adds its own and makes its generated call.

use std::fmt;
use std::num::NonZeroU32;

use url::Url;

use super::PageRequest;
use crate::Error;

/// The largest page Codat serves.
pub const MAX_PAGE_SIZE: u32 = 5000;

/// The longest query Codat accepts, in characters.
pub const MAX_QUERY_LENGTH: usize = 2048;

/// The list parameters as the caller set them, checked when the listing is
/// sent (setters cannot fail).
#[derive(Debug, Clone, Default)]
pub(crate) struct ListParameters {
    pub page: Option<u32>,
    pub page_size: Option<u32>,
    pub query: Option<String>,
    pub order_by: Option<String>,
}

/// The list parameters of one page request, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Paging {
    pub page: Option<NonZeroU32>,
    pub page_size: Option<NonZeroU32>,
    pub query: Option<String>,
    pub order_by: Option<String>,
}

impl ListParameters {
    /// Checks everything, with `query` the query actually sent (a listing
    /// may add its own filters to the caller's), and says what the first
    /// page request asks for, or what is wrong.
    pub(crate) fn check(&self, query: Option<String>) -> Result<Paging, Error> {
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
        if let Some(query) = &query {
            check_query("query", query)?;
        }
        if self.order_by.as_deref() == Some("") {
            return Err(Error::invalid_input(
                "orderBy",
                "",
                "must not be empty when given",
            ));
        }
        Ok(Paging {
            page,
            page_size,
            query,
            order_by: self.order_by.clone(),
        })
    }
}

/// A query-language parameter (`query`, or a company listing's `tags`): at
/// most [`MAX_QUERY_LENGTH`] characters, and not empty when given.
pub(crate) fn check_query(field: &'static str, query: &str) -> Result<(), Error> {
    if query.chars().count() > MAX_QUERY_LENGTH {
        return Err(Error::invalid_input(
            field,
            query,
            "must be at most 2048 characters",
        ));
    }
    if query.is_empty() {
        return Err(Error::invalid_input(
            field,
            "",
            "must not be empty when given",
        ));
    }
    Ok(())
}

impl Paging {
    /// The page number asked for (from 1).
    pub(crate) fn number(&self) -> u64 {
        self.page.map_or(1, |page| u64::from(page.get()))
    }

    /// The request for the page Codat's `_links.next` names: the `page`,
    /// `pageSize`, `query` and `orderBy` the link carries replace these,
    /// and a link without `page` means the page after this one. Every other
    /// value of the link goes to `other` (a listing's own parameters).
    ///
    /// Only those values are taken from the link, never its host or path:
    /// the API key goes nowhere but the configured base URL.
    pub(crate) fn follow(
        &self,
        href: &str,
        mut other: impl FnMut(&str, String),
    ) -> Result<Self, &'static str> {
        const UNREADABLE: &str = "the next page's link is not a URL";
        let base = Url::parse(crate::DEFAULT_BASE_URL).map_err(|_| UNREADABLE)?;
        let link = base.join(href).map_err(|_| UNREADABLE)?;
        let number = |value: &str| {
            value.parse::<NonZeroU32>().map_err(
                |_| "the next page's link has a page or pageSize that is not a positive number",
            )
        };
        let mut next = self.clone();
        let mut page = None;
        for (name, value) in link.query_pairs() {
            match &*name {
                "page" => page = Some(number(&value)?),
                "pageSize" => next.page_size = Some(number(&value)?),
                "query" => next.query = Some(value.into_owned()),
                "orderBy" => next.order_by = Some(value.into_owned()),
                name => other(name, value.into_owned()),
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

    /// These parameters, for page `number` of `size` items.
    pub(crate) fn for_page(&self, number: NonZeroU32, size: NonZeroU32) -> Self {
        Self {
            page: Some(number),
            page_size: Some(size),
            ..self.clone()
        }
    }
}

/// The parameters of a listing that are its area's own (a company, a tags
/// filter), once checked.
pub(crate) trait OwnParameters:
    Clone + fmt::Debug + PartialEq + Send + Sync + 'static
{
    /// Takes a parameter of a next link that is not one of Codat's list
    /// parameters (by default: ignores it).
    fn follow(&mut self, _name: &str, _value: String) {}
}

/// The request of one page: Codat's list parameters and the area's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListQuery<P> {
    pub paging: Paging,
    pub own: P,
}

impl<P: OwnParameters> PageRequest for ListQuery<P> {
    const MAX_PAGE_SIZE: u32 = MAX_PAGE_SIZE;

    fn number(&self) -> u64 {
        self.paging.number()
    }

    fn follow(&self, href: &str) -> Result<Self, &'static str> {
        let mut own = self.own.clone();
        let paging = self
            .paging
            .follow(href, |name, value| own.follow(name, value))?;
        Ok(Self { paging, own })
    }

    fn for_page(&self, number: NonZeroU32, size: NonZeroU32) -> Self {
        Self {
            paging: self.paging.for_page(number, size),
            own: self.own.clone(),
        }
    }
}

/// Sets Codat's list parameters of `paging` on a generated list builder
/// (each listing's is a type of its own, with the same setters).
macro_rules! with_paging {
    ($builder:expr, $paging:expr) => {{
        let paging = $paging;
        let mut builder = $builder;
        if let Some(page) = paging.page {
            builder = builder.page(page);
        }
        if let Some(page_size) = paging.page_size {
            builder = builder.page_size(page_size);
        }
        if let Some(query) = &paging.query {
            builder = builder.query(query.clone());
        }
        if let Some(order_by) = &paging.order_by {
            builder = builder.order_by(order_by.clone());
        }
        builder
    }};
}
pub(crate) use with_paging;

#[cfg(test)]
mod tests {
    use super::*;

    fn paging() -> Paging {
        Paging {
            page: None,
            page_size: NonZeroU32::new(2),
            query: Some("status=Linked".into()),
            order_by: None,
        }
    }

    fn follow(href: &str) -> Result<Paging, &'static str> {
        paging().follow(href, |_, _| {})
    }

    #[test]
    fn a_relative_link_gives_its_page_size_query_and_order() {
        let next =
            follow("/listing?page=3&pageSize=50&query=sourceType%3DBanking&orderBy=-created")
                .unwrap();
        assert_eq!(
            next,
            Paging {
                page: NonZeroU32::new(3),
                page_size: NonZeroU32::new(50),
                query: Some("sourceType=Banking".into()),
                order_by: Some("-created".into()),
            }
        );
    }

    #[test]
    fn a_link_without_values_keeps_the_request_and_asks_for_the_next_page() {
        let next = follow("/x").unwrap();
        assert_eq!(next.page, NonZeroU32::new(2));
        assert_eq!(next.page_size, paging().page_size);
        assert_eq!(next.query, paging().query);
        assert_eq!(
            next.follow("x?orderBy=id", |_, _| {}).unwrap().page,
            NonZeroU32::new(3)
        );
    }

    #[test]
    fn an_absolute_link_gives_its_values_only_and_the_others_go_to_the_listing() {
        let mut others = Vec::new();
        let next = paging()
            .follow(
                "https://elsewhere.example/steal?page=2&tags=region%3Duk",
                |n, v| others.push((n.to_owned(), v)),
            )
            .unwrap();
        assert_eq!(next.page, NonZeroU32::new(2));
        assert_eq!(next.page_size, paging().page_size);
        assert_eq!(others, [("tags".to_owned(), "region=uk".to_owned())]);
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
            assert!(follow(href).is_err(), "{href}");
        }
    }

    #[test]
    fn page_size_must_be_within_codats_limits() {
        let with = |page_size| ListParameters {
            page_size: Some(page_size),
            ..ListParameters::default()
        };
        for bad in [0, 5001, u32::MAX] {
            let err = with(bad).check(None).unwrap_err();
            assert_eq!(err.invalid_field(), Some("pageSize"), "{bad}");
        }
        for good in [1, 100, 5000] {
            assert!(with(good).check(None).is_ok());
        }
        let page = ListParameters {
            page: Some(0),
            ..ListParameters::default()
        };
        assert_eq!(page.check(None).unwrap_err().invalid_field(), Some("page"));
    }

    #[test]
    fn a_query_longer_than_2048_characters_or_empty_is_refused() {
        assert!(check_query("query", &"é".repeat(2048)).is_ok());
        let long = check_query("tags", &"a".repeat(2049)).unwrap_err();
        assert_eq!(long.invalid_field(), Some("tags"));
        assert_eq!(
            check_query("query", "").unwrap_err().invalid_field(),
            Some("query")
        );
    }
}
