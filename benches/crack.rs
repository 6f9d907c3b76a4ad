//! Speed of the offline APOP dictionary search, against the best a single
//! thread can do with the same MD5 code.
//!
//! - `search_plain`: [`crack`] over the built-in word list, each word as
//!   listed, for a digest no word matches (so every guess is made).
//! - `md5_ideal`: the same inputs, timestamp then word, each hashed from
//!   scratch with the `md-5` crate in a tight loop with nothing else to
//!   do: no candidate building, no comparison, no cancel checks. The ratio
//!   `search_plain / md5_ideal` is what the search's own bookkeeping costs.
//! - `search_common`: the real search, with the seventeen common forms of
//!   each word, as `popscope demo apop --attack crack` runs it.
//!
//! Throughput is in guesses (elements) per second.

use std::hint::black_box;
use std::sync::atomic::AtomicBool;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use md5::{Digest, Md5};
use popscope::attack::crack::{Candidates, Mutations, Outcome, Target, Wordlist, crack};
use popscope::pop3::auth::apop_digest;
use popscope::pop3::session::make_timestamp;

fn search(c: &mut Criterion) {
    // A timestamp of the length the lab's own server sends.
    let timestamp = make_timestamp("popscope.test");
    let digest = apop_digest(&timestamp, "Tq7#vR2m!xKp");
    let target = Target::new("alice", &digest, Some(&timestamp)).unwrap();
    let words = Wordlist::builtin();
    let inputs: Vec<Vec<u8>> = words
        .iter()
        .map(|w| [timestamp.as_bytes(), w].concat())
        .collect();
    let plain = Candidates::new(words.clone(), Mutations::None);
    let common = Candidates::new(words, Mutations::Common);
    let cancel = AtomicBool::new(false);

    let mut group = c.benchmark_group("apop_crack");
    group.throughput(Throughput::Elements(plain.total()));
    group.bench_function("search_plain", |b| {
        b.iter(|| {
            let outcome = crack(black_box(&target), &plain, &cancel, |_| {});
            assert!(matches!(outcome, Outcome::NotFound { .. }));
        })
    });
    group.bench_function("md5_ideal", |b| {
        b.iter(|| {
            for input in &inputs {
                black_box(Md5::digest(black_box(input)));
            }
        })
    });
    group.throughput(Throughput::Elements(common.total()));
    group.bench_function("search_common", |b| {
        b.iter(|| {
            let outcome = crack(black_box(&target), &common, &cancel, |_| {});
            assert!(matches!(outcome, Outcome::NotFound { .. }));
        })
    });
    group.finish();
}

criterion_group!(benches, search);
criterion_main!(benches);
