//! Checking a delivery's signature, headers and timestamp, and signing one
//! as Codat does; what the verified body says is `events.rs`' business.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a delivery's timestamp may be from now, either way: five minutes,
/// as Svix's own libraries allow.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// The largest body [`Webhooks`] reads by default, in bytes (1 MiB). A
/// connection event is a few kilobytes; anything much larger is not one.
pub const DEFAULT_MAX_WEBHOOK_BYTES: usize = 1024 * 1024;

/// The prefix of a signing secret as Codat's portal shows it.
const SECRET_PREFIX: &str = "whsec_";

/// Each header, under its Standard Webhooks name and its Svix name.
const ID: [&str; 2] = ["webhook-id", "svix-id"];
const TIMESTAMP: [&str; 2] = ["webhook-timestamp", "svix-timestamp"];
const SIGNATURE: [&str; 2] = ["webhook-signature", "svix-signature"];

/// Secrets and signatures are standard base64; padding is accepted whether
/// or not it is written.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a webhook delivery was refused. No variant holds the secret, and none
/// is built from an unverified body's content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The signing secret is not `whsec_` followed by base64 (or the base64
    /// alone), or it is empty. The secret itself is not repeated here.
    #[error("the webhook signing secret is malformed: {reason}")]
    MalformedSecret {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A signature header is absent, under both of its names.
    #[error("the `{header}` header (or its `svix-` form) is missing")]
    MissingHeader {
        /// The header's Standard Webhooks name (`webhook-id`,
        /// `webhook-timestamp` or `webhook-signature`).
        header: &'static str,
    },
    /// A signature header is present but unreadable (not visible ASCII, or a
    /// timestamp that is not a number of seconds).
    #[error("the `{header}` header is malformed")]
    MalformedHeader {
        /// The header's Standard Webhooks name.
        header: &'static str,
    },
    /// No `v1` signature in `webhook-signature` matches the body: it was
    /// changed, or signed with another secret.
    #[error("no webhook signature matches the body and the signing secret")]
    BadSignature,
    /// The delivery's timestamp is further from now than the tolerance
    /// allows (a replay, or a badly wrong clock on one side).
    #[error(
        "the webhook timestamp is {skew_seconds} s from now, beyond the {tolerance_seconds} s allowed"
    )]
    TimestampOutOfTolerance {
        /// The timestamp minus now, in seconds: negative when it is in the
        /// past.
        skew_seconds: i64,
        /// The tolerance, in seconds.
        tolerance_seconds: u64,
    },
    /// The body is larger than the limit; it was not verified.
    #[error("the webhook body is {size} bytes, over the limit of {limit}")]
    BodyTooLarge {
        /// The body's size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The verified body is not JSON (or not UTF-8).
    #[error("the webhook body is not JSON: {message}")]
    NotJson {
        /// What the JSON parser said.
        message: String,
    },
    /// The verified body is JSON but not an event (no `id`, `eventType`,
    /// `generatedDate` or `payload` of the right type).
    #[error("the webhook body is not an event: {message}")]
    NotAnEvent {
        /// What did not fit.
        message: String,
    },
}

impl WebhookError {
    /// Whether the delivery should be answered as unauthenticated (401):
    /// the signature, its headers or its timestamp failed. Otherwise the
    /// request itself is malformed (400), or the secret is (a setup error).
    pub fn is_unauthenticated(&self) -> bool {
        matches!(
            self,
            WebhookError::MissingHeader { .. }
                | WebhookError::MalformedHeader { .. }
                | WebhookError::BadSignature
                | WebhookError::TimestampOutOfTolerance { .. }
        )
    }
}

/// Looks up a request header by its lowercase name; implemented for
/// [`http::HeaderMap`] (what axum, hyper and reqwest use) and for lists of
/// name-value pairs, so a receiver on any framework can hand its headers over.
pub trait WebhookHeaders {
    /// The value of the header `name` (lowercase), as bytes, if present.
    fn header(&self, name: &str) -> Option<&[u8]>;
}

impl WebhookHeaders for http::HeaderMap {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.get(name).map(http::HeaderValue::as_bytes)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> WebhookHeaders for [(K, V)] {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> WebhookHeaders for Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.as_slice().header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, const N: usize> WebhookHeaders for [(K, V); N] {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.as_slice().header(name)
    }
}

/// The signed headers of a delivery, as [`Webhooks::sign`] produces them:
/// what a sender (such as the mock) puts on its request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignedHeaders {
    /// The message id (`webhook-id`): the same on every retry of a delivery.
    pub id: String,
    /// Seconds since the Unix epoch (`webhook-timestamp`).
    pub timestamp: i64,
    /// `v1,<base64>` (`webhook-signature`).
    pub signature: String,
}

impl SignedHeaders {
    /// The three headers under their Standard Webhooks names.
    pub fn to_header_map(&self) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        for (name, value) in self.pairs() {
            // The id is ours or the caller's; one that is not a valid header
            // value is left out, and verification then says it is missing.
            if let Ok(value) = http::HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        headers
    }

    /// The three headers as names and texts, for a sender whose HTTP client
    /// takes no `HeaderMap` (the mock records them as text).
    pub(crate) fn pairs(&self) -> [(&'static str, String); 3] {
        [
            (ID[0], self.id.clone()),
            (TIMESTAMP[0], self.timestamp.to_string()),
            (SIGNATURE[0], self.signature.clone()),
        ]
    }
}

/// A delivery whose signature and timestamp were verified: its body can be
/// trusted to come from Codat.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedWebhook<'a> {
    /// The message id (`webhook-id`): Svix keeps it on every retry.
    pub message_id: String,
    /// When it was sent, in seconds since the Unix epoch.
    pub timestamp: i64,
    /// The body exactly as received.
    pub body: &'a [u8],
}

/// Verifies deliveries signed with one endpoint's signing secret.
///
/// ```
/// use codat_connections::webhooks::{ConnectionEvent, WebhookError, Webhooks};
///
/// // In the handler of the endpoint Codat posts to, with the raw body.
/// fn handle(webhooks: &Webhooks, headers: &http::HeaderMap, body: &[u8]) -> u16 {
///     match webhooks.verify(headers, body) {
///         Ok(ConnectionEvent::Disconnected(change)) => {
///             println!("{} disconnected", change.connection.id);
///             204
///         }
///         Ok(_other) => 204,
///         Err(err) if err.is_unauthenticated() => 401,
///         Err(_malformed) => 400,
///     }
/// }
///
/// let webhooks = Webhooks::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
/// assert_eq!(handle(&webhooks, &http::HeaderMap::new(), b"{}"), 401);
/// # Ok::<(), WebhookError>(())
/// ```
///
/// [`Webhooks::verify_raw`] checks the signature only, for a body to decode
/// yourself.
#[derive(Clone)]
pub struct Webhooks {
    /// HMAC-SHA256 keyed with the secret, before any input: cloned for each
    /// message.
    keyed: Hmac<Sha256>,
    tolerance: Duration,
    max_body_bytes: usize,
}

impl fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field named, so that a new one is a decision here.
        let Webhooks {
            keyed: _,
            tolerance,
            max_body_bytes,
        } = self;
        f.debug_struct("Webhooks")
            .field("secret", &"[redacted]")
            .field("tolerance", tolerance)
            .field("max_body_bytes", max_body_bytes)
            .finish()
    }
}

impl Webhooks {
    /// A verifier for the signing secret `secret`: `whsec_` followed by
    /// base64, as Codat's portal shows it. The base64 alone (without
    /// `whsec_`) is accepted too, as Svix's libraries accept it, so a secret
    /// stored without its prefix still works. Surrounding whitespace (a
    /// newline from a secrets file) is ignored.
    pub fn new(secret: &str) -> Result<Self, WebhookError> {
        let encoded = secret.trim();
        let encoded = encoded.strip_prefix(SECRET_PREFIX).unwrap_or(encoded);
        if encoded.is_empty() {
            return Err(WebhookError::MalformedSecret {
                reason: "it is empty",
            });
        }
        let key = BASE64
            .decode(encoded)
            .map_err(|_| WebhookError::MalformedSecret {
                reason: "expected `whsec_` followed by base64",
            })?;
        if key.is_empty() {
            return Err(WebhookError::MalformedSecret {
                reason: "it is empty",
            });
        }
        // HMAC takes keys of every length; the error cannot happen.
        let keyed =
            Hmac::<Sha256>::new_from_slice(&key).map_err(|_| WebhookError::MalformedSecret {
                reason: "not usable as an HMAC key",
            })?;
        Ok(Webhooks {
            keyed,
            tolerance: DEFAULT_TOLERANCE,
            max_body_bytes: DEFAULT_MAX_WEBHOOK_BYTES,
        })
    }

    /// Sets how far a timestamp may be from now (default five minutes), in
    /// whole seconds. Any value is kept: `Duration::MAX` accepts every
    /// timestamp, `Duration::ZERO` only the current second.
    pub fn tolerance(self, tolerance: Duration) -> Self {
        self.with(|webhooks| webhooks.tolerance = tolerance)
    }

    /// Sets the largest body accepted, in bytes (default
    /// [`DEFAULT_MAX_WEBHOOK_BYTES`]).
    pub fn max_body_bytes(self, limit: usize) -> Self {
        self.with(|webhooks| webhooks.max_body_bytes = limit)
    }

    /// The largest body accepted, in bytes: a receiver can stop reading a
    /// request there.
    pub fn body_limit(&self) -> usize {
        self.max_body_bytes
    }

    /// Verifies a delivery's signature and timestamp against the clock, and
    /// hands back its body, not yet parsed.
    pub fn verify_raw<'a, H: WebhookHeaders + ?Sized>(
        &self,
        headers: &H,
        body: &'a [u8],
    ) -> Result<VerifiedWebhook<'a>, WebhookError> {
        self.verify_raw_at(headers, body, SystemTime::now())
    }

    /// [`Webhooks::verify_raw`] as if the time were `now`: for tests, and for
    /// replaying a delivery whose arrival time was recorded.
    pub fn verify_raw_at<'a, H: WebhookHeaders + ?Sized>(
        &self,
        headers: &H,
        body: &'a [u8],
        now: SystemTime,
    ) -> Result<VerifiedWebhook<'a>, WebhookError> {
        if body.len() > self.max_body_bytes {
            return Err(WebhookError::BodyTooLarge {
                size: body.len(),
                limit: self.max_body_bytes,
            });
        }
        let id = header(headers, ID)?;
        let timestamp_text = header(headers, TIMESTAMP)?;
        let signatures = header(headers, SIGNATURE)?;
        let timestamp = parse_timestamp(timestamp_text)?;
        self.check_timestamp(timestamp, now)?;

        let mac = self.mac(id.as_bytes(), timestamp_text.as_bytes(), body);
        let matches = signatures
            .split(' ')
            .filter_map(|s| s.split_once(','))
            .filter(|(version, _)| *version == "v1")
            .filter_map(|(_, signature)| BASE64.decode(signature).ok())
            // A clone of the state, so each candidate gets its own
            // constant-time comparison without hashing the body again.
            .any(|candidate: Vec<u8>| mac.clone().verify_slice(&candidate).is_ok());
        if !matches {
            return Err(WebhookError::BadSignature);
        }
        Ok(VerifiedWebhook {
            message_id: id.to_owned(),
            timestamp,
            body,
        })
    }

    /// Signs `body` as Codat would: the headers a delivery of it carries,
    /// with message id `id` and timestamp `timestamp` (seconds since the
    /// Unix epoch).
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> SignedHeaders {
        let mac = self.mac(id.as_bytes(), timestamp.to_string().as_bytes(), body);
        SignedHeaders {
            id: id.to_owned(),
            timestamp,
            signature: format!("v1,{}", BASE64.encode(mac.finalize().into_bytes())),
        }
    }

    fn mac(&self, id: &[u8], timestamp: &[u8], body: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(id);
        mac.update(b".");
        mac.update(timestamp);
        mac.update(b".");
        mac.update(body);
        mac
    }

    fn check_timestamp(&self, timestamp: i64, now: SystemTime) -> Result<(), WebhookError> {
        let now = match now.duration_since(UNIX_EPOCH) {
            Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
        };
        let skew = timestamp.saturating_sub(now);
        if skew.unsigned_abs() > self.tolerance.as_secs() {
            return Err(WebhookError::TimestampOutOfTolerance {
                skew_seconds: skew,
                tolerance_seconds: self.tolerance.as_secs(),
            });
        }
        Ok(())
    }

    /// `self` with `set` applied: what each setter does.
    fn with(mut self, set: impl FnOnce(&mut Self)) -> Self {
        set(&mut self);
        self
    }
}

/// A signature header, under either of its names, as visible ASCII.
fn header<'h, H: WebhookHeaders + ?Sized>(
    headers: &'h H,
    names: [&'static str; 2],
) -> Result<&'h str, WebhookError> {
    let value = names
        .iter()
        .find_map(|name| headers.header(name))
        .ok_or(WebhookError::MissingHeader { header: names[0] })?;
    let malformed = WebhookError::MalformedHeader { header: names[0] };
    if value.is_empty() || !value.iter().all(|b| (0x20..0x7f).contains(b)) {
        return Err(malformed);
    }
    std::str::from_utf8(value).map_err(|_| malformed)
}

/// Seconds since the Unix epoch: ASCII digits only (no sign, no spaces), as
/// Svix writes them.
fn parse_timestamp(text: &str) -> Result<i64, WebhookError> {
    let malformed = WebhookError::MalformedHeader {
        header: TIMESTAMP[0],
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed);
    }
    text.parse().map_err(|_| malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    /// Codat's documented example (docs.codat.io, "Secure your webhooks").
    const CODAT_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const CODAT_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const CODAT_TIMESTAMP: &str = "1614265330";
    const CODAT_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const CODAT_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn codat_headers(signature: &str) -> Vec<(&'static str, String)> {
        vec![
            ("webhook-id", CODAT_ID.to_owned()),
            ("webhook-timestamp", CODAT_TIMESTAMP.to_owned()),
            ("webhook-signature", signature.to_owned()),
        ]
    }

    #[test]
    fn codats_documented_example_verifies() {
        let webhooks = Webhooks::new(CODAT_SECRET).unwrap();
        let verified = webhooks
            .verify_raw_at(&codat_headers(CODAT_SIGNATURE), CODAT_BODY, at(1614265330))
            .unwrap();
        assert_eq!(verified.message_id, CODAT_ID);
        assert_eq!(verified.timestamp, 1614265330);
        assert_eq!(verified.body, CODAT_BODY);
        assert_eq!(
            webhooks.sign(CODAT_ID, 1614265330, CODAT_BODY).signature,
            CODAT_SIGNATURE
        );
    }

    #[test]
    fn codats_example_with_one_byte_changed_is_refused() {
        let webhooks = Webhooks::new(CODAT_SECRET).unwrap();
        let err = webhooks
            .verify_raw_at(
                &codat_headers(CODAT_SIGNATURE),
                br#"{"test": 2432232315}"#,
                at(1614265330),
            )
            .unwrap_err();
        assert_eq!(err, WebhookError::BadSignature);
    }

    /// Svix's published vectors (svix-webhooks, rust/src/webhooks.rs,
    /// `test_sign` and `test_no_verify`).
    #[test]
    fn svix_published_vectors() {
        let webhooks = Webhooks::new("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        let body = br#"{"email":"test@example.com","username":"test_user"}"#;
        let signed = webhooks.sign("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553, body);
        assert_eq!(
            signed.signature,
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
        let headers = [
            ("svix-id", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"),
            ("svix-timestamp", "1649367553"),
            (
                "svix-signature",
                "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
            ),
        ];
        webhooks
            .verify_raw_at(&headers, body, at(1649367553))
            .unwrap();
        let wrong = [
            ("svix-id", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"),
            ("svix-timestamp", "1649367553"),
            (
                "svix-signature",
                "v1,R3PTzyfHASBKHH98a7yexTwaJ4yNIcGhFQc1yuN+BPU=",
            ),
        ];
        assert_eq!(
            webhooks.verify_raw_at(&wrong, body, at(1649367553)),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn partial_and_other_version_signatures_do_not_match() {
        let webhooks = Webhooks::new(CODAT_SECRET).unwrap();
        let full = CODAT_SIGNATURE.trim_start_matches("v1,");
        for signature in [
            "v1,".to_owned(),
            format!("v1,{}", &full[..10]),
            format!("v2,{full}"),
            full.to_owned(),
            String::new(),
        ] {
            let result =
                webhooks.verify_raw_at(&codat_headers(&signature), CODAT_BODY, at(1614265330));
            assert!(result.is_err(), "{signature:?} was accepted");
        }
    }

    #[test]
    fn the_secret_never_shows_in_debug() {
        let webhooks = Webhooks::new(CODAT_SECRET).unwrap();
        let debug = format!("{webhooks:?}");
        assert!(
            !debug.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            "{debug}"
        );
        assert!(debug.contains("[redacted]"), "{debug}");
        let err = Webhooks::new("whsec_not base64!").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("not base64"), "{err:?}");
    }

    #[test]
    fn a_tolerance_of_duration_max_accepts_any_timestamp_and_zero_only_this_second() {
        let webhooks = Webhooks::new(CODAT_SECRET).unwrap();
        let signed = webhooks.sign(CODAT_ID, i64::MAX, CODAT_BODY);
        let headers = vec![
            ("webhook-id", signed.id.clone()),
            ("webhook-timestamp", signed.timestamp.to_string()),
            ("webhook-signature", signed.signature.clone()),
        ];
        let lenient = webhooks.clone().tolerance(Duration::MAX);
        let before_the_epoch = UNIX_EPOCH - Duration::from_secs(1 << 40);
        for now in [UNIX_EPOCH, at(1 << 40), before_the_epoch] {
            assert!(lenient.verify_raw_at(&headers, CODAT_BODY, now).is_ok());
        }
        let strict = webhooks.tolerance(Duration::ZERO);
        let at_once =
            strict.verify_raw_at(&codat_headers(CODAT_SIGNATURE), CODAT_BODY, at(1614265330));
        assert!(at_once.is_ok());
        let late =
            strict.verify_raw_at(&codat_headers(CODAT_SIGNATURE), CODAT_BODY, at(1614265331));
        assert!(matches!(
            late,
            Err(WebhookError::TimestampOutOfTolerance { .. })
        ));
    }
}
