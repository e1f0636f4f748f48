//! Personalities activated in channels (`/activate`), in SQLite.

use rusqlite::{Connection, OptionalExtension, params};

use crate::store::StoreResult;

pub fn get(conn: &Connection, tenant: &str, place: &str) -> StoreResult<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT personality FROM channel_personas WHERE tenant = ?1 AND place = ?2",
        )?
        .query_row(params![tenant, place], |r| r.get(0))
        .optional()?)
}

pub fn set(
    conn: &Connection,
    tenant: &str,
    place: &str,
    personality: Option<&str>,
) -> StoreResult<()> {
    match personality {
        Some(p) => conn
            .prepare_cached(
                "INSERT INTO channel_personas (tenant, place, personality) VALUES (?1, ?2, ?3)
                 ON CONFLICT (tenant, place) DO UPDATE SET personality = excluded.personality",
            )?
            .execute(params![tenant, place, p])?,
        None => conn
            .prepare_cached("DELETE FROM channel_personas WHERE tenant = ?1 AND place = ?2")?
            .execute(params![tenant, place])?,
    };
    Ok(())
}
