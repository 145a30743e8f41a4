//! The companies listing: what of [`List`] is its own (the `tags` filter,
//! the generated `list-companies` call, a page's decoding), and the names
//! users know it by.

use std::future::Future;

use crate::companies::{Company, decode};
use crate::http::Operation;
use crate::http::intercept::Success;
use crate::listing::area::Area;
use crate::listing::parameters::{ListQuery, OwnParameters, check_query, with_paging};
use crate::listing::{ItemStream, List, PageStream};
use crate::raw::{self, types::ErrorMessage};
use crate::{Error, Page};

/// A request for one page of companies; `.await` it to send.
///
/// ```no_run
/// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
/// let page = client
///     .companies()
///     .list()
///     .tags("region=uk")
///     .page_size(5000)
///     .await?;
/// for company in &page.results {
///     println!("{} has {} connections", company.name, company.data_connections.len());
/// }
/// # Ok(()) }
/// ```
pub type ListCompanies<'a> = List<'a, CompaniesListing>;

/// A stream of pages of companies; see [`List::pages`].
pub type CompanyPageStream = PageStream<Company>;

/// A stream of companies; see [`List::companies`].
pub type CompanyStream = ItemStream<Company>;

/// The companies listing's own settings: the tags filter
/// ([`ListCompanies`] is a [`List`] of it).
#[derive(Debug, Clone, Default)]
pub struct CompaniesListing {
    tags: Option<String>,
}

/// The tags filter of a companies listing, once checked; a next link may
/// carry its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tags(Option<String>);

impl CompaniesListing {
    /// The listing of the companies whose tags match `tags` (all: `None`).
    pub(crate) fn tagged(tags: Option<String>) -> Self {
        Self { tags }
    }
}

impl OwnParameters for Tags {
    fn follow(&mut self, name: &str, value: String) {
        if name == "tags" {
            self.0 = Some(value);
        }
    }
}

// The area's part is sealed: its signatures name the crate's own types.
#[allow(private_interfaces)]
impl Area for CompaniesListing {
    type Item = Company;
    type Own = Tags;
    const OPERATION: Operation = Operation::idempotent("list-companies");

    fn check(&self, query: Option<&str>) -> Result<(Tags, Option<String>), Error> {
        if let Some(tags) = &self.tags {
            check_query("tags", tags)?;
        }
        Ok((Tags(self.tags.clone()), query.map(str::to_owned)))
    }

    fn send(
        query: &ListQuery<Tags>,
        raw: &raw::Client,
    ) -> impl Future<Output = Result<(), raw::Error<ErrorMessage>>> + Send {
        let mut list = with_paging!(raw.list_companies(), &query.paging);
        if let Some(tags) = &query.own.0 {
            list = list.tags(tags.clone());
        }
        async move { list.send().await.map(drop) }
    }

    fn decode(answer: Success) -> Result<Page<Company>, Error> {
        decode::page(answer)
    }
}

impl<'a> List<'a, CompaniesListing> {
    /// Only companies whose tags match, such as `region=uk && team!=finance`:
    /// Codat reads `=`, `!=` and `~` (contains) on tags.
    pub fn tags(mut self, tags: impl Into<String>) -> Self {
        self.own.tags = Some(tags.into());
        self
    }

    /// Every company of every page, in order; see [`pages`](Self::pages).
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
    /// use futures::TryStreamExt;
    ///
    /// let mut all = client.companies().list().page_size(5000).read_ahead(1).companies();
    /// while let Some(company) = all.try_next().await? {
    ///     println!("{} {}", company.id, company.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn companies(self) -> CompanyStream {
        self.items()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Client;
    use crate::listing::PageRequest;
    use std::num::NonZeroU32;

    #[test]
    fn tags_are_checked_and_followed() {
        let client = Client::new("k").unwrap();
        let list = client.companies().list().tags("");
        assert_eq!(list.check().unwrap_err().invalid_field(), Some("tags"));
        let first = client.companies().list().tags("region=uk").check().unwrap();
        let next = first.follow("/companies?page=2&tags=region%3Dus").unwrap();
        assert_eq!(next.own, Tags(Some("region=us".into())));
        assert_eq!(next.number(), 2);
        let kept = first.follow("/companies?page=3").unwrap();
        assert_eq!(kept.own, Tags(Some("region=uk".into())));
        let planned = first.for_page(NonZeroU32::MIN, NonZeroU32::MAX);
        assert_eq!(planned.own, first.own);
    }
}
