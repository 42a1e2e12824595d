//! The customer's bare remote served over git's smart HTTP protocol (`git http-backend` as CGI, the
//! way a git server runs it), behind the fault proxy: the git cells of the fault matrix push
//! through it. Requests are named `GET info/refs?service=git-receive-pack` (or `git-upload-pack`), `POST git-receive-pack`, `POST git-upload-pack`.
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncWriteExt;

use super::fault_proxy::FaultProxy;

pub struct GitHttp {
    proxy: FaultProxy,
    server: tokio::task::JoinHandle<()>,
}

impl std::ops::Deref for GitHttp {
    type Target = FaultProxy;

    fn deref(&self) -> &FaultProxy {
        &self.proxy
    }
}

impl Drop for GitHttp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl GitHttp {
    /// Serves the repositories under `root` and puts the fault proxy in front.
    pub async fn serve(root: &Path) -> Result<GitHttp> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let upstream = format!("http://{}", listener.local_addr()?);
        let app = axum::Router::new()
            .fallback(backend)
            .with_state(Arc::new(root.to_path_buf()));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let proxy = FaultProxy::start(&upstream, reqwest::Client::new(), operation).await?;
        Ok(GitHttp { proxy, server })
    }

    /// The URL of repository `name` (a directory under the root), through the proxy.
    pub fn url_of(&self, name: &str) -> String {
        format!("{}/{name}", self.url())
    }
}

/// Ref discovery is named with its service (`GET info/refs?service=git-receive-pack` for a push,
/// `...git-upload-pack` for a fetch), so a fault can hit the push and spare the apply's fetch of
/// the reviewed branch.
fn operation(method: &str, path: &str, query: &str) -> String {
    if path.ends_with("/info/refs") {
        return match query.split('&').find(|pair| pair.starts_with("service=")) {
            Some(service) => format!("{method} info/refs?{service}"),
            None => format!("{method} info/refs"),
        };
    }
    format!("{method} {}", path.rsplit('/').next().unwrap_or(path))
}

/// One CGI exchange with `git http-backend`.
async fn backend(State(root): State<Arc<std::path::PathBuf>>, request: Request) -> Response {
    match run_backend(&root, request).await {
        Ok(response) => response,
        Err(err) => (StatusCode::INTERNAL_SERVER_ERROR, format!("git http-backend: {err:#}")).into_response(),
    }
}

async fn run_backend(root: &Path, request: Request) -> Result<Response> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 256 << 20).await?;
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let mut child = tokio::process::Command::new("git")
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        // An authenticated user may push (http.receivepack defaults to that).
        .env("REMOTE_USER", "kfscale-test")
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("REQUEST_METHOD", parts.method.as_str())
        .env("PATH_INFO", parts.uri.path())
        .env("QUERY_STRING", parts.uri.query().unwrap_or_default())
        .env("CONTENT_TYPE", header("content-type"))
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("HTTP_CONTENT_ENCODING", header("content-encoding"))
        .env("GIT_PROTOCOL", header("git-protocol"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running git http-backend")?;
    let mut stdin = child.stdin.take().context("stdin")?;
    stdin.write_all(&body).await?;
    drop(stdin);
    let output = child.wait_with_output().await?;
    cgi_response(&output.stdout)
}

/// A CGI answer: headers (with an optional `Status:`), a blank line, the body.
fn cgi_response(stdout: &[u8]) -> Result<Response> {
    let split = stdout
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| (at, 4))
        .or_else(|| stdout.windows(2).position(|w| w == b"\n\n").map(|at| (at, 2)))
        .context("no end of CGI headers")?;
    let (head, body) = (&stdout[..split.0], &stdout[split.0 + split.1..]);
    let mut response = Response::new(Body::from(body.to_vec()));
    for line in String::from_utf8_lossy(head).lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().unwrap_or("200").parse::<u16>()?;
            *response.status_mut() = StatusCode::from_u16(code)?;
        } else {
            response.headers_mut().insert(
                HeaderName::from_bytes(name.trim().as_bytes())?,
                HeaderValue::from_str(value)?,
            );
        }
    }
    Ok(response)
}
