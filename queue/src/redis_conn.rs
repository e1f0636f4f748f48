//! Connections to Redis, single node or Cluster.
//!
//! Script calls share one auto-reconnecting multiplexed connection: calls from many tasks pipeline
//! onto one socket, so Redis reads and writes them in batches (fewer syscalls per job) and no call
//! waits for a pool checkout. (A deadpool checkout PINGs first: a round trip per job.) Blocking
//! waits (`BLPOP`) each need a socket of their own, taken from a free list of dedicated
//! connections without a response timeout.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection,
};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{AsyncConnectionConfig, Client, Cmd, Pipeline, RedisFuture, RedisResult, Value};

/// Where the queue lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedisTarget {
    /// One server (or a proxy): `redis://host:port/db`.
    Single(String),
    /// A Redis Cluster: any subset of its nodes' URLs.
    Cluster(Vec<String>),
}

/// The shared connection for script calls.
#[derive(Clone)]
pub(crate) enum Shared {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Shared {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Shared::Single(c) => c.req_packed_command(cmd),
            Shared::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Shared::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Shared::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Shared::Single(c) => c.get_db(),
            Shared::Cluster(c) => c.get_db(),
        }
    }
}

/// A dedicated connection for one blocking wait.
pub(crate) enum Dedicated {
    Single(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Dedicated {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Dedicated::Single(c) => c.req_packed_command(cmd),
            Dedicated::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Dedicated::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Dedicated::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Dedicated::Single(c) => c.get_db(),
            Dedicated::Cluster(c) => c.get_db(),
        }
    }
}

enum Clients {
    Single(Client),
    Cluster(Vec<String>),
}

/// Opens the shared connection and hands out dedicated ones.
pub(crate) struct Connections {
    pub shared: Shared,
    clients: Clients,
    /// Idle dedicated connections, reused so a worker that naps often does not reconnect.
    idle: Arc<Mutex<Vec<Dedicated>>>,
}

impl Connections {
    pub async fn open(target: &RedisTarget, response_timeout: Duration) -> RedisResult<Self> {
        match target {
            RedisTarget::Single(url) => {
                let client = Client::open(url.as_str())?;
                let cfg = ConnectionManagerConfig::new()
                    .set_response_timeout(Some(response_timeout))
                    .set_connection_timeout(Some(Duration::from_secs(5)))
                    .set_number_of_retries(3);
                let shared =
                    Shared::Single(ConnectionManager::new_with_config(client.clone(), cfg).await?);
                Ok(Self {
                    shared,
                    clients: Clients::Single(client),
                    idle: Arc::default(),
                })
            }
            RedisTarget::Cluster(urls) => {
                let client = ClusterClient::builder(urls.clone())
                    .response_timeout(response_timeout)
                    .connection_timeout(Duration::from_secs(5))
                    .build()?;
                let shared = Shared::Cluster(client.get_async_connection().await?);
                Ok(Self {
                    shared,
                    clients: Clients::Cluster(urls.clone()),
                    idle: Arc::default(),
                })
            }
        }
    }

    /// A connection for one blocking wait of at most `longest`.
    pub async fn dedicated(&self, longest: Duration) -> RedisResult<DedicatedGuard> {
        let reused = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match reused {
            Some(c) => c,
            None => match &self.clients {
                Clients::Single(client) => {
                    let cfg = AsyncConnectionConfig::new()
                        .set_response_timeout(None)
                        .set_connection_timeout(Some(Duration::from_secs(5)));
                    Dedicated::Single(
                        client
                            .get_multiplexed_async_connection_with_config(&cfg)
                            .await?,
                    )
                }
                Clients::Cluster(urls) => {
                    let client = ClusterClient::builder(urls.clone())
                        .response_timeout(longest + Duration::from_secs(5))
                        .connection_timeout(Duration::from_secs(5))
                        .build()?;
                    Dedicated::Cluster(client.get_async_connection().await?)
                }
            },
        };
        Ok(DedicatedGuard {
            conn: Some(conn),
            idle: self.idle.clone(),
        })
    }
}

/// Returns its connection to the free list when dropped, unless it failed.
pub(crate) struct DedicatedGuard {
    conn: Option<Dedicated>,
    idle: Arc<Mutex<Vec<Dedicated>>>,
}

impl DedicatedGuard {
    pub fn conn(&mut self) -> Option<&mut Dedicated> {
        self.conn.as_mut()
    }

    /// Drops the connection instead of reusing it (after an error).
    pub fn discard(mut self) {
        self.conn = None;
    }
}

impl Drop for DedicatedGuard {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(c);
        }
    }
}
