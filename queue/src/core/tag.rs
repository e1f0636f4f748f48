//! Virtual-time tags and the ordered set of flows that the scheduler picks from.
//!
//! Tags are whole numbers held in `f64` so that the Redis backend's Lua (whose only number type is a
//! double) computes bit-for-bit the same values as this core: every increment is
//! `floor(cost * TAG_SCALE / weight)` and everything after that is addition of integers. Integer
//! tags also make the schedule invariant under shifting all tags of a level by a constant, which is
//! what lets either backend forget idle flows whenever it likes without changing any later order.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

/// Tag units charged for one unit of cost at weight 1. Large enough that weights such as 3:2:1 or
/// 0.001..1000 keep their ratios to within one part in a million; small enough that a flow at
/// weight 1 can be dispatched 2^33 times before tags leave the range where doubles are exact (and
/// past that, both backends still round identically).
pub const TAG_SCALE: f64 = 1_048_576.0;

/// The tag increment for a dispatch of `cost` on a flow of `weight`.
///
/// Zero cost is free; any positive cost advances the tag by at least one unit so a flow with a huge
/// weight can never stall virtual time. Written as in `lua/lib.lua` (`tag_inc`): keep them equal.
pub fn tag_increment(cost: f64, weight: f64) -> f64 {
    if cost <= 0.0 {
        return 0.0;
    }
    let inc = (cost * TAG_SCALE / weight).floor();
    if inc < 1.0 { 1.0 } else { inc }
}

/// A tag ordered like a Redis sorted-set score (`-0 == 0`, no NaN ever stored).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tag(pub f64);

impl Eq for Tag {}

impl PartialOrd for Tag {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Tag {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.partial_cmp(&other.0).unwrap_or(Ordering::Equal)
    }
}

/// Flows ordered by (start tag, name): exactly the order of a Redis sorted set (score, then member
/// bytes), so both backends break ties the same way.
#[derive(Debug, Default, Clone)]
pub struct TagSet {
    /// The order itself.
    ordered: BTreeSet<(Tag, String)>,
    /// Each member's current tag, to find its entry in `ordered`.
    tags: HashMap<String, f64>,
}

impl TagSet {
    /// Adds `name` with `tag`, or moves it there if already present.
    pub fn insert(&mut self, name: &str, tag: f64) {
        if let Some(old) = self.tags.insert(name.to_owned(), tag) {
            self.ordered.remove(&(Tag(old), name.to_owned()));
        }
        self.ordered.insert((Tag(tag), name.to_owned()));
    }

    /// Removes `name`, returning its tag if it was present.
    pub fn remove(&mut self, name: &str) -> Option<f64> {
        let old = self.tags.remove(name)?;
        self.ordered.remove(&(Tag(old), name.to_owned()));
        Some(old)
    }

    /// The member with the smallest (tag, name).
    pub fn first(&self) -> Option<(&str, f64)> {
        self.ordered.first().map(|(t, n)| (n.as_str(), t.0))
    }

    /// The tag of `name` if it is a member.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.tags.get(name).copied()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.tags.contains_key(name)
    }

    pub fn len(&self) -> usize {
        self.tags.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// How many members come before `name`, if it is a member. Linear in that count: meant for
    /// a user asking where they stand, not for the dispatch path.
    pub fn rank(&self, name: &str) -> Option<usize> {
        let tag = *self.tags.get(name)?;
        Some(self.ordered.range(..(Tag(tag), name.to_owned())).count())
    }

    /// Members in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.ordered.iter().map(|(t, n)| (n.as_str(), t.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_break_by_name_bytes_like_a_sorted_set() {
        let mut s = TagSet::default();
        s.insert("b", 5.0);
        s.insert("a", 5.0);
        s.insert("c", 1.0);
        let order: Vec<_> = s.iter().map(|(n, _)| n.to_owned()).collect();
        assert_eq!(order, ["c", "a", "b"]);
        s.insert("c", 9.0);
        assert_eq!(s.first(), Some(("a", 5.0)));
        assert_eq!(s.remove("a"), Some(5.0));
        assert_eq!(s.remove("a"), None);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn negative_zero_ties_with_zero() {
        assert_eq!(Tag(-0.0).cmp(&Tag(0.0)), Ordering::Equal);
    }

    #[test]
    fn increments_are_whole_and_never_zero_for_paid_work() {
        assert_eq!(tag_increment(1.0, 1.0), TAG_SCALE);
        assert_eq!(tag_increment(1.0, 3.0), (TAG_SCALE / 3.0).floor());
        assert_eq!(tag_increment(1.0, 1e12), 1.0);
        assert_eq!(tag_increment(0.0, 1.0), 0.0);
        assert_eq!(tag_increment(2.5, 0.5), 5.0 * TAG_SCALE);
    }
}
