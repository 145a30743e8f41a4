//! The API documentation as docs.rs builds it: every feature, `--cfg
//! docsrs` (so each feature-gated item says which feature it needs), and
//! broken links as errors.

use std::path::Path;
use std::process::Command;

/// Pages of feature-gated items, each with the feature it must name.
const GATED: [(&str, &str); 2] = [
    ("target/doc/codat_connections/mock/index.html", "mock"),
    (
        "target/doc/codat_connections/mock/struct.MockCodat.html",
        "mock",
    ),
];

pub fn check(root: &Path, cargo: &str) -> Result<(), String> {
    let mut docs = Command::new(cargo);
    docs.args(["doc", "--no-deps", "--all-features", "--quiet"])
        .current_dir(root)
        .env("RUSTDOCFLAGS", "--cfg docsrs -D warnings")
        .env("RUSTDOC", rustdoc_allowing_doc_cfg(root)?);
    crate::tools::run(
        &mut docs,
        "rustdoc as docs.rs runs it (every feature, broken links are errors)",
    )?;
    for (page, feature) in GATED {
        let html = std::fs::read_to_string(root.join(page))
            .map_err(|e| format!("rustdoc wrote no {page}: {e}"))?;
        if !says_feature(&html, feature) {
            return Err(format!(
                "{page} does not say that it needs the `{feature}` feature"
            ));
        }
    }
    Ok(())
}

/// Whether a rustdoc page says its item needs crate feature `feature`.
fn says_feature(html: &str, feature: &str) -> bool {
    html.contains(&format!("crate feature <code>{feature}</code>"))
}

/// A rustdoc that allows `doc_cfg` for this crate alone: docs.rs builds with
/// a nightly toolchain, where `doc_cfg` (which `--cfg docsrs` turns on) is
/// allowed, and `RUSTC_BOOTSTRAP=codat_connections` lets the stable one allow
/// it. Given to rustdoc alone: set for the whole `cargo doc`, cargo counted
/// it as a change of compiler and rebuilt every dependency, there and again
/// in each step after it (70 s on two cores).
fn rustdoc_allowing_doc_cfg(root: &Path) -> Result<std::path::PathBuf, String> {
    let path = root.join("target/tools/rustdoc-docsrs");
    let script = "#!/bin/sh\nRUSTC_BOOTSTRAP=codat_connections exec rustdoc \"$@\"\n";
    std::fs::create_dir_all(root.join("target/tools")).map_err(|e| format!("target/tools: {e}"))?;
    std::fs::write(&path, script).map_err(|e| format!("{}: {e}", path.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_names_the_feature_as_rustdoc_writes_it() {
        let page = r#"<div class="stab portability">Available on <strong>crate feature <code>mock</code></strong> only.</div>"#;
        assert!(says_feature(page, "mock"));
        assert!(!says_feature(page, "schemars"));
        assert!(!says_feature("<p>no such note</p>", "mock"));
    }
}
