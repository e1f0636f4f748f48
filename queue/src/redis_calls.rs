//! The script calls `RedisQueue` makes, with their argument packing and reply decoding, and the
//! group commit of enqueues: concurrent `enqueue` calls share one script call, so a busy ingress
//! costs Redis one round trip per batch instead of one per message.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{BufMut, Bytes, BytesMut};
use redis::{Cmd, Value};
use tokio::sync::{mpsc, oneshot};

use crate::clock::Clock;
use crate::core::{Ack, Enqueued, Lease, Millis, NewJob, QueueSettings};
use crate::queue::QueueError;
use crate::redis_conn::Connections;
use crate::redis_library::{LIBRARY, Reply, is_missing_function};

/// Most jobs one enqueue call carries (bounds the script's running time).
pub(crate) const MAX_ENQUEUE_BATCH: usize = 256;

/// What every call needs: connections, key prefix, shared settings, clock.
pub(crate) struct Inner {
    pub conns: Connections,
    /// `{sb:<namespace>:<partition>}`: KEYS[1] of every script.
    pub prefix: String,
    pub settings: QueueSettings,
    pub clock: Arc<dyn Clock>,
    /// Script calls and blocking waits made, for benchmarks.
    pub round_trips: AtomicU64,
}

impl Inner {
    /// An FCALL of entry point `name` with KEYS[1] and the five shared arguments filled in.
    pub fn call(&self, name: &str) -> Cmd {
        let s = &self.settings;
        let mut cmd = redis::cmd("FCALL");
        cmd.arg(LIBRARY.function(name))
            .arg(1)
            .arg(&self.prefix)
            .arg(self.clock.now())
            .arg(s.default_user_cap)
            .arg(s.default_tenant_cap)
            .arg(s.max_attempts)
            .arg(s.tombstone_ttl_ms.max(1));
        cmd
    }

    /// Runs a call, loading the library first if Redis does not have it.
    pub async fn run(&self, cmd: &Cmd) -> Result<Value, QueueError> {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        let mut conn = self.conns.shared.clone();
        match cmd.query_async(&mut conn).await {
            Err(e) if is_missing_function(&e) => {
                self.load_library().await?;
                Ok(cmd.query_async(&mut conn).await?)
            }
            other => Ok(other?),
        }
    }

    /// FUNCTION LOAD REPLACE (to every primary of a cluster).
    pub async fn load_library(&self) -> Result<(), QueueError> {
        let mut conn = self.conns.shared.clone();
        let _: Value = redis::cmd("FUNCTION")
            .arg("LOAD")
            .arg("REPLACE")
            .arg(&LIBRARY.code)
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// One enqueue call for up to [`MAX_ENQUEUE_BATCH`] validated jobs.
    pub async fn enqueue_call(&self, jobs: &[NewJob]) -> Result<Vec<Enqueued>, QueueError> {
        let mut inv = self.call("enqueue");
        inv.arg(jobs.len());
        for j in jobs {
            inv.arg(&j.id)
                .arg(&j.tenant)
                .arg(&j.user)
                .arg(j.not_before.unwrap_or(0))
                .arg(entry(j).as_ref());
        }
        let v = self.run(&inv).await?;
        let r = Reply { script: "enqueue" };
        let out: Vec<Enqueued> = r
            .array(&v)?
            .iter()
            .map(|x| {
                Ok(if r.int(x)? == 1 {
                    Enqueued::New
                } else {
                    Enqueued::Duplicate
                })
            })
            .collect::<Result<_, QueueError>>()?;
        if out.len() != jobs.len() {
            return Err(r.err(format!("{} results for {} jobs", out.len(), jobs.len())));
        }
        Ok(out)
    }

    /// One call of the take script: acks, then up to `max` leases, and the next wakeup if none.
    pub async fn take(
        &self,
        acks: &[Ack],
        max: usize,
        lease_ms: Millis,
    ) -> Result<(Vec<bool>, Vec<Lease>, Option<Millis>), QueueError> {
        let mut inv = self.call("take");
        inv.arg(lease_ms).arg(max).arg(acks.len());
        for a in acks {
            inv.arg(&a.id).arg(&a.token).arg(&a.tenant).arg(&a.user);
            match a.cost {
                Some(c) => inv.arg(c.to_string()),
                None => inv.arg(""),
            };
        }
        let v = self.run(&inv).await?;
        let r = Reply { script: "take" };
        let [acked, seq, deadline, leases, next] = r.array(&v)? else {
            return Err(r.err("expected 5 parts"));
        };
        let acked = r
            .array(acked)?
            .iter()
            .map(|x| r.int(x).map(|i| i == 1))
            .collect::<Result<_, _>>()?;
        let (seq, deadline) = (r.u64(seq)?, r.u64(deadline)?);
        let mut out = Vec::new();
        for (i, row) in r.rows(leases, 3)?.enumerate() {
            let (id, attempts, payload) = parse_entry(&r, r.bytes(&row[2])?)?;
            out.push(Lease {
                id,
                tenant: r.string(&row[0])?,
                user: r.string(&row[1])?,
                payload,
                attempt: attempts + 1,
                token: format!("{seq}.{i}"),
                deadline,
            });
        }
        Ok((acked, out, u64::try_from(r.int(next)?).ok()))
    }
}

/// A job as it rides in Redis: `id\nattempts\npayload`.
fn entry(j: &NewJob) -> Bytes {
    let mut b = BytesMut::with_capacity(j.id.len() + 3 + j.payload.len());
    b.put_slice(j.id.as_bytes());
    b.put_slice(b"\n0\n");
    b.put_slice(&j.payload);
    b.freeze()
}

fn parse_entry(r: &Reply, e: Bytes) -> Result<(String, u32, Bytes), QueueError> {
    let bad = || r.err("malformed job entry");
    let nl1 = e.iter().position(|&b| b == b'\n').ok_or_else(bad)?;
    let nl2 = nl1
        + 1
        + e[nl1 + 1..]
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(bad)?;
    let id = std::str::from_utf8(&e[..nl1])
        .map_err(|_| bad())?
        .to_owned();
    let attempts = std::str::from_utf8(&e[nl1 + 1..nl2])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    Ok((id, attempts, e.slice(nl2 + 1..)))
}

/// One waiting `enqueue` call.
pub(crate) struct Pending {
    pub job: NewJob,
    pub reply: oneshot::Sender<Result<Enqueued, QueueError>>,
}

/// Sends queued enqueues in batches: takes whatever has gathered while the previous call was in
/// flight. A lone enqueue on a quiet queue goes out at once; under load, batches grow by
/// themselves. Ends when the queue (and so the sender) is dropped.
pub(crate) async fn group_commit(inner: Arc<Inner>, mut rx: mpsc::Receiver<Pending>) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_ENQUEUE_BATCH);
    while rx.recv_many(&mut batch, MAX_ENQUEUE_BATCH).await > 0 {
        let jobs: Vec<NewJob> = batch.iter().map(|p| p.job.clone()).collect();
        match inner.enqueue_call(&jobs).await {
            Ok(results) => {
                for (p, res) in batch.drain(..).zip(results) {
                    let _ = p.reply.send(Ok(res));
                }
            }
            Err(e) => {
                for p in batch.drain(..) {
                    let _ = p.reply.send(Err(clone_error(&e)));
                }
            }
        }
    }
}

fn clone_error(e: &QueueError) -> QueueError {
    match e {
        QueueError::Redis(r) => QueueError::Redis(r.clone()),
        QueueError::Pool(m) => QueueError::Pool(m.clone()),
        QueueError::Invalid(m) => QueueError::Invalid(m.clone()),
        QueueError::Protocol { script, detail } => QueueError::Protocol {
            script,
            detail: detail.clone(),
        },
        QueueError::StaleLease => QueueError::StaleLease,
        QueueError::NotFound => QueueError::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_binary_payloads() {
        let job = NewJob::new("tg:1:2", "t", "u", vec![b'\n', 0, 255, b'\n']);
        let r = Reply { script: "take" };
        let (id, attempts, payload) = parse_entry(&r, entry(&job)).unwrap();
        assert_eq!(
            (id.as_str(), attempts, payload.as_ref()),
            ("tg:1:2", 0, &[b'\n', 0, 255, b'\n'][..])
        );
        assert!(parse_entry(&r, Bytes::from_static(b"no-newline")).is_err());
        assert!(parse_entry(&r, Bytes::from_static(b"id\nx\n")).is_err());
    }
}
