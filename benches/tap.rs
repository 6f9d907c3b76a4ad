//! What the tap adds to every chunk that crosses it.
//!
//! A client sends 64 bytes to an echo server and waits for them to come
//! back, once straight to the server and once through a [`Tap`] relaying to
//! the same server. Each round trip makes the tap relay two chunks (one per
//! direction), so the difference between the two benchmarks is the cost of
//! two relayed chunks. The goal is that the tap adds under 50 µs per chunk
//! at the 99th percentile.
//!
//! The tap keeps every byte it relays (the capture limit is lifted) and a
//! task drains its events the way the lab does, so the figure includes the
//! copy into the event and the channel send, not just the forwarding.
//!
//! Everything runs twice, on two kinds of tokio runtime:
//!
//! - `current_thread`: client, echo server and tap share one thread, so no
//!   thread ever sleeps and wakes during a round trip. The difference is
//!   the tap's own work (two more reads and writes, the event), and it is
//!   steady from run to run.
//! - `multi_thread`: the echo server and the tap run on two worker threads
//!   and the client on a third, as in the lab. Each hop may now wake a
//!   parked thread, so the tap also adds scheduler latency; these figures
//!   depend much more on the machine and on what else runs on it.
//!
//! With `TAP_P99=1` the bench also times 20,000 single round trips each way
//! on both runtimes, alternating between the two paths so that both see the
//! same machine load, and prints the percentiles of each and of the paired
//! differences, because criterion reports means and the goal is about the
//! tail:
//!
//! ```text
//! TAP_P99=1 cargo bench --bench tap -- --warm-up-time 1 --measurement-time 3
//! ```

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use popscope::wire::tap::{Tap, TapConfig, TapEvent};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

/// The size of one chunk: about a POP3 command or a short reply.
const CHUNK: usize = 64;

/// Round trips per path in the `TAP_P99=1` report.
const SAMPLES: usize = 20_000;

/// The per-chunk goal from the issue, in microseconds.
const GOAL_US: f64 = 50.0;

/// An echo server: every read is written back at once.
async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            stream.set_nodelay(true).unwrap();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if stream.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

/// A tap in front of `upstream` whose events are drained and dropped.
async fn tap_in_front_of(upstream: SocketAddr) -> SocketAddr {
    let tap = Tap::bind(TapConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream,
        // Keep every byte, so each chunk pays for the copy into its event.
        capture_limit: u64::MAX,
    })
    .await
    .unwrap();
    let addr = tap.local_addr().unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel::<TapEvent>();
    tokio::spawn(tap.run(tx));
    // Without a reader the unbounded channel would grow for the whole run.
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    addr
}

/// Both paths to the same echo server, connected and ready.
struct Paths {
    direct: TcpStream,
    tapped: TcpStream,
}

async fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

async fn paths() -> Paths {
    let echo = echo_server().await;
    let tap = tap_in_front_of(echo).await;
    let mut paths = Paths {
        direct: connect(echo).await,
        tapped: connect(tap).await,
    };
    // The timed loops do not look at what comes back, so check once here
    // that both paths really echo, byte for byte.
    let probe: [u8; CHUNK] = std::array::from_fn(|i| i as u8);
    for stream in [&mut paths.direct, &mut paths.tapped] {
        let mut back = [0u8; CHUNK];
        round_trip(stream, &probe, &mut back).await;
        assert_eq!(probe, back);
    }
    paths
}

/// Sends one chunk and waits until all of it has come back.
async fn round_trip(stream: &mut TcpStream, chunk: &[u8; CHUNK], back: &mut [u8; CHUNK]) {
    stream.write_all(chunk).await.unwrap();
    stream.read_exact(back).await.unwrap();
}

/// The two runtimes the paths are measured on; see the module comment.
#[derive(Clone, Copy)]
enum Flavor {
    CurrentThread,
    MultiThread,
}

impl Flavor {
    const ALL: [Flavor; 2] = [Flavor::CurrentThread, Flavor::MultiThread];

    fn name(self) -> &'static str {
        match self {
            Flavor::CurrentThread => "current_thread",
            Flavor::MultiThread => "multi_thread",
        }
    }

    fn runtime(self) -> Runtime {
        let mut builder = match self {
            Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
            Flavor::MultiThread => {
                let mut builder = tokio::runtime::Builder::new_multi_thread();
                builder.worker_threads(2);
                builder
            }
        };
        builder.enable_all().build().unwrap()
    }
}

fn tap_round_trip(c: &mut Criterion) {
    let chunk = [b'x'; CHUNK];
    let mut back = [0u8; CHUNK];
    for flavor in Flavor::ALL {
        let rt = flavor.runtime();
        let Paths {
            mut direct,
            mut tapped,
        } = rt.block_on(paths());
        let mut group = c.benchmark_group(format!("round_trip_64B/{}", flavor.name()));
        for (name, stream) in [("direct", &mut direct), ("through_tap", &mut tapped)] {
            group.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for _ in 0..iters {
                            round_trip(stream, &chunk, &mut back).await;
                        }
                        start.elapsed()
                    })
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, tap_round_trip);

/// The value at quantile `q` (0..=1) of sorted samples, nearest rank.
fn quantile<T: Copy>(sorted: &[T], q: f64) -> T {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Times single round trips on both paths, alternating so that both see
/// the same machine load, and prints the tail of each and of what the tap
/// adds.
fn p99_report(flavor: Flavor) {
    let rt = flavor.runtime();
    let (mut direct, mut tapped, mut diffs) = rt.block_on(async {
        let Paths {
            mut direct,
            mut tapped,
        } = paths().await;
        let chunk = [b'x'; CHUNK];
        let mut back = [0u8; CHUNK];
        // Warm up both paths: socket buffers, allocations and the
        // runtime's threads settle during the first round trips.
        for _ in 0..2_000 {
            round_trip(&mut direct, &chunk, &mut back).await;
            round_trip(&mut tapped, &chunk, &mut back).await;
        }
        let mut times_direct = Vec::with_capacity(SAMPLES);
        let mut times_tapped = Vec::with_capacity(SAMPLES);
        let mut diffs = Vec::with_capacity(SAMPLES);
        for _ in 0..SAMPLES {
            let start = Instant::now();
            round_trip(&mut direct, &chunk, &mut back).await;
            let d = start.elapsed();
            let start = Instant::now();
            round_trip(&mut tapped, &chunk, &mut back).await;
            let t = start.elapsed();
            times_direct.push(d);
            times_tapped.push(t);
            diffs.push(micros(t) - micros(d));
        }
        (times_direct, times_tapped, diffs)
    });
    direct.sort();
    tapped.sort();
    diffs.sort_by(f64::total_cmp);

    println!();
    println!(
        "tap latency on a {} runtime: {SAMPLES} round trips of {CHUNK} bytes each way \
         (two chunks per round trip)",
        flavor.name()
    );
    println!(
        "{:<34} {:>10} {:>10} {:>10}",
        "", "p50 µs", "p99 µs", "p99.9 µs"
    );
    let row = |name: &str, q: &dyn Fn(f64) -> f64| {
        println!(
            "{name:<34} {:>10.1} {:>10.1} {:>10.1}",
            q(0.50),
            q(0.99),
            q(0.999)
        );
    };
    row("direct round trip", &|q| micros(quantile(&direct, q)));
    row("round trip through the tap", &|q| {
        micros(quantile(&tapped, q))
    });
    row("added per round trip (paired)", &|q| quantile(&diffs, q));
    row("added per chunk (paired, halved)", &|q| {
        quantile(&diffs, q) / 2.0
    });
    let per_chunk_p99 = quantile(&diffs, 0.99) / 2.0;
    println!(
        "goal: under {GOAL_US} µs per chunk at p99: {}",
        if per_chunk_p99 < GOAL_US {
            "met"
        } else {
            "NOT met"
        }
    );
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    if std::env::var("TAP_P99").is_ok_and(|v| v == "1") {
        for flavor in Flavor::ALL {
            p99_report(flavor);
        }
    }
}
