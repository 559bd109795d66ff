//! GPU execution through [wgpu](https://wgpu.rs): a [`GpuScope`] records array ops on
//! lazy handles and runs them as **one** `queue.submit`.
//!
//! ```
//! use ndarray::Array2;
//! use trueno::gpu::{GpuContext, GpuError};
//! use trueno::TruenoExt;
//!
//! let ctx = match GpuContext::new() {
//!     Ok(ctx) => ctx,
//!     Err(GpuError::NoAdapter(hint)) => { println!("no GPU ({hint})"); return Ok(()); }
//!     Err(e) => return Err(e),
//! };
//! let x = Array2::from_shape_fn((64, 32), |(i, j)| (i as f32 - j as f32) / 50.0);
//! let scope = ctx.scope();
//! let h = scope.upload(&x)?;
//! let y = h.scale(2.0).relu().sub(&h)?;      // one fused kernel
//! let (y_out, total) = (y.read(), y.sum().read());
//! let res = scope.run()?;
//! let cpu = x.simd_scale(2.0).simd_relu().simd_sub(&x);
//! assert_eq!(res.get(&y_out), cpu);                // bit for bit
//! println!("sum = {}, {:?}", res.get(&total), res.stats());
//! # Ok::<(), GpuError>(())
//! ```
//!
//! ## Execution model
//!
//! * Element-wise ops (add, sub, mul, div with broadcasting, abs, scale, clamp, lerp,
//!   fma, relu, exp, sigmoid, gelu, gelu_tanh, swish, tanh) are never executed on their
//!   own: each marked element-wise output gets one generated WGSL kernel per shape and
//!   level (all outputs of one shape share it), and a reduction or axis reduction
//!   evaluates the element-wise expression feeding it inside its own first pass. An
//!   intermediate nobody marked never touches memory. Matmul operands that are
//!   expressions are materialised once.
//! * Reductions are two dispatches (1024 workgroup partials, then one fold), in a fixed
//!   order that does not depend on the device.
//! * Pipelines are cached by kernel text (sizes and scalars travel as parameters);
//!   buffers are pooled across runs; arrays larger than one storage binding are split
//!   over several bindings.
//! * Every problem comes back as a [`GpuError`] (error scopes around the run, a device
//!   lost callback, an uncaptured-error handler); nothing panics.
//!
//! ## Semantics against the CPU methods
//!
//! add, sub, mul, scale, abs, clamp, relu, lerp, max, min, argmax, argmin: bit-exact
//! for normal numbers (products are kept out of FMA contraction). fma: the device's
//! fused multiply-add where a start-up probe shows it rounds once, else an exact
//! emulation. div: the hardware quotient corrected with the exact residual (bit-exact
//! in the tests). Whether subnormal inputs and results are flushed to zero is up to the
//! driver (lavapipe keeps them, NVIDIA flushes); abs is a bit operation and never
//! flushes. exp, sigmoid, tanh, swish, gelu, gelu_tanh: ports of the CPU kernels as
//! they were when the GPU work was done (same reductions, polynomials and pair
//! arithmetic; no WGSL built-ins; the CPU's sigmoid, swish and gelu_tanh have leaner
//! forms since, and its tanh and gelu come from tables of polynomials), within the CPU
//! ULP bounds in the tests. sum, dot, norms: per-thread strided sums then a tree; norm_l2 uses Blue's
//! scaling. Details and measurements: `docs/gpu.md`.

mod buffers;
mod codegen;
mod context;
mod error;
mod scope;

pub use context::{GpuContext, GpuOptions};
pub use error::GpuError;
pub use scope::{
    ArrayOut, Fetch, GpuArray, GpuIndex, GpuResults, GpuScalar, GpuScope, IndexOut, RunStats,
    ScalarOut,
};
