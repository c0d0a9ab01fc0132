//! Spreading independent work over the cores, with results that do not depend on timing.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `work` done on every item by one thread per core (never more threads than items), each
/// taking the next item as it comes free, so long and short items even out; the outputs in
/// item order. A panic in `work` is raised again here.
pub fn map<T: Sync, O: Send>(items: &[T], work: impl Fn(&T) -> O + Sync) -> Vec<O> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    map_on(threads, items, work)
}

/// [`map`] on at most `threads` threads.
pub fn map_on<T: Sync, O: Send>(
    threads: usize,
    items: &[T],
    work: impl Fn(&T) -> O + Sync,
) -> Vec<O> {
    let threads = threads.min(items.len());
    if threads <= 1 {
        return items.iter().map(work).collect();
    }
    let next = AtomicUsize::new(0);
    let take = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return done;
            };
            done.push((i, work(item)));
        }
    };
    let mut done: Vec<(usize, O)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(take)).collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, output)| output).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_come_in_item_order_on_any_number_of_threads() {
        let items: Vec<u64> = (0..1000).collect();
        for threads in [0, 1, 2, 3, 8, 2000] {
            let squares = map_on(threads, &items, |&i| {
                // Uneven work, so threads finish out of order.
                std::thread::sleep(std::time::Duration::from_micros(i % 7));
                i * i
            });
            assert_eq!(squares, items.iter().map(|i| i * i).collect::<Vec<_>>());
        }
        assert!(map(&Vec::<u8>::new(), |&b| b).is_empty());
    }

    #[test]
    fn a_panic_in_the_work_reaches_the_caller() {
        let caught = std::panic::catch_unwind(|| {
            map_on(2, &[1, 2, 3, 4], |&i| {
                assert!(i != 3, "item three");
                i
            })
        });
        assert!(caught.is_err());
    }
}
