//! Decoding an answer that holds companies: each company's connections are
//! decoded one by one ([`Company`]), so a connection that does not decode
//! costs only itself, and each company of a page on its own, so a company
//! that does not decode costs only itself too. A page is first decoded in
//! one pass, companies, connections and all, and only when that fails
//! company by company, connection by connection. A page is read into a
//! [`CompanyItem`]: [`Company`] for the listing, or a reading of its own for
//! a job that needs less of each company (the portfolio sweep).

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::company::WholeCompany;
use crate::companies::Company;
use crate::http::intercept::Success;
use crate::listing::ListItem;
use crate::raw::types::PagingInfo;
use crate::{Error, Page, UndecodedCompany, UndecodedConnection};

/// The company a success answer holds.
pub(crate) fn company(answer: Success) -> Result<Company, Error> {
    answer.decode().map_err(|error| answer.decode_error(&error))
}

/// What a page of companies is read into: [`Company`] for the companies
/// listing, or a reading of its own for a job that needs less of each
/// company (the portfolio sweep). Each company's connections are its own
/// business; a company that does not read costs only itself.
pub(crate) trait CompanyItem: ListItem<Undecoded = UndecodedCompany> + Sized {
    /// A company as a page's first try reads it, the whole page in one pass.
    type Whole<'a>: Deserialize<'a>;

    /// The item a company of the first try is.
    fn whole(whole: Self::Whole<'_>) -> Self;

    /// One company, from its JSON text (a page's second try, company by
    /// company).
    fn one(text: &str) -> serde_json::Result<Self>;

    /// Says on which page and in which answer each of its connections that
    /// did not decode came; how many there are.
    fn place(&mut self, page: Option<u64>, status: StatusCode) -> usize;

    /// The page in `answer` read without serde's pass over it, when this
    /// item has such a reading and it is sure of the page (it then reads
    /// what serde's reading would); `None` leaves the page to serde.
    fn read_page(_answer: &Success) -> Option<Page<Self>> {
        None
    }
}

impl CompanyItem for Company {
    type Whole<'a> = WholeCompany;

    fn whole(whole: WholeCompany) -> Self {
        whole.0
    }

    fn one(text: &str) -> serde_json::Result<Self> {
        serde_json::from_str(text)
    }

    fn place(&mut self, page: Option<u64>, status: StatusCode) -> usize {
        place(&mut self.undecoded_connections, page, status)
    }
}

/// Says on which page and in which answer each of `connections` came; how
/// many there are.
pub(crate) fn place(
    connections: &mut [UndecodedConnection],
    page: Option<u64>,
    status: StatusCode,
) -> usize {
    for connection in connections.iter_mut() {
        connection.page = page;
        connection.http_status = status;
    }
    connections.len()
}

/// A page of companies as it comes on the wire: `list-companies`'s
/// `Companies` is its results and Codat's `PagingInfo`. Its companies are
/// read whole on a page's first try (in one pass), else each one's JSON
/// text is read on its own.
#[derive(Deserialize)]
struct CompaniesPage<C> {
    #[serde(default = "Vec::new")]
    results: Vec<C>,
    #[serde(flatten)]
    paging: PagingInfo,
}

impl<C> CompaniesPage<C> {
    fn into_page<T: CompanyItem>(
        self,
        results: Vec<T>,
        undecoded: Vec<UndecodedCompany>,
    ) -> Page<T> {
        Page {
            results,
            page_number: self.paging.page_number,
            page_size: self.paging.page_size,
            total_results: self.paging.total_results,
            links: self.paging.links,
            undecoded,
        }
    }
}

/// The page of companies a success answer holds. When its companies do not
/// all decode, the page holds those that do, and each of the others as an
/// [`UndecodedCompany`]; only a page whose own fields (its counts, links, or
/// the list of results) do not decode fails. Each company's undecoded
/// connections, and each undecoded company, carry the page's number and the
/// answer's status.
pub(crate) fn page<T: CompanyItem>(answer: Success) -> Result<Page<T>, Error> {
    let mut page = match T::read_page(&answer) {
        Some(page) => page,
        None => read_by_serde(&answer)?,
    };
    let number = u64::try_from(page.page_number).ok();
    let connections: usize = page
        .results
        .iter_mut()
        .map(|company| company.place(number, answer.status))
        .sum();
    if connections > 0 || !page.undecoded.is_empty() {
        tracing::warn!(
            page = page.page_number,
            undecoded_companies = page.undecoded.len(),
            undecoded_connections = connections,
            "codat's companies do not all decode; the others are kept"
        );
    }
    Ok(page)
}

/// The page in `answer` as serde reads it: in one pass, else company by
/// company.
pub(crate) fn read_by_serde<T: CompanyItem>(answer: &Success) -> Result<Page<T>, Error> {
    match answer.decode::<CompaniesPage<T::Whole<'_>>>() {
        Ok(mut whole) => {
            let results = std::mem::take(&mut whole.results);
            Ok(whole.into_page(results.into_iter().map(T::whole).collect(), Vec::new()))
        }
        Err(_) => by_company(answer),
    }
}

/// A page's second try: each company read on its own; one that does not
/// read is kept, with its raw JSON, as an [`UndecodedCompany`].
fn by_company<T: CompanyItem>(answer: &Success) -> Result<Page<T>, Error> {
    let mut page: CompaniesPage<&RawValue> = answer
        .decode()
        .map_err(|error| answer.decode_error(&error))?;
    let number = u64::try_from(page.paging.page_number).ok();
    let (mut results, mut undecoded) = (Vec::new(), Vec::new());
    for text in std::mem::take(&mut page.results) {
        match T::one(text.get()) {
            Ok(company) => results.push(company),
            Err(why) => {
                // It parsed as JSON once already, as part of the page.
                let raw = serde_json::from_str(text.get())
                    .unwrap_or_else(|_| serde_json::Value::String(text.get().to_owned()));
                undecoded.push(UndecodedCompany::new(raw, &why, number, answer.status));
            }
        }
    }
    Ok(page.into_page(results, undecoded))
}

#[cfg(test)]
mod tests {
    use super::super::test_pages::{answer, company, connection, listing};
    use super::*;

    #[test]
    fn a_page_decodes_in_one_pass_as_it_would_company_by_company() {
        let two = format!(
            "[{}, {}]",
            connection(1, r#""Linked""#),
            connection(2, r#""Deauthorized""#)
        );
        let text = listing(&[company(1, &two), company(2, "[]"), company(3, "null")]);
        let whole = page::<Company>(answer(&text)).unwrap();
        let by_company: CompaniesPage<Company> = answer(&text).decode().unwrap();
        assert_eq!(whole.results, by_company.results);
        assert_eq!(whole.results[0].data_connections.len(), 2);
        assert!(
            whole
                .results
                .iter()
                .all(|c| c.undecoded_connections.is_empty())
        );
        assert_eq!(
            (whole.page_number, whole.page_size, whole.total_results),
            (3, 2, 9)
        );
    }

    #[test]
    fn a_connection_that_does_not_decode_costs_only_itself_and_says_where_it_was() {
        let mixed = format!("[{}, {}]", connection(1, r#""Linked""#), connection(2, "5"));
        let text = listing(&[
            company(1, &format!("[{}]", connection(3, r#""Unlinked""#))),
            company(2, &mixed),
        ]);
        let page = page::<Company>(answer(&text)).unwrap();
        assert_eq!(page.results.len(), 2);
        assert_eq!(page.results[0].data_connections.len(), 1);
        assert_eq!(page.results[1].data_connections.len(), 1);
        let undecoded = &page.results[1].undecoded_connections;
        assert_eq!(undecoded.len(), 1);
        assert_eq!(undecoded[0].page, Some(3));
        assert_eq!(undecoded[0].company, Some(page.results[1].id));
    }

    #[test]
    fn a_company_that_does_not_decode_costs_only_itself_and_says_where_it_was() {
        let no_id = r#"{"name": "no id", "redirect": "https://link.codat.io/x"}"#.to_owned();
        let odd_name = r#"{"id": "8a210b68-6988-11ed-a1eb-0242ac120009", "name": 7,
            "redirect": "https://link.codat.io/y"}"#
            .to_owned();
        let text = listing(&[company(1, "[]"), no_id, company(2, "[]"), odd_name]);
        let page = page::<Company>(answer(&text)).unwrap();
        let names: Vec<&str> = page.results.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["Company 1", "Company 2"],
            "every other company, in order"
        );
        assert_eq!(page.undecoded.len(), 2);
        let (missing, mistyped) = (&page.undecoded[0], &page.undecoded[1]);
        assert_eq!(
            (missing.id.as_deref(), missing.name.as_deref()),
            (None, Some("no id"))
        );
        assert!(missing.message.contains("`id`"), "{}", missing.message);
        assert_eq!(
            mistyped.id.as_deref(),
            Some("8a210b68-6988-11ed-a1eb-0242ac120009")
        );
        assert_eq!(mistyped.raw["name"], 7);
        assert_eq!((missing.page, mistyped.page), (Some(3), Some(3)));
    }

    #[test]
    fn a_page_whose_own_fields_do_not_decode_fails() {
        let text = r#"{"results": {"not": "a list"}, "pageNumber": 1, "pageSize": 2,
            "totalResults": 9, "_links": {"self": {"href": "/companies"}, "current": {"href": "/companies"}}}"#;
        assert!(matches!(
            page::<Company>(answer(text)),
            Err(Error::Decode { .. })
        ));
    }
}
