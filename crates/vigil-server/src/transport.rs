//! The accept loop (F3): HTTP/1.1 connections served by hyper over a TCP listener, with a cap on
//! concurrent connections, a time-out on reading request headers (slowloris), an idle time-out
//! for connections that move no bytes, a stall time-out on request bodies, and graceful
//! shutdown; over TLS when the server has a certificate (see [`crate::tls`]).
//!
//! Over the cap the loop stops accepting until a connection closes: new connections wait in the
//! kernel's backlog (and are refused by the kernel once that is full) instead of each taking a
//! file descriptor. That the cap is reached is logged at most once a minute.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;

/// How connections are bounded (from [`crate::Config`]).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
}

/// Whether connections speak TLS, and with which certificate.
pub type Tls = Option<Arc<crate::tls::Certificates>>;

impl Limits {
    pub fn of(config: &crate::Config) -> Limits {
        Limits {
            max_connections: config.max_connections,
            header_read_timeout: config.header_read_timeout,
            idle_timeout: config.idle_timeout,
        }
    }
}

const FULL_LOG_EVERY: Duration = Duration::from_secs(60);
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Serves `router` on `listener` until `stop` completes; then stops accepting, lets the requests
/// in flight finish (idle keep-alive connections close at once) and returns once every
/// connection has closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    tls: Tls,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let max = limits.max_connections.clamp(1, u32::MAX as usize).min(Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(max));
    let (close_tx, close_rx) = watch::channel(false);
    let mut stop = std::pin::pin!(stop);
    let mut last_full_log: Option<Instant> = None;
    let mut refused_while_full: u64 = 0;
    'accept: loop {
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                refused_while_full += 1;
                if last_full_log.is_none_or(|t| t.elapsed() >= FULL_LOG_EVERY) {
                    tracing::warn!(
                        "connection cap reached ({max} open; {refused_while_full} time(s) since the last warning): \
                         not accepting until one closes"
                    );
                    last_full_log = Some(Instant::now());
                    refused_while_full = 0;
                }
                tokio::select! {
                    p = slots.clone().acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => break 'accept,
                    },
                    _ = &mut stop => break 'accept,
                }
            }
        };
        let (stream, remote) = tokio::select! {
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    drop(permit);
                    if is_per_connection_error(&e) {
                        continue;
                    }
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::error!("accepting a connection: {e}");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                        _ = &mut stop => break 'accept,
                    }
                }
            },
            _ = &mut stop => break 'accept,
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, remote, router.clone(), limits, tls.clone(), close_rx.clone(), permit));
    }
    drop(listener);
    let _ = close_tx.send(true);
    // Every connection holds a slot until it closes.
    let _ = slots.acquire_many(max as u32).await;
    Ok(())
}

fn is_per_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset)
}

/// When a connection last moved a byte, and how many of its requests a handler is working on.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn touch(&self) {
        self.last_ms.store(self.start.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }
}

struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(a: &Arc<Activity>) -> InFlight {
        a.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(a.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

#[allow(clippy::too_many_arguments)]
async fn connection(
    stream: TcpStream,
    remote: SocketAddr,
    router: Router,
    limits: Limits,
    tls: Tls,
    close: watch::Receiver<bool>,
    slot: OwnedSemaphorePermit,
) {
    let activity =
        Arc::new(Activity { start: Instant::now(), last_ms: AtomicU64::new(0), in_flight: AtomicUsize::new(0) });
    let tracked = Tracked { inner: stream, activity: activity.clone() };
    match tls {
        None => http(tracked, activity, remote, router, limits, close, slot).await,
        Some(certs) => {
            // The handshake gets the header time-out: a client that opens a connection and sends
            // nothing holds its slot no longer than a slow request head would.
            let acceptor = tokio_rustls::TlsAcceptor::from(certs.current());
            match tokio::time::timeout(limits.header_read_timeout, acceptor.accept(tracked)).await {
                Ok(Ok(stream)) => http(stream, activity, remote, router, limits, close, slot).await,
                Ok(Err(e)) => tracing::debug!("TLS handshake with {remote} failed: {e}"),
                Err(_) => tracing::debug!("TLS handshake with {remote} timed out"),
            }
        }
    }
}

/// Serves HTTP/1.1 on one connection, plain or inside TLS.
async fn http<S>(
    stream: S,
    activity: Arc<Activity>,
    remote: SocketAddr,
    router: Router,
    limits: Limits,
    mut close: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(stream);
    let act = activity.clone();
    let idle = limits.idle_timeout;
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(remote));
        let guard = InFlight::new(&act);
        let req: Request = req.map(|b| axum::body::Body::new(Stalling { inner: b, limit: idle, deadline: None }));
        let mut router = router.clone();
        async move {
            let r = tower_service::Service::call(&mut router, req).await;
            drop(guard);
            r
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).keep_alive(true);
    let conn = builder.serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let mut closing = *close.borrow();
    if closing {
        conn.as_mut().graceful_shutdown();
    }
    let mut check_at = Instant::now() + idle;
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!("connection from {remote}: {e}");
                }
                return;
            }
            _ = close.changed(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
                check_at = Instant::now();
            }
            _ = tokio::time::sleep_until(check_at) => {
                // Shutting down, a connection with no request being handled gets a short grace
                // instead of the whole idle time-out (a browser's spare connection would hold
                // shutdown up to the header time-out otherwise).
                let limit = if closing { idle.min(SHUTDOWN_GRACE) } else { idle };
                let quiet_since = activity.last();
                if activity.in_flight.load(Ordering::Relaxed) > 0 {
                    // A handler is working (a body that stalls fails on its own, see `Stalling`).
                    check_at = Instant::now() + limit;
                } else if quiet_since + limit <= Instant::now() {
                    tracing::debug!("closing the idle connection from {remote}");
                    return;
                } else {
                    check_at = quiet_since + limit;
                }
            }
        }
    }
}

/// The socket, noting each byte read or written.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// A request body that fails when no data arrives for `limit` while a handler waits on it, so
/// a body sent a byte a minute cannot hold a connection (and its handler) open.
struct Stalling {
    inner: Incoming,
    limit: Duration,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl http_body::Body for Stalling {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.deadline = None;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let limit = this.limit;
                let deadline = this.deadline.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                if deadline.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Some(Err("the request body stalled".into())));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
