//! A page of the portfolio sweep: `list-companies` read for what the sweep
//! hands out, and no more.
//!
//! Of each company the sweep reads its ID, its name and each connection's
//! `status`; only a connection that needs the customer again is read in
//! full (it is handed out whole, with its link URL). The other fields are
//! skipped over, not decoded: a page of 5,000 companies is 7 MiB of JSON,
//! and decoding every field of every company into the generated types took
//! twice the CPU time of this reading, for fields the sweep drops.
//!
//! A page is read in one walk over its text (`page_text`), which checks
//! it as JSON as serde would and reads each connection's status off its
//! text; serde reads only the ID, the name, and the connections handed out.
//! A page the walk is not sure of is read by serde as every page of
//! companies is (`decode::page`), each status with it: the two readings
//! give the same answer, and the walk takes about 60% of serde's time.
//!
//! So a field the sweep does not read costs nothing when it is in a shape
//! Codat's document does not allow: a company whose `description` is a
//! number is swept as usual, and a `Linked` connection whose `platformName`
//! is a number is counted, not undecoded. What the sweep reads is checked
//! as strictly as anywhere: a company whose ID or name does not decode is
//! an [`Error::CompanyDecode`](crate::Error::CompanyDecode) of its own, and
//! a connection whose status does not decode, or that needs the customer
//! and does not decode in full, is in its company's `undecoded`.

use std::future::Future;

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::connections_text::StatusText;
use super::page_text::ConnectionTexts;
use super::{Collected, CompanyReauthorizations, Unusable};
use crate::companies::CompaniesListing;
use crate::companies::decode::{self, CompanyItem};
use crate::http::Operation;
use crate::http::intercept::Success;
use crate::listing::ListItem;
use crate::listing::area::Area;
use crate::listing::parameters::ListQuery;
use crate::raw::{self, types::ErrorMessage};
use crate::{CompanyId, ConnectionStatus, Error, Page, UndecodedCompany, UndecodedConnection};

/// The companies listing, each page read for the sweep: the same requests
/// as [`CompaniesListing`]'s, another reading of the answers.
#[derive(Debug, Clone)]
pub(super) struct PortfolioListing(CompaniesListing);

impl PortfolioListing {
    /// The companies whose tags match `tags` (all: `None`).
    pub(super) fn tagged(tags: Option<String>) -> Self {
        Self(CompaniesListing::tagged(tags))
    }
}

// The area's part is sealed: its signatures name the crate's own types.
#[allow(private_interfaces)]
impl Area for PortfolioListing {
    type Item = PortfolioCompany;
    type Own = <CompaniesListing as Area>::Own;
    const OPERATION: Operation = CompaniesListing::OPERATION;

    fn check(&self, query: Option<&str>) -> Result<(Self::Own, Option<String>), Error> {
        self.0.check(query)
    }

    fn send(
        query: &ListQuery<Self::Own>,
        raw: &raw::Client,
    ) -> impl Future<Output = Result<(), raw::Error<ErrorMessage>>> + Send {
        CompaniesListing::send(query, raw)
    }

    fn decode(answer: Success) -> Result<Page<PortfolioCompany>, Error> {
        decode::page(answer)
    }
}

/// One company of the portfolio, as the sweep hands it out.
#[derive(Debug)]
pub(super) struct PortfolioCompany(pub(super) CompanyReauthorizations);

impl ListItem for PortfolioCompany {
    type Key = CompanyId;
    type Undecoded = UndecodedCompany;

    fn key(&self) -> CompanyId {
        self.0.company_id
    }

    fn undecoded_error(undecoded: UndecodedCompany) -> Error {
        Error::CompanyDecode(Box::new(undecoded))
    }
}

/// What the sweep reads of a company when serde reads the page: its ID,
/// its name and the JSON text of each of its connections (none when the
/// key is missing or `null`).
#[derive(Deserialize)]
pub(super) struct CompanyForSweep<'a> {
    id: CompanyId,
    name: String,
    #[serde(rename = "dataConnections", default, borrow)]
    connections: Option<Vec<&'a RawValue>>,
}

/// What the sweep reads of a connection first, when its text is not plain
/// enough to read the status off.
#[derive(Deserialize)]
struct Status {
    status: ConnectionStatus,
}

impl PortfolioCompany {
    /// The company `id`, named `name`, from the text of each of its
    /// connections and how its status reads off it.
    pub(super) fn read(id: CompanyId, name: String, connections: ConnectionTexts<'_, '_>) -> Self {
        let mut found = Collected::default();
        // First each status, then only the connections that need the
        // customer are read in full, into a list of just their number.
        let mut needing = 0;
        for &(text, status) in connections {
            match needs_customer(text, status) {
                Ok(true) => needing += 1,
                Ok(false) => found.connections += 1,
                Err(why) => {
                    let undecoded = UndecodedConnection::embedded(text, &why, id);
                    found.undecoded.push(undecoded);
                }
            }
        }
        found.needing_reauthorization.reserve_exact(needing);
        for &(text, status) in connections {
            if needing == 0 {
                break;
            }
            if !matches!(needs_customer(text, status), Ok(true)) {
                continue;
            }
            needing -= 1;
            match serde_json::from_str(text) {
                // Kept, not failed: `Keep` never refuses a connection.
                Ok(connection) => drop(found.add(connection, Unusable::Keep)),
                Err(why) => {
                    let undecoded = UndecodedConnection::embedded(text, &why, id);
                    found.undecoded.push(undecoded);
                }
            }
        }
        for undecoded in &mut found.undecoded {
            undecoded.company = Some(id);
        }
        PortfolioCompany(CompanyReauthorizations {
            company_id: id,
            company_name: Some(name),
            needing_reauthorization: found.needing_reauthorization,
            undecoded: found.undecoded,
            connections: found.connections,
        })
    }
}

/// Whether the connection `text` needs the customer, from its status.
fn needs_customer(text: &str, status: StatusText<'_>) -> serde_json::Result<bool> {
    Ok(match status {
        StatusText::Plain(status) => ConnectionStatus::from(status).needs_reauthorization(),
        StatusText::Unsure => serde_json::from_str::<Status>(text)?
            .status
            .needs_reauthorization(),
    })
}

impl CompanyItem for PortfolioCompany {
    type Whole<'a> = CompanyForSweep<'a>;

    fn whole(company: CompanyForSweep<'_>) -> Self {
        // serde reads each status here (this reading is the one to fall
        // back on, not the fast one).
        let texts: Vec<_> = (company.connections.iter().flatten())
            .map(|raw| (raw.get(), StatusText::Unsure))
            .collect();
        Self::read(company.id, company.name, &texts)
    }

    fn read_page(answer: &Success) -> Option<Page<Self>> {
        super::page_text::page(answer, Self::read)
    }

    fn one(text: &str) -> serde_json::Result<Self> {
        serde_json::from_str(text).map(Self::whole)
    }

    fn place(&mut self, page: Option<u64>, status: StatusCode) -> usize {
        decode::place(&mut self.0.undecoded, page, status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPANY: &str = "8a210b68-6988-11ed-a1eb-0242ac120002";

    fn connection(n: u8, status: &str, link_url: &str) -> String {
        format!(
            r#"{{"id": "2e9d2c44-f675-40ba-8049-353bfcb5e1{n:02}", "integrationId": "bf083d72-62c7-493e-aec9-81b4dbba7e2c",
                "sourceId": "bdd831ce-eebd-4896-89a7-20e5ee8989ee", "platformName": "Basiq",
                "linkUrl": "{link_url}", "status": {status}, "created": "2022-10-27T09:53:29Z",
                "sourceType": "Banking"}}"#
        )
    }

    /// The IDs of the connections `found` hands out.
    fn handed_out(found: &CompanyReauthorizations) -> Vec<String> {
        found
            .needing_reauthorization
            .iter()
            .map(|n| n.connection.id.to_string())
            .collect()
    }

    fn read(connections: &[String]) -> CompanyReauthorizations {
        let text = format!(
            r#"{{"id": "{COMPANY}", "name": "Technicalium", "redirect": 7,
                "dataConnections": [{}]}}"#,
            connections.join(",")
        );
        PortfolioCompany::one(&text).unwrap().0
    }

    #[test]
    fn only_what_the_sweep_hands_out_is_read_in_full_and_every_connection_counts_once() {
        let link = "https://link-api.codat.io/x";
        let mistyped = connection(4, r#""Deauthorized""#, link).replace(r#""Basiq""#, "42");
        let found = read(&[
            connection(1, r#""Linked""#, link),
            // Not read in full: its `platformName` is never looked at.
            connection(2, r#""Linked""#, link).replace(r#""Basiq""#, "42"),
            connection(3, r#""Deauthorized""#, link),
            mistyped,
            connection(5, "5", link),
            connection(6, r#""Unlinked""#, "not a url"),
        ]);
        assert_eq!(found.company_name.as_deref(), Some("Technicalium"));
        assert_eq!(handed_out(&found), ["2e9d2c44-f675-40ba-8049-353bfcb5e103"]);
        assert_eq!(found.needing_reauthorization[0].link_url.as_str(), link);
        let undecoded: Vec<(Option<&str>, Option<&str>)> = found
            .undecoded
            .iter()
            .map(|u| (u.id.as_deref(), u.status.as_deref()))
            .collect();
        assert_eq!(
            undecoded,
            [
                (Some("2e9d2c44-f675-40ba-8049-353bfcb5e105"), None),
                (
                    Some("2e9d2c44-f675-40ba-8049-353bfcb5e104"),
                    Some("Deauthorized")
                ),
                (
                    Some("2e9d2c44-f675-40ba-8049-353bfcb5e106"),
                    Some("Unlinked")
                ),
            ],
            "a status that does not read, then those read in full"
        );
        assert!(
            found
                .undecoded
                .iter()
                .all(|u| u.company == Some(COMPANY.parse().unwrap()))
        );
        // Read: 1, 2, 3 and 6 (whose link is not a URL, so in `undecoded` too).
        assert_eq!(found.connections, 4);
    }

    #[test]
    fn a_company_without_its_id_or_name_does_not_read_and_one_without_connections_has_none() {
        let none = read(&[]);
        assert_eq!((none.connections, none.undecoded.len()), (0, 0));
        let null = PortfolioCompany::one(&format!(
            r#"{{"id": "{COMPANY}", "name": "N", "dataConnections": null}}"#
        ))
        .unwrap();
        assert_eq!(null.0.connections, 0);
        assert!(PortfolioCompany::one(r#"{"name": "no id"}"#).is_err());
        let odd_name = format!(r#"{{"id": "{COMPANY}", "name": 7}}"#);
        assert!(PortfolioCompany::one(&odd_name).is_err());
        for not_a_list in ["5", "{}", r#""x""#, "true"] {
            let odd =
                format!(r#"{{"id": "{COMPANY}", "name": "N", "dataConnections": {not_a_list}}}"#);
            assert!(PortfolioCompany::one(&odd).is_err(), "{not_a_list}");
        }
    }

    #[test]
    fn connections_laid_out_on_many_lines_read_as_on_one() {
        let link = "https://link-api.codat.io/x";
        let connections = [
            connection(1, r#""Unlinked""#, link),
            connection(2, r#""Linked""#, link),
        ];
        let text = format!(
            "{{\n  \"id\" : \"{COMPANY}\",\n  \"name\" : \"N\",\n  \"dataConnections\" : [\n    {}\n  ]\n}}",
            connections.join(" ,\n    ")
        );
        let found = PortfolioCompany::one(&text).unwrap().0;
        assert_eq!(found.connections, 2);
        assert!(found.undecoded.is_empty(), "{:?}", found.undecoded);
        assert_eq!(handed_out(&found), ["2e9d2c44-f675-40ba-8049-353bfcb5e101"]);
    }
}
