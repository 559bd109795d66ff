//! GPU scope tests: every op against the CPU methods (or an f64 reference for the
//! transcendental functions), and the run statistics.
//!
//! Without an adapter these tests print that they were skipped and pass; with
//! `TRUENO_REQUIRE_GPU=1` a missing adapter fails them.
#![cfg(feature = "gpu")]

use ndarray::{array, Array, Array1, Array2, Array3, ArrayD, Axis, Dimension, IxDyn};
use std::sync::OnceLock;
use trueno::gpu::{GpuContext, GpuError, GpuOptions};
use trueno::{MinMaxError, TruenoExt};

fn open(opts: GpuOptions) -> Option<GpuContext> {
    match GpuContext::with_options(opts) {
        Ok(c) => Some(c),
        Err(GpuError::NoAdapter(e)) => {
            if std::env::var("TRUENO_REQUIRE_GPU").as_deref() == Ok("1") {
                panic!("TRUENO_REQUIRE_GPU=1 but no GPU adapter: {e}");
            }
            eprintln!("GPU test skipped: no adapter ({e})");
            None
        }
        Err(e) => panic!("the GPU context failed: {e}"),
    }
}

fn ctx() -> Option<&'static GpuContext> {
    static CTX: OnceLock<Option<GpuContext>> = OnceLock::new();
    CTX.get_or_init(|| {
        let c = open(GpuOptions::default());
        if let Some(c) = &c {
            eprintln!("GPU tests on {:?}", c.adapter_info());
        }
        c
    })
    .as_ref()
}

/// A context whose storage bindings hold only 1024 elements, to exercise splitting.
fn small_ctx() -> Option<&'static GpuContext> {
    static CTX: OnceLock<Option<GpuContext>> = OnceLock::new();
    CTX.get_or_init(|| {
        open(GpuOptions {
            max_binding_bytes: Some(4096),
            ..GpuOptions::default()
        })
    })
    .as_ref()
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Uniform in [lo, hi).
    fn f(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next() >> 40) as f32 / (1u64 << 24) as f32)
    }
    fn arr<D: Dimension, Sh: ndarray::ShapeBuilder<Dim = D>>(
        &mut self,
        shape: Sh,
        lo: f32,
        hi: f32,
    ) -> Array<f32, D> {
        Array::from_shape_simple_fn(shape, || self.f(lo, hi))
    }
}

fn assert_bits<D: Dimension>(what: &str, gpu: &Array<f32, D>, cpu: &Array<f32, D>) {
    assert_eq!(gpu.shape(), cpu.shape(), "{what}: shape");
    for (k, (g, c)) in gpu.iter().zip(cpu.iter()).enumerate() {
        assert!(
            g.to_bits() == c.to_bits() || (g.is_nan() && c.is_nan()),
            "{what}: element {k}: gpu {g:e} ({:#x}) cpu {c:e} ({:#x})",
            g.to_bits(),
            c.to_bits()
        );
    }
}

/// Distance in representable f32 values.
fn ulps(a: f32, b: f32) -> u64 {
    let key = |x: f32| {
        let i = x.to_bits() as i32;
        if i < 0 {
            -((i & 0x7fff_ffff) as i64)
        } else {
            i as i64
        }
    };
    (key(a) - key(b)).unsigned_abs()
}

#[test]
fn no_adapter_by_name_is_an_error_with_an_install_hint() {
    let r = GpuContext::with_options(GpuOptions {
        adapter_name: Some("no such adapter 1234".into()),
        ..GpuOptions::default()
    });
    match r {
        Err(GpuError::NoAdapter(m)) => assert!(m.contains("mesa-vulkan-drivers"), "{m}"),
        other => panic!("expected NoAdapter, got {other:?}"),
    }
}

#[test]
fn elementwise_ops_are_bit_exact_with_broadcasting() {
    let Some(ctx) = ctx() else { return };
    let mut r = Rng(0x9e3779b97f4a7c15);
    let a = r.arr((37, 129), -4.0, 4.0);
    let b = r.arr(129, -4.0, 4.0);
    let c = r.arr((37, 1), -4.0, 4.0);
    let d = r.arr((37, 129), -4.0, 4.0);
    let s = ctx.scope();
    let (ga, gb, gc, gd) = (
        s.upload(&a).unwrap(),
        s.upload(&b).unwrap(),
        s.upload(&c).unwrap(),
        s.upload(&d).unwrap(),
    );
    let outs = [
        ga.add(&gb).unwrap().read(),
        ga.sub(&gc).unwrap().read(),
        gc.mul(&gb).unwrap().read(), // (37,1) x (129,) -> (37,129)
        ga.abs().read(),
        ga.scale(-0.3).read(),
        ga.clamp(-1.0, 0.5).unwrap().read(),
        ga.relu().read(),
        ga.lerp(&gd, 0.37).unwrap().read(),
        // A fused chain: products stay un-contracted, so mul then add matches the CPU.
        ga.mul(&gd)
            .unwrap()
            .add(&gb)
            .unwrap()
            .scale(1.5)
            .sub(&gc)
            .unwrap()
            .relu()
            .read(),
    ];
    let res = s.run().unwrap();
    let cpu = [
        a.simd_add(&b),
        a.simd_sub(&c),
        c.simd_mul(&b),
        a.simd_abs(),
        a.simd_scale(-0.3),
        a.simd_clamp(-1.0, 0.5),
        a.simd_relu(),
        a.simd_lerp(&d, 0.37),
        a.simd_mul(&d)
            .simd_add(&b)
            .simd_scale(1.5)
            .simd_sub(&c)
            .simd_relu(),
    ];
    for (k, (o, c)) in outs.iter().zip(&cpu).enumerate() {
        assert_bits(&format!("op {k}"), &res.get(o), c);
    }
    // All nine outputs have one shape and one level: a single fused kernel.
    assert_eq!(res.stats().dispatches, 1);
    assert_eq!(res.stats().submissions, 1);
}

#[test]
fn special_values_follow_the_cpu() {
    let Some(ctx) = ctx() else { return };
    let x = array![
        0.0f32,
        -0.0,
        1.0,
        -1.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        f32::MAX,
        -f32::MAX,
        1e-30
    ];
    let s = ctx.scope();
    let g = s.upload(&x).unwrap();
    let outs = [
        g.relu().read(),
        g.abs().read(),
        g.clamp(-2.0, 2.0).unwrap().read(),
        g.scale(2.0).read(),
    ];
    let res = s.run().unwrap();
    let cpu = [
        x.simd_relu(),
        x.simd_abs(),
        x.simd_clamp(-2.0, 2.0),
        x.simd_scale(2.0),
    ];
    for (k, (o, c)) in outs.iter().zip(&cpu).enumerate() {
        assert_bits(&format!("special {k}"), &res.get(o), c);
    }
}

#[test]
fn fma_is_the_devices_fused_multiply_add() {
    let Some(ctx) = ctx() else { return };
    let mut r = Rng(29);
    let (a, b, c) = (
        r.arr(1 << 16, -4.0, 4.0),
        r.arr(1 << 16, -4.0, 4.0),
        r.arr(1 << 16, -4.0, 4.0),
    );
    let s = ctx.scope();
    let o = s
        .upload(&a)
        .unwrap()
        .fma(&s.upload(&b).unwrap(), &s.upload(&c).unwrap())
        .unwrap()
        .read();
    let g = s.run().unwrap().get(&o);
    let cpu = a.simd_fma(&b, &c);
    let worst = g.iter().zip(&cpu).map(|(x, y)| ulps(*x, *y)).max().unwrap();
    let exact = g
        .iter()
        .zip(&cpu)
        .filter(|(x, y)| x.to_bits() == y.to_bits())
        .count();
    eprintln!(
        "fma (device fma fused: {}): {exact}/{} bit-exact with f32::mul_add, worst {worst} ulp",
        ctx.has_fused_fma(),
        a.len()
    );
    // The device's fused fma where it has one (NVIDIA), else error-free
    // transformations with a round-to-odd step (lavapipe): one rounding either way.
    assert_eq!(
        exact,
        a.len(),
        "fma must equal f32::mul_add (worst {worst} ulp)"
    );
}

#[test]
fn division_is_correctly_rounded() {
    let Some(ctx) = ctx() else { return };
    let mut r = Rng(7);
    let a = r.arr(1 << 16, -100.0, 100.0);
    let b = r.arr(1 << 16, 0.01, 10.0);
    let s = ctx.scope();
    let o = s
        .upload(&a)
        .unwrap()
        .div(&s.upload(&b).unwrap())
        .unwrap()
        .read();
    let g = s.run().unwrap().get(&o);
    let c = a.simd_div(&b);
    let worst = g.iter().zip(&c).map(|(x, y)| ulps(*x, *y)).max().unwrap();
    let exact = g
        .iter()
        .zip(&c)
        .filter(|(x, y)| x.to_bits() == y.to_bits())
        .count();
    eprintln!("div: {exact}/{} bit-exact, worst {worst} ulp", a.len());
    assert_eq!(exact, a.len(), "div: worst {worst} ulp");
}

fn reference(op: &str, x: f64) -> f64 {
    let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
    match op {
        "exp" => x.exp(),
        "sigmoid" => sig(x),
        "tanh" => x.tanh(),
        "swish" => x * sig(x),
        "gelu" => 0.5 * x * libm::erfc(-x / std::f64::consts::SQRT_2),
        "gelu_tanh" => {
            let u = (2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x);
            x * sig(2.0 * u)
        }
        _ => unreachable!(),
    }
}

#[test]
fn transcendentals_are_within_their_ulp_bounds() {
    let Some(ctx) = ctx() else { return };
    // Dense over the interesting range, sparse over the rest, plus the edges.
    let mut xs: Vec<f32> = (0..200_000)
        .map(|i| -20.0 + 40.0 * i as f32 / 200_000.0)
        .collect();
    let mut r = Rng(11);
    xs.extend((0..100_000).map(|_| r.f(-110.0, 110.0)));
    xs.extend((0..20_000).map(|_| r.f(-1e-3, 1e-3)));
    xs.extend([
        88.72283, 88.72284, -87.33654, -103.0, 0.625, -0.625, 0.84375, 1.25, 2.857, 6.0,
    ]);
    let x = Array1::from(xs);
    let s = ctx.scope();
    let g = s.upload(&x).unwrap();
    let ops = ["exp", "sigmoid", "tanh", "swish", "gelu", "gelu_tanh"];
    let outs = [
        g.exp().read(),
        g.sigmoid().read(),
        g.tanh().read(),
        g.swish().read(),
        g.gelu().read(),
        g.gelu_tanh().read(),
    ];
    let res = s.run().unwrap();
    // The GPU kernels are ports of the CPU ones: the CPU bounds (exp 1, sigmoid, tanh,
    // swish 2, gelu 4) hold on lavapipe and the H100 over these inputs (docs/gpu.md).
    let bounds = [1u64, 2, 2, 2, 4, 4];
    let mut failed = Vec::new();
    for ((op, o), bound) in ops.iter().zip(&outs).zip(bounds) {
        let y = res.get(o);
        let mut worst = (0u64, 0.0f32);
        for (&xi, &yi) in x.iter().zip(y.iter()) {
            let want = reference(op, xi as f64) as f32;
            if !want.is_normal() && want != 0.0 {
                continue; // subnormal results: outside the bound's scope
            }
            let u = ulps(yi, want);
            if u > worst.0 {
                worst = (u, xi);
            }
        }
        eprintln!(
            "{op}: worst {} ulp at x = {:e} (bound {bound})",
            worst.0, worst.1
        );
        if worst.0 > bound {
            failed.push(format!(
                "{op}: {} ulp at x = {:e} (bound {bound})",
                worst.0, worst.1
            ));
        }
    }
    assert!(failed.is_empty(), "{failed:?}");
}

#[test]
fn transcendental_special_values() {
    let Some(ctx) = ctx() else { return };
    let x = array![0.0f32, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN];
    let s = ctx.scope();
    let g = s.upload(&x).unwrap();
    let outs = [
        g.exp().read(),
        g.sigmoid().read(),
        g.tanh().read(),
        g.swish().read(),
        g.gelu().read(),
        g.gelu_tanh().read(),
    ];
    let res = s.run().unwrap();
    let want: [[f32; 4]; 6] = [
        [1.0, 1.0, f32::INFINITY, 0.0],
        [0.5, 0.5, 1.0, 0.0],
        [0.0, -0.0, 1.0, -1.0],
        [0.0, -0.0, f32::INFINITY, -0.0],
        [0.0, -0.0, f32::INFINITY, -0.0],
        [0.0, -0.0, f32::INFINITY, -0.0],
    ];
    for (k, (o, w)) in outs.iter().zip(want).enumerate() {
        let y = res.get(o);
        for j in 0..4 {
            assert_eq!(
                y[j].to_bits(),
                w[j].to_bits(),
                "op {k} at {}: {}",
                x[j],
                y[j]
            );
        }
        assert!(y[4].is_nan(), "op {k}: NaN in, {} out", y[4]);
    }
}

#[test]
fn tiny_inputs_halve_exactly() {
    let Some(ctx) = ctx() else { return };
    // x = 2^-125 (1 - 2^-24): x/2 + (positive x^2 term) rounds up to the smallest normal,
    // which flush-before-rounding devices would turn into 0.
    let x = array![
        f32::from_bits(0x00ff_ffff),
        2f32.powi(-125),
        1e-30,
        -1e-30,
        2f32.powi(-70)
    ];
    let s = ctx.scope();
    let g = s.upload(&x).unwrap();
    let outs = [g.swish().read(), g.gelu().read(), g.gelu_tanh().read()];
    let res = s.run().unwrap();
    let want = [
        f32::MIN_POSITIVE,
        2f32.powi(-126),
        5e-31,
        -5e-31,
        2f32.powi(-71),
    ];
    for o in &outs {
        let y = res.get(o);
        for (g, w) in y.iter().zip(want) {
            assert_eq!(g.to_bits(), w.to_bits(), "{g:e} vs {w:e}");
        }
    }
}

fn exact_sum(xs: impl Iterator<Item = f64>) -> f64 {
    xs.sum()
}

#[test]
fn reductions_match_the_cpu_within_the_summation_bound() {
    let Some(ctx) = ctx() else { return };
    let mut r = Rng(3);
    for n in [1usize, 7, 255, 256, 1000, 65_537, 1 << 20] {
        let a = r.arr(n, -1.0, 1.0);
        let b = r.arr(n, -1.0, 1.0);
        let s = ctx.scope();
        let (ga, gb) = (s.upload(&a).unwrap(), s.upload(&b).unwrap());
        let (sum, dot, l1, l2, linf) = (
            ga.sum().read(),
            ga.dot(&gb).unwrap().read(),
            ga.norm_l1().read(),
            ga.norm_l2().read(),
            ga.norm_linf().read(),
        );
        let res = s.run().unwrap();
        // Each thread adds at most ceil(n / 262144) terms, then two 256-way trees and
        // a 4-term fold: depth <= ceil(n/262144) + 20.
        let depth = (n.div_ceil(262_144) + 20) as f64;
        let bound = |abs_sum: f64| depth * f32::EPSILON as f64 * abs_sum + 1e-30;
        let check = |what: &str, got: f32, exact: f64, abs_sum: f64, cpu: f32| {
            let err = (got as f64 - exact).abs();
            assert!(
                err <= bound(abs_sum),
                "{what} n={n}: gpu {got} exact {exact} (cpu {cpu}) err {err:e}"
            );
        };
        let sa: f64 = a.iter().map(|&x| (x as f64).abs()).sum();
        check(
            "sum",
            res.get(&sum),
            exact_sum(a.iter().map(|&x| x as f64)),
            sa,
            a.simd_sum(),
        );
        let sab: f64 = a
            .iter()
            .zip(&b)
            .map(|(&x, &y)| (x as f64 * y as f64).abs())
            .sum();
        check(
            "dot",
            res.get(&dot),
            exact_sum(a.iter().zip(&b).map(|(&x, &y)| x as f64 * y as f64)),
            sab,
            a.simd_dot(&b),
        );
        check("l1", res.get(&l1), sa, sa, a.simd_norm_l1());
        let l2e = exact_sum(a.iter().map(|&x| (x as f64).powi(2))).sqrt();
        assert!(
            (res.get(&l2) as f64 - l2e).abs() <= depth * f32::EPSILON as f64 * l2e,
            "l2 n={n}"
        );
        let linf_ref = a.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert_eq!(
            res.get(&linf),
            linf_ref,
            "linf n={n} (cpu {})",
            a.simd_norm_linf()
        );
        assert_eq!(
            res.stats().dispatches,
            10,
            "five reductions, two passes each"
        );
    }
}

#[test]
fn norm_l2_neither_overflows_nor_underflows() {
    let Some(ctx) = ctx() else { return };
    for (v, want) in [(3e30f32, 5e30f64), (3e-30, 5e-30), (3.0, 5.0)] {
        let x = Array1::from_iter((0..1000).map(|i| if i % 2 == 0 { v } else { v * 4.0 / 3.0 }));
        let s = ctx.scope();
        let o = s.upload(&x).unwrap().norm_l2().read();
        let got = s.run().unwrap().get(&o) as f64;
        let exact = want * (500f64).sqrt();
        assert!((got - exact).abs() <= exact * 1e-5, "{v}: {got} vs {exact}");
    }
    let x = array![1.0f32, f32::NAN];
    let s = ctx.scope();
    let (l2, li) = {
        let g = s.upload(&x).unwrap();
        (g.norm_l2().read(), g.norm_linf().read())
    };
    let res = s.run().unwrap();
    assert!(res.get(&l2).is_nan() && res.get(&li).is_nan());
}

#[test]
fn extrema_match_ndarray_stats() {
    let Some(ctx) = ctx() else { return };
    let mut r = Rng(5);
    let mut a: Array3<f32> = r.arr((9, 70, 33), -100.0, 100.0);
    a[[3, 1, 2]] = 500.0;
    a[[7, 0, 0]] = 500.0; // a later tie
    a[[2, 5, 5]] = -500.0;
    a[[8, 69, 32]] = -500.0;
    let s = ctx.scope();
    let g = s.upload(&a).unwrap();
    let (mx, mn, amx, amn) = (
        g.max().read(),
        g.min().read(),
        g.argmax().read(),
        g.argmin().read(),
    );
    let res = s.run().unwrap();
    assert_eq!(res.get(&mx), a.simd_max());
    assert_eq!(res.get(&mn), a.simd_min());
    assert_eq!(res.get(&amx), a.simd_argmax());
    assert_eq!(res.get(&amx), Ok((3, 1, 2)));
    assert_eq!(res.get(&amn), a.simd_argmin());
    // Ties between -0.0 and 0.0: the first index wins, its value comes back.
    let z = array![-0.0f32, 0.0, -1.0];
    let e = Array1::<f32>::zeros(0);
    let mut nan = a.clone();
    nan[[4, 4, 4]] = f32::NAN;
    let s = ctx.scope();
    let (gz, ge, gn) = (
        s.upload(&z).unwrap(),
        s.upload(&e).unwrap(),
        s.upload(&nan).unwrap(),
    );
    let outs = (
        gz.max().read(),
        gz.argmax().read(),
        ge.max().read(),
        ge.argmin().read(),
        gn.argmax().read(),
        gn.min().read(),
        ge.sum().read(),
    );
    let res = s.run().unwrap();
    assert_eq!(
        res.get(&outs.0).map(f32::to_bits),
        z.simd_max().map(f32::to_bits)
    );
    assert_eq!(res.get(&outs.1), z.simd_argmax());
    assert_eq!(res.get(&outs.2), Err(MinMaxError::EmptyInput));
    assert_eq!(res.get(&outs.3), Err(MinMaxError::EmptyInput));
    assert_eq!(res.get(&outs.4), Err(MinMaxError::UndefinedOrder));
    assert_eq!(res.get(&outs.5), Err(MinMaxError::UndefinedOrder));
    assert_eq!(res.get(&outs.6), 0.0);
}

#[test]
fn axis_reductions_and_softmax() {
    let Some(ctx) = ctx() else { return };
    let mut r = Rng(9);
    let x: Array2<f32> = r.arr((50, 77), -5.0, 5.0);
    let s = ctx.scope();
    let g = s.upload(&x).unwrap();
    let m = g.max_axis(Axis(1)).unwrap();
    let e = g.sub(&m.insert_axis(Axis(1)).unwrap()).unwrap().exp();
    let p = e
        .div(&e.sum_axis(Axis(1)).unwrap().insert_axis(Axis(1)).unwrap())
        .unwrap();
    let (mo, so, po, s0) = (
        m.read(),
        g.sum_axis(Axis(1)).unwrap().read(),
        p.read(),
        g.sum_axis(Axis(0)).unwrap().read(),
    );
    let res = s.run().unwrap();
    assert_bits("max_axis", &res.get(&mo), &x.simd_max_axis(Axis(1)));
    for (g, c) in res.get(&so).iter().zip(x.simd_sum_axis(Axis(1)).iter()) {
        assert!((g - c).abs() <= 1e-4, "sum_axis(1) {g} {c}");
    }
    for (g, c) in res.get(&s0).iter().zip(x.simd_sum_axis(Axis(0)).iter()) {
        assert!((g - c).abs() <= 1e-4, "sum_axis(0) {g} {c}");
    }
    let p = res.get(&po);
    for row in p.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-5);
    }
    let xm = x.map(|v| *v as f64);
    for (i, row) in xm.rows().into_iter().enumerate() {
        let mx = row.fold(f64::MIN, |a, &b| a.max(b));
        // x - max is rounded to f32 first, as in any f32 softmax.
        let d = |v: f64| (v as f32 - mx as f32) as f64;
        let z: f64 = row.iter().map(|&v| d(v).exp()).sum();
        for (j, &v) in row.iter().enumerate() {
            let want = (d(v).exp() / z) as f32;
            assert!(
                ulps(p[[i, j]], want) <= 8,
                "softmax {i},{j}: {} vs {want}",
                p[[i, j]]
            );
        }
    }
}

#[test]
fn matmul_matches_the_cpu() {
    let Some(ctx) = ctx() else { return };
    let mut r = Rng(13);
    for (m, k, n) in [(1, 1, 1), (70, 33, 129), (128, 256, 64), (5, 300, 3)] {
        let a: Array2<f32> = r.arr((m, k), -1.0, 1.0);
        let b: Array2<f32> = r.arr((k, n), -1.0, 1.0);
        let bias: Array1<f32> = r.arr(n, -1.0, 1.0);
        let s = ctx.scope();
        let (ga, gb) = (s.upload(&a).unwrap(), s.upload(&b).unwrap());
        let c = ga.matmul(&gb).unwrap();
        let (co, ho) = (
            c.read(),
            c.add(&s.upload(&bias).unwrap()).unwrap().relu().read(),
        );
        let res = s.run().unwrap();
        let cpu = a.dot(&b);
        let got = res.get(&co);
        let absprod = a.mapv(f32::abs).dot(&b.mapv(f32::abs));
        for ((g, c), bnd) in got.iter().zip(&cpu).zip(&absprod) {
            assert!(
                (g - c).abs() <= 2.0 * k as f32 * f32::EPSILON * bnd + 1e-30,
                "{m}x{k}x{n}: {g} vs {c}"
            );
        }
        assert_bits(
            "bias+relu after matmul",
            &res.get(&ho),
            &got.simd_add(&bias).simd_relu(),
        );
        assert_eq!(res.stats().dispatches, 2);
    }
    let s = ctx.scope();
    let a = Array2::<f32>::zeros((3, 4));
    let g = s.upload(&a).unwrap();
    assert!(matches!(g.matmul(&g), Err(GpuError::Shape(_))));
}

#[test]
fn stats_one_submission_k_dispatches_only_outputs_read_back() {
    let Some(ctx) = ctx() else { return };
    let mut r = Rng(17);
    let n = 1 << 20;
    let x = r.arr(n, -2.0, 2.0);
    let s = ctx.scope();
    let g = s.upload(&x).unwrap();
    // five element-wise ops and a sum: one fused map+reduce pass and one fold
    let chain = g.scale(0.5).exp().sub(&g).unwrap().abs().relu();
    let total = chain.sum().read();
    let res = s.run().unwrap();
    let st = res.stats().clone();
    assert_eq!((st.submissions, st.dispatches), (1, 2), "{st:?}");
    assert_eq!(st.bytes_uploaded, n as u64 * 4);
    assert_eq!(st.bytes_downloaded, 16, "only the scalar came back");
    let cpu = x
        .simd_scale(0.5)
        .mapv(f32::exp)
        .simd_sub(&x)
        .simd_abs()
        .simd_relu()
        .simd_sum();
    assert!(
        (res.get(&total) - cpu).abs() <= 1e-3 * cpu.abs(),
        "{} vs {cpu}",
        res.get(&total)
    );
    // Marking the chain too adds one element-wise kernel and its read-back.
    let out = chain.read();
    let res = s.run().unwrap();
    let st2 = res.stats();
    assert_eq!((st2.submissions, st2.dispatches), (1, 3));
    assert_eq!(st2.bytes_downloaded, n as u64 * 4 + 16);
    assert_eq!(res.get(&out).len(), n);
    // Again: cached pipelines, pooled buffers.
    let res = s.run().unwrap();
    assert_eq!(res.stats().pipelines_compiled, 0);
    assert_eq!(res.stats().buffers_allocated, 0);
    assert!(res.stats().buffers_reused > 0);
    eprintln!("{:?}", res.stats());
}

#[test]
fn arrays_larger_than_one_binding_are_split() {
    let Some(ctx) = small_ctx() else { return };
    assert_eq!(ctx.max_binding_elements(), 1024);
    let mut r = Rng(19);
    let a: Array2<f32> = r.arr((45, 111), -3.0, 3.0); // 4995 elements: 5 chunks
    let b: Array1<f32> = r.arr(111, -3.0, 3.0);
    let w: Array2<f32> = r.arr((111, 40), -1.0, 1.0);
    let s = ctx.scope();
    let (ga, gb, gw) = (
        s.upload(&a).unwrap(),
        s.upload(&b).unwrap(),
        s.upload(&w).unwrap(),
    );
    let y = ga.mul(&gb).unwrap().add(&ga).unwrap();
    let outs = (
        y.read(),
        y.argmax().read(),
        y.sum().read(),
        ga.matmul(&gw).unwrap().read(),
        y.max_axis(Axis(0)).unwrap().read(),
    );
    let res = s.run().unwrap();
    let cpu = a.simd_mul(&b).simd_add(&a);
    assert_bits("split chain", &res.get(&outs.0), &cpu);
    assert_eq!(res.get(&outs.1), cpu.simd_argmax());
    assert!((res.get(&outs.2) - cpu.simd_sum()).abs() < 1e-2);
    let mm = a.dot(&w);
    for (g, c) in res.get(&outs.3).iter().zip(&mm) {
        assert!((g - c).abs() < 1e-3);
    }
    assert_bits(
        "split max_axis",
        &res.get(&outs.4),
        &cpu.simd_max_axis(Axis(0)),
    );
}

#[test]
fn any_dimension_and_layout() {
    let Some(ctx) = ctx() else { return };
    let mut r = Rng(23);
    let a: ArrayD<f32> = r.arr(IxDyn(&[2, 3, 4, 5]), -1.0, 1.0);
    let b: Array2<f32> = r.arr((4, 1), -1.0, 1.0);
    let t: Array2<f32> = r.arr((6, 9), -1.0, 1.0);
    let tv = t.t();
    let s = ctx.scope();
    let ga = s.upload(&a).unwrap();
    let o1 = ga.sub(&s.upload(&b).unwrap().into_dyn()).unwrap().read();
    let o2 = s.upload(&tv).unwrap().scale(3.0).read();
    let o3 = ga.argmin().read();
    let o4 = s
        .upload(&a)
        .unwrap()
        .into_shape((6, 20))
        .unwrap()
        .sum_axis(Axis(1))
        .unwrap()
        .read();
    let res = s.run().unwrap();
    assert_bits(
        "4-d broadcast",
        &res.get(&o1),
        &a.simd_sub(&b.clone().into_dyn()),
    );
    assert_bits("transposed view", &res.get(&o2), &tv.simd_scale(3.0));
    assert_eq!(res.get(&o3), a.simd_argmin());
    assert_eq!(res.get(&o4).len(), 6);
}

#[test]
fn scalars_feed_back_as_arrays() {
    let Some(ctx) = ctx() else { return };
    let x = array![[3.0f32, 4.0], [0.0, -12.0]];
    let s = ctx.scope();
    let g = s.upload(&x).unwrap();
    let n = g.norm_l2();
    let unit = g.div(&n.as_array()).unwrap().read();
    let n0 = n.as_array().read();
    let n1 = n.as_array().into_shape(1).unwrap().read();
    let centred = g.sub(&g.max().as_array()).unwrap().read();
    let res = s.run().unwrap();
    assert_eq!(res.get(&n0), ndarray::arr0(13.0f32));
    assert_eq!(res.get(&n1), array![13.0f32]);
    assert_bits(
        "x / |x|",
        &res.get(&unit),
        &x.simd_div(&ndarray::arr0(13.0f32)),
    );
    assert_bits(
        "x - max",
        &res.get(&centred),
        &x.simd_sub(&ndarray::arr0(4.0f32)),
    );
}

#[test]
fn empty_arrays() {
    let Some(ctx) = ctx() else { return };
    let e = Array2::<f32>::zeros((3, 0));
    let s = ctx.scope();
    let g = s.upload(&e).unwrap();
    let outs = (
        g.exp().read(),
        g.sum().read(),
        g.sum_axis(Axis(1)).unwrap().read(),
        g.norm_l2().read(),
    );
    let res = s.run().unwrap();
    assert_eq!(res.get(&outs.0).shape(), &[3, 0]);
    assert_eq!(res.get(&outs.1), 0.0);
    assert_eq!(res.get(&outs.2), array![0.0f32, 0.0, 0.0]);
    assert_eq!(res.get(&outs.3), 0.0);
    assert!(matches!(g.max_axis(Axis(1)), Err(GpuError::Shape(_))));
}

#[test]
fn errors_are_values() {
    let Some(ctx) = ctx() else { return };
    let s = ctx.scope();
    let a = Array2::<f32>::zeros((2, 3));
    let b = Array1::<f32>::zeros(2);
    let (ga, gb) = (s.upload(&a).unwrap(), s.upload(&b).unwrap());
    assert!(matches!(ga.add(&gb), Err(GpuError::Shape(_))));
    assert!(matches!(
        ga.clamp(1.0, -1.0),
        Err(GpuError::InvalidArgument(_))
    ));
    assert!(matches!(
        ga.clamp(f32::NAN, 1.0),
        Err(GpuError::InvalidArgument(_))
    ));
    assert!(matches!(
        ga.lerp(
            &ga.sum_axis(Axis(0)).unwrap().insert_axis(Axis(0)).unwrap(),
            0.5
        ),
        Err(GpuError::Shape(_))
    ));
    assert!(matches!(ga.sum_axis(Axis(2)), Err(GpuError::Shape(_))));
    assert!(matches!(ga.into_shape(5), Err(GpuError::Shape(_))));
    let other = ctx.scope();
    let c = other.upload(&a).unwrap();
    assert!(matches!(ga.add(&c), Err(GpuError::ForeignHandle)));
    // Nothing marked: nothing submitted.
    assert_eq!(ctx.scope().run().unwrap().stats().submissions, 0);
}

#[test]
fn subnormal_behaviour_is_reported() {
    let Some(ctx) = ctx() else { return };
    let x = array![1e-40f32, -1e-40, 1e-39];
    let s = ctx.scope();
    let g = s.upload(&x).unwrap();
    let (ab, ad, mu) = (
        g.abs().read(),
        g.add(&g).unwrap().read(),
        g.scale(1.0).read(),
    );
    let res = s.run().unwrap();
    let add = res.get(&ad);
    let flushed = add[0] == 0.0;
    eprintln!(
        "subnormals: abs kept {:?}, add {:?} (flushed: {flushed}), scale {:?}",
        res.get(&ab),
        add,
        res.get(&mu)
    );
    // abs is a bit operation: never flushed.
    assert_bits("abs of subnormals", &res.get(&ab), &x.simd_abs());
    for (g, c) in add.iter().zip(x.simd_add(&x).iter()) {
        assert!(
            g.to_bits() == c.to_bits()
                || (*g == 0.0 && g.is_sign_negative() == c.is_sign_negative()),
            "add {g:e} vs {c:e}"
        );
    }
}
