//! The comparison report: every op at 1 K, 16 K, 256 K and 4 M elements, timed for the
//! ndarray idiom, each available trueno backend and NumPy, side by side in one run, plus
//! each memory-bound op's distance to this machine's streaming ceiling.
//!
//! Run: `bash benches/report.sh` (installs NumPy, then runs this). Options:
//! `--sizes 1024,16384` to limit sizes, `--no-numpy` to skip NumPy, `--out DIR`.
//! Writes `DIR/report-<host>.md` and `DIR/speedup-<host>.svg` (default DIR: `reports`).

use ndarray::{Array1, Zip};
use ndarray_stats::QuantileExt;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;
use trueno::{available_backends, with_backend, TruenoExt};

/// The three inputs every op draws from.
struct Inputs {
    a: Array1<f32>,
    b: Array1<f32>,
    c: Array1<f32>,
}

type Run = Box<dyn Fn(&Inputs)>;

/// One op: the idiom people write today and trueno's method.
struct Op {
    name: &'static str,
    idiom: Run,
    ours: Run,
}

/// `name => idiom, trueno;` rows, each expression over the inputs `i`, black-boxed.
macro_rules! ops {
    ($($name:literal => |$i:ident| $idiom:expr, $ours:expr;)*) => {
        vec![$(Op {
            name: $name,
            idiom: Box::new(|$i: &Inputs| { black_box($idiom); }),
            ours: Box::new(|$i: &Inputs| { black_box($ours); }),
        }),*]
    };
}

fn ops() -> Vec<Op> {
    ops! {
        "add" => |i| &i.a + &i.b, i.a.simd_add(&i.b);
        "sub" => |i| &i.a - &i.b, i.a.simd_sub(&i.b);
        "mul" => |i| &i.a * &i.b, i.a.simd_mul(&i.b);
        "div" => |i| &i.a / &i.b, i.a.simd_div(&i.b);
        "abs" => |i| i.a.mapv(f32::abs), i.a.simd_abs();
        "scale" => |i| &i.a * 0.7, i.a.simd_scale(0.7);
        "clamp" => |i| i.a.mapv(|x| x.clamp(-1.0, 1.0)), i.a.simd_clamp(-1.0, 1.0);
        "lerp" => |i| Zip::from(&i.a).and(&i.b).map_collect(|&x, &y| x + 0.3 * (y - x)), i.a.simd_lerp(&i.b, 0.3);
        "fma" => |i| Zip::from(&i.a).and(&i.b).and(&i.c).map_collect(|&x, &y, &z| x.mul_add(y, z)), i.a.simd_fma(&i.b, &i.c);
        "relu" => |i| i.a.mapv(|x| if x > 0.0 { x } else { 0.0 }), i.a.simd_relu();
        "sum" => |i| i.a.sum(), i.a.simd_sum();
        "dot" => |i| i.a.dot(&i.b), i.a.simd_dot(&i.b);
        "norm_l1" => |i| i.a.fold(0.0f32, |s, x| s + x.abs()), i.a.simd_norm_l1();
        "norm_l2" => |i| i.a.dot(&i.a).sqrt(), i.a.simd_norm_l2();
        "norm_linf" => |i| i.a.fold(0.0f32, |m, x| m.max(x.abs())), i.a.simd_norm_linf();
        "max" => |i| i.a.max().ok(), i.a.simd_max().ok();
        "min" => |i| i.a.min().ok(), i.a.simd_min().ok();
        "argmax" => |i| i.a.argmax().ok(), i.a.simd_argmax().ok();
        "argmin" => |i| i.a.argmin().ok(), i.a.simd_argmin().ok();
        "exp" => |i| i.a.mapv(f32::exp), i.a.simd_exp();
        "sigmoid" => |i| i.a.mapv(|x| 1.0 / (1.0 + (-x).exp())), i.a.simd_sigmoid();
        "tanh" => |i| i.a.mapv(f32::tanh), i.a.simd_tanh();
        "swish" => |i| i.a.mapv(|x| x / (1.0 + (-x).exp())), i.a.simd_swish();
        "gelu" => |i| i.a.mapv(|x| 0.5 * x * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2))), i.a.simd_gelu();
        "gelu_tanh" => |i| i.a.mapv(|x| 0.5 * x * (1.0 + (0.797_884_6 * (x + 0.044_715 * x * x * x)).tanh())), i.a.simd_gelu_tanh();
    }
}

/// Median ns per element of `f`, calls batched so one sample lasts at least ~50 µs.
fn median_ns_per_el(n: usize, samples: usize, f: &dyn Fn()) -> f64 {
    let batch = (65_536 / n.max(1)).max(1);
    f();
    let mut t: Vec<f64> = (0..samples)
        .map(|_| {
            let s = Instant::now();
            for _ in 0..batch {
                f();
            }
            s.elapsed().as_nanos() as f64 / batch as f64
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[samples / 2] / n as f64
}

/// Measurement rounds per figure (the fastest median is kept; the main table
/// interleaves its columns round by round).
const ROUNDS: usize = 3;

fn samples_for(n: usize) -> usize {
    (200_000_000 / (n * 64)).clamp(15, 101)
}

/// A streaming probe over an op's own arrays: one timing of it in GB/s.
type Probe<'a> = Box<dyn Fn() -> f64 + 'a>;

/// Read-only ceiling over `arrays` (each read once): the faster of an xor fold of their
/// bits and trueno's sum on its widest backend.
fn read_probe<'a>(arrays: Vec<&'a Array1<f32>>) -> Probe<'a> {
    let floats: usize = arrays.iter().map(|a| a.len()).sum();
    let samples = samples_for(floats);
    let best = *available_backends().last().expect("scalar at least");
    Box::new(move || {
        let xor = median_ns_per_el(floats, samples, &|| {
            for a in &arrays {
                let words = a.as_slice().expect("contiguous");
                black_box(words.iter().fold(0u32, |x, v| x ^ v.to_bits()));
            }
        });
        let sum = with_backend(best, || {
            median_ns_per_el(floats, samples, &|| {
                for a in &arrays {
                    black_box(a.simd_sum());
                }
            })
        })
        .expect("available");
        4.0 / xor.min(sum)
    })
}

/// Read-modify-write ceiling (bytes read + written) of rewriting `target` in place from
/// itself and `others`: the faster of a plain pass (`x ^= y & z & 0` on the bits, so
/// nothing changes; compiled with AVX-512 where the CPU has it, else for the x86-64
/// baseline) and `reference`, a trueno op with that traffic that beat the plain pass
/// here (its own row then reads about 100 % by construction).
fn rmw_probe<'a>(
    target: &'a RefCell<Array1<f32>>,
    others: Vec<&'a Array1<f32>>,
    reference: Option<Box<dyn Fn() + 'a>>,
) -> Probe<'a> {
    let mask = black_box(0u32);
    let ys: Vec<&[f32]> = others
        .iter()
        .map(|o| o.as_slice().expect("contiguous"))
        .collect();
    Box::new(move || {
        let n = target.borrow().len();
        let pass = || {
            let mut t = target.borrow_mut();
            xor_in_place(t.as_slice_mut().expect("contiguous"), &ys, mask);
        };
        let mut t = median_ns_per_el(n, samples_for(n), &pass);
        if let Some(op) = &reference {
            t = t.min(median_ns_per_el(n, samples_for(n), op));
        }
        4.0 * (ys.len() + 2) as f64 / t
    })
}

/// An op's best time (ns per element) and its ceiling's best (GB/s), measured
/// alternately over [`ROUNDS`] rounds: this machine's bandwidth drifts with its
/// neighbours, and a ratio of figures taken seconds apart drifts with it.
fn side_by_side(n: usize, samples: usize, op: &dyn Fn(), ceiling: &Probe) -> (f64, f64) {
    (0..ROUNDS).fold((f64::INFINITY, 0.0f64), |(t, c), _| {
        (t.min(median_ns_per_el(n, samples, op)), c.max(ceiling()))
    })
}

/// `t[i] ^= y[i] & z[i] & m` on the bits, over no, one or two other arrays, vectorised for
/// AVX-512 where the CPU has it, else for the x86-64 baseline.
fn xor_in_place(t: &mut [f32], ys: &[&[f32]], m: u32) {
    #[inline(always)]
    fn plain(t: &mut [f32], ys: &[&[f32]], m: u32) {
        let flip = |x: &mut f32, bits: u32| *x = f32::from_bits(x.to_bits() ^ bits);
        match ys {
            [] => t.iter_mut().for_each(|x| flip(x, m)),
            [y] => t
                .iter_mut()
                .zip(*y)
                .for_each(|(x, v)| flip(x, v.to_bits() & m)),
            [y, z, ..] => t
                .iter_mut()
                .zip(*y)
                .zip(*z)
                .for_each(|((x, v), w)| flip(x, v.to_bits() & w.to_bits() & m)),
        }
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2")]
    fn wide(t: &mut [f32], ys: &[&[f32]], m: u32) {
        plain(t, ys, m)
    }
    #[cfg(target_arch = "x86_64")]
    if has_avx512f() {
        // SAFETY: AVX-512F was just detected.
        return unsafe { wide(t, ys, m) };
    }
    plain(t, ys, m)
}

/// Ceiling (bytes read + written) of computing a new array from `inputs`, as the
/// allocating ops and the idiom do: the fastest of a plain iterator loop collecting
/// `x ^ (y & z & 0)` on the bits into a fresh `Vec` (compiled for the x86-64 baseline, the
/// idiom's width, and for AVX-512 where the CPU has it) and `reference`, a trueno op with
/// that traffic (its own row then reads about 100 % by construction).
fn fresh_probe<'a>(inputs: Vec<&'a Array1<f32>>, reference: Box<dyn Fn() + 'a>) -> Probe<'a> {
    let mask = black_box(0u32);
    let slices: Vec<&[f32]> = inputs
        .iter()
        .map(|a| a.as_slice().expect("contiguous"))
        .collect();
    Box::new(move || {
        let n = slices[0].len();
        let mut t = median_ns_per_el(n, samples_for(n), &reference);
        // The baseline pass, and the AVX-512 one where there is one (not the baseline
        // twice, which would give the ceiling one more chance than the op).
        for wide in [false, true] {
            if wide && !has_avx512f() {
                continue;
            }
            t = t.min(median_ns_per_el(n, samples_for(n), &|| {
                black_box(xor_fresh(slices[0], &slices[1..], mask, wide));
            }));
        }
        4.0 * (slices.len() + 1) as f64 / t
    })
}

/// A new `x[i] ^ (y[i] & z[i] & m)` on the bits, over no, one or two other arrays,
/// vectorised for the x86-64 baseline or, if `wide` and the CPU has it, for AVX-512.
fn xor_fresh(xs: &[f32], ys: &[&[f32]], m: u32, wide: bool) -> Vec<f32> {
    #[inline(always)]
    fn plain(xs: &[f32], ys: &[&[f32]], m: u32) -> Vec<f32> {
        let flip = |x: f32, bits: u32| f32::from_bits(x.to_bits() ^ bits);
        match ys {
            [] => xs.iter().map(|&x| flip(x, m)).collect(),
            [y] => xs
                .iter()
                .zip(*y)
                .map(|(&x, v)| flip(x, v.to_bits() & m))
                .collect(),
            [y, z, ..] => xs
                .iter()
                .zip(*y)
                .zip(*z)
                .map(|((&x, v), w)| flip(x, v.to_bits() & w.to_bits() & m))
                .collect(),
        }
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2")]
    fn widest(xs: &[f32], ys: &[&[f32]], m: u32) -> Vec<f32> {
        plain(xs, ys, m)
    }
    #[cfg(target_arch = "x86_64")]
    if wide && has_avx512f() {
        // SAFETY: AVX-512F was just detected.
        return unsafe { widest(xs, ys, m) };
    }
    let _ = wide;
    plain(xs, ys, m)
}

/// Whether the CPU has AVX-512F (for the plain passes' wide variants).
fn has_avx512f() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The allocating element-wise ops against the fastest pass that writes a new array
/// from the same inputs ([`fresh_probe`]), on the widest backend.
fn fresh_ceiling_table(n: usize, inputs: &Inputs) -> String {
    type Fresh = (&'static str, usize, fn(&Inputs));
    // Not `fma`: no plain pass over three inputs came near it, so it would have no
    // ceiling here.
    let ops: [Fresh; 9] = [
        ("add", 2, |i| {
            black_box(i.a.simd_add(&i.b));
        }),
        ("sub", 2, |i| {
            black_box(i.a.simd_sub(&i.b));
        }),
        ("mul", 2, |i| {
            black_box(i.a.simd_mul(&i.b));
        }),
        ("div", 2, |i| {
            black_box(i.a.simd_div(&i.b));
        }),
        ("abs", 1, |i| {
            black_box(i.a.simd_abs());
        }),
        ("scale", 1, |i| {
            black_box(i.a.simd_scale(2.5));
        }),
        ("clamp", 1, |i| {
            black_box(i.a.simd_clamp(-1.0, 1.0));
        }),
        ("relu", 1, |i| {
            black_box(i.a.simd_relu());
        }),
        ("lerp", 2, |i| {
            black_box(i.a.simd_lerp(&i.b, 0.3));
        }),
    ];
    let best = *available_backends().last().expect("scalar at least");
    let on_best = |f: fn(&Inputs)| {
        Box::new(move || with_backend(best, || f(inputs)).expect("available")) as Box<dyn Fn()>
    };
    let probes = [
        fresh_probe(
            vec![&inputs.a],
            on_best(|i| {
                black_box(i.a.simd_abs());
            }),
        ),
        fresh_probe(
            vec![&inputs.a, &inputs.b],
            on_best(|i| {
                black_box(i.a.simd_add(&i.b));
            }),
        ),
    ];
    let samples = samples_for(n);
    let mut rows = String::new();
    with_backend(best, || {
        for (name, k, f) in ops {
            let (t, c) = side_by_side(n, samples, &|| f(inputs), &probes[k - 1]);
            let gbs = 4.0 * (k + 1) as f64 / t;
            rows += &format!(
                "| {name} | {} | {gbs:.1} | {c:.1} | {:.0} % |\n",
                size_label(n),
                100.0 * gbs / c
            );
        }
    })
    .expect("available");
    rows
}

/// Reductions and the in-place element-wise forms against the streaming ceilings, on the
/// widest backend. In-place operands are neutral (x + 0, x * 1, …) so the values never
/// drift into subnormals, which would time microcode assists instead of memory.
fn ceiling_table(n: usize) -> String {
    type Reduction = (&'static str, usize, fn(&Array1<f32>, &Array1<f32>));
    type InPlace = (
        &'static str,
        usize,
        usize,
        fn(&mut Array1<f32>, &Array1<f32>, &Array1<f32>),
    );
    let reductions: [Reduction; 9] = [
        ("sum", 1, |a, _| {
            black_box(a.simd_sum());
        }),
        ("dot", 2, |a, b| {
            black_box(a.simd_dot(b));
        }),
        ("norm_l1", 1, |a, _| {
            black_box(a.simd_norm_l1());
        }),
        ("norm_l2", 1, |a, _| {
            black_box(a.simd_norm_l2());
        }),
        ("norm_linf", 1, |a, _| {
            black_box(a.simd_norm_linf());
        }),
        ("max", 1, |a, _| {
            black_box(a.simd_max().ok());
        }),
        ("min", 1, |a, _| {
            black_box(a.simd_min().ok());
        }),
        ("argmax", 1, |a, _| {
            black_box(a.simd_argmax().ok());
        }),
        ("argmin", 1, |a, _| {
            black_box(a.simd_argmin().ok());
        }),
    ];
    // (name, f32 streams moved per element incl. the write-back, the probe it is measured
    // against (index into `rmw` below: the same arrays, so their placement costs both
    // the same), op given target, zeros, ones)
    let inplace: [InPlace; 10] = [
        ("add_assign", 3, 1, |a, z, _| a.simd_add_assign(z)),
        ("sub_assign", 3, 1, |a, z, _| a.simd_sub_assign(z)),
        ("mul_assign", 3, 2, |a, _, o| a.simd_mul_assign(o)),
        ("div_assign", 3, 2, |a, _, o| a.simd_div_assign(o)),
        ("abs_inplace", 2, 0, |a, _, _| a.simd_abs_inplace()),
        ("scale_inplace", 2, 0, |a, _, _| a.simd_scale_inplace(1.0)),
        ("clamp_inplace", 2, 0, |a, _, _| {
            a.simd_clamp_inplace(-10.0, 10.0)
        }),
        ("relu_inplace", 2, 0, |a, _, _| a.simd_relu_inplace()),
        ("lerp_inplace", 3, 2, |a, _, o| a.simd_lerp_inplace(o, 0.0)),
        ("fma_inplace", 4, 3, |a, z, o| a.simd_fma_inplace(o, z)),
    ];
    // Written element by element: `zeros()` would map untouched zero pages, which read
    // from one cached page and make any kernel look faster than memory.
    let zeros = Array1::from_shape_fn(n, |i| if i == n { 1.0 } else { 0.0 });
    let ones = Array1::from_shape_fn(n, |i| if i == n { 0.0 } else { 1.0 });
    let data = Array1::from_iter((0..n).map(|i| 1.0 + (i % 97) as f32 * 0.01));
    let target = RefCell::new(data.clone());
    let reads = [read_probe(vec![&data]), read_probe(vec![&data, &ones])];
    let best = *available_backends().last().expect("scalar at least");
    // The reference ops run on the widest backend, as the ops they measure.
    let on_best = |f: fn(&RefCell<Array1<f32>>, &Array1<f32>, &Array1<f32>)| {
        let (target, zeros, ones) = (&target, &zeros, &ones);
        Some(
            Box::new(move || with_backend(best, || f(target, zeros, ones)).expect("available"))
                as Box<dyn Fn()>,
        )
    };
    let rmw = [
        rmw_probe(
            &target,
            vec![],
            on_best(|t, _, _| t.borrow_mut().simd_abs_inplace()),
        ),
        rmw_probe(
            &target,
            vec![&zeros],
            on_best(|t, z, _| t.borrow_mut().simd_add_assign(z)),
        ),
        rmw_probe(
            &target,
            vec![&ones],
            on_best(|t, _, o| t.borrow_mut().simd_mul_assign(o)),
        ),
        rmw_probe(&target, vec![&zeros, &ones], None),
    ];
    let samples = samples_for(n);
    // (name, GB/s achieved, its ceiling's GB/s measured beside it, kind)
    let mut measured: Vec<(&str, f64, f64, &str)> = Vec::new();
    with_backend(best, || {
        for (name, streams, f) in reductions {
            let (t, c) = side_by_side(n, samples, &|| f(&data, &ones), &reads[streams - 1]);
            measured.push((name, 4.0 * streams as f64 / t, c, "read"));
        }
        for (name, streams, probe, f) in inplace {
            let op = || f(&mut target.borrow_mut(), &zeros, &ones);
            // `streams` counts the write too; the target is read once and written once.
            let (t, c) = side_by_side(n, samples, &op, &rmw[probe]);
            let gbs = 4.0 * streams as f64 / t;
            measured.push((name, gbs, c, "read-modify-write"));
        }
    })
    .expect("available");
    let mut rows = String::new();
    for &(name, gbs, c, kind) in &measured {
        rows += &format!(
            "| {name} | {} | {gbs:.1} | {c:.1} ({kind}) | {:.0} % |\n",
            size_label(n),
            100.0 * gbs / c
        );
    }
    rows
}

/// Scaling of the `parallel` feature at 16 M elements over 1, 2, 4, … threads.
#[cfg(feature = "parallel")]
fn scaling_table() -> String {
    type Case = (&'static str, fn(&mut Array1<f32>, &Array1<f32>));
    let n = 1 << 24;
    let a = Array1::from_shape_fn(n, |i| ((i % 1013) as f32 - 500.0) * 0.01);
    let b = Array1::from_shape_fn(n, |i| 1.0 + (i % 7) as f32 * 0.125);
    let cases: [Case; 6] = [
        ("add", |a, b| {
            black_box(a.simd_add(b));
        }),
        ("add_assign", |a, b| a.simd_add_assign(b)),
        ("sum", |a, _| {
            black_box(a.simd_sum());
        }),
        ("dot", |a, b| {
            black_box(a.simd_dot(b));
        }),
        ("norm_l2", |a, _| {
            black_box(a.simd_norm_l2());
        }),
        ("argmax", |a, _| {
            black_box(a.simd_argmax().ok());
        }),
    ];
    let max_threads = std::thread::available_parallelism()
        .map(|t| t.get())
        .unwrap_or(1);
    let counts: Vec<usize> = (0..)
        .map(|k| 1 << k)
        .take_while(|&t| t <= max_threads)
        .collect();
    let mut md = format!("\n### `parallel` feature: scaling at 16 M elements\n\nns per element (speedup over 1 thread); results are bit-identical for every thread count.\n\n| op |{}\n|---|{}\n",
        counts.iter().map(|t| format!(" {t} thr |")).collect::<String>(),
        counts.iter().map(|_| "---|").collect::<String>());
    for (name, f) in cases {
        let target = std::sync::Mutex::new(a.clone());
        md += &format!("| {name} |");
        let mut base = 0.0;
        for &t in &counts {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .expect("pool");
            let ns = pool.install(|| {
                median_ns_per_el(n, 9, &|| f(&mut target.lock().expect("not poisoned"), &b))
            });
            if t == 1 {
                base = ns;
            }
            md += &format!(" {ns:.3} ({:.1}×) |", base / ns);
        }
        md += "\n";
        eprintln!("scaling {name} done");
    }
    md
}

#[cfg(not(feature = "parallel"))]
fn scaling_table() -> String {
    String::from("\n(Build with `--features parallel` for the thread-scaling table.)\n")
}

fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

fn host() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "host".into())
}

/// NumPy's version and its ns/element per op and size.
type NumpyTimes = (String, BTreeMap<String, BTreeMap<String, f64>>);

fn numpy(sizes: &[usize]) -> Option<NumpyTimes> {
    let out = std::process::Command::new("python3")
        .arg("benches/numpy_bench.py")
        .args(sizes.iter().map(|n| n.to_string()))
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "numpy benchmark failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    parse_numpy_json(&text)
}

/// Parses `{"numpy": "x", "results": {"op": {"n": v, ...}, ...}}` (the script's only shape).
fn parse_numpy_json(text: &str) -> Option<NumpyTimes> {
    let version = text
        .split("\"numpy\": \"")
        .nth(1)?
        .split('"')
        .next()?
        .to_string();
    let body = text.split("\"results\": {").nth(1)?;
    let mut all = BTreeMap::new();
    for part in body.split("}, ").chain(std::iter::once("")) {
        let Some((name, rest)) = part.split_once("\": {") else {
            continue;
        };
        let name = name.trim_start_matches(['"', ' ']).to_string();
        let mut per = BTreeMap::new();
        for kv in rest.trim_end_matches('}').split(", ") {
            if let Some((k, v)) = kv.split_once(": ") {
                if let Ok(v) = v.trim_end_matches('}').parse::<f64>() {
                    per.insert(k.trim_matches('"').to_string(), v);
                }
            }
        }
        all.insert(name, per);
    }
    Some((version, all))
}

fn size_label(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{}M", n >> 20)
    } else {
        format!("{}K", n >> 10)
    }
}

fn main() {
    // Everything but the scaling table is one thread: with the `parallel` feature, the
    // default rayon pool would otherwise split the large sizes over every core.
    #[cfg(feature = "parallel")]
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("one-thread pool")
        .install(report);
    #[cfg(not(feature = "parallel"))]
    report();
}

fn report() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let sizes: Vec<usize> = flag("--sizes")
        .map(|s| s.split(',').map(|x| x.parse().expect("size")).collect())
        .unwrap_or_else(|| vec![1 << 10, 1 << 14, 1 << 18, 1 << 22]);
    let out_dir = flag("--out").unwrap_or_else(|| "reports".into());
    let backends = available_backends();
    let cpu = cpu_name();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    eprintln!("timing on {cpu} ({threads} threads), backends {backends:?}");

    let np = if args.iter().any(|a| a == "--no-numpy") {
        None
    } else {
        numpy(&sizes)
    };
    let ops = ops();
    // results[op][size] = (idiom, per-backend, numpy)
    let mut md = String::new();
    md += &format!("## Speed on {cpu}\n\nOne thread, ns per element (lower is better; the fastest of three interleaved medians), measured side by side in one run by `bash benches/report.sh`");
    if let Some((v, _)) = &np {
        md += &format!("; NumPy {v} float32");
    }
    md += ". Speedups are ndarray idiom ÷ best trueno backend, and NumPy ÷ best trueno.\n\n";
    md += "| op | n | ndarray |";
    for b in &backends {
        md += &format!(" {b} |");
    }
    md += " NumPy | × ndarray | × NumPy |\n|---|---|---|";
    for _ in &backends {
        md += "---|";
    }
    md += "---|---|---|\n";
    let mut chart: Vec<(String, f64)> = vec![];
    let mut ceiling_rows = String::new();
    let mut fresh_rows = String::new();
    let mut rng_state = 7u64;
    let mut rnd = |lo: f32, hi: f32| {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        lo + (hi - lo) * ((rng_state >> 40) as f32 / (1u64 << 24) as f32)
    };
    for &n in &sizes {
        let inputs = Inputs {
            a: Array1::from_iter((0..n).map(|_| rnd(-3.0, 3.0))),
            b: Array1::from_iter((0..n).map(|_| rnd(0.5, 3.0))),
            c: Array1::from_iter((0..n).map(|_| rnd(-3.0, 3.0))),
        };
        if n >= 1 << 18 {
            ceiling_rows += &ceiling_table(n);
        }
        // Below the streaming threshold only: beyond it trueno's streaming stores beat
        // any plain pass (and the idiom), and the probe would time trueno against itself.
        if (1 << 14..=1 << 18).contains(&n) {
            fresh_rows += &fresh_ceiling_table(n, &inputs);
        }
        for o in &ops {
            let samples = samples_for(n);
            // Three interleaved rounds, the fastest median of each column: this shared
            // machine has slow phases lasting seconds, which one round can land in.
            let mut idiom = f64::INFINITY;
            let mut per = vec![f64::INFINITY; backends.len()];
            for _ in 0..ROUNDS {
                idiom = idiom.min(median_ns_per_el(n, samples, &|| (o.idiom)(&inputs)));
                for (t, &b) in per.iter_mut().zip(&backends) {
                    let m = with_backend(b, || median_ns_per_el(n, samples, &|| (o.ours)(&inputs)))
                        .expect("available");
                    *t = t.min(m);
                }
            }
            let best = per.iter().copied().fold(f64::INFINITY, f64::min);
            let numpy = np
                .as_ref()
                .and_then(|(_, r)| r.get(o.name))
                .and_then(|m| m.get(&n.to_string()))
                .copied();
            md += &format!("| {} | {} | {:.3} |", o.name, size_label(n), idiom);
            for t in &per {
                md += &format!(" {t:.3} |");
            }
            md += &match numpy {
                Some(v) => format!(" {v:.3} | {:.1}× | {:.1}× |\n", idiom / best, v / best),
                None => format!(" – | {:.1}× | – |\n", idiom / best),
            };
            if n == 1 << 18 {
                chart.push((o.name.to_string(), idiom / best));
            }
            eprintln!(
                "{:>10} {:>5}: ndarray {idiom:.3}  best trueno {best:.3} ns/el",
                o.name,
                size_label(n)
            );
        }
    }
    md += "\n### Distance to the streaming ceiling\n\nAchieved GB/s on the widest backend (bytes the op must read and write ÷ time) against the ceiling of its traffic over the same arrays, measured alternately with it (the fastest of three rounds of each, as this machine's bandwidth drifts): for reductions the faster of an xor fold of the bits and trueno's sum; for the in-place forms the faster of a plain in-place xor pass and trueno's fastest op with that traffic over the same arrays (`abs_inplace` for one array, `add_assign` or `mul_assign` for two), which beat the plain pass. (The allocating forms in the table above also fault in a fresh output array, as the ndarray idiom does, which costs both the same.)\n\n| op | n | achieved GB/s | ceiling GB/s | % |\n|---|---|---|---|---|\n";
    md += &ceiling_rows;
    md += "\n### Allocating element-wise ops against the fastest allocating pass\n\nAchieved GB/s (inputs read + output written ÷ time) of each op that returns a new array, on the widest backend, against the fastest pass this machine runs that allocates and writes a new array from the same inputs, measured alternately with it as above: the fastest of a plain iterator loop collecting `x ^ (y & z & 0)` on the bits into a new `Vec` (compiled for the x86-64 baseline, the idiom's width, and for AVX-512 where the CPU has it) and trueno's `abs` (one input) or `add` (two), whose rows then read about 100 % by construction. At 16 K and 256 K only: beyond the streaming threshold trueno's non-temporal stores beat every plain pass. A plain loop of the idiom's width is one of the candidates, so where an op reads close to 100 % the idiom cannot be much faster than it; a row above 100 % means its ceiling's rounds fell in a slower phase of the machine. (`fma` has no row: no plain pass over three inputs came near it.)\n\n| op | n | achieved GB/s | ceiling GB/s | % |\n|---|---|---|---|---|\n";
    md += &fresh_rows;
    if !args.iter().any(|a| a == "--no-scaling") {
        md += &scaling_table();
    }
    std::fs::create_dir_all(&out_dir).expect("output dir");
    let tag = host();
    let md_path = format!("{out_dir}/report-{tag}.md");
    std::fs::write(&md_path, &md).expect("write report");
    let svg_path = format!("{out_dir}/speedup-{tag}.svg");
    std::fs::write(&svg_path, svg(&chart, &cpu)).expect("write chart");
    println!("{md}");
    eprintln!("wrote {md_path} and {svg_path}");
}

/// A horizontal bar chart of speedups over the ndarray idiom at 256 K (log scale).
fn svg(rows: &[(String, f64)], cpu: &str) -> String {
    let (w, bar, left) = (720.0, 22.0, 110.0);
    let h = 60.0 + bar * rows.len() as f64;
    let max = rows.iter().map(|r| r.1).fold(2.0f64, f64::max).log10();
    let x = |v: f64| left + (v.max(0.1).log10() + 1.0) / (max + 1.0) * (w - left - 80.0);
    let mut s = format!("<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n<text x='10' y='20' font-size='14'>trueno speedup over the ndarray idiom, 256 K f32, one thread ({cpu})</text>\n");
    let one = x(1.0);
    for (i, (name, v)) in rows.iter().enumerate() {
        let y = 40.0 + bar * i as f64;
        let color = if *v >= 1.0 { "#2a7" } else { "#c44" };
        let (x0, x1) = if *v >= 1.0 {
            (one, x(*v))
        } else {
            (x(*v), one)
        };
        s += &format!(
            "<text x='{}' y='{}' text-anchor='end'>{name}</text>\n",
            left - 6.0,
            y + 15.0
        );
        s += &format!(
            "<rect x='{x0:.1}' y='{y:.1}' width='{:.1}' height='{}' fill='{color}'/>\n",
            (x1 - x0).max(1.0),
            bar - 4.0
        );
        s += &format!(
            "<text x='{:.1}' y='{}'>{v:.1}×</text>\n",
            x1.max(one) + 4.0,
            y + 15.0
        );
    }
    s += &format!(
        "<line x1='{one:.1}' y1='34' x2='{one:.1}' y2='{}' stroke='#333'/>\n</svg>\n",
        h - 10.0
    );
    s
}
