//! A simple rule for not cutting a user-perceived character in two when a message must be cut
//! hard: do not cut before a combining mark, variation selector, emoji modifier, tag or
//! zero-width joiner, nor right after a joiner, nor between the two halves of a flag. It is not
//! full Unicode segmentation (Indic conjuncts and Hangul jamo are not covered), which is enough
//! for a fallback that only runs when a text has no whitespace to break at.

/// Whether a cut at byte `at` of `text` (a char boundary) would split a cluster.
pub(super) fn splits_cluster(text: &str, at: usize) -> bool {
    let (before, after) = text.split_at(at);
    let (Some(prev), Some(next)) = (before.chars().next_back(), after.chars().next()) else {
        return false;
    };
    if prev == ZWJ || extends(next) {
        return true;
    }
    // Regional indicators pair up into flags: a cut between two is inside a flag when an odd
    // number of them precede it.
    // Only the last MAX_FLAG_RUN are counted, so the check stays cheap on absurd input.
    is_regional(next)
        && before
            .chars()
            .rev()
            .take(MAX_FLAG_RUN)
            .take_while(|&c| is_regional(c))
            .count()
            % 2
            == 1
}

/// How many regional indicators before a cut are looked at to pair them into flags.
const MAX_FLAG_RUN: usize = 64;

const ZWJ: char = '\u{200D}';

/// Characters that attach to the character before them.
fn extends(c: char) -> bool {
    matches!(c,
        ZWJ
        | '\u{0300}'..='\u{036F}' // combining diacritical marks
        | '\u{0483}'..='\u{0489}' // Cyrillic combining marks
        | '\u{0591}'..='\u{05BD}' | '\u{05BF}' | '\u{05C1}'..='\u{05C2}' | '\u{05C4}'..='\u{05C5}'
        | '\u{05C7}' // Hebrew points
        | '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0670}'
        | '\u{06D6}'..='\u{06DC}' | '\u{06DF}'..='\u{06E4}' | '\u{06E7}'..='\u{06E8}'
        | '\u{06EA}'..='\u{06ED}' // Arabic marks
        | '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}' // Thai marks
        | '\u{1AB0}'..='\u{1AFF}' // combining diacritical marks extended
        | '\u{1DC0}'..='\u{1DFF}' // combining diacritical marks supplement
        | '\u{200C}' // zero-width non-joiner
        | '\u{20D0}'..='\u{20FF}' // combining marks for symbols, incl. the keycap
        | '\u{302A}'..='\u{302F}' | '\u{3099}'..='\u{309A}' // CJK tone marks, kana voicing
        | '\u{FE00}'..='\u{FE0F}' // variation selectors
        | '\u{FE20}'..='\u{FE2F}' // combining half marks
        | '\u{1F3FB}'..='\u{1F3FF}' // emoji skin-tone modifiers
        | '\u{E0020}'..='\u{E007F}' // tags (subdivision flags)
        | '\u{E0100}'..='\u{E01EF}' // variation selectors supplement
    )
}

fn is_regional(c: char) -> bool {
    matches!(c, '\u{1F1E6}'..='\u{1F1FF}')
}

#[cfg(test)]
mod tests {
    use super::splits_cluster;

    /// Byte offsets of every char boundary strictly inside `s`.
    fn inner_boundaries(s: &str) -> Vec<usize> {
        s.char_indices()
            .map(|(i, _)| i)
            .filter(|&i| i > 0)
            .collect()
    }

    #[test]
    fn keeps_emoji_sequences_whole() {
        for cluster in [
            "👨\u{200D}👩\u{200D}👧\u{200D}👦", // family (ZWJ sequence)
            "👍🏽",                               // skin tone
            "❤\u{FE0F}",                        // variation selector
            "1\u{FE0F}\u{20E3}",                // keycap
            "🇯🇵",                               // flag
            "e\u{301}\u{302}",                  // stacked combining marks
        ] {
            for at in inner_boundaries(cluster) {
                assert!(splits_cluster(cluster, at), "{cluster:?} at {at}");
            }
        }
    }

    #[test]
    fn allows_cuts_between_clusters() {
        let text = "a👍🏽b🇯🇵🇫🇷e\u{301}x";
        let allowed: Vec<usize> = inner_boundaries(text)
            .into_iter()
            .filter(|&at| !splits_cluster(text, at))
            .map(|at| text[..at].chars().count())
            .collect();
        // a | 👍🏽 | b | 🇯🇵 | 🇫🇷 | é | x
        assert_eq!(allowed, vec![1, 3, 4, 6, 8, 10]);
    }
}
