//! One MLP layer on the GPU scope: `softmax(gelu(x·W + b))` as one submission, with
//! the run statistics. Without a GPU adapter it says so and runs the same chain on
//! the CPU.
//!
//! `cargo run --release --example gpu_scope`

use ndarray::{Array1, Array2, Axis};
use trueno::gpu::{GpuContext, GpuError};
use trueno::TruenoExt;

/// The same layer on the CPU.
fn cpu_layer(x: &Array2<f32>, w: &Array2<f32>, b: &Array1<f32>) -> Array2<f32> {
    let mut h = x.dot(w);
    h.simd_add_assign(b);
    h.simd_gelu_inplace();
    let m = h.simd_max_axis(Axis(1)).insert_axis(Axis(1));
    let mut e = h.simd_sub(&m);
    e.simd_exp_inplace();
    let s = e.simd_sum_axis(Axis(1)).insert_axis(Axis(1));
    e.simd_div(&s)
}

fn main() -> Result<(), GpuError> {
    let (batch, din, dout) = (64, 256, 512);
    let x = Array2::from_shape_fn((batch, din), |(i, j)| {
        ((i * 37 + j * 11) % 29) as f32 / 29.0 - 0.5
    });
    let w = Array2::from_shape_fn((din, dout), |(i, j)| {
        ((i * 13 + j * 5) % 31) as f32 / 310.0 - 0.05
    });
    let b = Array1::from_shape_fn(dout, |j| (j % 7) as f32 / 70.0);
    let cpu = cpu_layer(&x, &w, &b);

    let ctx = match GpuContext::new() {
        Ok(ctx) => ctx,
        Err(GpuError::NoAdapter(hint)) => {
            println!("no GPU adapter ({hint}); ran the layer on the CPU instead");
            println!("row 0 argmax: {:?}", cpu.row(0).simd_argmax());
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    println!(
        "GPU: {} ({:?})",
        ctx.adapter_info().name,
        ctx.adapter_info().backend
    );

    let scope = ctx.scope();
    let h = scope
        .upload(&x)?
        .matmul(&scope.upload(&w)?)?
        .add(&scope.upload(&b)?)?
        .gelu();
    let m = h.max_axis(Axis(1))?.insert_axis(Axis(1))?;
    let e = h.sub(&m)?.exp();
    let p = e.div(&e.sum_axis(Axis(1))?.insert_axis(Axis(1))?)?;
    let (probs, best) = (p.read(), p.argmax().read());
    for run in 0..2 {
        let res = scope.run()?;
        let st = res.stats();
        println!(
            "run {run}: {} submission, {} dispatches, {} kernels compiled, {} B up, {} B down, \
             {} buffers new / {} reused, device {:?}, wall {:?}",
            st.submissions,
            st.dispatches,
            st.pipelines_compiled,
            st.bytes_uploaded,
            st.bytes_downloaded,
            st.buffers_allocated,
            st.buffers_reused,
            st.device_time,
            st.wall_time
        );
        let g = res.get(&probs);
        let diff = g
            .iter()
            .zip(&cpu)
            .map(|(a, c)| (a - c).abs())
            .fold(0.0f32, f32::max);
        println!(
            "  max |gpu - cpu| = {diff:e}; overall argmax {:?}",
            res.get(&best)
        );
    }
    Ok(())
}
