//! How Redis failures map onto [`StoreError`]: answers of the wrong shape are corruption (a key
//! was tampered with), everything else (connection trouble, timeouts, server errors) is worth
//! retrying.

use redis::{ErrorKind, RedisError};

use crate::store::StoreError;

impl From<RedisError> for StoreError {
    fn from(e: RedisError) -> Self {
        let corrupt = matches!(e.kind(), ErrorKind::Parse | ErrorKind::UnexpectedReturnType)
            || e.code() == Some("WRONGTYPE");
        if corrupt {
            StoreError::Corrupt(format!("redis: {e}"))
        } else {
            StoreError::Unavailable(format!("redis: {e}"))
        }
    }
}

/// A stored value that is not what this backend writes.
pub fn corrupt(what: &str, key: &str) -> StoreError {
    StoreError::Corrupt(format!("redis: {what} in {key}"))
}
