//! The Connections operations: list, create, get, unlink, delete, update
//! authorization, and the re-authorization helper.

use std::collections::HashMap;

use reqwest::Method;
use url::Url;

use crate::client::Request;
use crate::ids::{IntoCompanyId, IntoConnectionId, IntoPlatformKey};
use crate::paging::ListConnections;
use crate::raw::types::{Connection, CreateConnectionBody, UpdateConnectionStatus};
use crate::{Client, CompanyId, ConnectionId, ConnectionStatus, Error, RetryPolicy};

/// The Connections operations of a [`Client`]; see [`Client::connections`].
///
/// Identifiers are accepted as text, [`uuid::Uuid`]s or the validated
/// [`CompanyId`] / [`ConnectionId`]; an invalid one fails with
/// [`Error::InvalidInput`] before anything is sent.
#[derive(Debug, Clone)]
pub struct Connections<'a> {
    client: &'a Client,
    retry: Option<RetryPolicy>,
}

/// What a connection needs for the customer to share data again; see
/// [`Connections::reauthorization`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Reauthorization {
    /// The connection is `Deauthorized` or `Unlinked`: send the customer to
    /// `link_url` to authorize it again.
    Required {
        /// Where the customer re-authorizes this same connection.
        link_url: Url,
        /// The connection as Codat returned it.
        connection: Box<Connection>,
    },
    /// The connection is `Linked`: nothing to do.
    AlreadyLinked {
        /// The connection as Codat returned it.
        connection: Box<Connection>,
    },
    /// The connection is `PendingAuth`: the customer has not finished
    /// linking yet; `link_url` is where they can.
    PendingAuth {
        /// Where the customer finishes linking.
        link_url: Url,
        /// The connection as Codat returned it.
        connection: Box<Connection>,
    },
    /// Codat reported a status this SDK does not know yet.
    UnknownStatus {
        /// The connection as Codat returned it.
        connection: Box<Connection>,
    },
}

impl Reauthorization {
    /// The URL to send the customer to, when re-authorization is required.
    pub fn required_link_url(&self) -> Option<&Url> {
        match self {
            Reauthorization::Required { link_url, .. } => Some(link_url),
            _ => None,
        }
    }

    /// The connection this answer is about.
    pub fn connection(&self) -> &Connection {
        match self {
            Reauthorization::Required { connection, .. }
            | Reauthorization::AlreadyLinked { connection }
            | Reauthorization::PendingAuth { connection, .. }
            | Reauthorization::UnknownStatus { connection } => connection,
        }
    }
}

fn connection_path(company: &CompanyId, connection: &ConnectionId) -> String {
    format!("/companies/{company}/connections/{connection}")
}

impl<'a> Connections<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self {
            client,
            retry: None,
        }
    }

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

    async fn send_json<T: serde::de::DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<T, Error> {
        self.client.send_json(&request, self.retry.as_ref()).await
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
        let path = connection_path(
            &company_id.into_company_id()?,
            &connection_id.into_connection_id()?,
        );
        self.send_json(Request::new("get-connection", Method::GET, path))
            .await
    }

    /// Creates a connection to the platform `platform_key` (four lowercase
    /// letters, such as `gbol`) for a company (`create-connection`). The new
    /// connection is `PendingAuth`; send the customer to its `link_url`.
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
        let company_id = company_id.into_company_id()?;
        let body = CreateConnectionBody {
            platform_key: Some(platform_key.into_platform_key()?),
        };
        let request = Request::new(
            "create-connection",
            Method::POST,
            format!("/companies/{company_id}/connections"),
        )
        .json_body(&body)?;
        self.send_json(request).await
    }

    /// Deletes a connection and the data synced through it (`delete-connection`).
    /// This cannot be undone; to stop syncing but keep the data, [`unlink`](Self::unlink).
    pub async fn delete(
        &self,
        company_id: impl IntoCompanyId,
        connection_id: impl IntoConnectionId,
    ) -> Result<(), Error> {
        let path = connection_path(
            &company_id.into_company_id()?,
            &connection_id.into_connection_id()?,
        );
        let request = Request::new("delete-connection", Method::DELETE, path);
        self.client
            .send(&request, self.retry.as_ref())
            .await
            .map(drop)
    }

    /// Unlinks a connection: Codat stops syncing but keeps the data, and the
    /// customer can re-authorize later (`unlink-connection`).
    pub async fn unlink(
        &self,
        company_id: impl IntoCompanyId,
        connection_id: impl IntoConnectionId,
    ) -> Result<Connection, Error> {
        let path = connection_path(
            &company_id.into_company_id()?,
            &connection_id.into_connection_id()?,
        );
        let body = UpdateConnectionStatus {
            status: Some(ConnectionStatus::Unlinked),
        };
        let request = Request::new("unlink-connection", Method::PATCH, path).json_body(&body)?;
        self.send_json(request).await
    }

    /// Updates a connection's authorization with the platform-specific
    /// values Codat documents for it (`update-connection-authorization`).
    pub async fn update_authorization(
        &self,
        company_id: impl IntoCompanyId,
        connection_id: impl IntoConnectionId,
        authorization: &HashMap<String, String>,
    ) -> Result<Connection, Error> {
        let path = format!(
            "{}/authorization",
            connection_path(
                &company_id.into_company_id()?,
                &connection_id.into_connection_id()?
            )
        );
        let request = Request::new("update-connection-authorization", Method::PUT, path)
            .json_body(authorization)?;
        self.send_json(request).await
    }

    /// Finds out whether the customer must re-authorize a connection, and
    /// where: gets the connection and, when it is `Deauthorized` or
    /// `Unlinked`, returns its own link URL. It never creates a company or
    /// a connection (a new company costs money at Codat).
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
    /// use codat_connections::Reauthorization;
    ///
    /// match client
    ///     .connections()
    ///     .reauthorization(
    ///         "8a210b68-6988-11ed-a1eb-0242ac120002",
    ///         "2e9d2c44-f675-40ba-8049-353bfcb5e171",
    ///     )
    ///     .await?
    /// {
    ///     Reauthorization::Required { link_url, .. } => println!("send the customer to {link_url}"),
    ///     Reauthorization::AlreadyLinked { .. } => println!("nothing to do"),
    ///     other => println!("{:?}", other.connection().status),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn reauthorization(
        &self,
        company_id: impl IntoCompanyId,
        connection_id: impl IntoConnectionId,
    ) -> Result<Reauthorization, Error> {
        let connection = self.get(company_id, connection_id).await?;
        Reauthorization::of(connection)
    }
}

/// A connection the customer must authorize again, and where; see
/// [`Connections::needing_reauthorization`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NeedsReauthorization {
    /// Where the customer re-authorizes this connection.
    pub link_url: Url,
    /// The connection (`Deauthorized` or `Unlinked`).
    pub connection: Connection,
}

impl Connections<'_> {
    /// Every connection of a company that needs the customer's action
    /// (`Deauthorized` or `Unlinked`), each with its link URL, in one call:
    /// it walks all pages of the listing. It never creates anything.
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
    /// for needed in client
    ///     .connections()
    ///     .needing_reauthorization("8a210b68-6988-11ed-a1eb-0242ac120002")
    ///     .await?
    /// {
    ///     println!("{} is {}: {}", needed.connection.id, needed.connection.status, needed.link_url);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn needing_reauthorization(
        &self,
        company_id: impl IntoCompanyId,
    ) -> Result<Vec<NeedsReauthorization>, Error> {
        use futures::TryStreamExt;

        let mut all = self
            .list(company_id)
            .page_size(crate::MAX_PAGE_SIZE)
            .connections();
        let mut needed = Vec::new();
        while let Some(connection) = all.try_next().await? {
            if !connection.status.needs_reauthorization() {
                continue;
            }
            if let Reauthorization::Required {
                link_url,
                connection,
            } = Reauthorization::of(connection)?
            {
                needed.push(NeedsReauthorization {
                    link_url,
                    connection: *connection,
                });
            }
        }
        Ok(needed)
    }
}

impl Reauthorization {
    /// What `connection` needs, from its status.
    pub fn of(connection: Connection) -> Result<Self, Error> {
        let link_url = |c: &Connection| {
            Url::parse(&c.link_url).map_err(|e| Error::Decode {
                status: reqwest::StatusCode::OK,
                message: format!("linkUrl is not a URL: {e}"),
                snippet: crate::error::snippet(c.link_url.as_bytes()),
            })
        };
        let connection = Box::new(connection);
        Ok(match &connection.status {
            ConnectionStatus::Deauthorized | ConnectionStatus::Unlinked => {
                Reauthorization::Required {
                    link_url: link_url(&connection)?,
                    connection,
                }
            }
            ConnectionStatus::Linked => Reauthorization::AlreadyLinked { connection },
            ConnectionStatus::PendingAuth => Reauthorization::PendingAuth {
                link_url: link_url(&connection)?,
                connection,
            },
            _ => Reauthorization::UnknownStatus { connection },
        })
    }
}
