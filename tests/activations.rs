//! Accuracy and semantics of the six transcendental activations on every backend this
//! CPU runs: a strided sample over the whole f32 bit range plus special values against
//! an f64 reference (bounds of DESIGN.md §3), the ndarray idioms on strided, reversed
//! and transposed views, the in-place forms, and every tail length.
//!
//! The exhaustive (all 2^32 inputs) version of the first test is
//! `cargo run --release --example accuracy`.

use ndarray::{s, Array1, Array2, ArrayView1};
use trueno::{Backend, TruenoExt};

mod common;

use common::activation::{ulp_error, Op, OPS};

impl Op {
    /// Whether the bound also holds for subnormal results.
    fn bound_on_subnormals(self) -> bool {
        !matches!(self, Op::Gelu | Op::GeluTanh)
    }

    fn simd2(self, a: &Array2<f32>) -> Array2<f32> {
        match self {
            Op::Exp => a.simd_exp(),
            Op::Sigmoid => a.simd_sigmoid(),
            Op::Tanh => a.simd_tanh(),
            Op::Swish => a.simd_swish(),
            Op::Gelu => a.simd_gelu(),
            Op::GeluTanh => a.simd_gelu_tanh(),
        }
    }

    fn simd_inplace<S: ndarray::DataMut<Elem = f32>>(
        self,
        a: &mut ndarray::ArrayBase<S, ndarray::Ix2>,
    ) {
        match self {
            Op::Exp => a.simd_exp_inplace(),
            Op::Sigmoid => a.simd_sigmoid_inplace(),
            Op::Tanh => a.simd_tanh_inplace(),
            Op::Swish => a.simd_swish_inplace(),
            Op::Gelu => a.simd_gelu_inplace(),
            Op::GeluTanh => a.simd_gelu_tanh_inplace(),
        }
    }

    /// The ndarray idiom a user writes today, and how far (in ulps) it may be from the
    /// correctly rounded result on the inputs of `idioms_on_views`.
    fn idiom(self) -> (fn(f32) -> f32, f64) {
        match self {
            Op::Exp => (f32::exp, 1.0),
            Op::Sigmoid => (|x| 1.0 / (1.0 + (-x).exp()), 3.0),
            Op::Tanh => (f32::tanh, 3.0),
            Op::Swish => (|x| x / (1.0 + (-x).exp()), 3.0),
            Op::Gelu => (
                |x| 0.5 * x * libm::erfcf(-x * std::f32::consts::FRAC_1_SQRT_2),
                // erfcf's argument is rounded: large relative error far out.
                f64::INFINITY,
            ),
            Op::GeluTanh => (
                |x| 0.5 * x * (1.0 + (0.797_884_6 * (x + 0.044715 * x * x * x)).tanh()),
                f64::INFINITY,
            ),
        }
    }
}

/// Checks `got[i] = op(xs[i])` within the bound; zero results must have the sign of the
/// exact result. Returns the worst error seen.
fn check(op: Op, backend: Backend, xs: &[f32], got: &[f32]) -> f64 {
    let mut worst = 0.0f64;
    for (&x, &y) in xs.iter().zip(got) {
        let r = op.reference(x);
        let want = r as f32;
        let e = ulp_error(y, r);
        let subnormal = want != 0.0 && want.abs() < f32::MIN_POSITIVE;
        if !subnormal || op.bound_on_subnormals() {
            assert!(
                e <= op.bound(),
                "{op:?} on {backend}: x = {x:e} ({:#010x}) gave {y:e}, want {want:e} ({r:e}): {e} ulps",
                x.to_bits()
            );
            worst = worst.max(e);
        }
        if want == 0.0 && y == 0.0 {
            assert_eq!(
                y.is_sign_negative(),
                want.is_sign_negative(),
                "{op:?} on {backend}: x = {x:e}: sign of zero"
            );
        }
    }
    worst
}

fn special_values() -> Vec<f32> {
    let mut v = vec![
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        -f32::NAN,
        f32::from_bits(0x7fc0_1234),
        f32::from_bits(0xff80_0001),
        f32::MAX,
        f32::MIN,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        f32::EPSILON,
        1.0,
        -1.0,
        0.5,
        -0.5,
        2.0,
        -2.0,
    ];
    // Subnormals.
    for b in [
        1u32,
        2,
        3,
        0x0000_ffff,
        0x0040_0000,
        0x007f_fffe,
        0x007f_ffff,
    ] {
        v.push(f32::from_bits(b));
        v.push(-f32::from_bits(b));
    }
    // Thresholds, each with a few neighbours: exp overflow (88.72283), where exp becomes
    // subnormal (-87.33654) and where it underflows to 0 (-103.97208); tanh and sigmoid
    // saturation; tiny arguments; where gelu results become subnormal; the limits of
    // sigmoid's and swish's forms.
    for t in [
        88.722_83f32,
        -87.336_54,
        -103.972_08,
        -103.278_93,
        9.010_913,
        -9.010_913,
        16.635_532,
        -16.635_532,
        // sigmoid and swish: the end of the short form, and where 1 + 2^n stops being
        // exact (n = ±24).
        16.0,
        -16.0,
        16.288_96,
        -16.288_96,
        86.0,
        -86.0,
        // gelu_tanh: the end of its short form.
        9.5,
        -9.5,
        // gelu: the ends of its two table forms.
        3.75,
        -3.75,
        11.5,
        -11.5,
        17.328_68,
        1e-8,
        -1e-8,
        2.0f32.powi(-24),
        -13.2,
        -13.8,
        -14.2,
        -10.4,
        -82.5,
        -88.7,
        -104.5,
        -150.0,
        -200.0,
    ] {
        let b = t.to_bits();
        for d in 0..=8u32 {
            v.push(f32::from_bits(b.wrapping_add(d)));
            v.push(f32::from_bits(b.wrapping_sub(d)));
        }
    }
    // Where tanh's and gelu's tables switch polynomials (every half unit to 11.5, and
    // 9.1, where tanh's last one ends), 64 neighbours each way, both signs.
    for k in 1..=23 {
        for t in [k as f32 / 2.0, 9.1] {
            let b = t.to_bits();
            for d in 0..=64u32 {
                for x in [f32::from_bits(b + d), f32::from_bits(b - d)] {
                    v.push(x);
                    v.push(-x);
                }
            }
        }
    }
    v
}

#[test]
fn strided_sample_of_all_inputs_within_bounds_on_every_backend() {
    // Every 2039th bit pattern (a prime stride, so all exponents and many mantissa
    // patterns are hit): about 2.1 million inputs, plus the special values.
    let mut xs: Vec<f32> = (0..=u32::MAX).step_by(2039).map(f32::from_bits).collect();
    xs.extend(special_values());
    let xs = Array1::from(xs);
    for b in trueno::available_backends() {
        for op in OPS {
            let got = trueno::with_backend(b, || op.simd(xs.view())).unwrap();
            let worst = check(op, b, xs.as_slice().unwrap(), got.as_slice().unwrap());
            println!("{op:?} on {b}: max {worst:.3} ulps");
        }
    }
}

#[test]
fn exact_limits_and_nan() {
    let inf = f32::INFINITY;
    for b in trueno::available_backends() {
        trueno::with_backend(b, || {
            let x = Array1::from(vec![inf, -inf, 0.0, -0.0, f32::NAN, -f32::NAN]);
            let bits = |a: Array1<f32>| a.mapv(f32::to_bits);
            assert_eq!(
                bits(x.simd_exp().slice(s![..4]).to_owned()),
                bits(Array1::from(vec![inf, 0.0, 1.0, 1.0]))
            );
            assert_eq!(
                bits(x.simd_sigmoid().slice(s![..4]).to_owned()),
                bits(Array1::from(vec![1.0, 0.0, 0.5, 0.5]))
            );
            assert_eq!(
                bits(x.simd_tanh().slice(s![..4]).to_owned()),
                bits(Array1::from(vec![1.0, -1.0, 0.0, -0.0]))
            );
            for y in [x.simd_swish(), x.simd_gelu(), x.simd_gelu_tanh()] {
                assert_eq!(
                    bits(y.slice(s![..4]).to_owned()),
                    bits(Array1::from(vec![inf, -0.0, 0.0, -0.0])),
                    "{b}"
                );
            }
            for y in [
                x.simd_exp(),
                x.simd_sigmoid(),
                x.simd_tanh(),
                x.simd_swish(),
                x.simd_gelu(),
                x.simd_gelu_tanh(),
            ] {
                assert!(y[4].is_nan() && y[5].is_nan(), "{b}: NaN must give NaN");
            }
            // exp overflows exactly where the correctly rounded result does.
            let edge = Array1::from(vec![
                f32::from_bits(0x42b1_7217),
                f32::from_bits(0x42b1_7218),
            ]);
            let e = edge.simd_exp();
            assert!(e[0].is_finite() && e[1].is_infinite(), "{b}: {e}");
            // Large negative inputs: tiny or zero results of the right sign.
            let neg = Array1::from(vec![-1e30f32, -1000.0, -200.0]);
            for y in [neg.simd_swish(), neg.simd_gelu(), neg.simd_gelu_tanh()] {
                assert!(
                    y.iter().all(|v| *v == 0.0 && v.is_sign_negative()),
                    "{b}: {y}"
                );
            }
            for y in [neg.simd_exp(), neg.simd_sigmoid()] {
                assert!(
                    y.iter().all(|v| *v == 0.0 && v.is_sign_positive()),
                    "{b}: {y}"
                );
            }
            assert_eq!(neg.simd_tanh(), Array1::from(vec![-1.0f32; 3]));
        })
        .unwrap();
    }
}

#[test]
fn idioms_on_views_and_inplace_forms() {
    // A 2-D array over the range where every op is interesting.
    let a = Array2::from_shape_fn((37, 53), |(i, j)| {
        let k = (i * 53 + j) as f32;
        ((k * 0.618_034).fract() - 0.5) * 40.0
    });
    let views = [
        a.slice(s![..;2, ..;-1]).to_owned(), // values of a strided, reversed view
        a.t().to_owned(),
    ];
    for b in trueno::available_backends() {
        trueno::with_backend(b, || {
            for op in OPS {
                let (idiom, idiom_err) = op.idiom();
                // Strided and reversed view, straight from `a`.
                let v = a.slice(s![..;2, ..;-1]);
                let got = match op {
                    Op::Exp => v.simd_exp(),
                    Op::Sigmoid => v.simd_sigmoid(),
                    Op::Tanh => v.simd_tanh(),
                    Op::Swish => v.simd_swish(),
                    Op::Gelu => v.simd_gelu(),
                    Op::GeluTanh => v.simd_gelu_tanh(),
                };
                assert_eq!(got.shape(), v.shape());
                let want = v.mapv(idiom);
                for ((&x, &g), &w) in v.iter().zip(&got).zip(&want) {
                    let r = op.reference(x);
                    assert!(
                        ulp_error(g, r) <= op.bound(),
                        "{op:?} {b} x = {x}: {g} vs {r}"
                    );
                    if idiom_err.is_finite() {
                        // Both near the exact value, so near each other.
                        assert!(ulp_error(w, r) <= idiom_err, "idiom {op:?} x = {x}");
                    }
                }
                // Transposed (F-order) view and the owned copies give the same bits.
                let t = op.simd2(&a.t().to_owned());
                assert_eq!(
                    t.mapv(f32::to_bits),
                    a.t()
                        .mapv(|x| op.simd(Array1::from(vec![x]).view())[0])
                        .mapv(f32::to_bits)
                );
                for owned in &views {
                    let fresh = op.simd2(owned);
                    // In place on a contiguous array.
                    let mut c = owned.clone();
                    op.simd_inplace(&mut c);
                    assert_eq!(c.mapv(f32::to_bits), fresh.mapv(f32::to_bits), "{op:?} {b}");
                }
                // In place through a strided, reversed mutable view.
                let mut m = a.clone();
                op.simd_inplace(&mut m.slice_mut(s![..;2, ..;-1]));
                let expect = op.simd2(&a.slice(s![..;2, ..;-1]).to_owned());
                assert_eq!(
                    m.slice(s![..;2, ..;-1]).mapv(f32::to_bits),
                    expect.mapv(f32::to_bits)
                );
                assert_eq!(
                    m.slice(s![1..;2, ..]),
                    a.slice(s![1..;2, ..]),
                    "untouched rows"
                );
            }
        })
        .unwrap();
    }
}

#[test]
fn every_tail_length_gives_the_same_bits() {
    let xs: Vec<f32> = (0..67).map(|i| (i as f32 - 33.0) * 0.37).collect();
    for b in trueno::available_backends() {
        trueno::with_backend(b, || {
            for op in OPS {
                let full = op.simd(ArrayView1::from(&xs[..]));
                for n in 0..xs.len() {
                    for start in [0, 1, 3] {
                        if start > n {
                            continue;
                        }
                        let part = op.simd(ArrayView1::from(&xs[start..n]));
                        assert_eq!(
                            part.mapv(f32::to_bits),
                            full.slice(s![start..n]).mapv(f32::to_bits),
                            "{op:?} {b} [{start}..{n}]"
                        );
                    }
                }
            }
        })
        .unwrap();
    }
}

#[test]
fn short_and_full_forms_agree() {
    // The kernels take a short form for vectors whose lanes all lie in an op's fast
    // range (|x| <= 86, 16, 3.75 or 9.5) and a full one otherwise; gelu's full form has a
    // faster path for vectors within |x| < 11.5. Inputs that are alone in their vectors
    // (mostly short form) must give the same bits as the same inputs with a huge
    // neighbour in every vector (always full form) and with a neighbour of 10.
    let mut xs: Vec<f32> = (0..200_000)
        .map(|i| (i as f32 / 200_000.0) * 200.0 - 100.0)
        .collect();
    for limit in [86.0f32, 16.0, 11.5, 9.5, 3.75] {
        for sign in [1.0f32, -1.0] {
            let b = (sign * limit).to_bits();
            xs.extend((0..4096u32).map(|d| f32::from_bits(b - 2048 + d)));
        }
    }
    xs.extend([0.0, -0.0, 1e-45, -1e-45, 1e-38, -1e-38, 1e-7, -1e-7]);
    // gelu's three forms, densely around their limits.
    xs.extend((0..100_000).map(|i| -11.0 - i as f32 / 50_000.0));
    xs.extend((0..100_000).map(|i| 3.5 + i as f32 / 200_000.0));
    let lone = Array1::from(xs.clone());
    for neighbour in [1e30f32, 10.0] {
        let mixed = Array1::from_iter(xs.iter().flat_map(|&x| [x, neighbour]));
        for b in trueno::available_backends() {
            for op in OPS {
                let (short, full) =
                    trueno::with_backend(b, || (op.simd(lone.view()), op.simd(mixed.view())))
                        .unwrap();
                for (i, &x) in xs.iter().enumerate() {
                    assert_eq!(
                        short[i].to_bits(),
                        full[2 * i].to_bits(),
                        "{op:?} on {b} at x = {x:e} beside {neighbour:e}: alone {:e}, beside {:e}",
                        short[i],
                        full[2 * i]
                    );
                }
            }
        }
    }
}
