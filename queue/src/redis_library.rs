//! The queue's Redis Functions library, built from `lua/*.lua` (state, leases, then one registered
//! function per entry file), and decoding of the functions' replies.
//!
//! A library, not EVALSHA scripts: Redis instantiates a library's helpers once at FUNCTION LOAD,
//! while an EVALSHA script re-creates all of them on every call (measured: 18 us of Redis time per
//! call for these helpers, against under 3 us for an FCALL). The library and function names carry a
//! hash of the code, so processes of different versions can share one Redis during a deploy.

use std::sync::LazyLock;

use bytes::Bytes;
use redis::Value;

use crate::queue::QueueError;

const STATE: &str = include_str!("../lua/state.lua");
const LEASES: &str = include_str!("../lua/leases.lua");

/// Entry points: (name, body). Each body runs with `KEYS` and `ARGV` in scope.
const ENTRIES: &[(&str, &str)] = &[
    ("enqueue", include_str!("../lua/enqueue.lua")),
    ("take", include_str!("../lua/take.lua")),
    ("nack", include_str!("../lua/nack.lua")),
    ("extend", include_str!("../lua/extend.lua")),
    ("maintain", include_str!("../lua/maintain.lua")),
    ("settings", include_str!("../lua/settings.lua")),
    ("stats", include_str!("../lua/stats.lua")),
    ("dead", include_str!("../lua/dead.lua")),
    ("cancel", include_str!("../lua/cancel.lua")),
    ("backlog", include_str!("../lua/backlog.lua")),
    ("position", include_str!("../lua/position.lua")),
];

pub(crate) struct Library {
    /// The FUNCTION LOAD payload.
    pub code: String,
    /// Prefix of every function name: `sb_<hash>_`.
    prefix: String,
}

impl Library {
    /// The full name of entry point `name`.
    pub fn function(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }
}

/// FNV-1a: a stable name for a version of the code (not security).
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub(crate) static LIBRARY: LazyLock<Library> = LazyLock::new(|| {
    let mut body = format!("{STATE}\n{LEASES}\n");
    for (name, src) in ENTRIES {
        body.push_str(&format!(
            "redis.register_function('@@{name}', function(KEYS, ARGV)\nbegin(KEYS, ARGV)\n{src}\nend)\n"
        ));
    }
    let hash = format!("{:016x}", fnv1a(&body));
    let prefix = format!("sb_{hash}_");
    let code = format!(
        "#!lua name=switchboard_{hash}\n{}",
        body.replace("@@", &prefix)
    );
    Library { code, prefix }
});

/// True if Redis answered that a function is missing (a restart without persistence, a flushed
/// server, a new cluster node): load the library and call again.
pub(crate) fn is_missing_function(e: &redis::RedisError) -> bool {
    e.detail().is_some_and(|d| d.contains("Function not found"))
}

/// Reads a script reply, naming the script in every error.
pub(crate) struct Reply {
    pub script: &'static str,
}

impl Reply {
    pub fn err(&self, detail: impl Into<String>) -> QueueError {
        QueueError::Protocol {
            script: self.script,
            detail: detail.into(),
        }
    }

    pub fn array<'v>(&self, v: &'v Value) -> Result<&'v [Value], QueueError> {
        match v {
            Value::Array(items) => Ok(items),
            Value::Nil => Ok(&[]),
            other => Err(self.err(format!("expected an array, got {other:?}"))),
        }
    }

    pub fn int(&self, v: &Value) -> Result<i64, QueueError> {
        match v {
            Value::Int(i) => Ok(*i),
            Value::BulkString(b) => std::str::from_utf8(b)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| self.err("expected a number")),
            other => Err(self.err(format!("expected a number, got {other:?}"))),
        }
    }

    pub fn u64(&self, v: &Value) -> Result<u64, QueueError> {
        u64::try_from(self.int(v)?).map_err(|_| self.err("expected a non-negative number"))
    }

    pub fn bytes(&self, v: &Value) -> Result<Bytes, QueueError> {
        match v {
            Value::BulkString(b) => Ok(Bytes::copy_from_slice(b)),
            Value::SimpleString(s) => Ok(Bytes::copy_from_slice(s.as_bytes())),
            Value::Int(i) => Ok(Bytes::from(i.to_string())),
            other => Err(self.err(format!("expected a string, got {other:?}"))),
        }
    }

    pub fn string(&self, v: &Value) -> Result<String, QueueError> {
        String::from_utf8(self.bytes(v)?.to_vec()).map_err(|_| self.err("expected UTF-8"))
    }

    /// Splits a flat array into rows of `width`.
    pub fn rows<'v>(
        &self,
        v: &'v Value,
        width: usize,
    ) -> Result<std::slice::Chunks<'v, Value>, QueueError> {
        let items = self.array(v)?;
        if items.len() % width != 0 {
            return Err(self.err(format!(
                "{} values is not a multiple of {width}",
                items.len()
            )));
        }
        Ok(items.chunks(width))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_registers_every_entry_under_a_versioned_name() {
        let lib = &*LIBRARY;
        assert!(lib.code.starts_with("#!lua name=switchboard_"));
        for (name, _) in ENTRIES {
            assert!(
                lib.code
                    .contains(&format!("register_function('{}'", lib.function(name)))
            );
        }
        assert!(!lib.code.contains("@@"));
    }

    #[test]
    fn replies_of_the_wrong_shape_are_errors_not_panics() {
        let r = Reply { script: "take" };
        assert!(r.array(&Value::Int(3)).is_err());
        assert!(r.int(&Value::BulkString(b"x".to_vec())).is_err());
        assert!(r.u64(&Value::Int(-1)).is_err());
        assert!(r.rows(&Value::Array(vec![Value::Int(1); 5]), 2).is_err());
        assert_eq!(r.int(&Value::BulkString(b"42".to_vec())).unwrap(), 42);
    }
}
