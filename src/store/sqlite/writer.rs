//! The single SQLite writer: a dedicated thread owns the read-write connection; writes arrive
//! over a channel and are committed in batches (group commit), one transaction per batch, each
//! write in its own savepoint so one failing write does not undo the others. A write's future
//! resolves only after the batch holding it committed.

use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::store::{StoreError, StoreResult};

/// Most writes committed in one transaction.
const MAX_BATCH: usize = 1024;
/// Writes waiting for the writer before callers wait to hand theirs over.
const CHANNEL_CAPACITY: usize = 8192;

/// One write, type-erased so one channel carries them all.
trait WriteOp: Send {
    /// Runs inside the batch's transaction; true if it succeeded (its savepoint is kept).
    fn run(&mut self, conn: &Connection) -> bool;
    /// Reports the result once the batch committed (or failed with `Err`).
    fn finish(self: Box<Self>, commit: Result<(), String>);
}

struct Typed<F, R> {
    /// The write, until it runs.
    f: Option<F>,
    /// Its result, until the batch commits.
    result: Option<StoreResult<R>>,
    /// Where the caller waits.
    reply: oneshot::Sender<StoreResult<R>>,
}

impl<F, R> WriteOp for Typed<F, R>
where
    F: FnOnce(&Connection) -> StoreResult<R> + Send,
    R: Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(f) = self.f.take() else {
            return false;
        };
        let result = f(conn);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, commit: Result<(), String>) {
        let out = match (commit, self.result) {
            (Err(e), _) => Err(StoreError::Unavailable(format!(
                "sqlite commit failed: {e}"
            ))),
            (Ok(()), Some(r)) => r,
            (Ok(()), None) => Err(StoreError::Unavailable("sqlite write did not run".into())),
        };
        // The caller may have given up waiting; nothing to do then.
        let _ = self.reply.send(out);
    }
}

/// The handle to the writer thread.
pub struct Writer {
    /// Where writes go; `None` once closed.
    tx: Option<mpsc::Sender<Box<dyn WriteOp>>>,
    /// The thread, joined by [`Writer::close`].
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub fn start(conn: Connection) -> StoreResult<Self> {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, rx))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the sqlite writer: {e}")))?;
        Ok(Self {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Runs `f` in the writer's next transaction; resolves after that transaction committed.
    pub async fn write<F, R>(&self, f: F) -> StoreResult<R>
    where
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
        R: Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let op = Box::new(Typed {
            f: Some(f),
            result: None,
            reply,
        });
        let tx = self.tx.as_ref().ok_or_else(stopped)?;
        tx.send(op).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// False once the writer thread has stopped.
    pub fn is_running(&self) -> bool {
        self.tx.as_ref().is_some_and(|tx| !tx.is_closed())
    }

    /// Lets the writer commit what is queued, checkpoint the WAL and stop; waits for it.
    pub async fn close(&mut self) -> StoreResult<()> {
        self.tx = None;
        if let Some(thread) = self.thread.take() {
            tokio::task::spawn_blocking(move || thread.join())
                .await
                .map_err(|e| StoreError::Unavailable(format!("joining the sqlite writer: {e}")))?
                .map_err(|_| StoreError::Unavailable("the sqlite writer panicked".into()))?;
        }
        Ok(())
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the sqlite writer has stopped".into())
}

fn run(conn: Connection, mut rx: mpsc::Receiver<Box<dyn WriteOp>>) {
    let mut batch: Vec<Box<dyn WriteOp>> = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let size = batch.len();
        let commit = commit_batch(&conn, &mut batch).map_err(|e| e.to_string());
        if let Err(e) = &commit {
            tracing::warn!(size, error = %e, "sqlite batch failed");
        }
        for op in batch.drain(..) {
            op.finish(commit.clone());
        }
    }
    // All handles dropped: every accepted write has been committed. Fold the WAL back into the
    // database file so the next open starts clean.
    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
        tracing::warn!(error = %e, "sqlite checkpoint on close failed");
    }
}

fn commit_batch(conn: &Connection, batch: &mut [Box<dyn WriteOp>]) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = run_ops(conn, batch).and_then(|()| conn.execute_batch("COMMIT"));
    if result.is_err() {
        // Already rolled back if COMMIT itself failed; the error to report is the first one.
        let _ = conn.execute_batch("ROLLBACK");
    }
    result
}

fn run_ops(conn: &Connection, batch: &mut [Box<dyn WriteOp>]) -> rusqlite::Result<()> {
    for op in batch.iter_mut() {
        conn.execute_batch("SAVEPOINT op")?;
        if op.run(conn) {
            conn.execute_batch("RELEASE op")?;
        } else {
            conn.execute_batch("ROLLBACK TO op; RELEASE op")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_write_does_not_undo_the_others_in_its_batch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY)")
            .unwrap();
        let writer = Arc::new(Writer::start(conn).unwrap());
        // 400 concurrent writes land in a few batches; every tenth inserts id 0 again, which
        // fails after the first time (and must only lose that write).
        let tasks: Vec<_> = (0..400i64)
            .map(|i| {
                let w = writer.clone();
                tokio::spawn(async move {
                    let id = if i % 10 == 0 { 0 } else { i };
                    w.write(move |c| Ok(c.execute("INSERT INTO t (id) VALUES (?1)", [id])?))
                        .await
                })
            })
            .collect();
        let mut failed = 0;
        for t in tasks {
            if t.await.unwrap().is_err() {
                failed += 1;
            }
        }
        assert_eq!(failed, 39, "all but the first duplicate fail");
        let count: i64 = writer
            .write(|c| Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(count, 361);
        let mut writer = Arc::into_inner(writer).unwrap();
        writer.close().await.unwrap();
        assert!(!writer.is_running());
        assert!(matches!(
            writer.write(|_| Ok(())).await,
            Err(StoreError::Unavailable(_))
        ));
    }
}
