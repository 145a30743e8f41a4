// Generates the raw client with progenitor from `openapi/connections.json`,
// or from the Codat document `CODAT_OPENAPI` names (derived by the same
// rules as `cargo xtask sync-spec`'s, from `codat-connections-spec`).
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
        .map_err(|e| format!("the document is not OpenAPI 3.0: {e}"))?;
    let mut generator = Generator::new(&generation_settings());
    let tokens = generator
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor rejected the document: {e}"))?;
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("progenitor produced invalid Rust: {e}"))?;
    Ok(prettyplease::unparse(&file))
}

/// The environment variable that names a Codat document of the user's
/// choosing to generate the client from instead of the packaged one.
const CHOSEN: &str = "CODAT_OPENAPI";

/// The environment variable that lets a build go on from a chosen document
/// with breaking changes, for the compiler to say whether the crate follows.
const ACCEPT_BREAKING: &str = "CODAT_OPENAPI_ACCEPT_BREAKING";

fn main() {
    println!("cargo:rerun-if-changed={DOCUMENT}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed={CHOSEN}");
    println!("cargo:rerun-if-env-changed={ACCEPT_BREAKING}");
    let packaged_text =
        std::fs::read_to_string(DOCUMENT).unwrap_or_else(|e| panic!("cannot read {DOCUMENT}: {e}"));
    let packaged: serde_json::Value =
        serde_json::from_str(&packaged_text).unwrap_or_else(|e| panic!("{DOCUMENT}: {e}"));
    let chosen = std::env::var_os(CHOSEN).filter(|path| !path.is_empty());
    // The packaged document is already derived (`sync-spec --check` says
    // so): its text is generated from as it is.
    let (document, text, path, changes) = match chosen {
        None => (packaged, packaged_text, String::new(), Vec::new()),
        Some(path) => {
            let path = std::path::PathBuf::from(path);
            let (document, changes) =
                chosen_document(&path, &packaged).unwrap_or_else(|message| refuse(&path, &message));
            let text = codat_connections_spec::normalise::to_pretty_string(&document);
            (document, text, path.display().to_string(), changes)
        }
    };
    let code = generate(&text).unwrap_or_else(|e| {
        if path.is_empty() {
            panic!("{e}")
        }
        let message = format!(
            "{e}: codat-connections {} cannot be generated from it; a release of \
             codat-connections that follows it is needed (until then, unset {CHOSEN})",
            env!("CARGO_PKG_VERSION")
        );
        refuse(Path::new(&path), &message)
    });
    // Which of Codat's documents it was (`CODAT_DOCUMENT`, src/codat_document.rs).
    let source = &document["info"]["x-codat-source"];
    for (variable, field) in [
        ("CODAT_DOCUMENT_INFO_VERSION", "info-version"),
        ("CODAT_DOCUMENT_SHA256", "sha256"),
        ("CODAT_DOCUMENT_COMMIT", "commit"),
    ] {
        let value = source[field].as_str().unwrap_or_default();
        println!("cargo:rustc-env={variable}={value}");
    }
    println!("cargo:rustc-env=CODAT_DOCUMENT_PATH={path}");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let out = Path::new(&out_dir);
    let write = |name: &str, contents: &str| {
        std::fs::write(out.join(name), contents).expect("OUT_DIR is writable")
    };
    write("codat_connections.rs", &code);
    // The document the client was generated from, for the mock to follow.
    write("connections.json", &text);
    write("codat_document_changes.rs", &format!("&{changes:?}"));
}

/// Stops the build for the document `CODAT_OPENAPI` names, with one
/// message naming the file (cargo shows a failed build script's output,
/// whatever the crate's source).
fn refuse(path: &Path, message: &str) -> ! {
    eprintln!("error: {CHOSEN}={}: {message}", path.display());
    std::process::exit(1)
}

/// The document at `path` (as Codat publishes it, or already derived), and
/// the change report against the packaged document, a line per change,
/// breaking first; an error when it is not a document the client can be
/// generated from, or when it breaks what this crate was written for.
fn chosen_document(
    path: &Path,
    packaged: &serde_json::Value,
) -> Result<(serde_json::Value, Vec<String>), String> {
    if path.is_relative() {
        return Err(format!(
            "give an absolute path (a build script runs in the crate's own folder); in \
             .cargo/config.toml, write `[env] {CHOSEN} = {{ value = \"{}\", relative = true }}`",
            path.display()
        ));
    }
    println!("cargo:rerun-if-changed={}", path.display());
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    let mut document = codat_connections_spec::derive(&bytes).map_err(|e| match e {
        codat_connections_spec::DocumentError::CannotDerive(why) => format!(
            "{why}: codat-connections {} cannot be generated from it; a release of \
             codat-connections that follows this change is needed (until then, unset {CHOSEN})",
            env!("CARGO_PKG_VERSION")
        ),
        other => format!("not a Codat Platform API document: {other}"),
    })?;
    let (ours, theirs) = (
        &packaged["info"]["x-codat-source"],
        &document["info"]["x-codat-source"],
    );
    if theirs.get("commit").is_none() && theirs["sha256"] == ours["sha256"] {
        document["info"]["x-codat-source"]["commit"] = ours["commit"].clone();
    }
    let changes = codat_connections_spec::change_report::compare(packaged, &document);
    let lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
    for line in &lines {
        println!("cargo:warning=Codat's document {}: {line}", path.display());
    }
    let breaking: Vec<&String> = changes
        .iter()
        .zip(&lines)
        .filter(|(change, _)| change.breaking)
        .map(|(_, line)| line)
        .collect();
    let accepted = std::env::var_os(ACCEPT_BREAKING).is_some_and(|value| value == "1");
    if !breaking.is_empty() && !accepted {
        let mut message = format!(
            "{} change(s) of Codat's against the document codat-connections {} was written for \
             can break it:\n",
            breaking.len(),
            env!("CARGO_PKG_VERSION")
        );
        for line in breaking {
            message.push_str(&format!("  {line}\n"));
        }
        message.push_str(&format!(
            "A release of codat-connections that follows them is needed. Until then, unset \
             {CHOSEN} to build from the packaged document, or set {ACCEPT_BREAKING}=1 to build \
             anyway: the compiler then says whether the crate still follows."
        ));
        return Err(message);
    }
    if accepted && !breaking.is_empty() {
        println!(
            "cargo:warning={ACCEPT_BREAKING}=1: building despite the breaking changes above; \
             where the crate cannot follow one, a release of codat-connections is needed"
        );
    }
    Ok((document, lines))
}
