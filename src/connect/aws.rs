//! Which AWS account and region an EKS client speaks to: `cluster.aws.profile` (else
//! `AWS_PROFILE`) and `cluster.aws.region` (else `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's
//! `region`), as the AWS CLI picks them. A profile name that is not in the shared files is
//! refused here, naming the files, before any call: the SDK would only say "no credentials" later.
use kfscale_eks::profiles::Profiles;

/// The settings an EKS client is built with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsTarget {
    pub region: String,
    /// The profile kfscale.yaml names; None: the SDK's own chain (which reads AWS_PROFILE).
    pub profile: Option<String>,
}

/// `region` and `profile` as kfscale.yaml gives them (`origin` names the file), completed and
/// checked against the environment and the shared files.
pub async fn aws_target(origin: &str, region: Option<&str>, profile: Option<&str>) -> anyhow::Result<AwsTarget> {
    let named = match profile {
        Some(profile) => Some((profile.to_string(), format!("cluster.aws.profile in {origin}"))),
        None => env("AWS_PROFILE").map(|profile| (profile, "AWS_PROFILE".to_string())),
    };
    let profiles = match &named {
        Some((name, named_by)) => {
            let profiles = Profiles::load().await?;
            profiles.require(name, named_by)?;
            Some(profiles)
        }
        None => None,
    };
    let target = |region: String| AwsTarget {
        region,
        profile: profile.map(String::from),
    };
    if let Some(region) = region
        .map(String::from)
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
    {
        return Ok(target(region));
    }
    let profiles = match profiles {
        Some(profiles) => profiles,
        None => Profiles::load().await?,
    };
    let in_use = named.as_ref().map_or("default", |(name, _)| name.as_str());
    match profiles.region_of(in_use) {
        Some(region) => Ok(target(region)),
        None => anyhow::bail!(
            "{origin}: no AWS region: cluster.aws.region is not set, nor AWS_REGION or AWS_DEFAULT_REGION, and the AWS profile `{in_use}` sets none in {}; fix: set cluster.aws.region (e.g. `region: us-east-1`), or export AWS_REGION",
            profiles.files.config.display()
        ),
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.trim().is_empty())
}
