//! Checks a line against CloudWatch's embedded metric format specification: what CloudWatch Logs needs
//! to turn a log line into metrics.

use serde_json::Value;

const UNITS: [&str; 3] = ["Count", "Milliseconds", "Seconds"];

/// The line's metrics by name, when it is a valid EMF line; else what is wrong.
pub fn check(line: &str) -> Result<Vec<(String, f64)>, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let aws = &v["_aws"];
    if !aws["Timestamp"].is_u64() {
        return Err("_aws.Timestamp is not a number of milliseconds".into());
    }
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .filter(|d| !d.is_empty())
        .ok_or("_aws.CloudWatchMetrics is not a non-empty array")?;
    let mut metrics = Vec::new();
    for d in directives {
        let namespace = d["Namespace"].as_str().unwrap_or_default();
        if namespace.is_empty() || namespace.len() > 255 {
            return Err("a Namespace is missing".into());
        }
        for set in d["Dimensions"]
            .as_array()
            .ok_or("Dimensions is not an array")?
        {
            let set = set.as_array().ok_or("a dimension set is not an array")?;
            if set.len() > 30 {
                return Err("more than 30 dimensions in a set".into());
            }
            for name in set {
                let name = name.as_str().ok_or("a dimension name is not a string")?;
                if !v[name].is_string() {
                    return Err(format!("dimension {name} has no string value"));
                }
            }
        }
        for m in d["Metrics"].as_array().ok_or("Metrics is not an array")? {
            let name = m["Name"].as_str().ok_or("a metric has no Name")?;
            let unit = m["Unit"].as_str().unwrap_or("None");
            if !UNITS.contains(&unit) {
                return Err(format!("metric {name} has unit {unit}"));
            }
            let value = v[name]
                .as_f64()
                .ok_or_else(|| format!("metric {name} has no number"))?;
            metrics.push((name.to_string(), value));
        }
    }
    Ok(metrics)
}

/// Every EMF line in `output` (lines with an `_aws` member), checked.
pub fn lines(output: &str) -> Vec<Result<Vec<(String, f64)>, String>> {
    output
        .lines()
        .filter(|l| l.contains("\"_aws\""))
        .map(check)
        .collect()
}
