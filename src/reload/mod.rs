//! Hot reload: on SIGHUP, when the config file or a personality file changes (polled), or when an
//! operator asks through the admin API, the config is read and validated again exactly as at
//! start. A valid one replaces the running config whole (the next job reads it; jobs under way
//! finish with the one they started with), the AI providers are rebuilt and the queue's weights
//! and caps re-applied; settings that only apply at start keep their running values and are
//! reported as needing a restart. An invalid one is refused with the same errors as at start and
//! the old config stays. Each outcome is logged, counted (observer) and kept for the admin API.

mod restart;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

pub use self::restart::live_part;
use crate::config::{self, Env};
use crate::services::Services;

/// Where a reload reads from.
#[derive(Clone, Debug)]
pub struct ReloadSource {
    /// The config file (personalities are read from beside it, as at start).
    pub path: PathBuf,
    /// The environment secrets and overrides come from (the process's, or a test's).
    pub env: Env,
    /// How often the files are checked for changes.
    pub poll: Duration,
    /// Also reload on SIGHUP (the binary; tests send no signals).
    pub sighup: bool,
}

impl ReloadSource {
    /// The binary's: `path`, the process environment, checked every second, and SIGHUP.
    pub fn process(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            env: Env::process(),
            poll: Duration::from_secs(1),
            sighup: true,
        }
    }
}

/// What started a reload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The file (or a personality file) changed.
    File,
    /// SIGHUP.
    Signal,
    /// The admin API.
    Api,
}

/// The outcome of the last reload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReloadStatus {
    /// When it happened (Unix ms).
    pub at_ms: u64,
    pub trigger: Trigger,
    /// Applied (else refused and the old config stays).
    pub ok: bool,
    /// Why it was refused: every problem, as `check-config` names them (file, line, key).
    pub errors: Vec<String>,
    /// Settings the file changed that only apply at the next start.
    pub needs_restart: Vec<String>,
}

/// Reloads the config of one running service.
pub struct Reloader {
    /// The service whose config, providers and queue tuning a reload replaces.
    svc: Arc<Services>,
    /// The file; `None` for a service started from a config built in memory (nothing to reload).
    source: Option<ReloadSource>,
    /// The last outcome (the admin API and metrics read it).
    last: Mutex<Option<ReloadStatus>>,
    /// One reload at a time (a signal and a file change together make two in a row, not a race).
    busy: tokio::sync::Mutex<()>,
}

impl Reloader {
    pub fn new(svc: Arc<Services>, source: Option<ReloadSource>) -> Self {
        Self {
            svc,
            source,
            last: Mutex::new(None),
            busy: tokio::sync::Mutex::new(()),
        }
    }

    /// The file reloads read, if any.
    pub fn path(&self) -> Option<&Path> {
        self.source.as_ref().map(|s| s.path.as_path())
    }

    pub fn last(&self) -> Option<ReloadStatus> {
        self.last.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Reads the file again and applies it, or refuses it; `None` when there is no file.
    pub async fn reload(&self, trigger: Trigger) -> Option<ReloadStatus> {
        let source = self.source.as_ref()?;
        let _one = self.busy.lock().await;
        let (path, env) = (source.path.clone(), source.env.clone());
        let loaded = tokio::task::spawn_blocking(move || config::load_with_env(&path, &env)).await;
        let at_ms = self.svc.now_ms();
        let status = match loaded {
            Ok(Ok(new)) => self.apply(new, trigger, at_ms).await,
            Ok(Err(errors)) => {
                let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
                tracing::error!(
                    file = %source.path.display(),
                    problems = errors.len(),
                    "config reload refused; the running config stays:\n{}",
                    errors.join("\n")
                );
                refused(trigger, at_ms, errors)
            }
            Err(e) => {
                tracing::error!(error = %e, "config reload failed; the running config stays");
                refused(
                    trigger,
                    at_ms,
                    vec![format!("the reload did not finish: {e}")],
                )
            }
        };
        self.svc.observer.config_reloaded(status.ok);
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(status.clone());
        Some(status)
    }

    async fn apply(&self, new: config::Config, trigger: Trigger, at_ms: u64) -> ReloadStatus {
        let running = self.svc.config();
        let (next, restart) = live_part(&running, new);
        let changed = *running != next;
        let next = Arc::new(next);
        self.svc.config.store(next.clone());
        self.svc.ai.reconfigure(&next.providers);
        if let Err(e) = self.svc.tuning.retune(self.svc.queue.as_ref(), &next).await {
            // Tenants and users are tuned again as their next messages arrive.
            tracing::warn!(error = %e, "reloaded config: the queue's weights could not all be applied yet");
        }
        if restart.is_empty() {
            tracing::info!(?trigger, changed, "config reloaded");
        } else {
            tracing::warn!(
                ?trigger,
                changed,
                needs_restart = ?restart,
                "config reloaded; some changed settings only apply after a restart"
            );
        }
        ReloadStatus {
            at_ms,
            trigger,
            ok: true,
            errors: Vec::new(),
            needs_restart: restart.into_iter().map(str::to_owned).collect(),
        }
    }

    /// Reloads on SIGHUP and whenever the files change, until `stop`. SIGHUP is listened for from
    /// the call on (before the future first runs), so a signal sent once the service reports
    /// ready cannot find the default action, which ends the process.
    pub fn watch(
        self: Arc<Self>,
        stop: CancellationToken,
    ) -> impl Future<Output = ()> + Send + 'static {
        let hangup = hangups(self.source.as_ref().is_some_and(|s| s.sighup));
        self.watch_with(hangup, stop)
    }

    async fn watch_with(self: Arc<Self>, mut hangup: Hangups, stop: CancellationToken) {
        let Some(source) = self.source.clone() else {
            return;
        };
        let mut seen = self.fingerprint(&source.path).await;
        let mut tick = tokio::time::interval(source.poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let trigger = tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => Trigger::File,
                () = hangup.next() => Trigger::Signal,
            };
            if trigger == Trigger::File {
                let now = self.settled(&source.path).await;
                if now == seen {
                    continue;
                }
                seen = now;
            } else {
                seen = self.fingerprint(&source.path).await;
            }
            self.reload(trigger).await;
        }
    }

    /// The fingerprint once it stops changing (an editor may write a file in several steps).
    async fn settled(&self, path: &Path) -> [u8; 32] {
        let mut last = self.fingerprint(path).await;
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            let now = self.fingerprint(path).await;
            if now == last {
                break;
            }
            last = now;
        }
        last
    }

    /// A digest of the config file and the running personality files.
    async fn fingerprint(&self, path: &Path) -> [u8; 32] {
        let dir = self.svc.config().personalities.dir.clone();
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || digest(&path, dir.as_deref()))
            .await
            .unwrap_or_default()
    }
}

fn refused(trigger: Trigger, at_ms: u64, errors: Vec<String>) -> ReloadStatus {
    ReloadStatus {
        at_ms,
        trigger,
        ok: false,
        errors,
        needs_restart: Vec::new(),
    }
}

/// SHA-256 over the file and every `.toml` file of `dir` (names and contents; unreadable files
/// count as absent).
fn digest(path: &Path, dir: Option<&Path>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(std::fs::read(path).unwrap_or_default());
    if let Some(dir) = dir {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        for f in files {
            h.update(f.to_string_lossy().as_bytes());
            h.update([0]);
            h.update(std::fs::read(&f).unwrap_or_default());
            h.update([0]);
        }
    }
    h.finalize().into()
}

/// SIGHUPs, or nothing (no signal asked for, or not on Unix).
struct Hangups {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

fn hangups(wanted: bool) -> Hangups {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let signal = if wanted {
            signal(SignalKind::hangup())
                .inspect_err(|e| tracing::warn!(error = %e, "cannot listen for SIGHUP"))
                .ok()
        } else {
            None
        };
        Hangups { signal }
    }
    #[cfg(not(unix))]
    {
        let _ = wanted;
        Hangups {}
    }
}

impl Hangups {
    /// The next SIGHUP (never, without one).
    async fn next(&mut self) {
        #[cfg(unix)]
        if let Some(s) = &mut self.signal {
            if s.recv().await.is_some() {
                return;
            }
            self.signal = None;
        }
        std::future::pending::<()>().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_follows_the_file_and_the_personality_files() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("switchboard.toml");
        let personas = dir.path().join("personalities");
        std::fs::create_dir(&personas).unwrap();
        std::fs::write(&main, "a").unwrap();
        std::fs::write(personas.join("aria.toml"), "x").unwrap();
        let first = digest(&main, Some(&personas));
        assert_eq!(first, digest(&main, Some(&personas)), "stable");
        std::fs::write(personas.join("notes.txt"), "ignored").unwrap();
        assert_eq!(first, digest(&main, Some(&personas)), "only .toml files");
        std::fs::write(personas.join("aria.toml"), "y").unwrap();
        let second = digest(&main, Some(&personas));
        assert_ne!(first, second, "a personality changed");
        std::fs::write(&main, "b").unwrap();
        assert_ne!(second, digest(&main, Some(&personas)), "the file changed");
    }
}
