//! Repository and registry locations as people write them, read once on the `url` crate: `https://` (or
//! `http://`) URLs, `ssh://user@host[:port]/path`, the scp-like `user@host:org/repo`, `oci://host/path`
//! and a bare `host[:port]/path`. Every rule about a location — where a credential may sit, what a host
//! may be, whether two locations are the same server — is checked against this one parse.
//!
//! Nothing here quotes what it was given: a [`LocationError`] names what is wrong, and [`quotable`] is the
//! one way a message repeats a location (never anything before an `@`, nor a query or fragment).

use crate::text::bounded;
use url::{Host, Url};

/// How a location was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// `https://host/path`
    Https,
    /// `http://host/path`: whatever crosses it, crosses in clear.
    Http,
    /// `ssh://[user@]host[:port]/path`
    Ssh,
    /// `[user@]host:path`, as Git and scp write SSH locations.
    Scp,
    /// `oci://host/path`
    Oci,
    /// `host[:port]/path`, without a scheme (Helm and OCI registries).
    Bare,
}

/// Why a text is not a location. No variant carries any of the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    /// Nothing but spaces.
    #[error("it is empty")]
    Empty,
    /// A space or control character anywhere (a link or header would end there).
    #[error("it contains spaces or control characters")]
    Whitespace,
    /// A scheme other than the four repositories and registries are reached by.
    #[error("its scheme is not https, http, ssh or oci")]
    Scheme,
    /// Nothing where the host should be.
    #[error("it names no host")]
    NoHost,
    /// A host outside ASCII, which can look like another (a homograph).
    #[error("its host is not ASCII: write an internationalised domain name in its punycode form (xn--…)")]
    NonAsciiHost,
    /// A host that is neither a DNS name nor an IP address.
    #[error("its host is not a valid host name or IP address")]
    BadHost,
    /// A port outside 1 to 65535.
    #[error("its port is not a number from 1 to 65535")]
    BadPort,
    /// Anything else the URL parser refuses.
    #[error("it cannot be read as a URL")]
    Unreadable,
}

/// A parsed location: the form it was written in, and a URL to read its parts from (an scp-like location
/// is read as `ssh://`, a bare one as `https://`).
#[derive(Clone, Debug)]
pub struct Location {
    form: Form,
    url: Url,
    /// The host and port as written (a default port kept), lowercase.
    host_port: String,
    /// The path as written, from its leading `/` (an scp-like location's path after its `:`), query and
    /// fragment included: what the URL parser would normalise (`..`, a backslash) is judged as given.
    raw_path: String,
}

/// The authority of `rest` (what follows a scheme's `://`, or a whole scheme-less text): up to the first
/// `/`, `?` or `#`.
fn authority(rest: &str) -> &str {
    rest.split(['/', '?', '#']).next().unwrap_or_default()
}

/// The host and port of an authority: after the last `@`.
fn host_port_of(authority: &str) -> &str {
    authority.rsplit_once('@').map_or(authority, |(_, h)| h)
}

/// The host of an authority: after the last `@`, before a port (an IPv6 address keeps its brackets).
fn host_of(authority: &str) -> &str {
    let host_port = host_port_of(authority);
    if host_port.starts_with('[') {
        return host_port.split_inclusive(']').next().unwrap_or(host_port);
    }
    host_port.split(':').next().unwrap_or_default()
}

/// Where a scheme-less text's scp-like `[user@]host:path` puts its `:` after the host, if it is one:
/// only within the first `/`-separated part (a path may hold `@` and `:` too), after any user, after an
/// IPv6 literal's `]`, and not followed by a port number (then it is a bare `host:port/path`).
fn scp_colon(text: &str) -> Option<usize> {
    let first = text.split('/').next().unwrap_or_default();
    let host_start = first.rfind('@').map_or(0, |at| at + 1);
    let host = &first[host_start..];
    let after_host = if host.starts_with('[') {
        host.find(']')? + 1
    } else {
        host.find(':')?
    };
    let colon = host_start + after_host;
    let port = first.get(colon + 1..)?;
    let is_colon = first[colon..].starts_with(':');
    (is_colon && (port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()))).then_some(colon)
}

fn valid_domain(host: &str) -> bool {
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// Whether a path segment is `.` or `..`, percent-encoded or not: a link through it leaves its folder.
pub fn is_dot_segment(segment: &str) -> bool {
    let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
    decoded == "." || decoded == ".."
}

impl Location {
    /// Reads `raw` (trimmed) in whichever form it is written, or says what is wrong with it.
    pub fn parse(raw: &str) -> Result<Self, LocationError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(LocationError::Empty);
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(LocationError::Whitespace);
        }
        let (form, rest) = match text.split_once("://") {
            Some((scheme, rest)) => {
                let form = match scheme.to_ascii_lowercase().as_str() {
                    "https" => Form::Https,
                    "http" => Form::Http,
                    "ssh" => Form::Ssh,
                    "oci" => Form::Oci,
                    _ => return Err(LocationError::Scheme),
                };
                (form, rest)
            }
            None if scp_colon(text).is_some() => (Form::Scp, text),
            None => (Form::Bare, text),
        };
        let host = host_of(authority(rest));
        let (host_port, raw_path) = match form {
            Form::Scp => {
                let colon = scp_colon(rest).ok_or(LocationError::Unreadable)?;
                let path = rest[colon + 1..].trim_start_matches('/');
                (host_port_of(&rest[..colon]), format!("/{path}"))
            }
            _ => {
                let authority = authority(rest);
                (host_port_of(authority), rest[authority.len()..].to_string())
            }
        };
        let host_port = host_port.to_ascii_lowercase();
        if host.is_empty() {
            return Err(LocationError::NoHost);
        }
        if !host.is_ascii() {
            return Err(LocationError::NonAsciiHost);
        }
        let readable = match form {
            Form::Scp => {
                // `user@host:org/repo` → `ssh://user@host/org/repo`: the `:` after the host ends it.
                let colon = scp_colon(rest).ok_or(LocationError::Unreadable)?;
                format!(
                    "ssh://{}/{}",
                    &rest[..colon],
                    rest[colon + 1..].trim_start_matches('/')
                )
            }
            Form::Bare => format!("https://{rest}"),
            _ => text.to_string(),
        };
        let url = Url::parse(&readable).map_err(|e| match e {
            url::ParseError::InvalidPort => LocationError::BadPort,
            url::ParseError::EmptyHost => LocationError::NoHost,
            url::ParseError::IdnaError
            | url::ParseError::InvalidDomainCharacter
            | url::ParseError::InvalidIpv4Address
            | url::ParseError::InvalidIpv6Address => LocationError::BadHost,
            _ => LocationError::Unreadable,
        })?;
        let host_ok = match url.host() {
            None => return Err(LocationError::NoHost),
            Some(Host::Ipv4(_) | Host::Ipv6(_)) => true,
            Some(Host::Domain(d)) => valid_domain(d),
        };
        if !host_ok {
            return Err(LocationError::BadHost);
        }
        if url.port() == Some(0) {
            return Err(LocationError::BadPort);
        }
        Ok(Self {
            form,
            url,
            host_port,
            raw_path,
        })
    }

    /// How it was written.
    pub fn form(&self) -> Form {
        self.form
    }

    /// The protocol spoken: `https`, `http`, `ssh` (scp-like too) or `oci`; a bare location is `https`.
    pub fn protocol(&self) -> &str {
        self.url.scheme()
    }

    /// The host, lowercase; an IPv6 address in brackets.
    pub fn host(&self) -> String {
        self.url.host_str().unwrap_or_default().to_ascii_lowercase()
    }

    /// The port, unless it is the protocol's default.
    pub fn port(&self) -> Option<u16> {
        self.url.port()
    }

    /// The host and port as written (`registry.example.com:443` keeps its port), lowercase.
    pub fn host_port(&self) -> &str {
        &self.host_port
    }

    /// Whether both reach the same server the same way: protocol, host and port.
    pub fn same_server(&self, other: &Location) -> bool {
        self.protocol() == other.protocol()
            && self.host() == other.host()
            && self.url.port_or_known_default() == other.url.port_or_known_default()
    }

    /// Whether a user name sits before the host.
    pub fn has_user(&self) -> bool {
        !self.url.username().is_empty()
    }

    /// Whether a password sits before the host.
    pub fn has_password(&self) -> bool {
        self.url.password().is_some()
    }

    /// Whether it carries a query (`?…`) or a fragment (`#…`), where tokens are often passed.
    pub fn has_query_or_fragment(&self) -> bool {
        self.url.query().is_some() || self.url.fragment().is_some()
    }

    /// The path's non-empty segments, as written (percent-encoded).
    pub fn segments(&self) -> Vec<&str> {
        self.url
            .path_segments()
            .map(|s| s.filter(|s| !s.is_empty()).collect())
            .unwrap_or_default()
    }

    /// The web page of a Git repository, without user name or password: `https://host/org/repo` for an
    /// SSH or scp-like location (the SSH port left out: the web server listens on its own), the URL itself
    /// for `http(s)://` (its port kept), `.git` and a trailing `/` removed. `None` for a registry form, an
    /// scp-like text without a user (nothing tells it from a `host:port`), and a path that is not plain as
    /// written: a `.` or `..` segment (a link that leaves its folder is refused, not repaired), a query or
    /// fragment, an `@`, or a character that would end a link early.
    pub fn browsable(&self) -> Option<String> {
        let scheme = match self.form {
            Form::Https | Form::Http => self.url.scheme(),
            Form::Ssh => "https",
            Form::Scp if self.has_user() => "https",
            _ => return None,
        };
        let path = self.raw_path.trim_end_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        let plain = path.split('/').all(|segment| {
            !is_dot_segment(segment)
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && !b"?#@\"'<>\\`{}|^".contains(&b))
        });
        if !plain {
            return None;
        }
        let port = match (self.form, self.url.port()) {
            (Form::Https | Form::Http, Some(port)) => format!(":{port}"),
            _ => String::new(),
        };
        Some(format!("{scheme}://{}{port}{path}", self.host()))
    }
}

/// Whether a location, in any form, carries credentials: a user-info part before the host. The one
/// exception, when `ssh_user` allows it, is a bare user name before an SSH host (`ssh://git@host/…`,
/// `git@host:org/repo`), which is no secret. Read from the text, not a parse, so that even a text no parser
/// accepts is never quoted when it may hold a credential.
pub fn embeds_credentials(text: &str, ssh_user: bool) -> bool {
    let (scheme, rest) = text.split_once("://").unwrap_or(("", text));
    let authority = authority(rest);
    let Some((user_info, host)) = authority.rsplit_once('@') else {
        return false;
    };
    let ssh_user = ssh_user
        && match scheme {
            "ssh" => true,
            // scp-like `git@github.com:acme/app.git`: a host, then ':' and a path.
            "" => host.contains(':'),
            _ => false,
        };
    !(ssh_user && !user_info.contains(':') && !user_info.is_empty())
}

/// A location as a message may quote it, whatever it is: without a query or fragment (where tokens are
/// passed), everything before the last `@` (where a user name or token would be, even one with an unencoded
/// `/` hiding the authority's end) replaced by `…@`, and at most `max` characters.
pub fn quotable(text: &str, max: usize) -> String {
    let text = text.split(['?', '#']).next().unwrap_or_default();
    let (scheme, rest) = match text.split_once("://") {
        Some((scheme, rest)) if scheme.bytes().all(|b| b.is_ascii_alphabetic()) => {
            (format!("{scheme}://"), rest)
        }
        _ => (String::new(), text),
    };
    let shown = match rest.rsplit_once('@') {
        Some((_, after)) => format!("{scheme}…@{after}"),
        None => format!("{scheme}{rest}"),
    };
    bounded(&shown, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_is_read_with_its_host() {
        // text → form, protocol, host, port, segments
        type Case<'a> = (&'a str, Form, &'a str, &'a str, Option<u16>, &'a [&'a str]);
        let cases: [Case; 11] = [
            (
                "https://GitHub.com/acme/app.git",
                Form::Https,
                "https",
                "github.com",
                None,
                &["acme", "app.git"],
            ),
            (
                "http://charts.example.com:8080/x",
                Form::Http,
                "http",
                "charts.example.com",
                Some(8080),
                &["x"],
            ),
            (
                "ssh://git@github.com:2222/acme/app",
                Form::Ssh,
                "ssh",
                "github.com",
                Some(2222),
                &["acme", "app"],
            ),
            (
                "git@github.com:acme/app.git",
                Form::Scp,
                "ssh",
                "github.com",
                None,
                &["acme", "app.git"],
            ),
            (
                "github.com:acme",
                Form::Scp,
                "ssh",
                "github.com",
                None,
                &["acme"],
            ),
            (
                "oci://ghcr.io/acme/charts",
                Form::Oci,
                "oci",
                "ghcr.io",
                None,
                &["acme", "charts"],
            ),
            (
                "ghcr.io/acme/charts",
                Form::Bare,
                "https",
                "ghcr.io",
                None,
                &["acme", "charts"],
            ),
            (
                "registry.example.com:5000/x",
                Form::Bare,
                "https",
                "registry.example.com",
                Some(5000),
                &["x"],
            ),
            (
                "https://[::1]:8443/r",
                Form::Https,
                "https",
                "[::1]",
                Some(8443),
                &["r"],
            ),
            ("[::1]/x", Form::Bare, "https", "[::1]", None, &["x"]),
            (
                "git@[::1]:acme/app",
                Form::Scp,
                "ssh",
                "[::1]",
                None,
                &["acme", "app"],
            ),
        ];
        for (text, form, protocol, host, port, segments) in cases {
            let l = Location::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                (
                    l.form(),
                    l.protocol(),
                    l.host().as_str(),
                    l.port(),
                    l.segments().as_slice()
                ),
                (form, protocol, host, port, segments),
                "{text}"
            );
        }
    }

    #[test]
    fn what_is_not_a_location_says_why_without_quoting_it() {
        let cases = [
            ("", LocationError::Empty),
            ("https://exa mple.com/x", LocationError::Whitespace),
            ("https://a.com/x\ny", LocationError::Whitespace),
            ("ftp://a.com/x", LocationError::Scheme),
            ("javascript://a.com/x", LocationError::Scheme),
            ("https:///x", LocationError::NoHost),
            ("https://gіthub.com/acme", LocationError::NonAsciiHost),
            ("git@gіthub.com:acme/app", LocationError::NonAsciiHost),
            ("ssh://git@exa_mple.com/x", LocationError::BadHost),
            ("git@-bad-.com:acme/app", LocationError::BadHost),
            ("https://a.com:99999/x", LocationError::BadPort),
            ("https://a.com:0/x", LocationError::BadPort),
        ];
        for (text, expected) in cases {
            assert_eq!(Location::parse(text).map(|_| ()), Err(expected), "{text:?}");
        }
        // `@` and `:` in a path, multi-byte text after them: read or refused, never a panic.
        for text in [
            "github.com:acme/repo@",
            "git@github.com:acme/x@é",
            "host:é@x/y",
            "[::1",
            "@:",
            "a@b:",
            "[::1]:",
        ] {
            let _ = Location::parse(text);
        }
        // Punycode is ASCII: accepted as written.
        assert_eq!(
            Location::parse("https://xn--gthub-n4a.com/acme")
                .unwrap()
                .host(),
            "xn--gthub-n4a.com"
        );
    }

    #[test]
    fn credentials_queries_and_servers() {
        let l = Location::parse("https://octo:pw@github.com/acme?private_token=x#f").unwrap();
        assert!(l.has_user() && l.has_password() && l.has_query_or_fragment());
        let ssh = Location::parse("git@github.com:acme/app.git").unwrap();
        assert!(ssh.has_user() && !ssh.has_password() && !ssh.has_query_or_fragment());
        let same = |a: &str, b: &str| {
            Location::parse(a)
                .unwrap()
                .same_server(&Location::parse(b).unwrap())
        };
        assert!(same("https://github.com/a", "https://GITHUB.com:443/b"));
        assert!(same("git@github.com:a/b", "ssh://git@github.com/c"));
        assert!(!same("https://github.com/a", "http://github.com/a"));
        assert!(!same(
            "https://github.com/a",
            "https://github.com.evil.example/a"
        ));
        assert!(!same("https://github.com/a", "https://github.com:8443/a"));
    }

    #[test]
    fn a_quoted_location_carries_no_credential_query_or_fragment() {
        let cases = [
            (
                "https://octo:tok-secret@github.com/acme",
                "https://…@github.com/acme",
            ),
            (
                "https://octo:tok/secret@github.com/acme",
                "https://…@github.com/acme",
            ),
            ("tok-secret@ghcr.io:5000", "…@ghcr.io:5000"),
            (
                "https://gitlab.example.com/a?private_token=tok-secret",
                "https://gitlab.example.com/a",
            ),
            ("https://github.com/a#tok-secret", "https://github.com/a"),
            ("tok-secret@evil://x", "…@evil://x"),
        ];
        for (text, shown) in cases {
            assert_eq!(quotable(text, 64), shown, "{text}");
        }
        assert_eq!(quotable(&"a".repeat(100), 10).chars().count(), 11);
    }

    #[test]
    fn only_git_locations_with_plain_paths_are_browsable() {
        let cases = [
            (
                "git@github.com:acme/app.git",
                Some("https://github.com/acme/app"),
            ),
            (
                "https://GitHub.com:8443/acme/app/",
                Some("https://github.com:8443/acme/app"),
            ),
            (
                "ssh://git@h.example.com:2222/a/b",
                Some("https://h.example.com/a/b"),
            ),
            ("github.com:acme/app", None),
            ("oci://ghcr.io/acme", None),
            ("https://github.com/acme/%2E%2e/x", None),
            ("https://github.com/acme/a\\b", None),
        ];
        for (text, web) in cases {
            let got = Location::parse(text).ok().and_then(|l| l.browsable());
            assert_eq!(got.as_deref(), web, "{text}");
        }
    }
}
