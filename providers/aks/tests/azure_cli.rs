//! The credential chain's Azure CLI step, through azure_identity's real AzureCliCredential and the
//! real az (the rig's azure-cli 2.91.0): az is logged in to the fake (`az login --identity`, over
//! HTTPS), kfscale's chain runs `az account get-access-token` and keeps the CLI as its credential.
//! A missing az (KFSCALE_AZ, from the rig's env file) fails the test. A test binary of its own: it
//! sets the process environment.
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use kfscale_aks::{Aks, AksOptions, Credentials, PoolRef};
use kfscale_fakes::aks::{AksFake, IDENTITY_HEADER, Seed, TlsOptions};
use kfscale_fakes::clock::ModelClock;

#[tokio::test]
async fn the_chain_uses_the_azure_cli_login() {
    let az = std::env::var_os("KFSCALE_AZ")
        .expect("KFSCALE_AZ must name the az binary: run the tests through scripts/test (the rig installs azure-cli)");
    let dir = std::env::temp_dir().join(format!("kfscale-aks-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args([
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(made.status.success());
    let tls = TlsOptions {
        port: 0,
        cert: cert.clone(),
        key,
    };
    let fake = AksFake::start_with(&Seed::example(), 0, Some(tls), ModelClock::new(0.0))
        .await
        .unwrap();
    let az_dir = Path::new(&az).parent().unwrap().to_path_buf();
    // SAFETY: this binary runs one test, before any other thread reads the environment.
    unsafe {
        for name in [
            "AZURE_TENANT_ID",
            "AZURE_CLIENT_ID",
            "AZURE_CLIENT_SECRET",
            "AZURE_FEDERATED_TOKEN_FILE",
        ] {
            std::env::remove_var(name);
        }
        std::env::set_var("PATH", format!("{}:/usr/bin:/bin", az_dir.display()));
        std::env::set_var("AZURE_CONFIG_DIR", dir.join("az"));
        std::env::set_var("REQUESTS_CA_BUNDLE", &cert);
        std::env::set_var("AZURE_CORE_COLLECT_TELEMETRY", "false");
        // az's own login is a managed identity on the fake; the chain must still pick the CLI first.
        std::env::set_var("IDENTITY_ENDPOINT", fake.identity_url());
        std::env::set_var("IDENTITY_HEADER", IDENTITY_HEADER);
    }
    let tls_api = fake.tls_api_url().unwrap();
    let run = |args: &[&str]| {
        let az = az.clone();
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        async move {
            let out = tokio::task::spawn_blocking(move || Command::new(az).args(&args).output().unwrap())
                .await
                .unwrap();
            assert!(
                out.status.success(),
                "az failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    };
    run(&[
        "cloud",
        "register",
        "--name",
        "KfscaleFake",
        "--endpoint-resource-manager",
        tls_api.trim_end_matches('/'),
    ])
    .await;
    run(&["cloud", "set", "--name", "KfscaleFake"]).await;
    run(&["login", "--identity", "-o", "none"]).await;

    let aks = Aks::connect(AksOptions {
        endpoint: Some(fake.api_url()),
        credentials: Credentials::Chain,
        call_timeout: Duration::from_secs(10),
        ..AksOptions::default()
    })
    .unwrap();
    aks.check_credentials().await.unwrap();
    assert_eq!(aks.credential().await, Some("Azure CLI"));
    let pool = PoolRef {
        subscription: "00000000-0000-4000-8000-000000000001".into(),
        resource_group: "kfuse-rg".into(),
        cluster: "kfuse".into(),
        pool: "kfuse".into(),
    };
    assert_eq!(aks.agent_pool(&pool).await.unwrap().count, 3);
    fake.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
