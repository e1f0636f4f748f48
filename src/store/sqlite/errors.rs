//! How SQLite failures map onto [`StoreError`]: bad stored values are corruption, values that
//! cannot be bound are bad input, the rest (I/O, locking, a full disk) is worth retrying.

use rusqlite::Error;

use crate::store::StoreError;

impl From<Error> for StoreError {
    fn from(e: Error) -> Self {
        match e {
            Error::FromSqlConversionFailure(..)
            | Error::IntegralValueOutOfRange(..)
            | Error::InvalidColumnType(..)
            | Error::Utf8Error(..) => StoreError::Corrupt(format!("sqlite: {e}")),
            Error::ToSqlConversionFailure(..) => StoreError::Invalid(format!("sqlite: {e}")),
            other => StoreError::Unavailable(format!("sqlite: {other}")),
        }
    }
}
