//! Every backend against the scalar reference, bit for bit, for every non-transcendental
//! op: lengths 0..=300 and a few large ones, unaligned starts, awkward values.

mod common;

use common::{assert_same_slices, same, Rng};
use ndarray::ArrayView1;
use trueno::{available_backends, with_backend, Backend, TruenoExt};

/// Everything each op returns, for one input triple, as comparable bits.
#[derive(Debug)]
struct Outputs {
    elementwise: Vec<(&'static str, Vec<f32>)>,
    scalars: Vec<(&'static str, f32)>,
    indices: Vec<(&'static str, Result<usize, trueno::MinMaxError>)>,
}

fn run_all(a: ArrayView1<f32>, b: ArrayView1<f32>, c: ArrayView1<f32>) -> Outputs {
    let mut inplace = a.to_owned();
    inplace.simd_fma_inplace(&b, &c);
    let mut inplace_lerp = a.to_owned();
    inplace_lerp.simd_lerp_inplace(&b, 0.375);
    let mut inplace_div = a.to_owned();
    inplace_div.simd_div_assign(&b);
    let bcast = ndarray::arr0(c.first().copied().unwrap_or(2.5));
    Outputs {
        elementwise: vec![
            ("add", a.simd_add(&b).to_vec()),
            ("sub", a.simd_sub(&b).to_vec()),
            ("mul", a.simd_mul(&b).to_vec()),
            ("div", a.simd_div(&b).to_vec()),
            ("add scalar", a.simd_add(&bcast).to_vec()),
            ("scalar div", bcast.simd_div(&a).to_vec()),
            ("abs", a.simd_abs().to_vec()),
            ("scale", a.simd_scale(-0.3).to_vec()),
            ("clamp", a.simd_clamp(-1.5, 2.0).to_vec()),
            ("lerp", a.simd_lerp(&b, 0.375).to_vec()),
            ("fma", a.simd_fma(&b, &c).to_vec()),
            ("relu", a.simd_relu().to_vec()),
            ("fma_inplace", inplace.to_vec()),
            ("lerp_inplace", inplace_lerp.to_vec()),
            ("div_assign", inplace_div.to_vec()),
        ],
        scalars: vec![
            ("sum", a.simd_sum()),
            ("dot", a.simd_dot(&b)),
            ("norm_l1", a.simd_norm_l1()),
            ("norm_l2", a.simd_norm_l2()),
            ("norm_linf", a.simd_norm_linf()),
            ("max", a.simd_max().unwrap_or(-123.0)),
            ("min", a.simd_min().unwrap_or(-123.0)),
        ],
        indices: vec![("argmax", a.simd_argmax()), ("argmin", a.simd_argmin())],
    }
}

fn compare(ctx: &str, got: &Outputs, want: &Outputs) {
    for ((name, g), (_, w)) in got.elementwise.iter().zip(&want.elementwise) {
        assert_same_slices(&format!("{ctx} {name}"), g, w);
    }
    for ((name, g), (_, w)) in got.scalars.iter().zip(&want.scalars) {
        assert!(
            same(*g, *w),
            "{ctx} {name}: got {g:e} ({:#x}) want {w:e} ({:#x})",
            g.to_bits(),
            w.to_bits()
        );
    }
    for ((name, g), (_, w)) in got.indices.iter().zip(&want.indices) {
        assert_eq!(g, w, "{ctx} {name}");
    }
}

fn check_all_backends(a: &[f32], b: &[f32], c: &[f32], ctx: &str) {
    let (a, b, c) = (
        ArrayView1::from(a),
        ArrayView1::from(b),
        ArrayView1::from(c),
    );
    let want = with_backend(Backend::Scalar, || run_all(a, b, c)).unwrap();
    for backend in available_backends() {
        let got = with_backend(backend, || run_all(a, b, c)).unwrap();
        compare(&format!("{backend} {ctx} n={}", a.len()), &got, &want);
    }
}

#[test]
fn lists_backends_scalar_first() {
    let all = available_backends();
    assert_eq!(all[0], Backend::Scalar);
    assert!(all.iter().all(|b| b.is_available()));
    #[cfg(target_arch = "x86_64")]
    assert!(all.contains(&Backend::Sse2));
    println!(
        "backends on this CPU: {all:?}, default {}",
        trueno::backend()
    );
}

#[test]
fn unavailable_backend_is_an_error() {
    for b in Backend::ALL {
        let r = with_backend(b, || 1);
        assert_eq!(r.is_ok(), b.is_available(), "{b}");
        if let Err(e) = r {
            assert_eq!(e.0, b);
            assert!(e.to_string().contains(b.name()));
        }
    }
    #[cfg(target_arch = "x86_64")]
    assert!(with_backend(Backend::Neon, || ()).is_err());
}

#[test]
fn with_backend_is_scoped_and_restored() {
    let before = trueno::backend();
    with_backend(Backend::Scalar, || {
        assert_eq!(trueno::backend(), Backend::Scalar);
        let inner = *available_backends().last().unwrap();
        with_backend(inner, || assert_eq!(trueno::backend(), inner)).unwrap();
        assert_eq!(trueno::backend(), Backend::Scalar);
    })
    .unwrap();
    assert_eq!(trueno::backend(), before);
    // A panic inside restores the previous choice too (only testable where panics unwind;
    // the wasm32 run uses panic=abort).
    #[cfg(panic = "unwind")]
    {
        let r = std::panic::catch_unwind(|| with_backend(Backend::Scalar, || panic!("boom")));
        assert!(r.is_err());
        assert_eq!(trueno::backend(), before);
    }
}

#[test]
fn backend_names_round_trip() {
    for b in Backend::ALL {
        assert_eq!(b.name().parse::<Backend>(), Ok(b));
        assert_eq!(b.to_string(), b.name());
    }
    assert!("avx3".parse::<Backend>().is_err());
}

#[test]
fn all_lengths_0_to_300_all_offsets() {
    let mut rng = Rng::new(1);
    for n in 0..=300 {
        let off = n % 17;
        let a = rng.vec(n + 17, Rng::wild);
        let b = rng.vec(n + 17, Rng::wild);
        let c = rng.vec(n + 17, Rng::wild);
        check_all_backends(&a[off..off + n], &b[off..off + n], &c[off..off + n], "wild");
        let a = rng.vec(n + 17, Rng::finite);
        let b = rng.vec(n + 17, Rng::finite);
        let c = rng.vec(n + 17, Rng::finite);
        check_all_backends(
            &a[off..off + n],
            &b[off..off + n],
            &c[off..off + n],
            "finite",
        );
    }
}

#[test]
fn every_start_alignment() {
    let mut rng = Rng::new(2);
    let a = rng.vec(1200, Rng::finite);
    let b = rng.vec(1200, Rng::finite);
    let c = rng.vec(1200, Rng::wild);
    for off in 0..32 {
        for n in [1, 15, 31, 33, 511, 512, 513, 1024 + 7] {
            check_all_backends(
                &a[off..off + n],
                &b[off..off + n],
                &c[off..off + n],
                &format!("offset {off}"),
            );
        }
    }
}

#[test]
fn large_lengths() {
    let mut rng = Rng::new(3);
    for n in [4096, 65_537, (1 << 20) + 3] {
        let a = rng.vec(n, Rng::finite);
        let b = rng.vec(n, Rng::finite);
        let c = rng.vec(n, Rng::wild);
        check_all_backends(&a, &b, &c, "large");
    }
}

#[test]
fn exact_fma_hard_cases() {
    // Products whose low bits decide the rounding of the sum: naive a*b+c or a
    // double-rounding f64 emulation gets these wrong.
    let mut a = vec![];
    let mut b = vec![];
    let mut c = vec![];
    let mut rng = Rng::new(4);
    for _ in 0..4096 {
        let x = 1.0 + (rng.next_u64() % (1 << 23)) as f32 * f32::EPSILON;
        let y = 1.0 + (rng.next_u64() % (1 << 23)) as f32 * f32::EPSILON;
        let p = x * y;
        a.push(x);
        b.push(y);
        c.push(-p * [1.0, 0.5, 2.0, 1.0 + f32::EPSILON][(rng.next_u64() % 4) as usize]);
    }
    a.extend([1.0e-20, 3.0e38, 1.0e-30, f32::MIN_POSITIVE, 0.0, -0.0]);
    b.extend([1.0e-20, 2.0, 1.0e-15, 0.5, -1.0, 0.0]);
    c.extend([1.0e-45, -f32::MAX, 1.0e-45, 1.0e-45, 0.0, -0.0]);
    let want: Vec<f32> = a
        .iter()
        .zip(&b)
        .zip(&c)
        .map(|((&x, &y), &z)| x.mul_add(y, z))
        .collect();
    for backend in available_backends() {
        let got = with_backend(backend, || {
            ArrayView1::from(&a[..]).simd_fma(&ArrayView1::from(&b[..]), &ArrayView1::from(&c[..]))
        })
        .unwrap();
        assert_same_slices(&format!("{backend} fma"), got.as_slice().unwrap(), &want);
    }
}
