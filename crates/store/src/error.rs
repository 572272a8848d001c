use guichet_domain::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key is taken; names what (`email`, `name`, `email_domain`…).
    #[error("{0} is already taken")]
    Conflict(&'static str),
    /// A reference names nothing (an unknown product, company or user).
    #[error("{0} refers to nothing stored")]
    Dangling(&'static str),
    /// A row read back no longer parses into its domain type.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("unsupported database URL `{0}`: use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<Invalid> for StoreError {
    fn from(invalid: Invalid) -> Self {
        Self::Corrupt(invalid.message)
    }
}

/// Turns a unique-key violation into `Conflict(what)` and a foreign-key
/// violation into `Dangling(what)`.
pub(crate) fn constraint(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| match &error {
        sqlx::Error::Database(e) if e.is_unique_violation() => StoreError::Conflict(what),
        sqlx::Error::Database(e) if e.is_foreign_key_violation() => StoreError::Dangling(what),
        _ => StoreError::Database(error),
    }
}
