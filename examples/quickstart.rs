//! The five-minute tour: which backend this CPU got, and a few ops timed next to the
//! ndarray idiom they replace (median of repeated runs, 256 K elements, one thread).
//!
//! Run: `cargo run --release --example quickstart`

use ndarray::Array1;
use ndarray_stats::QuantileExt;
use std::hint::black_box;
use std::time::Instant;
use trueno::TruenoExt;

/// Median wall time of `f` in nanoseconds over `reps` runs.
fn median_ns(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_nanos() as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[reps / 2]
}

fn main() {
    println!(
        "trueno backend: {} (available: {:?})",
        trueno::backend(),
        trueno::available_backends()
    );
    let n = 1 << 18;
    let a = Array1::from_iter((0..n).map(|i| ((i as f32) * 0.618).sin() * 3.0));
    let b = Array1::from_iter((0..n).map(|i| ((i as f32) * 0.414).cos()));

    // Same answers, bit for bit, where the contract says so.
    assert_eq!(a.simd_add(&b), &a + &b);
    assert_eq!(a.simd_argmax().unwrap(), a.argmax().unwrap());
    let exact: f64 = a.iter().map(|&x| x as f64).sum();
    println!(
        "sum: trueno {:.6}  ndarray {:.6}  exact {:.6}",
        a.simd_sum(),
        a.sum(),
        exact
    );

    println!(
        "\n{:<10} {:>14} {:>14} {:>9}",
        "op", "ndarray ns/el", "trueno ns/el", "speedup"
    );
    let reps = 31;
    let row = |name: &str, idiom: &mut dyn FnMut(), ours: &mut dyn FnMut()| {
        let t_idiom = median_ns(reps, idiom) / n as f64;
        let t_ours = median_ns(reps, ours) / n as f64;
        println!(
            "{name:<10} {t_idiom:>14.3} {t_ours:>14.3} {:>8.1}x",
            t_idiom / t_ours
        );
    };
    row(
        "add",
        &mut || {
            black_box(&a + &b);
        },
        &mut || {
            black_box(a.simd_add(&b));
        },
    );
    row(
        "sum",
        &mut || {
            black_box(a.sum());
        },
        &mut || {
            black_box(a.simd_sum());
        },
    );
    row(
        "dot",
        &mut || {
            black_box(a.dot(&b));
        },
        &mut || {
            black_box(a.simd_dot(&b));
        },
    );
    row(
        "max",
        &mut || {
            black_box(a.max().ok());
        },
        &mut || {
            black_box(a.simd_max().ok());
        },
    );
    row(
        "argmax",
        &mut || {
            black_box(a.argmax().ok());
        },
        &mut || {
            black_box(a.simd_argmax().ok());
        },
    );
    row(
        "norm_l1",
        &mut || {
            black_box(a.mapv(f32::abs).sum());
        },
        &mut || {
            black_box(a.simd_norm_l1());
        },
    );
    row(
        "clamp",
        &mut || {
            black_box(a.mapv(|x| x.clamp(-1.0, 1.0)));
        },
        &mut || {
            black_box(a.simd_clamp(-1.0, 1.0));
        },
    );
}
