//! Every available backend against the scalar reference, bit for bit, on the
//! non-transcendental ops, plus the per-architecture availability promises. Runs natively
//! (x86-64: SSE2/AVX2/AVX-512 where the CPU has them) and under `.ci/aarch64.sh` (NEON,
//! qemu-user) and `.ci/wasm.sh` (SIMD128, Node.js WASI).

use ndarray::{s, Array1, Array2, ArrayView1, Axis};
use trueno::{available_backends, with_backend, Backend, TruenoExt};

#[test]
#[cfg(target_arch = "aarch64")]
fn neon_is_available_on_aarch64() {
    assert!(Backend::Neon.is_available());
    if std::env::var_os("TRUENO_BACKEND").is_none() {
        assert_eq!(trueno::backend(), Backend::Neon);
    }
}

#[test]
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn wasm128_is_available_with_simd128() {
    assert!(Backend::Wasm128.is_available());
    if std::env::var_os("TRUENO_BACKEND").is_none() {
        assert_eq!(trueno::backend(), Backend::Wasm128);
    }
}

#[test]
fn foreign_backends_are_errors_not_crashes() {
    let x86 = cfg!(target_arch = "x86_64");
    assert_eq!(Backend::Sse2.is_available(), x86);
    if !cfg!(target_arch = "aarch64") {
        assert!(!Backend::Neon.is_available());
        assert!(with_backend(Backend::Neon, || ()).is_err());
    }
    if !cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
        assert!(!Backend::Wasm128.is_available());
    }
    if !x86 {
        for b in [Backend::Sse2, Backend::Avx2, Backend::Avx512] {
            assert!(with_backend(b, || ()).is_err(), "{b}");
        }
    }
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A mix of ordinary values, special values and arbitrary bit patterns.
    fn value(&mut self) -> f32 {
        const SPECIAL: [f32; 12] = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::MIN_POSITIVE,
            -f32::MIN_POSITIVE,
            1.0e-45,
            f32::MAX,
            f32::MIN,
        ];
        match self.below(16) {
            0 => SPECIAL[self.below(SPECIAL.len() as u64) as usize],
            1 | 2 => f32::from_bits(self.next() as u32),
            // Subnormals.
            3 => f32::from_bits((self.next() as u32) & 0x807f_ffff),
            _ => (self.below(2_000_001) as f32 - 1_000_000.0) / 997.0,
        }
    }
    /// Any finite value: random sign, exponent and significand (subnormals included).
    fn wide(&mut self) -> f32 {
        let bits = self.next() as u32;
        let exp = self.below(255) as u32;
        f32::from_bits((bits & 0x807f_ffff) | (exp << 23))
    }
    /// Finite, NaN-free values (for the reductions that must not see NaN to be useful).
    fn finite(&mut self) -> f32 {
        let exp = self.below(40) as i32 - 20;
        let m = 1.0 + self.below(1 << 23) as f32 / (1u32 << 23) as f32;
        let v = m * 2f32.powi(exp);
        if self.below(2) == 0 {
            v
        } else {
            -v
        }
    }
}

/// Bits, with every NaN made the same (NaN payloads are not part of the contract).
fn key(x: f32) -> u32 {
    if x.is_nan() {
        0x7fc0_0000
    } else {
        x.to_bits()
    }
}

fn same(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| key(*x) == key(*y))
}

/// Lengths around every vector width, a block (512) boundary, and odd tails.
const LENGTHS: [usize; 14] = [0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 33, 513, 1100];

/// Runs `f` on every available backend and checks it gives scalar's result.
fn check<R: PartialEq + std::fmt::Debug>(what: &str, f: impl Fn() -> R) {
    let reference = with_backend(Backend::Scalar, &f).unwrap();
    for b in available_backends() {
        let got = with_backend(b, &f).unwrap();
        assert_eq!(got, reference, "{what}: {b} differs from scalar");
    }
}

fn bits(a: impl IntoIterator<Item = f32>) -> Vec<u32> {
    a.into_iter().map(key).collect()
}

#[test]
fn elementwise_ops_match_scalar_bit_for_bit() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for &n in &LENGTHS {
        for offset in [0usize, 1, 3] {
            let gen = |rng: &mut Rng| Array1::from_shape_fn(n + offset, |_| rng.value());
            let (a, b, c) = (gen(&mut rng), gen(&mut rng), gen(&mut rng));
            // Unaligned views: the kernels must not care where a run starts.
            let (a, b, c) = (
                a.slice(s![offset..]),
                b.slice(s![offset..]),
                c.slice(s![offset..]),
            );
            let what = |op: &str| format!("{op}, n={n}, offset={offset}");
            check(&what("add"), || bits(a.simd_add(&b)));
            check(&what("sub"), || bits(a.simd_sub(&b)));
            check(&what("mul"), || bits(a.simd_mul(&b)));
            check(&what("div"), || bits(a.simd_div(&b)));
            check(&what("abs"), || bits(a.simd_abs()));
            check(&what("scale"), || bits(a.simd_scale(-0.37)));
            check(&what("clamp"), || bits(a.simd_clamp(-2.5, 100.0)));
            check(&what("lerp"), || bits(a.simd_lerp(&b, 0.3)));
            check(&what("fma"), || bits(a.simd_fma(&b, &c)));
            check(&what("relu"), || bits(a.simd_relu()));
            check(&what("add scalar"), || {
                bits(a.simd_add(&ndarray::arr0(1.5f32)))
            });
            // And the ndarray / f32 reference itself, on the active (best) backend.
            assert!(same(
                a.simd_add(&b).as_slice().unwrap(),
                (&a + &b).as_slice().unwrap()
            ));
            let fma_ref: Vec<f32> = (0..n).map(|i| a[i].mul_add(b[i], c[i])).collect();
            assert!(same(a.simd_fma(&b, &c).as_slice().unwrap(), &fma_ref));
            let min_ref: Vec<f32> = (0..n).map(|i| a[i].clamp(-2.5, 100.0)).collect();
            assert!(same(
                a.simd_clamp(-2.5, 100.0).as_slice().unwrap(),
                &min_ref
            ));
        }
    }
}

#[test]
fn fma_is_single_rounding_on_hard_cases() {
    // Products that nearly cancel `c`, and ties of the double rounding a naive
    // `(a * b) as f64 + c` would get wrong.
    let mut rng = Rng(42);
    let n = 4096;
    let mut a = Vec::with_capacity(n);
    let mut b = Vec::with_capacity(n);
    let mut c = Vec::with_capacity(n);
    for i in 0..n {
        let x = rng.finite();
        let y = rng.finite();
        let z = match i % 4 {
            0 => -(x * y),
            1 => -(x * y) * (1.0 + f32::EPSILON),
            2 => f32::from_bits((x * y).to_bits() ^ 1) * 0.5f32.powi(24),
            _ => rng.finite() * 1e-30,
        };
        a.push(x);
        b.push(y);
        c.push(z);
    }
    // Random finite operands over the whole exponent range (subnormals included), with
    // `c` near `-a * b` so that the sum cancels and the product's low bits decide.
    for _ in 0..(1 << 15) {
        let x = rng.wide();
        let y = rng.wide();
        let p = x * y;
        let z = match rng.below(4) {
            0 => -p,
            1 => -f32::from_bits(p.to_bits() ^ (rng.next() as u32 & 0xff)),
            2 => {
                f32::from_bits(p.to_bits() ^ (rng.next() as u32 & 0x8000_000f))
                    * 0.5f32.powi(rng.below(30) as i32)
            }
            _ => rng.wide(),
        };
        a.push(x);
        b.push(y);
        c.push(z);
    }
    // Known double-rounding trap: 1 + 2^-24 + 2^-48 style operands.
    // And a product exactly halfway between two floats, nudged by a tiny `c`: an fmaf
    // that relies on rounding modes (Debian 12's wasi-libc) gets it wrong.
    a.extend([
        1.0 + f32::EPSILON,
        0.1,
        3.0e38,
        1.0e-30,
        -0.0,
        0.0,
        1.0 + f32::EPSILON,
    ]);
    b.extend([1.0 - f32::EPSILON, 10.0, 2.0, 1.0e-30, 0.0, -5.0, 3.0]);
    c.extend([
        -1.0,
        -1.0,
        -f32::MAX,
        f32::MIN_POSITIVE,
        -0.0,
        -0.0,
        -f32::MIN_POSITIVE,
    ]);
    let (a, b, c) = (Array1::from(a), Array1::from(b), Array1::from(c));
    let reference: Vec<f32> = (0..a.len()).map(|i| a[i].mul_add(b[i], c[i])).collect();
    assert_eq!(reference.last().copied(), Some(3.0 + 2.0 * f32::EPSILON));
    for backend in available_backends() {
        let got = with_backend(backend, || a.simd_fma(&b, &c)).unwrap();
        for i in 0..a.len() {
            assert_eq!(
                key(got[i]),
                key(reference[i]),
                "{backend}: fma({:e}, {:e}, {:e})",
                a[i],
                b[i],
                c[i]
            );
        }
    }
}

#[test]
fn min_max_follow_the_trait_semantics_on_nan_and_zeros() {
    // clamp is built from the trait's min/max: `a < b ? a : b` must keep -0.0 vs +0.0
    // and NaN exactly as `f32::clamp` does, which NEON's fmin/fmax and WASM's f32x4.min
    // would not.
    let a = Array1::from(vec![
        -0.0f32,
        0.0,
        f32::NAN,
        -0.0,
        0.0,
        1.0,
        -1.0,
        f32::NAN,
        0.5,
    ]);
    for (lo, hi) in [(0.0f32, 1.0f32), (-0.0, 0.0), (0.0, -0.0), (-1.0, -0.0)] {
        check(&format!("clamp({lo}, {hi})"), || bits(a.simd_clamp(lo, hi)));
        let reference: Vec<u32> = a.iter().map(|x| key(x.clamp(lo, hi))).collect();
        assert_eq!(bits(a.simd_clamp(lo, hi)), reference);
    }
    let zeros = Array1::from(vec![0.0f32, -0.0, 0.0, -0.0, -0.0, 0.0, 0.0, -0.0, 0.0]);
    check("max zeros", || zeros.simd_max().map(f32::to_bits));
    check("min zeros", || zeros.simd_min().map(f32::to_bits));
    check("argmax zeros", || zeros.simd_argmax());
    check("argmin zeros", || zeros.simd_argmin());
    check("max nan", || a.simd_max().map(f32::to_bits));
    check("norm_linf nan", || key(a.simd_norm_linf()));
}

#[test]
fn reductions_match_scalar_bit_for_bit() {
    let mut rng = Rng(7);
    for &n in &LENGTHS {
        for offset in [0usize, 2] {
            let x = Array1::from_shape_fn(n + offset, |_| rng.finite());
            let y = Array1::from_shape_fn(n + offset, |_| rng.finite());
            let (x, y): (ArrayView1<f32>, ArrayView1<f32>) =
                (x.slice(s![offset..]), y.slice(s![offset..]));
            let what = |op: &str| format!("{op}, n={n}, offset={offset}");
            check(&what("sum"), || x.simd_sum().to_bits());
            check(&what("dot"), || x.simd_dot(&y).to_bits());
            check(&what("norm_l1"), || x.simd_norm_l1().to_bits());
            check(&what("norm_l2"), || x.simd_norm_l2().to_bits());
            check(&what("norm_linf"), || x.simd_norm_linf().to_bits());
            check(&what("max"), || x.simd_max().map(f32::to_bits));
            check(&what("min"), || x.simd_min().map(f32::to_bits));
            check(&what("argmax"), || x.simd_argmax());
            check(&what("argmin"), || x.simd_argmin());
        }
    }
    // A strided 2-D view (not contiguous) and the axis reductions.
    let m = Array2::from_shape_fn((37, 29), |_| rng.finite());
    let v = m.slice(s![..;2, 1..]);
    check("sum 2-D strided", || v.simd_sum().to_bits());
    check("argmax 2-D strided", || v.simd_argmax());
    check("sum_axis 0", || bits(v.simd_sum_axis(Axis(0))));
    check("sum_axis 1", || bits(v.simd_sum_axis(Axis(1))));
    check("max_axis 0", || bits(v.simd_max_axis(Axis(0))));
    check("max_axis 1", || bits(m.simd_max_axis(Axis(1))));
    // NaN and the errors.
    let mut with_nan = Array1::from_shape_fn(100, |_| rng.finite());
    with_nan[57] = f32::NAN;
    check("argmax nan", || with_nan.simd_argmax());
    check("sum nan", || key(with_nan.simd_sum()));
    let empty = Array1::<f32>::zeros(0);
    check("argmin empty", || empty.simd_argmin());
}
