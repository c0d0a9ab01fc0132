//! Parsing a large snapshot's `resources` on every core.
//!
//! The `resources` array is most of a snapshot, and its elements parse independently of
//! each other, so a big document is cut into one run of elements per core. A cut is a guess
//! made without reading what precedes it: a `{` after a `,` whose first key is `"id"` is very
//! likely the start of a resource (though it may also open an object nested in one, or sit
//! inside a string). Guesses are then confirmed: each run parses elements until it
//! lands exactly on the next run's start, and only a run whose start was landed on is used.
//! A run that steps past its stop (the guess was inside an element) carries on to the end of
//! the array itself, so a wrong guess costs parallelism, never correctness.
//!
//! Everything except the elements (the top-level object with `resources` emptied) is then
//! parsed by the same derived deserializer as the sequential path, so unknown keys, missing
//! fields and keys given twice are judged identically. Any error at all, or a layout this
//! does not recognise (`resources` not an array, a number as a top-level value), gives `None`, and
//! the caller parses sequentially, which also words the error.

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::model::{Resource, Snapshot};

/// Below this size one thread parses faster than several start.
const MIN_PARALLEL_BYTES: usize = 4 << 20;

/// How far past a guessed cut a line that starts an element is looked for.
const CUT_SEARCH_BYTES: usize = 1 << 20;

/// `text` parsed with its resources split across threads, or `None` when the sequential
/// parse must decide (see the module docs).
pub(super) fn parse(text: &str) -> Option<Snapshot> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    parse_with(text, threads, MIN_PARALLEL_BYTES)
}

/// [`parse`] with `threads` runs for any text of at least `min_bytes`.
fn parse_with(text: &str, threads: usize, min_bytes: usize) -> Option<Snapshot> {
    if threads < 2 || text.len() < min_bytes {
        return None;
    }
    let open = resources_array(text)?;
    let starts = run_starts(text, open, threads);
    let bounds: Vec<(usize, Option<usize>)> = (0..starts.len())
        .map(|i| (starts[i], starts.get(i + 1).copied()))
        .collect();
    let runs = crate::parallel::map_on(threads, &bounds, |&(start, stop)| {
        parse_run(text, start, start == open + 1, stop)
    });
    let (resources, close) = join_runs(runs)?;
    let mut rest = String::with_capacity(open + 1 + text.len() - close);
    rest.push_str(&text[..=open]);
    rest.push_str(&text[close..]);
    let mut snapshot: Snapshot = serde_json::from_str(&rest).ok()?;
    snapshot.resources = resources;
    Some(snapshot)
}

/// Where each run starts: just after the `[` at `open`, then one guessed element start per
/// further thread, in increasing order (fewer when no guess is found).
fn run_starts(text: &str, open: usize, threads: usize) -> Vec<usize> {
    let mut starts = vec![open + 1];
    for k in 1..threads {
        let guess = open + (text.len() - open) / threads * k;
        let from = guess.max(starts[starts.len() - 1] + 1);
        if let Some(cut) = element_start(text.as_bytes(), from) {
            starts.push(cut);
        }
    }
    starts
}

/// The elements one run parsed and where it ended.
struct Run {
    resources: Vec<Resource>,
    /// The byte offset of the array's closing `]`, or `None` when the run stopped on the
    /// next run's start.
    close: Option<usize>,
}

/// The runs' resources in order, as far as each run's start was confirmed, and the offset
/// of the array's `]`.
fn join_runs(runs: Vec<Option<Run>>) -> Option<(Vec<Resource>, usize)> {
    let mut used = Vec::new();
    let mut close = None;
    for run in runs {
        let run = run?;
        close = run.close;
        used.push(run.resources);
        if close.is_some() {
            break;
        }
    }
    let close = close?;
    let mut resources = Vec::with_capacity(used.iter().map(Vec::len).sum());
    for part in used {
        resources.extend(part);
    }
    Some((resources, close))
}

/// Parse elements from `start` until landing on `stop` (the next run's start) or the end of
/// the array; `first` when `start` is just after the `[` (the array may be empty).
fn parse_run(text: &str, start: usize, first: bool, stop: Option<usize>) -> Option<Run> {
    let bytes = text.as_bytes();
    let mut resources = Vec::new();
    let mut at = skip_space(bytes, start);
    if first && bytes.get(at) == Some(&b']') {
        return Some(Run {
            resources,
            close: Some(at),
        });
    }
    loop {
        if Some(at) == stop {
            return Some(Run {
                resources,
                close: None,
            });
        }
        let (resource, end) = value::<Resource>(text, at)?;
        resources.push(resource);
        at = skip_space(bytes, end);
        match bytes.get(at)? {
            b',' => at = skip_space(bytes, at + 1),
            b']' => {
                return Some(Run {
                    resources,
                    close: Some(at),
                });
            }
            _ => return None,
        }
    }
}

/// The offset of the `[` of the top-level `resources` array, found by stepping over the
/// keys before it.
fn resources_array(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = skip_space(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    loop {
        at = skip_space(bytes, at);
        let (key, end) = value::<String>(text, at)?;
        at = skip_space(bytes, end);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        at = skip_space(bytes, at + 1);
        if key == "resources" {
            return (bytes.get(at) == Some(&b'[')).then_some(at);
        }
        let (_, end) = value::<IgnoredAny>(text, at)?;
        at = skip_space(bytes, end);
        if bytes.get(at) != Some(&b',') {
            return None;
        }
        at += 1;
    }
}

/// The first likely element start at or after `from`: a `{` after a `,` whose first key is
/// `"id"` (every writer of snapshots puts a resource's id first), whitespace allowed between.
fn element_start(bytes: &[u8], from: usize) -> Option<usize> {
    let end = bytes.len().min(from.saturating_add(CUT_SEARCH_BYTES));
    let window = bytes.get(from..end)?;
    let mut search = 0;
    while let Some(found) = window[search..].windows(4).position(|w| w == b"\"id\"") {
        let key = from + search + found;
        if let Some(brace) = skip_space_back(bytes, key)
            && bytes[brace] == b'{'
            && skip_space_back(bytes, brace).is_some_and(|c| bytes[c] == b',')
        {
            return Some(brace);
        }
        search += found + 1;
    }
    None
}

/// The offset of the last byte before `at` that is not JSON whitespace.
fn skip_space_back(bytes: &[u8], at: usize) -> Option<usize> {
    bytes[..at]
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// One JSON value of type `T` starting at `at`, and the offset just past it.
fn value<'a, T: Deserialize<'a>>(text: &'a str, at: usize) -> Option<(T, usize)> {
    let mut stream = serde_json::Deserializer::from_str(text.get(at..)?).into_iter::<T>();
    let value = stream.next()?.ok()?;
    Some((value, at + stream.byte_offset()))
}

/// The offset of the first byte at or after `at` that is not JSON whitespace.
fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while bytes
        .get(at)
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sequential(text: &str) -> Option<Snapshot> {
        serde_json::from_str(text).ok()
    }

    fn estate(resources: usize) -> String {
        let mut snapshot = Snapshot::of_resources(
            (0..resources)
                .map(|i| {
                    serde_json::from_value(serde_json::json!({
                        "id": format!("r{i}"),
                        "kind": "aws.ec2.instance",
                        "name": format!("line one,\nline {{ two"),
                        "provider": "aws",
                        "region": "us-east-1",
                        "placement": {"type": "regional"},
                        "attributes": {"nested": {"list": [{"a": 1}, {"id": [2, 3]}]}},
                    }))
                    .expect("a resource")
                })
                .collect(),
        );
        snapshot.coverage.clear();
        serde_json::to_string_pretty(&snapshot).expect("serializes")
    }

    #[test]
    fn runs_on_any_number_of_threads_give_the_sequential_result() {
        let text = estate(50);
        for threads in 2..9 {
            let parsed = parse_with(&text, threads, 0).expect("the fast path applies");
            assert_eq!(Some(parsed), sequential(&text), "{threads} threads");
        }
    }

    #[test]
    fn a_guess_inside_an_element_costs_only_parallelism() {
        // With many threads most guesses fall inside an element, and each element holds a
        // nested `,{"id":` that looks like the start of one.
        let text = estate(7);
        let open = resources_array(&text).unwrap();
        let elements: Vec<usize> = text.match_indices("\n    {").map(|(i, _)| i + 5).collect();
        let starts = run_starts(&text, open, 64);
        assert!(
            starts.iter().skip(1).any(|s| !elements.contains(s)),
            "{starts:?}"
        );
        assert!(
            starts.iter().skip(1).any(|s| elements.contains(s)),
            "{starts:?}"
        );
        let parsed = parse_with(&text, 64, 0).expect("the fast path applies");
        assert_eq!(Some(parsed), sequential(&text));
    }

    #[test]
    fn resources_need_not_come_last_and_may_be_empty() {
        let text = r#"{"resources": [],
            "schema": "linchpin.snapshot/v1"}"#;
        assert_eq!(parse_with(text, 2, 0), sequential(text));
        let text = estate(3).replacen("{\n  \"schema\"", "{\n  \"zones\": [],\n  \"schema\"", 1);
        assert_eq!(parse_with(&text, 2, 0), sequential(&text));
    }

    #[test]
    fn anything_the_sequential_parse_rejects_is_left_to_it() {
        let good = estate(20);
        let bad = [
            good.replacen("\"kind\"", "\"knid\"", 1),
            good.replacen("\"schema\"", "\"schema\": 1, \"schema\"", 1),
            good.replacen("\"r3\"", "\"r3\", \"id\": \"again\"", 1),
            good.replace("\"resources\"", "\"resource\""),
            format!("{good} trailing"),
            good.replacen("}\n  ]", "},\n  ]", 1),
        ];
        for text in &bad {
            assert_eq!(sequential(text), None, "the probe is really bad: {text}");
            assert_eq!(parse_with(text, 4, 0), None);
        }
    }

    #[test]
    fn compact_text_is_cut_too_and_small_files_take_the_sequential_path() {
        let text = serde_json::to_string(&sequential(&estate(40)).unwrap()).unwrap();
        for threads in 2..6 {
            assert_eq!(parse_with(&text, threads, 0), sequential(&text));
        }
        assert_eq!(parse_with(&text, 2, usize::MAX), None);
        assert_eq!(parse_with(&text, 1, 0), None);
    }
}
