//! The Connections operations (list, create, get, unlink, delete, update
//! authorization), each a call of the generated client's builder, and the
//! re-authorization helpers built on them.

use std::collections::HashMap;
use std::future::{Future, IntoFuture};
use std::num::NonZeroU32;
use std::pin::Pin;

use futures::stream::TryStreamExt;
use url::Url;

use crate::http::hooks::{self, Answer, Recorder};
use crate::http::retry::{self, Repeatable};
use crate::paging::{self, FetchPage, PageRequest};
use crate::raw::{
    self,
    types::{
        Connection, Connections as RawPage, CreateConnectionBody, ErrorMessage,
        UpdateConnectionStatus,
    },
    ResponseValue,
};
use crate::types::ids::{IntoCompanyId, IntoConnectionId, IntoPlatformKey};
use crate::{
    Client, CompanyId, ConnectionId, ConnectionStatus, ConnectionStream, Error, Page, PageStream,
    RetryPolicy, UndecodedConnection, MAX_PAGE_SIZE, MAX_QUERY_LENGTH,
};

impl Client {
    /// The Connections operations.
    pub fn connections(&self) -> Connections<'_> {
        Connections {
            client: self,
            retry: None,
        }
    }
}

/// A connection Codat answered with that does not decode: when the body is
/// a JSON object, the error keeps it ([`Error::ConnectionDecode`]);
/// otherwise the decode error stands.
fn undecoded_connection(
    status: reqwest::StatusCode,
    body: &[u8],
    error: Error,
) -> Result<Connection, Error> {
    let Ok(raw) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Err(error);
    };
    if !raw.is_object() {
        return Err(error);
    }
    match serde_json::from_value::<Connection>(raw.clone()) {
        Ok(connection) => Ok(connection),
        Err(why) => Err(Error::ConnectionDecode(Box::new(UndecodedConnection::new(
            raw, &why, None, status,
        )))),
    }
}

/// A page whose connections do not all decode: the page without them, and
/// each of them as an [`UndecodedConnection`]; `None` when the page itself
/// (its counts, links, or the list of results) does not decode.
fn salvage_page(
    status: reqwest::StatusCode,
    body: &[u8],
) -> Option<(RawPage, Vec<UndecodedConnection>)> {
    let mut value = serde_json::from_slice::<serde_json::Value>(body).ok()?;
    let items = match value.get_mut("results")?.take() {
        serde_json::Value::Array(items) => items,
        _ => return None,
    };
    value["results"] = serde_json::Value::Array(Vec::new());
    let mut page: RawPage = serde_json::from_value(value).ok()?;
    let number = u64::try_from(page.page_number).ok();
    let mut undecoded = Vec::new();
    for item in items {
        match serde_json::from_value::<Connection>(item.clone()) {
            Ok(connection) => page.results.push(connection),
            Err(why) => undecoded.push(UndecodedConnection::new(item, &why, number, status)),
        }
    }
    Some((page, undecoded))
}

/// Both IDs of a connection, validated.
fn connection_ids(
    company_id: impl IntoCompanyId,
    connection_id: impl IntoConnectionId,
) -> Result<(CompanyId, ConnectionId), Error> {
    Ok((
        company_id.into_company_id()?,
        connection_id.into_connection_id()?,
    ))
}

/// The generated requests that name one connection of a company.
trait ForConnection: Sized {
    /// The request, for the connection `ids` names.
    fn ids(self, ids: (CompanyId, ConnectionId)) -> Self;
}

// The generated builders share no trait for their two ID setters.
macro_rules! for_connection {
    ($($builder:ident),*) => {$(
        impl ForConnection for raw::builder::$builder<'_> {
            fn ids(self, (company_id, connection_id): (CompanyId, ConnectionId)) -> Self {
                self.company_id(company_id).connection_id(connection_id)
            }
        }
    )*};
}

for_connection!(
    GetConnection,
    DeleteConnection,
    UnlinkConnection,
    UpdateConnectionAuthorization
);

/// What an unlink sends: the status the connection is to have.
const UNLINKED: UpdateConnectionStatus = UpdateConnectionStatus {
    status: Some(ConnectionStatus::Unlinked),
};

/// Any 2xx answer to a delete is a success, whatever its body.
fn nothing(_body: &[u8]) -> serde_json::Result<()> {
    Ok(())
}

/// The Connections operations of a [`Client`]; see [`Client::connections`].
///
/// Identifiers are accepted as text, [`uuid::Uuid`]s or the validated
/// [`CompanyId`] / [`ConnectionId`](crate::ConnectionId); an invalid one fails with
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

    fn policy(&self) -> &RetryPolicy {
        self.retry
            .as_ref()
            .unwrap_or_else(|| self.client.retry_policy())
    }

    /// Runs one operation: each attempt gets a recording copy of the
    /// generated client (see [`hooks::recording`]), and attempts are
    /// repeated as the policy and `repeatable` allow.
    async fn send<T, F, Fut>(
        &self,
        operation: &'static str,
        repeatable: Repeatable,
        attempt: F,
    ) -> Result<T, Error>
    where
        F: Fn(raw::Client, Recorder) -> Fut,
        Fut: Future<Output = Result<Answer<T>, Error>>,
    {
        let attempt = || {
            let (raw, recorder) = hooks::recording(self.client.raw());
            attempt(raw, recorder)
        };
        let answer = retry::run(self.policy(), repeatable, operation, attempt).await?;
        Ok(answer.value)
    }

    /// [`connection`](Self::connection) for a repeatable operation on one
    /// connection: both IDs are validated before anything is sent.
    async fn on_connection<F, Fut>(
        &self,
        operation: &'static str,
        company_id: impl IntoCompanyId,
        connection_id: impl IntoConnectionId,
        request: F,
    ) -> Result<Connection, Error>
    where
        F: Fn(raw::Client, (CompanyId, ConnectionId)) -> Fut,
        Fut: Future<Output = Result<ResponseValue<Connection>, raw::Error<ErrorMessage>>>,
    {
        let ids = connection_ids(company_id, connection_id)?;
        self.connection(operation, Repeatable::Idempotent, |raw| request(raw, ids))
            .await
    }

    /// Runs an operation whose answer is a connection: `request` sends the
    /// generated call on each attempt, and a connection that does not
    /// decode is kept in [`Error::ConnectionDecode`].
    async fn connection<F, Fut>(
        &self,
        operation: &'static str,
        repeatable: Repeatable,
        request: F,
    ) -> Result<Connection, Error>
    where
        F: Fn(raw::Client) -> Fut,
        Fut: Future<Output = Result<ResponseValue<Connection>, raw::Error<ErrorMessage>>>,
    {
        self.send(operation, repeatable, |raw, recorder| {
            let sent = request(raw);
            async move { recorder.answer_or(sent.await, hooks::decode, undecoded_connection) }
        })
        .await
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
        let company_id = company_id.into_company_id()?;
        let body = &CreateConnectionBody {
            platform_key: Some(platform_key.into_platform_key()?),
        };
        let create = |raw: raw::Client| async move {
            raw.create_connection()
                .company_id(company_id)
                .body(body.clone())
                .send()
                .await
        };
        let once = Repeatable::OnlyIfNotProcessed;
        self.connection("create-connection", once, create).await
    }

    /// Gets one connection (`get-connection`).
    pub async fn get(
        &self,
        company_id: impl IntoCompanyId,
        connection_id: impl IntoConnectionId,
    ) -> Result<Connection, Error> {
        let get = |raw: raw::Client, ids| async move { raw.get_connection().ids(ids).send().await };
        self.on_connection("get-connection", company_id, connection_id, get)
            .await
    }

    /// Deletes a connection and the data synced through it (`delete-connection`).
    /// This cannot be undone; to stop syncing but keep the data, [`unlink`](Self::unlink).
    pub async fn delete(
        &self,
        company_id: impl IntoCompanyId,
        connection_id: impl IntoConnectionId,
    ) -> Result<(), Error> {
        let ids = connection_ids(company_id, connection_id)?;
        let delete = |raw: raw::Client, recorder: Recorder| async move {
            recorder.answer(raw.delete_connection().ids(ids).send().await, nothing)
        };
        self.send("delete-connection", Repeatable::Idempotent, delete)
            .await
    }

    /// Updates a connection's authorization with the platform-specific
    /// values Codat documents for it (`update-connection-authorization`).
    pub async fn update_authorization(
        &self,
        company_id: impl IntoCompanyId,
        connection_id: impl IntoConnectionId,
        authorization: &HashMap<String, String>,
    ) -> Result<Connection, Error> {
        let update = |raw: raw::Client, ids| async move {
            raw.update_connection_authorization()
                .ids(ids)
                .body(authorization.clone())
                .send()
                .await
        };
        let operation = "update-connection-authorization";
        self.on_connection(operation, company_id, connection_id, update)
            .await
    }

    /// Unlinks a connection: Codat stops syncing but keeps the data, and the
    /// customer can re-authorize later (`unlink-connection`).
    pub async fn unlink(
        &self,
        company_id: impl IntoCompanyId,
        connection_id: impl IntoConnectionId,
    ) -> Result<Connection, Error> {
        let unlink = |raw: raw::Client, ids| async move {
            raw.unlink_connection().ids(ids).body(UNLINKED).send().await
        };
        self.on_connection("unlink-connection", company_id, connection_id, unlink)
            .await
    }
}

/// A request for one page of a company's connections; `.await` it to send.
///
/// ```no_run
/// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
/// use codat_connections::ConnectionStatus;
///
/// let linked = client
///     .connections()
///     .list("8a210b68-6988-11ed-a1eb-0242ac120002")
///     .status(ConnectionStatus::Linked)
///     .page_size(500)
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a list request does nothing until awaited"]
pub struct ListConnections<'a> {
    client: &'a Client,
    company_id: Result<CompanyId, Rejected>,
    page: Option<u32>,
    page_size: Option<u32>,
    query: Option<String>,
    order_by: Option<String>,
    status: Option<ConnectionStatus>,
    retry: Option<RetryPolicy>,
    read_ahead: usize,
    concurrent_pages: usize,
}

/// An invalid company ID, kept (the request is `Clone`, and `Error` is not)
/// to be reported when the request is sent.
#[derive(Debug, Clone)]
struct Rejected {
    field: &'static str,
    value: Option<String>,
    reason: &'static str,
}

impl From<Error> for Rejected {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidInput {
                field,
                value,
                reason,
            } => Rejected {
                field,
                value,
                reason,
            },
            // Converting into a CompanyId only ever refuses input.
            other => Rejected {
                field: CompanyId::FIELD,
                value: Some(other.to_string()),
                reason: "must be a company ID",
            },
        }
    }
}

impl From<Rejected> for Error {
    fn from(rejected: Rejected) -> Self {
        Error::InvalidInput {
            field: rejected.field,
            value: rejected.value,
            reason: rejected.reason,
        }
    }
}

impl<'a> ListConnections<'a> {
    pub(crate) fn new(
        client: &'a Client,
        company_id: Result<CompanyId, Error>,
        retry: Option<RetryPolicy>,
    ) -> Self {
        Self {
            client,
            company_id: company_id.map_err(Rejected::from),
            page: None,
            page_size: None,
            query: None,
            order_by: None,
            status: None,
            retry,
            read_ahead: 0,
            concurrent_pages: 1,
        }
    }

    /// With [`pages`](Self::pages) and [`connections`](Self::connections):
    /// fetch up to `pages` pages ahead of the caller, in a background task,
    /// so that Codat's latency overlaps the caller's work. At most `pages`
    /// fetched pages wait for the caller (plus the one being fetched), so a
    /// slow caller never makes memory grow past that. 0 (the default)
    /// fetches a page only when the caller asks for it.
    pub fn read_ahead(self, pages: usize) -> Self {
        self.with(|list| list.read_ahead = pages)
    }

    /// With [`pages`](Self::pages) and [`connections`](Self::connections):
    /// once the first page gives `totalResults` and the page size, fetch the
    /// remaining pages up to `pages` at a time (1, the default: one after
    /// another). Pages are still yielded in order, at most `pages` are held
    /// at once, and every check of the sequential listing applies (a
    /// connection already seen is not yielded again); as soon as a page
    /// disagrees with what the first announced (other totals or size, a
    /// short page before the last, a link past the last), the listing goes
    /// back to following `_links.next` one page at a time from the last
    /// page that agreed. Combine with [`read_ahead`](Self::read_ahead) to
    /// fetch while the caller works.
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
    /// let all = client
    ///     .connections()
    ///     .list("8a210b68-6988-11ed-a1eb-0242ac120002")
    ///     .page_size(100)
    ///     .concurrent_pages(4)
    ///     .collect_all()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn concurrent_pages(self, pages: usize) -> Self {
        self.with(|list| list.concurrent_pages = pages.max(1))
    }

    /// Retries with `policy` instead of the client's policy.
    pub fn retry(self, policy: RetryPolicy) -> Self {
        self.with(|list| list.retry = Some(policy))
    }

    /// The page to fetch, from 1 (default 1).
    pub fn page(self, page: u32) -> Self {
        self.with(|list| list.page = Some(page))
    }

    /// How many connections a page holds, 1 to [`MAX_PAGE_SIZE`] (Codat's default is 100).
    pub fn page_size(self, page_size: u32) -> Self {
        self.with(|list| list.page_size = Some(page_size))
    }

    /// A filter in [Codat's query language](https://docs.codat.io/using-the-api/querying),
    /// such as `sourceType=Banking`.
    pub fn query(self, query: impl Into<String>) -> Self {
        self.with(|list| list.query = Some(query.into()))
    }

    /// The field to order by, such as `-created` for newest first.
    pub fn order_by(self, order_by: impl Into<String>) -> Self {
        self.with(|list| list.order_by = Some(order_by.into()))
    }

    /// Only connections with this status (added to any [`query`](Self::query) with `&&`).
    pub fn status(self, status: ConnectionStatus) -> Self {
        self.with(|list| list.status = Some(status))
    }

    /// The query parameter actually sent: the query and the status filter combined.
    fn combined_query(&self) -> Option<String> {
        let status = self.status.as_ref().map(|s| format!("status={s}"));
        match (self.query.as_deref(), status) {
            (None, status) => status,
            (Some(query), None) => Some(query.to_owned()),
            // Braces group in Codat's query language, so an `||` in the
            // caller's query cannot swallow the status filter.
            (Some(query), Some(status)) if query.contains("||") => {
                Some(format!("{{{query}}}&&{status}"))
            }
            (Some(query), Some(status)) => Some(format!("{query}&&{status}")),
        }
    }

    /// Validates everything and says what the first page request asks
    /// for, or what is wrong.
    fn first_request(&self) -> Result<PageRequest, Error> {
        if let Err(rejected) = &self.company_id {
            return Err(rejected.clone().into());
        }
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
        let query = self.combined_query();
        if let Some(query) = &query {
            if query.chars().count() > MAX_QUERY_LENGTH {
                return Err(Error::invalid_input(
                    "query",
                    query,
                    "must be at most 2048 characters",
                ));
            }
            if query.is_empty() {
                return Err(Error::invalid_input(
                    "query",
                    "",
                    "must not be empty when given",
                ));
            }
        }
        if self.order_by.as_deref() == Some("") {
            return Err(Error::invalid_input(
                "orderBy",
                "",
                "must not be empty when given",
            ));
        }
        Ok(PageRequest {
            page,
            page_size,
            query,
            order_by: self.order_by.clone(),
        })
    }

    /// Sends the request.
    pub async fn send(self) -> Result<Page<Connection>, Error> {
        let request = self.first_request()?;
        let company_id = self.company_id.clone().map_err(Error::from)?;
        let policy = self.retry.as_ref().unwrap_or(self.client.retry_policy());
        list_page(self.client, company_id, &request, policy).await
    }

    /// `self` with `set` applied: what each setter does.
    fn with(mut self, set: impl FnOnce(&mut Self)) -> Self {
        set(&mut self);
        self
    }
}

/// Fetches one page of a company's connections (`list-connections`).
async fn list_page(
    client: &Client,
    company_id: CompanyId,
    request: &PageRequest,
    policy: &RetryPolicy,
) -> Result<Page<Connection>, Error> {
    let attempt = || async {
        let (raw, recorder) = hooks::recording(client.raw());
        let mut list = raw.list_connections().company_id(company_id);
        if let Some(page) = request.page {
            list = list.page(page);
        }
        if let Some(page_size) = request.page_size {
            list = list.page_size(page_size);
        }
        if let Some(query) = &request.query {
            list = list.query(query.clone());
        }
        if let Some(order_by) = &request.order_by {
            list = list.order_by(order_by.clone());
        }
        let mut undecoded = Vec::new();
        let answer =
            recorder.answer_or(list.send().await, hooks::decode, |status, body, error| {
                let (page, bad) = salvage_page(status, body).ok_or(error)?;
                undecoded = bad;
                Ok(page)
            })?;
        Ok((answer, undecoded))
    };
    let (answer, undecoded): (Answer<_>, _) =
        retry::run(policy, Repeatable::Idempotent, "list-connections", attempt).await?;
    let mut page = Page::from(answer.value);
    if !undecoded.is_empty() {
        tracing::warn!(
            page = page.page_number,
            undecoded = undecoded.len(),
            "codat listing holds connections that do not decode; the others are kept"
        );
    }
    page.undecoded = undecoded;
    Ok(page)
}

impl ListConnections<'_> {
    /// Every page from the requested one (default the first) to the last, in
    /// order, fetched lazily.
    ///
    /// It follows Codat's `_links.next` and stops on the last page. A server
    /// that misbehaves (an empty page that claims a successor, the same page
    /// twice, a link back to a page already listed, a page past the last
    /// that `totalResults` allows still claiming a successor) ends the
    /// stream with [`Error::InconsistentPaging`] instead of looping, after
    /// every page that held anything new; a connection already seen on an
    /// earlier page is not yielded again. Paging numbers that make no sense
    /// (negative, a page size of 0 or over [`MAX_PAGE_SIZE`]) cost only the
    /// checks and concurrent pages that need them: the listing goes on by
    /// `_links.next`.
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
    /// use futures::TryStreamExt;
    ///
    /// let mut pages = client
    ///     .connections()
    ///     .list("8a210b68-6988-11ed-a1eb-0242ac120002")
    ///     .page_size(1000)
    ///     .pages();
    /// while let Some(page) = pages.try_next().await? {
    ///     println!("page {}: {} connections", page.page_number, page.results.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pages(self) -> PageStream {
        // A stream asks for its first page by number too.
        let first = self.first_request().map(|mut first| {
            first.page = first.page.or(NonZeroU32::new(1));
            first
        });
        let client = self.client.clone();
        let company_id = self.company_id.clone();
        let policy = self.retry.unwrap_or_else(|| client.retry_policy().clone());
        let fetch: FetchPage = std::sync::Arc::new(move |request| {
            let client = client.clone();
            let company_id = company_id.clone();
            let policy = policy.clone();
            Box::pin(async move {
                let company_id = company_id.map_err(Error::from)?;
                list_page(&client, company_id, &request, &policy).await
            })
        });
        paging::page_stream(first, fetch, self.read_ahead, self.concurrent_pages)
    }

    /// Every connection of every page, in order; see [`pages`](Self::pages).
    ///
    /// A connection that does not decode (a field in a shape Codat's
    /// document does not allow) costs only itself: the page is then decoded
    /// item by item, every connection that decodes is yielded, and each one
    /// that does not comes as an `Err(`[`Error::ConnectionDecode`]`)`, with its
    /// raw JSON, after the page's good connections; the stream goes on after
    /// it. Consumers that stop at the first error (`try_next()?`,
    /// [`collect_all`](Self::collect_all)) stop there too; to keep going,
    /// match on the item.
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
    /// use futures::TryStreamExt;
    ///
    /// let mut all = client
    ///     .connections()
    ///     .list("8a210b68-6988-11ed-a1eb-0242ac120002")
    ///     .read_ahead(2)
    ///     .connections();
    /// while let Some(connection) = all.try_next().await? {
    ///     println!("{} {}", connection.id, connection.status);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn connections(self) -> ConnectionStream {
        self.pages().connections()
    }

    /// Every connection of every page, in one `Vec` (for small listings).
    pub async fn collect_all(self) -> Result<Vec<Connection>, Error> {
        self.connections().try_collect().await
    }

    /// The first connection, in listing order, for which `predicate` holds;
    /// stops fetching as soon as it is found.
    pub async fn find(
        self,
        mut predicate: impl FnMut(&Connection) -> bool,
    ) -> Result<Option<Connection>, Error> {
        let mut all = self.connections();
        while let Some(connection) = all.try_next().await? {
            if predicate(&connection) {
                return Ok(Some(connection));
            }
        }
        Ok(None)
    }
}

impl<'a> IntoFuture for ListConnections<'a> {
    type Output = Result<Page<Connection>, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
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
        let mut all = self
            .list(company_id)
            .page_size(crate::MAX_PAGE_SIZE)
            .connections();
        let mut needed = Vec::new();
        while let Some(connection) = all.try_next().await? {
            if !connection.status.needs_reauthorization() {
                continue;
            }
            needed.push(NeedsReauthorization {
                link_url: link_url(&connection)?,
                connection,
            });
        }
        Ok(needed)
    }
}

/// `connection`'s `linkUrl`, parsed.
pub(crate) fn link_url(connection: &Connection) -> Result<Url, Error> {
    // Not an answer of its own: the connection may come from anywhere.
    Url::parse(&connection.link_url).map_err(|e| Error::Decode {
        status: None,
        message: format!("linkUrl is not a URL: {e}"),
        snippet: crate::error::snippet(connection.link_url.as_bytes()),
        attempts: 0,
    })
}

impl Reauthorization {
    /// What `connection` needs, from its status.
    pub fn of(connection: Connection) -> Result<Self, Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn list(client: &Client) -> ListConnections<'_> {
        client
            .connections()
            .list("8a210b68-6988-11ed-a1eb-0242ac120002")
    }

    fn query_of(request: ListConnections<'_>) -> Option<String> {
        request.first_request().unwrap().query
    }

    #[test]
    fn status_filter_is_written_into_the_query() {
        let client = Client::new("k").unwrap();
        assert_eq!(
            query_of(list(&client).status(ConnectionStatus::Linked)).as_deref(),
            Some("status=Linked")
        );
        assert_eq!(
            query_of(
                list(&client)
                    .query("sourceType=Banking")
                    .status(ConnectionStatus::Deauthorized)
            )
            .as_deref(),
            Some("sourceType=Banking&&status=Deauthorized")
        );
        assert_eq!(
            query_of(
                list(&client)
                    .query("a=1||b=2")
                    .status(ConnectionStatus::Linked)
            )
            .as_deref(),
            Some("{a=1||b=2}&&status=Linked")
        );
    }

    #[test]
    fn page_size_must_be_within_codats_limits() {
        let client = Client::new("k").unwrap();
        for bad in [0, 5001, u32::MAX] {
            let err = list(&client).page_size(bad).first_request().unwrap_err();
            assert_eq!(err.invalid_field(), Some("pageSize"), "{bad}");
        }
        for good in [1, 100, 5000] {
            assert!(list(&client).page_size(good).first_request().is_ok());
        }
        assert_eq!(
            list(&client)
                .page(0)
                .first_request()
                .unwrap_err()
                .invalid_field(),
            Some("page")
        );
    }

    #[test]
    fn query_longer_than_2048_characters_is_refused() {
        let client = Client::new("k").unwrap();
        assert!(list(&client)
            .query("é".repeat(2048))
            .first_request()
            .is_ok());
        let err = list(&client)
            .query("a".repeat(2049))
            .first_request()
            .unwrap_err();
        assert_eq!(err.invalid_field(), Some("query"));
    }

    #[test]
    fn invalid_company_id_is_reported_when_sent() {
        let client = Client::new("k").unwrap();
        let err = client
            .connections()
            .list("../x")
            .first_request()
            .unwrap_err();
        assert_eq!(err.invalid_field(), Some("companyId"));
    }
}
