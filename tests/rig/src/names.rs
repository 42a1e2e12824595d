//! Names the rig gives to things: node names, pod IPs, and unique per-test names.
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The longest DNS-1123 label, which is also the longest label value (`kubernetes.io/hostname`).
const MAX_LABEL: usize = 63;

/// Turns `raw` into a DNS-1123 label: lowercase alphanumerics and '-', at most 63 characters. A name
/// that had to be shortened keeps a hash of the original so two long names stay distinct.
pub fn dns_label(raw: &str) -> String {
    let mut out: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if out.len() > MAX_LABEL {
        let hash = format!("{:08x}", fnv1a(raw.as_bytes()) as u32);
        out.truncate(MAX_LABEL - hash.len() - 1);
        out.push('-');
        out.push_str(&hash);
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "x".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// A name unique on this machine for this run, for a test's namespace, node group or release:
/// `prefix-<pid>-<counter>-<seconds mod 10^5>`, short enough for node names built from it.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() % 100_000)
        .unwrap_or(0);
    dns_label(&format!("{prefix}-{}-{n}-{secs}", std::process::id()))
}

/// A stable 64-bit FNV-1a hash: the same on every run and platform, unlike std's hasher.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes_and_lowercases() {
        assert_eq!(dns_label("My_Cluster-ng.1"), "my-cluster-ng-1");
        assert_eq!(dns_label("__"), "x");
    }

    #[test]
    fn long_names_keep_a_distinguishing_hash() {
        let a = dns_label(&format!("{}a", "n".repeat(80)));
        let b = dns_label(&format!("{}b", "n".repeat(80)));
        assert_eq!(a.len(), MAX_LABEL);
        assert_ne!(a, b);
    }

    #[test]
    fn unique_names_differ() {
        assert_ne!(unique("t"), unique("t"));
    }
}
