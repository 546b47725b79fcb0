//! SQLite through rusqlite, run on the calling task.
//!
//! One connection per process, behind an async mutex. A statement is a few
//! microseconds of synchronous work on a prepared, cached statement, so it runs right
//! on the tokio worker that holds the lock: no hand-off to another thread and back,
//! which is what sqlx's SQLite driver does for every statement and what bounded the
//! login rate (see `docs/decisions.md`, "Performance"). Tasks waiting for the lock
//! wait asynchronously, without blocking a worker thread.
//!
//! The connection never checkpoints the WAL itself (`wal_autocheckpoint = 0`): a
//! checkpoint writes and syncs the database file, which must not happen on a request
//! path. A background thread with its own connection runs a passive checkpoint every
//! second instead; it stops when the [`Store`] is dropped.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use rusqlite::types::{ToSql, ToSqlOutput};
use rusqlite::{Connection, OpenFlags};
use sqlx::migrate::Migrator;
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::{DbError, Param};

/// How long a statement waits for another process's write lock (a CLI command, a
/// second instance on the same file) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the background thread checkpoints the WAL.
const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);
/// Prepared statements kept per connection (the server has about 80 distinct ones).
const STATEMENT_CACHE: usize = 256;

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// A file, and whether to create it when missing.
    File {
        path: PathBuf,
        create: bool,
        read_only: bool,
    },
    /// A private in-memory database (`sqlite::memory:`), gone when the process ends.
    Memory,
}

/// Parses `sqlite:PATH`, `sqlite://PATH`, `sqlite::memory:` with an optional
/// `?mode=rwc|rw|ro|memory` (the forms sqlx accepted, so existing configurations keep
/// working). Any other query parameter is refused rather than ignored.
///
/// # Errors
/// [`DbError::UnsupportedUrl`] / [`DbError::SqliteUrl`].
pub(crate) fn parse_url(url: &str) -> Result<Location, DbError> {
    let rest = url.strip_prefix("sqlite:").ok_or(DbError::UnsupportedUrl)?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut mode = "rwc";
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("mode", m @ ("rwc" | "rw" | "ro" | "memory"))) => mode = m,
            _ => {
                return Err(DbError::SqliteUrl(format!(
                    "unsupported SQLite URL parameter {pair:?} (only mode=rwc|rw|ro|memory)"
                )));
            }
        }
    }
    if path.is_empty() {
        return Err(DbError::SqliteUrl("the SQLite URL names no file".into()));
    }
    if path == ":memory:" || mode == "memory" {
        return Ok(Location::Memory);
    }
    Ok(Location::File {
        path: PathBuf::from(path),
        create: mode == "rwc",
        read_only: mode == "ro",
    })
}

/// The process's SQLite connection.
#[derive(Debug)]
pub(crate) struct Store {
    conn: Arc<Mutex<Connection>>,
    /// Dropping it stops the checkpoint thread.
    _checkpointer: Option<mpsc::Sender<()>>,
}

impl Store {
    /// Opens (creating the folder and file if `mode` allows), configures WAL and
    /// applies the migrations.
    ///
    /// # Errors
    /// [`DbError`].
    pub(crate) fn open(location: &Location, migrator: &Migrator) -> Result<Self, DbError> {
        let mut conn = open_connection(location)?;
        if !matches!(
            location,
            Location::File {
                read_only: true,
                ..
            }
        ) {
            migrate(&mut conn, migrator)?;
        }
        let checkpointer = match location {
            Location::File {
                path,
                read_only: false,
                ..
            } => Some(start_checkpointer(path.clone())),
            _ => None,
        };
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            _checkpointer: checkpointer,
        })
    }

    /// Runs `f` on the connection.
    pub(crate) async fn with<R>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<R>,
    ) -> Result<R, DbError> {
        let conn = self.conn.lock().await;
        f(&conn).map_err(DbError::Sqlite)
    }

    /// Takes the connection for a transaction (`BEGIN IMMEDIATE`: the write lock is
    /// taken up front, so a transaction never fails half-way on another writer).
    pub(crate) async fn begin(&self) -> Result<SqliteTx, DbError> {
        let conn = Arc::clone(&self.conn).lock_owned().await;
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(DbError::Sqlite)?;
        Ok(SqliteTx { conn, open: true })
    }
}

/// An open SQLite transaction; rolled back when dropped without [`SqliteTx::commit`].
#[derive(Debug)]
pub(crate) struct SqliteTx {
    conn: OwnedMutexGuard<Connection>,
    open: bool,
}

impl SqliteTx {
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn commit(mut self) -> Result<(), DbError> {
        self.open = false;
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            // A failed COMMIT (disk full) leaves the transaction open: end it.
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(DbError::Sqlite(e));
        }
        Ok(())
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

fn open_connection(location: &Location) -> Result<Connection, DbError> {
    let mut flags = OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let conn = match location {
        Location::Memory => {
            flags |= OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
            Connection::open_in_memory_with_flags(flags)
        }
        Location::File {
            path,
            create,
            read_only,
        } => {
            if *read_only {
                flags |= OpenFlags::SQLITE_OPEN_READ_ONLY;
            } else {
                flags |= OpenFlags::SQLITE_OPEN_READ_WRITE;
            }
            if *create {
                flags |= OpenFlags::SQLITE_OPEN_CREATE;
                if let Some(parent) = path.parent()
                    && !parent.as_os_str().is_empty()
                {
                    // A failure shows up as a clear open error right after.
                    let _ = std::fs::create_dir_all(parent);
                }
            }
            Connection::open_with_flags(path, flags)
        }
    }
    .map_err(DbError::SqliteOpen)?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(DbError::SqliteOpen)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    if !matches!(
        location,
        Location::File {
            read_only: true,
            ..
        }
    ) {
        // WAL: readers never block the writer. NORMAL: a commit is durable once the
        // WAL is synced at the next checkpoint (a power cut may lose the last
        // commits, never corrupt the file) — flow state lives for minutes.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(DbError::SqliteOpen)?;
        if location != &Location::Memory && !mode.eq_ignore_ascii_case("wal") {
            return Err(DbError::SqliteUrl(format!(
                "SQLite refused WAL mode (journal_mode is {mode})"
            )));
        }
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
             PRAGMA wal_autocheckpoint = 0;",
        )
        .map_err(DbError::SqliteOpen)?;
    }
    Ok(conn)
}

/// A thread that checkpoints the WAL every [`CHECKPOINT_INTERVAL`] with its own
/// connection, until the sender is dropped.
fn start_checkpointer(path: PathBuf) -> mpsc::Sender<()> {
    let (stop, stopped) = mpsc::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let conn = match Connection::open_with_flags(&path, flags) {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "WAL checkpoint thread cannot open the database");
                    return;
                }
            };
            let _ = conn.busy_timeout(BUSY_TIMEOUT);
            loop {
                match stopped.recv_timeout(CHECKPOINT_INTERVAL) {
                    Err(RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
                // PASSIVE never waits for readers or writers; the next writer restarts
                // the WAL from the beginning once everything in it is checkpointed.
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the WAL checkpoint thread");
    }
    stop
}

/// Applies the migrations sqlx's migrator would, recording them in sqlx's own
/// `_sqlx_migrations` table (same columns and checksums), so databases made by either
/// stay compatible. All of it runs in one `BEGIN IMMEDIATE` transaction: two processes
/// starting on one new file serialise on SQLite's write lock instead of racing.
fn migrate(conn: &mut Connection, migrator: &Migrator) -> Result<(), DbError> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(DbError::Sqlite)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
            version BIGINT PRIMARY KEY,
            description TEXT NOT NULL,
            installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
            success BOOLEAN NOT NULL,
            checksum BLOB NOT NULL,
            execution_time BIGINT NOT NULL
        );",
    )
    .map_err(DbError::Sqlite)?;
    let dirty: Option<i64> = tx
        .query_row(
            "SELECT version FROM _sqlx_migrations WHERE success = false ORDER BY version LIMIT 1",
            [],
            |r| r.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })
        .map_err(DbError::Sqlite)?;
    if let Some(version) = dirty {
        return Err(DbError::Migration(format!(
            "migration {version} is partially applied; fix and remove it from _sqlx_migrations"
        )));
    }
    let applied: Vec<(i64, Vec<u8>)> = {
        let mut stmt = tx
            .prepare("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
            .map_err(DbError::Sqlite)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(DbError::Sqlite)?;
        rows.collect::<Result<_, _>>().map_err(DbError::Sqlite)?
    };
    for migration in migrator.iter() {
        if migration.migration_type.is_down_migration() {
            continue;
        }
        if let Some((_, checksum)) = applied.iter().find(|(v, _)| *v == migration.version) {
            if checksum.as_slice() != &*migration.checksum {
                return Err(DbError::Migration(format!(
                    "migration {} was applied with different contents",
                    migration.version
                )));
            }
            continue;
        }
        let started = std::time::Instant::now();
        tx.execute_batch(&migration.sql).map_err(|e| {
            DbError::Migration(format!("migration {} failed: {e}", migration.version))
        })?;
        let elapsed = i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX);
        tx.execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
             execution_time) VALUES (?1, ?2, TRUE, ?3, ?4)",
            rusqlite::params![
                migration.version,
                &*migration.description,
                &*migration.checksum,
                elapsed
            ],
        )
        .map_err(DbError::Sqlite)?;
    }
    tx.commit().map_err(DbError::Sqlite)
}

impl ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Self::Int(v) => v.to_sql(),
            Self::Text(v) => v.to_sql(),
        }
    }
}

/// Binds `params` to `stmt`'s `$n` placeholders (`$n` is `params[n - 1]`, as on
/// PostgreSQL; SQLite numbers named parameters by first appearance, so the names are
/// read back).
pub(crate) fn bind(stmt: &mut rusqlite::Statement<'_>, params: &[Param]) -> rusqlite::Result<()> {
    for index in 1..=stmt.parameter_count() {
        let name = stmt.parameter_name(index).unwrap_or_default();
        let param = name
            .strip_prefix('$')
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| n.checked_sub(1))
            .and_then(|n| params.get(n))
            .ok_or_else(|| rusqlite::Error::InvalidParameterName(name.to_owned()))?;
        stmt.raw_bind_parameter(index, param)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(parse_url("sqlite::memory:").unwrap(), Location::Memory);
        assert_eq!(parse_url("sqlite://:memory:").unwrap(), Location::Memory);
        assert_eq!(
            parse_url("sqlite:///tmp/x/p.db?mode=rwc").unwrap(),
            Location::File {
                path: "/tmp/x/p.db".into(),
                create: true,
                read_only: false
            }
        );
        assert_eq!(
            parse_url("sqlite://data/p.db?mode=ro").unwrap(),
            Location::File {
                path: "data/p.db".into(),
                create: false,
                read_only: true
            }
        );
        assert!(matches!(
            parse_url("sqlite://p.db?cache=shared"),
            Err(DbError::SqliteUrl(_))
        ));
        assert!(matches!(parse_url("sqlite://"), Err(DbError::SqliteUrl(_))));
        assert!(matches!(
            parse_url("mysql://x"),
            Err(DbError::UnsupportedUrl)
        ));
    }
}
