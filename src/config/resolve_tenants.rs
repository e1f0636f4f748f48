//! Resolving who gets what: `[tenant_defaults]`, `[[tenants]]` with their scope rules, `[users]`
//! and `admins`. Explicit tenants inherit every key they do not set from `[tenant_defaults]`.

use std::collections::{BTreeMap, BTreeSet};

use super::checks::{Cx, pattern_error, user_key_error};
use super::parse::Entries;
use super::path::KeyPath;
use super::raw::{
    AccessMode, RawQuotaFields, RawTenant, RawTenantQuotas, RawTenantSettings, RawUser,
};
use super::resolve_quotas::{
    check_fields, check_tenant_fields, merge_fields, merge_tenant_fields, to_override,
    to_tenant_quotas,
};
use super::types::{Access, Personalities, Tenant, TenantRule, Tenants, UserOverride};

/// What tenants refer to. A `None` part failed to load: references to it are not checked.
pub(crate) struct Refs<'r> {
    pub personalities: Option<&'r Personalities>,
    /// Every model some provider lists.
    pub models: Option<&'r BTreeSet<String>>,
    /// The `[quotas]` burst, for override rates that set none.
    pub default_user_burst: u32,
}

impl Refs<'_> {
    /// The canonical name of personality `p` (by name or alias), reporting an unknown one.
    fn personality(&self, cx: &mut Cx<'_>, path: &KeyPath, p: &str) -> String {
        let Some(all) = self.personalities else {
            return p.to_owned();
        };
        match all.find(p) {
            Some(found) => found.name.clone(),
            None => {
                let known: Vec<_> = all.all.keys().map(String::as_str).collect();
                cx.err(
                    path,
                    format!("no personality named {p:?}; known: {}", known.join(", ")),
                );
                p.to_owned()
            }
        }
    }

    fn check_model(&self, cx: &mut Cx<'_>, path: &KeyPath, model: &str) {
        if let Some(models) = self.models
            && !models.contains(model)
        {
            let known: Vec<_> = models.iter().map(String::as_str).collect();
            cx.err(
                path,
                format!(
                    "no provider lists model {model:?}; configured models: {}",
                    known.join(", ")
                ),
            );
        }
    }
}

pub(crate) fn tenants(
    cx: &mut Cx<'_>,
    defaults: &RawTenantSettings,
    entries: &Entries<RawTenant>,
    refs: &Refs<'_>,
) -> Tenants {
    let defaults_path = KeyPath::of(&["tenant_defaults"]);
    let template = settings(
        cx,
        &defaults_path,
        "",
        defaults,
        &RawTenantSettings::default(),
        refs,
    );
    let mut named = BTreeMap::new();
    let mut rules = Vec::new();
    let mut defined_at: BTreeMap<&str, String> = BTreeMap::new();
    let mut owner_of: BTreeMap<&str, &str> = BTreeMap::new();
    for e in &entries.items {
        let name = e.raw.name.as_str();
        let name_path = e.path.key("name");
        cx.tenant_name(&name_path, name);
        if let Some(prev) = defined_at.insert(name, e.path.to_string()) {
            cx.err(
                &name_path,
                format!("tenant {name:?} is already defined by {prev}; names must be unique"),
            );
        }
        for (j, pattern) in e.raw.matches.iter().enumerate() {
            let at = e.path.key("match").index(j);
            if let Some(why) = pattern_error(pattern) {
                cx.err(&at, format!("{pattern:?} is not a scope pattern: {why}"));
            } else if let Some(owner) = owner_of.get(pattern.as_str()) {
                cx.err(
                    &at,
                    format!("{pattern:?} is already matched by tenant {owner:?}; the first matching rule wins"),
                );
            } else {
                owner_of.insert(pattern, name);
                rules.push(TenantRule {
                    pattern: pattern.clone(),
                    tenant: name.to_owned(),
                });
            }
        }
        let tenant = settings(cx, &e.path, name, &e.raw.settings(), defaults, refs);
        named.insert(name.to_owned(), tenant);
    }
    Tenants {
        named,
        rules,
        defaults: template,
    }
}

/// A tenant from its own keys (checked at `path`) over `base` (checked where it is written).
fn settings(
    cx: &mut Cx<'_>,
    path: &KeyPath,
    name: &str,
    own: &RawTenantSettings,
    base: &RawTenantSettings,
    refs: &Refs<'_>,
) -> Tenant {
    if let Some(w) = own.weight {
        cx.weight(&path.key("weight"), w);
    }
    if let Some(x) = own.cost_alert_usd
        && !(x.is_finite() && x > 0.0)
    {
        cx.err(
            &path.key("cost_alert_usd"),
            format!("must be more than 0 USD (got {x})"),
        );
    }
    let default_personality = match (&own.default_personality, &base.default_personality) {
        (Some(p), _) => Some(refs.personality(cx, &path.key("default_personality"), p)),
        (None, Some(p)) => Some(
            refs.personalities
                .and_then(|all| all.find(p))
                .map_or_else(|| p.clone(), |found| found.name.clone()),
        ),
        (None, None) => None,
    };
    for (i, model) in own.allowed_models.iter().flatten().enumerate() {
        refs.check_model(cx, &path.key("allowed_models").index(i), model);
    }
    if let Some(q) = &own.user_quotas {
        check_fields(cx, &path.key("user_quotas"), q, true);
    }
    if let Some(q) = &own.quotas {
        check_tenant_fields(cx, &path.key("quotas"), q);
    }
    let no_fields = RawQuotaFields::default();
    let user_quotas = merge_fields(
        own.user_quotas.as_ref().unwrap_or(&no_fields),
        base.user_quotas.as_ref().unwrap_or(&no_fields),
    );
    let no_limits = RawTenantQuotas::default();
    let tenant_quotas = merge_tenant_fields(
        own.quotas.as_ref().unwrap_or(&no_limits),
        base.quotas.as_ref().unwrap_or(&no_limits),
    );
    Tenant {
        name: name.to_owned(),
        weight: own.weight.or(base.weight).unwrap_or(1.0),
        access: match own.access.or(base.access).unwrap_or(AccessMode::Open) {
            AccessMode::Open => Access::Open,
            AccessMode::Allowlist => Access::Allowlist,
            AccessMode::Approval => Access::Approval,
        },
        user_quotas: to_override(&user_quotas, refs.default_user_burst),
        tenant_quotas: to_tenant_quotas(&tenant_quotas),
        allowed_models: own
            .allowed_models
            .as_ref()
            .or(base.allowed_models.as_ref())
            .map(|m| m.iter().cloned().collect())
            .unwrap_or_default(),
        default_personality,
        in_flight: own.in_flight.or(base.in_flight),
        cost_alert_usd: own.cost_alert_usd.or(base.cost_alert_usd),
    }
}

pub(crate) fn users(
    cx: &mut Cx<'_>,
    entries: &Entries<RawUser>,
    default_burst: u32,
) -> BTreeMap<String, UserOverride> {
    let mut out = BTreeMap::new();
    for e in &entries.items {
        if let Some(why) = user_key_error(&e.name) {
            cx.err(&e.path, format!("{:?} is not a user key: {why}", e.name));
        }
        if let Some(w) = e.raw.weight {
            cx.weight(&e.path.key("weight"), w);
        }
        if let Some(n) = e.raw.in_flight {
            cx.range(&e.path.key("in_flight"), n, 1, 1000);
        }
        let quotas = e.raw.quotas.clone().unwrap_or_default();
        check_fields(cx, &e.path.key("quotas"), &quotas, true);
        out.insert(
            e.name.clone(),
            UserOverride {
                weight: e.raw.weight,
                banned: e.raw.banned,
                allowed: e.raw.allowed,
                quotas: to_override(&quotas, default_burst),
                in_flight: e.raw.in_flight,
            },
        );
    }
    out
}

pub(crate) fn admins(cx: &mut Cx<'_>, raw: &[String]) -> BTreeSet<String> {
    let path = KeyPath::of(&["admins"]);
    for (i, key) in raw.iter().enumerate() {
        if let Some(why) = user_key_error(key) {
            cx.err(&path.index(i), format!("{key:?} is not a user key: {why}"));
        }
    }
    raw.iter().cloned().collect()
}
