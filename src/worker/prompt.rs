//! Building the AI request from a conversation's history: the personality's system prompt, the
//! bounded history, and the user messages still unanswered (all of them when coalescing, else only
//! up to this job's message). Pure.

use crate::ai::{ChatMessage, Role};
use crate::store::{Note, StoredMessage};

/// The messages to send and the last user message they answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    pub messages: Vec<ChatMessage>,
    /// Seq of the newest user message included: everything up to it is answered by this reply.
    pub answers_through: u64,
}

/// `history` oldest first; `answered` the seq answered so far; the job's message is `seq` with
/// `text` (used if history lost it). The context (answers, and user messages already answered) comes
/// first in order; then the user messages still waiting (messages that arrived while an earlier
/// answer was being written are stored after it, but the AI must see them last). Consecutive
/// messages of one role are merged (some providers require alternating roles), and the
/// conversation starts with a user message.
pub fn build(
    history: &[StoredMessage],
    answered: u64,
    seq: u64,
    text: &str,
    coalesce: bool,
) -> Prompt {
    let mut msgs: Vec<ChatMessage> = Vec::new();
    let mut pending: Vec<&StoredMessage> = Vec::new();
    for m in history {
        if m.role == Role::User && m.seq > answered {
            if coalesce || m.seq <= seq {
                pending.push(m);
            }
        } else {
            push(&mut msgs, m.role, &m.text);
        }
    }
    let mut through = seq;
    let mut saw_own = false;
    for m in pending {
        through = through.max(m.seq);
        saw_own |= m.seq == seq;
        push(&mut msgs, Role::User, &m.text);
    }
    if !saw_own {
        push(&mut msgs, Role::User, text);
    }
    while msgs.first().is_some_and(|m| m.role == Role::Assistant) {
        msgs.remove(0);
    }
    Prompt {
        messages: msgs,
        answers_through: through,
    }
}

fn push(msgs: &mut Vec<ChatMessage>, role: Role, text: &str) {
    match msgs.last_mut() {
        Some(last) if last.role == role => {
            last.content.push_str("\n\n");
            last.content.push_str(text);
        }
        _ => msgs.push(ChatMessage {
            role,
            content: text.to_owned(),
        }),
    }
}

/// The user's message as the AI sees it: the text, then any attached text documents.
pub fn with_attachments(text: &str, files: &[(String, String)]) -> String {
    let mut out = text.to_owned();
    for (name, content) in files {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&format!("[Attached file: {name}]\n{content}"));
    }
    out
}

/// Notes put in a prompt at most (the newest), and characters of notes at most.
const PROMPT_NOTES: usize = 50;
const PROMPT_NOTES_CHARS: usize = 8_000;

/// The personality's system prompt with the user's notes after it (newest kept when they do not
/// all fit), so every personality remembers what the user asked to be remembered.
pub fn system_with_notes(system: &str, notes: &[Note]) -> String {
    if notes.is_empty() {
        return system.to_owned();
    }
    let mut kept: Vec<&str> = Vec::new();
    let mut chars = 0;
    for n in notes.iter().rev().take(PROMPT_NOTES) {
        chars += n.text.chars().count();
        if chars > PROMPT_NOTES_CHARS && !kept.is_empty() {
            break;
        }
        kept.push(n.text.as_str());
    }
    kept.reverse();
    let mut out = system.trim_end().to_owned();
    out.push_str("\n\nNotes the user asked you to remember about them:");
    for n in kept {
        out.push_str("\n- ");
        out.push_str(&n.replace('\n', " "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(seq: u64, role: Role, text: &str) -> StoredMessage {
        StoredMessage {
            seq,
            role,
            text: text.into(),
            at_ms: seq,
            job_id: None,
        }
    }

    fn roles(p: &Prompt) -> Vec<(Role, &str)> {
        p.messages
            .iter()
            .map(|m| (m.role, m.content.as_str()))
            .collect()
    }

    #[test]
    fn coalescing_answers_every_pending_message_in_one_go() {
        let h = [
            m(1, Role::User, "hi"),
            m(2, Role::Assistant, "hello"),
            m(3, Role::User, "q1"),
            m(4, Role::User, "q2"),
        ];
        let p = build(&h, 1, 3, "q1", true);
        assert_eq!(
            roles(&p),
            [
                (Role::User, "hi"),
                (Role::Assistant, "hello"),
                (Role::User, "q1\n\nq2")
            ]
        );
        assert_eq!(p.answers_through, 4);
    }

    #[test]
    fn without_coalescing_later_messages_wait_for_their_own_job() {
        let h = [m(1, Role::User, "q1"), m(2, Role::User, "q2")];
        let p = build(&h, 0, 1, "q1", false);
        assert_eq!(roles(&p), [(Role::User, "q1")]);
        assert_eq!(p.answers_through, 1);
    }

    #[test]
    fn a_message_missing_from_history_is_still_answered() {
        let h = [m(1, Role::User, "old"), m(2, Role::Assistant, "ok")];
        let p = build(&h, 1, 3, "new one", true);
        assert_eq!(roles(&p).last(), Some(&(Role::User, "new one")));
        assert_eq!(p.answers_through, 3);
    }

    #[test]
    fn messages_that_arrived_during_a_generation_come_after_its_answer() {
        // Stored: q1, q2 and q3 (q2, q3 while q1 was being answered), then the answer to q1.
        let h = [
            m(1, Role::User, "q1"),
            m(2, Role::User, "q2"),
            m(3, Role::User, "q3"),
            m(4, Role::Assistant, "a1"),
        ];
        let p = build(&h, 1, 2, "q2", true);
        assert_eq!(
            roles(&p),
            [
                (Role::User, "q1"),
                (Role::Assistant, "a1"),
                (Role::User, "q2\n\nq3")
            ]
        );
        assert_eq!(p.answers_through, 3);
    }

    #[test]
    fn history_trimmed_to_start_with_an_answer_starts_with_the_user() {
        let h = [
            m(5, Role::Assistant, "cut off reply"),
            m(6, Role::User, "next"),
        ];
        let p = build(&h, 5, 6, "next", true);
        assert_eq!(roles(&p), [(Role::User, "next")]);
    }

    #[test]
    fn attachments_follow_the_text() {
        let s = with_attachments("see file", &[("a.txt".into(), "abc".into())]);
        assert_eq!(s, "see file\n\n[Attached file: a.txt]\nabc");
        assert_eq!(
            with_attachments("", &[("a.txt".into(), "x".into())]),
            "[Attached file: a.txt]\nx"
        );
    }

    #[test]
    fn notes_follow_the_system_prompt_newest_kept_when_too_many() {
        assert_eq!(system_with_notes("Be kind.", &[]), "Be kind.");
        let note = |i: usize, text: &str| Note {
            at_ms: i as u64,
            text: text.into(),
        };
        let s = system_with_notes(
            "Be kind.\n",
            &[note(1, "vegetarian"), note(2, "cat: Léon\nis grey")],
        );
        assert_eq!(
            s,
            "Be kind.\n\nNotes the user asked you to remember about them:\n- vegetarian\n- cat: Léon is grey"
        );
        let many: Vec<Note> = (0..300).map(|i| note(i, &format!("note {i}"))).collect();
        let s = system_with_notes("S", &many);
        assert!(s.ends_with("- note 299"));
        assert!(s.contains("- note 250") && !s.contains("- note 249\n"));
        let huge: Vec<Note> = (0..3).map(|i| note(i, &"x".repeat(5_000))).collect();
        let s = system_with_notes("S", &huge);
        assert_eq!(
            s.matches("- x").count(),
            1,
            "the newest note is kept even alone over the cap"
        );
    }
}
