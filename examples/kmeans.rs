//! k-means clustering of 768-dimensional embeddings (the size of a BERT-base vector),
//! written the way ndarray code is written today, and the same
//! program with `TruenoExt` calls swapped in: distances through dot products and norms,
//! nearest centroids through argmin, centroid updates through in-place adds. Both runs
//! start from the same centroids; the example checks they agree, then times them.
//!
//! Run: `cargo run --release --example kmeans`

use ndarray::{s, Array1, Array2, ArrayView1, Axis};
use ndarray_stats::QuantileExt;
use std::time::Instant;
use trueno::TruenoExt;

const POINTS: usize = 8_000;
const DIMS: usize = 768;
const K: usize = 16;
const ITERATIONS: usize = 10;

/// Gaussian-ish blobs around K hidden centres (deterministic, no RNG crate needed).
fn data() -> Array2<f32> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    let centres = Array2::from_shape_fn((K, DIMS), |_| next() * 20.0);
    Array2::from_shape_fn((POINTS, DIMS), |(i, d)| {
        centres[[i % K, d]] + (next() + next() + next())
    })
}

/// One Lloyd iteration, ndarray idioms: returns (labels, new centroids, inertia).
fn step_ndarray(x: &Array2<f32>, c: &Array2<f32>) -> (Vec<usize>, Array2<f32>, f64) {
    let c_norms: Array1<f32> = c.map_axis(Axis(1), |r| r.dot(&r));
    let mut labels = Vec::with_capacity(x.nrows());
    let mut sums = Array2::<f32>::zeros(c.raw_dim());
    let mut counts = [0usize; K];
    let mut inertia = 0.0f64;
    let mut dist = Array1::<f32>::zeros(K);
    for row in x.rows() {
        let x_norm = row.dot(&row);
        for (k, centroid) in c.rows().into_iter().enumerate() {
            dist[k] = x_norm - 2.0 * row.dot(&centroid) + c_norms[k];
        }
        let best = dist.argmin().expect("no NaN");
        inertia += dist[best] as f64;
        let mut acc = sums.row_mut(best);
        acc += &row;
        counts[best] += 1;
        labels.push(best);
    }
    for (k, mut r) in sums.rows_mut().into_iter().enumerate() {
        r /= counts[k].max(1) as f32;
    }
    (labels, sums, inertia)
}

/// The same iteration with trueno: dot products, norms, argmin, in-place adds and scales.
fn step_trueno(x: &Array2<f32>, c: &Array2<f32>) -> (Vec<usize>, Array2<f32>, f64) {
    let c_norms: Vec<f32> = c.rows().into_iter().map(|r| r.simd_dot(&r)).collect();
    let mut labels = Vec::with_capacity(x.nrows());
    let mut sums = Array2::<f32>::zeros(c.raw_dim());
    let mut counts = [0usize; K];
    let mut inertia = 0.0f64;
    let mut dist = Array1::<f32>::zeros(K);
    for row in x.rows() {
        let x_norm = row.simd_dot(&row);
        for (k, centroid) in c.rows().into_iter().enumerate() {
            dist[k] = x_norm - 2.0 * row.simd_dot(&centroid) + c_norms[k];
        }
        let best = dist.simd_argmin().expect("no NaN");
        inertia += dist[best] as f64;
        sums.row_mut(best).simd_add_assign(&row);
        counts[best] += 1;
        labels.push(best);
    }
    for (k, mut r) in sums.rows_mut().into_iter().enumerate() {
        r.simd_scale_inplace(1.0 / counts[k].max(1) as f32);
    }
    (labels, sums, inertia)
}

/// One Lloyd iteration: (labels, new centroids, inertia).
type Step = fn(&Array2<f32>, &Array2<f32>) -> (Vec<usize>, Array2<f32>, f64);

fn run(x: &Array2<f32>, step: Step) -> (Vec<usize>, Array2<f32>, f64, f64) {
    let mut c = x.slice(s![..K, ..]).to_owned();
    let t = Instant::now();
    let mut labels = vec![];
    let mut inertia = 0.0;
    for _ in 0..ITERATIONS {
        let (l, next, i) = step(x, &c);
        labels = l;
        c = next;
        inertia = i;
    }
    (labels, c, inertia, t.elapsed().as_secs_f64())
}

fn max_abs_diff(a: ArrayView1<f32>, b: ArrayView1<f32>) -> f32 {
    a.simd_sub(&b).simd_norm_linf()
}

fn main() {
    let x = data();
    println!("k-means: {POINTS} points x {DIMS} dims, k = {K}, {ITERATIONS} Lloyd iterations, backend {}", trueno::backend());
    let (l1, c1, i1, t1) = run(&x, step_ndarray);
    let (l2, c2, i2, t2) = run(&x, step_trueno);
    let same_labels = l1.iter().zip(&l2).filter(|(a, b)| a == b).count();
    let centroid_diff = c1
        .iter()
        .zip(c2.iter())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    println!("labels agree: {same_labels}/{POINTS}; max centroid difference {centroid_diff:.2e}; inertia {i1:.1} vs {i2:.1}");
    println!(
        "first centroid max |diff|: {:.2e}",
        max_abs_diff(c1.row(0), c2.row(0))
    );
    assert!(
        same_labels as f64 >= 0.999 * POINTS as f64,
        "assignments diverged"
    );
    assert!(
        centroid_diff <= 1e-3 * (1.0 + c1.simd_norm_linf()),
        "centroids diverged"
    );
    assert!(
        (i1 - i2).abs() <= 1e-4 * i1.abs().max(1.0),
        "inertia diverged"
    );
    println!(
        "ndarray: {:.1} ms   trueno: {:.1} ms   speedup {:.2}x",
        t1 * 1e3,
        t2 * 1e3,
        t1 / t2
    );
}
