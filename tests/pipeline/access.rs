//! Access before anything else: banned users, allowlist tenants, approval tenants whose guests get
//! the guest quotas; and rate limits that several processes share on Redis.

use std::time::Duration;

use switchboard::admission::{Gcra, LocalLimiter, RateLimiter, RedisLimiter};
use switchboard::config::{Access, Quotas, Rate, UserOverride};
use switchboard::ingress::Handled;
use switchboard::sim::ai_server::{FakeAi, FakeAiConfig};
use switchboard::store::{UserKey, UserStatus};

use crate::support::{Mode, Place, config, redis_url, start};

pub async fn access_rules_are_enforced_before_anything_is_queued(mode: Mode) {
    let fake = FakeAi::start(FakeAiConfig::default()).await.unwrap();
    let place = Place::new(mode);
    let mut cfg = config(&fake, &place);
    cfg.users.insert(
        "sim:mallory".into(),
        UserOverride {
            banned: true,
            ..UserOverride::default()
        },
    );
    cfg.users.insert(
        "sim:vip".into(),
        UserOverride {
            allowed: true,
            ..UserOverride::default()
        },
    );
    cfg.tenants.named.get_mut("other").unwrap().access = Access::Allowlist;
    cfg.tenants.named.get_mut("acme").unwrap().access = Access::Approval;
    cfg.guest_quotas = Quotas {
        requests_per_day: Some(1),
        ..Quotas::default()
    };
    let h = start(cfg).await;

    assert_eq!(
        h.say("acme", "mallory", 0, "hi").await,
        Handled::Refused { limit: "banned" }
    );
    assert!(
        h.platform.to_user("mallory")[0]
            .text
            .contains("can't use this bot")
    );

    assert_eq!(
        h.say("other", "stranger", 0, "hi").await,
        Handled::Refused {
            limit: "not_allowed"
        }
    );
    assert!(
        h.platform.to_user("stranger")[0]
            .text
            .contains("invite-only")
    );
    assert!(matches!(
        h.say("other", "vip", 0, "hi").await,
        Handled::Queued(_)
    ));

    // Approval mode: a newcomer is a guest on the guest quotas (1 request a day here).
    assert!(matches!(
        h.say("acme", "newbie", 0, "hi").await,
        Handled::Queued(_)
    ));
    h.until(5, "the guest's answer", |h| {
        h.answered("newbie") == 1 && h.answered("vip") == 1
    })
    .await;
    assert_eq!(
        h.say("acme", "newbie", 1, "again").await,
        Handled::Refused {
            limit: "user_requests_per_day"
        }
    );
    let svc = &h.rt.svc;
    let key = UserKey::new("acme", "sim:newbie");
    assert_eq!(
        svc.store.user(&key).await.unwrap().unwrap().status,
        UserStatus::Guest
    );
    // Once approved, the default quotas (unlimited here) apply.
    svc.store
        .set_status(&key, UserStatus::Active)
        .await
        .unwrap();
    assert!(matches!(
        h.say("acme", "newbie", 2, "and again").await,
        Handled::Queued(_)
    ));
    h.until(5, "the approved user's answer", |h| {
        h.answered("newbie") == 2
    })
    .await;
    assert_eq!(
        fake.request_count(),
        3,
        "refused messages never reached the AI"
    );
    h.rt.shutdown().await;
}

/// Two processes' limiters on one Redis share one limit, and Redis's GCRA allows exactly what the
/// reference GCRA allows.
pub async fn rate_limits_are_shared_and_match_the_reference(mode: Mode) {
    let rate = Rate {
        count: 2,
        per: Duration::from_secs(60),
        burst: 3,
    };
    let limiter: Box<dyn Fn() -> Box<dyn RateLimiter>> = match mode {
        Mode::Redis => {
            let ns = format!("rl-{:08x}", rand::random::<u32>());
            let url = redis_url();
            let conn =
                redis::aio::ConnectionManager::new(redis::Client::open(url.as_str()).unwrap())
                    .await
                    .unwrap();
            Box::new(move || Box::new(RedisLimiter::new(conn.clone(), &ns)))
        }
        Mode::Embedded => {
            let shared = std::sync::Arc::new(LocalLimiter::default());
            Box::new(move || Box::new(SharedLocal(shared.clone())))
        }
    };
    let (a, b) = (limiter(), limiter());
    let key = format!("u:acme:sim:{}", rand::random::<u32>());
    // The reference: a burst of 3 at once, then nothing for 30 s.
    let g = Gcra::new(&rate);
    let mut tat = None;
    let mut expect = Vec::new();
    for _ in 0..5 {
        expect.push(match g.check(0.0, tat) {
            Ok(t) => {
                tat = Some(t);
                true
            }
            Err(_) => false,
        });
    }
    let mut got = Vec::new();
    for i in 0..5 {
        let l = if i % 2 == 0 { &a } else { &b };
        got.push(l.check(&key, &rate).await.unwrap().is_none());
    }
    assert_eq!(got, expect);
    assert_eq!(got, [true, true, true, false, false]);
    let wait = a.check(&key, &rate).await.unwrap().unwrap();
    assert!(
        wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
}

/// The embedded limiter behind the same trait, shared like Redis state would be.
struct SharedLocal(std::sync::Arc<LocalLimiter>);

#[async_trait::async_trait]
impl RateLimiter for SharedLocal {
    async fn check(
        &self,
        key: &str,
        rate: &Rate,
    ) -> Result<Option<Duration>, switchboard::admission::LimiterError> {
        self.0.check(key, rate).await
    }
}
