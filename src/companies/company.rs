//! [`Company`]: a company as Codat sends it, with its connections decoded
//! one by one, so that a connection that does not decode costs only itself.

use std::ops::Deref;

use serde::{Deserialize, Deserializer};

use super::wire::{self, ConnectionText};
use crate::listing::ListItem;
use crate::raw::types::{CompanyDetails, Connection};
use crate::{CompanyId, Error, UndecodedCompany, UndecodedConnection};

/// A company, as `get-company` and `list-companies` answer: its details
/// (every field of Codat's `Company` but its connections, as the document
/// describes them; reachable through `Deref`, such as `company.name`) and
/// its connections.
///
/// Each of its connections is decoded on its own: one in a shape Codat's
/// document does not allow is kept, with its raw JSON, in
/// [`undecoded_connections`](Self::undecoded_connections), and the others
/// are in [`data_connections`](Self::data_connections) as usual.
///
/// ```
/// use codat_connections::Company;
///
/// let company: Company = serde_json::from_str(r#"{
///     "id": "8a210b68-6988-11ed-a1eb-0242ac120002",
///     "name": "Technicalium",
///     "redirect": "https://link.codat.io/company/8a210b68-6988-11ed-a1eb-0242ac120002",
///     "dataConnections": [{"id": "not a connection"}]
/// }"#)?;
/// assert_eq!(company.name, "Technicalium");
/// assert!(company.data_connections.is_empty());
/// assert_eq!(company.undecoded_connections.len(), 1);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Company {
    /// Everything Codat sent of the company but its connections.
    pub details: CompanyDetails,
    /// Its connections that decoded, in Codat's order.
    pub data_connections: Vec<Connection>,
    /// Its connections that did not decode, each with its raw JSON and this
    /// company's ID (look at their `status`: one may need the customer).
    pub undecoded_connections: Vec<UndecodedConnection>,
}

impl Deref for Company {
    type Target = CompanyDetails;

    fn deref(&self) -> &CompanyDetails {
        &self.details
    }
}

/// The schema of what a `Company` decodes from: Codat's company details
/// and its `dataConnections` (each of which is decoded on its own).
#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Company {
    fn schema_name() -> String {
        "Company".to_owned()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        // The generated `raw::types::Company` is called `Company` too.
        std::borrow::Cow::Borrowed(concat!(module_path!(), "::Company"))
    }

    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        let mut schema = CompanyDetails::json_schema(generator).into_object();
        let connections = generator.subschema_for::<Option<Vec<Connection>>>();
        schema
            .object()
            .properties
            .insert("dataConnections".to_owned(), connections);
        schemars::schema::Schema::Object(schema)
    }
}

impl ListItem for Company {
    type Key = CompanyId;
    type Undecoded = UndecodedCompany;

    fn key(&self) -> CompanyId {
        self.details.id
    }

    fn undecoded_error(undecoded: UndecodedCompany) -> Error {
        Error::CompanyDecode(Box::new(undecoded))
    }
}

impl<'de> Deserialize<'de> for Company {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (details, connections) = wire::read::<D, ConnectionText>(deserializer)?;
        Ok(Company::new(
            details,
            connections.iter().map(|raw| raw.get()),
        ))
    }
}

/// A company whose connections are decoded as they come, in one pass: any
/// that does not decode fails it (a page's first try; see
/// `decode::page`).
pub(crate) struct WholeCompany(pub(super) Company);

impl<'de> Deserialize<'de> for WholeCompany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (details, data_connections) = wire::read::<D, Connection>(deserializer)?;
        Ok(WholeCompany(Company {
            details,
            data_connections,
            undecoded_connections: Vec::new(),
        }))
    }
}

impl Company {
    /// The company of `details`, with each of `connections` (JSON text)
    /// decoded on its own.
    fn new<'t>(details: CompanyDetails, connections: impl Iterator<Item = &'t str>) -> Self {
        let mut company = Company {
            details,
            data_connections: Vec::new(),
            undecoded_connections: Vec::new(),
        };
        for text in connections {
            match serde_json::from_str::<Connection>(text) {
                Ok(connection) => company.data_connections.push(connection),
                Err(why) => company
                    .undecoded_connections
                    .push(UndecodedConnection::embedded(
                        text,
                        &why,
                        company.details.id,
                    )),
            }
        }
        company
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPANY: &str = "8a210b68-6988-11ed-a1eb-0242ac120002";

    fn connection(status: &str) -> String {
        format!(
            r#"{{"id": "2e9d2c44-f675-40ba-8049-353bfcb5e171", "integrationId": "bf083d72-62c7-493e-aec9-81b4dbba7e2c",
                "integrationKey": "gbol", "sourceId": "bdd831ce-eebd-4896-89a7-20e5ee8989ee",
                "platformName": "Basiq", "linkUrl": "https://link-api.codat.io/x",
                "status": "{status}", "created": "2022-10-27T09:53:29Z", "sourceType": "Banking"}}"#
        )
    }

    fn company(connections: &str) -> String {
        format!(
            r#"{{"id": "{COMPANY}", "name": "Technicalium", "redirect": "https://link.codat.io/company/{COMPANY}",
                "tags": {{"region": "uk"}}, "dataConnections": [{connections}]}}"#
        )
    }

    #[test]
    fn every_connection_decodes_on_its_own_from_text_or_a_value() {
        let text = company(&format!(
            "{}, {{\"id\": 7}}, {}",
            connection("Linked"),
            connection("Deauthorized")
        ));
        let borrowed: Company = serde_json::from_str(&text).unwrap();
        let owned: Company = serde_json::from_value(serde_json::from_str(&text).unwrap()).unwrap();
        // The same, but for where serde's message says the error was.
        assert_eq!(borrowed.details, owned.details);
        assert_eq!(borrowed.data_connections, owned.data_connections);
        assert_eq!(
            borrowed.undecoded_connections[0].raw,
            owned.undecoded_connections[0].raw
        );
        assert_eq!(borrowed.data_connections.len(), 2);
        assert_eq!(borrowed.undecoded_connections.len(), 1);
        let undecoded = &borrowed.undecoded_connections[0];
        assert_eq!(undecoded.raw, serde_json::json!({"id": 7}));
        assert_eq!(undecoded.company, Some(COMPANY.parse().unwrap()));
        assert_eq!(borrowed.tags["region"], "uk");
        assert_eq!(borrowed.key(), borrowed.id);
    }

    #[test]
    fn a_company_without_connections_has_none_and_one_without_its_id_fails() {
        let text = company("").replace(r#", "dataConnections": []"#, "");
        let none: Company = serde_json::from_str(&text).unwrap();
        assert!(none.data_connections.is_empty() && none.undecoded_connections.is_empty());
        let nameless = company("").replace(&format!(r#""id": "{COMPANY}", "#), "");
        assert!(serde_json::from_str::<Company>(&nameless).is_err());
    }
}
