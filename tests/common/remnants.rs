//! A scan of everything a store holds, for checking that a forgotten user left nothing behind:
//! every SQLite table cell, or every key and value under a Redis prefix. Shared by the store
//! conformance suite and the pipeline tests (`#[path]`-included).

pub fn sqlite_remnants(path: &std::path::Path, needle: &str) -> Vec<String> {
    use rusqlite::types::ValueRef;
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        tables.len() >= 9,
        "expected the whole schema, got {tables:?}"
    );
    let mut found = Vec::new();
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                let hit = match row.get_ref(i).unwrap() {
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        String::from_utf8_lossy(t).contains(needle)
                    }
                    _ => false,
                };
                if hit {
                    found.push(format!("{table}: column {i}"));
                }
            }
        }
    }
    found
}

pub async fn redis_remnants(client: &redis::Client, prefix: &str, needle: &str) -> Vec<String> {
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys = scan(&mut conn, prefix).await;
    let mut found = Vec::new();
    for key in keys {
        if key.contains(needle) {
            found.push(format!("key {key}"));
            continue;
        }
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        let values: Vec<String> = match kind.as_str() {
            "string" => vec![
                redis::cmd("GET")
                    .arg(&key)
                    .query_async(&mut conn)
                    .await
                    .unwrap(),
            ],
            "hash" => redis::cmd("HGETALL")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .unwrap(),
            "list" => redis::cmd("LRANGE")
                .arg(&key)
                .arg(0)
                .arg(-1)
                .query_async(&mut conn)
                .await
                .unwrap(),
            "set" => redis::cmd("SMEMBERS")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .unwrap(),
            "zset" => redis::cmd("ZRANGE")
                .arg(&key)
                .arg(0)
                .arg(-1)
                .query_async(&mut conn)
                .await
                .unwrap(),
            "none" => Vec::new(),
            other => panic!("unexpected redis type {other} at {key}"),
        };
        if values.iter().any(|v| v.contains(needle)) {
            found.push(format!("value of {key}"));
        }
    }
    found
}

async fn scan(conn: &mut redis::aio::MultiplexedConnection, prefix: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut cursor: u64 = 0;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(conn)
            .await
            .unwrap();
        keys.extend(batch);
        if next == 0 {
            return keys;
        }
        cursor = next;
    }
}
