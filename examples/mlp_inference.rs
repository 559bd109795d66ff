//! A batch through a two-layer MLP with layer norm, GELU and a softmax — first written
//! the way ndarray code is written today (`dot`, `mapv`, `sum_axis`, `fold_axis`,
//! broadcasting), then the same program with `TruenoExt` calls swapped in. The example
//! checks that both give the same answers within the documented tolerances, then times
//! both. (The matrix products stay ndarray's `dot` in both versions: trueno speeds up
//! everything around them.)
//!
//! Run: `cargo run --release --example mlp_inference`

use ndarray::{Array1, Array2, Axis};
use std::cell::Cell;
use std::time::Instant;
use trueno::TruenoExt;

const BATCH: usize = 256;
const INPUT: usize = 512;
const HIDDEN: usize = 2048;
const CLASSES: usize = 1000;
const EPS: f32 = 1e-5;

/// Deterministic pseudo-random weights in [-scale, scale).
fn weights(rows: usize, cols: usize, seed: u64, scale: f32) -> Array2<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    Array2::from_shape_fn((rows, cols), |_| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        ((s >> 40) as f32 / (1u64 << 23) as f32 - 1.0) * scale
    })
}

thread_local! {
    /// Seconds spent in the matrix products (the same `dot` in both versions).
    static MATMUL_SECONDS: Cell<f64> = const { Cell::new(0.0) };
}

/// `a.dot(b)`, timed apart so the report can show the rest of the network on its own.
fn matmul(a: &Array2<f32>, b: &Array2<f32>) -> Array2<f32> {
    let t = Instant::now();
    let c = a.dot(b);
    MATMUL_SECONDS.with(|s| s.set(s.get() + t.elapsed().as_secs_f64()));
    c
}

struct Mlp {
    w1: Array2<f32>,
    b1: Array1<f32>,
    gamma: Array1<f32>,
    beta: Array1<f32>,
    w2: Array2<f32>,
    b2: Array1<f32>,
}

impl Mlp {
    fn new() -> Self {
        Mlp {
            w1: weights(INPUT, HIDDEN, 1, (1.0 / INPUT as f32).sqrt()),
            b1: weights(1, HIDDEN, 2, 0.1)
                .into_shape_with_order(HIDDEN)
                .unwrap(),
            gamma: weights(1, HIDDEN, 3, 0.2)
                .into_shape_with_order(HIDDEN)
                .unwrap()
                + 1.0,
            beta: weights(1, HIDDEN, 4, 0.1)
                .into_shape_with_order(HIDDEN)
                .unwrap(),
            w2: weights(HIDDEN, CLASSES, 5, (1.0 / HIDDEN as f32).sqrt()),
            b2: weights(1, CLASSES, 6, 0.1)
                .into_shape_with_order(CLASSES)
                .unwrap(),
        }
    }

    /// Today's ndarray: broadcasting operators, `mapv`, `sum_axis`, `fold_axis`.
    fn forward_ndarray(&self, x: &Array2<f32>) -> Array2<f32> {
        let h = matmul(x, &self.w1) + &self.b1;
        // Layer norm over the features of each row.
        let mean = h.sum_axis(Axis(1)) / HIDDEN as f32;
        let centered = &h - &mean.insert_axis(Axis(1));
        let var = centered.mapv(|v| v * v).sum_axis(Axis(1)) / HIDDEN as f32;
        let inv_std = var.mapv(|v| 1.0 / (v + EPS).sqrt());
        let normed = &centered * &inv_std.insert_axis(Axis(1)) * &self.gamma + &self.beta;
        // Exact (erf) GELU; std has no erf, so ndarray code reaches for libm.
        let act =
            normed.mapv(|v| 0.5 * v * (1.0 + libm::erff(v * std::f32::consts::FRAC_1_SQRT_2)));
        let logits = matmul(&act, &self.w2) + &self.b2;
        // Softmax over classes.
        let max = logits.fold_axis(Axis(1), f32::NEG_INFINITY, |&m, &v| m.max(v));
        let e = (&logits - &max.insert_axis(Axis(1))).mapv(f32::exp);
        let sum = e.sum_axis(Axis(1));
        e / &sum.insert_axis(Axis(1))
    }

    /// The same program with trueno: one `simd_*` call per array op.
    fn forward_trueno(&self, x: &Array2<f32>) -> Array2<f32> {
        let mut h = matmul(x, &self.w1);
        h.simd_add_assign(&self.b1);
        let mut mean = h.simd_sum_axis(Axis(1));
        mean.simd_scale_inplace(1.0 / HIDDEN as f32);
        let centered = h.simd_sub(&mean.insert_axis(Axis(1)));
        let mut var = centered.simd_mul(&centered).simd_sum_axis(Axis(1));
        var.simd_scale_inplace(1.0 / HIDDEN as f32);
        let inv_std = var.mapv(|v| 1.0 / (v + EPS).sqrt());
        let mut normed = centered.simd_mul(&inv_std.insert_axis(Axis(1)));
        normed.simd_mul_assign(&self.gamma);
        normed.simd_add_assign(&self.beta);
        normed.simd_gelu_inplace();
        let mut logits = matmul(&normed, &self.w2);
        logits.simd_add_assign(&self.b2);
        let max = logits.simd_max_axis(Axis(1));
        logits.simd_sub_assign(&max.insert_axis(Axis(1)));
        logits.simd_exp_inplace();
        let sum = logits.simd_sum_axis(Axis(1));
        logits.simd_div_assign(&sum.insert_axis(Axis(1)));
        logits
    }
}

/// The fastest of `runs` runs: (result, total seconds, seconds outside the matmuls).
fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (T, f64, f64) {
    let mut best = (f64::INFINITY, f64::INFINITY);
    let mut out = f();
    for _ in 0..runs {
        MATMUL_SECONDS.with(|s| s.set(0.0));
        let t = Instant::now();
        out = f();
        let total = t.elapsed().as_secs_f64();
        let rest = total - MATMUL_SECONDS.with(Cell::get);
        if total < best.0 {
            best = (total, rest);
        }
    }
    (out, best.0, best.1)
}

fn main() {
    let mlp = Mlp::new();
    let x = weights(BATCH, INPUT, 7, 1.0);
    println!("MLP {INPUT} -> {HIDDEN} (layer norm, GELU) -> {CLASSES} (softmax), batch {BATCH}, backend {}", trueno::backend());
    let (p_ref, t_ref, rest_ref) = best_of(7, || mlp.forward_ndarray(&x));
    let (p_new, t_new, rest_new) = best_of(7, || mlp.forward_trueno(&x));
    let max_diff = p_ref
        .iter()
        .zip(p_new.iter())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    let rows_sum_to_one = p_new
        .sum_axis(Axis(1))
        .iter()
        .all(|s| (s - 1.0).abs() < 1e-4);
    let same_argmax = p_ref
        .rows()
        .into_iter()
        .zip(p_new.rows())
        .filter(|(a, b)| a.simd_argmax() == b.simd_argmax())
        .count();
    println!("max |difference| of probabilities: {max_diff:.2e}; same predicted class: {same_argmax}/{BATCH}; rows sum to 1: {rows_sum_to_one}");
    assert!(max_diff < 1e-5, "the two programs disagree");
    assert!(rows_sum_to_one);
    println!(
        "whole forward pass: ndarray {:.2} ms, trueno {:.2} ms ({:.2}x; the two matrix products are ndarray's dot in both)",
        t_ref * 1e3,
        t_new * 1e3,
        t_ref / t_new
    );
    println!(
        "everything but the matrix products (bias, layer norm, GELU, softmax): ndarray {:.2} ms, trueno {:.2} ms ({:.1}x)",
        rest_ref * 1e3,
        rest_new * 1e3,
        rest_ref / rest_new
    );
}
