//! The FIFO baseline the fair queue is compared against: a reliable Redis FIFO doing the per-job
//! work any real job queue does (the kind the issue measured: a job record with its payload,
//! idempotent ids, leases with a visibility deadline and a token, acks that check the token and
//! delete the record), built as well as ours is built: Lua functions, enqueues batched by the
//! same group commit, acks and leases batched in one call per worker round, the same wake list
//! for idle workers. Only fairness is missing. A plain LPUSH / RPOP list (`FifoTarget`) is still
//! measured too, as the floor, but it loses jobs when a worker dies and is no fair comparison.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::aio::{ConnectionManager, MultiplexedConnection};
use redis::{Client, Value};
use tokio::sync::{mpsc, oneshot};

use crate::IDLE_WAIT;
use crate::load::Target;

const LEASE_MS: u64 = 30_000;
/// Most jobs one push call carries, as the fair queue's group commit.
const MAX_PUSH: usize = 256;

/// Keys under KEYS[1]: `:job:<id>` hash (p = payload, a = attempts, the lease token),
/// `:ready` list of ids, `:proc` zset id -> lease deadline, `:wake` list.
const LIBRARY: &str = r#"#!lua name=sbbench_fifo_v1
local function wake(p)
  if redis.call('LLEN', p .. ':wake') == 0 then redis.call('RPUSH', p .. ':wake', '1') end
end
-- ARGV: count, then id, payload per job. Returns 1 (new) or 0 (known id) per job.
redis.register_function('sbbench_fifo_push', function(keys, args)
  local p = keys[1]
  local ready = p .. ':ready'
  local was_empty = redis.call('LLEN', ready) == 0
  local n, out, added = tonumber(args[1]), {}, false
  for i = 1, n do
    local id = args[2 * i]
    if redis.call('HSETNX', p .. ':job:' .. id, 'p', args[2 * i + 1]) == 1 then
      redis.call('LPUSH', ready, id)
      out[i] = 1
      added = true
    else
      out[i] = 0
    end
  end
  if was_empty and added then wake(p) end
  return out
end)
-- ARGV: now, lease ms, max, ack count, then id, token per ack. Returns {acked (1/0 each),
-- leases (id, token, payload each)}.
redis.register_function('sbbench_fifo_take', function(keys, args)
  local p = keys[1]
  local ready, proc = p .. ':ready', p .. ':proc'
  local now, lease_ms = tonumber(args[1]), tonumber(args[2])
  local maxn, na = tonumber(args[3]), tonumber(args[4])
  local acked = {}
  for i = 1, na do
    local id = args[3 + 2 * i]
    local jk = p .. ':job:' .. id
    if redis.call('HGET', jk, 'a') == args[4 + 2 * i] and redis.call('ZREM', proc, id) == 1 then
      redis.call('DEL', jk)
      acked[i] = 1
    else
      acked[i] = 0
    end
  end
  -- Visibility timeout: leases past their deadline go back to the front.
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', proc, '-inf', now, 'LIMIT', 0, 100)) do
    redis.call('ZREM', proc, id)
    redis.call('RPUSH', ready, id)
  end
  local leases = {}
  if maxn > 0 then
    local ids = redis.call('RPOP', ready, maxn)
    if ids then
      local deadline, z = now + lease_ms, {}
      for i, id in ipairs(ids) do
        local jk = p .. ':job:' .. id
        local token = redis.call('HINCRBY', jk, 'a', 1)
        leases[#leases + 1] = id
        leases[#leases + 1] = token
        leases[#leases + 1] = redis.call('HGET', jk, 'p')
        z[2 * i - 1] = deadline
        z[2 * i] = id
      end
      redis.call('ZADD', proc, unpack(z))
      if #ids == maxn and redis.call('LLEN', ready) > 0 then wake(p) end
    end
  end
  return { acked, leases }
end)
"#;

/// A leased job: id and token.
pub struct Held {
    id: String,
    token: String,
}

struct Push {
    id: String,
    reply: oneshot::Sender<anyhow::Result<()>>,
}

#[derive(Clone)]
pub struct ReliableFifoTarget {
    shared: ConnectionManager,
    client: Client,
    prefix: String,
    batch: usize,
    /// Hands single enqueues to the group-commit task.
    pushes: mpsc::Sender<Push>,
    /// Dedicated connections for BLPOP, reused.
    idle: Arc<Mutex<Vec<MultiplexedConnection>>>,
}

impl ReliableFifoTarget {
    pub async fn connect(url: &str, name: &str, batch: usize) -> anyhow::Result<Self> {
        let client = Client::open(url)?;
        let mut shared = ConnectionManager::new(client.clone()).await?;
        let _: Value = redis::cmd("FUNCTION")
            .arg("LOAD")
            .arg("REPLACE")
            .arg(LIBRARY)
            .query_async(&mut shared)
            .await?;
        let prefix = format!("{{sb:{name}}}");
        let (tx, rx) = mpsc::channel(16 * MAX_PUSH);
        tokio::spawn(group_commit(shared.clone(), prefix.clone(), rx));
        Ok(Self {
            shared,
            client,
            prefix,
            batch,
            pushes: tx,
            idle: Arc::default(),
        })
    }

    pub async fn cleanup(&self) {
        let mut c = self.shared.clone();
        let _: redis::RedisResult<()> = redis::cmd("FUNCTION")
            .arg("DELETE")
            .arg("sbbench_fifo_v1")
            .query_async(&mut c)
            .await;
    }

    async fn take(&self, acks: &[Held], max: usize) -> anyhow::Result<(usize, Vec<Held>)> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis() as u64;
        let mut cmd = redis::cmd("FCALL");
        cmd.arg("sbbench_fifo_take")
            .arg(1)
            .arg(&self.prefix)
            .arg(now)
            .arg(LEASE_MS)
            .arg(max)
            .arg(acks.len());
        for a in acks {
            cmd.arg(&a.id).arg(&a.token);
        }
        let mut c = self.shared.clone();
        let (acked, leases): (Vec<i64>, Vec<Value>) = cmd.query_async(&mut c).await?;
        let mut out = Vec::with_capacity(leases.len() / 3);
        for row in leases.chunks(3) {
            let [id, token, _payload] = row else {
                anyhow::bail!("lease rows come in threes");
            };
            out.push(Held {
                id: redis::from_redis_value(id.clone())?,
                token: redis::from_redis_value(token.clone())?,
            });
        }
        Ok((acked.iter().filter(|a| **a == 1).count(), out))
    }

    async fn nap(&self, wait: Duration) -> anyhow::Result<()> {
        let reused = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match reused {
            Some(c) => c,
            None => {
                let cfg = redis::AsyncConnectionConfig::new().set_response_timeout(None);
                self.client
                    .get_multiplexed_async_connection_with_config(&cfg)
                    .await?
            }
        };
        let _: Value = redis::cmd("BLPOP")
            .arg(format!("{}:wake", self.prefix))
            .arg(wait.as_secs_f64().max(0.01))
            .query_async(&mut conn)
            .await?;
        self.idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(conn);
        Ok(())
    }
}

/// One push call for up to [`MAX_PUSH`] jobs.
async fn push(
    conn: &mut ConnectionManager,
    prefix: &str,
    jobs: &[(String, &str)],
) -> anyhow::Result<()> {
    let mut cmd = redis::cmd("FCALL");
    cmd.arg("sbbench_fifo_push")
        .arg(1)
        .arg(prefix)
        .arg(jobs.len());
    for (id, payload) in jobs {
        cmd.arg(id).arg(*payload);
    }
    let _: Vec<i64> = cmd.query_async(conn).await?;
    Ok(())
}

/// The same group commit as the fair queue's: whatever gathered while the last call was out.
async fn group_commit(conn: ConnectionManager, prefix: String, mut rx: mpsc::Receiver<Push>) {
    let mut batch: Vec<Push> = Vec::with_capacity(MAX_PUSH);
    while rx.recv_many(&mut batch, MAX_PUSH).await > 0 {
        let jobs: Vec<(String, &str)> = batch.iter().map(|p| (p.id.clone(), "no-op")).collect();
        let mut c = conn.clone();
        let res = push(&mut c, &prefix, &jobs).await;
        for p in batch.drain(..) {
            let r = match &res {
                Ok(()) => Ok(()),
                Err(e) => Err(anyhow::anyhow!("{e}")),
            };
            let _ = p.reply.send(r);
        }
    }
}

#[async_trait]
impl Target for ReliableFifoTarget {
    type Held = Held;

    async fn produce(&self, jobs: Vec<(String, String, String)>) -> anyhow::Result<()> {
        if let [(id, _, _)] = jobs.as_slice() {
            let (reply, rx) = oneshot::channel();
            self.pushes
                .send(Push {
                    id: id.clone(),
                    reply,
                })
                .await
                .map_err(|_| anyhow::anyhow!("the push task stopped"))?;
            return rx.await?;
        }
        let jobs: Vec<(String, &str)> = jobs.into_iter().map(|(id, _, _)| (id, "no-op")).collect();
        let mut c = self.shared.clone();
        for chunk in jobs.chunks(MAX_PUSH) {
            push(&mut c, &self.prefix, chunk).await?;
        }
        Ok(())
    }

    async fn work(&self, held: &mut Vec<Held>) -> anyhow::Result<usize> {
        let give_up = Instant::now() + IDLE_WAIT;
        let (acked, mut leases) = self.take(held, self.batch).await?;
        while leases.is_empty() {
            let now = Instant::now();
            if now >= give_up {
                break;
            }
            self.nap(give_up - now).await?;
            leases = self.take(&[], self.batch).await?.1;
        }
        *held = leases;
        Ok(acked)
    }
}
