//! The Connections area: the handle a [`Client`] gives, and its operations,
//! each a call of the generated builder through [`http::call`].

mod decode;
mod list;

pub use list::{ConnectionStream, ConnectionsListing, ListConnections};

use std::collections::HashMap;

use std::future::Future;

use crate::http::Operation;
use crate::http::intercept::Success;
use crate::raw;
use crate::raw::builder::{
    CreateConnection, DeleteConnection, GetConnection, UnlinkConnection,
    UpdateConnectionAuthorization,
};
use crate::raw::types::{Connection, CreateConnectionBody, ErrorMessage, UpdateConnectionStatus};
use crate::types::ids::{IntoCompanyId, IntoConnectionId, IntoPlatformKey};
use crate::{Call, Client, ConnectionStatus, Error, RetryPolicy};

impl Client {
    /// The Connections operations.
    pub fn connections(&self) -> Connections<'_> {
        Connections {
            client: self,
            retry: None,
        }
    }
}

/// A create and an unlink carry an `Idempotency-Key`: Codat replays the
/// first answer to a repeated one instead of acting twice.
const CREATE: Operation = Operation::keyed("create-connection");
const GET: Operation = Operation::idempotent("get-connection");
const DELETE: Operation = Operation::idempotent("delete-connection");
const UNLINK: Operation = Operation::keyed("unlink-connection");
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
    /// It carries an `Idempotency-Key` (a fresh UUID, or yours with
    /// [`Call::idempotency_key`]), the same on every attempt, so a create
    /// whose answer was lost is asked again safely: Codat answers with the
    /// connection the first request made.
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
    pub fn create(
        &self,
        company_id: impl IntoCompanyId,
        platform_key: impl IntoPlatformKey,
    ) -> Call<'a, Connection> {
        let create = || -> Result<_, Error> {
            let company = company_id.into_company_id()?;
            let create = self.client.raw().create_connection().company_id(company);
            Ok(create.body(CreateConnectionBody {
                platform_key: Some(platform_key.into_platform_key()?),
            }))
        };
        self.call(CREATE, create(), CreateConnection::send, decode::connection)
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
            list::ConnectionsListing::new(company_id.into_company_id()),
            self.retry.clone(),
        )
    }

    /// Gets one connection (`get-connection`).
    pub fn get(
        &self,
        company_id: impl IntoCompanyId,
        connection_id: impl IntoConnectionId,
    ) -> Call<'a, Connection> {
        let get = || -> Result<_, Error> {
            let get = self.client.raw().get_connection();
            let get = get.company_id(company_id.into_company_id()?);
            Ok(get.connection_id(connection_id.into_connection_id()?))
        };
        self.call(GET, get(), GetConnection::send, decode::connection)
    }

    /// Updates a connection's authorization with the platform-specific
    /// values Codat documents for it (`update-connection-authorization`).
    pub fn update_authorization(
        &self,
        company_id: impl IntoCompanyId,
        connection_id: impl IntoConnectionId,
        authorization: &HashMap<String, String>,
    ) -> Call<'a, Connection> {
        let update = || -> Result<_, Error> {
            let update = self.client.raw().update_connection_authorization();
            let update = update.body(authorization.clone());
            let update = update.company_id(company_id.into_company_id()?);
            Ok(update.connection_id(connection_id.into_connection_id()?))
        };
        let send = UpdateConnectionAuthorization::send;
        self.call(UPDATE_AUTHORIZATION, update(), send, decode::connection)
    }

    /// Deletes a connection and the data synced through it (`delete-connection`).
    /// This cannot be undone; to stop syncing but keep the data, [`unlink`](Self::unlink).
    pub fn delete(
        &self,
        company_id: impl IntoCompanyId,
        connection_id: impl IntoConnectionId,
    ) -> Call<'a, ()> {
        let delete = || -> Result<_, Error> {
            let delete = self.client.raw().delete_connection();
            let delete = delete.company_id(company_id.into_company_id()?);
            Ok(delete.connection_id(connection_id.into_connection_id()?))
        };
        // Any 2xx answer to a delete is a success, whatever its body.
        self.call(DELETE, delete(), DeleteConnection::send, |_| Ok(()))
    }

    /// Unlinks a connection: Codat stops syncing but keeps the data, and the
    /// customer can re-authorize later (`unlink-connection`). It carries an
    /// `Idempotency-Key`, as [`create`](Self::create) does.
    pub fn unlink(
        &self,
        company_id: impl IntoCompanyId,
        connection_id: impl IntoConnectionId,
    ) -> Call<'a, Connection> {
        let unlink = || -> Result<_, Error> {
            let unlink = self.client.raw().unlink_connection().body(UNLINKED);
            let unlink = unlink.company_id(company_id.into_company_id()?);
            Ok(unlink.connection_id(connection_id.into_connection_id()?))
        };
        self.call(UNLINK, unlink(), UnlinkConnection::send, decode::connection)
    }

    /// The call of `operation`, made by sending `builder` with `send`.
    fn call<T, B, O, S, Fut>(
        &self,
        operation: Operation,
        builder: Result<B, Error>,
        send: S,
        read: fn(Success) -> Result<T, Error>,
    ) -> Call<'a, T>
    where
        T: Send + 'static,
        B: Clone + Send + Sync + 'a,
        S: Fn(B) -> Fut + Send + Sync + 'a,
        Fut: Future<Output = Result<O, raw::Error<ErrorMessage>>> + Send + 'a,
    {
        let retry = self.retry.clone();
        Call::new(self.client, retry, operation, builder, send, read)
    }
}
