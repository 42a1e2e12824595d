//! AWS's shared config files (`~/.aws/config`, `~/.aws/credentials`, or the files
//! `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` name), read by the SDK's own parser, so a
//! profile is there exactly when the SDK would find it. The SDK itself only says "no credentials"
//! much later, for a profile name with a typo: here it is named with the files looked in.
use std::path::PathBuf;

use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error(
        "the AWS profile `{profile}` ({named_by}) does not exist: neither {} nor {} has it{}; fix: create it (`aws configure --profile {profile}`, or `aws configure sso`), or name a profile that exists",
        .files.config.display(),
        .files.credentials.display(),
        known_profiles(.known)
    )]
    NoSuchProfile {
        profile: String,
        /// Where the name came from (`AWS_PROFILE`, a key of the caller's config).
        named_by: String,
        files: SharedFiles,
        known: Vec<String>,
    },
    #[error("cannot read the AWS config files ({} and {}): {message}; fix: correct the file's syntax (`aws configure list-profiles` reads it the same way)", .files.config.display(), .files.credentials.display())]
    Unreadable { files: SharedFiles, message: String },
}

fn known_profiles(known: &[String]) -> String {
    if known.is_empty() {
        " (they hold no profile at all)".into()
    } else {
        format!(" (they have: {})", known.join(", "))
    }
}

/// Where the SDK reads profiles from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFiles {
    pub config: PathBuf,
    pub credentials: PathBuf,
}

impl SharedFiles {
    /// `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and
    /// `~/.aws/credentials`, as the SDK picks them.
    pub fn from_env() -> SharedFiles {
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
        let named = |var: &str, default: &str| {
            std::env::var_os(var)
                .filter(|value| !value.is_empty())
                .map(|value| expand_home(PathBuf::from(value), &home))
                .unwrap_or_else(|| home.join(".aws").join(default))
        };
        SharedFiles {
            config: named("AWS_CONFIG_FILE", "config"),
            credentials: named("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        }
    }
}

fn expand_home(path: PathBuf, home: &std::path::Path) -> PathBuf {
    match path.strip_prefix("~") {
        Ok(rest) => home.join(rest),
        Err(_) => path,
    }
}

/// The profiles of the shared files.
pub struct Profiles {
    set: aws_config::profile::ProfileSet,
    pub files: SharedFiles,
}

impl Profiles {
    /// Reads both files (a missing file holds no profiles, as for the SDK).
    pub async fn load() -> Result<Profiles, ProfileError> {
        let files = SharedFiles::from_env();
        let set = aws_config::profile::load(&Fs::real(), &Env::real(), &EnvConfigFiles::default(), None)
            .await
            .map_err(|err| ProfileError::Unreadable {
                files: files.clone(),
                message: err.to_string(),
            })?;
        Ok(Profiles { set, files })
    }

    /// Profile names, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.set.profiles().map(String::from).collect();
        names.sort();
        names
    }

    /// `profile`, or why it cannot be used; `named_by` says where its name came from.
    pub fn require(&self, profile: &str, named_by: &str) -> Result<(), ProfileError> {
        if self.set.get_profile(profile).is_some() {
            return Ok(());
        }
        Err(ProfileError::NoSuchProfile {
            profile: profile.into(),
            named_by: named_by.into(),
            files: self.files.clone(),
            known: self.names(),
        })
    }

    /// The `region` the profile sets, if it exists and sets one.
    pub fn region_of(&self, profile: &str) -> Option<String> {
        self.set
            .get_profile(profile)
            .and_then(|p| p.get("region"))
            .map(str::to_string)
    }
}
