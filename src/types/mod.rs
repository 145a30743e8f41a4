//! The hand-written types build.rs puts in place of the document's own: identifiers
//! checked when parsed, open enums that keep values Codat adds later, and Codat's date-times.

pub(crate) mod datetime;
pub(crate) mod ids;
pub(crate) mod status;

pub use datetime::{DateTime, DateTimeParseError};
pub use ids::{
    CompanyId, ConnectionId, IntoCompanyId, IntoConnectionId, IntoPlatformKey, PlatformKey,
};
pub use status::{ConnectionStatus, DataConnectionErrorStatus, SourceType};
