//! What an import did: per kind, what was written and what was already there (a rerun writes
//! nothing twice), and every problem found, with its file and line. Rendered for the terminal;
//! it never quotes message content.

use std::fmt::Write as _;
use std::path::PathBuf;

/// Items of one kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Written by this run.
    pub imported: u64,
    /// Found already imported (an earlier run), or already set in switchboard.
    pub already: u64,
}

/// Something that could not be imported as it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The source file, relative to the imported directory.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    pub reason: String,
}

/// Which of DaemonVigil's two directory layouts was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `messages.json`, `scratchpad.json`, `api_usage.jsonl` of one user.
    SingleUser,
    /// `users.json` and `users/<id>/`.
    MultiUser,
}

/// Why the data went to the tenant it went to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TenantFrom {
    /// `--tenant`.
    Flag,
    /// Where this Telegram bot (the config's first) puts private chats.
    TelegramBot(String),
    /// No Telegram bot is configured.
    Fallback,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The imported directory, as given.
    pub source: PathBuf,
    pub layout: Layout,
    pub tenant: String,
    pub tenant_from: TenantFrom,
    /// The personality whose conversations received the history.
    pub personality: String,
    pub users: Tally,
    pub messages: Tally,
    pub notes: Tally,
    pub usage: Tally,
    pub settings: Tally,
    /// Check-in schedules.
    pub heartbeats: Tally,
    /// Messages older than the history switchboard keeps per conversation (left out).
    pub messages_not_kept: u64,
    /// How many messages a conversation keeps (`workers.max_context_messages`).
    pub messages_kept: usize,
    /// Notes older than the [`crate::store::NOTES_KEPT`] newest (left out).
    pub notes_not_kept: u64,
    /// Source files that could be read (wholly or in part).
    pub files_read: usize,
    pub problems: Vec<Problem>,
}

impl Summary {
    pub fn new(source: PathBuf, layout: Layout) -> Summary {
        Summary {
            source,
            layout,
            tenant: String::new(),
            tenant_from: TenantFrom::Fallback,
            personality: String::new(),
            users: Tally::default(),
            messages: Tally::default(),
            notes: Tally::default(),
            usage: Tally::default(),
            settings: Tally::default(),
            heartbeats: Tally::default(),
            messages_not_kept: 0,
            messages_kept: 0,
            notes_not_kept: 0,
            files_read: 0,
            problems: Vec::new(),
        }
    }

    /// Not one source file could be read: the import failed as a whole.
    pub fn nothing_read(&self) -> bool {
        self.files_read == 0
    }

    pub(crate) fn problem(&mut self, file: &str, line: Option<usize>, reason: impl Into<String>) {
        self.problems.push(Problem {
            file: file.to_owned(),
            line,
            reason: reason.into(),
        });
    }

    /// The report printed at the end of `switchboard import`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let layout = match self.layout {
            Layout::SingleUser => "single-user layout",
            Layout::MultiUser => "multi-user layout",
        };
        let _ = writeln!(
            out,
            "DaemonVigil import from {} ({layout})",
            self.source.display()
        );
        let why = match &self.tenant_from {
            TenantFrom::Flag => "given with --tenant".to_owned(),
            TenantFrom::TelegramBot(bot) => {
                format!("where Telegram bot {bot:?} puts private chats; --tenant changes it")
            }
            TenantFrom::Fallback => "no Telegram bot is configured; --tenant changes it".to_owned(),
        };
        let _ = writeln!(out, "  tenant:      {} ({why})", self.tenant);
        let _ = writeln!(out, "  personality: {}", self.personality);
        let _ = writeln!(out, "  {:<16}{:>10}{:>15}", "", "imported", "already there");
        for (name, t) in [
            ("users", self.users),
            ("messages", self.messages),
            ("notes", self.notes),
            ("usage records", self.usage),
            ("settings", self.settings),
            ("check-ins", self.heartbeats),
        ] {
            let _ = writeln!(out, "  {name:<16}{:>10}{:>15}", t.imported, t.already);
        }
        if self.messages_not_kept > 0 {
            let _ = writeln!(
                out,
                "  {} older messages left out: a conversation keeps its last {} (workers.max_context_messages).",
                self.messages_not_kept, self.messages_kept
            );
        }
        if self.notes_not_kept > 0 {
            let _ = writeln!(
                out,
                "  {} older notes left out: a user keeps {} notes.",
                self.notes_not_kept,
                crate::store::NOTES_KEPT
            );
        }
        if self.problems.is_empty() {
            out.push_str("No problems.\n");
        } else {
            let _ = writeln!(out, "Problems ({}):", self.problems.len());
            for p in &self.problems {
                match p.line {
                    Some(line) => {
                        let _ = writeln!(out, "  {}:{line}: {}", p.file, p.reason);
                    }
                    None => {
                        let _ = writeln!(out, "  {}: {}", p.file, p.reason);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_reasons_and_problems() {
        let mut s = Summary::new(PathBuf::from("/srv/dv/data"), Layout::MultiUser);
        s.tenant = "telegram-dms".into();
        s.tenant_from = TenantFrom::TelegramBot("companion".into());
        s.personality = "Aria".into();
        s.messages = Tally {
            imported: 37,
            already: 3,
        };
        s.messages_not_kept = 12;
        s.messages_kept = 30;
        s.problem(
            "users/1/messages.json",
            Some(14),
            "message #3 has no \"content\"; skipped",
        );
        s.problem("users.json", None, "not valid JSON");
        let text = s.render();
        assert!(text.starts_with("DaemonVigil import from /srv/dv/data (multi-user layout)\n"));
        assert!(text.contains(
            "  tenant:      telegram-dms (where Telegram bot \"companion\" puts private chats"
        ));
        assert!(text.contains("  personality: Aria\n"));
        assert!(
            text.contains("  messages                37              3\n"),
            "{text}"
        );
        assert!(text.contains("  12 older messages left out: a conversation keeps its last 30"));
        assert!(text.contains("Problems (2):\n"));
        assert!(
            text.contains("  users/1/messages.json:14: message #3 has no \"content\"; skipped\n")
        );
        assert!(text.contains("  users.json: not valid JSON\n"));
        assert!(s.nothing_read(), "no file was counted as read");
    }

    #[test]
    fn no_problems_is_said() {
        let mut s = Summary::new(PathBuf::from("d"), Layout::SingleUser);
        s.files_read = 1;
        assert!(s.render().ends_with("No problems.\n"));
        assert!(!s.nothing_read());
        s.files_read = 0;
        assert!(s.nothing_read());
    }
}
