//! Each `simd_*` method against the ndarray / ndarray-stats / `f32` idiom it replaces,
//! on C, F, transposed, strided, reversed and broadcast arrays, and the panics.

mod common;

use common::{assert_same_slices, same, sum_bound, Rng};
use ndarray::{
    arr0, s, Array, Array1, Array2, Array3, ArrayView, ArrayView1, ArrayView2, ArrayViewMut, Axis,
    Dimension, IxDyn, ShapeBuilder, SliceArg, Zip,
};
use ndarray_stats::QuantileExt;
use trueno::{available_backends, with_backend, MinMaxError, TruenoExt};

fn bits_eq<D: ndarray::Dimension>(what: &str, got: &Array<f32, D>, want: &Array<f32, D>) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    let g: Vec<f32> = got.iter().copied().collect();
    let w: Vec<f32> = want.iter().copied().collect();
    assert_same_slices(what, &g, &w);
}

fn matrix(rng: &mut Rng, r: usize, c: usize, wild: bool) -> Array2<f32> {
    let v = if wild {
        rng.vec(r * c, Rng::wild)
    } else {
        rng.vec(r * c, Rng::finite)
    };
    Array2::from_shape_vec((r, c), v).unwrap()
}

/// A set of 2-D views with the same logical shape (5 x 7) and different layouts.
fn layouts(base: &Array2<f32>) -> Vec<(&'static str, ArrayView2<'_, f32>)> {
    assert_eq!(base.dim(), (10, 14));
    vec![
        ("C", base.slice(s![..5, ..7])),
        ("strided", base.slice(s![..;2, ..;2])),
        ("reversed", base.slice(s![..;-2, ..;-2])),
        ("transposed", base.slice(s![..7, ..5]).reversed_axes()),
        ("col-reversed", base.slice(s![3..8, ..7;-1])),
    ]
}

/// Runs `check` on every backend.
fn each_backend(mut check: impl FnMut(&str)) {
    for b in available_backends() {
        with_backend(b, || check(b.name())).unwrap();
    }
}

#[test]
fn arithmetic_matches_operators_with_broadcasting() {
    let mut rng = Rng::new(10);
    let base_a = matrix(&mut rng, 10, 14, true);
    let base_b = matrix(&mut rng, 10, 14, true);
    let row = Array1::from(rng.vec(7, Rng::wild));
    let col = Array2::from_shape_vec((5, 1), rng.vec(5, Rng::wild)).unwrap();
    let scalar = arr0(1.75f32);
    let f_order = Array2::from_shape_vec((5, 7).f(), rng.vec(35, Rng::wild)).unwrap();
    each_backend(|be| {
        for (la, a) in layouts(&base_a) {
            for (lb, b) in layouts(&base_b).into_iter().chain([("F", f_order.view())]) {
                let ctx = format!("{be} {la}+{lb}");
                bits_eq(&format!("{ctx} add"), &a.simd_add(&b), &(&a + &b));
                bits_eq(&format!("{ctx} sub"), &a.simd_sub(&b), &(&a - &b));
                bits_eq(&format!("{ctx} mul"), &a.simd_mul(&b), &(&a * &b));
                bits_eq(&format!("{ctx} div"), &a.simd_div(&b), &(&a / &b));
            }
            bits_eq(&format!("{be} {la} + row"), &a.simd_add(&row), &(&a + &row));
            bits_eq(&format!("{be} row - {la}"), &row.simd_sub(&a), &(&row - &a));
            bits_eq(&format!("{be} {la} * col"), &a.simd_mul(&col), &(&a * &col));
            bits_eq(&format!("{be} col / {la}"), &col.simd_div(&a), &(&col / &a));
            bits_eq(
                &format!("{be} {la} / scalar"),
                &a.simd_div(&scalar),
                &(&a / &scalar),
            );
            bits_eq(
                &format!("{be} scalar - {la}"),
                &scalar.simd_sub(&a),
                &(&scalar - &a),
            );
        }
        // co-broadcasting: (5,1) with (7,) -> (5,7); 3-D with 1-D.
        bits_eq(
            &format!("{be} col+row"),
            &col.simd_add(&row),
            &(&col + &row),
        );
        let cube =
            Array3::from_shape_vec((3, 5, 7), (0..105).map(|i| i as f32 * 0.1).collect()).unwrap();
        bits_eq(
            &format!("{be} cube*row"),
            &cube.simd_mul(&row),
            &(&cube * &row),
        );
        let dynamic = cube.clone().into_dyn();
        bits_eq(
            &format!("{be} dyn-col"),
            &dynamic.simd_sub(&col),
            &(&dynamic - &col),
        );
    });
}

#[test]
fn unary_ops_match_f32_methods() {
    let mut rng = Rng::new(11);
    let base = matrix(&mut rng, 10, 14, true);
    each_backend(|be| {
        for (l, a) in layouts(&base) {
            let ctx = format!("{be} {l}");
            bits_eq(&format!("{ctx} abs"), &a.simd_abs(), &a.mapv(f32::abs));
            bits_eq(&format!("{ctx} scale"), &a.simd_scale(0.7), &(&a * 0.7));
            bits_eq(
                &format!("{ctx} clamp"),
                &a.simd_clamp(-3.0, 0.5),
                &a.mapv(|x| x.clamp(-3.0, 0.5)),
            );
            bits_eq(
                &format!("{ctx} clamp -0"),
                &a.simd_clamp(-0.0, 0.0),
                &a.mapv(|x| x.clamp(-0.0, 0.0)),
            );
            let relu = a.mapv(|x| if x > 0.0 || x.is_nan() { x } else { 0.0 });
            bits_eq(&format!("{ctx} relu"), &a.simd_relu(), &relu);
            let mut m = a.to_owned();
            m.simd_abs_inplace();
            bits_eq(&format!("{ctx} abs_inplace"), &m, &a.mapv(f32::abs));
            let mut m = a.to_owned();
            m.simd_relu_inplace();
            bits_eq(&format!("{ctx} relu_inplace"), &m, &relu);
        }
    });
}

#[test]
fn relu_keeps_nan_and_zeroes_negative_zero() {
    let a = ndarray::array![f32::NAN, -0.0, 0.0, -1.0, 2.0, f32::NEG_INFINITY];
    let r = a.simd_relu();
    assert!(r[0].is_nan());
    assert_eq!(r[1].to_bits(), 0.0f32.to_bits());
    assert_eq!(r.slice(s![2..]).to_vec(), vec![0.0, 0.0, 2.0, 0.0]);
}

#[test]
fn lerp_and_fma_match_their_formulas() {
    let mut rng = Rng::new(12);
    let (ba, bb, bc) = (
        matrix(&mut rng, 10, 14, true),
        matrix(&mut rng, 10, 14, true),
        matrix(&mut rng, 10, 14, true),
    );
    each_backend(|be| {
        for ((la, a), ((lb, b), (_, c))) in layouts(&ba)
            .into_iter()
            .zip(layouts(&bb).into_iter().rev().zip(layouts(&bc)))
        {
            let ctx = format!("{be} {la}/{lb}");
            let lerp = Zip::from(&a)
                .and(&b)
                .map_collect(|&x, &y| x + 0.3 * (y - x));
            bits_eq(&format!("{ctx} lerp"), &a.simd_lerp(&b, 0.3), &lerp);
            let fma = Zip::from(&a)
                .and(&b)
                .and(&c)
                .map_collect(|&x, &y, &z| x.mul_add(y, z));
            bits_eq(&format!("{ctx} fma"), &a.simd_fma(&b, &c), &fma);
            let mut m = a.to_owned();
            m.simd_lerp_inplace(&b, 0.3);
            bits_eq(&format!("{ctx} lerp_inplace"), &m, &lerp);
            let mut m = a.to_owned();
            m.simd_fma_inplace(&b, &c);
            bits_eq(&format!("{ctx} fma_inplace"), &m, &fma);
        }
    });
}

#[test]
fn in_place_ops_on_strided_and_transposed_views() {
    let mut rng = Rng::new(13);
    let rhs = Array1::from(rng.vec(7, Rng::wild));
    let col = Array2::from_shape_vec((5, 1), rng.vec(5, Rng::wild)).unwrap();
    each_backend(|be| {
        let base = matrix(&mut Rng::new(14), 10, 14, true);
        for (l, view) in layouts(&base) {
            let want = &view + &rhs;
            let mut target = base.clone();
            // Build the same view on a mutable copy.
            let mut v = match l {
                "C" => target.slice_mut(s![..5, ..7]),
                "strided" => target.slice_mut(s![..;2, ..;2]),
                "reversed" => target.slice_mut(s![..;-2, ..;-2]),
                "transposed" => target.slice_mut(s![..7, ..5]).reversed_axes(),
                _ => target.slice_mut(s![3..8, ..7;-1]),
            };
            v.simd_add_assign(&rhs);
            bits_eq(&format!("{be} {l} add_assign"), &v.to_owned(), &want);
            v.simd_mul_assign(&col);
            bits_eq(
                &format!("{be} {l} mul_assign"),
                &v.to_owned(),
                &(&want * &col),
            );
            v.simd_sub_assign(&arr0(1.0f32));
            v.simd_div_assign(&arr0(4.0f32));
            bits_eq(
                &format!("{be} {l} sub/div_assign"),
                &v.to_owned(),
                &((&want * &col - 1.0) / 4.0),
            );
            v.simd_scale_inplace(2.0);
            v.simd_clamp_inplace(-1.0, 1.0);
            bits_eq(
                &format!("{be} {l} scale/clamp"),
                &v.to_owned(),
                &((&want * &col - 1.0) / 4.0 * 2.0).mapv(|x| x.clamp(-1.0, 1.0)),
            );
        }
        // Elements outside the view are untouched.
        let mut target = base.clone();
        target
            .slice_mut(s![..;2, ..;2])
            .simd_add_assign(&arr0(1.0f32));
        bits_eq(
            &format!("{be} untouched"),
            &target.slice(s![1..;2, ..]).to_owned(),
            &base.slice(s![1..;2, ..]).to_owned(),
        );
    });
}

#[test]
fn max_min_argmax_argmin_match_ndarray_stats() {
    let mut rng = Rng::new(15);
    let base = matrix(&mut rng, 10, 14, false);
    let mut ties = Array2::<f32>::zeros((10, 14));
    ties[[3, 4]] = -0.0;
    ties[[1, 2]] = 5.0;
    ties[[6, 1]] = 5.0;
    ties[[0, 9]] = -3.0;
    ties[[8, 8]] = -3.0;
    let mut zeros = Array2::<f32>::zeros((10, 14));
    zeros.slice_mut(s![..2, ..]).fill(-0.0);
    each_backend(|be| {
        for b in [&base, &ties, &zeros] {
            for (l, a) in layouts(b) {
                let ctx = format!("{be} {l}");
                let stats_err = |_| MinMaxError::UndefinedOrder;
                assert_eq!(
                    a.simd_argmax(),
                    a.argmax().map_err(stats_err),
                    "{ctx} argmax"
                );
                assert_eq!(
                    a.simd_argmin(),
                    a.argmin().map_err(stats_err),
                    "{ctx} argmin"
                );
                assert!(same(a.simd_max().unwrap(), *a.max().unwrap()), "{ctx} max");
                assert!(same(a.simd_min().unwrap(), *a.min().unwrap()), "{ctx} min");
            }
        }
        let mut with_nan = base.clone();
        with_nan[[9, 13]] = f32::NAN;
        assert_eq!(
            with_nan.simd_argmax(),
            Err(MinMaxError::UndefinedOrder),
            "{be}"
        );
        assert_eq!(
            with_nan.simd_min(),
            Err(MinMaxError::UndefinedOrder),
            "{be}"
        );
        assert!(with_nan.max().is_err());
        let empty = Array2::<f32>::zeros((0, 3));
        assert_eq!(empty.simd_max(), Err(MinMaxError::EmptyInput));
        assert_eq!(empty.simd_argmin(), Err(MinMaxError::EmptyInput));
        let dynamic = base.clone().into_dyn();
        let (i, j) = base.argmax().unwrap();
        assert_eq!(dynamic.simd_argmax().unwrap(), IxDyn(&[i, j]));
        assert_eq!(arr0(4.0f32).simd_argmax(), Ok(()));
    });
}

#[test]
fn small_arrays_argmax_argmin_match_ndarray_stats() {
    // Up to 32 elements take a plain scan; around that size both paths meet.
    let mut rng = Rng::new(77);
    for n in 1..=40usize {
        for case in 0..5 {
            // Few distinct values, so ties are everywhere.
            let mut v: Vec<f32> = (0..n).map(|_| (rng.unit() * 2.0).round()).collect();
            match case {
                1 => v.iter_mut().for_each(|x| {
                    if *x == 0.0 && rng.next_u64().is_multiple_of(2) {
                        *x = -0.0
                    }
                }),
                2 => v[(rng.next_u64() % n as u64) as usize] = f32::NAN,
                3 => v[n - 1] = f32::NAN,
                4 => v.iter_mut().for_each(|x| *x = f32::INFINITY * x.signum()),
                _ => {}
            }
            let a = Array1::from(v);
            let b = a.view().into_shape_with_order((1, n)).unwrap();
            each_backend(|be| {
                let err = |_| MinMaxError::UndefinedOrder;
                let ctx = format!("{be} n={n} case {case} {a:?}");
                assert_eq!(a.simd_argmax(), a.argmax().map_err(err), "{ctx}");
                assert_eq!(a.simd_argmin(), a.argmin().map_err(err), "{ctx}");
                assert_eq!(b.simd_argmax(), b.argmax().map_err(err), "{ctx}");
                assert_eq!(b.simd_argmin(), b.argmin().map_err(err), "{ctx}");
            });
        }
    }
}

#[test]
fn first_index_wins_on_long_ties() {
    for n in [1, 7, 8, 9, 16, 17, 100, 1000, 4099] {
        for pos in [0, n / 3, n - 1] {
            let mut v = vec![1.0f32; n];
            v[pos] = 2.0;
            if pos + 1 < n {
                v[n - 1] = 2.0;
            }
            let a = Array1::from(v);
            each_backend(|be| {
                assert_eq!(a.simd_argmax(), Ok(pos), "{be} n={n}");
                let first_one = usize::from(pos == 0 && n > 1);
                assert_eq!(a.simd_argmin(), Ok(first_one), "{be} n={n}");
            });
        }
    }
}

#[test]
fn argmax_over_many_blocks_matches_ndarray_stats() {
    let mut rng = Rng::new(19);
    for n in [2047, 2048, 2049, 6000, 20_000] {
        // Few distinct values: many ties spread over many blocks, zeros of both signs.
        let v: Vec<f32> = (0..n)
            .map(|_| {
                [0.0, -0.0, 1.0, -1.0, 2.0, -2.0][(rng.next_u64() % 6) as usize]
                    * if rng.next_u64().is_multiple_of(97) {
                        3.0
                    } else {
                        1.0
                    }
            })
            .collect();
        let a = Array1::from(v);
        let zeros = Array1::from_shape_fn(n, |i| if i.is_multiple_of(3) { -0.0f32 } else { 0.0 });
        each_backend(|be| {
            for x in [&a, &zeros] {
                assert_eq!(x.simd_argmax().unwrap(), x.argmax().unwrap(), "{be} n={n}");
                assert_eq!(x.simd_argmin().unwrap(), x.argmin().unwrap(), "{be} n={n}");
                assert!(same(x.simd_max().unwrap(), *x.max().unwrap()), "{be} n={n}");
                assert!(same(x.simd_min().unwrap(), *x.min().unwrap()), "{be} n={n}");
            }
        });
    }
}

#[test]
fn sums_are_within_the_pairwise_bound() {
    let mut rng = Rng::new(16);
    for n in [0, 1, 31, 32, 33, 511, 513, 5000, 100_003] {
        let a = Array1::from(rng.vec(n, Rng::finite));
        let b = Array1::from(rng.vec(n, Rng::finite));
        each_backend(|be| {
            let (s, bound) = sum_bound(a.iter().map(|&x| x as f64));
            assert!((a.simd_sum() as f64 - s).abs() <= bound, "{be} sum n={n}");
            let (d, bound) = sum_bound(a.iter().zip(&b).map(|(&x, &y)| x as f64 * y as f64));
            assert!(
                (a.simd_dot(&b) as f64 - d).abs() <= bound * 2.0,
                "{be} dot n={n}"
            );
            let (l1, bound) = sum_bound(a.iter().map(|&x| (x as f64).abs()));
            assert!(
                (a.simd_norm_l1() as f64 - l1).abs() <= bound,
                "{be} l1 n={n}"
            );
            let l2 = a.iter().map(|&x| x as f64 * x as f64).sum::<f64>().sqrt();
            assert!(
                (a.simd_norm_l2() as f64 - l2).abs() <= l2 * 1e-5 + 1e-38,
                "{be} l2 n={n}"
            );
            let linf = a.iter().fold(0.0f32, |m, &x| m.max(x.abs()));
            assert_eq!(a.simd_norm_linf(), linf, "{be} linf n={n}");
        });
    }
}

#[test]
fn summing_a_million_tenths_is_accurate() {
    // 2^22 copies of 0.1: a naive left-to-right f32 sum is off by ~7%; pairwise stays
    // within a few ulps, like NumPy's.
    let a = Array1::from_elem(1 << 22, 0.1f32);
    let exact = (1u64 << 22) as f64 * 0.1f32 as f64;
    each_backend(|be| {
        let rel = (a.simd_sum() as f64 - exact).abs() / exact;
        assert!(rel < 3e-6, "{be}: relative error {rel:e}");
        let rel = (a.simd_dot(&Array1::from_elem(1 << 22, 1.0f32)) as f64 - exact).abs() / exact;
        assert!(rel < 3e-6, "{be}: dot relative error {rel:e}");
    });
}

#[test]
fn norm_l2_neither_overflows_nor_underflows() {
    each_backend(|be| {
        let big = Array1::from_elem(1000, 1e30f32);
        let want = 1e30 * 1000f64.sqrt();
        assert!(
            (big.simd_norm_l2() as f64 - want).abs() / want < 1e-6,
            "{be} big {}",
            big.simd_norm_l2()
        );
        let tiny = Array1::from_elem(1000, 1e-30f32);
        let want = 1e-30 * 1000f64.sqrt();
        assert!(
            (tiny.simd_norm_l2() as f64 - want).abs() / want < 1e-6,
            "{be} tiny {}",
            tiny.simd_norm_l2()
        );
        let sub = Array1::from_elem(64, 1e-44f32);
        let want = sub[0] as f64 * 8.0;
        assert!(
            (sub.simd_norm_l2() as f64 - want).abs() / want < 1e-6,
            "{be} subnormal {}",
            sub.simd_norm_l2()
        );
        assert_eq!(
            ndarray::array![f32::MAX, f32::MAX].simd_norm_l2(),
            f32::INFINITY
        );
        assert_eq!(ndarray::array![3e38f32, 0.0].simd_norm_l2(), 3e38);
        assert_eq!(
            ndarray::array![1.0f32, f32::NEG_INFINITY].simd_norm_l2(),
            f32::INFINITY
        );
        assert!(ndarray::array![1.0f32, f32::NAN, f32::INFINITY]
            .simd_norm_l2()
            .is_nan());
        assert_eq!(Array1::<f32>::zeros(0).simd_norm_l2(), 0.0);
        assert_eq!(Array1::<f32>::zeros(9).simd_norm_l2(), 0.0);
    });
}

#[test]
fn reductions_handle_special_values() {
    each_backend(|be| {
        let a = ndarray::array![1.0f32, f32::INFINITY, 2.0];
        assert_eq!(a.simd_sum(), f32::INFINITY, "{be}");
        assert_eq!(a.simd_norm_linf(), f32::INFINITY, "{be}");
        let b = ndarray::array![f32::INFINITY, f32::NEG_INFINITY];
        assert!(b.simd_sum().is_nan(), "{be}");
        let c = ndarray::array![1.0f32, f32::NAN, -5.0];
        assert!(c.simd_norm_linf().is_nan(), "{be}");
        assert!(c.simd_sum().is_nan(), "{be}");
        assert_eq!(Array1::<f32>::zeros(0).simd_sum(), 0.0);
        assert_eq!(Array1::<f32>::zeros(0).simd_norm_linf(), 0.0);
        assert_eq!(
            ndarray::array![-0.0f32, -0.0].simd_sum().to_bits(),
            (-0.0f32 + -0.0 + 0.0).to_bits()
        );
    });
}

#[test]
fn reductions_on_every_layout_agree_with_a_contiguous_copy() {
    let mut rng = Rng::new(17);
    let base = matrix(&mut rng, 10, 14, false);
    let other = matrix(&mut rng, 10, 14, false);
    each_backend(|be| {
        for ((l, a), (_, b)) in layouts(&base).into_iter().zip(layouts(&other)) {
            let ctx = format!("{be} {l}");
            let (ac, bc) = (a.as_standard_layout(), b.as_standard_layout());
            if l != "transposed" {
                assert!(same(a.simd_sum(), ac.simd_sum()), "{ctx} sum");
                assert!(same(a.simd_dot(&b), ac.simd_dot(&bc)), "{ctx} dot");
            }
            let (s, bound) = sum_bound(a.iter().map(|&x| x as f64));
            assert!((a.simd_sum() as f64 - s).abs() <= bound, "{ctx} sum bound");
            let (l1, bound) = sum_bound(a.iter().map(|&x| (x as f64).abs()));
            assert!(
                (a.simd_norm_l1() as f64 - l1).abs() <= bound,
                "{ctx} l1 bound"
            );
            assert_eq!(a.simd_norm_linf(), ac.simd_norm_linf(), "{ctx} linf");
        }
    });
}

/// Sums and maxima over an outer axis fold whole rows in order (many rows per kernel
/// call, column passes of every width, blocks of rows): the bits of ndarray's
/// `sum_axis` and of a running maximum in which NaN sticks and ties keep the first
/// value, on special values, C, F, reversed and 3-D layouts. Along the contiguous axis,
/// each lane's own `simd_sum` and the same running maximum.
#[test]
fn outer_axis_reductions_fold_rows_like_ndarray() {
    let mut rng = Rng::new(23);
    let running_max = |lane: ArrayView1<'_, f32>| {
        lane.iter().fold(
            f32::NEG_INFINITY,
            |m, &x| {
                if x.is_nan() || m < x {
                    x
                } else {
                    m
                }
            },
        )
    };
    // Rows of 1 to 8 values one after another are totalled across rows (the short-row
    // kernels), longer ones one row at a time.
    let shapes = [
        (3000, 7),
        (300, 245),
        (40, 1000),
        (1, 33),
        (6, 0),
        (2500, 16),
        (700, 1),
        (700, 2),
        (700, 3),
        (700, 4),
        (700, 5),
        (700, 6),
        (700, 8),
        (700, 9),
    ];
    // Special values (NaN, ±∞, ±0, subnormals, huge), and finite ones, whose sums show
    // the order of the additions in their bits.
    let arrays: Vec<Array2<f32>> = shapes
        .iter()
        .flat_map(|&(r, c)| [matrix(&mut rng, r, c, true), matrix(&mut rng, r, c, false)])
        .collect();
    let cube = Array3::from_shape_vec((30, 20, 11).f(), rng.vec(6600, Rng::wild)).unwrap();
    // Ties of the two zeros: the first one stays.
    let mut ties = Array2::from_elem((40, 33), -1.0f32);
    for j in 0..33 {
        let (first, second) = if j % 2 == 0 { (-0.0, 0.0) } else { (0.0, -0.0) };
        ties[[3 + j % 5, j]] = first;
        ties[[20 + j % 7, j]] = second;
    }
    let ties_in_rows = ties.t().as_standard_layout().into_owned();
    let short_row = ndarray::array![[-1.0f32, 0.0, -1.0, -1.0, -0.0, -1.0, -1.0, -1.0]];
    each_backend(|be| {
        let want = ties.map_axis(Axis(0), running_max);
        assert_eq!(want[0].to_bits(), (-0.0f32).to_bits());
        bits_eq(&format!("{be} ties"), &ties.simd_max_axis(Axis(0)), &want);
        for t in [&ties_in_rows, &short_row] {
            bits_eq(
                &format!("{be} ties along rows"),
                &t.simd_max_axis(Axis(1)),
                &t.map_axis(Axis(1), running_max),
            );
        }
        for a in &arrays {
            let f_order = a.t().as_standard_layout().reversed_axes().to_owned();
            // (A column vector summed along axis 0 is one lane, pairwise here; ndarray,
            // counting its length-1 axis, adds its rows one by one: documented at
            // `is_min_stride_axis`.)
            let mut views = if a.ncols() == 1 {
                vec![]
            } else {
                vec![
                    ("C axis 0", a.view(), 0),
                    ("reversed rows axis 0", a.slice(s![..;-1, ..]), 0),
                ]
            };
            // (With one row, ndarray takes axis 1 of the F array as its lane axis.)
            if a.nrows() > 1 {
                views.push(("F axis 1", f_order.view(), 1));
            }
            // Along the contiguous axis: each lane's `simd_sum` (all lanes of one block at
            // most in one kernel call), rows one after another, every other, reversed.
            for (what, v) in [
                ("C", a.view()),
                ("every other row", a.slice(s![..;2, ..])),
                ("reversed rows", a.slice(s![..;-1, ..])),
            ] {
                let ctx = format!("{be} {:?} {what} axis 1", a.dim());
                bits_eq(
                    &format!("{ctx} sum"),
                    &v.simd_sum_axis(Axis(1)),
                    &v.map_axis(Axis(1), |lane| lane.simd_sum()),
                );
                bits_eq(
                    &format!("{ctx} max"),
                    &v.simd_max_axis(Axis(1)),
                    &v.map_axis(Axis(1), running_max),
                );
            }
            for (what, v, ax) in views {
                let ctx = format!("{be} {:?} {what}", a.dim());
                bits_eq(
                    &format!("{ctx} sum"),
                    &v.simd_sum_axis(Axis(ax)),
                    &v.sum_axis(Axis(ax)),
                );
                bits_eq(
                    &format!("{ctx} max"),
                    &v.simd_max_axis(Axis(ax)),
                    &v.map_axis(Axis(ax), running_max),
                );
            }
        }
        // (Axis 0 has the smallest stride: pairwise sums per lane, not ndarray's.)
        for ax in 1..3 {
            let ctx = format!("{be} F cube axis {ax}");
            bits_eq(
                &format!("{ctx} sum"),
                &cube.simd_sum_axis(Axis(ax)),
                &cube.sum_axis(Axis(ax)),
            );
            bits_eq(
                &format!("{ctx} max"),
                &cube.simd_max_axis(Axis(ax)),
                &cube.map_axis(Axis(ax), running_max),
            );
        }
    });
}

#[test]
fn axis_reductions_match_ndarray() {
    let mut rng = Rng::new(18);
    let base = matrix(&mut rng, 10, 14, false);
    let cube = Array3::from_shape_vec((4, 6, 9), rng.vec(216, Rng::finite)).unwrap();
    each_backend(|be| {
        for (l, a) in layouts(&base) {
            for ax in 0..2 {
                let ctx = format!("{be} {l} axis {ax}");
                let got = a.simd_sum_axis(Axis(ax));
                let want = a.sum_axis(Axis(ax));
                assert_eq!(got.shape(), want.shape(), "{ctx}");
                for (g, w) in got.iter().zip(&want) {
                    assert!(
                        (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
                        "{ctx} sum: {g} vs {w}"
                    );
                }
                let want = a.map_axis(Axis(ax), |lane| *lane.max().unwrap());
                bits_eq(&format!("{ctx} max"), &a.simd_max_axis(Axis(ax)), &want);
            }
        }
        for ax in 0..3 {
            let got = cube.simd_sum_axis(Axis(ax));
            let want = cube.sum_axis(Axis(ax));
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
                    "{be} cube axis {ax}"
                );
            }
            bits_eq(
                &format!("{be} cube max {ax}"),
                &cube.simd_max_axis(Axis(ax)),
                &cube.map_axis(Axis(ax), |l| *l.max().unwrap()),
            );
        }
        // Summing down columns adds whole rows in order, exactly like ndarray.
        bits_eq(
            &format!("{be} sum axis 0 exact"),
            &base.simd_sum_axis(Axis(0)),
            &base.sum_axis(Axis(0)),
        );
        let mut nan = base.clone();
        nan[[2, 3]] = f32::NAN;
        assert!(nan.simd_max_axis(Axis(0))[3].is_nan(), "{be}");
        assert!(nan.simd_max_axis(Axis(1))[2].is_nan(), "{be}");
        assert!(!nan.simd_max_axis(Axis(1))[3].is_nan(), "{be}");
        let empty = Array2::<f32>::zeros((0, 3));
        assert_eq!(empty.simd_sum_axis(Axis(0)), ndarray::array![0.0, 0.0, 0.0]);
        assert_eq!(
            empty.simd_max_axis(Axis(0)),
            Array1::from_elem(3, f32::NEG_INFINITY)
        );
    });
}

#[test]
#[should_panic(expected = "IncompatibleShape")]
fn incompatible_shapes_panic_like_ndarray() {
    let a = Array2::<f32>::zeros((3, 4));
    let b = Array1::<f32>::zeros(3);
    let _ = a.simd_add(&b);
}

#[test]
#[cfg(panic = "unwind")] // catches the panics (the wasm32 run uses panic=abort)
fn panic_message_is_ndarrays() {
    let a = Array2::<f32>::zeros((3, 4));
    let b = Array1::<f32>::zeros(3);
    let ours = std::panic::catch_unwind(|| a.simd_mul(&b)).unwrap_err();
    let theirs = std::panic::catch_unwind(|| &a * &b).unwrap_err();
    let text =
        |e: &Box<dyn std::any::Any + Send>| e.downcast_ref::<String>().cloned().unwrap_or_default();
    assert_eq!(text(&ours), text(&theirs));
    let mut m = Array2::<f32>::zeros((3, 4));
    let ours =
        std::panic::catch_unwind(move || m.simd_add_assign(&Array1::<f32>::zeros(3))).unwrap_err();
    let mut m = Array2::<f32>::zeros((3, 4));
    let theirs = std::panic::catch_unwind(move || m += &Array1::<f32>::zeros(3)).unwrap_err();
    assert_eq!(text(&ours), text(&theirs));
}

#[test]
#[should_panic(expected = "min > max, or either was NaN")]
fn clamp_panics_like_f32_clamp() {
    let _ = Array1::<f32>::zeros(3).simd_clamp(1.0, -1.0);
}

#[test]
#[should_panic(expected = "min > max, or either was NaN")]
fn clamp_panics_on_nan_bound() {
    Array1::<f32>::zeros(3).simd_clamp_inplace(f32::NAN, 1.0);
}

#[test]
#[should_panic(expected = "same shape")]
fn dot_needs_same_shape() {
    let _ = Array1::<f32>::zeros(3).simd_dot(&Array1::<f32>::zeros(4));
}

#[test]
#[should_panic(expected = "same shape")]
fn fma_needs_same_shape() {
    let a = Array1::<f32>::zeros(3);
    let _ = a.simd_fma(&Array1::<f32>::zeros(3), &Array1::<f32>::zeros(2));
}

/// Rows short enough to be handed to the kernels several at a time (a broadcast row
/// tiled in a buffer), with a last group of fewer rows, for every operator and operand
/// order; per-block broadcasts in 3-D; and rows too long to group.
#[test]
fn broadcast_rows_over_many_rows_match_the_operators() {
    let mut rng = Rng::new(21);
    for len in [1, 2, 3, 7, 31, 32, 33, 100, 511, 512, 513, 1000] {
        let rows = 3 * (1024 / len).max(1) + 1;
        let a = matrix(&mut rng, rows, len, true);
        let row = Array1::from(rng.vec(len, Rng::wild));
        each_backend(|be| {
            let ctx = format!("{be} {rows}x{len}");
            bits_eq(&format!("{ctx} + row"), &a.simd_add(&row), &(&a + &row));
            bits_eq(&format!("{ctx} row - a"), &row.simd_sub(&a), &(&row - &a));
            bits_eq(&format!("{ctx} * row"), &a.simd_mul(&row), &(&a * &row));
            bits_eq(&format!("{ctx} row / a"), &row.simd_div(&a), &(&row / &a));
            let b = row.broadcast(a.dim()).unwrap();
            let want = Zip::from(&a)
                .and(&b)
                .map_collect(|&x, &y| x + 0.25 * (y - x));
            bits_eq(&format!("{ctx} lerp"), &a.simd_lerp(&b, 0.25), &want);
            let want = Zip::from(&b)
                .and(&a)
                .and(&b)
                .map_collect(|&x, &y, &z| x.mul_add(y, z));
            bits_eq(&format!("{ctx} fma"), &b.simd_fma(&a, &b), &want);
            let mut target = a.clone();
            target.simd_sub_assign(&row);
            bits_eq(&format!("{ctx} -= row"), &target, &(&a - &row));
        });
    }
    // A different row for each block of a 3-D array, and a whole (rows x len) block
    // broadcast over the first axis.
    let cube = Array3::from_shape_vec((4, 50, 9), rng.vec(1800, Rng::wild)).unwrap();
    let per_block = Array3::from_shape_vec((4, 1, 9), rng.vec(36, Rng::wild)).unwrap();
    let block = Array2::from_shape_vec((50, 9), rng.vec(450, Rng::wild)).unwrap();
    each_backend(|be| {
        bits_eq(
            &format!("{be} cube + per-block row"),
            &cube.simd_add(&per_block),
            &(&cube + &per_block),
        );
        bits_eq(
            &format!("{be} cube * block"),
            &cube.simd_mul(&block),
            &(&cube * &block),
        );
        let mut target = cube.clone();
        target.simd_div_assign(&per_block);
        bits_eq(
            &format!("{be} cube /= per-block row"),
            &target,
            &(&cube / &per_block),
        );
    });
}

/// An operand that walks its lanes with a wide stride but holds the next lanes at the
/// next addresses (`C + transposed`) is gathered eight lanes at a time. The transposed
/// operand's lane step is the row count: 16 rows or more take that path (13 and 9 go lane
/// by lane, as controls), with lane counts that are and are not multiples of eight,
/// lanes of several gather chunks, reversed steps, three operands, a scalar, a broadcast
/// column gathered as values, in place into C and every-other-column targets, and 3-D.
#[test]
fn transposed_operands_gathered_in_blocks_match_the_idiom() {
    let mut rng = Rng::new(24);
    for (r, c) in [
        (13, 600),
        (20, 600),
        (16, 300),
        (300, 37),
        (64, 16),
        (9, 17),
        (1000, 20),
    ] {
        let a = matrix(&mut rng, r, c, true);
        let bt_base = matrix(&mut rng, c, r, true);
        let ct_base = matrix(&mut rng, c, r, true);
        let (bt, ct) = (bt_base.t(), ct_base.t());
        let wide = matrix(&mut rng, r, 2 * c, true);
        let col = Array2::from_shape_vec((r, 1), rng.vec(r, Rng::wild)).unwrap();
        each_backend(|be| {
            let ctx = format!("{be} {r}x{c}");
            bits_eq(&format!("{ctx} a + b.t()"), &a.simd_add(&bt), &(&a + &bt));
            bits_eq(&format!("{ctx} b.t() / a"), &bt.simd_div(&a), &(&bt / &a));
            let reversed = bt.slice(s![.., ..;-1]);
            bits_eq(
                &format!("{ctx} a * reversed"),
                &a.simd_mul(&reversed),
                &(&a * &reversed),
            );
            bits_eq(
                &format!("{ctx} b.t() - scalar"),
                &bt.simd_sub(&arr0(0.5f32)),
                &(&bt - 0.5),
            );
            let want = Zip::from(&a)
                .and(&bt)
                .and(&ct)
                .map_collect(|&x, &y, &z| x.mul_add(y, z));
            bits_eq(&format!("{ctx} fma"), &a.simd_fma(&bt, &ct), &want);
            let column = col.broadcast((r, c)).unwrap();
            let want = Zip::from(&bt)
                .and(&column)
                .and(&a)
                .map_collect(|&x, &y, &z| x.mul_add(y, z));
            bits_eq(
                &format!("{ctx} fma with a broadcast column"),
                &bt.simd_fma(&column, &a),
                &want,
            );
            let want = Zip::from(&bt)
                .and(&a)
                .map_collect(|&x, &y| x + 0.25 * (y - x));
            bits_eq(&format!("{ctx} lerp"), &bt.simd_lerp(&a, 0.25), &want);
            let mut t = a.clone();
            t.simd_add_assign(&bt);
            bits_eq(&format!("{ctx} += b.t()"), &t, &(&a + &bt));
            let mut t = wide.clone();
            t.slice_mut(s![.., ..;2]).simd_mul_assign(&bt);
            let mut want = wide.clone();
            want.slice_mut(s![.., ..;2])
                .zip_mut_with(&bt, |x, &y| *x *= y);
            bits_eq(&format!("{ctx} every other column *= b.t()"), &t, &want);
        });
    }
    let cube = Array3::from_shape_vec((3, 40, 24), rng.vec(2880, Rng::wild)).unwrap();
    let other = Array3::from_shape_vec((24, 3, 40), rng.vec(2880, Rng::wild)).unwrap();
    let permuted = other.view().permuted_axes([1, 2, 0]);
    each_backend(|be| {
        bits_eq(
            &format!("{be} cube + permuted"),
            &cube.simd_add(&permuted),
            &(&cube + &permuted),
        );
    });
}

/// Reductions over transposed operands (rows' values 16 or more apart, rows next to each
/// other), copied eight rows per pass in logical order: the bits of the same values in C
/// order, for row counts that are and are not multiples of eight, reversed columns, two
/// transposed operands with different strides, and one with gaps between its columns.
#[test]
fn transposed_reductions_match_their_contiguous_copies() {
    let mut rng = Rng::new(25);
    for (r, c) in [(16, 40), (21, 33), (300, 17), (9, 600), (1000, 3)] {
        let a = matrix(&mut rng, r, c, false);
        let bt_base = matrix(&mut rng, c, r, false);
        let wider = matrix(&mut rng, 2 * c, r + 5, false);
        let bt = bt_base.t();
        let other = wider.slice(s![..c, ..r]).reversed_axes();
        let gaps = wider.slice(s![..;2, ..r]).reversed_axes();
        each_backend(|be| {
            let ctx = format!("{be} {r}x{c}");
            let dot = |x: ArrayView2<'_, f32>, y: ArrayView2<'_, f32>| {
                (
                    x.simd_dot(&y).to_bits(),
                    x.to_owned().simd_dot(&y.to_owned()).to_bits(),
                )
            };
            let (got, want) = dot(a.view(), bt);
            assert_eq!(got, want, "{ctx} a . b.t()");
            let (got, want) = dot(bt.slice(s![.., ..;-1]), a.view());
            assert_eq!(got, want, "{ctx} reversed b.t() . a");
            let (got, want) = dot(bt, other);
            assert_eq!(got, want, "{ctx} two transposed");
            let g = gaps.to_owned();
            assert_eq!(
                gaps.simd_sum().to_bits(),
                g.simd_sum().to_bits(),
                "{ctx} sum"
            );
            assert_eq!(
                gaps.simd_norm_l2().to_bits(),
                g.simd_norm_l2().to_bits(),
                "{ctx} l2"
            );
            assert_eq!(gaps.simd_argmax(), g.simd_argmax(), "{ctx} argmax");
        });
    }
}

#[test]
fn broadcast_views_as_operands_of_same_shape_ops() {
    let a = Array2::from_shape_fn((4, 6), |(i, j)| i as f32 - j as f32 * 0.5);
    let row = Array1::from_shape_fn(6, |j| j as f32 + 0.25);
    let b = row.broadcast((4, 6)).unwrap();
    // Its smallest stride (0) is along axis 0, so summing along axis 1 adds the columns
    // one after another, as ndarray does; here the order shows in the bits.
    let order = ndarray::array![1.0e8f32, 3.0, -1.0e8, 3.0, 3.0, 3.0, 0.5, 7.0, 1.0e-3];
    let repeated = order.broadcast((5, 9)).unwrap();
    each_backend(|be| {
        bits_eq(
            &format!("{be} sum_axis of broadcast rows"),
            &repeated.simd_sum_axis(Axis(1)),
            &repeated.sum_axis(Axis(1)),
        );
        let want = Zip::from(&a)
            .and(&b)
            .and(&a)
            .map_collect(|&x, &y, &z| x.mul_add(y, z));
        bits_eq(&format!("{be} fma broadcast"), &a.simd_fma(&b, &a), &want);
        let want = Zip::from(&a)
            .and(&b)
            .map_collect(|&x, &y| x + 0.5 * (y - x));
        bits_eq(
            &format!("{be} lerp broadcast"),
            &a.simd_lerp(&b, 0.5),
            &want,
        );
        assert!(
            same(a.simd_dot(&b), a.simd_dot(&b.to_owned())),
            "{be} dot broadcast"
        );
        bits_eq(
            &format!("{be} abs of broadcast"),
            &b.simd_abs(),
            &b.mapv(f32::abs),
        );
    });
}

#[test]
fn empty_and_zero_dimensional_arrays() {
    let e = Array2::<f32>::zeros((0, 5));
    assert_eq!(e.simd_add(&Array1::<f32>::zeros(5)).shape(), &[0, 5]);
    assert_eq!(e.simd_abs().len(), 0);
    assert_eq!(e.simd_sum(), 0.0);
    let z = arr0(-2.0f32);
    assert_eq!(z.simd_abs(), arr0(2.0));
    assert_eq!(z.simd_sum(), -2.0);
    assert_eq!(
        z.simd_add(&Array1::from(vec![1.0f32, 2.0])),
        ndarray::array![-1.0, 0.0]
    );
}

#[test]
fn extremes_with_infinities_and_nan_match_ndarray_stats() {
    // Infinities are not NaN: the scans flag both cheaply and then check exactly, so an
    // infinity anywhere (in a full vector or a tail) must still give a value, a NaN an
    // error; also through norm_linf (which maps |x|).
    let mut rng = Rng::new(2024);
    for n in (1..=300usize).chain([511, 1000, 2049, 4099]) {
        for case in 0..5 {
            let mut v: Vec<f32> = (0..n).map(|_| rng.unit() * 10.0 - 5.0).collect();
            let at = (rng.next_u64() % n as u64) as usize;
            match case {
                0 => v[at] = f32::INFINITY,
                1 => v[at] = f32::NEG_INFINITY,
                2 => {
                    v[at] = f32::INFINITY;
                    v[(at + n / 2) % n] = f32::NAN;
                }
                3 => v[n - 1] = f32::NEG_INFINITY,
                // Among the first values (a peeled head, for most offsets).
                _ => v[n % 13 % n] = f32::NAN,
            }
            // From every start offset within 16 values (the scans peel a head up to a
            // vector boundary), the special value moved into that head too.
            let off = n % 16;
            let mut buf = vec![0.5f32; off];
            buf.extend(&v);
            let a = ArrayView1::from(&buf[off..]);
            let err = |_| MinMaxError::UndefinedOrder;
            let linf = a.iter().fold(0.0f32, |m, &x| {
                if m.is_nan() || x.is_nan() {
                    f32::NAN
                } else {
                    m.max(x.abs())
                }
            });
            each_backend(|be| {
                let ctx = format!("{be} n={n} case {case}");
                assert_eq!(a.simd_max(), a.max().copied().map_err(err), "{ctx} max");
                assert_eq!(a.simd_min(), a.min().copied().map_err(err), "{ctx} min");
                assert_eq!(a.simd_argmax(), a.argmax().map_err(err), "{ctx} argmax");
                assert_eq!(a.simd_argmin(), a.argmin().map_err(err), "{ctx} argmin");
                let got = a.simd_norm_linf();
                assert!(got == linf || got.is_nan() && linf.is_nan(), "{ctx} linf");
            });
        }
    }
}

/// Arrays that fill their memory without gaps in another order than C or F (all axes
/// reversed; axes permuted) map over memory, as `mapv` does: the same values as the
/// idiom, and a result with the input's strides.
#[test]
fn gapless_layouts_in_any_order_keep_their_strides() {
    let mut rng = Rng::new(19);
    let (a, b, c) = (
        matrix(&mut rng, 10, 14, true),
        matrix(&mut rng, 10, 14, true),
        matrix(&mut rng, 10, 14, false),
    );
    let cube = |rng: &mut Rng| Array3::from_shape_vec((3, 4, 5), rng.vec(60, Rng::wild)).unwrap();
    let (a3, b3) = (cube(&mut rng), cube(&mut rng));
    let line = Array1::from(rng.vec(300, Rng::wild));
    let line_b = Array1::from(rng.vec(300, Rng::wild));
    each_backend(|be| {
        let (ra, rb, rc) = (
            a.slice(s![..;-1, ..;-1]),
            b.slice(s![..;-1, ..;-1]),
            c.slice(s![..;-1, ..;-1]),
        );
        let keeps = |what: &str, got: &Array2<f32>, want: &Array2<f32>| {
            bits_eq(&format!("{be} reversed {what}"), got, want);
            assert_eq!(got.strides(), ra.strides(), "{be} reversed {what}: strides");
        };
        keeps("add", &ra.simd_add(&rb), &(&ra + &rb));
        keeps("div", &ra.simd_div(&rb), &(&ra / &rb));
        keeps("abs", &ra.simd_abs(), &ra.mapv(f32::abs));
        keeps("scale", &ra.simd_scale(-1.5), &(&ra * -1.5));
        keeps(
            "lerp",
            &ra.simd_lerp(&rb, 0.25),
            &Zip::from(&ra)
                .and(&rb)
                .map_collect(|&x, &y| x + 0.25 * (y - x)),
        );
        keeps(
            "fma",
            &ra.simd_fma(&rb, &rc),
            &Zip::from(&ra)
                .and(&rb)
                .and(&rc)
                .map_collect(|&x, &y, &z| x.mul_add(y, z)),
        );
        // Activations: the same bits as on the C-order copy.
        keeps("tanh", &ra.simd_tanh(), &ra.to_owned().simd_tanh());
        let (pa, pb) = (
            a3.view().permuted_axes([2, 0, 1]),
            b3.view().permuted_axes([2, 0, 1]),
        );
        let got = pa.simd_mul(&pb);
        bits_eq(&format!("{be} permuted mul"), &got, &(&pa * &pb));
        assert_eq!(got.strides(), pa.strides(), "{be} permuted mul: strides");
        let got = pa.simd_sigmoid();
        bits_eq(
            &format!("{be} permuted sigmoid"),
            &got,
            &pa.to_owned().simd_sigmoid(),
        );
        assert_eq!(
            got.strides(),
            pa.strides(),
            "{be} permuted sigmoid: strides"
        );
        let (la, lb) = (line.slice(s![..;-1]), line_b.slice(s![..;-1]));
        let got = la.simd_sub(&lb);
        bits_eq(&format!("{be} reversed line sub"), &got, &(&la - &lb));
        assert_eq!(
            got.strides(),
            la.strides(),
            "{be} reversed line sub: strides"
        );
        // Mixed orders still take the general path, with the idiom's values.
        bits_eq(&format!("{be} reversed + C"), &ra.simd_add(&b), &(&ra + &b));
    });
}

/// Every other value (stride 2: gathered by the kernels' `gather_even`, or in place run
/// by the kernels over every other value) at every length to 300 from starts 0, 1, 7 and
/// 13, and lanes of several gather chunks: element-wise ops, in place, and reductions.
#[test]
fn every_other_value_matches_the_idiom() {
    let mut rng = Rng::new(22);
    let a = Array1::from(rng.vec(2 * 2500 + 40, Rng::wild));
    let b = Array1::from(rng.vec(2 * 2500 + 40, Rng::wild));
    let finite = Array1::from(rng.vec(2 * 2500 + 40, Rng::finite));
    each_backend(|be| {
        for n in (0..=300).chain([1500, 2500]) {
            for start in [0, 1, 7, 13] {
                let end = start + 2 * n;
                let (x, y) = (a.slice(s![start..end;2]), b.slice(s![start..end;2]));
                assert_eq!(x.len(), n);
                let ctx = format!("{be} n={n} from {start}");
                bits_eq(&format!("{ctx} add"), &x.simd_add(&y), &(&x + &y));
                bits_eq(&format!("{ctx} abs"), &x.simd_abs(), &x.mapv(f32::abs));
                let mut target = b.clone();
                target.slice_mut(s![start..end;2]).simd_mul_assign(&x);
                let mut want = b.clone();
                want.slice_mut(s![start..end;2])
                    .zip_mut_with(&x, |t, &v| *t *= v);
                bits_eq(&format!("{ctx} mul_assign"), &target, &want);
                let cx = x.to_owned();
                assert!(same(x.simd_sum(), cx.simd_sum()), "{ctx} sum");
                let fx = finite.slice(s![start..end;2]);
                assert!(
                    same(fx.simd_sum(), fx.to_owned().simd_sum()),
                    "{ctx} finite sum"
                );
            }
        }
    });
}

/// An in-place op on a target view with operand views `y`, `z`: trueno's method, then the
/// ndarray idiom it replaces.
type InPlace<D> = fn(ArrayViewMut<'_, f32, D>, ArrayView<'_, f32, D>, ArrayView<'_, f32, D>);

/// Every element-wise in-place op that has kernels over every other value, with scalar
/// operands as 0-d arrays broadcast, next to its idiom.
fn in_place_ops<D: Dimension>() -> Vec<(&'static str, InPlace<D>, InPlace<D>)> {
    vec![
        (
            "+=",
            |mut t, y, _| t.simd_add_assign(&y),
            |mut t, y, _| t.zip_mut_with(&y, |a, &b| *a += b),
        ),
        (
            "-=",
            |mut t, y, _| t.simd_sub_assign(&y),
            |mut t, y, _| t.zip_mut_with(&y, |a, &b| *a -= b),
        ),
        (
            "*=",
            |mut t, y, _| t.simd_mul_assign(&y),
            |mut t, y, _| t.zip_mut_with(&y, |a, &b| *a *= b),
        ),
        (
            "/=",
            |mut t, y, _| t.simd_div_assign(&y),
            |mut t, y, _| t.zip_mut_with(&y, |a, &b| *a /= b),
        ),
        (
            "+= scalar",
            |mut t, _, _| t.simd_add_assign(&arr0(1.5f32)),
            |mut t, _, _| t.mapv_inplace(|a| a + 1.5),
        ),
        (
            "/= scalar",
            |mut t, _, _| t.simd_div_assign(&arr0(3.0f32)),
            |mut t, _, _| t.mapv_inplace(|a| a / 3.0),
        ),
        (
            "scale",
            |mut t, _, _| t.simd_scale_inplace(0.7),
            |mut t, _, _| t.mapv_inplace(|a| a * 0.7),
        ),
        (
            "abs",
            |mut t, _, _| t.simd_abs_inplace(),
            |mut t, _, _| t.mapv_inplace(f32::abs),
        ),
        (
            "relu",
            |mut t, _, _| t.simd_relu_inplace(),
            |mut t, _, _| t.mapv_inplace(|a| if a <= 0.0 { 0.0 } else { a }),
        ),
        (
            "clamp",
            |mut t, _, _| t.simd_clamp_inplace(-2.0, 2.0),
            |mut t, _, _| t.mapv_inplace(|a| a.clamp(-2.0, 2.0)),
        ),
        (
            "lerp",
            |mut t, y, _| t.simd_lerp_inplace(&y, 0.3),
            |mut t, y, _| t.zip_mut_with(&y, |a, &b| *a += 0.3 * (b - *a)),
        ),
        (
            "fma",
            |mut t, y, z| t.simd_fma_inplace(&y, &z),
            |mut t, y, z| {
                Zip::from(&mut t)
                    .and(&y)
                    .and(&z)
                    .for_each(|a, &b, &c| *a = a.mul_add(b, c))
            },
        ),
    ]
}

/// Every op of [`in_place_ops`] on the view `part` of copies of `t0`, with operands `y`,
/// `z`, against its idiom on another copy: the whole arrays must hold the same bits.
fn assert_in_place_ops_match<D: Dimension, I: SliceArg<D, OutDim = D> + Copy>(
    ctx: &str,
    t0: &Array<f32, D>,
    part: I,
    y: ArrayView<'_, f32, D>,
    z: ArrayView<'_, f32, D>,
) {
    for (op, simd, idiom) in in_place_ops::<D>() {
        let (mut got, mut want) = (t0.clone(), t0.clone());
        simd(got.slice_mut(part), y.view(), z.view());
        idiom(want.slice_mut(part), y.view(), z.view());
        bits_eq(&format!("{ctx} {op}"), &got, &want);
    }
}

/// In-place ops on every other value (every table's kernels over interleaved memory,
/// which must leave the values between alone), at every length to 300 and a few longer,
/// from even and odd starts, with operands every other value from either parity, and
/// contiguous (spread over every other value): the whole parent array must hold the
/// idiom's bits.
#[test]
fn in_place_ops_on_every_other_value_match_the_idiom() {
    let mut rng = Rng::new(23);
    let len = 2 * 1500 + 8;
    let (t0, y0, z0) = (
        Array1::from(rng.vec(len, Rng::wild)),
        Array1::from(rng.vec(len, Rng::wild)),
        Array1::from(rng.vec(len, Rng::wild)),
    );
    each_backend(|be| {
        for n in (0..=300).chain([777, 1500]) {
            for start in [0, 1] {
                let span = s![start..start + 2 * n;2];
                for from in [start, start + 1, usize::MAX] {
                    let (y, z) = if from == usize::MAX {
                        (y0.slice(s![..n]), z0.slice(s![5..5 + n]))
                    } else {
                        (
                            y0.slice(s![from..from + 2 * n;2]),
                            z0.slice(s![from..from + 2 * n;2]),
                        )
                    };
                    let ctx = format!("{be} n={n} from {start}, operands from {from}");
                    assert_in_place_ops_match(&ctx, &t0, span, y, z);
                }
            }
        }
    });
}

/// The same on every other column of 2-D arrays: of an even width (each row's values
/// `2 len` apart, taken as one run of the whole block) and an odd one (row by row), with
/// operands every other column, C (spread over every other value by the kernels), C with
/// reversed rows or columns, a broadcast row of every other value, and a broadcast
/// column.
#[test]
fn in_place_ops_on_every_other_column_match_the_idiom() {
    let mut rng = Rng::new(24);
    each_backend(|be| {
        for (rows, cols) in [(1, 8), (7, 40), (33, 64), (9, 301), (64, 2)] {
            let t0 = matrix(&mut rng, rows, cols, true);
            let (y0, z0) = (
                matrix(&mut rng, rows, cols, true),
                matrix(&mut rng, rows, cols, true),
            );
            let row = Array1::from(rng.vec(cols, Rng::wild));
            let column = Array2::from_shape_vec((rows, 1), rng.vec(rows, Rng::wild)).unwrap();
            let wide = matrix(&mut rng, rows, cols + 3, true);
            for first in [0, 1] {
                let part = s![.., first..;2];
                let shape = t0.slice(part).raw_dim();
                let every_other_of_row = row.slice(s![first..;2]);
                let broadcast_row = every_other_of_row.broadcast(shape).unwrap();
                let broadcast_column = column.broadcast(shape).unwrap();
                let (cy, cz) = (y0.slice(part).to_owned(), z0.slice(part).to_owned());
                let wide_part = s![.., first..cols;2];
                let first_row = cy.row(0);
                let c_row = first_row.broadcast(shape).unwrap();
                let operands = [
                    ("every other column", y0.slice(part), z0.slice(part)),
                    (
                        "every other column of a wider array",
                        wide.slice(wide_part),
                        z0.slice(part),
                    ),
                    ("C", cy.view(), cz.view()),
                    ("broadcast C row", c_row.view(), c_row.view()),
                    (
                        "reversed C",
                        cy.slice(s![..;-1, ..]),
                        cz.slice(s![.., ..;-1]),
                    ),
                    ("broadcast row", broadcast_row.view(), broadcast_row.view()),
                    (
                        "broadcast column",
                        broadcast_column.view(),
                        broadcast_column.view(),
                    ),
                ];
                for (what, y, z) in operands {
                    let ctx = format!("{be} {rows}x{cols} from column {first}, {what}");
                    assert_in_place_ops_match(&ctx, &t0, part, y, z);
                }
            }
        }
    });
}

/// The same on 3-D arrays: every other value along the last axis (blocks of each outer
/// index one run for an even width), with operands every other value and C.
#[test]
fn in_place_ops_on_every_other_value_of_3d_arrays_match_the_idiom() {
    let mut rng = Rng::new(25);
    each_backend(|be| {
        for dims in [(3, 5, 8), (2, 4, 9), (4, 1, 6)] {
            let n = dims.0 * dims.1 * dims.2;
            let cube = |rng: &mut Rng| Array3::from_shape_vec(dims, rng.vec(n, Rng::wild)).unwrap();
            let (t0, y0, z0) = (cube(&mut rng), cube(&mut rng), cube(&mut rng));
            let part = s![.., .., 1..;2];
            let (cy, cz) = (y0.slice(part).to_owned(), z0.slice(part).to_owned());
            for (what, y, z) in [
                ("every other value", y0.slice(part), z0.slice(part)),
                ("C", cy.view(), cz.view()),
            ] {
                assert_in_place_ops_match(&format!("{be} {dims:?}, {what}"), &t0, part, y, z);
            }
        }
    });
}

/// Reductions over strided views, gathered lane by lane: lanes that cross the gather
/// chunks (4096 values), lanes longer than a chunk, narrow and wide strides, reversed.
/// They must give the bits of the same values copied into C order.
#[test]
fn strided_reductions_match_their_contiguous_copies() {
    let mut rng = Rng::new(20);
    let mut grid = || Array2::from_shape_vec((400, 200), rng.vec(80_000, Rng::finite)).unwrap();
    let (a, b) = (grid(), grid());
    each_backend(|be| {
        let views = [
            ("step 2", a.slice(s![..50, ..;2]), b.slice(s![..50, ..;2])),
            ("step 16", a.slice(s![.., ..;16]), b.slice(s![.., ..;16])),
            (
                "reversed step 3",
                a.slice(s![..;-1, 1..;-3]),
                b.slice(s![..;-1, 1..;-3]),
            ),
            ("column", a.slice(s![.., 7..8]), b.slice(s![.., 9..10])),
        ];
        for (what, x, y) in views {
            let (cx, cy) = (x.to_owned(), y.to_owned());
            let ctx = format!("{be} {what}");
            assert_eq!(x.simd_sum().to_bits(), cx.simd_sum().to_bits(), "{ctx} sum");
            assert_eq!(
                x.simd_dot(&y).to_bits(),
                cx.simd_dot(&cy).to_bits(),
                "{ctx} dot"
            );
            assert_eq!(
                x.simd_norm_l1().to_bits(),
                cx.simd_norm_l1().to_bits(),
                "{ctx} l1"
            );
            assert_eq!(
                x.simd_norm_l2().to_bits(),
                cx.simd_norm_l2().to_bits(),
                "{ctx} l2"
            );
            assert_eq!(x.simd_max(), cx.simd_max(), "{ctx} max");
            assert_eq!(x.simd_argmin(), cx.simd_argmin(), "{ctx} argmin");
        }
        // One lane longer than a chunk, narrow and wide strides.
        let flat = a.as_slice().unwrap();
        for step in [2usize, 3, 17] {
            let x = ArrayView1::from(flat).slice_move(s![..;step]);
            let cx = x.to_owned();
            let ctx = format!("{be} line step {step}");
            assert_eq!(x.simd_sum().to_bits(), cx.simd_sum().to_bits(), "{ctx} sum");
            assert_eq!(
                x.simd_norm_l2().to_bits(),
                cx.simd_norm_l2().to_bits(),
                "{ctx} l2"
            );
            assert_eq!(x.simd_max(), cx.simd_max(), "{ctx} max");
        }
    });
}
