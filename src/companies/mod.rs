//! The companies area: the handle a [`Client`] gives, and the three company
//! operations this SDK wraps (create, get, list), each a call of the
//! generated builder through [`http::call`](crate::http::call). Deleting or
//! changing a company is left out: a delete removes the company's data.

mod company;
pub(crate) mod decode;
mod list;
#[cfg(test)]
pub(crate) mod test_pages;
mod wire;

pub use company::Company;
pub use list::{CompaniesListing, CompanyPageStream, CompanyStream, ListCompanies};

use std::collections::BTreeMap;
use std::future::IntoFuture;

use crate::http::Operation;
use crate::raw::builder::{CreateCompany as RawCreate, GetCompany};
use crate::raw::types::CompanyRequestBody;
use crate::types::ids::IntoCompanyId;
use crate::{Call, Client, Error, RetryPolicy};

impl Client {
    /// The company operations: a company is the customer whose platforms
    /// its connections link.
    pub fn companies(&self) -> Companies<'_> {
        Companies {
            client: self,
            retry: None,
        }
    }
}

/// A create carries an `Idempotency-Key`: Codat replays the first answer to
/// a repeated one instead of creating (and charging for) a second company.
const CREATE: Operation = Operation::keyed("create-company");
const GET: Operation = Operation::idempotent("get-company");

/// The most tags a company holds, the longest key and the longest value
/// (Codat's `Tags` schema).
const MAX_TAGS: usize = 10;
const MAX_TAG_KEY: usize = 27;
const MAX_TAG_VALUE: usize = 100;

/// The company operations of a [`Client`]; see [`Client::companies`].
#[derive(Debug, Clone)]
pub struct Companies<'a> {
    client: &'a Client,
    retry: Option<RetryPolicy>,
}

impl<'a> Companies<'a> {
    /// These calls retry with `policy` instead of the client's policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Creates a company named `name` (`create-company`): letters, digits,
    /// spaces and `-',&@.?!`, as Codat's document allows; any other name is
    /// refused with [`Error::InvalidInput`] before anything is sent. Set a
    /// description and tags on the request, then `.await` it.
    ///
    /// It carries an `Idempotency-Key`, the same on every attempt: a create
    /// whose answer was lost is asked again without making a second company
    /// (Codat charges for each).
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
    /// let company = client
    ///     .companies()
    ///     .create("Technicalium")
    ///     .description("Web and app design")
    ///     .tag("region", "uk")
    ///     .await?;
    /// let connection = client.connections().create(company.id, "gbol").await?;
    /// println!("send the customer to {}", connection.link_url);
    /// # Ok(()) }
    /// ```
    pub fn create(&self, name: impl Into<String>) -> CreateCompany<'a> {
        CreateCompany {
            client: self.client,
            retry: self.retry.clone(),
            name: name.into(),
            description: None,
            tags: BTreeMap::new(),
        }
    }

    /// Gets one company, with its connections (`get-company`).
    pub fn get(&self, company_id: impl IntoCompanyId) -> Call<'a, Company> {
        let get = company_id
            .into_company_id()
            .map(|id| self.client.raw().get_company().company_id(id));
        let retry = self.retry.clone();
        Call::new(
            self.client,
            retry,
            GET,
            get,
            GetCompany::send,
            decode::company,
        )
    }

    /// Lists the account's companies, each with its connections, one page
    /// per request (`list-companies`).
    pub fn list(&self) -> ListCompanies<'a> {
        ListCompanies::new(self.client, CompaniesListing::default(), self.retry.clone())
    }
}

/// A request to create a company; `.await` it to send, or make it a
/// [`Call`] (its timeout, headers, retries, `Idempotency-Key`) with
/// [`call`](Self::call).
#[derive(Debug, Clone)]
#[must_use = "a create request does nothing until awaited"]
pub struct CreateCompany<'a> {
    client: &'a Client,
    retry: Option<RetryPolicy>,
    name: String,
    description: Option<String>,
    tags: BTreeMap<String, String>,
}

impl<'a> CreateCompany<'a> {
    /// Additional information about the company (foreign IDs, references).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// A tag: up to 10, each key 1 to 27 characters, each value up to 100
    /// (Codat's limits, checked before anything is sent). A key set twice
    /// keeps its last value.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.insert(key.into(), value.into());
        self
    }

    /// The call, to set its options before sending it.
    pub fn call(self) -> Call<'a, Company> {
        let create = self
            .body()
            .map(|body| self.client.raw().create_company().body(body));
        Call::new(
            self.client,
            self.retry,
            CREATE,
            create,
            RawCreate::send,
            decode::company,
        )
    }

    /// The request's body, or what of it Codat would refuse.
    fn body(&self) -> Result<CompanyRequestBody, Error> {
        let name = self.name.as_str().try_into().map_err(|_| {
            Error::invalid_input(
                "name",
                &self.name,
                "must be letters, digits, spaces and -',&@.?! (at least one)",
            )
        })?;
        if self.tags.len() > MAX_TAGS {
            let count = self.tags.len().to_string();
            return Err(Error::invalid_input("tags", &count, "at most 10 tags"));
        }
        let mut tags = std::collections::HashMap::new();
        for (key, value) in &self.tags {
            if !(1..=MAX_TAG_KEY).contains(&key.chars().count()) {
                return Err(Error::invalid_input(
                    "tags",
                    key,
                    "a tag's key must be 1 to 27 characters",
                ));
            }
            let checked = value
                .as_str()
                .try_into()
                .ok()
                .filter(|_| value.chars().count() <= MAX_TAG_VALUE)
                .ok_or_else(|| {
                    Error::invalid_input(
                        "tags",
                        value,
                        "a tag's value must be at most 100 characters",
                    )
                })?;
            tags.insert(key.clone(), checked);
        }
        Ok(CompanyRequestBody {
            name,
            description: self.description.clone(),
            tags,
        })
    }
}

impl<'a> IntoFuture for CreateCompany<'a> {
    type Output = Result<Company, Error>;
    type IntoFuture = <Call<'a, Company> as IntoFuture>::IntoFuture;

    fn into_future(self) -> Self::IntoFuture {
        self.call().into_future()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(name: &str) -> CreateCompany<'static> {
        static CLIENT: std::sync::OnceLock<Client> = std::sync::OnceLock::new();
        CLIENT
            .get_or_init(|| Client::new("k").unwrap())
            .companies()
            .create(name)
    }

    #[test]
    fn a_name_outside_codats_pattern_is_refused_before_sending() {
        for good in [
            "Technicalium",
            "Bank of Dave",
            "A&B, Ltd.",
            "O'Brien - 2?!",
            "@x",
        ] {
            assert!(create(good).body().is_ok(), "{good}");
        }
        for bad in ["", "Café", "a/b", "semi;colon", "tab\u{1F600}"] {
            let err = create(bad).body().unwrap_err();
            assert_eq!(err.invalid_field(), Some("name"), "{bad:?}");
        }
    }

    #[test]
    fn tags_within_codats_limits_are_sent_and_others_refused() {
        let body = create("X")
            .description("d")
            .tag("region", "uk")
            .body()
            .unwrap();
        assert_eq!(body.tags["region"].as_str(), "uk");
        assert_eq!(body.description.as_deref(), Some("d"));
        assert!(create("X").body().unwrap().tags.is_empty());
        let eleven = (0..11).fold(create("X"), |c, i| c.tag(format!("k{i}"), "v"));
        assert_eq!(eleven.body().unwrap_err().invalid_field(), Some("tags"));
        assert!(create("X").tag("", "v").body().is_err());
        assert!(create("X").tag("k".repeat(28), "v").body().is_err());
        assert!(create("X").tag("k", "v".repeat(101)).body().is_err());
        assert!(
            create("X")
                .tag("k".repeat(27), "v".repeat(100))
                .body()
                .is_ok()
        );
    }
}
