//! Reading settings from the environment, once per container.
//!
//! Every module that has settings reads them through [`Env`], so a wrong value is reported with the
//! variable's name, and tests can build settings from a literal list instead of the process environment.
//! What each setting means belongs to the module that uses it.

use std::collections::HashMap;
use std::str::FromStr;

/// A snapshot of the variables a function was started with.
#[derive(Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

/// Names only: values include tokens and AWS credentials.
impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&str> = self.vars.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("Env").field("names", &names).finish()
    }
}

/// A setting that is present but unusable. Secret settings never carry their value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid setting {name}: {reason}")]
pub struct ConfigError {
    /// The variable's name.
    pub name: String,
    /// What is wrong with its value, and what to set instead.
    pub reason: String,
}

impl ConfigError {
    /// The error for variable `name`, saying `reason`.
    pub fn new(name: &str, reason: impl Into<String>) -> Self {
        Self {
            name: name.to_string(),
            reason: reason.into(),
        }
    }
}

impl Env {
    pub(crate) fn from_process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    /// The given `(name, value)` pairs instead of the process environment (tests, tools).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// Whether this is a function running in AWS Lambda (not `cargo lambda watch` or a test): Lambda sets
    /// these reserved variables, which a function's configuration cannot.
    pub fn in_lambda(&self) -> bool {
        self.get("LAMBDA_TASK_ROOT").is_some()
            || self.get("AWS_LAMBDA_INITIALIZATION_TYPE").is_some()
    }

    /// The trimmed value, with an empty value counting as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The trimmed value, or `default` when unset or empty.
    pub fn string(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or(default).to_string()
    }

    /// A value parsed as `T`; the error names the variable and echoes the (non-secret) value.
    pub fn parse<T: FromStr>(&self, name: &str, default: T) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|_| {
                ConfigError::new(
                    name,
                    format!("{raw:?} is not a valid {}", std::any::type_name::<T>()),
                )
            }),
        }
    }

    /// A boolean: `true`, `1`, `yes` or `on`, `false`, `0`, `no` or `off` (any case); `default` when unset.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(default),
            Some("true" | "1" | "yes" | "on") => Ok(true),
            Some("false" | "0" | "no" | "off") => Ok(false),
            Some(other) => Err(ConfigError::new(
                name,
                format!("{other:?} is not a boolean: use true or false"),
            )),
        }
    }

    /// A comma-separated list, blanks dropped.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|raw| {
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_values_with_defaults_and_names_bad_ones() {
        let env = Env::from_pairs([
            ("TTL", "30"),
            ("BAD_TTL", "thirty"),
            ("BLANK", "  "),
            ("ON", "TRUE"),
            ("MAYBE", "perhaps"),
            ("LIST", " a, ,b ,"),
        ]);
        assert_eq!(env.parse("TTL", 5u64), Ok(30));
        assert_eq!(env.parse("UNSET", 5u64), Ok(5));
        assert_eq!(env.parse("BLANK", 5u64), Ok(5));
        let err = env.parse("BAD_TTL", 5u64).unwrap_err();
        assert_eq!(err.name, "BAD_TTL");
        assert!(err.to_string().contains("\"thirty\""), "{err}");
        assert_eq!(env.flag("ON", false), Ok(true));
        assert_eq!(env.flag("UNSET", true), Ok(true));
        assert!(env
            .flag("MAYBE", false)
            .unwrap_err()
            .to_string()
            .contains("MAYBE"));
        assert_eq!(env.list("LIST"), vec!["a", "b"]);
        assert!(env.list("UNSET").is_empty());
    }

    #[test]
    fn debug_names_variables_without_their_values() {
        let env = Env::from_pairs([
            ("AUTH_OPERATOR_TOKEN", "write-token-0123456789"),
            ("TTL", "30"),
        ]);
        let debug = format!("{env:?}");
        assert!(
            debug.contains("AUTH_OPERATOR_TOKEN") && debug.contains("TTL"),
            "{debug}"
        );
        assert!(
            !debug.contains("write-token-0123456789") && !debug.contains("30"),
            "{debug}"
        );
    }
}
