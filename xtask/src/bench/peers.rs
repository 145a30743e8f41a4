//! Codat's own SDKs as peers of ours: installed, pinned, under
//! `target/bench/`, and the commands that run them.

use std::path::{Path, PathBuf};

use super::workload::API_KEY;
use crate::tools;

/// The commands that run Codat's SDKs (the mode and its arguments follow).
pub struct Peers {
    pub python: Vec<String>,
    pub node: Vec<String>,
}

impl Peers {
    /// `peer` (one of the commands above) in `mode` against `url`, for
    /// `company` (`-` when the mode takes none) and its count.
    pub fn command(
        peer: &[String],
        mode: &str,
        url: &str,
        company: &str,
        count: u64,
    ) -> Vec<String> {
        let mut command = peer.to_vec();
        let count = count.to_string();
        command.extend([mode, url, company, API_KEY, &count].map(str::to_owned));
        command
    }
}

/// Installs Codat's Python SDK, pinned, into a venv under `target/bench/`.
pub fn install_python_peer(root: &Path) -> Result<PathBuf, String> {
    let venv = root.join("target/bench/venv");
    tools::pip_venv(
        &venv,
        &root.join("benchmarks/peers/requirements.txt"),
        "Codat's Python SDK",
    )?;
    Ok(venv.join("bin/python"))
}

/// Installs Codat's TypeScript SDK, pinned, under `target/bench/node/`, with
/// the peer script beside it so that its imports resolve there.
pub fn install_node_peer(root: &Path) -> Result<PathBuf, String> {
    let dir = root.join("target/bench/node");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    for file in ["package.json", "package-lock.json", "peer_node.mjs"] {
        std::fs::copy(root.join("benchmarks/peers").join(file), dir.join(file))
            .map_err(|e| format!("benchmarks/peers/{file}: {e}"))?;
    }
    tools::npm_ci(&dir, "Codat's TypeScript SDK")?;
    Ok(dir)
}
