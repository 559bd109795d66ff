//! GPU scope measurements: a 16M-element chain of five element-wise ops and a sum, a
//! device copy, and a 4096x4096 matmul, against trueno's CPU path.
//!
//! `cargo run --release --example gpu_bench [-- ELEMS MATMUL_N REPS]`

use ndarray::{Array1, Array2};
use std::time::{Duration, Instant};
use trueno::gpu::{GpuContext, GpuError};
use trueno::TruenoExt;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() -> Result<(), GpuError> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(1 << 24);
    let mm = args.get(1).copied().unwrap_or(4096);
    let reps = args.get(2).copied().unwrap_or(10);
    println!("trueno CPU backend: {}", trueno::backend());
    let ctx = match GpuContext::new() {
        Ok(c) => c,
        Err(e) => {
            println!("no GPU: {e}");
            return Ok(());
        }
    };
    let info = ctx.adapter_info();
    println!(
        "adapter: {} ({:?}, {:?}, driver {} {})",
        info.name, info.device_type, info.backend, info.driver, info.driver_info
    );
    println!(
        "max binding: {} elements, timestamps: {}",
        ctx.max_binding_elements(),
        ctx.has_timestamps()
    );

    let x = Array1::from_shape_fn(n, |i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0);
    let y = Array1::from_shape_fn(n, |i| ((i * 104_729) % 997) as f32 / 498.5 - 1.0);
    let mut rows = Vec::new();

    // Device copy bandwidth: one kernel reading x and writing a copy (scale by 1).
    {
        let s = ctx.scope();
        let c = s.upload_ref(&x)?.scale(1.0).read();
        let _ = s.run()?;
        let mut dev = Vec::new();
        for _ in 0..reps {
            let r = s.run()?;
            dev.push(r.stats().device_time.unwrap_or_default());
            let _ = r.get(&c);
        }
        let d = median(dev);
        let gbs = 2.0 * n as f64 * 4.0 / d.as_secs_f64() / 1e9;
        println!(
            "copy kernel (read+write {} MB): device {:.3} ms = {:.0} GB/s",
            n * 8 / 1_000_000,
            ms(d),
            gbs
        );
        rows.push(("gpu copy kernel, device".to_string(), ms(d), gbs));
    }

    // The chain: ((x*y + x) * 0.5).relu().clamp(0, 1).sum()  (5 element-wise ops + sum)
    let s = ctx.scope();
    let (gx, gy) = (s.upload_ref(&x)?, s.upload_ref(&y)?);
    let total = gx
        .mul(&gy)?
        .add(&gx)?
        .scale(0.5)
        .relu()
        .clamp(0.0, 1.0)?
        .sum()
        .read();
    let first = s.run()?;
    println!(
        "first run (compiles pipelines): {:.2} ms, {:?}",
        ms(first.stats().wall_time),
        first.stats()
    );
    let (mut wall, mut dev) = (Vec::new(), Vec::new());
    let mut gpu_sum = 0.0;
    for _ in 0..reps {
        let r = s.run()?;
        wall.push(r.stats().wall_time);
        dev.push(r.stats().device_time.unwrap_or_default());
        gpu_sum = r.get(&total);
    }
    let st = s.run()?.stats().clone();
    println!("chain stats: {st:?}");
    let (w, d) = (median(wall), median(dev));
    let bytes = 2.0 * n as f64 * 4.0;
    rows.push((
        "gpu chain, with transfers".into(),
        ms(w),
        bytes / w.as_secs_f64() / 1e9,
    ));
    rows.push((
        "gpu chain, device only".into(),
        ms(d),
        bytes / d.as_secs_f64() / 1e9,
    ));

    let mut cpu = Vec::new();
    let mut cpu_sum = 0.0;
    for _ in 0..reps.min(5) {
        let t = Instant::now();
        let mut v = x.simd_mul(&y);
        v.simd_add_assign(&x);
        v.simd_scale_inplace(0.5);
        v.simd_relu_inplace();
        v.simd_clamp_inplace(0.0, 1.0);
        cpu_sum = v.simd_sum();
        cpu.push(t.elapsed());
    }
    let c = median(cpu);
    rows.push((
        "cpu chain (trueno simd_*, 1 thread)".into(),
        ms(c),
        bytes / c.as_secs_f64() / 1e9,
    ));
    println!("chain sum: gpu {gpu_sum} cpu {cpu_sum}");

    // 4096 x 4096 matmul.
    let a = Array2::from_shape_fn((mm, mm), |(i, j)| {
        ((i * 31 + j * 17) % 101) as f32 / 101.0 - 0.5
    });
    let b = Array2::from_shape_fn((mm, mm), |(i, j)| {
        ((i * 13 + j * 7) % 97) as f32 / 97.0 - 0.5
    });
    let s = ctx.scope();
    let c_out = s.upload_ref(&a)?.matmul(&s.upload_ref(&b)?)?.read();
    let _ = s.run()?;
    let (mut wall, mut dev) = (Vec::new(), Vec::new());
    let mut gc = Array2::zeros((0, 0));
    for _ in 0..reps.min(5) {
        let r = s.run()?;
        wall.push(r.stats().wall_time);
        dev.push(r.stats().device_time.unwrap_or_default());
        gc = r.get(&c_out);
    }
    let flop = 2.0 * (mm as f64).powi(3);
    let (w, d) = (median(wall), median(dev));
    rows.push((
        format!("gpu matmul {mm}, with transfers"),
        ms(w),
        flop / w.as_secs_f64() / 1e12,
    ));
    rows.push((
        format!("gpu matmul {mm}, device only"),
        ms(d),
        flop / d.as_secs_f64() / 1e12,
    ));
    let t = Instant::now();
    let cc = a.dot(&b);
    let c = t.elapsed();
    rows.push((
        format!("cpu matmul {mm} (ndarray dot)"),
        ms(c),
        flop / c.as_secs_f64() / 1e12,
    ));
    let maxdiff = gc
        .iter()
        .zip(&cc)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0f32, f32::max);
    println!("matmul max |gpu - cpu| = {maxdiff:e}");

    println!("\n| what | ms (median) | GB/s or TFLOP/s |");
    println!("|---|---|---|");
    for (what, t, r) in rows {
        println!("| {what} | {t:.3} | {r:.2} |");
    }
    Ok(())
}
