//! The [`Client`]: how to reach Codat (base URL, API key, timeouts, retry
//! policy), built once and shared.

use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::HeaderValue;
use url::Url;

use crate::http::rate_limit::{DEFAULT_REQUESTS_PER_MINUTE, RateGate, RateLimit};
use crate::http::transport::RequestSettings;
use crate::{Error, RetryPolicy, raw};

/// Codat's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.codat.io";

/// How long a request may take, start to finish, unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The largest answer body accepted unless configured otherwise: a page of
/// 5,000 connections is about 3 MiB, so this leaves room for large
/// `connectionInfo` values without letting a broken server fill memory.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// How long connecting may take unless configured otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

const DEFAULT_USER_AGENT: &str = concat!("codat-connections-rust/", env!("CARGO_PKG_VERSION"));

/// A client for Codat's Platform API. Cheap to clone: clones share one
/// connection pool.
///
/// ```no_run
/// # async fn run() -> Result<(), codat_connections::Error> {
/// use codat_connections::Client;
///
/// let client = Client::new("your-api-key")?;
/// let page = client
///     .connections()
///     .list("8a210b68-6988-11ed-a1eb-0242ac120002")
///     .await?;
/// println!("{} connections", page.total_results);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    raw: raw::Client,
    base_url: Url,
    retry: RetryPolicy,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url.as_str())
            .field("settings", &self.inner.raw.inner)
            .field("retry", &self.inner.retry)
            .finish()
    }
}

impl Client {
    /// A client for Codat's production API with default settings.
    ///
    /// `api_key` is either the key itself or the ready-made header value the
    /// Codat portal shows (`Basic <base64 of the key>`).
    pub fn new(api_key: impl Into<String>) -> Result<Self, Error> {
        Self::builder(api_key).build()
    }

    /// A builder for a client with other settings.
    ///
    /// ```
    /// use std::time::Duration;
    /// use codat_connections::Client;
    ///
    /// let client = Client::builder("your-api-key")
    ///     .base_url("http://127.0.0.1:4010")
    ///     .timeout(Duration::from_secs(5))
    ///     .build()?;
    /// # Ok::<(), codat_connections::Error>(())
    /// ```
    pub fn builder(api_key: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            api_key: ApiKey(api_key.into()),
            base_url: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            user_agent: None,
            http_client: None,
            retry: RetryPolicy::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            requests_per_minute: NonZeroU32::new(DEFAULT_REQUESTS_PER_MINUTE),
            compression: true,
        }
    }

    /// A client configured from the environment: `CODAT_API_KEY` (required)
    /// and `CODAT_BASE_URL` (optional).
    pub fn from_env() -> Result<Self, Error> {
        let key = std::env::var("CODAT_API_KEY").map_err(|_| {
            Error::invalid_secret("CODAT_API_KEY", "must be set to your Codat API key")
        })?;
        let mut builder = Self::builder(key);
        if let Ok(url) = std::env::var("CODAT_BASE_URL") {
            builder = builder.base_url(url);
        }
        builder.build()
    }

    /// The client generated from Codat's OpenAPI document, for what the rest
    /// of this crate does not cover. It is the very client this crate sends
    /// with: the same base URL, Authorization header, user agent, timeout,
    /// body limit and tracing (retries are the crate's own, and not applied).
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let company = "8a210b68-6988-11ed-a1eb-0242ac120002".parse::<codat_connections::CompanyId>()?;
    /// let page = client.raw().list_connections().company_id(company).send().await?;
    /// println!("{} connections", page.total_results);
    /// # Ok(()) }
    /// ```
    pub fn raw(&self) -> &raw::Client {
        &self.inner.raw
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The retry policy requests use unless a call sets its own.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The policy a call retries with: its own when it has one, else the
    /// client's.
    pub(crate) fn policy<'p>(&'p self, own: Option<&'p RetryPolicy>) -> &'p RetryPolicy {
        own.unwrap_or(&self.inner.retry)
    }

    /// The latest `X-Rate-Limit-Limit`, `-Remaining` and `-Reset` values
    /// Codat sent to this client (and its clones), from whichever answer came
    /// last; `None` before any answer carried them.
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
    /// client.connections().list("8a210b68-6988-11ed-a1eb-0242ac120002").await?;
    /// if let Some(limit) = client.rate_limit() {
    ///     println!("{:?} requests left until {:?}", limit.remaining, limit.reset);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.inner.raw.inner.rate_limit()
    }

    /// The client's own pace in requests per minute (`None` when disabled);
    /// see [`ClientBuilder::requests_per_minute`].
    pub fn requests_per_minute(&self) -> Option<u32> {
        self.inner.raw.inner.requests_per_minute()
    }
}

/// An API key that never shows itself in `Debug` output.
struct ApiKey(String);

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl ApiKey {
    /// The `Authorization` header value: the portal's `Basic ...` value as
    /// given, or `Basic` and the key in base64.
    fn header_value(&self) -> Result<HeaderValue, Error> {
        let key = self.0.trim();
        if key.is_empty() {
            return Err(Error::invalid_secret("apiKey", "must not be empty"));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            return Err(Error::invalid_secret("apiKey", "must be printable ASCII"));
        }
        let ready_made = key
            .get(..6)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("basic "));
        let text = if ready_made {
            format!("Basic {}", key[6..].trim())
        } else {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(key)
            )
        };
        let mut value = HeaderValue::from_str(&text)
            .map_err(|_| Error::invalid_secret("apiKey", "must be printable ASCII"))?;
        value.set_sensitive(true);
        Ok(value)
    }
}

/// Settings for a [`Client`]; see [`Client::builder`].
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    api_key: ApiKey,
    base_url: Option<String>,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
    retry: RetryPolicy,
    max_response_bytes: usize,
    requests_per_minute: Option<NonZeroU32>,
    compression: bool,
}

impl ClientBuilder {
    /// The longest timeout a client or a call keeps: one day. A longer
    /// [`timeout`](Self::timeout), [`connect_timeout`](Self::connect_timeout)
    /// or per-call timeout ([`Call::timeout`](crate::Call::timeout)), up to
    /// [`Duration::MAX`], counts as this.
    pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

    /// The most requests this client sends a minute (default
    /// [`DEFAULT_REQUESTS_PER_MINUTE`], 1,000), spread evenly; `None`
    /// disables the pace. `0` counts as `None`.
    ///
    /// Codat documents a hard limit of 1,000 requests a minute from any IP
    /// address, and may block an address that goes over it; the default keeps
    /// one client under it, so that a sweep of thousands of companies runs at
    /// Codat's pace instead of into its 429s. Lower it when several clients
    /// or processes share an IP address (their paces add up); raise it, or
    /// disable it, only where Codat agreed to a higher limit, or against a
    /// test server. Whatever the pace, a 429 with `Retry-After` or an
    /// `X-Rate-Limit-Remaining` of 0 makes every request of the client wait
    /// (at most the retry policy's longest wait, [`RetryPolicy::max_delay`];
    /// then the next request asks Codat again).
    ///
    /// ```
    /// use codat_connections::Client;
    ///
    /// // Two processes share this IP address: half the limit each.
    /// let client = Client::builder("your-api-key").requests_per_minute(500).build()?;
    /// assert_eq!(client.requests_per_minute(), Some(500));
    /// // Against a local test server: no pace.
    /// let unpaced = Client::builder("your-api-key").requests_per_minute(None).build()?;
    /// assert_eq!(unpaced.requests_per_minute(), None);
    /// # Ok::<(), codat_connections::Error>(())
    /// ```
    pub fn requests_per_minute(self, per_minute: impl Into<Option<u32>>) -> Self {
        Self {
            requests_per_minute: per_minute.into().and_then(NonZeroU32::new),
            ..self
        }
    }

    /// How failed requests are retried (default [`RetryPolicy::default`]).
    pub fn retry(self, policy: RetryPolicy) -> Self {
        Self {
            retry: policy,
            ..self
        }
    }

    /// Where requests go (default [`DEFAULT_BASE_URL`]). Must be `https`,
    /// except on a loopback address, so that the key never travels in clear text.
    pub fn base_url(self, url: impl Into<String>) -> Self {
        Self {
            base_url: Some(url.into()),
            ..self
        }
    }

    /// The longest a request may take, from sending to the last byte of the
    /// answer (default [`DEFAULT_TIMEOUT`]), clamped to
    /// [`MAX_TIMEOUT`](Self::MAX_TIMEOUT) (one day).
    pub fn timeout(self, timeout: Duration) -> Self {
        Self {
            timeout: timeout.min(Self::MAX_TIMEOUT),
            ..self
        }
    }

    /// The largest answer body accepted (default
    /// [`DEFAULT_MAX_RESPONSE_BYTES`]), counted as inflated when it came
    /// compressed; a larger one fails with [`Error::ResponseTooLarge`] as
    /// soon as reading passes the limit, instead of filling memory.
    pub fn max_response_bytes(self, bytes: usize) -> Self {
        Self {
            max_response_bytes: bytes,
            ..self
        }
    }

    /// The longest connecting may take (default [`DEFAULT_CONNECT_TIMEOUT`]),
    /// clamped to [`MAX_TIMEOUT`](Self::MAX_TIMEOUT) (one day). Not applied
    /// to a client given with [`ClientBuilder::http_client`].
    pub fn connect_timeout(self, timeout: Duration) -> Self {
        Self {
            connect_timeout: timeout.min(Self::MAX_TIMEOUT),
            ..self
        }
    }

    /// Whether the client asks for compressed answers (default `true`): it
    /// sends `Accept-Encoding: gzip,deflate` and inflates what the server
    /// chose; an answer that is not compressed is read as before. A page of
    /// 5,000 companies is 7.4 MiB of JSON and under 1 MiB gzipped. Not
    /// applied to a client given with [`ClientBuilder::http_client`].
    ///
    /// Either way, a body compressed with an encoding the client did not
    /// ask for, or one that does not inflate, is an [`Error::Encoding`].
    pub fn compression(self, compression: bool) -> Self {
        Self {
            compression,
            ..self
        }
    }

    /// The `User-Agent` sent, in front of this SDK's own.
    pub fn user_agent(self, user_agent: impl Into<String>) -> Self {
        Self {
            user_agent: Some(user_agent.into()),
            ..self
        }
    }

    /// Sends requests with this `reqwest::Client` (its proxy, TLS and pool
    /// settings) instead of one the SDK builds.
    ///
    /// This crate enables reqwest's rustls support without a built-in crypto
    /// provider (the clients it builds get a configuration of their own,
    /// with the provider of the `rustls-ring` or `rustls-aws-lc-rs`
    /// feature). Build this client in a project whose reqwest has a TLS
    /// feature (reqwest's default features do), or install a provider first,
    /// such as `rustls::crypto::ring::default_provider().install_default()`;
    /// otherwise reqwest panics when the client is built.
    pub fn http_client(self, client: reqwest::Client) -> Self {
        Self {
            http_client: Some(client),
            ..self
        }
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let authorization = self.api_key.header_value()?;
        let base_url = parse_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let user_agent = match &self.user_agent {
            Some(ua) => format!("{ua} {DEFAULT_USER_AGENT}"),
            None => DEFAULT_USER_AGENT.to_owned(),
        };
        let user_agent = HeaderValue::from_str(&user_agent).map_err(|_| {
            Error::invalid_input("userAgent", &user_agent, "must be printable ASCII")
        })?;
        let http = match self.http_client {
            Some(client) => client,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .gzip(self.compression)
                .deflate(self.compression)
                .tls_backend_preconfigured(
                    crate::http::tls::client_config().map_err(|reason| Error::Tls { reason })?,
                )
                .build()
                .map_err(Error::from_reqwest)?,
        };
        let settings = RequestSettings::new(
            authorization,
            user_agent,
            self.timeout,
            self.max_response_bytes,
            RateGate::new(self.requests_per_minute, self.retry.longest_wait()),
        );
        // The generated paths start with `/`.
        let raw =
            raw::Client::new_with_client(base_url.as_str().trim_end_matches('/'), http, settings);
        Ok(Client {
            inner: Arc::new(Inner {
                raw,
                base_url,
                retry: self.retry,
            }),
        })
    }
}

fn parse_base_url(text: &str) -> Result<Url, Error> {
    const FIELD: &str = "baseUrl";
    let url = Url::parse(text)
        .map_err(|_| Error::invalid_input(FIELD, text, "must be an absolute URL"))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid_input(
            FIELD,
            text,
            "must have no query or fragment",
        ));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(Error::invalid_input(
            FIELD,
            text,
            "must use https (plain http only on a loopback address), so the API key is never sent in clear text",
        )),
        _ => Err(Error::invalid_input(FIELD, text, "must be an http(s) URL")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_key_is_sent_as_basic_base64() {
        let value = ApiKey("my-key".into()).header_value().unwrap();
        assert_eq!(value.to_str().unwrap(), "Basic bXkta2V5");
        assert!(value.is_sensitive());
    }

    #[test]
    fn portal_header_value_is_sent_as_given() {
        let value = ApiKey("Basic bXkta2V5".into()).header_value().unwrap();
        assert_eq!(value.to_str().unwrap(), "Basic bXkta2V5");
        let value = ApiKey("basic bXkta2V5".into()).header_value().unwrap();
        assert_eq!(value.to_str().unwrap(), "Basic bXkta2V5");
    }

    #[test]
    fn empty_or_unprintable_keys_are_refused_without_echoing_them() {
        for key in ["", "   ", "Basic a\nb", "Basic é", "Basicé-long-key"] {
            let err = ApiKey(key.into()).header_value().unwrap_err();
            assert_eq!(err.invalid_field(), Some("apiKey"));
            assert!(matches!(err, Error::InvalidInput { value: None, .. }));
        }
    }

    #[test]
    fn plain_http_is_refused_unless_loopback() {
        for ok in [
            "https://api.codat.io",
            "http://127.0.0.1:4010",
            "http://127.3.4.5/",
            "http://localhost:8080/base/",
            "http://[::1]:9000",
        ] {
            assert!(parse_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.codat.io",
            "http://10.0.0.1",
            "http://localhost.evil.com",
            "ftp://127.0.0.1",
            "api.codat.io",
            "https://api.codat.io/?x=1",
        ] {
            assert_eq!(
                parse_base_url(bad).unwrap_err().invalid_field(),
                Some("baseUrl"),
                "{bad}"
            );
        }
    }

    /// The client the SDK builds speaks TLS through its own configuration
    /// (the `ring` provider, no process-wide default needed) and offers
    /// HTTP/2 and HTTP/1.1 through ALPN.
    #[tokio::test]
    async fn built_client_offers_tls_with_h2_and_http11() {
        use std::io::Read;

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            let mut hello = vec![0; 2048];
            let read = socket.read(&mut hello).unwrap();
            hello.truncate(read);
            hello // dropping the socket ends the handshake
        });
        let client = Client::builder("k")
            .base_url(format!("https://localhost:{port}"))
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        let err = client
            .connections()
            .get(
                "8a210b68-6988-11ed-a1eb-0242ac120002",
                "2e9d2c44-f675-40ba-8049-353bfcb5e171",
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Transport { .. }), "{err:?}");
        let hello = server.join().unwrap();
        assert_eq!(hello[0], 0x16, "not a TLS handshake record: {hello:?}");
        let contains = |needle: &[u8]| hello.windows(needle.len()).any(|w| w == needle);
        assert!(contains(b"\x02h2"), "h2 not offered");
        assert!(contains(b"\x08http/1.1"), "http/1.1 not offered");
        assert!(contains(b"localhost"), "no SNI");
    }

    #[test]
    fn debug_never_shows_the_key() {
        let client = Client::builder("super-secret-key").build().unwrap();
        let shown = format!("{client:?} {:?}", Client::builder("super-secret-key"));
        assert!(!shown.contains("super-secret-key"), "{shown}");
        assert!(!shown.contains("c3VwZXItc2VjcmV0LWtleQ"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
