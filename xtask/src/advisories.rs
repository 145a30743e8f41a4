//! The RustSec advisories check (`cargo deny check advisories`), with the
//! database fetched fresh where the network allows, else taken from an
//! offline snapshot, else skipped with the reason.
//!
//! cargo-deny clones the database from a git host. Where that host cannot
//! be reached, a snapshot (a `.tar.gz` of a clone of `rustsec/advisory-db`)
//! is unpacked where cargo-deny looks for its default database, and the
//! check runs offline; its commit date is printed, so its age is visible.
//! Nothing requires the snapshot: without it and without a network the
//! check says it was skipped and why (and fails under CI, which must run it).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the snapshot is looked for unless `ADVISORY_DB_SNAPSHOT` names one:
/// beside the project, as this project's machines lay it out.
const DEFAULT_SNAPSHOT: &str = "../shared/advisory-db/advisory-db.tar.gz";

/// The folder, under `$CARGO_HOME/advisory-dbs/`, where cargo-deny 0.20
/// keeps its default database (named after a hash of the database's URL).
const DEFAULT_DB_FOLDER: &str = "advisory-db-3157b0e258782691";

/// How the database was obtained, for the log.
#[derive(Debug, PartialEq)]
enum Source {
    /// Fetched fresh just now.
    Fetched,
    /// Unpacked from the snapshot.
    Snapshot,
    /// Already there, and at least as new as the snapshot.
    Kept,
}

/// Runs the advisories check with `deny` (the cargo-deny command).
pub fn check(root: &Path, deny: &str) -> Result<(), String> {
    println!("==> cargo deny (advisories)");
    let db = db_dir()?;
    let source = match fetch(root, deny) {
        Ok(()) => Source::Fetched,
        Err(why_not) => {
            let snapshot = snapshot_path(root);
            if !snapshot.is_file() {
                return skipped(&format!(
                    "the RustSec database could not be fetched ({why_not}) and there is no \
                     snapshot at {} (set ADVISORY_DB_SNAPSHOT to a .tar.gz of a clone of \
                     rustsec/advisory-db)",
                    snapshot.display()
                ));
            }
            println!("    could not fetch the RustSec database ({why_not}); using the snapshot");
            unpack(root, &snapshot, &db)?
        }
    };
    // The database's age, whichever way it came.
    let how = match source {
        Source::Fetched => "fetched now",
        Source::Snapshot => "offline snapshot",
        Source::Kept => "fetched earlier, newer than the snapshot",
    };
    match head_commit(&db) {
        Ok((commit, _, date)) => {
            println!("    advisory database ({how}): commit {commit}, committed {date}")
        }
        Err(e) => println!("    advisory database ({how}): {e}"),
    }
    let mut command = Command::new(deny);
    command
        .args(["--offline", "check", "advisories"])
        .current_dir(root);
    crate::tools::run(&mut command, "cargo deny --offline check advisories")
}

/// A skipped check: fine for a user, a failure under CI.
fn skipped(reason: &str) -> Result<(), String> {
    let message = format!("advisories check skipped: {reason}");
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false") {
        return Err(format!("{message}\nCI must run the advisories check."));
    }
    println!("    {message}");
    Ok(())
}

/// Fetches (or updates) the default database; the error's first line when
/// that fails.
fn fetch(root: &Path, deny: &str) -> Result<(), String> {
    let output = Command::new(deny)
        .args(["fetch", "db"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot start {deny}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(first_error_line(&stderr))
}

/// The most telling line of cargo-deny's error output.
fn first_error_line(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines
        .iter()
        .find(|l| l.contains("resolve") || l.contains("network") || l.contains("connect"))
        .or_else(|| lines.iter().find(|l| l.contains("error")))
        .or(lines.first())
        .map_or_else(|| "no output".to_owned(), |l| (*l).to_owned())
}

fn snapshot_path(root: &Path) -> PathBuf {
    match std::env::var_os("ADVISORY_DB_SNAPSHOT") {
        Some(path) => PathBuf::from(path),
        None => root.join(DEFAULT_SNAPSHOT),
    }
}

/// cargo-deny's default database folder: `$CARGO_HOME/advisory-dbs/...`.
fn db_dir() -> Result<PathBuf, String> {
    let cargo_home = match std::env::var_os("CARGO_HOME") {
        Some(home) => PathBuf::from(home),
        None => {
            PathBuf::from(std::env::var_os("HOME").ok_or("neither CARGO_HOME nor HOME is set")?)
                .join(".cargo")
        }
    };
    Ok(cargo_home.join("advisory-dbs").join(DEFAULT_DB_FOLDER))
}

/// Unpacks the snapshot into `db`, unless `db` already holds a database at
/// least as new (a fetch that succeeded earlier), and says which it uses.
fn unpack(root: &Path, snapshot: &Path, db: &Path) -> Result<Source, String> {
    let scratch = root.join("target/tools/advisory-db-snapshot");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    crate::tools::run(
        Command::new("tar")
            .arg("-xzf")
            .arg(snapshot)
            .arg("-C")
            .arg(&scratch),
        "unpacking the advisory database snapshot",
    )?;
    let unpacked = only_subfolder(&scratch)?;
    let (_, time, _) = head_commit(&unpacked)?;
    if let Ok((_, existing_time, _)) = head_commit(db)
        && existing_time >= time
    {
        return Ok(Source::Kept);
    }
    if let Some(parent) = db.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let _ = std::fs::remove_dir_all(db);
    std::fs::rename(&unpacked, db)
        .map_err(|e| format!("cannot move the snapshot to {}: {e}", db.display()))?;
    Ok(Source::Snapshot)
}

/// The one folder an archive unpacked into.
fn only_subfolder(dir: &Path) -> Result<PathBuf, String> {
    let mut folders = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir());
    match (folders.next(), folders.next()) {
        (Some(folder), None) => Ok(folder),
        _ => Err(format!(
            "the snapshot should unpack into one folder (a clone of rustsec/advisory-db); {} holds something else",
            dir.display()
        )),
    }
}

/// The HEAD commit of a git clone: short id, Unix time, and date.
fn head_commit(repo: &Path) -> Result<(String, i64, String), String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["log", "-1", "--format=%h %ct %cs"])
        .output()
        .map_err(|e| format!("cannot start git: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    parse_head(&text).ok_or_else(|| format!("{} is not a git clone with a commit", repo.display()))
}

fn parse_head(line: &str) -> Option<(String, i64, String)> {
    let mut parts = line.split_whitespace();
    let commit = parts.next()?.to_owned();
    let time = parts.next()?.parse().ok()?;
    let date = parts.next()?.to_owned();
    Some((commit, time, date))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_line_is_commit_time_and_date() {
        assert_eq!(
            parse_head("bf5c0d2 1755763200 2025-08-21\n"),
            Some(("bf5c0d2".to_owned(), 1_755_763_200, "2025-08-21".to_owned()))
        );
        assert_eq!(parse_head(""), None);
        assert_eq!(parse_head("bf5c0d2 soon 2025-08-21"), None);
    }

    #[test]
    fn the_telling_line_of_a_failed_fetch_is_kept() {
        let stderr = "\n  2026-11-26 [ERROR] failed to fetch advisory database\n  Caused by: Could not resolve host: github.com\n";
        assert_eq!(
            first_error_line(stderr),
            "Caused by: Could not resolve host: github.com"
        );
        assert_eq!(first_error_line("just one line"), "just one line");
        assert_eq!(first_error_line(""), "no output");
    }

    #[test]
    fn a_snapshot_is_unpacked_into_the_database_folder_and_a_newer_one_kept() {
        let root = std::env::temp_dir().join(format!("advisories-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let repo = root.join("src/advisory-db");
        std::fs::create_dir_all(&repo).unwrap();
        let git = |dir: &Path, args: &[&str], date: &str| {
            let status = Command::new("git")
                .arg("-C")
                .arg(dir)
                .args(args)
                .env("GIT_COMMITTER_DATE", date)
                .env("GIT_AUTHOR_DATE", date)
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@example.com")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@example.com")
                .status()
                .unwrap();
            assert!(status.success(), "git {args:?}");
        };
        git(&repo, &["init", "-q"], "2025-08-21T00:00:00Z");
        std::fs::write(repo.join("README.md"), "db").unwrap();
        git(&repo, &["add", "."], "2025-08-21T00:00:00Z");
        git(
            &repo,
            &["commit", "-qm", "snapshot"],
            "2025-08-21T00:00:00Z",
        );
        let archive = root.join("snapshot.tar.gz");
        let status = Command::new("tar")
            .arg("-czf")
            .arg(&archive)
            .arg("-C")
            .arg(root.join("src"))
            .arg("advisory-db")
            .status()
            .unwrap();
        assert!(status.success());

        let db = root.join("home/advisory-dbs").join(DEFAULT_DB_FOLDER);
        assert_eq!(unpack(&root, &archive, &db).unwrap(), Source::Snapshot);
        assert_eq!(head_commit(&db).unwrap().2, "2025-08-21");
        assert!(db.join("README.md").is_file());

        // A database fetched later than the snapshot is not replaced by it.
        std::fs::write(db.join("README.md"), "newer").unwrap();
        git(&db, &["commit", "-qam", "newer"], "2026-01-01T00:00:00Z");
        assert_eq!(unpack(&root, &archive, &db).unwrap(), Source::Kept);
        assert_eq!(head_commit(&db).unwrap().2, "2026-01-01");
        assert_eq!(
            std::fs::read_to_string(db.join("README.md")).unwrap(),
            "newer"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
