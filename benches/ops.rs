//! Criterion benchmarks: every op at 1 K, 16 K, 256 K and 4 M elements, the ndarray idiom
//! next to each available trueno backend (forced with `with_backend`).
//!
//! `cargo bench --bench ops` (all), or filter: `cargo bench --bench ops -- 'sum/'`.
//! The side-by-side Markdown report with NumPy is `bash benches/report.sh`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::{Array1, Zip};
use ndarray_stats::QuantileExt;
use std::hint::black_box;
use std::time::Duration;
use trueno::{available_backends, with_backend, TruenoExt};

const SIZES: [usize; 4] = [1 << 10, 1 << 14, 1 << 18, 1 << 22];

fn inputs(n: usize) -> (Array1<f32>, Array1<f32>, Array1<f32>) {
    let f = |k: f32| Array1::from_shape_fn(n, move |i| (i as f32 * k).sin() * 3.0);
    (f(0.618), f(0.414).mapv(|x| x.abs() + 0.5), f(0.123))
}

/// One benchmark group per op: the idiom and every backend at every size.
macro_rules! bench_op {
    ($c:expr, $name:literal, |$a:ident, $b:ident, $cc:ident| $idiom:expr, $ours:expr) => {{
        let mut group = $c.benchmark_group($name);
        group.warm_up_time(Duration::from_millis(300));
        group.measurement_time(Duration::from_millis(800));
        group.sample_size(20);
        for n in SIZES {
            let ($a, $b, $cc) = inputs(n);
            group.throughput(Throughput::Elements(n as u64));
            group.bench_with_input(BenchmarkId::new("ndarray", n), &n, |bench, _| {
                bench.iter(|| black_box($idiom))
            });
            for backend in available_backends() {
                group.bench_with_input(BenchmarkId::new(backend.name(), n), &n, |bench, _| {
                    with_backend(backend, || bench.iter(|| black_box($ours))).unwrap()
                });
            }
        }
        group.finish();
    }};
}

fn elementwise(c: &mut Criterion) {
    bench_op!(c, "add", |a, b, _c| &a + &b, a.simd_add(&b));
    bench_op!(c, "sub", |a, b, _c| &a - &b, a.simd_sub(&b));
    bench_op!(c, "mul", |a, b, _c| &a * &b, a.simd_mul(&b));
    bench_op!(c, "div", |a, b, _c| &a / &b, a.simd_div(&b));
    bench_op!(c, "abs", |a, _b, _c| a.mapv(f32::abs), a.simd_abs());
    bench_op!(c, "scale", |a, _b, _c| &a * 0.7, a.simd_scale(0.7));
    bench_op!(
        c,
        "clamp",
        |a, _b, _c| a.mapv(|x| x.clamp(-1.0, 1.0)),
        a.simd_clamp(-1.0, 1.0)
    );
    bench_op!(
        c,
        "lerp",
        |a, b, _c| Zip::from(&a)
            .and(&b)
            .map_collect(|&x, &y| x + 0.3 * (y - x)),
        a.simd_lerp(&b, 0.3)
    );
    bench_op!(
        c,
        "fma",
        |a, b, c3| Zip::from(&a)
            .and(&b)
            .and(&c3)
            .map_collect(|&x, &y, &z| x.mul_add(y, z)),
        a.simd_fma(&b, &c3)
    );
    bench_op!(
        c,
        "relu",
        |a, _b, _c| a.mapv(|x| if x > 0.0 { x } else { 0.0 }),
        a.simd_relu()
    );
}

fn reductions(c: &mut Criterion) {
    bench_op!(c, "sum", |a, _b, _c| a.sum(), a.simd_sum());
    bench_op!(c, "dot", |a, b, _c| a.dot(&b), a.simd_dot(&b));
    bench_op!(
        c,
        "norm_l1",
        |a, _b, _c| a.fold(0.0f32, |s, x| s + x.abs()),
        a.simd_norm_l1()
    );
    bench_op!(c, "norm_l2", |a, _b, _c| a.dot(&a).sqrt(), a.simd_norm_l2());
    bench_op!(
        c,
        "norm_linf",
        |a, _b, _c| a.fold(0.0f32, |m, x| m.max(x.abs())),
        a.simd_norm_linf()
    );
    bench_op!(
        c,
        "max",
        |a, _b, _c| a.max().ok().copied(),
        a.simd_max().ok()
    );
    bench_op!(
        c,
        "min",
        |a, _b, _c| a.min().ok().copied(),
        a.simd_min().ok()
    );
    bench_op!(
        c,
        "argmax",
        |a, _b, _c| a.argmax().ok(),
        a.simd_argmax().ok()
    );
    bench_op!(
        c,
        "argmin",
        |a, _b, _c| a.argmin().ok(),
        a.simd_argmin().ok()
    );
}

fn activations(c: &mut Criterion) {
    bench_op!(c, "exp", |a, _b, _c| a.mapv(f32::exp), a.simd_exp());
    bench_op!(
        c,
        "sigmoid",
        |a, _b, _c| a.mapv(|x| 1.0 / (1.0 + (-x).exp())),
        a.simd_sigmoid()
    );
    bench_op!(c, "tanh", |a, _b, _c| a.mapv(f32::tanh), a.simd_tanh());
    bench_op!(
        c,
        "swish",
        |a, _b, _c| a.mapv(|x| x / (1.0 + (-x).exp())),
        a.simd_swish()
    );
    bench_op!(
        c,
        "gelu",
        |a, _b, _c| a.mapv(|x| 0.5 * x * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2))),
        a.simd_gelu()
    );
    bench_op!(
        c,
        "gelu_tanh",
        |a, _b, _c| a
            .mapv(|x| 0.5 * x * (1.0 + (0.797_884_6 * (x + 0.044_715 * x * x * x)).tanh())),
        a.simd_gelu_tanh()
    );
}

criterion_group!(benches, elementwise, reductions, activations);
criterion_main!(benches);
