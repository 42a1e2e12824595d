//! `control-plane-alerts` and `alerting`: the Grafana-managed alert rules of the install
//! (kfuse-grafana), split by `validate.control_plane_alerts` into Kloudfuse's own (runbook item 5:
//! no longer firing) and the customer's (item 9: Healthy). RED: a rule whose health is `error`, or
//! a rule firing now that was not firing before the apply (the apply records the firing rules before
//! its first step); a control-plane rule firing with no recorded baseline. YELLOW: a rule with no
//! data, a rule pending, a rule firing that already fired before, a customer's rule firing with no
//! baseline; the split not configured, or matching no rule.
use std::collections::BTreeSet;

use kfscale_grafana::RuleGroup;

use super::check::{Check, capped};
use crate::config::ControlPlaneAlerts;
use crate::state::AlertBaseline;

/// `folder / group / rule`: a rule title is unique only within its group.
fn rule_id(group: &RuleGroup, rule: &str) -> String {
    format!("{} / {} / {rule}", group.file, group.name)
}

pub fn baseline(groups: &[RuleGroup], observed_at: String) -> AlertBaseline {
    let firing = groups
        .iter()
        .flat_map(|g| {
            g.rules
                .iter()
                .filter(|r| r.is_firing())
                .map(move |r| rule_id(g, &r.name))
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    AlertBaseline {
        observed_at,
        firing,
        rules: groups.iter().map(|g| g.rules.len()).sum(),
    }
}

/// The two alert checks: `control-plane-alerts` (Kloudfuse's own rules, as `split` tells them;
/// runbook item 5) and `alerting` (every other rule: the customer's; runbook item 9).
pub fn checks(groups: &[RuleGroup], before: Option<&AlertBaseline>, split: &ControlPlaneAlerts) -> [Check; 2] {
    let (mut control, mut customer) = (Vec::new(), Vec::new());
    for group in groups {
        for rule in &group.rules {
            let side = if split.is_set() && split.matches(&group.file, &rule.labels) {
                &mut control
            } else {
                &mut customer
            };
            side.push((group, rule));
        }
    }
    let control = if !split.is_set() {
        Check::yellow(
            CONTROL_PLANE,
            "not checked: validate.control_plane_alerts in kfscale.yaml does not say which rules are Kloudfuse's (every rule is under alerting)",
        )
        .fix("set validate.control_plane_alerts.folders (the Grafana folders of Kloudfuse's rules) or .labels in kfscale.yaml")
    } else if control.is_empty() {
        Check::yellow(
            CONTROL_PLANE,
            format!("no alert rule matches {}", split.shown()),
        )
        .fix("check validate.control_plane_alerts in kfscale.yaml against the folders and labels Grafana shows (Alerting > Alert rules)")
    } else {
        assess(CONTROL_PLANE, &control, before)
    };
    [control, assess(CUSTOMER, &customer, before)]
}

const CONTROL_PLANE: &str = "control-plane-alerts";
const CUSTOMER: &str = "alerting";

/// RED: a rule erroring, or firing while it did not before the apply; a control-plane rule firing
/// with no apply recorded to compare with is RED too (the runbook wants them quiet after any change),
/// a customer's is YELLOW (it may watch the customer's own applications). YELLOW: no data, pending,
/// firing since before the apply (an alert resolves only after its evaluations: look again).
fn assess(name: &str, rules: &[(&RuleGroup, &kfscale_grafana::Rule)], before: Option<&AlertBaseline>) -> Check {
    let control_plane = name == CONTROL_PLANE;
    let (mut red, mut yellow) = (Vec::new(), Vec::new());
    for (group, rule) in rules {
        let id = rule_id(group, &rule.name);
        match rule.health.as_str() {
            "ok" => {}
            "error" | "err" => red.push(format!(
                "{id}: health error: {}",
                rule.last_error.as_deref().unwrap_or("(no error text)")
            )),
            other => yellow.push(format!("{id}: health {other}")),
        }
        if rule.is_firing() {
            let instances = rule
                .alerts
                .iter()
                .filter(|a| a.state.starts_with("Alerting") || a.state.eq_ignore_ascii_case("firing"))
                .count();
            match before {
                Some(b) if b.firing.contains(&id) => yellow.push(format!(
                    "{id}: firing ({instances} instance(s)), and already before the apply"
                )),
                Some(_) => red.push(format!(
                    "{id}: firing ({instances} instance(s)), not firing before the apply"
                )),
                None if control_plane => red.push(format!(
                    "{id}: firing ({instances} instance(s)); no apply recorded what fired before"
                )),
                None => yellow.push(format!(
                    "{id}: firing ({instances} instance(s)); no apply recorded what fired before"
                )),
            }
        } else if rule.state.eq_ignore_ascii_case("pending") {
            yellow.push(format!("{id}: pending"));
        }
    }
    let compared = before.map_or_else(
        || "no baseline recorded".to_string(),
        |b| format!("{} firing before the apply ({})", b.firing.len(), b.observed_at),
    );
    let groups: BTreeSet<(&str, &str)> = rules.iter().map(|(g, _)| (g.file.as_str(), g.name.as_str())).collect();
    let overview = format!("{} rules in {} groups; {compared}", rules.len(), groups.len());
    if !red.is_empty() {
        let mut lines = red;
        lines.extend(yellow);
        let fix = if control_plane {
            "open the rules named in Grafana (Alerting > Alert rules): a control-plane alert points at the Kloudfuse component that is not healthy since the change; an erroring rule's query must be fixed"
        } else {
            "open the rules named in Grafana (Alerting > Alert rules): a new alert after the change points at what broke; an erroring rule's query must be fixed"
        };
        return Check::red(name, format!("{overview}: rules erroring or newly firing"))
            .evidence(capped(lines))
            .fix(fix);
    }
    if !yellow.is_empty() {
        return Check::yellow(name, overview)
            .evidence(capped(yellow))
            .fix("look at the rules named in Grafana; run `kfscale verify` again once they settle");
    }
    Check::green(name, format!("{overview}; every rule healthy, none firing"))
}

#[cfg(test)]
mod tests {
    use kfscale_grafana::{Alert, Rule};

    use super::*;
    use crate::verify::Status;

    fn rule(name: &str, state: &str, health: &str) -> Rule {
        Rule {
            name: name.into(),
            state: state.into(),
            health: health.into(),
            last_error: (health == "error").then(|| "query failed".to_string()),
            rule_type: "alerting".into(),
            labels: Default::default(),
            alerts: vec![Alert {
                labels: Default::default(),
                state: if state == "firing" {
                    "Alerting".into()
                } else {
                    "Normal".into()
                },
                active_at: None,
                value: String::new(),
            }],
        }
    }

    fn groups(rules: Vec<Rule>) -> Vec<RuleGroup> {
        vec![RuleGroup {
            name: "g".into(),
            file: "Kloudfuse".into(),
            rules,
        }]
    }

    /// With no split every rule is the customer's.
    fn customer(groups: &[RuleGroup], before: Option<&AlertBaseline>) -> Check {
        let [control, customer] = checks(groups, before, &ControlPlaneAlerts::default());
        assert_eq!(control.status, Status::Yellow, "no split configured: {control:?}");
        customer
    }

    #[test]
    fn rules_are_split_by_folder_or_label_and_a_control_plane_alert_firing_is_red() {
        let mut owned = rule("owned", "firing", "ok");
        owned.labels.insert("owner".into(), "kloudfuse".into());
        let all = vec![
            RuleGroup {
                name: "cp".into(),
                file: "Kloudfuse".into(),
                rules: vec![rule("lag", "firing", "ok"), rule("quiet", "inactive", "ok")],
            },
            RuleGroup {
                name: "slo".into(),
                file: "Customer".into(),
                rules: vec![
                    rule("latency", "firing", "ok"),
                    owned,
                    rule("nodata", "inactive", "nodata"),
                ],
            },
        ];
        let split = ControlPlaneAlerts {
            folders: vec!["Kloudfuse".into()],
            labels: [("owner".to_string(), "kloudfuse".to_string())].into(),
        };
        let [control, customer] = checks(&all, None, &split);
        assert_eq!(
            (control.name.as_str(), control.status),
            ("control-plane-alerts", Status::Red)
        );
        assert_eq!(
            control.evidence,
            [
                "Kloudfuse / cp / lag: firing (1 instance(s)); no apply recorded what fired before",
                "Customer / slo / owned: firing (1 instance(s)); no apply recorded what fired before"
            ]
        );
        assert!(
            control.summary.starts_with("3 rules in 2 groups"),
            "{}",
            control.summary
        );
        assert_eq!((customer.name.as_str(), customer.status), ("alerting", Status::Yellow));
        assert_eq!(
            customer.evidence,
            [
                "Customer / slo / latency: firing (1 instance(s)); no apply recorded what fired before",
                "Customer / slo / nodata: health nodata"
            ]
        );
        // Firing since before the apply: the control plane's alert may still resolve (YELLOW).
        let before = baseline(&all, "t0".into());
        assert_eq!(checks(&all, Some(&before), &split)[0].status, Status::Yellow);
        // A convention that matches nothing is not silently green.
        let typo = ControlPlaneAlerts {
            folders: vec!["Kloudfuze".into()],
            labels: Default::default(),
        };
        let [control, customer] = checks(&all, Some(&before), &typo);
        assert_eq!(control.status, Status::Yellow);
        assert_eq!(control.summary, "no alert rule matches folder Kloudfuze");
        assert!(
            customer.summary.starts_with("5 rules in 2 groups"),
            "{}",
            customer.summary
        );
    }

    #[test]
    fn a_rule_firing_since_the_apply_is_red_one_firing_before_is_not() {
        let before = baseline(
            &groups(vec![rule("old", "firing", "ok"), rule("new", "inactive", "ok")]),
            "t0".into(),
        );
        assert_eq!(before.firing, ["Kloudfuse / g / old"]);
        let now = groups(vec![rule("old", "firing", "ok"), rule("new", "firing", "ok")]);
        let check = customer(&now, Some(&before));
        assert_eq!(check.status, Status::Red);
        assert_eq!(
            check.evidence,
            [
                "Kloudfuse / g / new: firing (1 instance(s)), not firing before the apply",
                "Kloudfuse / g / old: firing (1 instance(s)), and already before the apply"
            ]
        );
        assert_eq!(customer(&now[..], None).status, Status::Yellow, "no baseline");
        let erroring = customer(&groups(vec![rule("e", "inactive", "error")]), Some(&before));
        assert_eq!(erroring.evidence, ["Kloudfuse / g / e: health error: query failed"]);
        assert_eq!(
            customer(&groups(vec![rule("q", "inactive", "ok")]), Some(&before)).status,
            Status::Green
        );
    }
}
