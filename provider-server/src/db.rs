//! The database: SQLite (default, WAL) through rusqlite on the calling task, or
//! PostgreSQL through a sqlx pool, with the migrations of each under
//! `migrations/<backend>/` (sqlx's format and bookkeeping on both).
//!
//! All queries are written once, in the SQL both backends accept: `$n` parameters,
//! `TEXT` and 64-bit integers only. Flow state is consumed with conditional
//! `UPDATE … WHERE used_at IS NULL` statements whose affected-row count says who won,
//! so that concurrent redemptions — in one process or across instances sharing a
//! PostgreSQL — succeed exactly once.
//!
//! [`query`] and [`query_as`] build a statement the way sqlx does (`.bind(…)`, then
//! `.execute(&db)` / `.fetch_optional(&db)` …); [`Db::begin`] opens a transaction.

mod sqlite;

use std::sync::Arc;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{ConnectOptions as _, PgPool, Postgres};

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

/// Why the database could not be opened or a statement failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The URL names neither SQLite nor PostgreSQL.
    #[error("database URL must start with sqlite: or postgres://")]
    UnsupportedUrl,
    /// An SQLite URL this server does not understand.
    #[error("{0}")]
    SqliteUrl(String),
    /// Connecting to PostgreSQL failed.
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    /// Opening the SQLite file failed.
    #[error("cannot open the SQLite database: {0}")]
    SqliteOpen(#[source] rusqlite::Error),
    /// Applying the PostgreSQL migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// Applying the SQLite migrations failed.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// A PostgreSQL statement failed.
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    /// An SQLite statement failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The SQLite group commit an operation was part of failed; its changes are gone.
    #[error("database error: the commit failed")]
    Commit,
}

impl DbError {
    /// Whether SQLite reported the database busy or locked by another connection.
    #[must_use]
    pub fn is_busy(&self) -> bool {
        match self {
            Self::Sqlite(e) | Self::SqliteOpen(e) => sqlite::is_busy(e),
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
enum Inner {
    Sqlite(Arc<sqlite::Store>),
    Postgres(PgPool),
}

/// A connected, migrated database.
#[derive(Debug, Clone)]
pub struct Db {
    inner: Inner,
    /// The backend.
    pub backend: Backend,
    /// Recently read clients (see [`crate::clients::Cache`]).
    pub clients: Arc<crate::clients::Cache>,
}

impl Db {
    /// Connects to `url` (`sqlite:…` / `postgres://…`), creating an SQLite file and its
    /// folder if needed, switches SQLite to WAL and applies the migrations.
    ///
    /// # Errors
    /// [`DbError`].
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        let inner = if url.starts_with("sqlite:") {
            let location = sqlite::parse_url(url)?;
            // Opening and migrating touches the disk: off the async workers.
            let store = tokio::task::spawn_blocking(move || {
                sqlite::Store::open(&location, &SQLITE_MIGRATIONS)
            })
            .await
            .map_err(|e| DbError::Migration(format!("migration task failed: {e}")))??;
            Inner::Sqlite(Arc::new(store))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = url
                .parse::<PgConnectOptions>()
                .map_err(DbError::Connect)?
                .disable_statement_logging();
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .connect_with(options)
                .await
                .map_err(DbError::Connect)?;
            // sqlx serialises PostgreSQL migrations with an advisory lock.
            POSTGRES_MIGRATIONS
                .run(&pool)
                .await
                .map_err(DbError::Migrate)?;
            Inner::Postgres(pool)
        } else {
            return Err(DbError::UnsupportedUrl);
        };
        let backend = match inner {
            Inner::Sqlite(_) => Backend::Sqlite,
            Inner::Postgres(_) => Backend::Postgres,
        };
        Ok(Self {
            inner,
            backend,
            clients: Arc::default(),
        })
    }

    /// Opens a transaction: statements run in it with [`Query::execute_in`] /
    /// [`QueryAs::fetch_optional_in`]; it is rolled back unless [`Tx::commit`]ted.
    /// On SQLite it holds the process's connection (and the write lock) until then.
    ///
    /// # Errors
    /// [`DbError`].
    pub async fn begin(&self) -> Result<Tx, DbError> {
        Ok(Tx(match &self.inner {
            Inner::Sqlite(store) => TxInner::Sqlite(store.begin().await?),
            Inner::Postgres(pool) => TxInner::Postgres(pool.begin().await?),
        }))
    }

    /// A value from the `settings` table.
    ///
    /// # Errors
    /// [`DbError`].
    pub async fn setting(&self, name: &str) -> Result<Option<String>, DbError> {
        let row: Option<(String,)> = query_as("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(self)
            .await?;
        Ok(row.map(|r| r.0))
    }

    /// Stores `value` under `name` unless a value is already there (a concurrent
    /// first start of another instance wins); returns the stored value.
    ///
    /// # Errors
    /// [`DbError`].
    pub async fn setting_insert_or_get(&self, name: &str, value: &str) -> Result<String, DbError> {
        query("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(value)
            .execute(self)
            .await?;
        Ok(self
            .setting(name)
            .await?
            .unwrap_or_else(|| value.to_owned()))
    }
}

/// An open transaction ([`Db::begin`]).
#[derive(Debug)]
pub struct Tx(TxInner);

#[derive(Debug)]
enum TxInner {
    Sqlite(sqlite::SqliteTx),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    /// Commits.
    ///
    /// # Errors
    /// [`DbError`]; the transaction is rolled back.
    pub async fn commit(self) -> Result<(), DbError> {
        match self.0 {
            TxInner::Sqlite(tx) => tx.commit().await,
            TxInner::Postgres(tx) => Ok(tx.commit().await?),
        }
    }

    /// Rolls back (dropping the transaction does too).
    ///
    /// # Errors
    /// [`DbError`].
    pub async fn rollback(self) -> Result<(), DbError> {
        match self.0 {
            TxInner::Sqlite(tx) => {
                drop(tx);
                Ok(())
            }
            TxInner::Postgres(tx) => Ok(tx.rollback().await?),
        }
    }
}

/// A bound value: every column is `TEXT` or a 64-bit integer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// An integer or `NULL`.
    Int(Option<i64>),
    /// A text or `NULL`.
    Text(Option<String>),
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Self::Int(Some(v))
    }
}
impl From<Option<i64>> for Param {
    fn from(v: Option<i64>) -> Self {
        Self::Int(v)
    }
}
impl From<String> for Param {
    fn from(v: String) -> Self {
        Self::Text(Some(v))
    }
}
impl From<&String> for Param {
    fn from(v: &String) -> Self {
        Self::Text(Some(v.clone()))
    }
}
impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Self::Text(Some(v.to_owned()))
    }
}
impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Self {
        Self::Text(v)
    }
}
impl From<Option<&str>> for Param {
    fn from(v: Option<&str>) -> Self {
        Self::Text(v.map(str::to_owned))
    }
}
impl From<&Option<String>> for Param {
    fn from(v: &Option<String>) -> Self {
        Self::Text(v.clone())
    }
}

/// What a statement changed.
#[derive(Debug, Clone, Copy)]
pub struct Done(u64);

impl Done {
    /// Rows inserted, updated or deleted.
    #[must_use]
    pub fn rows_affected(&self) -> u64 {
        self.0
    }
}

/// A statement without result rows ([`query`]).
#[derive(Debug)]
#[must_use = "a query does nothing until executed"]
pub struct Query<'q> {
    sql: &'q str,
    params: Vec<Param>,
}

/// A statement whose rows decode into `T` ([`query_as`]).
#[derive(Debug)]
#[must_use = "a query does nothing until fetched"]
pub struct QueryAs<'q, T> {
    query: Query<'q>,
    row: std::marker::PhantomData<fn() -> T>,
}

/// A statement run for its effect.
pub fn query(sql: &str) -> Query<'_> {
    Query {
        sql,
        params: Vec::new(),
    }
}

/// A statement whose rows are tuples of [`Column`]s.
pub fn query_as<T: FromRow>(sql: &str) -> QueryAs<'_, T> {
    QueryAs {
        query: query(sql),
        row: std::marker::PhantomData,
    }
}

fn pg_query<'q>(
    sql: &'q str,
    params: &'q [Param],
) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
    params
        .iter()
        .fold(sqlx::query(sql), |q, param| match param {
            Param::Int(v) => q.bind(*v),
            Param::Text(v) => q.bind(v.as_deref()),
        })
}

fn sqlite_execute(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[Param],
) -> rusqlite::Result<u64> {
    let mut stmt = conn.prepare_cached(sql)?;
    sqlite::bind(&mut stmt, params)?;
    Ok(u64::try_from(stmt.raw_execute()?).unwrap_or(u64::MAX))
}

/// Whether a statement that returns rows may also change some (`UPDATE … RETURNING`):
/// anything but a plain `SELECT`.
fn may_write(sql: &str) -> bool {
    !sql.trim_start()
        .get(..7)
        .is_some_and(|w| w.eq_ignore_ascii_case("SELECT "))
}

fn sqlite_fetch<T: FromRow>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[Param],
    limit: usize,
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    sqlite::bind(&mut stmt, params)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while out.len() < limit {
        match rows.next()? {
            Some(row) => out.push(T::from_sqlite(row)?),
            None => break,
        }
    }
    Ok(out)
}

impl<'q> Query<'q> {
    /// Binds the next `$n`.
    pub fn bind(mut self, value: impl Into<Param>) -> Self {
        self.params.push(value.into());
        self
    }

    /// Runs the statement.
    ///
    /// # Errors
    /// [`DbError`].
    pub async fn execute(self, db: &Db) -> Result<Done, DbError> {
        match &db.inner {
            Inner::Sqlite(store) => store
                .with(true, |conn| sqlite_execute(conn, self.sql, &self.params))
                .await
                .map(Done),
            Inner::Postgres(pool) => Ok(Done(
                pg_query(self.sql, &self.params)
                    .execute(pool)
                    .await?
                    .rows_affected(),
            )),
        }
    }

    /// Runs the statement in `tx`.
    ///
    /// # Errors
    /// [`DbError`].
    pub async fn execute_in(self, tx: &mut Tx) -> Result<Done, DbError> {
        match &mut tx.0 {
            TxInner::Sqlite(tx) => sqlite_execute(tx.conn()?, self.sql, &self.params)
                .map(Done)
                .map_err(DbError::Sqlite),
            TxInner::Postgres(tx) => Ok(Done(
                pg_query(self.sql, &self.params)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected(),
            )),
        }
    }
}

impl<T: FromRow> QueryAs<'_, T> {
    /// Binds the next `$n`.
    pub fn bind(mut self, value: impl Into<Param>) -> Self {
        self.query = self.query.bind(value);
        self
    }

    async fn fetch(self, db: &Db, limit: usize) -> Result<Vec<T>, DbError> {
        let Query { sql, params } = self.query;
        match &db.inner {
            Inner::Sqlite(store) => {
                store
                    .with(may_write(sql), |conn| {
                        sqlite_fetch(conn, sql, &params, limit)
                    })
                    .await
            }
            Inner::Postgres(pool) => {
                let q = pg_query(sql, &params);
                let rows = if limit == 1 {
                    q.fetch_optional(pool).await?.into_iter().collect()
                } else {
                    q.fetch_all(pool).await?
                };
                Ok(rows.iter().map(T::from_pg).collect::<Result<Vec<_>, _>>()?)
            }
        }
    }

    /// The first row, if any.
    ///
    /// # Errors
    /// [`DbError`].
    pub async fn fetch_optional(self, db: &Db) -> Result<Option<T>, DbError> {
        Ok(self.fetch(db, 1).await?.into_iter().next())
    }

    /// The first row; no row is [`DbError::Query`] (`RowNotFound`).
    ///
    /// # Errors
    /// [`DbError`].
    pub async fn fetch_one(self, db: &Db) -> Result<T, DbError> {
        self.fetch_optional(db)
            .await?
            .ok_or(DbError::Query(sqlx::Error::RowNotFound))
    }

    /// Every row.
    ///
    /// # Errors
    /// [`DbError`].
    pub async fn fetch_all(self, db: &Db) -> Result<Vec<T>, DbError> {
        self.fetch(db, usize::MAX).await
    }

    /// The first row, if any, read in `tx`.
    ///
    /// # Errors
    /// [`DbError`].
    pub async fn fetch_optional_in(self, tx: &mut Tx) -> Result<Option<T>, DbError> {
        let Query { sql, params } = self.query;
        match &mut tx.0 {
            TxInner::Sqlite(tx) => Ok(sqlite_fetch(tx.conn()?, sql, &params, 1)?
                .into_iter()
                .next()),
            TxInner::Postgres(tx) => pg_query(sql, &params)
                .fetch_optional(&mut **tx)
                .await?
                .as_ref()
                .map(T::from_pg)
                .transpose()
                .map_err(DbError::Query),
        }
    }
}

/// A column type: what both backends decode (`TEXT`, 64-bit integers, and `NULL` as
/// `Option`).
pub trait Column:
    rusqlite::types::FromSql + for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>
{
}
impl<T> Column for T where
    T: rusqlite::types::FromSql + for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>
{
}

/// A result row as a tuple of [`Column`]s.
pub trait FromRow: Sized {
    /// From an SQLite row.
    ///
    /// # Errors
    /// A column of another type.
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
    /// From a PostgreSQL row.
    ///
    /// # Errors
    /// A column of another type.
    fn from_pg(row: &PgRow) -> Result<Self, sqlx::Error>;
}

macro_rules! tuple_from_row {
    ($($t:ident $i:tt),+) => {
        impl<$($t: Column),+> FromRow for ($($t,)+) {
            fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok(($(row.get::<_, $t>($i)?,)+))
            }
            fn from_pg(row: &PgRow) -> Result<Self, sqlx::Error> {
                use sqlx::Row as _;
                Ok(($(row.try_get::<$t, _>($i)?,)+))
            }
        }
    };
}
tuple_from_row!(A 0);
tuple_from_row!(A 0, B 1);
tuple_from_row!(A 0, B 1, C 2);
tuple_from_row!(A 0, B 1, C 2, D 3);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
