//! Errors of the Grafana client. Each names the call, what went wrong and what to do; none carries
//! the token.

#[derive(Debug, thiserror::Error)]
pub enum GrafanaError {
    #[error(
        "Grafana URL {url:?} is invalid: {message}; fix: set grafana.url in kfscale.yaml to Grafana's base URL, e.g. http://kfuse-grafana.kfuse:80"
    )]
    BadUrl { url: String, message: String },
    /// No HTTP exchange happened (connection refused, reset, DNS).
    #[error(
        "Grafana {call} at {base}: cannot reach Grafana: {message}; fix: check grafana.url in kfscale.yaml and that Grafana (the kfuse-grafana pod) runs and is reachable from here"
    )]
    Unreachable {
        call: String,
        base: String,
        message: String,
    },
    #[error(
        "Grafana {call} at {base}: no answer within {seconds} s; fix: check that Grafana is up (the kfuse-grafana pod), or raise grafana.timeout_seconds in kfscale.yaml"
    )]
    Timeout { call: String, base: String, seconds: u64 },
    #[error("Grafana {call}: HTTP {status}: {message}; fix: {fix}")]
    Http {
        call: String,
        status: u16,
        message: String,
        fix: String,
    },
    /// A 200 answer that is not the rules listing, or a listing that says `"status": "error"`.
    #[error(
        "Grafana {call} at {base}: unexpected answer: {message}; fix: check that grafana.url is Grafana's base URL (not a datasource or a proxy) and that Grafana alerting (unified alerting) is on"
    )]
    Decode {
        call: String,
        base: String,
        message: String,
    },
}

pub(crate) fn fix_for_status(status: u16) -> String {
    match status {
        401 => "Grafana wants credentials: set grafana.token_file in kfscale.yaml to a file holding a service account token".into(),
        403 => "the token may not read alert rules: give its service account the Viewer role (or the alert.rules:read permission)".into(),
        404 => "no rules API at this URL: grafana.url must be Grafana's base URL (without /api), and Grafana must run unified alerting".into(),
        500..=599 => "Grafana failed internally: retry; if it persists, read the kfuse-grafana logs".into(),
        _ => "Grafana refused the request: see its message".into(),
    }
}
