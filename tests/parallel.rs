//! With the `parallel` feature, large ops split over threads must give exactly the bits
//! of one thread (run: `cargo test --release --features parallel --test parallel`).
#![cfg(feature = "parallel")]

mod common;

use common::{assert_same_slices, same, Rng};
use ndarray::Array1;
use trueno::{available_backends, with_backend, TruenoExt};

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

#[derive(Debug)]
struct All {
    scalars: Vec<f32>,
    args: Vec<Result<usize, trueno::MinMaxError>>,
    arrays: Vec<Vec<f32>>,
}

fn all(a: &Array1<f32>, b: &Array1<f32>) -> All {
    let mut inplace = a.clone();
    inplace.simd_fma_inplace(b, a);
    All {
        scalars: vec![
            a.simd_sum(),
            a.simd_dot(b),
            a.simd_norm_l1(),
            a.simd_norm_l2(),
            a.simd_norm_linf(),
            a.simd_max().unwrap_or(f32::NAN),
            a.simd_min().unwrap_or(f32::NAN),
            (a * 1e-30f32).simd_norm_l2(),
        ],
        args: vec![a.simd_argmax(), a.simd_argmin()],
        arrays: vec![
            a.simd_add(b).to_vec(),
            a.simd_clamp(-0.5, 0.5).to_vec(),
            inplace.to_vec(),
        ],
    }
}

#[test]
fn split_results_equal_one_thread() {
    let mut rng = Rng::new(40);
    for n in [(1 << 18) + 3, (1 << 20) + 37, 3 * (1 << 20) + 511] {
        let a = Array1::from(rng.vec(n, Rng::finite));
        let b = Array1::from(rng.vec(n, Rng::finite));
        for backend in available_backends() {
            let one = pool(1).install(|| with_backend(backend, || all(&a, &b)).unwrap());
            for threads in [2, 3, 8] {
                let many = pool(threads).install(|| with_backend(backend, || all(&a, &b)).unwrap());
                for (i, (x, y)) in many.scalars.iter().zip(&one.scalars).enumerate() {
                    assert!(
                        same(*x, *y),
                        "{backend} n={n} threads={threads} scalar {i}: {x:e} vs {y:e}"
                    );
                }
                assert_eq!(many.args, one.args, "{backend} n={n} threads={threads}");
                for (x, y) in many.arrays.iter().zip(&one.arrays) {
                    assert_same_slices(&format!("{backend} n={n} threads={threads}"), x, y);
                }
            }
        }
    }
}

#[test]
fn split_argmax_keeps_the_first_of_ties() {
    let n = 3 * (1 << 20);
    let mut v = vec![0.0f32; n];
    for i in [n / 2 + 5, n / 3, n - 1] {
        v[i] = 7.0;
    }
    let a = Array1::from(v);
    let got = pool(8).install(|| a.simd_argmax());
    assert_eq!(got, Ok(n / 3));
    let got = pool(8).install(|| a.simd_argmin());
    assert_eq!(got, Ok(0));
}
