use super::*;
use crate::config::Config;

fn cfg() -> Config {
    crate::defaults::embedded_config().unwrap()
}

fn opts(tenant: Option<&str>) -> ImportOptions {
    ImportOptions {
        dir: PathBuf::from("unused"),
        user: None,
        tenant: tenant.map(str::to_owned),
    }
}

fn planned(cfg: &Config, tenant: Option<&str>) -> (Summary, usize) {
    let mut s = Summary::new(PathBuf::from("d"), Layout::MultiUser);
    let p = plan(cfg, &opts(tenant), &mut s).unwrap();
    assert_eq!(p.tenant.name, s.tenant);
    assert_eq!(p.personality, s.personality);
    (s, p.keep)
}

#[test]
fn private_chats_of_the_first_telegram_bot_decide_the_tenant() {
    // The documented config: `telegram:private` goes to tenant telegram-dms.
    let cfg = cfg();
    let (s, keep) = planned(&cfg, None);
    assert_eq!(s.tenant, "telegram-dms");
    assert_eq!(s.tenant_from, TenantFrom::TelegramBot("companion".into()));
    assert_eq!(s.personality, "Aria");
    assert_eq!(keep, cfg.workers.max_context_messages);
}

#[test]
fn a_bot_pinned_to_a_tenant_wins_over_the_rules() {
    let mut cfg = cfg();
    cfg.platforms.telegram[0].tenant = Some("acme".into());
    let (s, _) = planned(&cfg, None);
    assert_eq!(s.tenant, "acme");
    assert_eq!(
        s.personality, "Sage",
        "acme's default personality answers there"
    );
}

#[test]
fn without_a_telegram_bot_the_tenant_is_default() {
    let mut cfg = cfg();
    cfg.platforms.telegram.clear();
    let (s, _) = planned(&cfg, None);
    assert_eq!(
        (s.tenant.as_str(), &s.tenant_from),
        ("default", &TenantFrom::Fallback)
    );
    assert_eq!(s.personality, "Aria");
}

#[test]
fn the_flag_names_the_tenant() {
    let cfg = cfg();
    let (s, _) = planned(&cfg, Some("acme"));
    assert_eq!(
        (s.tenant.as_str(), &s.tenant_from),
        ("acme", &TenantFrom::Flag)
    );
    assert_eq!(s.personality, "Sage");
    let (s, _) = planned(&cfg, Some(" brand-new "));
    assert_eq!(s.tenant, "brand-new");
    let mut s = Summary::new(PathBuf::from("d"), Layout::MultiUser);
    assert!(matches!(
        plan(&cfg, &opts(Some("  ")), &mut s),
        Err(ImportError::EmptyTenant)
    ));
}

#[test]
fn absolute_paths_of_directories_yet_to_exist() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().canonicalize().unwrap();
    assert_eq!(
        absolute(&tmp.path().join("a/b")).unwrap(),
        real.join("a").join("b")
    );
    assert_eq!(absolute(tmp.path()).unwrap(), real);
}
