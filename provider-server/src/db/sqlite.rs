//! SQLite through rusqlite, run on the calling task.
//!
//! One connection per process, behind an async mutex. A statement is a few
//! microseconds of synchronous work on a prepared, cached statement, so it runs right
//! on the tokio worker that holds the lock: no hand-off to another thread and back,
//! which is what sqlx's SQLite driver does for every statement and what bounded the
//! login rate (see `docs/decisions.md`, "Performance"). Tasks waiting for the lock
//! wait asynchronously, without blocking a worker thread.
//!
//! **Group commit.** A commit is a WAL append plus SQLite's file locks (`fcntl`), and
//! every commit writes each page it touched, so commits dominate the cost of a write.
//! Every write opens or joins a *batch* (one `BEGIN IMMEDIATE`) instead of committing
//! on its own; each operation runs inside its own `SAVEPOINT` (an error rolls back
//! that operation only). The operation that is the batch's last when it finishes
//! yields to the scheduler once, so every task already runnable runs first and may
//! join, and then commits the batch if none did (else the newer last one does); a
//! batch is also committed once it is [`MAX_BATCH_OPS`] operations or
//! [`MAX_BATCH_AGE`] old. An operation of a batch returns only after the batch's
//! `COMMIT` succeeded, so no response ever depends on uncommitted state, and a failed
//! `COMMIT` fails every operation in it (nothing is acknowledged and then lost). A
//! task waiting for its batch's commit commits the batch itself after [`LINGER`] (the
//! operation that would have done it may have been cancelled). A read with no batch
//! open runs on its own.
//!
//! The connection never checkpoints the WAL itself (`wal_autocheckpoint = 0`): a
//! checkpoint writes and syncs the database file, which must not happen on a request
//! path. A background thread with its own connection checkpoints every 100 ms instead,
//! and once the WAL holds [`RESTART_FRAMES`] holds the connection for one pass so that
//! the WAL starts over (see [`start_checkpointer`]); it stops when the [`Store`] is
//! dropped.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use rusqlite::types::{ToSql, ToSqlOutput};
use rusqlite::{Connection, OpenFlags};
use sqlx::migrate::Migrator;
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

use super::{DbError, Param};

/// How long a write waits for another process's write lock (a CLI command, a second
/// instance on the same file) before failing. The wait is asynchronous: the
/// connection is released and the task sleeps between attempts
/// ([`BUSY_RETRY_FIRST`], doubling up to [`BUSY_RETRY_MAX`]), so a worker thread is
/// never held up by another process.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// The first pause between attempts to take the write lock.
const BUSY_RETRY_FIRST: Duration = Duration::from_micros(500);
/// The longest pause between attempts to take the write lock.
const BUSY_RETRY_MAX: Duration = Duration::from_millis(20);
/// How long SQLite itself may block a statement that finds the database busy; only
/// reads use it (a reader in WAL mode is refused only in rare moments, such as
/// another connection opening the WAL), since `BEGIN IMMEDIATE` does not
/// ([`Conn::open_batch`]).
const READ_BUSY_TIMEOUT: Duration = Duration::from_millis(20);
/// How often the background thread checkpoints the WAL.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(100);
/// WAL frames (pages) after which the checkpointer briefly holds up this process's
/// writes so that the WAL starts over (32 MiB with 4 KiB pages). The hold is a
/// checkpoint of what the last unlocked pass left, with its two fsyncs, then the
/// restart with the WAL header's: 2-7 ms under the login benchmark, 10-14 ms under the
/// token one; at full load it comes every 0.5-1 s, so a larger value trades WAL size
/// for fewer of these pauses.
const RESTART_FRAMES: i64 = 8192;
/// Prepared statements kept per connection (the server has about 80 distinct ones).
const STATEMENT_CACHE: usize = 256;
/// A batch is committed once it holds this many operations…
pub(crate) const MAX_BATCH_OPS: usize = 64;
/// …or is this old, even while more tasks are queued.
pub(crate) const MAX_BATCH_AGE: Duration = Duration::from_millis(2);
/// How long an operation waits for its batch's commit before committing it itself.
pub(crate) const LINGER: Duration = Duration::from_millis(5);

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
    shared: Shared,
    /// Dropping it stops the checkpoint thread.
    _checkpointer: Option<mpsc::Sender<()>>,
}

/// What operations and transactions share: the connection and the queue length.
#[derive(Debug, Clone)]
struct Shared {
    conn: Arc<Mutex<Conn>>,
    /// Tasks waiting for `conn`.
    waiting: Arc<AtomicUsize>,
}

/// The connection and its open batch, if any.
#[derive(Debug)]
struct Conn {
    conn: Connection,
    batch: Option<Batch>,
    /// Number of the next batch (tells a batch from a later one with as many ops).
    next_batch: u64,
    /// A batch this old commits at its next operation: [`MAX_BATCH_AGE`] (a field so
    /// that a test about which writes share a batch does not depend on how fast a
    /// loaded machine runs them).
    max_batch_age: Duration,
}

/// An open group-commit transaction.
#[derive(Debug)]
struct Batch {
    id: u64,
    ops: usize,
    started: Instant,
    /// `Some(committed)` once the batch is over.
    done: watch::Sender<Option<bool>>,
}

/// Counts a task as queued for the connection while it waits for the lock.
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn new(waiting: &'a AtomicUsize) -> Self {
        waiting.fetch_add(1, Ordering::AcqRel);
        Self(waiting)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What an operation waits for after releasing the connection: its batch's outcome,
/// and whether it was the batch's last operation so far (then it commits the batch
/// unless another operation joins first).
struct Pending {
    done: watch::Receiver<Option<bool>>,
    /// `(batch id, ops)` when this operation was the last one of the open batch.
    tail: Option<(u64, usize)>,
}

impl Conn {
    /// Makes sure a batch is open. Taking the write lock does not wait inside SQLite:
    /// a lock held by another process is `SQLITE_BUSY` at once, for the caller to
    /// retry asynchronously ([`Shared::lock_for_write`]).
    fn open_batch(&mut self) -> rusqlite::Result<()> {
        if self.batch.is_none() {
            self.conn.busy_timeout(Duration::ZERO)?;
            let begun = exec(&self.conn, "BEGIN IMMEDIATE");
            self.conn.busy_timeout(READ_BUSY_TIMEOUT)?;
            begun?;
            self.next_batch += 1;
            self.batch = Some(Batch {
                id: self.next_batch,
                ops: 0,
                started: Instant::now(),
                done: watch::channel(None).0,
            });
        }
        Ok(())
    }

    /// Commits the open batch (if any) and tells its operations how it went.
    fn commit_batch(&mut self) {
        if let Some(batch) = self.batch.take() {
            // An I/O or full-disk error inside the batch may have made SQLite roll the
            // whole transaction back already: then there is nothing to commit.
            let ok = !self.conn.is_autocommit() && exec(&self.conn, "COMMIT").is_ok();
            if !ok {
                if !self.conn.is_autocommit() {
                    let _ = self.conn.execute_batch("ROLLBACK");
                }
                tracing::error!("SQLite group commit failed; its operations report an error");
            }
            batch.done.send_replace(Some(ok));
        }
    }

    /// Counts an operation into the open batch, commits it if it is full or old, and
    /// returns what the operation must wait for (`None`: no batch, nothing to wait for).
    fn end_op(&mut self) -> Option<Pending> {
        if self.batch.is_some() && self.conn.is_autocommit() {
            // SQLite rolled the batch back on an error: fail it now.
            self.commit_batch();
        }
        let batch = self.batch.as_mut()?;
        batch.ops += 1;
        let done = batch.done.subscribe();
        if batch.ops >= MAX_BATCH_OPS || batch.started.elapsed() >= self.max_batch_age {
            self.commit_batch();
            return Some(Pending { done, tail: None });
        }
        let tail = Some((batch.id, batch.ops));
        Some(Pending { done, tail })
    }

    /// Commits the open batch if it is still `tail`'s (no operation joined since).
    fn commit_if_tail(&mut self, tail: (u64, usize)) {
        if self.batch.as_ref().is_some_and(|b| (b.id, b.ops) == tail) {
            self.commit_batch();
        }
    }
}

/// Whether SQLite refused a statement because another connection holds a lock.
pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// One statement without parameters or rows, prepared once.
fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// Runs `f` inside a savepoint, rolling back only its own changes if it fails.
fn in_savepoint<R>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> rusqlite::Result<R>,
) -> rusqlite::Result<R> {
    exec(conn, "SAVEPOINT op")?;
    match f(conn).and_then(|v| exec(conn, "RELEASE op").map(|()| v)) {
        Ok(v) => Ok(v),
        Err(e) => {
            // Whatever failed (the operation or the release), its changes go.
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK TO op; RELEASE op");
            }
            Err(e)
        }
    }
}

impl Shared {
    async fn lock(&self) -> tokio::sync::MutexGuard<'_, Conn> {
        let _queued = Queued::new(&self.waiting);
        self.conn.lock().await
    }

    async fn lock_owned(&self) -> OwnedMutexGuard<Conn> {
        let _queued = Queued::new(&self.waiting);
        Arc::clone(&self.conn).lock_owned().await
    }

    /// The connection with a batch open (the write lock taken), waiting
    /// asynchronously while another process holds the write lock, for up to
    /// [`BUSY_TIMEOUT`].
    async fn lock_for_write(&self) -> Result<OwnedMutexGuard<Conn>, DbError> {
        let deadline = Instant::now() + BUSY_TIMEOUT;
        let mut pause = BUSY_RETRY_FIRST;
        loop {
            let mut c = self.lock_owned().await;
            match c.open_batch() {
                Ok(()) => return Ok(c),
                Err(e) if is_busy(&e) && Instant::now() + pause < deadline => {
                    drop(c);
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(BUSY_RETRY_MAX);
                }
                Err(e) => return Err(DbError::Sqlite(e)),
            }
        }
    }

    fn nobody_queued(&self) -> bool {
        self.waiting.load(Ordering::Acquire) == 0
    }

    /// Waits until the batch an operation ran in is committed. The last operation of
    /// a batch first lets every task already runnable on its worker run (they may
    /// join the batch), then commits it if none did.
    async fn await_commit(&self, pending: Option<Pending>) -> Result<(), DbError> {
        let Some(Pending { mut done, tail }) = pending else {
            return Ok(());
        };
        if let Some(tail) = tail {
            tokio::task::yield_now().await;
            if done.borrow().is_none() {
                self.lock().await.commit_if_tail(tail);
            }
        }
        loop {
            if let Some(ok) = *done.borrow_and_update() {
                return if ok { Ok(()) } else { Err(DbError::Commit) };
            }
            match tokio::time::timeout(LINGER, done.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return Err(DbError::Commit),
                // Whoever should have committed is gone (cancelled): batches are
                // sequential, so the open one is ours.
                Err(_) => self.lock().await.commit_batch(),
            }
        }
    }
}

impl Store {
    /// Opens (creating the folder and file if `mode` allows), configures WAL and
    /// applies the migrations.
    ///
    /// # Errors
    /// [`DbError`].
    pub(crate) fn open(location: &Location, migrator: &Migrator) -> Result<Self, DbError> {
        // Two processes opening one new file at once (two instances, a server and a
        // CLI command): switching to WAL needs a lock SQLite will not wait for while the
        // other migrates, so a busy open is retried (by then the other is done).
        const ATTEMPTS: u32 = 50;
        let mut attempt = 1;
        let conn = loop {
            match open_and_migrate(location, migrator) {
                Err(e) if e.is_busy() && attempt < ATTEMPTS => {
                    tracing::debug!(error = %e, attempt, "SQLite database busy while opening");
                    std::thread::sleep(Duration::from_millis(20 * u64::from(attempt.min(10))));
                    attempt += 1;
                }
                other => break other?,
            }
        };
        let shared = Shared {
            conn: Arc::new(Mutex::new(Conn {
                conn,
                batch: None,
                next_batch: 0,
                max_batch_age: MAX_BATCH_AGE,
            })),
            waiting: Arc::default(),
        };
        let checkpointer = match location {
            Location::File {
                path,
                read_only: false,
                ..
            } => Some(start_checkpointer(path.clone(), shared.clone())),
            _ => None,
        };
        Ok(Self {
            shared,
            _checkpointer: checkpointer,
        })
    }

    /// Runs `f` (one statement: several are atomic together only in a
    /// [`Store::begin`] transaction) on the connection; returns once its changes are
    /// committed. `writes`: whether `f` may change anything (a read outside a batch
    /// runs on its own, with nothing to commit).
    pub(crate) async fn with<R>(
        &self,
        writes: bool,
        f: impl FnOnce(&Connection) -> rusqlite::Result<R>,
    ) -> Result<R, DbError> {
        let shared = &self.shared;
        let (result, pending) = {
            let mut c = {
                let c = shared.lock_owned().await;
                if !writes && c.batch.is_none() {
                    return f(&c.conn).map_err(DbError::Sqlite);
                }
                if c.batch.is_some() {
                    c
                } else {
                    drop(c);
                    shared.lock_for_write().await?
                }
            };
            let result = in_savepoint(&c.conn, f);
            let pending = c.end_op();
            (result, pending)
        };
        shared.await_commit(pending).await?;
        result.map_err(DbError::Sqlite)
    }

    /// Starts a transaction: a savepoint in the open batch (opening one if needed).
    /// It holds the connection until committed or dropped (dropping rolls it back).
    pub(crate) async fn begin(&self) -> Result<SqliteTx, DbError> {
        let conn = self.shared.lock_for_write().await?;
        conn.conn
            .execute_batch("SAVEPOINT tx")
            .map_err(DbError::Sqlite)?;
        Ok(SqliteTx {
            conn: Some(conn),
            shared: self.shared.clone(),
        })
    }
}

/// An open SQLite transaction (a savepoint in a batch); rolled back when dropped
/// without [`SqliteTx::commit`].
#[derive(Debug)]
pub(crate) struct SqliteTx {
    conn: Option<OwnedMutexGuard<Conn>>,
    shared: Shared,
}

impl SqliteTx {
    pub(crate) fn conn(&self) -> Result<&Connection, DbError> {
        self.conn.as_ref().map(|c| &c.conn).ok_or(DbError::Commit)
    }

    /// Commits: releases the savepoint and waits for the batch's commit.
    pub(crate) async fn commit(mut self) -> Result<(), DbError> {
        let Some(mut c) = self.conn.take() else {
            return Err(DbError::Commit);
        };
        if let Err(e) = c.conn.execute_batch("RELEASE tx") {
            if !c.conn.is_autocommit() {
                let _ = c.conn.execute_batch("ROLLBACK TO tx; RELEASE tx");
            }
            let pending = c.end_op();
            drop(c);
            // Its batch may hold other operations: see that it gets committed.
            let _ = self.shared.await_commit(pending).await;
            return Err(DbError::Sqlite(e));
        }
        let pending = c.end_op();
        drop(c);
        self.shared.await_commit(pending).await
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if let Some(mut c) = self.conn.take() {
            if c.conn.is_autocommit() {
                // SQLite already rolled back (an I/O error): the batch is lost.
                c.commit_batch();
            } else {
                let _ = c.conn.execute_batch("ROLLBACK TO tx; RELEASE tx");
                // Its batch may hold operations waiting for a commit that no later
                // operation will do: commit it unless someone is queued to join.
                if self.shared.nobody_queued() {
                    c.commit_batch();
                }
            }
        }
    }
}

fn open_and_migrate(location: &Location, migrator: &Migrator) -> Result<Connection, DbError> {
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
    Ok(conn)
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
    conn.busy_timeout(READ_BUSY_TIMEOUT)
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
///
/// A passive checkpoint copies what was committed when it started, but under a steady
/// write load new frames arrive meanwhile, the WAL is never fully copied, and SQLite
/// never starts it over: it grows without bound, and every append lands in new file
/// pages the kernel must allocate and zero (measured: a fifth of the provider's CPU
/// at the token endpoint). So after the unlocked pass, the thread takes the
/// process's connection for a second pass over the few frames appended since — a
/// short pause for requests — and then starts the WAL over from the beginning, in
/// file pages that are already there ([`restart_wal`], so that the restart's `fsync`
/// happens on this thread, not on a request's).
fn start_checkpointer(path: PathBuf, shared: Shared) -> mpsc::Sender<()> {
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
            // Whether the pass copied every frame, and how many frames the WAL holds.
            let checkpoint = || -> rusqlite::Result<(bool, i64)> {
                // (busy, frames in the WAL, frames checkpointed)
                let (busy, log, done): (i64, i64, i64) =
                    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })?;
                Ok((busy == 0 && log == done, log))
            };
            loop {
                match stopped.recv_timeout(CHECKPOINT_INTERVAL) {
                    Err(RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
                // A batch left open with nobody to commit it (its last holder was a
                // transaction that was dropped while the task queued behind it was
                // cancelled) would keep SQLite's write lock from other processes.
                // Whoever holds the connection is between operations, so committing
                // is safe.
                if let Ok(mut main) = shared.conn.try_lock()
                    && main.batch.is_some()
                {
                    main.commit_batch();
                }
                let result = checkpoint().and_then(|(complete, frames)| {
                    // SQLite starts the WAL over only when a write transaction begins
                    // with every frame copied back. Under steady writes a pass never
                    // ends between one batch's commit and the next one's begin, so
                    // the WAL would grow without end. Once it holds RESTART_FRAMES,
                    // one pass with no write of this process in between lets the next
                    // transaction restart it.
                    if frames < RESTART_FRAMES {
                        return Ok(());
                    }
                    // A second pass, still without the lock, copies and syncs what was
                    // written during the first, so that the locked pass (which holds
                    // up every operation) has little left to do.
                    if !complete {
                        checkpoint()?;
                    }
                    let mut main = shared.conn.blocking_lock();
                    // An open batch would keep its frames from the pass: end it.
                    main.commit_batch();
                    let (complete, _) = checkpoint()?;
                    if complete {
                        restart_wal(&main.conn)?;
                    }
                    Ok(())
                });
                if let Err(e) = result {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the WAL checkpoint thread");
    }
    stop
}

/// Starts the WAL over from this thread, on the process's connection (which the
/// caller holds, so no batch is open): a write of the header page's `user_version`
/// to itself. SQLite restarts a fully checkpointed WAL with the first frame a write
/// transaction appends, and with `synchronous = NORMAL` it `fsync`s the WAL header
/// then (so that frames written after a restart cannot be mistaken for old ones).
/// Left to the next request's write, that `fsync` (milliseconds while the kernel
/// writes back the WAL) would stall a Tokio worker thread and every task queued on it.
/// Another process holding the write lock (a CLI command) is no error: the next
/// write then restarts the WAL, as it would without this.
fn restart_wal(conn: &Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    match conn.execute_batch(&format!("PRAGMA user_version = {version}")) {
        Err(e) if is_busy(&e) => Ok(()),
        other => other,
    }
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

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let location = Location::File {
            path: dir.path().join("t.db"),
            create: true,
            read_only: false,
        };
        let store = Store::open(&location, &super::super::SQLITE_MIGRATIONS).unwrap();
        (dir, store)
    }

    fn insert(name: String) -> impl FnOnce(&Connection) -> rusqlite::Result<usize> {
        move |c| {
            c.execute(
                "INSERT INTO settings (name, value) VALUES (?1, 'v')",
                [name],
            )
        }
    }

    async fn count(store: &Store) -> i64 {
        store
            .with(false, |c| {
                c.query_row("SELECT COUNT(*) FROM settings", [], |r| r.get(0))
            })
            .await
            .unwrap()
    }

    /// Another process holding the write lock (here: another connection on another
    /// thread) delays a write without blocking the worker it runs on: on a
    /// single-threaded runtime, a timer task keeps ticking meanwhile. Once the lock
    /// is released the write goes through, and a transaction as well.
    #[tokio::test(flavor = "current_thread")]
    async fn a_write_waiting_for_another_process_does_not_block_the_runtime() {
        let (dir, store) = store().await;
        let path = dir.path().join("t.db");
        let (locked, is_locked) = std::sync::mpsc::channel();
        let holder = std::thread::spawn(move || {
            let other = Connection::open(path).unwrap();
            other.execute_batch("BEGIN IMMEDIATE").unwrap();
            locked.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(400));
            other.execute_batch("COMMIT").unwrap();
        });
        is_locked.recv().unwrap();
        let started = Instant::now();
        let ticks = Arc::new(AtomicUsize::new(0));
        let ticker = {
            let ticks = Arc::clone(&ticks);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    ticks.fetch_add(1, Ordering::Relaxed);
                }
            })
        };
        store.with(true, insert("late".into())).await.unwrap();
        let waited = started.elapsed();
        ticker.abort();
        holder.join().unwrap();
        assert!(waited >= Duration::from_millis(300), "{waited:?}");
        // About 40 ticks of 10 ms fit in the wait; a blocked runtime gives none.
        assert!(ticks.load(Ordering::Relaxed) >= 10, "{ticks:?}");
        let tx = store.begin().await.unwrap();
        insert("in tx".into())(tx.conn().unwrap()).unwrap();
        tx.commit().await.unwrap();
        assert_eq!(count(&store).await, 2);
    }

    /// A write lock another process never releases fails the write with
    /// `SQLITE_BUSY` after [`BUSY_TIMEOUT`], leaving nothing behind.
    #[tokio::test(flavor = "current_thread")]
    async fn a_write_lock_held_elsewhere_for_too_long_fails_as_busy() {
        let (dir, store) = store().await;
        let other = Connection::open(dir.path().join("t.db")).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let started = Instant::now();
        let err = store.with(true, insert("never".into())).await.unwrap_err();
        assert!(err.is_busy(), "{err}");
        assert!(
            started.elapsed() >= BUSY_TIMEOUT - BUSY_RETRY_MAX,
            "{:?}",
            started.elapsed()
        );
        other.execute_batch("ROLLBACK").unwrap();
        assert_eq!(count(&store).await, 0);
        assert!(store.shared.conn.lock().await.batch.is_none());
    }

    /// Many concurrent writers, some failing: every success is committed, no failure
    /// takes another operation's changes with it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_operations_commit_exactly_their_own_changes() {
        let (_dir, store) = store().await;
        let store = Arc::new(store);
        store.with(true, insert("dup".into())).await.unwrap();
        let before = count(&store).await;
        let mut tasks = Vec::new();
        for i in 0..400 {
            let store = Arc::clone(&store);
            tasks.push(tokio::spawn(async move {
                // Every 10th collides with an existing key and must fail alone.
                let name = if i % 10 == 0 {
                    "dup".to_owned()
                } else {
                    format!("k{i}")
                };
                store.with(true, insert(name)).await.is_ok()
            }));
        }
        let mut ok = 0;
        for t in tasks {
            if t.await.unwrap() {
                ok += 1;
            }
        }
        assert_eq!(ok, 360);
        assert_eq!(count(&store).await, before + 360);
        // Nothing is left open: another connection sees every row.
        let conn = Connection::open(_dir.path().join("t.db")).unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM settings", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, before + 360);
    }

    /// A full disk in the middle of batches (SQLITE_FULL, forced with a page limit):
    /// every operation that reported success is in the database, none that reported
    /// an error is — nothing acknowledged is lost, nothing refused is half-written.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_disk_loses_nothing_acknowledged() {
        let (dir, store) = store().await;
        let store = Arc::new(store);
        let pages: i64 = store
            .with(false, |c| {
                c.query_row("PRAGMA page_count", [], |r| r.get(0))
            })
            .await
            .unwrap();
        store
            .with(true, move |c| {
                c.query_row(
                    &format!("PRAGMA max_page_count = {}", pages + 40),
                    [],
                    |_| Ok(()),
                )
            })
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for i in 0..400 {
            let store = Arc::clone(&store);
            tasks.push(tokio::spawn(async move {
                let name = format!("k{i}");
                let value = "v".repeat(1500);
                let ok = store
                    .with(true, {
                        let name = name.clone();
                        move |c| {
                            c.execute(
                                "INSERT INTO settings (name, value) VALUES (?1, ?2)",
                                [name, value],
                            )
                        }
                    })
                    .await
                    .is_ok();
                (name, ok)
            }));
        }
        let mut acknowledged = std::collections::BTreeSet::new();
        let mut refused = 0;
        for t in tasks {
            match t.await.unwrap() {
                (name, true) => {
                    acknowledged.insert(name);
                }
                (_, false) => refused += 1,
            }
        }
        assert!(refused > 0, "the page limit was never reached");
        assert!(!acknowledged.is_empty());
        let other = Connection::open(dir.path().join("t.db")).unwrap();
        let mut stmt = other
            .prepare("SELECT name FROM settings WHERE name LIKE 'k%'")
            .unwrap();
        let stored: std::collections::BTreeSet<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(stored, acknowledged);
    }

    /// Transactions in a batch: a dropped one leaves nothing, a committed one all.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn transactions_inside_batches_are_atomic() {
        let (_dir, store) = store().await;
        let store = Arc::new(store);
        let mut tasks = Vec::new();
        for i in 0..100 {
            let store = Arc::clone(&store);
            tasks.push(tokio::spawn(async move {
                let tx = store.begin().await.unwrap();
                for j in 0..3 {
                    tx.conn()
                        .unwrap()
                        .execute(
                            "INSERT INTO settings (name, value) VALUES (?1, 'v')",
                            [format!("t{i}-{j}")],
                        )
                        .unwrap();
                }
                if i % 2 == 0 {
                    tx.commit().await.unwrap();
                } else {
                    drop(tx);
                }
                // Plain operations interleave with the transactions.
                store.with(true, insert(format!("p{i}"))).await.unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(count(&store).await, 50 * 3 + 100);
    }

    /// A batch left open with no operation waiting is committed by the checkpoint
    /// thread, so SQLite's write lock is not held for ever.
    #[tokio::test]
    async fn an_idle_open_batch_is_committed_in_the_background() {
        let (dir, store) = store().await;
        {
            let mut c = store.shared.lock().await;
            c.open_batch().unwrap();
            in_savepoint(&c.conn, insert("x".into())).unwrap();
        }
        tokio::time::sleep(CHECKPOINT_INTERVAL * 4).await;
        assert!(store.shared.conn.lock().await.batch.is_none());
        let other = Connection::open(dir.path().join("t.db")).unwrap();
        let n: i64 = other
            .query_row("SELECT COUNT(*) FROM settings", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    /// A batch whose committer went away is committed by a waiting operation.
    #[tokio::test]
    async fn an_abandoned_batch_is_committed_by_its_waiters() {
        let (_dir, store) = store().await;
        let first = {
            let mut c = store.shared.lock().await;
            c.open_batch().unwrap();
            in_savepoint(&c.conn, insert("x".into())).unwrap();
            let first = c.end_op();
            // A second operation joins, so the first is no longer the one to commit…
            in_savepoint(&c.conn, insert("y".into())).unwrap();
            let second = c.end_op();
            // …and the second's task is cancelled before it commits.
            drop(second);
            first
        };
        assert!(store.shared.conn.lock().await.batch.is_some());
        store.shared.await_commit(first).await.unwrap();
        assert!(store.shared.conn.lock().await.batch.is_none());
        assert_eq!(count(&store).await, 2);
    }

    /// Writes from tasks that are runnable at the same time share one commit, even
    /// with nobody queued for the connection when each one ran: the last one commits
    /// after letting the others run. (The test runtime has one thread, so all of
    /// them are runnable before the first one's commit.)
    #[tokio::test]
    async fn writers_runnable_together_share_one_commit() {
        let (_dir, store) = store().await;
        let store = Arc::new(store);
        let first_batch = {
            let mut c = store.shared.conn.lock().await;
            // Only the sharing is tested here, not the age limit: on a loaded machine
            // ten inserts may take longer than MAX_BATCH_AGE.
            c.max_batch_age = Duration::from_secs(60);
            c.next_batch + 1
        };
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.with(true, insert(format!("w{i}"))).await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(count(&store).await, 10);
        let c = store.shared.conn.lock().await;
        assert!(c.batch.is_none());
        assert_eq!(c.next_batch, first_batch, "one batch for all ten writes");
    }

    /// Under writes that never pause, the WAL still starts over: its file ends far
    /// smaller than what was written through it. (How far above RESTART_FRAMES it
    /// gets depends on how much is written between two checkpointer runs.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_stays_bounded_under_continuous_writes() {
        let (dir, store) = store().await;
        let store = Arc::new(store);
        // Each insert carries most of a page, so pages written ≥ inserts.
        let value = "v".repeat(3000);
        // 16 × RESTART_FRAMES inserts, at least 16 times the WAL restart size.
        let target = usize::try_from(RESTART_FRAMES).unwrap() * 16;
        let written = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|t| {
                let (store, value, written) =
                    (Arc::clone(&store), value.clone(), Arc::clone(&written));
                tokio::spawn(async move {
                    let mut i = 0;
                    while written.load(Ordering::Relaxed) < target {
                        let (name, value) = (format!("{t}-{i}"), value.clone());
                        store
                            .with(true, move |c| {
                                c.execute(
                                    "INSERT INTO settings (name, value) VALUES (?1, ?2)",
                                    [name, value],
                                )
                            })
                            .await
                            .unwrap();
                        written.fetch_add(1, Ordering::Relaxed);
                        i += 1;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let wal = std::fs::metadata(dir.path().join("t.db-wal"))
            .unwrap()
            .len();
        // Every insert appended at least one 4 KiB frame.
        let written = u64::try_from(target).unwrap() * 4096;
        assert!(
            wal * 3 < written,
            "WAL file {wal} bytes after at least {written} bytes written through it"
        );
    }

    /// `restart_wal` after a complete checkpoint starts the WAL over: it then holds
    /// the one frame of the header page, not the frames before plus one; and
    /// `user_version` keeps its value.
    #[tokio::test]
    async fn restart_wal_starts_the_wal_over() {
        let (dir, store) = store().await;
        for i in 0..50 {
            store
                .with(true, move |c| {
                    c.execute(
                        "INSERT INTO settings (name, value) VALUES (?1, 'v')",
                        [format!("r{i}")],
                    )
                })
                .await
                .unwrap();
        }
        let main = store.shared.conn.lock().await;
        let frames = |c: &Connection| -> (i64, i64) {
            c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((r.get(1)?, r.get(2)?))
            })
            .unwrap()
        };
        let other = Connection::open(dir.path().join("t.db")).unwrap();
        let (log, done) = frames(&other);
        assert!(log > 1, "the writes left {log} frames");
        assert_eq!(
            log, done,
            "nothing else writes, so the checkpoint is complete"
        );
        let version: i64 = main
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        restart_wal(&main.conn).unwrap();
        assert_eq!(frames(&other), (1, 1), "the WAL started over");
        let after: i64 = main
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(after, version);
    }

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
