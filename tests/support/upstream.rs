//! Codat's own published OpenAPI documents (the repository's `upstream/`,
//! or `CODAT_UPSTREAM_DIR`): the newest, `Codat-Platform.json`, and every
//! earlier version under `history/`.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;

/// The folder holding Codat's documents; the test fails, saying how to set
/// it, when they are not there.
pub fn dir() -> PathBuf {
    let dir = match std::env::var_os("CODAT_UPSTREAM_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("upstream"),
    };
    assert!(
        dir.join("Codat-Platform.json").is_file() && dir.join("history").is_dir(),
        "Codat's upstream OpenAPI documents are not at {}: set CODAT_UPSTREAM_DIR to the folder \
         holding Codat-Platform.json and history/*.json (json/Codat-Platform.json in the public \
         repository codatio/oas, and earlier versions of it; the repository keeps them in \
         upstream/)",
        dir.display()
    );
    dir
}

/// The path of Codat's newest published document.
pub fn newest_path() -> PathBuf {
    dir().join("Codat-Platform.json")
}

/// Codat's newest published document, parsed once.
pub fn newest() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| super::schema::read_json(&newest_path()))
}
