//! The database: one `sqlx::AnyPool` over SQLite (default, WAL) or PostgreSQL, with
//! the migrations of each under `migrations/<backend>/`.
//!
//! All queries are written once, in the SQL both backends accept: `$n` parameters
//! (SQLite reads `$1` as parameter 1), `TEXT` and 64-bit integers only. Flow state
//! is consumed with conditional `UPDATE … WHERE used_at IS NULL` statements whose
//! affected-row count says who won, so that concurrent redemptions — in one process
//! or across instances sharing a PostgreSQL — succeed exactly once.

use std::str::FromStr as _;
use std::sync::Arc;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions as _};

/// SQLite migrations.
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
/// PostgreSQL migrations.
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// `sqlite:…`
    Sqlite,
    /// `postgres://…` / `postgresql://…`
    Postgres,
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The URL names neither SQLite nor PostgreSQL.
    #[error("database URL must start with sqlite: or postgres://")]
    UnsupportedUrl,
    /// Connecting failed.
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    /// Applying the migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// A statement failed.
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
}

/// A connected, migrated database.
#[derive(Debug, Clone)]
pub struct Db {
    /// The pool.
    pub pool: AnyPool,
    /// The backend.
    pub backend: Backend,
    /// Recently read clients (see [`crate::clients::Cache`]).
    pub clients: Arc<crate::clients::Cache>,
}

impl Db {
    /// Connects to `url`, creating an SQLite file's directory if needed, switches
    /// SQLite to WAL and applies the migrations.
    ///
    /// # Errors
    /// [`DbError`].
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(DbError::UnsupportedUrl);
        };
        if backend == Backend::Sqlite {
            create_sqlite_dir(url);
        }
        let options = AnyConnectOptions::from_str(url)
            .map_err(DbError::Connect)?
            .disable_statement_logging();
        // SQLite has one writer, and a writer that finds it busy sleeps in SQLite's busy
        // handler (whole milliseconds). Measured with the load driver (BENCHMARKS.md):
        // 1 connection 280 logins/s, 2 connections 343/s, 4 connections 352/s for 18%
        // more CPU. Two let reads and the next statement's hand-off overlap a write.
        let max = if backend == Backend::Sqlite { 2 } else { 16 };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            // A ping before every acquire is one more round trip to SQLite's worker
            // thread per query; a broken connection fails its statement anyway.
            .test_before_acquire(backend != Backend::Sqlite)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL: readers do not block the writer; busy_timeout makes
                        // concurrent writers wait instead of failing.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 10000")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                        // 32 MiB of page cache (the default is 2 MiB).
                        sqlx::query("PRAGMA cache_size = -32768")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(DbError::Connect)?;
        match backend {
            // sqlx serialises PostgreSQL migrations with an advisory lock.
            Backend::Postgres => POSTGRES_MIGRATIONS
                .run(&pool)
                .await
                .map_err(DbError::Migrate)?,
            Backend::Sqlite => migrate_sqlite(&pool).await?,
        }
        Ok(Self {
            pool,
            backend,
            clients: Arc::default(),
        })
    }

    /// A value from the `settings` table.
    ///
    /// # Errors
    /// [`DbError::Query`].
    pub async fn setting(&self, name: &str) -> Result<Option<String>, DbError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.0))
    }

    /// Stores `value` under `name` unless a value is already there (a concurrent
    /// first start of another instance wins); returns the stored value.
    ///
    /// # Errors
    /// [`DbError::Query`].
    pub async fn setting_insert_or_get(&self, name: &str, value: &str) -> Result<String, DbError> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(self
            .setting(name)
            .await?
            .unwrap_or_else(|| value.to_owned()))
    }
}

/// Applies the SQLite migrations. sqlx takes no lock on SQLite, so two processes
/// starting on one new file (a server and a `client create`, two instances) race:
/// each applies a migration in its own transaction, and the one that waited for the
/// other's write lock fails on the table the other just created, rolling back. Such
/// a loser retries — by then the winner's migrations are recorded and skipped — a
/// few times before giving up with the error.
async fn migrate_sqlite(pool: &AnyPool) -> Result<(), DbError> {
    const ATTEMPTS: u32 = 10;
    let mut attempt = 1;
    loop {
        match SQLITE_MIGRATIONS.run(pool).await {
            Ok(()) => return Ok(()),
            Err(
                e @ (sqlx::migrate::MigrateError::Execute(_)
                | sqlx::migrate::MigrateError::ExecuteMigration(..)),
            ) if attempt < ATTEMPTS => {
                tracing::debug!(error = %e, attempt, "SQLite migration raced, retrying");
                tokio::time::sleep(std::time::Duration::from_millis(100 * u64::from(attempt)))
                    .await;
                attempt += 1;
            }
            Err(e) => return Err(DbError::Migrate(e)),
        }
    }
}

/// `sqlite://dir/file.db?…` → create `dir` (SQLite creates the file, not its folder).
fn create_sqlite_dir(url: &str) {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path.starts_with(":memory:") {
        return;
    }
    if let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        // A failure here shows up as a clear connect error right after.
        let _ = std::fs::create_dir_all(parent);
    }
}
