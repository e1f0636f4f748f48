//! The caller's notes (`/note`, `/notes`, `/notes clear`), kept in their prompts, and their
//! check-in schedule (`/heartbeat`), which the scheduler reads.

use super::format::local_time;
use super::parse::HeartbeatArg;
use super::{CommandError, Cx, Reply};
use crate::choice::{self, PERSONALITY_SETTING};
use crate::heartbeat::rules_of as rules;
use crate::store::Heartbeat;

/// Notes shown by `/notes` (the newest; all are kept and used).
const NOTES_SHOWN: usize = 50;
/// Longest check-in interval, in minutes (30 days).
const MAX_EVERY_MINUTES: u32 = 30 * 24 * 60;

pub(super) async fn add(cx: &Cx<'_>, text: &str) -> Result<Reply, CommandError> {
    let c = cx.caller;
    cx.svc.store.add_note(&c.user, text, c.now_ms).await?;
    Ok(Reply::text(
        "Noted. I'll keep that in mind in our conversations (/notes to see them all).",
    ))
}

pub(super) async fn list(cx: &Cx<'_>) -> Result<Reply, CommandError> {
    let notes = cx.svc.store.notes(&cx.caller.user).await?;
    if notes.is_empty() {
        return Ok(Reply::text(
            "You have no notes. Add one with /note <text>, for example /note I'm vegetarian.",
        ));
    }
    let skip = notes.len().saturating_sub(NOTES_SHOWN);
    let mut out = format!("Your notes ({}):\n", notes.len());
    if skip > 0 {
        out.push_str(&format!("({skip} older notes not shown)\n"));
    }
    for (i, n) in notes.iter().enumerate().skip(skip) {
        out.push_str(&format!("{}. {}\n", i + 1, n.text));
    }
    out.push_str("\n/notes clear deletes them all.");
    Ok(Reply::text(out))
}

pub(super) async fn clear(cx: &Cx<'_>) -> Result<Reply, CommandError> {
    let n = cx.svc.store.clear_notes(&cx.caller.user).await?;
    Ok(Reply::text(match n {
        0 => "You had no notes.".to_owned(),
        1 => "Done: deleted your note.".to_owned(),
        n => format!("Done: deleted your {n} notes."),
    }))
}

pub(super) async fn heartbeat(cx: &Cx<'_>, arg: HeartbeatArg) -> Result<Reply, CommandError> {
    let c = cx.caller;
    let hcfg = &cx.cfg.heartbeats;
    let existing = cx.svc.store.heartbeat(&c.user).await?;
    if arg == HeartbeatArg::Show {
        return Ok(Reply::text(match existing.filter(|h| h.enabled) {
            Some(h) => describe(&h),
            None => "Check-ins are off. /heartbeat on starts them.".to_owned(),
        }));
    }
    if arg == HeartbeatArg::Off {
        return Ok(Reply::text(match existing {
            Some(mut h) if h.enabled => {
                h.enabled = false;
                cx.svc.store.set_heartbeat(&c.user, Some(&h)).await?;
                "Done: no more check-ins. /heartbeat on brings them back."
            }
            _ => "Check-ins were already off.",
        }));
    }
    // Every other form turns check-ins on, from here, with the personality answering here.
    let settings = cx.svc.store.settings(&c.user).await?;
    let persona = choice::personality(
        cx.cfg,
        &c.tenant,
        settings.get(PERSONALITY_SETTING).map(String::as_str),
        true,
    )
    .map_or_else(|| cx.cfg.personalities.default.clone(), |p| p.name.clone());
    let mut h = existing.unwrap_or(Heartbeat {
        enabled: true,
        every_minutes: hcfg.default_every_minutes,
        active: None,
        tz: "UTC".into(),
        target: String::new(),
        personality: String::new(),
        place: String::new(),
        next_run_ms: 0,
    });
    h.enabled = true;
    h.personality = persona;
    h.place = c.place.clone();
    h.target = serde_json::to_string(&c.target).unwrap_or_default();
    match arg {
        HeartbeatArg::Every(n) => {
            if n < hcfg.min_every_minutes || n > MAX_EVERY_MINUTES {
                return Ok(Reply::text(format!(
                    "Choose between {} and {MAX_EVERY_MINUTES} minutes.",
                    hcfg.min_every_minutes
                )));
            }
            h.every_minutes = n;
        }
        HeartbeatArg::Hours(w, tz) => {
            h.active = Some((w.from, w.to));
            if let Some(tz) = tz {
                h.tz = tz.name().to_owned();
            }
        }
        HeartbeatArg::AnyTime => h.active = None,
        HeartbeatArg::On | HeartbeatArg::Show | HeartbeatArg::Off => {}
    }
    h.every_minutes = h.every_minutes.max(hcfg.min_every_minutes);
    h.next_run_ms = rules(&h).next_run(c.now_ms);
    cx.svc.store.set_heartbeat(&c.user, Some(&h)).await?;
    Ok(Reply::text(format!("Done. {}", describe(&h))))
}

fn describe(h: &Heartbeat) -> String {
    let r = rules(h);
    let hours = r.window.map_or_else(
        || "at any time".to_owned(),
        |w| format!("between {w} {}", r.tz.name()),
    );
    format!(
        "{} checks in every {} minutes, {hours}. Next: {}. Change it with /heartbeat every <minutes> or /heartbeat hours <from>-<to> [time zone]; stop with /heartbeat off.",
        h.personality,
        h.every_minutes,
        local_time(h.next_run_ms, r.tz)
    )
}
