//! Reads on a small pool of read-only connections, run with `spawn_blocking` so SQLite never
//! blocks the async runtime. WAL lets them read while the writer commits; each read sees one
//! consistent snapshot (it runs in a read transaction).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use super::schema::open_reader;
use crate::store::{StoreError, StoreResult};

/// Idle read connections kept for reuse; more may be open while many reads run at once.
const MAX_IDLE: usize = 8;

pub struct Readers {
    /// The database file, for opening more connections.
    path: PathBuf,
    /// Connections not in use.
    idle: Arc<Mutex<Vec<Connection>>>,
}

impl Readers {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            idle: Arc::default(),
        }
    }

    /// Runs `f` in a read transaction on a pooled connection.
    pub async fn read<F, R>(&self, f: F) -> StoreResult<R>
    where
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
        R: Send + 'static,
    {
        let idle = self.idle.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let conn = match pooled {
                Some(c) => c,
                None => open_reader(&path)?,
            };
            let result = (|| {
                let tx = conn.unchecked_transaction()?;
                let r = f(&tx)?;
                tx.finish()?;
                Ok(r)
            })();
            let mut idle = idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("sqlite read task failed: {e}")))?
    }
}
