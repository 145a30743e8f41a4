//! Where a success answer is decoded: a large one on tokio's blocking pool,
//! so that the task driving the requests (several pages at once, or pages
//! read ahead of the caller) goes on reading the other answers meanwhile; a
//! small one where it arrived, which costs less than handing it over.

use std::future::Future;

use futures::future::{self, Either};
use tracing::Instrument as _;

use crate::Error;
use crate::http::intercept::Success;

/// Bodies from this size on are decoded off the task (a page of 5,000
/// connections is about 2.8 MiB, a single connection about 1 KiB): about a
/// millisecond of decoding, far more than the hand-over costs.
pub(crate) const OFF_TASK_FROM_BYTES: usize = 256 * 1024;

/// `read(answer)`, begun now: a large body is handed to tokio's blocking
/// pool at once, and the future waits for it; a small one is read here.
pub(crate) fn start<T, R>(
    answer: Success,
    read: R,
) -> impl Future<Output = Result<T, Error>> + Send + 'static
where
    R: Fn(Success) -> Result<T, Error> + Copy + Send + 'static,
    T: Send + 'static,
{
    if answer.body.len() < OFF_TASK_FROM_BYTES {
        return Either::Left(future::ready(read(answer)));
    }
    // A copy of the answer shares its bytes: it is for the case where the
    // pool never ran the decode (the runtime is shutting down).
    let kept = answer.clone();
    let span = tracing::Span::current();
    let decoding = tokio::task::spawn_blocking(move || span.in_scope(|| read(answer)));
    let waiting = async move {
        match decoding.await {
            Ok(decoded) => decoded,
            Err(failed) if failed.is_panic() => std::panic::resume_unwind(failed.into_panic()),
            Err(_) => read(kept),
        }
    };
    Either::Right(waiting.in_current_span())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread_name(_: Success) -> Result<Option<String>, Error> {
        Ok(std::thread::current().name().map(str::to_owned))
    }

    #[tokio::test(flavor = "current_thread")]
    async fn large_answers_are_decoded_on_another_thread_small_ones_here() {
        let here = std::thread::current().name().map(str::to_owned);
        let small = start(Success::ok(vec![b' '; 10]), thread_name)
            .await
            .unwrap();
        assert_eq!(small, here);
        let large = Success::ok(vec![b' '; OFF_TASK_FROM_BYTES]);
        let elsewhere = start(large, thread_name).await.unwrap();
        assert_ne!(elsewhere, here, "decoded on the calling thread");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_large_answer_is_being_decoded_before_anyone_waits_for_it() {
        static STARTED: std::sync::Mutex<Option<std::sync::mpsc::Sender<()>>> =
            std::sync::Mutex::new(None);
        let (sender, started) = std::sync::mpsc::channel();
        *STARTED.lock().unwrap() = Some(sender);
        let signal = |a: Success| {
            if let Some(sender) = STARTED.lock().unwrap().take() {
                sender.send(()).unwrap();
            }
            Ok::<_, Error>(a.body.len())
        };
        let decoding = start(Success::ok(vec![b' '; OFF_TASK_FROM_BYTES]), signal);
        // Not polled yet: the blocking pool runs it all the same.
        started
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the decode did not start until awaited");
        assert_eq!(decoding.await.unwrap(), OFF_TASK_FROM_BYTES);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn what_the_decode_returns_comes_back_and_a_panic_goes_on() {
        let body = vec![b'x'; OFF_TASK_FROM_BYTES + 1];
        let length = |a: Success| Ok::<_, Error>(a.body.len());
        assert_eq!(
            start(Success::ok(body.clone()), length).await.unwrap(),
            body.len()
        );
        let panics = tokio::spawn(start(Success::ok(body), |_| -> Result<(), Error> {
            panic!("decoding failed")
        }));
        assert!(panics.await.unwrap_err().is_panic());
    }
}
