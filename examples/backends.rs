//! Every backend this CPU can run, and ns per element for a few ops on each
//! (16 K elements, one thread, median of repeated runs).
//!
//! Run: `cargo run --release --example backends`

use ndarray::Array1;
use std::hint::black_box;
use std::time::Instant;
use trueno::{available_backends, with_backend, Backend, TruenoExt};

fn ns_per_element(n: usize, f: &dyn Fn()) -> f64 {
    let batch = (1 << 20) / n;
    let mut samples: Vec<f64> = (0..21)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..batch {
                f();
            }
            t.elapsed().as_nanos() as f64 / (batch * n) as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    println!("default backend: {}", trueno::backend());
    for b in Backend::ALL {
        let mark = if b.is_available() { "yes" } else { "no" };
        println!("  {:<8} available: {mark}", b.name());
    }
    let n = 1 << 14;
    let a = Array1::from_shape_fn(n, |i| ((i as f32) * 0.37).sin() * 4.0);
    let b = Array1::from_shape_fn(n, |i| 1.0 + ((i as f32) * 0.11).cos().abs());
    type Case<'a> = (&'a str, Box<dyn Fn() + 'a>);
    let cases: Vec<Case> = vec![
        (
            "add",
            Box::new(|| {
                black_box(a.simd_add(&b));
            }),
        ),
        (
            "fma",
            Box::new(|| {
                black_box(a.simd_fma(&b, &a));
            }),
        ),
        (
            "sum",
            Box::new(|| {
                black_box(a.simd_sum());
            }),
        ),
        (
            "dot",
            Box::new(|| {
                black_box(a.simd_dot(&b));
            }),
        ),
        (
            "norm_l2",
            Box::new(|| {
                black_box(a.simd_norm_l2());
            }),
        ),
        (
            "argmax",
            Box::new(|| {
                black_box(a.simd_argmax().ok());
            }),
        ),
    ];
    let backends = available_backends();
    print!("\n{:<10}", "ns/elem");
    for b in &backends {
        print!("{:>9}", b.name());
    }
    println!();
    for (name, f) in &cases {
        print!("{name:<10}");
        for &backend in &backends {
            let t = with_backend(backend, || ns_per_element(n, f.as_ref())).expect("available");
            print!("{t:>9.3}");
        }
        println!();
    }
}
