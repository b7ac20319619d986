//! The OpenTelemetry service name of an application: its name, with generated suffixes (a ReplicaSet hash
//! and pod id, as in `taco-backend-prod-677bfb55b7-942nr`) removed by `SERVICE_NAME_REGEX`.
//!
//! The original extension backend's regex also stripped any 4–6 character last word, turning `taco-backend-prod` into
//! `taco-backend`; its documented examples say that must not happen, so the default strips only what a
//! controller generates.

use gluelinks_core::config::{ConfigError, Env};
use regex::Regex;

pub(crate) const DEFAULT_PATTERN: &str =
    r"^(?P<service>.+?)(?:-[0-9a-f]{8,10}-[a-z0-9]{5}|-[0-9a-f]{8,10})?$";

#[derive(Clone, Debug)]
pub(crate) struct ServiceNames {
    pattern: Regex,
}

impl ServiceNames {
    /// `SERVICE_NAME_REGEX`: a regex whose `service` group (or else whole match) is the service name.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let raw = env.string("SERVICE_NAME_REGEX", DEFAULT_PATTERN);
        let pattern = Regex::new(&raw).map_err(|e| {
            ConfigError::new("SERVICE_NAME_REGEX", format!("is not a valid regex: {e}"))
        })?;
        Ok(Self { pattern })
    }

    pub fn service(&self, app: &str) -> String {
        self.pattern
            .captures(app)
            .and_then(|c| c.name("service").or_else(|| c.get(0)))
            .map(|m| m.as_str())
            .filter(|s| !s.is_empty())
            .unwrap_or(app)
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_only_generated_suffixes() {
        let names = ServiceNames::from_env(&Env::default()).unwrap();
        let cases = [
            ("taco-backend-prod", "taco-backend-prod"),
            ("taco-backend-prod-677bfb55b7-942nr", "taco-backend-prod"),
            ("billing-api-5d9c7f8b4", "billing-api"),
            ("api", "api"),
            ("web-prod-2", "web-prod-2"),
        ];
        for (app, expected) in cases {
            assert_eq!(names.service(app), expected, "{app}");
        }
        let original = ServiceNames::from_env(&Env::from_pairs([(
            "SERVICE_NAME_REGEX",
            r"^(?P<service>.+?)(-[0-9a-f]{9,}(-[a-z0-9]{4,})?|-[0-9]+|-[a-z0-9]{4,6})?$",
        )]))
        .unwrap();
        assert_eq!(
            original.service("taco-backend-prod"),
            "taco-backend",
            "the original backend's regex, as configured"
        );
        let bad = ServiceNames::from_env(&Env::from_pairs([("SERVICE_NAME_REGEX", "(")]));
        assert_eq!(bad.unwrap_err().name, "SERVICE_NAME_REGEX");
    }
}
