//! The Prometheus text format for the figures read at scrape time (queue depths, breakers, cost,
//! reload state), written beside what the recorder renders: `# HELP`, `# TYPE`, then samples with
//! escaped label values.

use std::fmt::Write as _;

/// Text being written.
#[derive(Default)]
pub struct Expo {
    /// The exposition so far.
    out: String,
}

impl Expo {
    /// Starts a metric family (`kind`: counter or gauge).
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    /// One sample of the family just started.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape_label(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {}", number(value));
    }

    pub fn into_string(self) -> String {
        self.out
    }
}

/// A sample value as Prometheus reads it.
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

/// Label values escape backslash, double quote and newline.
pub fn escape_label(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

/// Help text escapes backslash and newline.
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_escaped_samples() {
        let mut e = Expo::default();
        e.family("x_jobs", "gauge", "Jobs.\nNow");
        e.sample(
            "x_jobs",
            &[("tenant", "a\"b\\c\nd"), ("state", "ready")],
            3.0,
        );
        e.sample("x_jobs", &[], 0.25);
        e.sample("x_jobs", &[], f64::INFINITY);
        assert_eq!(
            e.into_string(),
            "# HELP x_jobs Jobs.\\nNow\n# TYPE x_jobs gauge\n\
             x_jobs{tenant=\"a\\\"b\\\\c\\nd\",state=\"ready\"} 3\nx_jobs 0.25\nx_jobs +Inf\n"
        );
    }
}
