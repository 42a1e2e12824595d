//! A StatefulSet's volume claim template is immutable: when the planned values render another
//! size, `helm upgrade` is refused by the API server halfway through the apply. Such a plan is
//! refused before anything changes, with the fix. The Kafka brokers are the exception when the
//! plan grows their claims: that step re-creates their StatefulSet (pods kept) for the upgrade.
use super::{Inputs, PreCheck, fail, pass};
use crate::plan::effective_values::EffectiveValues;
use crate::values::ValuePath;
use crate::values::quantity::parse_bytes;

pub(super) fn volume_templates(i: &Inputs) -> PreCheck {
    let id = "volume-templates";
    let effective = EffectiveValues::new(&i.snapshot.helm.chart_values, i.document);
    let kafka = &i.profile.kafka;
    let mut sized: Vec<(&str, &str, &ValuePath)> = i
        .profile
        .volumes
        .iter()
        .map(|(set, rule)| (set.as_str(), rule.template.as_str(), &rule.path))
        .collect();
    sized.push((
        &kafka.broker_workload,
        &kafka.volume_claim_template,
        &kafka.disk_size_path,
    ));
    let namespace = &i.snapshot.kubernetes.namespace;
    let mut checked = 0;
    let mut refused = Vec::new();
    let mut fixes = Vec::new();
    for (set, template, path) in sized {
        let Some(workload) = i.snapshot.kubernetes.workload(set) else {
            continue;
        };
        let Some(template_size) = workload.volume_claim_templates.get(template) else {
            continue;
        };
        // The brokers' step re-creates their StatefulSet when it grows their claims.
        if set == kafka.broker_workload && !i.kafka.volumes.is_empty() {
            continue;
        }
        let planned = match i.values.changes.iter().find(|change| &change.path == path) {
            Some(change) => Some(change.new.clone()),
            None => effective.text(i.document, path).ok().flatten().map(|(size, _)| size),
        };
        let Some(planned) = planned else { continue };
        let (Ok(template_bytes), Ok(planned_bytes)) = (parse_bytes(template_size), parse_bytes(&planned)) else {
            continue;
        };
        checked += 1;
        if template_bytes == planned_bytes {
            continue;
        }
        refused.push(format!(
            "StatefulSet {set} claims {template_size} per volume ({template}), the planned values say `{path}` = {planned}"
        ));
        fixes.push(format!(
            "for {set}: set `{path}` to {template_size} in the values file, or let the upgrade re-create the StatefulSet with {planned}: `kubectl -n {namespace} delete statefulset {set} --cascade=orphan` (its pods and claims stay; grow any claim below {planned} with `kubectl patch pvc`), then plan again"
        ));
    }
    if refused.is_empty() && checked == 0 {
        return pass(
            id,
            "no StatefulSet volume claim template with a size in the values to compare",
        );
    }
    if refused.is_empty() {
        return pass(
            id,
            format!("{checked} StatefulSet volume claim template(s) match the planned values"),
        );
    }
    fail(
        id,
        format!(
            "the upgrade would fail mid-apply (a volume claim template cannot change): {}",
            refused.join("; ")
        ),
        fixes.join("; "),
    )
}
