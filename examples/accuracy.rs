//! Exhaustive accuracy check of the six transcendental activations: every one of the
//! 2^32 f32 inputs, on every backend this CPU runs, against an f64 reference. Prints a
//! Markdown table of the maximum error in ulps of the correctly rounded result, with an
//! input where it occurs (see `docs/accuracy.md`).
//!
//! ```text
//! cargo run --release --example accuracy                  # all 2^32 inputs (minutes)
//! cargo run --release --example accuracy -- --stride 97   # every 97th bit pattern
//! cargo run --release --example accuracy -- --ops exp,tanh --threads 2
//! ```
//!
//! Also measures `f32::exp` and `f32::tanh` of the Rust standard library (glibc's
//! `expf`/`tanhf` on Linux) on the same inputs, and for sigmoid and swish the idioms
//! `1.0 / (1.0 + (-x).exp())` and `x / (1.0 + (-x).exp())`, as the "std / idiom" column.

use ndarray::Array1;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use trueno::Backend;

#[path = "../tests/common/activation.rs"]
mod activation;

use activation::{ulp_error, Op, OPS};

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Exp => "exp",
            Op::Sigmoid => "sigmoid",
            Op::Tanh => "tanh",
            Op::Swish => "swish",
            Op::Gelu => "gelu",
            Op::GeluTanh => "gelu_tanh",
        }
    }

    fn std(self) -> Option<fn(f32) -> f32> {
        match self {
            Op::Exp => Some(f32::exp),
            Op::Tanh => Some(f32::tanh),
            Op::Sigmoid => Some(|x| 1.0 / (1.0 + (-x).exp())),
            Op::Swish => Some(|x| x / (1.0 + (-x).exp())),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Default)]
struct Worst {
    /// Maximum error over results that are normal f32 (or zero, or infinite).
    normal: (f64, f32),
    /// Maximum error over results that are subnormal f32.
    subnormal: (f64, f32),
    /// Zero results with the wrong sign.
    zero_sign: u64,
    /// Inputs counted.
    count: u64,
}

impl Worst {
    fn add(&mut self, x: f32, got: f32, reference: f64) {
        self.count += 1;
        let e = ulp_error(got, reference);
        let want = reference as f32;
        let slot = if want != 0.0 && want.abs() < f32::MIN_POSITIVE {
            &mut self.subnormal
        } else {
            &mut self.normal
        };
        if e > slot.0 || (e.is_nan() && !slot.0.is_nan()) {
            *slot = (e, x);
        }
        if want == 0.0 && got == 0.0 && want.is_sign_negative() != got.is_sign_negative() {
            self.zero_sign += 1;
        }
    }

    fn merge(&mut self, o: &Worst) {
        for (mine, theirs) in [
            (&mut self.normal, o.normal),
            (&mut self.subnormal, o.subnormal),
        ] {
            if theirs.0 > mine.0 {
                *mine = theirs;
            }
        }
        self.zero_sign += o.zero_sign;
        self.count += o.count;
    }
}

struct Args {
    stride: u64,
    threads: usize,
    ops: Vec<Op>,
    backends: Vec<Backend>,
}

fn parse_args() -> Args {
    let mut args = Args {
        stride: 1,
        threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        ops: OPS.to_vec(),
        backends: trueno::available_backends(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().expect("missing value");
        match a.as_str() {
            "--stride" => args.stride = val().parse().expect("--stride N"),
            "--threads" => args.threads = val().parse().expect("--threads N"),
            "--ops" => {
                let v = val();
                args.ops = OPS
                    .into_iter()
                    .filter(|o| v.split(',').any(|n| n == o.name()))
                    .collect();
            }
            "--backends" => {
                let v = val();
                args.backends = v.split(',').map(|b| b.parse().expect("backend")).collect();
            }
            other => panic!("unknown argument {other}"),
        }
    }
    args
}

fn main() {
    let args = parse_args();
    let nb = args.backends.len() + 1; // + std
    let total: u64 = 1 << 32;
    let unit: u64 = 1 << 22;
    let units = total / unit;
    let next = AtomicU64::new(0);
    let results = Mutex::new(vec![vec![Worst::default(); nb]; args.ops.len()]);
    let start = std::time::Instant::now();
    std::thread::scope(|sc| {
        for _ in 0..args.threads {
            sc.spawn(|| {
                let mut local = vec![vec![Worst::default(); nb]; args.ops.len()];
                let mut refs = Vec::new();
                loop {
                    let u = next.fetch_add(1, Ordering::Relaxed);
                    if u >= units {
                        break;
                    }
                    // Inputs: bit patterns b in [u*unit, (u+1)*unit) with b % stride == 0.
                    let lo = u * unit;
                    let first = lo.div_ceil(args.stride) * args.stride;
                    let xs: Array1<f32> = (first..lo + unit)
                        .step_by(args.stride as usize)
                        .map(|b| f32::from_bits(b as u32))
                        .collect();
                    if xs.is_empty() {
                        continue;
                    }
                    for (oi, &op) in args.ops.iter().enumerate() {
                        refs.clear();
                        refs.extend(xs.iter().map(|&x| op.reference(x)));
                        for (bi, &b) in args.backends.iter().enumerate() {
                            let ys = trueno::with_backend(b, || op.simd(xs.view()))
                                .expect("available backend");
                            let w = &mut local[oi][bi];
                            for ((&x, &y), &r) in xs.iter().zip(&ys).zip(&refs) {
                                w.add(x, y, r);
                            }
                        }
                        if let Some(f) = op.std() {
                            let w = &mut local[oi][nb - 1];
                            for (&x, &r) in xs.iter().zip(&refs) {
                                w.add(x, f(x), r);
                            }
                        }
                    }
                }
                let mut all = results.lock().unwrap();
                for (o, l) in all.iter_mut().zip(&local) {
                    for (w, lw) in o.iter_mut().zip(l) {
                        w.merge(lw);
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap();
    let secs = start.elapsed().as_secs_f64();
    let n = results[0][0].count;
    println!(
        "Inputs: {n} f32 bit patterns (stride {}), {} threads, {secs:.0} s.\n",
        args.stride, args.threads
    );
    let mut header = String::from("| op | bound |");
    let mut rule = String::from("|---|---|");
    for b in &args.backends {
        header += &format!(" {b} |");
        rule += "---|";
    }
    header += " std / idiom |";
    rule += "---|";
    let cell = |w: &(f64, f32)| format!("{:.3} (x = {:e})", w.0, w.1);
    println!("Max error in ulps where the result is a normal f32 (or 0, ±∞, NaN):\n");
    println!("{header}\n{rule}");
    let mut ok = true;
    for (oi, op) in args.ops.iter().enumerate() {
        let mut line = format!("| {} | {} |", op.name(), op.bound());
        for (bi, w) in results[oi].iter().enumerate() {
            if bi == nb - 1 && op.std().is_none() {
                line += " – |";
                continue;
            }
            line += &format!(" {} |", cell(&w.normal));
            if bi < nb - 1 && (w.normal.0 > op.bound() || w.normal.0.is_nan()) {
                ok = false;
            }
        }
        println!("{line}");
    }
    println!("\nMax error in ulps where the result is subnormal (ulp = 2^-149):\n");
    println!("{header}\n{rule}");
    for (oi, op) in args.ops.iter().enumerate() {
        let mut line = format!("| {} | |", op.name());
        for (bi, w) in results[oi].iter().enumerate() {
            if bi == nb - 1 && op.std().is_none() {
                line += " – |";
                continue;
            }
            line += &format!(" {} |", cell(&w.subnormal));
        }
        println!("{line}");
    }
    let zs_all: u64 = results
        .iter()
        .map(|r| r[..nb - 1].iter().map(|w| w.zero_sign).sum::<u64>())
        .sum();
    println!("\nZero results with the wrong sign (trueno backends): {zs_all}");
    println!(
        "All normal-result bounds hold: {}",
        if ok { "yes" } else { "NO" }
    );
}
