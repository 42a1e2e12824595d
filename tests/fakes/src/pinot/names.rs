//! Pinot's naming rules: table names with type suffix (TableNameBuilder), LLC segment names
//! (LLCSegmentName), instance names, and the Java `String.hashCode` Pinot rotates instance lists by.

/// OFFLINE or REALTIME.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TableType {
    Offline,
    Realtime,
}

impl TableType {
    pub fn name(self) -> &'static str {
        match self {
            TableType::Offline => "OFFLINE",
            TableType::Realtime => "REALTIME",
        }
    }

    /// `TableType.valueOf(s.toUpperCase())`, as the resources parse `type`/`tableType`.
    pub fn parse(text: &str) -> Option<TableType> {
        match text.to_uppercase().as_str() {
            "OFFLINE" => Some(TableType::Offline),
            "REALTIME" => Some(TableType::Realtime),
            _ => None,
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            TableType::Offline => "_OFFLINE",
            TableType::Realtime => "_REALTIME",
        }
    }

    /// `TableNameBuilder.forType(type).tableNameWithType(name)`: adds the suffix unless already there.
    pub fn with_type(self, name: &str) -> String {
        if name.ends_with(self.suffix()) {
            name.to_string()
        } else {
            format!("{name}{}", self.suffix())
        }
    }

    /// The server tag of a tenant for this type (`TagNameUtils`).
    pub fn server_tag(self, tenant: &str) -> String {
        format!("{tenant}{}", self.suffix())
    }
}

/// `TableNameBuilder.getTableTypeFromTableName`.
pub fn type_of(name_with_type: &str) -> Option<TableType> {
    [TableType::Offline, TableType::Realtime]
        .into_iter()
        .find(|t| name_with_type.ends_with(t.suffix()))
}

/// `TableNameBuilder.extractRawTableName`.
pub fn raw_name(name: &str) -> &str {
    name.strip_suffix("_OFFLINE")
        .or_else(|| name.strip_suffix("_REALTIME"))
        .unwrap_or(name)
}

/// An LLC segment name: `{table}__{partition}__{sequence}__{yyyyMMdd'T'HHmm'Z'}`.
pub fn llc_segment(raw_table: &str, partition: u32, sequence: u32, creation: &str) -> String {
    format!("{raw_table}__{partition}__{sequence}__{creation}")
}

/// The partition of an LLC segment name, as `LLCSegmentName.of(name).getPartitionGroupId()`.
pub fn llc_partition(segment: &str) -> Option<u32> {
    let parts: Vec<&str> = segment.split("__").collect();
    if parts.len() != 4 {
        return None;
    }
    parts[1].parse().ok()
}

/// Java's `String.hashCode()` (UTF-16 code units, wrapping i32 arithmetic).
pub fn java_hash(text: &str) -> i32 {
    text.encode_utf16()
        .fold(0i32, |hash, unit| hash.wrapping_mul(31).wrapping_add(i32::from(unit)))
}

/// `Collections.rotate(list, -(Math.abs(hash) % n))` with Java's `abs` and `%` semantics.
pub fn rotate_for_table<T: Clone>(sorted: &[T], table_name_with_type: &str) -> Vec<T> {
    let n = sorted.len() as i64;
    if n == 0 {
        return Vec::new();
    }
    // Math.abs(Integer.MIN_VALUE) stays negative in Java; wrapping_abs does the same.
    let abs = i64::from(java_hash(table_name_with_type).wrapping_abs());
    let distance = (-(abs % n)).rem_euclid(n);
    // Collections.rotate moves the element at index i to (i + distance) % n.
    let mut rotated = sorted.to_vec();
    for (i, item) in sorted.iter().enumerate() {
        rotated[(i as i64 + distance).rem_euclid(n) as usize] = item.clone();
    }
    rotated
}

/// The Helix instance name of a server pod of the Kloudfuse chart:
/// `Server_<pod>.<statefulset>-headless.<namespace>.svc.cluster.local_8098`.
pub fn server_instance(pod: &str, namespace: &str) -> String {
    format!("Server_{}_8098", pod_host(pod, namespace))
}

/// `<pod>.<statefulset>-headless.<namespace>.svc.cluster.local`.
pub fn pod_host(pod: &str, namespace: &str) -> String {
    let statefulset = pod.rsplit_once('-').map(|(set, _)| set).unwrap_or(pod);
    format!("{pod}.{statefulset}-headless.{namespace}.svc.cluster.local")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_hash_matches_java() {
        // Values computed with Java's String.hashCode.
        assert_eq!(java_hash(""), 0);
        assert_eq!(java_hash("a"), 97);
        assert_eq!(java_hash("hello"), 99_162_322);
        assert_eq!(java_hash("Hello World"), -862_545_276);
    }

    #[test]
    fn rotation_moves_index_k_to_front() {
        let list = vec!["a", "b", "c", "d"];
        let table = "t_REALTIME";
        let k = (java_hash(table).wrapping_abs() % 4) as usize;
        let rotated = rotate_for_table(&list, table);
        assert_eq!(rotated[0], list[k]);
        assert_eq!(rotated.len(), 4);
    }

    #[test]
    fn names() {
        assert_eq!(TableType::Realtime.with_type("kf_logs"), "kf_logs_REALTIME");
        assert_eq!(TableType::Realtime.with_type("kf_logs_REALTIME"), "kf_logs_REALTIME");
        assert_eq!(
            TableType::Offline.with_type("kf_logs_REALTIME"),
            "kf_logs_REALTIME_OFFLINE"
        );
        assert_eq!(raw_name("kf_logs_REALTIME"), "kf_logs");
        assert_eq!(llc_partition("kf_logs__3__17__20250101T0000Z"), Some(3));
        assert_eq!(
            server_instance("pinot-server-realtime-2", "kfuse"),
            "Server_pinot-server-realtime-2.pinot-server-realtime-headless.kfuse.svc.cluster.local_8098"
        );
    }
}
