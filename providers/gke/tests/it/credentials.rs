//! Missing Application Default Credentials are reported before any call, with the gcloud command.
//! One test in this binary: it changes the process environment.
use kfscale_gke::{Auth, Gke, GkeError, GkeOptions, find_adc};

#[tokio::test]
async fn missing_credentials_are_reported_up_front() -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    // SAFETY: the only test of this binary; nothing else reads the environment meanwhile.
    unsafe {
        std::env::remove_var("GOOGLE_APPLICATION_CREDENTIALS");
        std::env::remove_var("GCE_METADATA_HOST");
        std::env::set_var("HOME", home.path());
    }
    // No endpoint: were the check missing, the client would wait on a metadata server.
    let Err(err) = Gke::connect(GkeOptions {
        auth: Auth::ApplicationDefault,
        ..Default::default()
    })
    .await
    else {
        panic!("no credentials must fail");
    };
    assert!(matches!(err, GkeError::NoCredentials { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("gcloud auth application-default login")
            && text.contains("GOOGLE_APPLICATION_CREDENTIALS")
            && text.contains("application_default_credentials.json"),
        "{text}"
    );
    assert!(!err.is_retriable());

    let missing = home.path().join("key.json");
    // SAFETY: as above.
    unsafe { std::env::set_var("GOOGLE_APPLICATION_CREDENTIALS", &missing) };
    let err = find_adc().unwrap_err();
    assert!(err.to_string().contains(&missing.display().to_string()), "{err}");

    let gcloud = home.path().join(".config/gcloud");
    std::fs::create_dir_all(&gcloud)?;
    std::fs::write(gcloud.join("application_default_credentials.json"), "{}")?;
    // SAFETY: as above.
    unsafe { std::env::remove_var("GOOGLE_APPLICATION_CREDENTIALS") };
    assert_eq!(
        find_adc()?,
        kfscale_gke::AdcSource::GcloudFile(gcloud.join("application_default_credentials.json"))
    );
    Ok(())
}
