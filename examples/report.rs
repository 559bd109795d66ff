//! The comparison report: every op at 1 K, 16 K, 256 K and 4 M elements, timed for the
//! ndarray idiom, each available trueno backend and NumPy, side by side in one run, plus
//! each memory-bound op's distance to this machine's streaming ceiling.
//!
//! Run: `bash benches/report.sh` (installs NumPy, then runs this). Options:
//! `--sizes 1024,16384` to limit sizes, `--no-numpy` to skip NumPy, `--out DIR`.
//! Writes `DIR/report-<host>.md` and `DIR/speedup-<host>.svg` (default DIR: `reports`).

use ndarray::{Array1, Zip};
use ndarray_stats::QuantileExt;
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

/// One op: the idiom people write today and trueno's method, plus its memory traffic.
struct Op {
    name: &'static str,
    idiom: Run,
    ours: Run,
    /// f32 streams read and written per element (None: compute-bound).
    streams: Option<(usize, usize)>,
}

fn op(
    name: &'static str,
    streams: Option<(usize, usize)>,
    idiom: impl Fn(&Inputs) + 'static,
    ours: impl Fn(&Inputs) + 'static,
) -> Op {
    Op {
        name,
        idiom: Box::new(idiom),
        ours: Box::new(ours),
        streams,
    }
}

fn ops() -> Vec<Op> {
    vec![
        op(
            "add",
            Some((2, 1)),
            |i| {
                black_box(&i.a + &i.b);
            },
            |i| {
                black_box(i.a.simd_add(&i.b));
            },
        ),
        op(
            "sub",
            Some((2, 1)),
            |i| {
                black_box(&i.a - &i.b);
            },
            |i| {
                black_box(i.a.simd_sub(&i.b));
            },
        ),
        op(
            "mul",
            Some((2, 1)),
            |i| {
                black_box(&i.a * &i.b);
            },
            |i| {
                black_box(i.a.simd_mul(&i.b));
            },
        ),
        op(
            "div",
            Some((2, 1)),
            |i| {
                black_box(&i.a / &i.b);
            },
            |i| {
                black_box(i.a.simd_div(&i.b));
            },
        ),
        op(
            "abs",
            Some((1, 1)),
            |i| {
                black_box(i.a.mapv(f32::abs));
            },
            |i| {
                black_box(i.a.simd_abs());
            },
        ),
        op(
            "scale",
            Some((1, 1)),
            |i| {
                black_box(&i.a * 0.7);
            },
            |i| {
                black_box(i.a.simd_scale(0.7));
            },
        ),
        op(
            "clamp",
            Some((1, 1)),
            |i| {
                black_box(i.a.mapv(|x| x.clamp(-1.0, 1.0)));
            },
            |i| {
                black_box(i.a.simd_clamp(-1.0, 1.0));
            },
        ),
        op(
            "lerp",
            Some((2, 1)),
            |i| {
                black_box(
                    Zip::from(&i.a)
                        .and(&i.b)
                        .map_collect(|&x, &y| x + 0.3 * (y - x)),
                );
            },
            |i| {
                black_box(i.a.simd_lerp(&i.b, 0.3));
            },
        ),
        op(
            "fma",
            Some((3, 1)),
            |i| {
                black_box(
                    Zip::from(&i.a)
                        .and(&i.b)
                        .and(&i.c)
                        .map_collect(|&x, &y, &z| x.mul_add(y, z)),
                );
            },
            |i| {
                black_box(i.a.simd_fma(&i.b, &i.c));
            },
        ),
        op(
            "relu",
            Some((1, 1)),
            |i| {
                black_box(i.a.mapv(|x| if x > 0.0 { x } else { 0.0 }));
            },
            |i| {
                black_box(i.a.simd_relu());
            },
        ),
        op(
            "sum",
            Some((1, 0)),
            |i| {
                black_box(i.a.sum());
            },
            |i| {
                black_box(i.a.simd_sum());
            },
        ),
        op(
            "dot",
            Some((2, 0)),
            |i| {
                black_box(i.a.dot(&i.b));
            },
            |i| {
                black_box(i.a.simd_dot(&i.b));
            },
        ),
        op(
            "norm_l1",
            Some((1, 0)),
            |i| {
                black_box(i.a.fold(0.0f32, |s, x| s + x.abs()));
            },
            |i| {
                black_box(i.a.simd_norm_l1());
            },
        ),
        op(
            "norm_l2",
            Some((1, 0)),
            |i| {
                black_box(i.a.dot(&i.a).sqrt());
            },
            |i| {
                black_box(i.a.simd_norm_l2());
            },
        ),
        op(
            "norm_linf",
            Some((1, 0)),
            |i| {
                black_box(i.a.fold(0.0f32, |m, x| m.max(x.abs())));
            },
            |i| {
                black_box(i.a.simd_norm_linf());
            },
        ),
        op(
            "max",
            Some((1, 0)),
            |i| {
                black_box(i.a.max().ok());
            },
            |i| {
                black_box(i.a.simd_max().ok());
            },
        ),
        op(
            "min",
            Some((1, 0)),
            |i| {
                black_box(i.a.min().ok());
            },
            |i| {
                black_box(i.a.simd_min().ok());
            },
        ),
        op(
            "argmax",
            Some((1, 0)),
            |i| {
                black_box(i.a.argmax().ok());
            },
            |i| {
                black_box(i.a.simd_argmax().ok());
            },
        ),
        op(
            "argmin",
            Some((1, 0)),
            |i| {
                black_box(i.a.argmin().ok());
            },
            |i| {
                black_box(i.a.simd_argmin().ok());
            },
        ),
    ]
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

fn samples_for(n: usize) -> usize {
    (200_000_000 / (n * 64)).clamp(15, 101)
}

/// Streaming ceilings in GB/s for `n` f32 values: a read-only pass (the faster of a
/// u64 xor fold and trueno's widest sum) and a copy into a preallocated buffer (memcpy).
fn ceilings(n: usize) -> (f64, f64) {
    let words = vec![0x3f80_0000_3f80_0000u64; n / 2];
    let src = vec![1.0f32; n];
    let dst = std::cell::RefCell::new(vec![0.0f32; n]);
    let view = ndarray::ArrayView1::from(&src[..]);
    let samples = samples_for(n);
    let xor = median_ns_per_el(n, samples, &|| {
        black_box(words.iter().fold(0u64, |x, &w| x ^ w));
    });
    let best = *available_backends().last().expect("scalar at least");
    let sum = with_backend(best, || {
        median_ns_per_el(n, samples, &|| {
            black_box(view.simd_sum());
        })
    })
    .expect("available");
    let copy = median_ns_per_el(n, samples, &|| {
        dst.borrow_mut().copy_from_slice(black_box(&src));
    });
    (4.0 / xor.min(sum), 8.0 / copy)
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
    md += &format!("## Speed on {cpu}\n\nOne thread, median ns per element (lower is better), measured side by side in one run by `bash benches/report.sh`");
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
        let (read_gbs, copy_gbs) = if n >= 1 << 18 {
            ceilings(n)
        } else {
            (0.0, 0.0)
        };
        for o in &ops {
            let samples = samples_for(n);
            let idiom = median_ns_per_el(n, samples, &|| (o.idiom)(&inputs));
            let per: Vec<f64> = backends
                .iter()
                .map(|&b| {
                    with_backend(b, || median_ns_per_el(n, samples, &|| (o.ours)(&inputs)))
                        .expect("available")
                })
                .collect();
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
            if let (Some((r, w)), true) = (o.streams, n >= 1 << 18) {
                let bytes = 4.0 * (r + w) as f64;
                let achieved = bytes / best;
                let ceiling = if w == 0 { read_gbs } else { copy_gbs };
                ceiling_rows += &format!(
                    "| {} | {} | {:.1} | {:.1} | {:.0} % |\n",
                    o.name,
                    size_label(n),
                    achieved,
                    ceiling,
                    100.0 * achieved / ceiling
                );
            }
            eprintln!(
                "{:>10} {:>5}: ndarray {idiom:.3}  best trueno {best:.3} ns/el",
                o.name,
                size_label(n)
            );
        }
    }
    md += "\n### Distance to the streaming ceiling\n\nAchieved GB/s of the best backend (bytes the op must read and write ÷ time) against this machine's measured ceiling: a read-only pass for reductions, a copy into a preallocated buffer for element-wise ops (which also allocate and fault in a fresh output array, as the idiom does).\n\n| op | n | achieved GB/s | ceiling GB/s | % |\n|---|---|---|---|---|\n";
    md += &ceiling_rows;
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
