//! trueno next to the ndarray idiom on arrays that are not plain C-order blocks:
//! transposed, reversed, strided, broadcast and single-column views of a 512 x 512
//! array (a `dot` of C and transposed ones too), the same values as 4096 rows of 64 plus
//! a broadcast row, and sums and maxima along either axis of 512 x 512 and 16384 x 16
//! arrays (median ns per call, the faster of three rounds).
//! Run: `cargo run --release --example layouts`
use ndarray::{s, Array2, Axis, Zip};
use ndarray_stats::QuantileExt;
use std::hint::black_box;
use std::time::Instant;
use trueno::TruenoExt;

/// Median ns per call of `f` over 31 samples of 20 calls.
fn median_ns(f: &dyn Fn()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..31)
        .map(|_| {
            let s = Instant::now();
            for _ in 0..20 {
                f();
            }
            s.elapsed().as_nanos() as f64 / 20.0
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[15]
}

/// One case: its name, the idiom, and trueno's method.
type Case<'a> = (&'a str, Box<dyn Fn() + 'a>, Box<dyn Fn() + 'a>);

fn main() {
    let n = 512;
    let a = Array2::from_shape_fn((n, n), |(i, j)| (i * n + j) as f32 * 0.001 - 100.0);
    let b = Array2::from_shape_fn((n, n), |(i, j)| (i + j) as f32 * 0.01 + 1.0);
    let col_b = || b.column(0).insert_axis(Axis(1));
    let tall = a.to_shape((4096, 64)).unwrap();
    let short_row = b.slice(s![0, ..64]);
    let narrow = a.to_shape((16384, 16)).unwrap();
    let quads = a.to_shape((65536, 4)).unwrap();
    let half = b.slice(s![.., ..;2]).to_owned();
    // Added to in place, over and over (by both sides alike).
    let target = std::cell::RefCell::new(a.clone());
    let cases: Vec<Case> = vec![
        (
            "add, both transposed",
            Box::new(|| {
                black_box(&a.t() + &b.t());
            }),
            Box::new(|| {
                black_box(a.t().simd_add(&b.t()));
            }),
        ),
        (
            "add, C + transposed",
            Box::new(|| {
                black_box(&a + &b.t());
            }),
            Box::new(|| {
                black_box(a.simd_add(&b.t()));
            }),
        ),
        (
            "add, every other column",
            Box::new(|| {
                black_box(&a.slice(s![.., ..;2]) + &b.slice(s![.., ..;2]));
            }),
            Box::new(|| {
                black_box(a.slice(s![.., ..;2]).simd_add(&b.slice(s![.., ..;2])));
            }),
        ),
        (
            "+=, every other column",
            Box::new(|| {
                let mut t = target.borrow_mut();
                let mut v = t.slice_mut(s![.., ..;2]);
                v += &b.slice(s![.., ..;2]);
            }),
            Box::new(|| {
                let mut t = target.borrow_mut();
                t.slice_mut(s![.., ..;2])
                    .simd_add_assign(&b.slice(s![.., ..;2]));
            }),
        ),
        (
            "+= C, every other column",
            Box::new(|| {
                let mut t = target.borrow_mut();
                let mut v = t.slice_mut(s![.., ..;2]);
                v += &half;
            }),
            Box::new(|| {
                let mut t = target.borrow_mut();
                t.slice_mut(s![.., ..;2]).simd_add_assign(&half);
            }),
        ),
        (
            "add, + broadcast row",
            Box::new(|| {
                black_box(&a + &b.row(0));
            }),
            Box::new(|| {
                black_box(a.simd_add(&b.row(0)));
            }),
        ),
        (
            "add, 4096x64 + bcast row",
            Box::new(|| {
                black_box(&tall + &short_row);
            }),
            Box::new(|| {
                black_box(tall.simd_add(&short_row));
            }),
        ),
        (
            "add, + broadcast column",
            Box::new(|| {
                black_box(&a + &col_b());
            }),
            Box::new(|| {
                black_box(a.simd_add(&col_b()));
            }),
        ),
        (
            "abs, both axes reversed",
            Box::new(|| {
                black_box(a.slice(s![..;-1, ..;-1]).mapv(f32::abs));
            }),
            Box::new(|| {
                black_box(a.slice(s![..;-1, ..;-1]).simd_abs());
            }),
        ),
        (
            "abs, one column",
            Box::new(|| {
                black_box(a.column(3).mapv(f32::abs));
            }),
            Box::new(|| {
                black_box(a.column(3).simd_abs());
            }),
        ),
        (
            "lerp, both transposed",
            Box::new(|| {
                black_box(
                    Zip::from(&a.t())
                        .and(&b.t())
                        .map_collect(|&x, &y| x + 0.3 * (y - x)),
                );
            }),
            Box::new(|| {
                black_box(a.t().simd_lerp(&b.t(), 0.3));
            }),
        ),
        (
            "exp, transposed",
            Box::new(|| {
                black_box(a.t().mapv(|x| (x * 0.01).exp()));
            }),
            Box::new(|| {
                black_box(a.t().simd_scale(0.01).simd_exp());
            }),
        ),
        (
            "sum, transposed",
            Box::new(|| {
                black_box(a.t().sum());
            }),
            Box::new(|| {
                black_box(a.t().simd_sum());
            }),
        ),
        (
            "sum, every other column",
            Box::new(|| {
                black_box(a.slice(s![.., ..;2]).sum());
            }),
            Box::new(|| {
                black_box(a.slice(s![.., ..;2]).simd_sum());
            }),
        ),
        (
            "sum, one column",
            Box::new(|| {
                black_box(a.column(3).sum());
            }),
            Box::new(|| {
                black_box(a.column(3).simd_sum());
            }),
        ),
        (
            "dot, two columns",
            Box::new(|| {
                black_box(ndarray::linalg::Dot::dot(&a.column(3), &b.column(5)));
            }),
            Box::new(|| {
                black_box(a.column(3).simd_dot(&b.column(5)));
            }),
        ),
        (
            "dot, C and transposed",
            Box::new(|| {
                black_box(
                    Zip::from(&a)
                        .and(&b.t())
                        .fold(0.0f32, |s, &x, &y| s + x * y),
                );
            }),
            Box::new(|| {
                black_box(a.simd_dot(&b.t()));
            }),
        ),
        (
            "sum_axis(0)",
            Box::new(|| {
                black_box(a.sum_axis(Axis(0)));
            }),
            Box::new(|| {
                black_box(a.simd_sum_axis(Axis(0)));
            }),
        ),
        (
            "sum_axis(0), 16384x16",
            Box::new(|| {
                black_box(narrow.sum_axis(Axis(0)));
            }),
            Box::new(|| {
                black_box(narrow.simd_sum_axis(Axis(0)));
            }),
        ),
        (
            "sum_axis(1), 16384x16",
            Box::new(|| {
                black_box(narrow.sum_axis(Axis(1)));
            }),
            Box::new(|| {
                black_box(narrow.simd_sum_axis(Axis(1)));
            }),
        ),
        (
            "sum_axis(1), 65536x4",
            Box::new(|| {
                black_box(quads.sum_axis(Axis(1)));
            }),
            Box::new(|| {
                black_box(quads.simd_sum_axis(Axis(1)));
            }),
        ),
        (
            "max along axis 1, 65536x4",
            Box::new(|| {
                black_box(quads.map_axis(Axis(1), |l| *l.max().unwrap()));
            }),
            Box::new(|| {
                black_box(quads.simd_max_axis(Axis(1)));
            }),
        ),
        (
            "max along axis 0",
            Box::new(|| {
                black_box(a.map_axis(Axis(0), |l| *l.max().unwrap()));
            }),
            Box::new(|| {
                black_box(a.simd_max_axis(Axis(0)));
            }),
        ),
    ];
    println!(
        "{:<26} {:>12} {:>12} {:>8}",
        "case (512 x 512)", "ndarray ns", "trueno ns", "speedup"
    );
    for (name, idiom, ours) in &cases {
        let (mut i, mut o) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..3 {
            i = i.min(median_ns(&**idiom));
            o = o.min(median_ns(&**ours));
        }
        println!("{name:<26} {i:>12.0} {o:>12.0} {:>7.2}x", i / o);
    }
}
