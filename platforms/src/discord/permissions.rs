//! Who counts as a moderator in a Discord server. Message payloads carry only the author's role
//! ids; the adapter looks the roles up in its guild cache and asks [`moderates`]. Discord's rule
//! for a member's server-wide permissions: the owner has all; otherwise the `@everyone` role's
//! permissions (the role whose id is the guild id) OR those of each role the member has, and
//! `ADMINISTRATOR` grants all. Channel overwrites are not considered: activating a personality is
//! a server-level decision, like Discord's own "Manage Channels".

use std::collections::HashMap;

/// `ADMINISTRATOR`: every permission.
pub const ADMINISTRATOR: u64 = 1 << 3;
/// `MANAGE_CHANNELS`: what makes a member a moderator here.
pub const MANAGE_CHANNELS: u64 = 1 << 4;
/// `MANAGE_GUILD`: also enough to moderate.
pub const MANAGE_GUILD: u64 = 1 << 5;

/// What the adapter knows of a server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GuildRoles {
    pub guild_id: u64,
    pub owner_id: u64,
    /// Role id to permission bits (the `@everyone` role has the guild's id).
    pub roles: HashMap<u64, u64>,
}

impl GuildRoles {
    /// The member's server-wide permission bits.
    pub fn permissions(&self, user_id: u64, member_roles: &[u64]) -> u64 {
        if user_id != 0 && user_id == self.owner_id {
            return u64::MAX;
        }
        let everyone = self.roles.get(&self.guild_id).copied().unwrap_or(0);
        let bits = member_roles
            .iter()
            .filter_map(|r| self.roles.get(r))
            .fold(everyone, |acc, p| acc | p);
        if bits & ADMINISTRATOR != 0 {
            u64::MAX
        } else {
            bits
        }
    }

    /// Whether the member may activate personalities in channels.
    pub fn moderates(&self, user_id: u64, member_roles: &[u64]) -> bool {
        is_moderator(self.permissions(user_id, member_roles))
    }
}

/// Whether these permission bits (an interaction's resolved `member.permissions`, say) make a
/// moderator.
pub fn is_moderator(bits: u64) -> bool {
    bits & (ADMINISTRATOR | MANAGE_CHANNELS | MANAGE_GUILD) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guild() -> GuildRoles {
        GuildRoles {
            guild_id: 100,
            owner_id: 7,
            roles: HashMap::from([
                (100, 0x400 | 0x800),
                (1, MANAGE_CHANNELS),
                (2, 0x800),
                (3, ADMINISTRATOR),
            ]),
        }
    }

    #[test]
    fn roles_add_up_over_everyone() {
        let g = guild();
        assert_eq!(g.permissions(5, &[]), 0xC00);
        assert_eq!(g.permissions(5, &[2]), 0xC00);
        assert_eq!(g.permissions(5, &[1, 2]), 0xC00 | MANAGE_CHANNELS);
        assert!(!g.moderates(5, &[2]));
        assert!(g.moderates(5, &[1]));
    }

    #[test]
    fn owner_and_administrators_have_everything() {
        let g = guild();
        assert!(g.moderates(7, &[]));
        assert_eq!(g.permissions(7, &[]), u64::MAX);
        assert!(g.moderates(5, &[3]));
        assert_eq!(g.permissions(5, &[3]), u64::MAX);
    }

    #[test]
    fn unknown_roles_and_users_grant_nothing() {
        let g = guild();
        assert!(!g.moderates(5, &[999]));
        // A guild never seen (no roles at all): nobody moderates, not even user 0.
        let empty = GuildRoles::default();
        assert!(!empty.moderates(0, &[]));
        assert!(!empty.moderates(5, &[1]));
    }

    #[test]
    fn everyone_role_can_grant_moderation() {
        let mut g = guild();
        g.roles.insert(100, MANAGE_GUILD);
        assert!(g.moderates(5, &[]));
        assert!(is_moderator(MANAGE_CHANNELS));
        assert!(!is_moderator(0x800));
    }
}
