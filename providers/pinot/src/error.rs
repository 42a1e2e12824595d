//! Errors of the Pinot controller client. Each names the call, what went wrong and what to do.

#[derive(Debug, thiserror::Error)]
pub enum PinotError {
    /// No HTTP exchange with the controller happened (connection refused, reset, DNS).
    #[error("Pinot controller {call} at {base}: cannot reach the controller: {message}; fix: {fix}")]
    Unreachable {
        call: String,
        base: String,
        message: String,
        fix: String,
    },
    /// The controller took longer than the configured timeout.
    #[error("Pinot controller {call} at {base}: no answer within {seconds} s; fix: {fix}")]
    Timeout {
        call: String,
        base: String,
        seconds: u64,
        fix: String,
    },
    /// A table endpoint answered 404 for this table.
    #[error(
        "Pinot controller {call}: table {table} not found ({message}); fix: check the table name (`kfscale snapshot` lists the controller's tables) and that {base} is this cluster's controller"
    )]
    TableNotFound {
        call: String,
        base: String,
        table: String,
        message: String,
    },
    /// Any other non-success answer, with Pinot's own error text.
    #[error("Pinot controller {call}: HTTP {status}: {message}; fix: {fix}")]
    Http {
        call: String,
        status: u16,
        message: String,
        fix: String,
    },
    /// A success answer that is not what the controller API returns.
    #[error(
        "Pinot controller {call} at {base}: unexpected answer: {message}; fix: check that {base} is a Pinot controller (port 9000), not a broker, a server or a proxy"
    )]
    Decode {
        call: String,
        base: String,
        message: String,
    },
    /// The configured controller URL is not an http(s) URL.
    #[error(
        "Pinot controller URL {url:?} is invalid: {message}; fix: set pinot.url in kfscale.yaml to the controller's URL, e.g. http://pinot-controller.kfuse:9000"
    )]
    BadUrl { url: String, message: String },
    /// The Kubernetes port-forward to the controller pod could not be set up.
    #[error(
        "port-forward to pod {pod}:{port} in namespace {namespace}: {message}; fix: check that the pod runs (kubectl -n {namespace} get pod {pod}) and that kubernetes.namespace in kfscale.yaml is the release namespace, or set pinot.url in kfscale.yaml to a controller URL reachable from here"
    )]
    PortForward {
        namespace: String,
        pod: String,
        port: u16,
        message: String,
    },
}

impl PinotError {
    /// A connection problem, a timeout, throttling or a server-side failure: worth another try later.
    pub fn is_retriable(&self) -> bool {
        match self {
            PinotError::Unreachable { .. } | PinotError::Timeout { .. } => true,
            PinotError::Http { status, .. } => *status == 429 || *status >= 500,
            PinotError::TableNotFound { .. }
            | PinotError::Decode { .. }
            | PinotError::BadUrl { .. }
            | PinotError::PortForward { .. } => false,
        }
    }

    /// 409: a rebalance of the table is already running.
    pub fn is_conflict(&self) -> bool {
        matches!(self, PinotError::Http { status: 409, .. })
    }

    /// The HTTP status the controller answered, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            PinotError::Http { status, .. } => Some(*status),
            PinotError::TableNotFound { .. } => Some(404),
            _ => None,
        }
    }
}

/// What to do about an HTTP status that is not a success, given the call.
pub(crate) fn fix_for_status(status: u16) -> String {
    match status {
        401 | 403 => "the controller requires authentication, which kfscale does not send yet: reach the controller \
                      through a port-forward or a URL without access control"
            .into(),
        404 => "the controller does not know this resource: check the name (and that the controller's Pinot version \
                has this API)"
            .into(),
        409 => "a rebalance of this table is already running: wait for it to finish (GET /rebalanceStatus/<jobId>) or \
                cancel it (DELETE /tables/<table>/rebalance) before starting another"
            .into(),
        429 => "the controller is throttling: retry later".into(),
        503 => "the controller is starting or restarting: retry in a minute; check the pinot-controller pods".into(),
        500..=599 => "the controller failed internally: retry; if it persists, read the pinot-controller logs".into(),
        _ => "the controller refused the request: see its message".into(),
    }
}
