//! Redis's own accounting: `INFO commandstats` and `INFO cpu` deltas over the measured window.
//! Server-wide, so the Redis should be otherwise idle while the benchmark runs.

use std::collections::HashMap;

use redis::aio::MultiplexedConnection;

/// Commands only a client sends (never a script of ours), counted as round trips. The fair
/// queue's scripts do use LPUSH, but only when reclaiming an expired lease.
const CLIENT_CALLS: &[&str] = &[
    "fcall", "evalsha", "eval", "blpop", "brpop", "lpush", "rpop",
];

pub struct RedisInfo {
    conn: MultiplexedConnection,
}

#[derive(Clone, Debug)]
pub struct Snapshot {
    calls: HashMap<String, u64>,
    cpu_s: f64,
}

#[derive(Clone, Debug, Default)]
pub struct RedisCost {
    /// Round trips per job.
    pub calls_per_job: f64,
    /// Commands Redis executed per job, counting those run inside scripts.
    pub cmds_per_job: f64,
    /// used_cpu_user + used_cpu_sys per job: the cost on Redis's one thread.
    pub cpu_us_per_job: f64,
}

impl RedisInfo {
    pub async fn connect(url: &str) -> redis::RedisResult<Self> {
        let conn = redis::Client::open(url)?
            .get_multiplexed_async_connection()
            .await?;
        Ok(Self { conn })
    }

    pub async fn snapshot(&self) -> redis::RedisResult<Snapshot> {
        let mut c = self.conn.clone();
        let stats: String = redis::cmd("INFO")
            .arg("commandstats")
            .query_async(&mut c)
            .await?;
        let cpu: String = redis::cmd("INFO").arg("cpu").query_async(&mut c).await?;
        Ok(Snapshot {
            calls: parse_commandstats(&stats),
            cpu_s: parse_cpu(&cpu),
        })
    }

    /// Removes every key of a benchmark namespace.
    pub async fn delete_namespace(&self, ns: &str) {
        let mut c = self.conn.clone();
        let mut cursor: u64 = 0;
        loop {
            let Ok((next, keys)): redis::RedisResult<(u64, Vec<String>)> = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(format!("{{sb:{ns}*"))
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut c)
                .await
            else {
                return;
            };
            if !keys.is_empty() {
                let _: redis::RedisResult<()> =
                    redis::cmd("UNLINK").arg(keys).query_async(&mut c).await;
            }
            if next == 0 {
                return;
            }
            cursor = next;
        }
    }
}

impl Snapshot {
    pub fn cost_since(&self, before: &Snapshot, jobs: u64) -> RedisCost {
        let jobs = jobs.max(1) as f64;
        let delta = |name: &str| {
            self.calls
                .get(name)
                .unwrap_or(&0)
                .saturating_sub(*before.calls.get(name).unwrap_or(&0))
        };
        let client: u64 = CLIENT_CALLS.iter().map(|n| delta(n)).sum();
        let all: u64 = self
            .calls
            .keys()
            .filter(|n| n.as_str() != "info")
            .map(|n| delta(n))
            .sum();
        RedisCost {
            calls_per_job: client as f64 / jobs,
            cmds_per_job: all as f64 / jobs,
            cpu_us_per_job: (self.cpu_s - before.cpu_s) * 1e6 / jobs,
        }
    }
}

/// `cmdstat_evalsha:calls=12,usec=...` lines into name -> calls.
fn parse_commandstats(info: &str) -> HashMap<String, u64> {
    info.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("cmdstat_")?;
            let (name, fields) = rest.split_once(':')?;
            let calls = fields
                .split(',')
                .find_map(|f| f.strip_prefix("calls="))?
                .parse()
                .ok()?;
            Some((name.to_owned(), calls))
        })
        .collect()
}

/// used_cpu_user + used_cpu_sys in seconds.
fn parse_cpu(info: &str) -> f64 {
    info.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            matches!(k, "used_cpu_user" | "used_cpu_sys")
                .then(|| v.trim().parse::<f64>().ok())
                .flatten()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_info_sections() {
        let s = "# Commandstats\r\ncmdstat_evalsha:calls=10,usec=5,usec_per_call=0.5\r\ncmdstat_zadd:calls=7,usec=1\r\n";
        let m = parse_commandstats(s);
        assert_eq!((m["evalsha"], m["zadd"]), (10, 7));
        let cpu = "# CPU\r\nused_cpu_sys:1.5\r\nused_cpu_user:2.25\r\nused_cpu_sys_children:9\r\n";
        assert!((parse_cpu(cpu) - 3.75).abs() < 1e-9);
    }
}
