//! A document of the user's choosing, as Codat publishes it or already
//! derived, made ready to generate the client from.

use std::fmt;

use serde_json::Value;

use crate::normalise::{COMPANY_OPERATIONS, OPERATIONS, TAG, canonical, normalise, sha256_hex};

/// Why a document cannot be the one the client is generated from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DocumentError {
    /// It is not JSON (Codat publishes its documents as JSON).
    NotJson(String),
    /// It is JSON, but not an OpenAPI 3 document (no `openapi: "3.x"`).
    NotOpenApi,
    /// It describes none of the Connections operations.
    NoConnectionsOperations,
    /// It is one of Codat's documents, but the rules cannot derive ours from
    /// it (for instance, an operation this SDK wraps is missing).
    CannotDerive(String),
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJson(why) => write!(f, "it is not JSON: {why}"),
            Self::NotOpenApi => f.write_str(
                "it is not an OpenAPI 3 document (it has no `openapi` field naming a 3.x version)",
            ),
            Self::NoConnectionsOperations => f.write_str(
                "it describes none of the Connections operations of Codat's Platform API \
                 (no operation tagged `Connections`, none of list-connections, get-connection, ...)",
            ),
            Self::CannotDerive(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for DocumentError {}

/// Whether `document` is already derived (it carries the provenance the
/// rules write, `info.x-codat-source`), rather than as Codat publishes it.
pub fn is_derived(document: &Value) -> bool {
    document
        .pointer("/info/x-codat-source")
        .is_some_and(Value::is_object)
}

/// The document to generate the client from, given the bytes of a Codat
/// Platform API document as Codat publishes it (the rules derive ours from
/// it, recording its SHA-256) or as already derived (taken as it is).
pub fn derive(bytes: &[u8]) -> Result<Value, DocumentError> {
    let document: Value =
        serde_json::from_slice(bytes).map_err(|e| DocumentError::NotJson(e.to_string()))?;
    let openapi = document.get("openapi").and_then(Value::as_str);
    if !openapi.is_some_and(|version| version.starts_with("3.")) {
        return Err(DocumentError::NotOpenApi);
    }
    if !has_connections_operations(&document) {
        return Err(DocumentError::NoConnectionsOperations);
    }
    if is_derived(&document) {
        return Ok(canonical(&document));
    }
    normalise(&document, &sha256_hex(bytes)).map_err(DocumentError::CannotDerive)
}

/// Whether some operation of `document` is one of Codat's Connections
/// operations: tagged so, or one this SDK wraps.
fn has_connections_operations(document: &Value) -> bool {
    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return false;
    };
    paths
        .values()
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .any(|operation| {
            let tagged = operation
                .get("tags")
                .and_then(Value::as_array)
                .is_some_and(|tags| tags.iter().any(|tag| tag == TAG));
            let wrapped = operation
                .get("operationId")
                .and_then(Value::as_str)
                .is_some_and(|id| OPERATIONS.contains(&id) && !COMPANY_OPERATIONS.contains(&id));
            tagged || wrapped
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_a_document_is_told_apart() {
        assert!(matches!(
            derive(b"not json"),
            Err(DocumentError::NotJson(_))
        ));
        assert_eq!(derive(b"[1, 2]"), Err(DocumentError::NotOpenApi));
        assert_eq!(
            derive(br#"{"swagger": "2.0", "paths": {}}"#),
            Err(DocumentError::NotOpenApi)
        );
        assert_eq!(
            derive(br#"{"openapi": "3.1.0", "paths": {"/pets": {"get": {"operationId": "list-pets"}}}}"#),
            Err(DocumentError::NoConnectionsOperations)
        );
    }

    #[test]
    fn a_codat_document_missing_an_operation_cannot_be_derived_and_says_which() {
        let document = br#"{"openapi": "3.1.0", "paths": {
            "/companies/{companyId}/connections": {"get": {"operationId": "list-connections", "tags": ["Connections"]}}
        }}"#;
        let Err(DocumentError::CannotDerive(why)) = derive(document) else {
            panic!("derived a document without most operations");
        };
        assert!(why.contains("unlink-connection"), "{why}");
    }

    #[test]
    fn a_derived_document_is_taken_as_it_is() {
        let derived = serde_json::json!({
            "openapi": "3.0.3",
            "info": {"x-codat-source": {"sha256": "ab"}},
            "paths": {"/x": {"get": {"operationId": "get-connection"}}},
        });
        assert!(is_derived(&derived));
        let bytes = serde_json::to_vec(&derived).unwrap();
        assert_eq!(derive(&bytes), Ok(derived));
    }
}
