//! [`GpuError`]: everything that can go wrong on the GPU path, as a value.

use std::fmt;

/// An error from the GPU path. Nothing in `trueno::gpu` panics or aborts on a GPU
/// problem: adapter and device failures, validation errors, out-of-memory and device
/// loss all come back as one of these.
///
/// ```
/// use trueno::gpu::{GpuContext, GpuError};
///
/// match GpuContext::new() {
///     Ok(ctx) => println!("GPU: {}", ctx.adapter_info().name),
///     Err(GpuError::NoAdapter(hint)) => println!("no GPU, staying on the CPU: {hint}"),
///     Err(e) => println!("GPU unusable: {e}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum GpuError {
    /// No usable adapter; the message says what to install.
    NoAdapter(String),
    /// The adapter refused to open a device.
    RequestDevice(String),
    /// Operands whose shapes do not fit the op (reported when the op is recorded).
    Shape(String),
    /// An argument the op rejects (e.g. `clamp` with `lo > hi` or a NaN bound).
    InvalidArgument(String),
    /// A handle from another scope was passed to this one.
    ForeignHandle,
    /// The work needs more than the device offers (bindings, sizes, index range).
    Unsupported(String),
    /// The device ran out of memory.
    OutOfMemory(String),
    /// wgpu reported a validation error (a bug in trueno: please report it).
    Validation(String),
    /// wgpu reported an internal error (e.g. a shader the driver could not compile).
    Internal(String),
    /// The device was lost (driver reset, GPU removed, destroyed); make a new context.
    DeviceLost(String),
    /// Reading results back failed.
    Map(String),
}

impl fmt::Display for GpuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GpuError::NoAdapter(m) => write!(f, "no GPU adapter found: {m}"),
            GpuError::RequestDevice(m) => write!(f, "could not open the GPU device: {m}"),
            GpuError::Shape(m) => write!(f, "shape error: {m}"),
            GpuError::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            GpuError::ForeignHandle => write!(f, "a GPU array handle from another scope was used"),
            GpuError::Unsupported(m) => write!(f, "not supported by this device: {m}"),
            GpuError::OutOfMemory(m) => write!(f, "GPU out of memory: {m}"),
            GpuError::Validation(m) => write!(f, "wgpu validation error: {m}"),
            GpuError::Internal(m) => write!(f, "wgpu internal error: {m}"),
            GpuError::DeviceLost(m) => write!(f, "GPU device lost: {m}"),
            GpuError::Map(m) => write!(f, "reading GPU results back failed: {m}"),
        }
    }
}

impl std::error::Error for GpuError {}

impl From<wgpu::Error> for GpuError {
    fn from(e: wgpu::Error) -> Self {
        match e {
            wgpu::Error::OutOfMemory { .. } => GpuError::OutOfMemory(e.to_string()),
            wgpu::Error::Validation { description, .. } => GpuError::Validation(description),
            wgpu::Error::Internal { description, .. } => GpuError::Internal(description),
        }
    }
}
