//! # trueno
//!
//! Fast, exact `f32` array ops for [ndarray](https://docs.rs/ndarray) through
//! runtime-dispatched SIMD kernels. `use trueno::TruenoExt;` gives every `f32` array
//! (owned, view, any dimension, any layout) `simd_*` methods that return what the
//! ndarray idiom returns, bit for bit where stated, only faster.
//!
//! ```
//! use ndarray::array;
//! use trueno::TruenoExt;
//!
//! let a = array![[1.0f32, -2.0, 3.0], [4.0, 5.0, -6.0]];
//! let b = array![0.5f32, 0.25, 2.0];
//! assert_eq!(a.simd_mul(&b), &a * &b);          // broadcasting like ndarray
//! assert_eq!(a.simd_sum(), a.sum());
//! assert_eq!(a.simd_argmax(), Ok((1, 1)));       // like ndarray-stats
//! println!("running on {}", trueno::backend());  // e.g. avx2
//! ```
//!
//! ## Semantics
//!
//! | op | result |
//! |---|---|
//! | add, sub, mul, div, scale, abs | the ndarray operator / `f32` method, bit for bit |
//! | clamp(lo, hi) | `f32::clamp`, bit for bit; panics like it |
//! | lerp(b, t) | `a + t * (b - a)` in that order, bit for bit |
//! | fma(b, c) | `f32::mul_add` (one rounding) on every backend |
//! | relu | `x > 0 ? x : +0.0`, NaN stays NaN |
//! | argmax, argmin, max, min | ndarray-stats: first index in logical order, NaN → `UndefinedOrder`, empty → `EmptyInput` |
//! | sum, dot, norm_l1 | pairwise summation in one fixed order (below) |
//! | norm_l2 | √Σx² with no spurious overflow/underflow |
//! | norm_linf | max \|x\|, NaN propagates, 0 when empty |
//! | exp | within 1 ulp of the correctly rounded `e^x`; overflow to `+∞` exactly where that result overflows |
//! | sigmoid, tanh, swish | within 2 ulps; `σ(-∞) = 0`, `σ(+∞) = 1`, `tanh(±∞) = ±1`, `tanh(±0) = ±0`, `swish(-∞) = -0.0` |
//! | gelu (erf), gelu_tanh | within 4 ulps where the result is a normal f32; `-∞ → -0.0`, `+∞ → +∞` |
//!
//! A new array comes out in C order, or in F order when every operand is F-ordered, or,
//! when every operand fills its memory without gaps in one same other order (axes
//! reversed or permuted), in that order, as `mapv` returns it. An axis reduction that
//! adds subviews (along any axis but the one of smallest stride) returns F order when
//! they are F-ordered, else C order.
//!
//! The transcendental ones (exp, sigmoid, tanh, swish, gelu, gelu_tanh) are checked over
//! all 2^32 inputs on every backend (`examples/accuracy.rs`, `docs/accuracy.md`); they
//! stay within their bounds everywhere but need not give the same bits on every backend.
//!
//! **Reproducible.** Every op above but the six transcendental ones gives the same bits on every backend (NaN payloads
//! aside) for any length and alignment: reductions accumulate in a fixed order defined
//! by element indices, not by vector width. Elements are taken in memory order when the
//! operands share one set of strides and fill their memory without gaps (C, F, reversed
//! or permuted axes), and in logical order otherwise. Blocks of 512 elements
//! are spread over 32 virtual lanes (element `i` to lane `i % 32`), each lane adds its 16
//! values, block results combine pairwise, and the 32 lanes fold by halves at the end.
//!
//! ## Accuracy
//!
//! Max error in ulps of the correctly rounded result over all 2^32 inputs, where the
//! result is a normal f32 (`cargo run --release --example accuracy`):
//!
//! | op | bound | scalar | SSE2 | AVX2 | AVX-512 |
//! |---|---|---|---|---|---|
//! | exp | 1 | 0.817 | 0.817 | 0.810 | 0.810 |
//! | sigmoid | 2 | 0.821 | 0.821 | 0.821 | 0.821 |
//! | tanh | 2 | 1.111 | 1.111 | 1.093 | 1.093 |
//! | swish | 2 | 0.887 | 0.887 | 0.858 | 0.858 |
//! | gelu | 4 | 3.011 | 3.011 | 2.388 | 2.388 |
//! | gelu_tanh | 4 | 0.911 | 0.911 | 0.916 | 0.916 |
//!
//! For comparison, glibc's `f32::tanh` reaches 2.19 ulp and NumPy's float32 `exp` 2.54.
//!
//! ## Threads
//!
//! With the cargo feature `parallel`, ops over at least 256 K elements are split across
//! rayon's threads; the results keep the same bits as one thread.
//!
//! ## Large arrays
//!
//! On x86-64, an element-wise op that writes a new array, when its arrays together exceed
//! three quarters of the last-level cache, writes it with non-temporal stores: the
//! output then starts out in memory, not in the caches, which it would not have fitted
//! anyway. In-place ops store as usual. With the `parallel` feature each thread's part is
//! judged on its own, so a split op streams only when its parts are that large.
//!
//! ## GPU, and when to use it
//!
//! With the cargo feature `gpu` (on by default), [`gpu::GpuScope`] records chains of
//! these ops (plus `matmul`) on lazy handles and runs them through wgpu as one GPU
//! submission, fusing element-wise runs into generated kernels; see the [`gpu`] module.
//! Reach for it when a long chain of ops (or a matmul) runs on millions of elements and
//! only a small result comes back: on an H100 a 5-op chain plus a sum over 16 M elements
//! takes 0.07 ms on the device, but uploading the 134 MB input takes 14 ms, so work that
//! reads one array once is faster on the CPU methods. Without a discrete GPU (e.g. on
//! Mesa's software lavapipe) the CPU methods are faster.
//!
//! ## Backends
//!
//! [`Backend::Scalar`] everywhere; [`Backend::Sse2`], [`Backend::Avx2`] (with FMA) and
//! [`Backend::Avx512`] (F/BW/DQ/VL) on x86-64; [`Backend::Neon`] on aarch64; and
//! [`Backend::Wasm128`] on wasm32 when built with `-C target-feature=+simd128`
//! (WebAssembly has no runtime detection; without it, wasm builds run the scalar code).
//! The best one is picked at first use;
//! `TRUENO_BACKEND=scalar|sse2|avx2|avx512|neon|wasm128` forces one for the process and
//! [`with_backend`] for a closure on one thread.

mod backend;
mod error;
mod ext;
mod kernels;
mod layout;
mod parallel;

pub use backend::{available_backends, backend, with_backend, Backend};
pub use error::{MinMaxError, UnsupportedBackend};
pub use ext::TruenoExt;

#[cfg(feature = "gpu")]
pub mod gpu;

/// The README's examples, compiled and run as doctests (one of them uses the GPU API).
#[cfg(all(doctest, feature = "gpu"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
