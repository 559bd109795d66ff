//! The six transcendental activations as test subjects: their f64 references, the
//! contract's ulp bounds and the error measure, shared by `tests/activations.rs` and
//! `examples/accuracy.rs` (which includes this file by path).

use ndarray::{Array1, ArrayView1};
use trueno::TruenoExt;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Exp,
    Sigmoid,
    Tanh,
    Swish,
    Gelu,
    GeluTanh,
}

pub const OPS: [Op; 6] = [
    Op::Exp,
    Op::Sigmoid,
    Op::Tanh,
    Op::Swish,
    Op::Gelu,
    Op::GeluTanh,
];

impl Op {
    /// The contract's bound in ulps (for gelu and gelu_tanh: where the result is normal).
    pub fn bound(self) -> f64 {
        match self {
            Op::Exp => 1.0,
            Op::Sigmoid | Op::Tanh | Op::Swish => 2.0,
            Op::Gelu | Op::GeluTanh => 4.0,
        }
    }

    /// The exact result, as an f64 accurate far beyond f32 precision.
    pub fn reference(self, x: f32) -> f64 {
        let x = x as f64;
        if x.is_infinite() {
            // Limits fixed by the contract (the f64 formulas would give inf/inf).
            return match (self, x > 0.0) {
                (Op::Exp, true) | (Op::Swish, true) | (Op::Gelu, true) | (Op::GeluTanh, true) => {
                    f64::INFINITY
                }
                (Op::Exp, false) | (Op::Sigmoid, false) => 0.0,
                (Op::Sigmoid, true) => 1.0,
                (Op::Tanh, p) => {
                    if p {
                        1.0
                    } else {
                        -1.0
                    }
                }
                (_, false) => -0.0,
            };
        }
        match self {
            Op::Exp => x.exp(),
            Op::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Op::Tanh => x.tanh(),
            Op::Swish => x / (1.0 + (-x).exp()),
            Op::Gelu => 0.5 * x * libm::erfc(-x * std::f64::consts::FRAC_1_SQRT_2),
            Op::GeluTanh => {
                // 0.5 x (1 + tanh(u)) = x σ(2u), without the cancellation of 1 + tanh.
                let u = (2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x);
                x / (1.0 + (-2.0 * u).exp())
            }
        }
    }

    pub fn simd(self, a: ArrayView1<'_, f32>) -> Array1<f32> {
        match self {
            Op::Exp => a.simd_exp(),
            Op::Sigmoid => a.simd_sigmoid(),
            Op::Tanh => a.simd_tanh(),
            Op::Swish => a.simd_swish(),
            Op::Gelu => a.simd_gelu(),
            Op::GeluTanh => a.simd_gelu_tanh(),
        }
    }
}

/// Error of `got` in ulps of the correctly rounded `reference` (0 when both are the same
/// infinity or both NaN; infinite for a NaN, infinity or overflow mismatch).
pub fn ulp_error(got: f32, reference: f64) -> f64 {
    let want = reference as f32;
    if reference.is_nan() || got.is_nan() {
        return if reference.is_nan() && got.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if want.is_infinite() || got.is_infinite() {
        return if got == want { 0.0 } else { f64::INFINITY };
    }
    let a = want.abs();
    let ulp = if a < f32::MIN_POSITIVE {
        f64::from(f32::from_bits(1))
    } else {
        // 2^(e - 23) for a normal f32 with biased exponent e + 127, built as f64 bits.
        f64::from_bits((((a.to_bits() >> 23) as u64) + 1023 - 127 - 23) << 52)
    };
    (got as f64 - reference).abs() / ulp
}
