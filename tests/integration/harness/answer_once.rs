//! Connections that a server closes after one answer, without saying so
//! (no `Connection: close`): the client keeps the connection alive, sends
//! its next request on it, and the server reads that request and closes
//! the connection without answering. What a server that restarted, or an
//! idle timeout, does to a pooled connection, made deterministic: the
//! close comes after the request, never racing the client's reuse.

use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A listener whose connections answer once.
pub struct AnswerOnceListener(pub TcpListener);

impl axum::serve::Listener for AnswerOnceListener {
    type Io = AnswerOnce;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            if let Ok((stream, addr)) = self.0.accept().await {
                let io = AnswerOnce {
                    stream,
                    answered: false,
                };
                return (io, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// A connection that reads as ended once it has been written to and the
/// client sends more (which is read and dropped).
pub struct AnswerOnce {
    stream: TcpStream,
    answered: bool,
}

impl AsyncRead for AnswerOnce {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if !self.answered {
            return Pin::new(&mut self.stream).poll_read(cx, buf);
        }
        // The next request: wait for it, read it, and say the stream ended.
        let mut scratch = [0u8; 64 * 1024];
        let mut next = ReadBuf::new(&mut scratch);
        match Pin::new(&mut self.stream).poll_read(cx, &mut next) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            other => other,
        }
    }
}

impl AsyncWrite for AnswerOnce {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = written {
            self.answered |= n > 0;
        }
        written
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
