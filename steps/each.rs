//! Steps that ask every appliance, user or place: the requests go out a few at a time rather
//! than one after another, and the step reads as if they had not.

use futures::{StreamExt as _, TryStreamExt as _};
use std::future::Future;

/// How many requests of one step are in flight at once: enough to keep both cores of a small
/// machine busy while each request waits on its peer, few enough not to swamp the lab's roles
/// (which share those cores) or the connection pools between them.
pub const AT_ONCE: usize = 16;

/// `ask` of each item, at most [`AT_ONCE`] in flight, the answers in the items' order. The
/// step's error is the first failure in that order, as one request after another would have
/// reported it; requests still in flight then are dropped.
pub async fn in_order<I, T, F, Fut>(items: I, ask: F) -> anyhow::Result<Vec<T>>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    futures::stream::iter(items).map(ask).buffered(AT_ONCE).try_collect().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    // Paused time: each item's work "takes" its sleep on the runtime's clock, at once in real time.
    #[tokio::test(start_paused = true)]
    async fn answers_come_in_the_items_order_however_long_each_takes() {
        let answers = in_order(0..40u64, |i| async move {
            // Later items answer sooner.
            tokio::time::sleep(Duration::from_millis(40 - i)).await;
            Ok(i * 10)
        })
        .await
        .unwrap();
        assert_eq!(answers, (0..40).map(|i| i * 10).collect::<Vec<_>>());
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_failure_in_order_is_reported_even_when_a_later_one_fails_sooner() {
        let err = in_order(0..10u64, |i| async move {
            match i {
                3 => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    anyhow::bail!("item 3 failed")
                }
                7 => anyhow::bail!("item 7 failed"),
                _ => Ok(i),
            }
        })
        .await
        .unwrap_err();
        assert_eq!(err.to_string(), "item 3 failed");
    }

    #[tokio::test(start_paused = true)]
    async fn no_more_than_at_once_are_in_flight_and_all_of_them_are_asked() {
        let (now, most, asked) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
        in_order(0..100, |_| async {
            asked.fetch_add(1, Ordering::SeqCst);
            let here = now.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(here, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(2)).await;
            now.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(asked.load(Ordering::SeqCst), 100);
        assert_eq!(most.load(Ordering::SeqCst), AT_ONCE, "as many as allowed, never more");
    }

    #[tokio::test]
    async fn nothing_to_ask_is_no_answer() {
        let answers: Vec<()> = in_order(Vec::<u8>::new(), |_| async { anyhow::bail!("never asked") }).await.unwrap();
        assert!(answers.is_empty());
    }
}
