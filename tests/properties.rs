//! Property tests: arbitrary bit patterns and lengths, every backend equal to scalar and
//! to the idiom.

mod common;

use common::{assert_same_slices, same};
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis};
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

/// Kinds of 2-D operand of logical shape (r, c) built from `data`: C, transposed, every
/// other column, both axes reversed, a broadcast row, a broadcast column, every other row
/// with its columns reversed.
const KINDS: usize = 7;

/// The array that operand `kind` of shape (r, c) views (values from `data`, repeated).
fn base(kind: usize, r: usize, c: usize, data: &[f32]) -> Array2<f32> {
    let shape = match kind {
        1 => (c, r),
        2 => (r, 2 * c),
        4 => (1, c),
        5 => (r, 1),
        6 => (2 * r, c),
        _ => (r, c),
    };
    Array2::from_shape_fn(shape, |(i, j)| data[(i * shape.1 + j) % data.len()])
}

/// Operand `kind` of shape (r, c), viewing `base(kind, ...)`.
fn operand(kind: usize, r: usize, c: usize, base: &Array2<f32>) -> ArrayView2<'_, f32> {
    match kind {
        1 => base.t(),
        2 => base.slice(s![.., ..;2]),
        3 => base.slice(s![..;-1, ..;-1]),
        4 | 5 => base.broadcast((r, c)).unwrap(),
        6 => base.slice(s![..;2, ..;-1]),
        _ => base.view(),
    }
}

/// A mutable operand of kind `kind` (not a broadcast one) of shape (r, c).
fn target(kind: usize, base: &mut Array2<f32>) -> ArrayViewMut2<'_, f32> {
    match kind {
        1 => base.view_mut().reversed_axes(),
        2 => base.slice_mut(s![.., ..;2]),
        3 => base.slice_mut(s![..;-1, ..;-1]),
        6 => base.slice_mut(s![..;2, ..;-1]),
        _ => base.view_mut(),
    }
}

fn values_of(a: ndarray::ArrayView2<'_, f32>) -> Vec<f32> {
    a.iter().copied().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Element-wise ops, in place too, and axis reductions on every pair of layouts
    /// (gathered lanes, coalesced rows, tiled broadcasts, blocked transposed gathers,
    /// stride-2 kernels, memory order), bit for bit against ndarray on every backend.
    #[test]
    fn layouts_match_the_idiom(
        (r, c) in (1usize..40, 1usize..40),
        (ka, kb, kt) in (0..KINDS, 0..KINDS, prop::sample::select(vec![0usize, 1, 2, 3, 6])),
        data in prop::collection::vec(any_f32(), 1..64),
    ) {
        let (base_a, base_b) = (base(ka, r, c, &data), base(kb, r, c, &data[data.len() / 2..]));
        let (a, b) = (operand(ka, r, c, &base_a), operand(kb, r, c, &base_b));
        let running_max = |lane: ArrayView1<'_, f32>| {
            lane.iter().fold(f32::NEG_INFINITY, |m, &x| if x.is_nan() || m < x { x } else { m })
        };
        for backend in available_backends() {
            with_backend(backend, || {
                let what = format!("{backend} {r}x{c} kinds {ka} {kb} {kt}");
                assert_same_slices(&format!("{what} add"), &values_of(a.simd_add(&b).view()), &values_of((&a + &b).view()));
                assert_same_slices(&format!("{what} mul"), &values_of(a.simd_mul(&b).view()), &values_of((&a * &b).view()));
                let want: Vec<f32> = a.iter().zip(&b).map(|(&x, &y)| x.mul_add(y, x)).collect();
                assert_same_slices(&format!("{what} fma"), &values_of(a.simd_fma(&b, &a).view()), &want);
                let mut mine = base(kt, r, c, &data);
                let mut theirs = mine.clone();
                target(kt, &mut mine).simd_sub_assign(&b);
                let mut t = target(kt, &mut theirs);
                t -= &b;
                assert_same_slices(&format!("{what} -="), &values_of(mine.view()), &values_of(theirs.view()));
                for axis in [Axis(0), Axis(1)] {
                    let got = a.simd_max_axis(axis);
                    let want = a.map_axis(axis, running_max);
                    assert_same_slices(&format!("{what} max {axis:?}"), got.as_slice_memory_order().unwrap(), &want.to_vec());
                }
            }).unwrap();
        }
    }

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
