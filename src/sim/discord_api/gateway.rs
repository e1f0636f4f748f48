//! The fake gateway: a websocket server speaking Discord's gateway protocol (JSON encoding, no
//! compression). HELLO on connect; IDENTIFY gets READY and a GUILD_CREATE for each server of the
//! identified shard; heartbeats are acknowledged; RESUME is refused with INVALID_SESSION (the
//! client identifies again). Dispatches for the connection are numbered here.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message as WsMsg;

use super::Shared;
use super::payloads;
use super::state::Conn;

pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = shared.stop.cancelled() => return,
        };
        let Ok((tcp, _)) = accepted else { continue };
        let shared = shared.clone();
        tokio::spawn(async move {
            if let Ok(ws) = tokio_tungstenite::accept_async(tcp).await {
                connection(ws, shared).await;
            }
        });
    }
}

fn text(v: Value) -> WsMsg {
    WsMsg::Text(v.to_string())
}

async fn connection(
    mut ws: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    shared: Arc<Shared>,
) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Value>();
    let conn_id = {
        let mut st = shared.state();
        st.connections += 1;
        st.connections as u64
    };
    if ws
        .send(text(json!({"op": 10, "d": {"heartbeat_interval": 41_250}})))
        .await
        .is_err()
    {
        return;
    }
    let mut seq = 0u64;
    loop {
        tokio::select! {
            () = shared.stop.cancelled() => break,
            ev = rx.recv() => {
                let Some(ev) = ev else { break };
                seq += 1;
                let frame = json!({"op": 0, "s": seq, "t": ev["t"], "d": ev["d"]});
                if ws.send(text(frame)).await.is_err() {
                    break;
                }
            }
            msg = ws.next() => {
                let Some(Ok(msg)) = msg else { break };
                let WsMsg::Text(t) = msg else {
                    if matches!(msg, WsMsg::Close(_)) { break }
                    continue;
                };
                let Ok(v) = serde_json::from_str::<Value>(&t) else { continue };
                let answer = match v["op"].as_u64() {
                    Some(1) => Some(json!({"op": 11})),
                    Some(2) => {
                        identify(&shared, &v["d"], conn_id, tx.clone());
                        None
                    }
                    Some(6) => Some(json!({"op": 9, "d": false})),
                    _ => None,
                };
                if let Some(a) = answer
                    && ws.send(text(a)).await.is_err()
                {
                    break;
                }
            }
        }
    }
    shared.state().conns.retain(|c| c.id != conn_id);
}

/// Records the IDENTIFY, registers the session for its shard, and queues READY and the
/// shard's GUILD_CREATEs.
fn identify(
    shared: &Shared,
    d: &Value,
    conn_id: u64,
    tx: tokio::sync::mpsc::UnboundedSender<Value>,
) {
    let mut st = shared.state();
    st.identifies.push(d.clone());
    let shard = d["shard"]
        .as_array()
        .map(|s| {
            (
                s.first().and_then(Value::as_u64).unwrap_or(0),
                s.get(1).and_then(Value::as_u64).unwrap_or(1),
            )
        })
        .unwrap_or((0, 1));
    let ours = |g: u64| (g >> 22) % shard.1.max(1) == shard.0;
    let guilds: Vec<_> = st.guilds.iter().filter(|g| ours(g.id)).cloned().collect();
    let ready = json!({
        "v": 10,
        "user": payloads::user(&st.bot),
        "guilds": guilds.iter().map(|g| json!({"id": g.id.to_string(), "unavailable": true})).collect::<Vec<_>>(),
        "session_id": format!("session-{conn_id}"),
        "resume_gateway_url": shared.gateway_url,
        "shard": [shard.0, shard.1],
        "application": {"id": st.bot.id.to_string(), "flags": 0},
        "private_channels": [],
        "relationships": [],
    });
    let _ = tx.send(json!({"t": "READY", "d": ready}));
    for g in &guilds {
        let threads: Vec<(u64, u64)> = st
            .threads
            .iter()
            .filter(|(_, (gid, _))| *gid == g.id)
            .map(|(t, (_, p))| (*t, *p))
            .collect();
        let _ = tx.send(json!({"t": "GUILD_CREATE", "d": payloads::guild(g, &threads)}));
    }
    st.conns.push(Conn {
        id: conn_id,
        shard,
        tx,
    });
}
