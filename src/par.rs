//! Work shared over all cores, results in input order: loading files and running rules
//! are both a list of independent items whose results must not depend on scheduling.

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many threads run at once on this machine (1 when it cannot be told).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `f` of every item, computed on up to one thread per core (each takes the next item
/// left), returned in the order of `items`. A panic in `f` is raised again here.
pub fn map_ordered<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = cores().min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, f(item)));
                    }
                    mine
                })
            })
            .collect();
        for w in workers {
            match w.join() {
                Ok(done) => {
                    for (i, r) in done {
                        results[i] = Some(r);
                    }
                }
                Err(p) => std::panic::resume_unwind(p),
            }
        }
    });
    // Every index was taken by exactly one worker and every worker joined, so all are
    // set; a gap would misalign results with items, which must never pass quietly.
    results
        .into_iter()
        .map(|r| r.expect("map_ordered: every item has a result"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::map_ordered;

    #[test]
    fn results_come_back_in_input_order() {
        let items: Vec<u64> = (0..1000).collect();
        let out = map_ordered(&items, |i| {
            // Uneven work, so workers finish out of order.
            (0..(i % 7) * 1000).fold(*i, |a, b| a.wrapping_add(b % 3))
        });
        let expect: Vec<u64> = items
            .iter()
            .map(|i| (0..(i % 7) * 1000).fold(*i, |a, b| a.wrapping_add(b % 3)))
            .collect();
        assert_eq!(out, expect);
        assert!(map_ordered(&[] as &[u8], |x| *x).is_empty());
    }

    #[test]
    #[should_panic(expected = "item 3")]
    fn a_panic_in_one_item_is_raised_again() {
        let items: Vec<u32> = (0..8).collect();
        map_ordered(&items, |i| {
            if *i == 3 {
                panic!("item 3");
            }
            *i
        });
    }
}
