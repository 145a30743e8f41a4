//! What a mock starts with, written as JSON: the `codat-mock` program's
//! `--seed FILE`, and [`MockCodat::seed`](crate::mock::MockCodat::seed) for a test
//! that keeps its fixtures in a file. See [`Seed`].

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::{CompanyId, ConnectionId, ConnectionStatus, PlatformKey};

/// A mock's starting state:
///
/// ```json
/// {
///   "companies": [
///     {
///       "id": "8a210b68-6988-11ed-a1eb-0242ac120002",
///       "name": "Technicalium",
///       "tags": {"region": "uk"},
///       "connections": [
///         {"platformKey": "gbol", "status": "Linked"},
///         {"id": "2e9d2c44-f675-40ba-8049-353bfcb5e171", "platformKey": "qhyg", "status": "Deauthorized"}
///       ]
///     },
///     {}
///   ]
/// }
/// ```
///
/// Every ID is optional (a fresh one is made); a field the seed does not
/// know, an ID used twice, or a platform key that is not four lowercase
/// letters is an error, and nothing of the seed is added.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// The companies, in order.
    #[serde(default)]
    pub companies: Vec<SeedCompany>,
}

/// A company of a [`Seed`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedCompany {
    /// Its ID; a fresh one when absent (`null` is not an ID).
    #[serde(default, deserialize_with = "present")]
    pub id: Option<CompanyId>,
    /// Its name; `Mock company N` when absent.
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    /// Its description, when it has one.
    #[serde(default, deserialize_with = "present")]
    pub description: Option<String>,
    /// Its tags (as `list-companies`'s `tags` filter reads them).
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
    /// Its connections, in order.
    #[serde(default)]
    pub connections: Vec<SeedConnection>,
}

/// A connection of a [`SeedCompany`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SeedConnection {
    /// Its ID; a fresh one when absent (`null` is not an ID).
    #[serde(default, deserialize_with = "present")]
    pub id: Option<ConnectionId>,
    /// The platform it connects to, such as `gbol`.
    pub platform_key: PlatformKey,
    /// Its status, such as `Linked`.
    pub status: ConnectionStatus,
}

/// An optional field that, when present, holds a value: `null` is refused
/// as the value's type refuses it.
pub(in crate::mock) fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

impl Seed {
    /// Reads a seed from JSON, or says where and why it is not one.
    ///
    /// ```
    /// use codat_connections::mock::Seed;
    ///
    /// let seed = Seed::from_json(r#"{"companies": [{"connections": [{"platformKey": "gbol", "status": "Linked"}]}]}"#)?;
    /// assert_eq!(seed.companies[0].connections.len(), 1);
    /// let refused = Seed::from_json(r#"{"companys": []}"#).unwrap_err();
    /// assert!(refused.contains("companys"), "{refused}");
    /// assert!(Seed::from_json(r#"{"companies": [{"id": null}]}"#).is_err());
    /// # Ok::<(), String>(())
    /// ```
    pub fn from_json(text: &str) -> Result<Seed, String> {
        let seed: Seed = serde_json::from_str(text).map_err(|err| format!("not a seed: {err}"))?;
        seed.check()?;
        Ok(seed)
    }

    /// That no ID is used twice.
    pub(in crate::mock) fn check(&self) -> Result<(), String> {
        let mut seen = BTreeSet::new();
        let companies = self
            .companies
            .iter()
            .filter_map(|c| c.id.map(|id| id.to_string()));
        let connections = self
            .companies
            .iter()
            .flat_map(|c| &c.connections)
            .filter_map(|c| c.id.map(|id| id.to_string()));
        for id in companies.chain(connections) {
            if !seen.insert(id.clone()) {
                return Err(format!("the seed uses the ID {id} twice"));
            }
        }
        Ok(())
    }
}
