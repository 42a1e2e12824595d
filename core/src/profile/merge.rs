//! JSON merge patch (RFC 7386): how profile files and kfscale.yaml override a base profile.
use serde_json::Value;

pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(target_map) = target {
        for (key, value) in patch_map {
            if value.is_null() {
                target_map.remove(key);
            } else {
                merge_patch(target_map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn follows_rfc_7386() {
        let mut target = json!({"a": {"b": 1, "c": 2}, "d": [1, 2], "e": 5});
        merge_patch(&mut target, &json!({"a": {"b": 9, "c": null}, "d": [3], "f": "x"}));
        assert_eq!(target, json!({"a": {"b": 9}, "d": [3], "e": 5, "f": "x"}));
    }
}
