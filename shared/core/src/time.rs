//! The two timestamp forms the API uses: RFC 3339 (the links API) and RFC 1123 (the cluster-configuration API's `/health`).

use chrono::{DateTime, SecondsFormat, Utc};

/// `2025-07-11T15:14:35Z`: UTC, to the second, as the links API writes times.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `Fri, 11 Jul 2025 15:14:35 GMT`, as the cluster-configuration API's `/health` writes times.
pub fn rfc1123(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// The current time in [`rfc3339`] form.
pub fn now_rfc3339() -> String {
    rfc3339(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn formats_like_both_apis() {
        let at = Utc.with_ymd_and_hms(2025, 7, 11, 15, 14, 35).unwrap();
        assert_eq!(rfc1123(at), "Fri, 11 Jul 2025 15:14:35 GMT");
        assert_eq!(rfc3339(at), "2025-07-11T15:14:35Z");
    }
}
