//! The Grafana client against the project's Grafana fake (whose shapes tests/fakes checks against
//! Grafana's source): rules with their state and health, the token, and errors that say what to do.
use std::time::Duration;

use kfscale_fakes::grafana::{GrafanaFake, InstanceState, Seed};
use kfscale_grafana::{Grafana, GrafanaError};

const LIMIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn rules_come_with_state_health_and_alerts() -> anyhow::Result<()> {
    let fake = GrafanaFake::start(&Seed::example(), 0, Some("glsa_x".into())).await?;
    fake.set_rule("Pinot segments in error", InstanceState::Alerting, None)?;
    fake.set_rule("Kafka consumer lag high", InstanceState::Error, Some("datasource down"))?;
    let grafana = Grafana::new(&fake.api_url(), Some("glsa_x".into()), LIMIT)?;
    let groups = grafana.rule_groups().await?;
    assert_eq!(
        groups
            .iter()
            .map(|g| (g.file.as_str(), g.name.as_str()))
            .collect::<Vec<_>>(),
        [("Kloudfuse", "kfuse-control-plane"), ("Customer", "slo")]
    );
    let rules: Vec<_> = groups.iter().flat_map(|g| &g.rules).collect();
    let firing: Vec<&str> = rules
        .iter()
        .filter(|r| r.is_firing())
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(firing, ["Pinot segments in error"]);
    let errored = rules.iter().find(|r| r.health == "error").unwrap();
    assert_eq!(
        (errored.name.as_str(), errored.last_error.as_deref()),
        ("Kafka consumer lag high", Some("datasource down"))
    );
    assert_eq!(errored.alerts[0].state, "Error");
    assert_eq!(grafana.request_count(), 1);
    Ok(())
}

#[tokio::test]
async fn a_missing_token_names_the_key_and_never_shows_the_token() -> anyhow::Result<()> {
    let fake = GrafanaFake::start(&Seed::example(), 0, Some("glsa_right".into())).await?;
    let err = Grafana::new(&fake.api_url(), Some("glsa_wrong".into()), LIMIT)?
        .rule_groups()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, GrafanaError::Http { status: 401, .. }), "{text}");
    assert!(text.contains("grafana.token_file") && !text.contains("glsa_"), "{text}");
    Ok(())
}

#[tokio::test]
async fn an_unreachable_grafana_says_where_it_looked() {
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = Grafana::new(&format!("http://127.0.0.1:{port}"), None, LIMIT)
        .unwrap()
        .rule_groups()
        .await
        .unwrap_err();
    assert!(matches!(err, GrafanaError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("check grafana.url"), "{err}");
}
