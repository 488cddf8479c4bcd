//! The `k8s` kind's requests on a connection the API server closed: the
//! rule of [`crate::web::closed`], applied in one place, a layer under
//! kube's client, so that every request the kind makes goes through it.
//! A request whose repetition changes nothing (GET for get, list, logs,
//! events and rollout status; DELETE; PUT) is sent once more: hyper has
//! dropped the closed connection from its pool, so it goes out on a new
//! one. Any other (PATCH for scale, set_env, patch, rollout restart; POST,
//! as an eviction) and any upgrade (exec, attach, port-forward) is not,
//! and fails with [`NotSentAgain`].

use crate::web::closed::{closed_before_answer, idempotent};
use http::Request;
use kube::client::Body;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::Mutex;
use tower::{BoxError, Layer, Service};

/// The failure of a request that met a closed connection and was not sent
/// again; `client::explain` words it for the step.
#[derive(Debug)]
pub struct NotSentAgain {
    pub method: http::Method,
}

impl std::fmt::Display for NotSentAgain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the API server closed the connection before it answered: the request may or may not have been applied; it was not sent again ({} is not idempotent)",
            self.method
        )
    }
}

impl std::error::Error for NotSentAgain {}

/// Puts [`Repeating`] under kube's client.
pub struct RepeatLayer;

impl<S> Layer<S> for RepeatLayer {
    type Service = Repeating<S>;

    fn layer(&self, inner: S) -> Repeating<S> {
        Repeating {
            inner: Arc::new(Mutex::new(inner)),
        }
    }
}

/// kube's service stack, shared with the futures of its requests so that
/// one can send its request a second time.
pub struct Repeating<S> {
    inner: Arc<Mutex<S>>,
}

/// Sends `request` on `inner` (held only while it is handed over).
async fn send_on<S, R>(inner: &Mutex<S>, request: Request<Body>) -> Result<R, BoxError>
where
    S: Service<Request<Body>, Response = R, Error = BoxError>,
{
    let pending = {
        let mut service = inner.lock().await;
        std::future::poll_fn(|cx| service.poll_ready(cx)).await?;
        service.call(request)
    };
    pending.await
}

impl<S, R> Service<Request<Body>> for Repeating<S>
where
    S: Service<Request<Body>, Response = R, Error = BoxError> + Send + 'static,
    S::Future: Send + 'static,
    R: Send + 'static,
{
    type Response = R;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<R, BoxError>> + Send>>;

    /// Always ready: each request waits for the stack's readiness itself.
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let inner = self.inner.clone();
        Box::pin(async move {
            let method = request.method().clone();
            let upgrade = request.headers().contains_key(http::header::UPGRADE);
            let again = clone(&request);
            let error = match send_on(&inner, request).await {
                Ok(response) => return Ok(response),
                Err(e) => e,
            };
            if !closed_before_answer(error.as_ref()) {
                return Err(error);
            }
            match again {
                Some(again) if idempotent(&method) && !upgrade => send_on(&inner, again).await,
                _ => Err(Box::new(NotSentAgain { method }) as BoxError),
            }
        })
    }
}

/// A copy of `request` to send again, if its body is in memory (kube's
/// requests' bodies all are).
fn clone(request: &Request<Body>) -> Option<Request<Body>> {
    let body = request.body().try_clone()?;
    let mut again = Request::new(body);
    *again.method_mut() = request.method().clone();
    *again.uri_mut() = request.uri().clone();
    *again.version_mut() = request.version();
    *again.headers_mut() = request.headers().clone();
    Some(again)
}
