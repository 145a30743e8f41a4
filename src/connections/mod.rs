//! The Connections area: the handle a [`Client`] gives, and its operations,
//! each a call of the generated builder through [`http::call`].

mod list;
mod query;
mod reauthorization;
mod salvage;

pub use list::{ConnectionStream, ListConnections, PageStream};
pub use query::{MAX_PAGE_SIZE, MAX_QUERY_LENGTH};
pub(crate) use reauthorization::{collect, Unusable};
pub use reauthorization::{NeedsReauthorization, Reauthorization};

use std::collections::HashMap;

use crate::http::{self, Operation};
use crate::raw::types::{Connection, CreateConnectionBody, UpdateConnectionStatus};
use crate::types::ids::{IntoCompanyId, IntoConnectionId, IntoPlatformKey};
use crate::{Client, ConnectionStatus, Error, RetryPolicy};

impl Client {
    /// The Connections operations.
    pub fn connections(&self) -> Connections<'_> {
        Connections {
            client: self,
            retry: None,
        }
    }
}

/// A create is repeated only when Codat provably did not process it: a
/// repeated create can make a second connection.
const CREATE: Operation = Operation::only_once("create-connection");
const GET: Operation = Operation::idempotent("get-connection");
const DELETE: Operation = Operation::idempotent("delete-connection");
const UNLINK: Operation = Operation::idempotent("unlink-connection");
const UPDATE_AUTHORIZATION: Operation = Operation::idempotent("update-connection-authorization");

/// What an unlink sends: the status the connection is to have.
const UNLINKED: UpdateConnectionStatus = UpdateConnectionStatus {
    status: Some(ConnectionStatus::Unlinked),
};

/// The Connections operations of a [`Client`]; see [`Client::connections`].
///
/// Identifiers are accepted as text, [`uuid::Uuid`]s or the validated
/// [`CompanyId`](crate::CompanyId) / [`ConnectionId`](crate::ConnectionId); an invalid one fails with
/// [`Error::InvalidInput`] before anything is sent.
#[derive(Debug, Clone)]
pub struct Connections<'a> {
    client: &'a Client,
    retry: Option<RetryPolicy>,
}

impl<'a> Connections<'a> {
    /// These calls retry with `policy` instead of the client's policy.
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
    /// use codat_connections::RetryPolicy;
    ///
    /// let once = client.connections().retry(RetryPolicy::none());
    /// once.delete("8a210b68-6988-11ed-a1eb-0242ac120002", "2e9d2c44-f675-40ba-8049-353bfcb5e171").await?;
    /// # Ok(()) }
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Creates a connection to the platform `platform_key` (four lowercase
    /// letters, such as `gbol`) for a company (`create-connection`). The new
    /// connection is `PendingAuth`; send the customer to its `link_url`.
    ///
    /// It is retried only when Codat provably did not process it (429, or no
    /// connection could be made): a repeated create can make a second
    /// connection.
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
    /// let connection = client
    ///     .connections()
    ///     .create("8a210b68-6988-11ed-a1eb-0242ac120002", "gbol")
    ///     .await?;
    /// println!("authorize at {}", connection.link_url);
    /// # Ok(()) }
    /// ```
    pub async fn create(
        &self,
        company_id: impl IntoCompanyId,
        platform_key: impl IntoPlatformKey,
    ) -> Result<Connection, Error> {
        let company = company_id.into_company_id()?;
        let create = self.client.raw().create_connection().company_id(company);
        let create = create.body(CreateConnectionBody {
            platform_key: Some(platform_key.into_platform_key()?),
        });
        let send = || create.clone().send();
        http::call(self.policy(), CREATE, send, salvage::connection).await
    }

    /// Lists a company's connections, one page per request (`list-connections`).
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
    /// let page = client
    ///     .connections()
    ///     .list("8a210b68-6988-11ed-a1eb-0242ac120002")
    ///     .page_size(100)
    ///     .await?;
    /// for connection in &page.results {
    ///     println!("{} {}", connection.platform_name, connection.status);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self, company_id: impl IntoCompanyId) -> ListConnections<'a> {
        ListConnections::new(
            self.client,
            company_id.into_company_id(),
            self.retry.clone(),
        )
    }

    /// Gets one connection (`get-connection`).
    pub async fn get(
        &self,
        company_id: impl IntoCompanyId,
        connection_id: impl IntoConnectionId,
    ) -> Result<Connection, Error> {
        let get = self.client.raw().get_connection();
        let get = get.company_id(company_id.into_company_id()?);
        let get = get.connection_id(connection_id.into_connection_id()?);
        let send = || get.clone().send();
        http::call(self.policy(), GET, send, salvage::connection).await
    }

    /// Updates a connection's authorization with the platform-specific
    /// values Codat documents for it (`update-connection-authorization`).
    pub async fn update_authorization(
        &self,
        company_id: impl IntoCompanyId,
        connection_id: impl IntoConnectionId,
        authorization: &HashMap<String, String>,
    ) -> Result<Connection, Error> {
        let update = self.client.raw().update_connection_authorization();
        let update = update.company_id(company_id.into_company_id()?);
        let update = update.connection_id(connection_id.into_connection_id()?);
        let send = || update.clone().body(authorization.clone()).send();
        http::call(
            self.policy(),
            UPDATE_AUTHORIZATION,
            send,
            salvage::connection,
        )
        .await
    }

    /// Deletes a connection and the data synced through it (`delete-connection`).
    /// This cannot be undone; to stop syncing but keep the data, [`unlink`](Self::unlink).
    pub async fn delete(
        &self,
        company_id: impl IntoCompanyId,
        connection_id: impl IntoConnectionId,
    ) -> Result<(), Error> {
        let delete = self.client.raw().delete_connection();
        let delete = delete.company_id(company_id.into_company_id()?);
        let delete = delete.connection_id(connection_id.into_connection_id()?);
        let send = || delete.clone().send();
        // Any 2xx answer to a delete is a success, whatever its body.
        http::call(self.policy(), DELETE, send, |_| Ok(())).await
    }

    /// Unlinks a connection: Codat stops syncing but keeps the data, and the
    /// customer can re-authorize later (`unlink-connection`).
    pub async fn unlink(
        &self,
        company_id: impl IntoCompanyId,
        connection_id: impl IntoConnectionId,
    ) -> Result<Connection, Error> {
        let unlink = self.client.raw().unlink_connection().body(UNLINKED);
        let unlink = unlink.company_id(company_id.into_company_id()?);
        let unlink = unlink.connection_id(connection_id.into_connection_id()?);
        let send = || unlink.clone().send();
        http::call(self.policy(), UNLINK, send, salvage::connection).await
    }

    /// The retry policy these calls follow.
    fn policy(&self) -> &RetryPolicy {
        self.client.policy(self.retry.as_ref())
    }
}
