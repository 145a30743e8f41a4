//! Peak memory while a compressed answer inflates past the client's body
//! limit (`bench-inflate`, one process a limit): the limit counts inflated
//! bytes, and reading stops as soon as it is passed.

use std::path::Path;

use super::measure::measure;
use super::report::met_or_missed;

/// The limits tried, in MiB, each against the same answer.
const LIMITS_MIB: [u64; 4] = [1, 8, 32, 128];

/// What the answer inflates to, in MiB: far past every limit.
const INFLATED_MIB: u64 = 1024;

/// How far over the limit the peak may rise: a few MiB (the buffers of
/// reading and inflating).
const MOST_OVER_MIB: f64 = 4.0;

pub fn run_inflate(bin: &Path) -> Result<String, String> {
    let mut out = format!(
        "### A compressed answer past the body limit\n\nThe shipped mock, in the client's process, answers one get-connection with {INFLATED_MIB} MiB of JSON whitespace gzipped (`Fault::Encoded`); the client's `max_response_bytes` is the limit. The peak is the process's peak resident memory during the get over its resident memory before (`bench-inflate`, one process a limit, the peak reset through `/proc/self/clear_refs`).\n\n| limit (MiB) | on the wire (KiB) | refused as too large | peak rise (MiB) |\n|---:|---:|---|---:|\n"
    );
    let mut targets = String::new();
    for limit in LIMITS_MIB {
        let command = vec![
            bin.join("bench-inflate").display().to_string(),
            limit.to_string(),
            INFLATED_MIB.to_string(),
        ];
        let report = measure(&command)?;
        let refused = report["refused"].as_bool() == Some(true);
        let rise = report["peak_rise_kb"].as_f64().unwrap_or(f64::NAN) / 1024.0;
        out += &format!(
            "| {limit} | {} | {} | {rise:.1} |\n",
            report["wire_kb"],
            if refused { "yes" } else { "NO" },
        );
        let over = rise - limit as f64;
        targets += &format!(
            "- {}: limit {limit} MiB: refused naming the limit, peak {over:+.1} MiB from the limit (target: refused, within {MOST_OVER_MIB} MiB)\n",
            met_or_missed(refused && over <= MOST_OVER_MIB),
        );
    }
    Ok(format!("{out}\n{targets}"))
}
