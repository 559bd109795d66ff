//! Quick timing of the six activations at 16 K elements, per backend, against the ndarray
//! idiom (`mapv(f32::exp)` etc.), on inputs spread over [-HALF_WIDTH, HALF_WIDTH] (8 by
//! default). Best of several repetitions, in ns per element.
//!
//! ```text
//! cargo run --release --example activation_timing [-- N [HALF_WIDTH]]
//! ```

use ndarray::Array1;
use std::hint::black_box;
use std::time::Instant;
use trueno::TruenoExt;

/// Best time per element over `reps` runs of `f` (each run `inner` calls).
fn time(n: usize, mut f: impl FnMut()) -> f64 {
    let inner = (1 << 22) / n + 1;
    let mut best = f64::INFINITY;
    for _ in 0..15 {
        let t = Instant::now();
        for _ in 0..inner {
            f();
        }
        best = best.min(t.elapsed().as_secs_f64() / (inner * n) as f64);
    }
    best * 1e9
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(16 * 1024, |s| s.parse().expect("N"));
    // Inputs spread over the interesting range of every op: [-8, 8] unless a half-width
    // is given (the report's inputs lie in [-3, 3]).
    let half: f32 = std::env::args()
        .nth(2)
        .map_or(8.0, |s| s.parse().expect("half-width"));
    let x = Array1::from_shape_fn(n, |i| {
        (((i * 7919) % n) as f32 / n as f32 * 2.0 - 1.0) * half
    });
    let mut buf = x.clone();
    type Op = (&'static str, fn(&mut Array1<f32>), fn(f32) -> f32);
    let ops: [Op; 6] = [
        ("exp", |a| a.simd_exp_inplace(), f32::exp),
        (
            "sigmoid",
            |a| a.simd_sigmoid_inplace(),
            |v| 1.0 / (1.0 + (-v).exp()),
        ),
        ("tanh", |a| a.simd_tanh_inplace(), f32::tanh),
        (
            "swish",
            |a| a.simd_swish_inplace(),
            |v| v / (1.0 + (-v).exp()),
        ),
        (
            "gelu",
            |a| a.simd_gelu_inplace(),
            |v| 0.5 * v * (1.0 + libm::erff(v * std::f32::consts::FRAC_1_SQRT_2)),
        ),
        (
            "gelu_tanh",
            |a| a.simd_gelu_tanh_inplace(),
            |v| 0.5 * v * (1.0 + (0.797_884_6 * (v + 0.044715 * v * v * v)).tanh()),
        ),
    ];
    let backends = trueno::available_backends();
    print!("| op (n = {n}) | mapv idiom |");
    for b in &backends {
        print!(" {b} |");
    }
    println!();
    print!("|---|---|");
    for _ in &backends {
        print!("---|");
    }
    println!();
    for (name, simd, idiom) in ops {
        let base = time(n, || {
            buf.assign(&x);
            buf.mapv_inplace(idiom);
            black_box(&mut buf);
        }) - time(n, || {
            buf.assign(&x);
            black_box(&mut buf);
        });
        print!("| {name} | {base:.2} |");
        for &b in &backends {
            let copy = time(n, || {
                buf.assign(&x);
                black_box(&mut buf);
            });
            let t = trueno::with_backend(b, || {
                time(n, || {
                    buf.assign(&x);
                    simd(black_box(&mut buf));
                })
            })
            .expect("available");
            print!(" {:.3} |", t - copy);
        }
        println!();
    }
    println!("\nns per element, best of 15, the copy that restores the input subtracted.");
}
