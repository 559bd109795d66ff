//! Exhaustive accuracy of the GPU transcendentals: every one of the 2^32 f32 inputs
//! through exp, sigmoid, tanh, swish, gelu and gelu_tanh (one fused kernel with six
//! outputs per 2^24-input chunk), against an f64 reference on all CPU cores. Reports
//! the worst error in ulps where the correctly rounded result is a normal f32, results
//! that should underflow to zero but do not, and NaN/infinity mismatches.
//!
//! `cargo run --release --example gpu_exhaustive [-- CHUNKS [FIRST]]` (256 chunks from
//! 0 = all inputs; chunk c holds the bit patterns c·2^24 .. (c+1)·2^24)

use ndarray::Array1;
use std::time::Instant;
use trueno::gpu::{GpuContext, GpuError};

const NAMES: [&str; 6] = ["exp", "sigmoid", "tanh", "swish", "gelu", "gelu_tanh"];
const CPU_BOUND: [u64; 6] = [1, 2, 2, 2, 4, 4];

fn reference(op: usize, x: f64) -> f64 {
    let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
    if op >= 3 && x != 0.0 && x.abs() < 2f64.powi(-60) {
        // swish, gelu, gelu_tanh = x/2 + c x^2 (c > 0): x/2 in f64 would turn the
        // positive x^2 term into a tie between two f32 near the normal range.
        return x / 2.0 + (x / 2.0).abs() * 1e-10;
    }
    match op {
        0 => x.exp(),
        1 => sig(x),
        2 => x.tanh(),
        3 => {
            if x == f64::NEG_INFINITY {
                -0.0
            } else {
                x * sig(x)
            }
        }
        4 => {
            if x == f64::NEG_INFINITY {
                -0.0
            } else {
                0.5 * x * libm::erfc(-x / std::f64::consts::SQRT_2)
            }
        }
        _ => {
            if x == f64::NEG_INFINITY {
                -0.0
            } else if x == f64::INFINITY {
                x
            } else {
                let u = (2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x);
                x * sig(2.0 * u)
            }
        }
    }
}

fn key(x: f32) -> i64 {
    let i = x.to_bits() as i32;
    if i < 0 {
        -((i & 0x7fff_ffff) as i64)
    } else {
        i as i64
    }
}

#[derive(Clone, Copy, Default)]
struct Acc {
    worst: u64,
    at: f32,
    over: u64,
    no_underflow: u64,
    special: u64,
}

fn main() -> Result<(), GpuError> {
    let chunks: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(256);
    let first: u64 = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let ctx = match GpuContext::new() {
        Ok(c) => c,
        Err(e) => {
            println!("no GPU: {e}");
            return Ok(());
        }
    };
    println!("adapter: {}", ctx.adapter_info().name);
    let threads = std::thread::available_parallelism().map_or(4, |n| n.get());
    let mut acc = [Acc::default(); 6];
    let t0 = Instant::now();
    let mut gpu_time = 0.0;
    for c in first..(first + chunks).min(256) {
        let base = (c << 24) as u32;
        let xs = Array1::from_shape_fn(1 << 24, |i| f32::from_bits(base.wrapping_add(i as u32)));
        let scope = ctx.scope();
        let g = scope.upload_ref(&xs)?;
        let outs = [
            g.exp().read(),
            g.sigmoid().read(),
            g.tanh().read(),
            g.swish().read(),
            g.gelu().read(),
            g.gelu_tanh().read(),
        ];
        let t = Instant::now();
        let res = scope.run()?;
        gpu_time += t.elapsed().as_secs_f64();
        assert_eq!(res.stats().dispatches, 1, "six outputs, one fused kernel");
        let ys: Vec<Array1<f32>> = outs.iter().map(|o| res.get(o)).collect();
        let xs_s = xs.as_slice().expect("contiguous");
        let part = xs_s.len().div_ceil(threads);
        let results: Vec<[Acc; 6]> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..threads)
                .map(|t| {
                    let ys = &ys;
                    s.spawn(move || {
                        let mut a = [Acc::default(); 6];
                        let lo = t * part;
                        let hi = ((t + 1) * part).min(xs_s.len());
                        for (op, acc) in a.iter_mut().enumerate() {
                            let y = ys[op].as_slice().expect("contiguous");
                            for i in lo..hi {
                                let x = xs_s[i];
                                let got = y[i];
                                if x.is_nan() {
                                    acc.special += (!got.is_nan()) as u64;
                                    continue;
                                }
                                let want = reference(op, x as f64) as f32;
                                if want.is_infinite() || x.is_infinite() {
                                    acc.special += (got.to_bits() != want.to_bits()) as u64;
                                    continue;
                                }
                                if !want.is_normal() {
                                    if want == 0.0 && got.abs() >= f32::MIN_POSITIVE {
                                        acc.no_underflow += 1;
                                    }
                                    continue;
                                }
                                let u = (key(got) - key(want)).unsigned_abs();
                                if u > acc.worst {
                                    acc.worst = u;
                                    acc.at = x;
                                }
                                acc.over += (u > CPU_BOUND[op]) as u64;
                            }
                        }
                        a
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().expect("worker")).collect()
        });
        for r in results {
            for (a, b) in acc.iter_mut().zip(r) {
                if b.worst > a.worst {
                    a.worst = b.worst;
                    a.at = b.at;
                }
                a.over += b.over;
                a.no_underflow += b.no_underflow;
                a.special += b.special;
            }
        }
    }
    println!(
        "{} inputs in {:.1} s ({:.1} s in GPU runs incl. transfers)",
        chunks << 24,
        t0.elapsed().as_secs_f64(),
        gpu_time
    );
    println!("| op | CPU bound | worst ulp | at x | inputs over the bound | missed underflows | inf/NaN mismatches |");
    println!("|---|---|---|---|---|---|---|");
    for (op, a) in acc.iter().enumerate() {
        println!(
            "| {} | {} | {} | {:e} | {} | {} | {} |",
            NAMES[op], CPU_BOUND[op], a.worst, a.at, a.over, a.no_underflow, a.special
        );
    }
    Ok(())
}
