//! The response body type, which can also simulate a connection dying mid-response.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

pub struct ReplyBody {
    data: Option<Bytes>,
    /// Set for the close-mid-body fault: after the data, wait, then fail the stream.
    fail: Option<Pin<Box<Sleep>>>,
}

impl ReplyBody {
    pub fn full(data: impl Into<Bytes>) -> ReplyBody {
        ReplyBody {
            data: Some(data.into()),
            fail: None,
        }
    }

    /// Sends `partial` and then errors, which makes hyper abort the connection. The short
    /// pause lets the partial bytes reach the client first, so it really sees a torn body.
    pub fn truncated(partial: impl Into<Bytes>) -> ReplyBody {
        ReplyBody {
            data: Some(partial.into()),
            fail: Some(Box::pin(tokio::time::sleep(Duration::from_millis(50)))),
        }
    }
}

impl Body for ReplyBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Some(d) = self.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(d))));
        }
        match self.fail.as_mut() {
            None => Poll::Ready(None),
            Some(sleep) => match sleep.as_mut().poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(()) => {
                    self.fail = None;
                    Poll::Ready(Some(Err(std::io::Error::other(
                        "fakeapi: injected close mid-body",
                    ))))
                }
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && self.fail.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        match (&self.data, &self.fail) {
            (Some(d), None) => SizeHint::with_exact(d.len() as u64),
            (None, None) => SizeHint::with_exact(0),
            _ => SizeHint::default(),
        }
    }
}
