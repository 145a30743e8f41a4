//! Which of Codat's published documents the client was generated from.

/// One of Codat's published Platform API documents: the one this build of
/// the crate was generated from, and so the one its types, its operations
/// and its mock follow. That is the document packaged with the crate
/// (`openapi/connections.json`), or the one the `CODAT_OPENAPI` environment
/// variable named when the crate was built (see the README's "When Codat
/// changes its document").
///
/// ```
/// let document = codat_connections::CODAT_DOCUMENT;
/// assert_eq!(document.sha256.len(), 64);
/// println!(
///     "built from Codat's document {} (codatio/oas commit {})",
///     document.info_version,
///     document.commit.unwrap_or("unknown"),
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CodatDocument {
    /// Codat's `info.version` of the document, e.g. `3.0.0` (Codat keeps it
    /// across many changes: [`CodatDocument::sha256`] tells them apart).
    pub info_version: &'static str,
    /// The commit of Codat's public repository `codatio/oas` the document
    /// was published at, where known.
    pub commit: Option<&'static str>,
    /// The SHA-256 of the document's bytes, as Codat published them, in hex.
    pub sha256: &'static str,
    /// The path `CODAT_OPENAPI` named when the crate was built from a
    /// document of the user's choosing; `None` for the packaged document.
    pub path: Option<&'static str>,
    /// What changed for users from the packaged document to this one, a
    /// line per change, breaking ones first (as the build printed them);
    /// empty for the packaged document.
    pub changes: &'static [&'static str],
}

/// The Codat document this build of the crate was generated from.
pub const CODAT_DOCUMENT: CodatDocument = CodatDocument {
    info_version: env!("CODAT_DOCUMENT_INFO_VERSION"),
    commit: non_empty(env!("CODAT_DOCUMENT_COMMIT")),
    sha256: env!("CODAT_DOCUMENT_SHA256"),
    path: non_empty(env!("CODAT_DOCUMENT_PATH")),
    changes: include!(concat!(env!("OUT_DIR"), "/codat_document_changes.rs")),
};

/// `None` for the empty string the build script writes for "unknown".
const fn non_empty(text: &'static str) -> Option<&'static str> {
    if text.is_empty() { None } else { Some(text) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_the_one_the_client_was_generated_from() {
        let document: serde_json::Value =
            serde_json::from_str(include_str!(concat!(env!("OUT_DIR"), "/connections.json")))
                .unwrap();
        let source = &document["info"]["x-codat-source"];
        assert_eq!(CODAT_DOCUMENT.info_version, source["info-version"]);
        assert_eq!(CODAT_DOCUMENT.sha256, source["sha256"]);
        assert_eq!(CODAT_DOCUMENT.commit, source["commit"].as_str());
    }

    #[test]
    fn the_packaged_document_is_the_checked_in_one_and_names_its_commit() {
        assert_eq!(
            CODAT_DOCUMENT.path, None,
            "the crate's own tests run on the packaged document: unset CODAT_OPENAPI"
        );
        let packaged: serde_json::Value =
            serde_json::from_str(include_str!("../openapi/connections.json")).unwrap();
        let source = &packaged["info"]["x-codat-source"];
        assert_eq!(CODAT_DOCUMENT.sha256, source["sha256"]);
        assert!(
            CODAT_DOCUMENT.commit.is_some(),
            "the packaged document names its commit"
        );
        assert!(CODAT_DOCUMENT.changes.is_empty());
    }
}
