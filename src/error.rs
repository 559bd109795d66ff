//! Error types of the CPU API.

use crate::Backend;
use std::fmt;

/// Why a min/max/argmin/argmax reduction has no answer; mirrors `ndarray_stats::errors::MinMaxError`.
///
/// ```
/// use ndarray::Array1;
/// use trueno::{MinMaxError, TruenoExt};
/// let empty = Array1::<f32>::zeros(0);
/// assert_eq!(empty.simd_max(), Err(MinMaxError::EmptyInput));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MinMaxError {
    /// The array has no elements.
    EmptyInput,
    /// The array contains a NaN, so no element is the largest (or smallest).
    UndefinedOrder,
}

impl fmt::Display for MinMaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MinMaxError::EmptyInput => write!(f, "Empty input."),
            MinMaxError::UndefinedOrder => {
                write!(f, "Undefined ordering between a tested pair of values.")
            }
        }
    }
}

impl std::error::Error for MinMaxError {}

/// A backend was requested that this CPU (or this build) cannot run.
///
/// ```
/// use trueno::{with_backend, Backend};
/// if !Backend::Neon.is_available() {
///     assert!(with_backend(Backend::Neon, || ()).is_err());
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnsupportedBackend(pub Backend);

impl fmt::Display for UnsupportedBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} backend is not available on this CPU/build",
            self.0
        )
    }
}

impl std::error::Error for UnsupportedBackend {}
