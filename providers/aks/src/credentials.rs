//! Where the ARM token comes from: a fixed token (tests, `cluster.azure.access_token_file`), or the
//! Azure credential chain built from azure_identity's credentials, in the order DefaultAzureCredential
//! uses in Azure's other SDKs: a service principal from the environment (AZURE_TENANT_ID,
//! AZURE_CLIENT_ID, AZURE_CLIENT_SECRET), workload identity (AZURE_FEDERATED_TOKEN_FILE with the tenant
//! and client ids), the Azure CLI's login (`az login`), a managed identity. The first two are used
//! alone when their variables are set (a set variable means the operator chose them, so their error
//! is the one to show); otherwise the CLI is tried, then the managed identity, and the first that gives
//! a token is kept for the rest of the run. Tokens are cached until five minutes before they expire.
use std::sync::Arc;
use std::time::Duration;

use azure_core::cloud::CloudConfiguration;
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::ClientOptions;
use azure_core::time::OffsetDateTime;
use azure_identity::{
    AzureCliCredential, ClientAssertionCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};
use tokio::sync::Mutex;

use crate::error::AksError;
use crate::types::Cloud;

pub const TOKEN_FILE_FIX: &str = "check cluster.azure.access_token_file in kfscale.yaml, or remove it to use the Azure \
                                  credential chain (az login, a service principal, workload or managed identity)";

/// How kfscale gets its ARM token.
#[derive(Clone)]
pub enum Credentials {
    /// A fixed access token (tests).
    AccessToken(String),
    /// The Azure credential chain.
    Chain,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::AccessToken(_) => f.write_str("AccessToken((sensitive))"),
            Credentials::Chain => f.write_str("Chain"),
        }
    }
}

/// One credential takes at most this long to answer (a managed-identity probe off Azure may hang).
const CREDENTIAL_TIMEOUT: Duration = Duration::from_secs(30);
/// A cached token is renewed this long before it expires.
const RENEW_BEFORE: Duration = Duration::from_secs(300);

type Named = (&'static str, Arc<dyn TokenCredential>);

/// The token source of one client.
pub(crate) struct TokenSource {
    fixed: Option<String>,
    chain: Vec<Named>,
    scope: &'static str,
    state: Mutex<ChainState>,
}

#[derive(Default)]
struct ChainState {
    /// The credential that gave a token first.
    chosen: Option<usize>,
    cached: Option<(String, OffsetDateTime)>,
}

impl TokenSource {
    pub(crate) fn new(credentials: &Credentials, cloud: Cloud) -> Result<TokenSource, AksError> {
        let (fixed, chain) = match credentials {
            Credentials::AccessToken(token) => (Some(token.trim().to_string()), Vec::new()),
            Credentials::Chain => (None, chain(&Env::from_process(), cloud)?),
        };
        Ok(TokenSource {
            fixed,
            chain,
            scope: cloud.scope(),
            state: Mutex::new(ChainState::default()),
        })
    }

    /// The credential in use (after the first token), for diagnostics.
    pub(crate) async fn chosen(&self) -> Option<&'static str> {
        if self.fixed.is_some() {
            return Some("access token file");
        }
        let state = self.state.lock().await;
        state.chosen.map(|i| self.chain[i].0)
    }

    pub(crate) async fn token(&self) -> Result<String, AksError> {
        if let Some(token) = &self.fixed {
            return Ok(token.clone());
        }
        let mut state = self.state.lock().await;
        if let Some((token, expires)) = &state.cached
            && OffsetDateTime::now_utc() + RENEW_BEFORE < *expires
        {
            return Ok(token.clone());
        }
        let order: Vec<usize> = match state.chosen {
            Some(i) => vec![i],
            None => (0..self.chain.len()).collect(),
        };
        let mut failures = Vec::new();
        for i in order {
            let (name, credential) = &self.chain[i];
            let answer = tokio::time::timeout(CREDENTIAL_TIMEOUT, credential.get_token(&[self.scope], None)).await;
            match answer {
                Ok(Ok(token)) => {
                    tracing::debug!("Azure credentials: {name}");
                    state.chosen = Some(i);
                    let secret = token.token.secret().to_string();
                    state.cached = Some((secret.clone(), token.expires_on));
                    return Ok(secret);
                }
                Ok(Err(e)) => failures.push(format!("{name}: {}", first_line(&e.to_string()))),
                Err(_) => failures.push(format!("{name}: no answer within {} s", CREDENTIAL_TIMEOUT.as_secs())),
            }
        }
        Err(AksError::NoCredentials {
            detail: failures.join("; "),
        })
    }
}

/// The environment variables the chain reads.
#[derive(Debug, Default, Clone)]
pub(crate) struct Env {
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub federated_token_file: Option<String>,
}

impl Env {
    fn from_process() -> Env {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Env {
            tenant_id: var("AZURE_TENANT_ID"),
            client_id: var("AZURE_CLIENT_ID"),
            client_secret: var("AZURE_CLIENT_SECRET"),
            federated_token_file: var("AZURE_FEDERATED_TOKEN_FILE"),
        }
    }
}

/// Which credentials the chain tries, by name, for this environment.
pub(crate) fn plan(env: &Env) -> Vec<&'static str> {
    match env {
        Env {
            tenant_id: Some(_),
            client_id: Some(_),
            client_secret: Some(_),
            ..
        } => vec!["environment service principal"],
        Env {
            federated_token_file: Some(_),
            ..
        } => vec!["workload identity"],
        _ => vec!["Azure CLI", "managed identity"],
    }
}

fn chain(env: &Env, cloud: Cloud) -> Result<Vec<Named>, AksError> {
    let client_options = || ClientOptions {
        cloud: Some(Arc::new(match cloud {
            Cloud::Public => CloudConfiguration::AzurePublic,
            Cloud::UsGovernment => CloudConfiguration::AzureGovernment,
            Cloud::China => CloudConfiguration::AzureChina,
        })),
        ..ClientOptions::default()
    };
    let unusable = |name: &str, e: azure_core::Error| AksError::NoCredentials {
        detail: format!("{name}: {}", first_line(&e.to_string())),
    };
    let mut credentials: Vec<Named> = Vec::new();
    for name in plan(env) {
        let credential: Arc<dyn TokenCredential> = match name {
            "environment service principal" => {
                let (Some(tenant), Some(client), Some(secret)) = (&env.tenant_id, &env.client_id, &env.client_secret)
                else {
                    continue;
                };
                ClientSecretCredential::new(
                    tenant,
                    client.clone(),
                    Secret::from(secret.clone()),
                    Some(ClientSecretCredentialOptions {
                        client_options: client_options(),
                    }),
                )
                .map_err(|e| unusable(name, e))?
            }
            "workload identity" => WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions {
                    client_options: client_options(),
                },
                ..WorkloadIdentityCredentialOptions::default()
            }))
            .map_err(|e| unusable(name, e))?,
            "Azure CLI" => AzureCliCredential::new(None).map_err(|e| unusable(name, e))?,
            _ => match ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions::default())) {
                Ok(credential) => credential,
                // Not an environment with a managed identity this crate knows: the CLI is the only one.
                Err(e) => {
                    tracing::debug!("managed identity unusable here: {e}");
                    continue;
                }
            },
        };
        credentials.push((name, credential));
    }
    Ok(credentials)
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or(text).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        let get = |k: &str| pairs.iter().find(|(name, _)| *name == k).map(|(_, v)| v.to_string());
        Env {
            tenant_id: get("tenant"),
            client_id: get("client"),
            client_secret: get("secret"),
            federated_token_file: get("file"),
        }
    }

    #[test]
    fn the_chain_follows_what_the_environment_chose() {
        assert_eq!(
            plan(&env(&[
                ("tenant", "t"),
                ("client", "c"),
                ("secret", "s"),
                ("file", "f")
            ])),
            ["environment service principal"]
        );
        assert_eq!(
            plan(&env(&[("tenant", "t"), ("client", "c"), ("file", "f")])),
            ["workload identity"]
        );
        // A secret without its tenant is no service principal: the interactive chain it is.
        assert_eq!(
            plan(&env(&[("client", "c"), ("secret", "s")])),
            ["Azure CLI", "managed identity"]
        );
        assert_eq!(plan(&Env::default()), ["Azure CLI", "managed identity"]);
    }

    #[test]
    fn a_fixed_token_is_never_shown() {
        assert_eq!(
            format!("{:?}", Credentials::AccessToken("eyJsecret".into())),
            "AccessToken((sensitive))"
        );
    }
}
