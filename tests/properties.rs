//! Property tests: arbitrary bit patterns and lengths, every backend equal to scalar and
//! to the idiom.

mod common;

use common::{assert_same_slices, same};
use ndarray::{Array1, ArrayView1};
use proptest::prelude::*;
use trueno::{available_backends, with_backend, Backend, TruenoExt};

fn any_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        4 => -1.0e3f32..1.0e3,
        1 => any::<u32>().prop_map(f32::from_bits),
        1 => prop::sample::select(common::SPECIALS.to_vec()),
    ]
}

fn vectors() -> impl Strategy<Value = (Vec<f32>, Vec<f32>, Vec<f32>, usize)> {
    (0usize..700, 0usize..16).prop_flat_map(|(n, off)| {
        (
            prop::collection::vec(any_f32(), n + off),
            prop::collection::vec(any_f32(), n + off),
            prop::collection::vec(any_f32(), n + off),
            Just(off),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn elementwise_ops_are_bit_exact_everywhere((a, b, c, off) in vectors()) {
        let (a, b, c) = (ArrayView1::from(&a[off..]), ArrayView1::from(&b[off..]), ArrayView1::from(&c[off..]));
        let idiom_fma: Vec<f32> = a.iter().zip(&b).zip(&c).map(|((x, y), z)| x.mul_add(*y, *z)).collect();
        let idiom_lerp: Vec<f32> = a.iter().zip(&b).map(|(&x, &y)| x + 0.6 * (y - x)).collect();
        for backend in available_backends() {
            with_backend(backend, || {
                assert_same_slices("add", a.simd_add(&b).as_slice().unwrap(), (&a + &b).as_slice().unwrap());
                assert_same_slices("div", a.simd_div(&b).as_slice().unwrap(), (&a / &b).as_slice().unwrap());
                assert_same_slices("fma", a.simd_fma(&b, &c).as_slice().unwrap(), &idiom_fma);
                assert_same_slices("lerp", a.simd_lerp(&b, 0.6).as_slice().unwrap(), &idiom_lerp);
            }).unwrap();
        }
    }

    #[test]
    fn reductions_are_bit_exact_everywhere((a, b, _c, off) in vectors()) {
        let (a, b) = (ArrayView1::from(&a[off..]), ArrayView1::from(&b[off..]));
        let reference = with_backend(Backend::Scalar, || {
            (a.simd_sum(), a.simd_dot(&b), a.simd_norm_l1(), a.simd_norm_l2(), a.simd_norm_linf(), a.simd_argmax(), a.simd_min())
        }).unwrap();
        for backend in available_backends() {
            let got = with_backend(backend, || {
                (a.simd_sum(), a.simd_dot(&b), a.simd_norm_l1(), a.simd_norm_l2(), a.simd_norm_linf(), a.simd_argmax(), a.simd_min())
            }).unwrap();
            prop_assert!(same(got.0, reference.0), "{backend} sum");
            prop_assert!(same(got.1, reference.1), "{backend} dot");
            prop_assert!(same(got.2, reference.2), "{backend} l1");
            prop_assert!(same(got.3, reference.3), "{backend} l2");
            prop_assert!(same(got.4, reference.4), "{backend} linf");
            prop_assert_eq!(got.5, reference.5);
            prop_assert_eq!(got.6.map(f32::to_bits), reference.6.map(f32::to_bits));
        }
    }

    #[test]
    fn sums_follow_the_canonical_order(
        (a, b) in (0usize..2600).prop_flat_map(|n| (
            prop::collection::vec(any_f32(), n),
            prop::collection::vec(any_f32(), n),
        )),
    ) {
        // The contiguous path (one block, or the state over blocks) and the strided one
        // (logical-order chunks) against the plain model of the order.
        let products: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x * y).collect();
        let abs: Vec<f32> = a.iter().map(|x| x.abs()).collect();
        let want = (common::canonical_sum(&a), common::canonical_sum(&products), common::canonical_sum(&abs));
        let interleaved: Vec<f32> = a.iter().flat_map(|&x| [x, 7.0]).collect();
        let strided = ArrayView1::from(&interleaved[..]).slice_move(ndarray::s![..;2]);
        let (a, b) = (ArrayView1::from(&a[..]), ArrayView1::from(&b[..]));
        for backend in available_backends() {
            with_backend(backend, || {
                prop_assert!(same(a.simd_sum(), want.0), "{backend} sum");
                prop_assert!(same(strided.simd_sum(), want.0), "{backend} strided sum");
                prop_assert!(same(a.simd_dot(&b), want.1), "{backend} dot");
                prop_assert!(same(strided.simd_dot(&b), want.1), "{backend} strided dot");
                prop_assert!(same(a.simd_norm_l1(), want.2), "{backend} norm_l1");
                Ok(())
            }).unwrap()?;
        }
    }

    #[test]
    fn argmax_matches_ndarray_stats(v in prop::collection::vec(-50i32..50, 1..400)) {
        use ndarray_stats::QuantileExt;
        let a = Array1::from_iter(v.iter().map(|&x| x as f32 * 0.5));
        prop_assert_eq!(a.simd_argmax().unwrap(), a.argmax().unwrap());
        prop_assert_eq!(a.simd_argmin().unwrap(), a.argmin().unwrap());
    }
}

/// Long sums read their full blocks from vector-aligned addresses, turning the
/// accumulators to match when the data starts between two vector boundaries: from every
/// start offset (and with `a` and `b` apart), the bits must stay those of the canonical
/// order, on every backend.
#[test]
fn long_sums_from_every_start_offset_follow_the_canonical_order() {
    let values = |seed: usize, n: usize| -> Vec<f32> {
        (0..n)
            .map(|i| {
                let k = i * 7 + seed;
                // Magnitudes over six decades, so that any change of order shows.
                (k as f32 * 0.37).sin() * 10f32.powi((k % 7) as i32 - 3)
            })
            .collect()
    };
    for n in [512, 1024, 1537, 4099, 9000] {
        for a_off in 0..16 {
            for b_off in [a_off, (a_off + 5) % 16] {
                let a_buf = values(1, n + 16);
                let b_buf = values(2, n + 16);
                let (a, b) = (&a_buf[a_off..a_off + n], &b_buf[b_off..b_off + n]);
                let products: Vec<f32> = a.iter().zip(b).map(|(x, y)| x * y).collect();
                let abs: Vec<f32> = a.iter().map(|x| x.abs()).collect();
                let want = (
                    common::canonical_sum(a),
                    common::canonical_sum(&products),
                    common::canonical_sum(&abs),
                );
                let (a, b) = (ArrayView1::from(a), ArrayView1::from(b));
                let norm_l2 = with_backend(Backend::Scalar, || a.simd_norm_l2()).unwrap();
                for backend in available_backends() {
                    with_backend(backend, || {
                        let ctx = format!("{backend} n={n} offsets {a_off}, {b_off}");
                        assert!(same(a.simd_sum(), want.0), "{ctx}: sum");
                        assert!(same(a.simd_dot(&b), want.1), "{ctx}: dot");
                        assert!(same(a.simd_norm_l1(), want.2), "{ctx}: norm_l1");
                        assert!(same(a.simd_norm_l2(), norm_l2), "{ctx}: norm_l2");
                    })
                    .unwrap();
                }
            }
        }
    }
}

/// Reductions reading 10 MB or more switch to 256-bit kernels inside the AVX-512 backend;
/// the bits stay those of every other backend (and of the canonical order).
#[test]
fn reductions_past_the_streaming_threshold_keep_their_bits() {
    let n: usize = 3 << 20;
    let a: Vec<f32> = (0..n)
        .map(|i| (i as f32 * 0.37).sin() * 10f32.powi((i % 7) as i32 - 3))
        .collect();
    let b: Vec<f32> = a.iter().rev().copied().collect();
    let want_sum = common::canonical_sum(&a);
    let products: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x * y).collect();
    let want_dot = common::canonical_sum(&products);
    let (a, b) = (ArrayView1::from(&a[..]), ArrayView1::from(&b[..]));
    let reference = with_backend(Backend::Scalar, || {
        (
            a.simd_norm_l1(),
            a.simd_norm_l2(),
            a.simd_max(),
            a.simd_norm_linf(),
            a.simd_argmin(),
        )
    })
    .unwrap();
    for backend in available_backends() {
        with_backend(backend, || {
            assert!(same(a.simd_sum(), want_sum), "{backend} sum");
            assert!(same(a.simd_dot(&b), want_dot), "{backend} dot");
            let got = (
                a.simd_norm_l1(),
                a.simd_norm_l2(),
                a.simd_max(),
                a.simd_norm_linf(),
                a.simd_argmin(),
            );
            assert!(same(got.0, reference.0), "{backend} norm_l1");
            assert!(same(got.1, reference.1), "{backend} norm_l2");
            assert_eq!(got.2, reference.2, "{backend} max");
            assert!(same(got.3, reference.3), "{backend} norm_linf");
            assert_eq!(got.4, reference.4, "{backend} argmin");
        })
        .unwrap();
    }
}
