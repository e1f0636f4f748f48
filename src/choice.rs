//! Which personality and which model answer a user: the user's own choices (`/personality`,
//! `/model`, kept in their settings) where they are still allowed, else the tenant's and the
//! configuration's defaults. Pure; the router, the commands and the workers all ask here, so
//! `/status` shows exactly what the next answer will use.

use crate::config::{Config, Personality, Tenant};

/// Setting holding the user's chosen personality (private chats).
pub const PERSONALITY_SETTING: &str = "personality";
/// Setting holding the user's chosen model.
pub const MODEL_SETTING: &str = "model";

/// The personality answering a user who names none: their choice (private chats only), the
/// tenant's default, the configuration's default.
pub fn personality<'c>(
    cfg: &'c Config,
    tenant: &Tenant,
    user_choice: Option<&str>,
    dm: bool,
) -> Option<&'c Personality> {
    let chosen = user_choice.filter(|_| dm);
    [chosen, tenant.default_personality.as_deref()]
        .into_iter()
        .flatten()
        .find_map(|n| cfg.personalities.find(n))
        .or_else(|| cfg.personalities.find(&cfg.personalities.default))
}

/// Models a tenant's users may choose, sorted: the tenant's list, or every configured model.
pub fn allowed_models(cfg: &Config, tenant: &Tenant) -> Vec<String> {
    let mut all: Vec<String> = cfg
        .providers
        .values()
        .flat_map(|p| p.models.keys().cloned())
        .filter(|m| tenant.allowed_models.is_empty() || tenant.allowed_models.contains(m))
        .collect();
    all.sort();
    all.dedup();
    all
}

/// The allowed model a user typed (exact, else ignoring case).
pub fn find_model(cfg: &Config, tenant: &Tenant, typed: &str) -> Option<String> {
    let allowed = allowed_models(cfg, tenant);
    allowed
        .iter()
        .find(|m| *m == typed)
        .or_else(|| allowed.iter().find(|m| m.eq_ignore_ascii_case(typed)))
        .cloned()
}

/// (provider, model) for a request: the user's model if set and still allowed, served by the
/// personality's provider when it has it, else by the first provider that does; otherwise the
/// personality's own.
pub fn model_for(
    cfg: &Config,
    tenant: &Tenant,
    persona: &Personality,
    user_model: Option<&str>,
) -> (String, String) {
    let own = (persona.provider.clone(), persona.model.clone());
    let Some(model) = user_model.and_then(|m| find_model(cfg, tenant, m)) else {
        return own;
    };
    let has = |p: &str| {
        cfg.providers
            .get(p)
            .is_some_and(|p| p.models.contains_key(&model))
    };
    if has(&persona.provider) {
        return (persona.provider.clone(), model);
    }
    cfg.providers
        .values()
        .find(|p| p.models.contains_key(&model))
        .map_or(own, |p| (p.name.clone(), model))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Env, load_embedded};

    const CFG: &str = r#"
[personalities]
default = "Aria"
[tenant_defaults]
default_personality = "Sage"
[[tenants]]
name = "narrow"
match = ["sim:narrow"]
allowed_models = ["big"]
[providers.a]
[providers.a.models.small]
[providers.b]
[providers.b.models.big]
[providers.b.models.small]
"#;

    fn cfg() -> Config {
        load_embedded(
            CFG,
            std::path::Path::new("t.toml"),
            &[
                ("aria.toml", "name = \"Aria\"\nsystem_prompt = \"x\"\nprovider = \"a\"\nmodel = \"small\"\n"),
                ("sage.toml", "name = \"Sage\"\nsystem_prompt = \"y\"\nprovider = \"a\"\nmodel = \"small\"\naliases = [\"wise\"]\n"),
            ],
            &Env::empty(),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn personality_prefers_the_users_choice_in_private_only() {
        let c = cfg();
        let t = c.tenants.resolve("sim:x");
        assert_eq!(
            personality(&c, &t, Some("aria"), true).unwrap().name,
            "Aria"
        );
        assert_eq!(
            personality(&c, &t, Some("aria"), false).unwrap().name,
            "Sage"
        );
        assert_eq!(
            personality(&c, &t, Some("gone"), true).unwrap().name,
            "Sage"
        );
        let mut t2 = t.clone();
        t2.default_personality = None;
        assert_eq!(personality(&c, &t2, None, true).unwrap().name, "Aria");
    }

    #[test]
    fn models_follow_the_tenant_list_and_the_providers() {
        let c = cfg();
        let open = c.tenants.resolve("sim:x");
        let narrow = c.tenants.resolve("sim:narrow");
        assert_eq!(allowed_models(&c, &open), vec!["big", "small"]);
        assert_eq!(allowed_models(&c, &narrow), vec!["big"]);
        assert_eq!(find_model(&c, &open, "BIG").as_deref(), Some("big"));
        assert_eq!(find_model(&c, &narrow, "small"), None);
        let sage = c.personalities.find("Sage").unwrap();
        assert_eq!(
            model_for(&c, &open, sage, None),
            ("a".into(), "small".into())
        );
        assert_eq!(
            model_for(&c, &open, sage, Some("big")),
            ("b".into(), "big".into())
        );
        assert_eq!(
            model_for(&c, &open, sage, Some("small")),
            ("a".into(), "small".into())
        );
        // A choice the tenant no longer allows falls back to the personality's model.
        assert_eq!(
            model_for(&c, &narrow, sage, Some("small")),
            ("a".into(), "small".into())
        );
    }
}
