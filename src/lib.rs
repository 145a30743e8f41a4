//! A typed, forward-compatible client for the Connections endpoints of Codat's
//! Platform API.
#![deny(missing_docs)]
