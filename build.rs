// Generates the raw client from `openapi/connections.json` with progenitor.
//
// The generation settings are where forward compatibility is decided: the
// response enums, identifiers and date-times Codat's document names are
// replaced by this crate's own hand-written types (see `src/types/`), so
// that a value Codat adds tomorrow decodes instead of failing.

use std::path::Path;

use progenitor_impl::{
    GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl,
};

/// The document the client is generated from.
const DOCUMENT: &str = "openapi/connections.json";

/// The inner value of the generated client: the settings its hooks apply.
const TRANSPORT: &str = "crate::http::transport::RequestSettings";

/// Schemas of the document replaced by our own types, each of the same name
/// in `src/types/` (and re-exported at the crate root).
#[rustfmt::skip]
const REPLACEMENTS: [&str; 7] = [
    // Open enums: a value Codat adds later decodes instead of failing.
    "ConnectionStatus", "SourceType", "DataConnectionErrorStatus",
    // Identifiers and date-times, checked when parsed.
    "DateTime", "CompanyId", "ConnectionId", "PlatformKey",
];

/// The traits every replacement implements (typify needs to know, to derive
/// traits for types that contain them).
const REPLACEMENT_IMPLS: [TypeImpl; 2] = [TypeImpl::Display, TypeImpl::FromStr];

/// The settings the raw client is generated with.
pub fn generation_settings() -> GenerationSettings {
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        // Every request goes through `src/http/hooks.rs` and
        // `src/http/transport.rs` (authorization, user agent, timeout, tracing, bounded body); `Expected` makes a missing
        // `impl ClientHooks` a compile error instead of a silent default.
        // progenitor always writes an `api-version` header; the hooks remove
        // it (Codat documents no such header; see `src/http/transport.rs`).
        .with_inner_type(
            TRANSPORT
                .parse()
                .expect("the transport's path is Rust tokens"),
        )
        .with_hooks(HooksMode::Expected)
        .with_derive("PartialEq");
    // `schemars::JsonSchema` only with the feature that brings schemars
    // (cargo tells a build script its package's features).
    if std::env::var_os("CARGO_FEATURE_SCHEMARS").is_some() {
        settings.with_derive("schemars::JsonSchema");
    }
    for schema in REPLACEMENTS {
        let replacement = format!("crate::types::{schema}");
        settings.with_replacement(schema, replacement, REPLACEMENT_IMPLS.into_iter());
    }
    settings
}

/// Generates the client's source code from an OpenAPI document's text.
pub fn generate(document: &str) -> Result<String, String> {
    let spec: openapiv3::OpenAPI = serde_json::from_str(document)
        .map_err(|e| format!("{DOCUMENT} is not OpenAPI 3.0: {e}"))?;
    let mut generator = Generator::new(&generation_settings());
    let tokens = generator
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor rejected {DOCUMENT}: {e}"))?;
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("progenitor produced invalid Rust: {e}"))?;
    Ok(prettyplease::unparse(&file))
}

#[allow(dead_code)] // when included by xtask's tests, which call `generate` only
fn main() {
    println!("cargo:rerun-if-changed={DOCUMENT}");
    println!("cargo:rerun-if-changed=build.rs");
    let document =
        std::fs::read_to_string(DOCUMENT).unwrap_or_else(|e| panic!("cannot read {DOCUMENT}: {e}"));
    let code = generate(&document).unwrap_or_else(|e| panic!("{e}"));
    // Which of Codat's documents it was (`CODAT_DOCUMENT`, src/codat_document.rs).
    let source: serde_json::Value =
        serde_json::from_str(&document).unwrap_or_else(|e| panic!("{DOCUMENT}: {e}"));
    let source = &source["info"]["x-codat-source"];
    for (variable, field) in [
        ("CODAT_DOCUMENT_INFO_VERSION", "info-version"),
        ("CODAT_DOCUMENT_SHA256", "sha256"),
        ("CODAT_DOCUMENT_COMMIT", "commit"),
    ] {
        let value = source[field].as_str().unwrap_or_default();
        println!("cargo:rustc-env={variable}={value}");
    }
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    std::fs::write(Path::new(&out_dir).join("codat_connections.rs"), code)
        .expect("OUT_DIR is writable");
}
