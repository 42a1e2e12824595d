//! `alerting`: the Grafana-managed alert rules of the install (kfuse-grafana). RED: a rule whose
//! health is `error`, or a rule firing now that was not firing before the apply (the apply records
//! the firing rules before its first step). YELLOW: a rule with no data, a rule pending, a rule
//! firing that already fired before, or firing rules with no recorded baseline to compare with.
use std::collections::BTreeSet;

use kfscale_grafana::RuleGroup;

use super::check::{Check, capped};
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

pub fn check(groups: &[RuleGroup], before: Option<&AlertBaseline>) -> Check {
    let (mut red, mut yellow) = (Vec::new(), Vec::new());
    let mut rules = 0;
    for group in groups {
        for rule in &group.rules {
            rules += 1;
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
                    None => yellow.push(format!(
                        "{id}: firing ({instances} instance(s)); no apply recorded what fired before"
                    )),
                }
            } else if rule.state.eq_ignore_ascii_case("pending") {
                yellow.push(format!("{id}: pending"));
            }
        }
    }
    let compared = before.map_or_else(
        || "no baseline recorded".to_string(),
        |b| format!("{} firing before the apply ({})", b.firing.len(), b.observed_at),
    );
    let overview = format!("{rules} rules in {} groups; {compared}", groups.len());
    if !red.is_empty() {
        let mut lines = red;
        lines.extend(yellow);
        return Check::red("alerting", format!("{overview}: rules erroring or newly firing"))
            .evidence(capped(lines))
            .fix("open the rules named in Grafana (Alerting > Alert rules): a new alert after the change points at what broke; an erroring rule's query must be fixed");
    }
    if !yellow.is_empty() {
        return Check::yellow("alerting", overview)
            .evidence(capped(yellow))
            .fix("look at the rules named in Grafana; run `kfscale verify` again once they settle");
    }
    Check::green("alerting", format!("{overview}; every rule healthy, none firing"))
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

    #[test]
    fn a_rule_firing_since_the_apply_is_red_one_firing_before_is_not() {
        let before = baseline(
            &groups(vec![rule("old", "firing", "ok"), rule("new", "inactive", "ok")]),
            "t0".into(),
        );
        assert_eq!(before.firing, ["Kloudfuse / g / old"]);
        let now = groups(vec![rule("old", "firing", "ok"), rule("new", "firing", "ok")]);
        let check = check(&now, Some(&before));
        assert_eq!(check.status, Status::Red);
        assert_eq!(
            check.evidence,
            [
                "Kloudfuse / g / new: firing (1 instance(s)), not firing before the apply",
                "Kloudfuse / g / old: firing (1 instance(s)), and already before the apply"
            ]
        );
        assert_eq!(super::check(&now[..], None).status, Status::Yellow, "no baseline");
        let erroring = super::check(&groups(vec![rule("e", "inactive", "error")]), Some(&before));
        assert_eq!(erroring.evidence, ["Kloudfuse / g / e: health error: query failed"]);
        assert_eq!(
            super::check(&groups(vec![rule("q", "inactive", "ok")]), Some(&before)).status,
            Status::Green
        );
    }
}
