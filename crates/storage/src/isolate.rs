//! Finding the records ClickHouse refuses, so that the rest of a batch flows.
//!
//! A permanent error (the server rejects a row, cannot parse or type the statement)
//! would stop a partition for good if the batch were retried as it is. The batch is
//! split in halves, each half written again, down to the single records the server
//! still rejects; those go to the dead-letter topic with the server's message. A
//! transient error ends the search: the caller backs off and retries the whole batch,
//! and the halves already written are found stored by the dedup lookup.

use std::future::Future;

use crate::Error;

/// A group of items the server refused, with its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected<G> {
    pub group: G,
    pub message: String,
}

/// Writes `groups` through `write`, bisecting while the server refuses rows. Returns
/// the groups refused on their own (every other group is written), or the first error
/// that is not about rows (transient, or a statement the server cannot run).
pub async fn write_isolating_rejects<G, F, Fut>(
    groups: Vec<G>,
    mut write: F,
) -> Result<Vec<Rejected<G>>, Error>
where
    G: Clone,
    F: FnMut(Vec<G>) -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    let mut rejected = Vec::new();
    let mut pending = vec![groups];
    while let Some(part) = pending.pop() {
        if part.is_empty() {
            continue;
        }
        match write(part.clone()).await {
            Ok(()) => {}
            Err(error) if !error.is_row_rejection() => return Err(error),
            Err(error) if part.len() == 1 => rejected.push(Rejected {
                group: part.into_iter().next().expect("one group"),
                message: error.to_string(),
            }),
            Err(_) => {
                let mut first = part;
                let second = first.split_off(first.len() / 2);
                // Second half pushed first, so the first half is written first.
                pending.push(second);
                pending.push(first);
            }
        }
    }
    Ok(rejected)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    fn refused(message: &str) -> Error {
        Error::ClickHouse {
            action: "inserting".into(),
            source: clickhouse::error::Error::BadResponse(message.into()),
        }
    }

    /// A fake server: refuses any write holding a poison item, stores the rest.
    async fn fake_write(
        stored: &RefCell<Vec<u32>>,
        writes: &RefCell<u32>,
        part: Vec<u32>,
    ) -> Result<(), Error> {
        *writes.borrow_mut() += 1;
        if part.iter().any(|i| i % 100 == 37) {
            return Err(refused(
                "Code: 469. DB::Exception: Constraint `no_poison` is violated",
            ));
        }
        stored.borrow_mut().extend(part);
        Ok(())
    }

    #[tokio::test]
    async fn only_the_poison_records_are_rejected_and_every_other_is_written() {
        let stored = RefCell::new(Vec::new());
        let writes = RefCell::new(0);
        let items: Vec<u32> = (0..1000).collect();
        let rejected =
            write_isolating_rejects(items.clone(), |part| fake_write(&stored, &writes, part))
                .await
                .unwrap();
        let poison: Vec<u32> = items.iter().copied().filter(|i| i % 100 == 37).collect();
        assert_eq!(rejected.iter().map(|r| r.group).collect::<Vec<_>>(), poison);
        assert!(
            rejected[0]
                .message
                .contains("Constraint `no_poison` is violated")
        );
        let mut stored = stored.into_inner();
        stored.sort();
        let clean: Vec<u32> = items.into_iter().filter(|i| i % 100 != 37).collect();
        assert_eq!(stored, clean, "every clean record written once");
        // 10 poison records among 1,000: about 10 × 2 × log2(1000) writes, not 1,000.
        assert!(*writes.borrow() < 250, "{} writes", writes.borrow());
    }

    #[tokio::test]
    async fn a_statement_the_server_cannot_run_dead_letters_nothing() {
        let mut calls = 0;
        let outcome = write_isolating_rejects(vec![1, 2, 3, 4], |_| {
            calls += 1;
            async {
                Err(refused(
                    "Code: 60. DB::Exception: Table db.mentions doesn't exist",
                ))
            }
        })
        .await;
        assert_eq!(
            outcome.expect_err("returned for the retry").class(),
            "statement"
        );
        assert_eq!(calls, 1, "no split: the records are not at fault");
    }

    #[tokio::test]
    async fn a_clean_batch_is_one_write() {
        let stored = RefCell::new(Vec::new());
        let writes = RefCell::new(0);
        let rejected =
            write_isolating_rejects(vec![1, 2, 3], |part| fake_write(&stored, &writes, part))
                .await
                .unwrap();
        assert!(rejected.is_empty());
        assert_eq!(*writes.borrow(), 1);
    }

    #[tokio::test]
    async fn a_transient_error_stops_the_search_for_a_retry_of_the_batch() {
        let mut calls = 0;
        let outcome = write_isolating_rejects(vec![1, 2, 3, 4], |part| {
            calls += 1;
            let first = calls == 1;
            async move {
                match (first, part.len()) {
                    (true, _) => Err(refused("Code: 469. DB::Exception: Constraint violated")),
                    _ => Err(refused("Code: 241. DB::Exception: Memory limit exceeded")),
                }
            }
        })
        .await;
        let error = outcome.expect_err("a transient error is returned");
        assert!(error.is_transient());
        assert_eq!(
            calls, 2,
            "the first half failed transiently: no more writes"
        );
    }
}
