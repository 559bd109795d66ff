//! Per-call overhead of small arrays: trueno next to the ndarray idiom at 1, 16 and 64
//! elements (median ns per call). Run: `cargo run --release --example overhead`
use ndarray::Array1;
use ndarray_stats::QuantileExt;
use std::hint::black_box;
use std::time::Instant;
use trueno::TruenoExt;

fn ns_per_call(f: &dyn Fn()) -> f64 {
    let mut v: Vec<f64> = (0..31)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..10_000 {
                f();
            }
            t.elapsed().as_nanos() as f64 / 10_000.0
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[15]
}

fn main() {
    println!(
        "{:<8} {:>5} {:>12} {:>12}",
        "op", "n", "ndarray ns", "trueno ns"
    );
    for n in [1usize, 16, 64] {
        let a = Array1::from_shape_fn(n, |i| i as f32 * 0.5 - 3.0);
        let b = Array1::from_shape_fn(n, |i| 1.0 + i as f32);
        let mut m = a.clone();
        type Row<'a> = (&'a str, Box<dyn Fn() + 'a>, Box<dyn Fn() + 'a>);
        let rows: Vec<Row> = vec![
            (
                "sum",
                Box::new(|| {
                    black_box(black_box(&a).sum());
                }),
                Box::new(|| {
                    black_box(black_box(&a).simd_sum());
                }),
            ),
            (
                "dot",
                Box::new(|| {
                    black_box(black_box(&a).dot(&b));
                }),
                Box::new(|| {
                    black_box(black_box(&a).simd_dot(&b));
                }),
            ),
            (
                "max",
                Box::new(|| {
                    black_box(black_box(&a).max().ok());
                }),
                Box::new(|| {
                    black_box(black_box(&a).simd_max().ok());
                }),
            ),
            (
                "argmin",
                Box::new(|| {
                    black_box(black_box(&a).argmin().ok());
                }),
                Box::new(|| {
                    black_box(black_box(&a).simd_argmin().ok());
                }),
            ),
            (
                "add",
                Box::new(|| {
                    black_box(&a + &b);
                }),
                Box::new(|| {
                    black_box(a.simd_add(&b));
                }),
            ),
        ];
        for (name, idiom, ours) in &rows {
            println!(
                "{name:<8} {n:>5} {:>12.1} {:>12.1}",
                ns_per_call(idiom.as_ref()),
                ns_per_call(ours.as_ref())
            );
        }
        let mb = std::cell::RefCell::new(&mut m);
        let idiom = || {
            **mb.borrow_mut() += &b;
        };
        let ours = || mb.borrow_mut().simd_add_assign(&b);
        println!(
            "{:<8} {n:>5} {:>12.1} {:>12.1}",
            "add_asgn",
            ns_per_call(&idiom),
            ns_per_call(&ours)
        );
    }
}
