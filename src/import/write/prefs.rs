//! A user's DaemonVigil preferences (`user_config.json`) as switchboard settings: the model
//! when the config offers it, the check-in interval, time zone and quiet hours as a `/heartbeat`
//! schedule through the first Telegram bot, and everything else as `daemonvigil.<key>`.

use switchboard_platforms::{Place, Platform, Target};

use super::{Destination, FOREVER_MS, SETTING_PREFIX, mark_prefix, refused};
use crate::choice::{self, MODEL_SETTING};
use crate::heartbeat::{parse_tz, rules_of};
use crate::import::daemonvigil::UserConfig;
use crate::import::source::{FromFile, UserData};
use crate::import::summary::Summary;
use crate::store::{Heartbeat, StoreError, UserKey};

pub(super) async fn config(
    t: &Destination<'_>,
    d: &UserData,
    key: &UserKey,
    from: &FromFile<UserConfig>,
    s: &mut Summary,
) -> Result<(), StoreError> {
    let c = &from.items;
    let mut settings: Vec<(String, String)> = Vec::new();
    if let Some(m) = &c.model {
        match choice::find_model(t.cfg, t.tenant, m) {
            Some(found) => settings.push((MODEL_SETTING.to_owned(), found)),
            None => settings.push((format!("{SETTING_PREFIX}model"), m.clone())),
        }
    }
    for (k, v) in &c.extra {
        settings.push((format!("{SETTING_PREFIX}{k}"), v.clone()));
    }
    if c.has_heartbeat() {
        match t.bot {
            Some(bot) => heartbeat(t, d, key, bot, from, s).await?,
            None => {
                settings.extend(heartbeat_settings(c));
                s.problem(
                    &from.file,
                    None,
                    "no Telegram bot is configured to send check-ins through; the check-in preferences were kept as daemonvigil.* settings",
                );
            }
        }
    }
    for (name, value) in settings {
        let mark = format!("{}:setting:{name}", mark_prefix(key));
        if t.store.setting(key, &name).await?.is_some()
            || !t.store.mark_once(&mark, FOREVER_MS).await?
        {
            s.settings.already += 1;
            continue;
        }
        match t.store.set_setting(key, &name, Some(&value)).await {
            Ok(()) => s.settings.imported += 1,
            Err(e) => refused(e, s, &from.file, None, &format!("setting {name}"))?,
        }
    }
    Ok(())
}

/// DaemonVigil's check-in preferences as a schedule: its interval (at least the configured
/// minimum), its quiet hours turned into active hours, its time zone.
async fn heartbeat(
    t: &Destination<'_>,
    d: &UserData,
    key: &UserKey,
    bot: &str,
    from: &FromFile<UserConfig>,
    s: &mut Summary,
) -> Result<(), StoreError> {
    let mark = format!("{}:heartbeat", mark_prefix(key));
    if t.store.heartbeat(key).await?.is_some() || !t.store.mark_once(&mark, FOREVER_MS).await? {
        s.heartbeats.already += 1;
        return Ok(());
    }
    let c = &from.items;
    let hcfg = &t.cfg.heartbeats;
    let wanted = c
        .heartbeat_every_minutes
        .unwrap_or(hcfg.default_every_minutes);
    let every_minutes = wanted.max(hcfg.min_every_minutes);
    if every_minutes != wanted {
        s.problem(
            &from.file,
            None,
            format!(
                "check-ins every {wanted} minutes are more often than heartbeats.min_every_minutes allows; set to every {every_minutes}"
            ),
        );
    }
    let tz = match c.timezone.as_deref() {
        None => "UTC".to_owned(),
        Some(name) => match parse_tz(name) {
            Some(tz) => tz.name().to_owned(),
            None => {
                s.problem(
                    &from.file,
                    None,
                    "\"timezone\" is not a known time zone; check-ins use UTC",
                );
                "UTC".to_owned()
            }
        },
    };
    let target = Target {
        platform: Platform::Telegram,
        bot: bot.to_owned(),
        place: Place {
            channel_id: d.id.clone(),
            thread_id: None,
            is_dm: true,
        },
    };
    let mut h = Heartbeat {
        // DaemonVigil's default: on.
        enabled: c.heartbeat_enabled.unwrap_or(true),
        every_minutes,
        // Quiet from `start` to `end` is active from `end` to `start`.
        active: c.quiet_hours.map(|(start, end)| (end, start)),
        tz,
        target: serde_json::to_string(&target).map_err(|e| StoreError::Invalid(e.to_string()))?,
        personality: t.personality.to_owned(),
        place: d.id.clone(),
        next_run_ms: 0,
    };
    h.next_run_ms = rules_of(&h).next_run(t.now_ms);
    match t.store.set_heartbeat(key, Some(&h)).await {
        Ok(()) => s.heartbeats.imported += 1,
        Err(e) => refused(e, s, &from.file, None, "check-in schedule")?,
    }
    Ok(())
}

/// The check-in preferences as `daemonvigil.*` settings, when no schedule can be made.
fn heartbeat_settings(c: &UserConfig) -> Vec<(String, String)> {
    let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
    let mut out = Vec::new();
    let mut put = |k: &str, v: String| out.push((format!("{SETTING_PREFIX}{k}"), v));
    if let Some(b) = c.heartbeat_enabled {
        put("heartbeat_enabled", b.to_string());
    }
    if let Some(n) = c.heartbeat_every_minutes {
        put("heartbeat_interval_minutes", n.to_string());
    }
    if let Some(tz) = &c.timezone {
        put("timezone", tz.clone());
    }
    if let Some((start, end)) = c.quiet_hours {
        put("quiet_hours", format!("{}-{}", hm(start), hm(end)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_in_preferences_as_settings() {
        let c = UserConfig {
            heartbeat_enabled: Some(false),
            heartbeat_every_minutes: Some(15),
            timezone: Some("Asia/Tokyo".into()),
            quiet_hours: Some((22 * 60, 7 * 60 + 5)),
            ..UserConfig::default()
        };
        let got = heartbeat_settings(&c);
        let want = [
            ("daemonvigil.heartbeat_enabled", "false"),
            ("daemonvigil.heartbeat_interval_minutes", "15"),
            ("daemonvigil.timezone", "Asia/Tokyo"),
            ("daemonvigil.quiet_hours", "22:00-07:05"),
        ];
        assert_eq!(
            got.iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
            want
        );
    }
}
