//! One way to say that a bound passed: who did not answer, doing what, within which bound, and the setting
//! that sets it — `The cluster did not answer listing secrets within 1 s (KUBE_TIMEOUT_SECONDS)` — so the
//! wording and the units cannot drift from one message to the next.

use std::time::Duration;

/// A call, or a whole request, that a bound cut off.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{who} did not answer{doing} within {}", self.bound_text())]
pub struct Timeout {
    who: String,
    doing: String,
    bound: Option<Duration>,
    setting: &'static str,
}

impl Timeout {
    /// `who` did not answer within `bound`, which `setting` sets.
    pub fn new(who: impl Into<String>, bound: Duration, setting: &'static str) -> Self {
        Self {
            who: who.into(),
            doing: String::new(),
            bound: Some(bound),
            setting,
        }
    }

    /// `who` did not answer within the bound `setting` sets, whose value the caller does not know.
    pub fn of_setting(who: impl Into<String>, setting: &'static str) -> Self {
        Self {
            who: who.into(),
            doing: String::new(),
            bound: None,
            setting,
        }
    }

    /// What `who` was asked (`reading secret x in argocd`).
    pub fn doing(mut self, what: impl AsRef<str>) -> Self {
        self.doing = format!(" {}", what.as_ref());
        self
    }

    fn bound_text(&self) -> String {
        match self.bound {
            Some(bound) => format!("{} ({})", duration_text(bound), self.setting),
            None => self.setting.to_string(),
        }
    }
}

/// A bound as messages write it: milliseconds below a second (`100 ms`, `900 ms`), else seconds to a tenth
/// (`1 s`, `2.5 s`).
pub fn duration_text(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        return format!("{} ms", d.as_millis());
    }
    if d.subsec_millis() == 0 {
        return format!("{} s", d.as_secs());
    }
    let text = format!("{:.1}", d.as_secs_f64());
    format!("{} s", text.trim_end_matches(".0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_phrasing_in_one_unit_each() {
        let ms = Duration::from_millis;
        for (bound, text) in [
            (Duration::from_secs(1), "1 s"),
            (Duration::from_secs(20), "20 s"),
            (ms(900), "900 ms"),
            (ms(2500), "2.5 s"),
            (ms(100), "100 ms"),
            (ms(5), "5 ms"),
        ] {
            assert_eq!(duration_text(bound), text, "{bound:?}");
        }
        let cluster =
            Timeout::new("The cluster", ms(1000), "KUBE_TIMEOUT_SECONDS").doing("listing secrets");
        assert_eq!(
            cluster.to_string(),
            "The cluster did not answer listing secrets within 1 s (KUBE_TIMEOUT_SECONDS)"
        );
        assert_eq!(
            Timeout::of_setting("The cluster", "KUBE_TIMEOUT_SECONDS").to_string(),
            "The cluster did not answer within KUBE_TIMEOUT_SECONDS"
        );
    }
}
