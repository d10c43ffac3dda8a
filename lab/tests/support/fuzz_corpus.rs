//! The fuzzing harnesses' corpus (`fuzz/corpus/<target>/` at the repository's top): seed inputs
//! the harnesses load and mutate, and where proptest keeps the failing cases it finds
//! (`fuzz/regressions/<target>.txt`, replayed first on every run). See fuzz/README.md.

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus");
const REGRESSIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/regressions");

/// The seed inputs of `target`, by file name, in name order.
pub fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = format!("{CORPUS}/{target}");
    let mut seeds: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the corpus {dir}: {e}"))
        .map(|entry| {
            let path = entry.unwrap().path();
            (path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&path).unwrap())
        })
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "the corpus {dir} holds no seed");
    seeds
}

/// `cases` cases (more with `PROPTEST_CASES`), failures kept under `fuzz/regressions/`.
pub fn config(target: &str, cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    let file: &'static str = Box::leak(format!("{REGRESSIONS}/{target}.txt").into_boxed_str());
    Config { cases, failure_persistence: Some(Box::new(FileFailurePersistence::Direct(file))), ..Config::default() }
}

/// One change to an input, as a fuzzer makes them.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(usize),
    SetByte(usize, u8),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
    Truncate(usize),
    /// A run of the input repeated in place (long names, many headers).
    Repeat(usize, usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => any::<usize>().prop_map(Mutation::FlipBit),
        3 => (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::SetByte(at, b)),
        2 => (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8)).prop_map(|(at, b)| Mutation::Insert(at, b)),
        2 => (any::<usize>(), 1usize..16).prop_map(|(at, n)| Mutation::Remove(at, n)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => (any::<usize>(), 1usize..32, 2u8..40).prop_map(|(at, n, times)| Mutation::Repeat(at, n, times)),
    ]
}

fn apply(input: &mut Vec<u8>, change: &Mutation) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match change {
        Mutation::FlipBit(bit) if !input.is_empty() => {
            let bit = bit % (input.len() * 8);
            input[bit / 8] ^= 1 << (bit % 8);
        }
        Mutation::SetByte(i, b) if !input.is_empty() => {
            let i = at(*i, input.len());
            input[i] = *b;
        }
        Mutation::Insert(i, bytes) => {
            let i = at(*i, input.len() + 1);
            input.splice(i..i, bytes.iter().copied());
        }
        Mutation::Remove(i, n) if !input.is_empty() => {
            let i = at(*i, input.len());
            input.drain(i..(i + n).min(input.len()));
        }
        Mutation::Truncate(n) => input.truncate(at(*n, input.len() + 1)),
        Mutation::Repeat(i, n, times) if !input.is_empty() => {
            let i = at(*i, input.len());
            let run: Vec<u8> = input[i..(i + n).min(input.len())].to_vec();
            let repeated: Vec<u8> = run.iter().copied().cycle().take(run.len() * usize::from(*times)).collect();
            input.splice(i..i, repeated);
        }
        _ => {}
    }
}

/// A seed of `target` with up to `changes` mutations, and the seed's name (for failure messages).
pub fn mutated(target: &str, changes: usize) -> impl Strategy<Value = (String, Vec<u8>)> {
    let seeds = seeds(target);
    (0..seeds.len(), proptest::collection::vec(mutation(), 0..=changes)).prop_map(move |(i, changes)| {
        let (name, mut input) = seeds[i].clone();
        for change in &changes {
            apply(&mut input, change);
        }
        (name, input)
    })
}
