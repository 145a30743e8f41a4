//! Codat's connection webhooks: verifying a delivery (signed through Svix,
//! in the Standard Webhooks form) before anything in it is trusted, and the
//! connection event it holds.
//!
//! Codat signs every delivery with the endpoint's signing secret (Codat's
//! portal: Monitor > Webhooks > Events > the endpoint > Signing secret). The
//! signature is HMAC-SHA256 over `{id}.{timestamp}.{body}`, base64-encoded and
//! written `v1,<signature>`, several of them space-separated while a secret is
//! being rotated. The three values come in the headers `webhook-id`,
//! `webhook-timestamp` and `webhook-signature`, or under the names Svix also
//! uses, `svix-id`, `svix-timestamp` and `svix-signature`; both are accepted,
//! each header looked up under its `webhook-` name first.
//!
//! The signature is checked over the body's bytes exactly as they arrived,
//! before they are parsed: re-serialised JSON would not match. A timestamp more
//! than five minutes away from now, in either direction, is refused, so a
//! captured delivery cannot be replayed later.
//!
//! The check is written here on RustCrypto's `hmac` and `sha2` (the comparison
//! is `hmac`'s constant-time `verify_slice`) rather than taken from the `svix`
//! crate, whose webhook module comes with Svix's whole API client (about a
//! hundred crates, among them a second HTTP stack); it is tested against
//! Codat's documented example and Svix's published test vectors.

mod events;
mod verification;

pub use crate::raw::types::{CompanyReference, ConnectionWebhook};
pub use events::{ConnectionChange, ConnectionEvent};
pub use verification::{
    DEFAULT_MAX_WEBHOOK_BYTES, DEFAULT_TOLERANCE, SignedHeaders, VerifiedWebhook, WebhookError,
    WebhookHeaders, Webhooks,
};
