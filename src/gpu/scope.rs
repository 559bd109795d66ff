//! [`GpuScope`]: records array operations on lazy handles and runs them as one GPU
//! submission.

use super::buffers::PoolCounts;
use super::codegen::{self, Bind, Cfg, Kernel, RED_GROUPS, WG};
use super::{GpuContext, GpuError};
use crate::MinMaxError;
use ndarray::{Array, ArrayBase, Axis, Data, DimMax, Dimension, Ix0, Ix2, IxDyn, RemoveAxis};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) type NodeId = usize;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Un {
    Abs,
    Scale(f32),
    Clamp(f32, f32),
    Relu,
    Exp,
    Sigmoid,
    Gelu,
    GeluTanh,
    Swish,
    Tanh,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Bin {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Red {
    Sum,
    Dot,
    L1,
    L2,
    Linf,
    Max,
    Min,
    ArgMax,
    ArgMin,
}

#[derive(Clone, Debug)]
pub(crate) enum Op {
    Input(usize),
    Un(Un, NodeId),
    Bin(Bin, NodeId, NodeId),
    Lerp(NodeId, NodeId, f32),
    Fma(NodeId, NodeId, NodeId),
    Reshape(NodeId),
    Reduce(Red, NodeId, Option<NodeId>),
    /// (is_max, input, axis)
    ReduceAxis(bool, NodeId, usize),
    Matmul(NodeId, NodeId),
}

impl Op {
    /// Computed element by element (fusable, inlined into consumers).
    pub(crate) fn is_elementwise_like(&self) -> bool {
        matches!(
            self,
            Op::Un(..) | Op::Bin(..) | Op::Lerp(..) | Op::Fma(..) | Op::Reshape(..)
        )
    }
    fn operands(&self) -> Vec<NodeId> {
        match *self {
            Op::Input(_) => vec![],
            Op::Un(_, x) | Op::Reshape(x) | Op::ReduceAxis(_, x, _) => vec![x],
            Op::Reduce(_, x, y) => std::iter::once(x).chain(y).collect(),
            Op::Bin(_, x, y) | Op::Lerp(x, y, _) | Op::Matmul(x, y) => vec![x, y],
            Op::Fma(x, y, z) => vec![x, y, z],
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub op: Op,
    pub shape: Vec<usize>,
}

#[derive(Default)]
pub(crate) struct Graph {
    nodes: Vec<Node>,
    /// (node, is_array_output)
    outputs: Vec<(NodeId, bool)>,
}

impl Graph {
    fn push(&mut self, op: Op, shape: Vec<usize>) -> Result<NodeId, GpuError> {
        if shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .is_none_or(|n| n > u32::MAX as usize)
        {
            return Err(GpuError::Unsupported(format!(
                "arrays of more than 2^32 - 1 elements (shape {shape:?})"
            )));
        }
        self.nodes.push(Node { op, shape });
        Ok(self.nodes.len() - 1)
    }
}

/// What one [`GpuScope::run`] did.
///
/// ```
/// # use trueno::gpu::GpuContext;
/// # use ndarray::Array1;
/// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
/// let a = Array1::<f32>::linspace(0.0, 1.0, 1000);
/// let scope = ctx.scope();
/// let s = scope.upload(&a)?.exp().scale(2.0).sum().read();
/// let res = scope.run()?;
/// let st = res.stats();
/// assert_eq!((st.submissions, st.dispatches), (1, 2)); // fused map+reduce, then the final fold
/// assert_eq!(st.bytes_downloaded, 16);                 // only the scalar came back
/// # let _ = res.get(&s);
/// # Ok::<(), trueno::gpu::GpuError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunStats {
    /// `queue.submit` calls (1 per run with work, 0 for an empty scope).
    pub submissions: u32,
    /// Compute dispatches.
    pub dispatches: u32,
    /// Generated kernels whose pipelines were compiled during this run (not cached).
    pub pipelines_compiled: u32,
    /// Array bytes written to the GPU (the uploaded inputs).
    pub bytes_uploaded: u64,
    /// Bytes of kernel parameters written (sizes, scalars; a few per dispatch).
    pub param_bytes: u64,
    /// Bytes read back (the marked outputs only; 16 per scalar result).
    pub bytes_downloaded: u64,
    /// GPU buffers created by this run.
    pub buffers_allocated: u32,
    /// GPU buffers taken from the pool (left by earlier runs).
    pub buffers_reused: u32,
    /// Time on the device between the start and end of the compute pass (timestamp
    /// queries), when the adapter supports them.
    pub device_time: Option<Duration>,
    /// Wall time of `run()`: encode, upload, execute, read back.
    pub wall_time: Duration,
}

/// A recording of GPU work on arrays. Upload arrays, chain ops on the handles, mark
/// outputs with `read()`, then [`run`](GpuScope::run): the whole graph becomes one
/// `queue.submit`; runs of element-wise ops are fused into one generated kernel (also
/// into the reduction that consumes them); only marked outputs are read back.
///
/// ```
/// use ndarray::array;
/// use trueno::gpu::{GpuContext, GpuError};
/// use trueno::TruenoExt;
///
/// let x = array![[1.0f32, -2.0, 3.0], [0.5, 0.0, -1.0]];
/// let b = array![0.1f32, 0.2, 0.3];
/// let ctx = match GpuContext::new() {
///     Ok(c) => c,
///     Err(GpuError::NoAdapter(m)) => { println!("no GPU: {m}"); return Ok(()); }
///     Err(e) => return Err(e),
/// };
/// let scope = ctx.scope();
/// let y = scope.upload(&x)?.add(&scope.upload(&b)?)?.relu();   // broadcasting like ndarray
/// let (y_out, s_out, i_out) = (y.read(), y.sum().read(), y.argmax().read());
/// let res = scope.run()?;
/// assert_eq!(res.get(&y_out), x.simd_add(&b).simd_relu());
/// assert!((res.get(&s_out) - x.simd_add(&b).simd_relu().simd_sum()).abs() < 1e-6);
/// assert_eq!(res.get(&i_out), Ok((0, 2)));
/// assert_eq!(res.stats().submissions, 1);
/// # Ok::<(), GpuError>(())
/// ```
pub struct GpuScope<'a> {
    ctx: &'a GpuContext,
    g: RefCell<Graph>,
    inputs: RefCell<Vec<Cow<'a, [f32]>>>,
}

impl std::fmt::Debug for GpuScope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuScope")
            .field("nodes", &self.g.borrow().nodes.len())
            .finish()
    }
}

/// A lazy array on the GPU: the result of an upload or an op, computed at `run()`.
/// Ops on it read like the CPU `simd_*` methods without the prefix.
///
/// ```
/// # use trueno::gpu::GpuContext;
/// # use ndarray::Array2;
/// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
/// let a = Array2::<f32>::ones((2, 3));
/// let scope = ctx.scope();
/// let h = scope.upload(&a)?.scale(3.0).sub(&scope.upload(&a)?)?;
/// assert_eq!(h.shape(), &[2, 3]);
/// let out = h.read();
/// assert_eq!(scope.run()?.get(&out), Array2::from_elem((2, 3), 2.0f32));
/// # Ok::<(), trueno::gpu::GpuError>(())
/// ```
#[derive(Clone)]
pub struct GpuArray<'s, D: Dimension> {
    g: &'s RefCell<Graph>,
    id: NodeId,
    dim: D,
}

impl<D: Dimension> std::fmt::Debug for GpuArray<'_, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GpuArray(#{}, {:?})", self.id, self.dim.slice())
    }
}

/// A lazy scalar reduction result: `f32` for sum/dot/norms,
/// `Result<f32, MinMaxError>` for max/min.
///
/// ```
/// # use trueno::gpu::GpuContext;
/// # use ndarray::array;
/// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
/// let a = array![3.0f32, 4.0];
/// let scope = ctx.scope();
/// let n = scope.upload(&a)?.norm_l2();
/// // A scalar can feed further ops as a 0-d array: normalise by the norm.
/// let unit = scope.upload(&a)?.div(&n.as_array())?.read();
/// let (n, m) = (n.read(), scope.upload(&a)?.max().read());
/// let res = scope.run()?;
/// assert_eq!(res.get(&n), 5.0);
/// assert_eq!(res.get(&m), Ok(4.0));
/// assert_eq!(res.get(&unit), array![0.6f32, 0.8]);
/// # Ok::<(), trueno::gpu::GpuError>(())
/// ```
#[derive(Clone)]
pub struct GpuScalar<'s, T> {
    g: &'s RefCell<Graph>,
    id: NodeId,
    _t: PhantomData<T>,
}

/// A lazy argmax/argmin: reads back as `Result<D::Pattern, MinMaxError>`.
///
/// ```
/// # use trueno::gpu::GpuContext;
/// # use ndarray::array;
/// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
/// let a = array![[1.0f32, 9.0], [9.0, -3.0]];
/// let scope = ctx.scope();
/// let (hi, lo) = { let h = scope.upload(&a)?; (h.argmax().read(), h.argmin().read()) };
/// let res = scope.run()?;
/// assert_eq!(res.get(&hi), Ok((0, 1)));   // ties: the first index wins
/// assert_eq!(res.get(&lo), Ok((1, 1)));
/// # Ok::<(), trueno::gpu::GpuError>(())
/// ```
#[derive(Clone)]
pub struct GpuIndex<'s, D: Dimension> {
    g: &'s RefCell<Graph>,
    id: NodeId,
    dim: D,
}

/// A marked array output; [`GpuResults::get`] gives `Array<f32, D>`.
///
/// ```
/// # use trueno::gpu::GpuContext;
/// # use ndarray::array;
/// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
/// # let scope = ctx.scope();
/// # let a = array![1.0f32];
/// let out: trueno::gpu::ArrayOut<ndarray::Ix1> = scope.upload(&a)?.read();
/// # let _ = scope.run()?.get(&out);
/// # Ok::<(), trueno::gpu::GpuError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ArrayOut<D: Dimension> {
    slot: usize,
    dim: D,
}

/// A marked scalar output; [`GpuResults::get`] gives `T`.
///
/// ```
/// # use trueno::gpu::GpuContext;
/// # use ndarray::array;
/// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
/// # let scope = ctx.scope();
/// # let a = array![1.0f32, 2.0];
/// let out: trueno::gpu::ScalarOut<f32> = scope.upload(&a)?.sum().read();
/// assert_eq!(scope.run()?.get(&out), 3.0);
/// # Ok::<(), trueno::gpu::GpuError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ScalarOut<T> {
    slot: usize,
    _t: PhantomData<T>,
}

/// A marked argmax/argmin output; [`GpuResults::get`] gives
/// `Result<D::Pattern, MinMaxError>`.
///
/// ```
/// # use trueno::gpu::GpuContext;
/// # use ndarray::array;
/// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
/// # let scope = ctx.scope();
/// # let a = array![1.0f32, f32::NAN];
/// let out: trueno::gpu::IndexOut<ndarray::Ix1> = scope.upload(&a)?.argmax().read();
/// assert_eq!(scope.run()?.get(&out), Err(trueno::MinMaxError::UndefinedOrder));
/// # Ok::<(), trueno::gpu::GpuError>(())
/// ```
#[derive(Debug, Clone)]
pub struct IndexOut<D: Dimension> {
    slot: usize,
    dim: D,
}

#[derive(Debug, Clone)]
enum Slot {
    Array(Vec<f32>),
    /// Result words of a reduction and the element count of its input.
    Words([u32; 4], usize),
}

/// The outputs of one [`GpuScope::run`], read with [`get`](GpuResults::get).
///
/// ```
/// # use trueno::gpu::GpuContext;
/// # use ndarray::array;
/// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
/// let scope = ctx.scope();
/// let out = scope.upload(&array![1.0f32, -1.0])?.abs().read();
/// let res = scope.run()?;
/// assert_eq!(res.get(&out), array![1.0f32, 1.0]);
/// println!("{:?}", res.stats());
/// # Ok::<(), trueno::gpu::GpuError>(())
/// ```
#[derive(Debug, Clone)]
pub struct GpuResults {
    slots: Vec<Slot>,
    stats: RunStats,
}

/// A marked output that [`GpuResults::get`] can decode.
///
/// ```
/// # use trueno::gpu::{Fetch, GpuContext, GpuResults};
/// fn first<O: Fetch>(res: &GpuResults, o: &O) -> O::Value { res.get(o) }
/// ```
pub trait Fetch {
    /// The host value.
    type Value;
    #[doc(hidden)]
    fn fetch(&self, res: &GpuResults) -> Self::Value;
}

impl<D: Dimension> Fetch for ArrayOut<D> {
    type Value = Array<f32, D>;
    fn fetch(&self, res: &GpuResults) -> Array<f32, D> {
        match &res.slots[self.slot] {
            Slot::Array(v) => Array::from_shape_vec(self.dim.clone(), v.clone())
                .expect("slot holds the array's elements"),
            Slot::Words(..) => unreachable!("array outputs are arrays"),
        }
    }
}

fn words(res: &GpuResults, slot: usize) -> ([u32; 4], usize) {
    match &res.slots[slot] {
        Slot::Words(w, n) => (*w, *n),
        Slot::Array(v) => ([v[0].to_bits(), 0, 0, 0], v.len()),
    }
}

impl Fetch for ScalarOut<f32> {
    type Value = f32;
    fn fetch(&self, res: &GpuResults) -> f32 {
        f32::from_bits(words(res, self.slot).0[0])
    }
}

impl Fetch for ScalarOut<Result<f32, MinMaxError>> {
    type Value = Result<f32, MinMaxError>;
    fn fetch(&self, res: &GpuResults) -> Result<f32, MinMaxError> {
        let (w, n) = words(res, self.slot);
        if n == 0 {
            Err(MinMaxError::EmptyInput)
        } else if w[3] != 0 {
            Err(MinMaxError::UndefinedOrder)
        } else {
            Ok(f32::from_bits(w[0]))
        }
    }
}

impl<D: Dimension> Fetch for IndexOut<D> {
    type Value = Result<D::Pattern, MinMaxError>;
    fn fetch(&self, res: &GpuResults) -> Result<D::Pattern, MinMaxError> {
        let (w, n) = words(res, self.slot);
        if n == 0 {
            return Err(MinMaxError::EmptyInput);
        }
        if w[3] != 0 {
            return Err(MinMaxError::UndefinedOrder);
        }
        let mut flat = w[1] as usize;
        let mut idx = self.dim.clone();
        let shape = self.dim.slice().to_vec();
        for (k, &d) in shape.iter().enumerate().rev() {
            idx[k] = flat % d;
            flat /= d;
        }
        Ok(idx.into_pattern())
    }
}

impl GpuResults {
    /// The value of a marked output. Panics if `out` was marked after this run or
    /// in another scope (like indexing out of bounds).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # use ndarray::array;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// let scope = ctx.scope();
    /// let s = scope.upload(&array![1.0f32, 2.0, 3.0])?.sum().read();
    /// assert_eq!(scope.run()?.get(&s), 6.0);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn get<O: Fetch>(&self, out: &O) -> O::Value {
        out.fetch(self)
    }

    /// What the run did.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// let res = ctx.scope().run()?;
    /// assert_eq!(res.stats().submissions, 0); // nothing was marked
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn stats(&self) -> &RunStats {
        &self.stats
    }
}

fn bcast_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>, GpuError> {
    let r = a.len().max(b.len());
    let mut out = vec![0; r];
    for k in 0..r {
        let da = if k + a.len() >= r {
            a[k + a.len() - r]
        } else {
            1
        };
        let db = if k + b.len() >= r {
            b[k + b.len() - r]
        } else {
            1
        };
        out[k] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(GpuError::Shape(format!(
                "operands of shapes {a:?} and {b:?} do not broadcast"
            )));
        };
    }
    Ok(out)
}

impl<'s, D: Dimension> GpuArray<'s, D> {
    fn new_node<E: Dimension>(&self, op: Op, dim: E) -> Result<GpuArray<'s, E>, GpuError> {
        let id = self.g.borrow_mut().push(op, dim.slice().to_vec())?;
        Ok(GpuArray { g: self.g, id, dim })
    }

    fn same_scope<E: Dimension>(&self, o: &GpuArray<'s, E>) -> Result<(), GpuError> {
        if std::ptr::eq(self.g, o.g) {
            Ok(())
        } else {
            Err(GpuError::ForeignHandle)
        }
    }

    fn unary(&self, u: Un) -> GpuArray<'s, D> {
        self.new_node(Op::Un(u, self.id), self.dim.clone())
            .expect("same size as an existing node")
    }

    fn binary<E: Dimension>(
        &self,
        op: Bin,
        rhs: &GpuArray<'s, E>,
    ) -> Result<GpuArray<'s, <D as DimMax<E>>::Output>, GpuError>
    where
        D: DimMax<E>,
    {
        self.same_scope(rhs)?;
        let shape = bcast_shape(self.dim.slice(), rhs.dim.slice())?;
        let mut dim = <D as DimMax<E>>::Output::zeros(shape.len());
        dim.slice_mut().copy_from_slice(&shape);
        self.new_node(Op::Bin(op, self.id, rhs.id), dim)
    }

    fn same_shape<E: Dimension>(&self, op: &str, o: &GpuArray<'s, E>) -> Result<(), GpuError> {
        self.same_scope(o)?;
        if self.dim.slice() != o.dim.slice() {
            return Err(GpuError::Shape(format!(
                "{op} needs operands of the same shape, got {:?} and {:?}",
                self.dim.slice(),
                o.dim.slice()
            )));
        }
        Ok(())
    }

    fn reduce<T>(&self, r: Red, y: Option<NodeId>) -> GpuScalar<'s, T> {
        let id = self
            .g
            .borrow_mut()
            .push(Op::Reduce(r, self.id, y), vec![])
            .expect("a scalar");
        GpuScalar {
            g: self.g,
            id,
            _t: PhantomData,
        }
    }

    /// The shape.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// assert_eq!(s.upload(&ndarray::Array3::<f32>::zeros((2, 3, 4)))?.shape(), &[2, 3, 4]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn shape(&self) -> &[usize] {
        self.dim.slice()
    }

    /// Marks this array as an output of the next `run()`.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let out = s.upload(&ndarray::array![1.0f32])?.read();
    /// assert_eq!(s.run()?.get(&out), ndarray::array![1.0f32]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn read(&self) -> ArrayOut<D> {
        let mut g = self.g.borrow_mut();
        g.outputs.push((self.id, true));
        ArrayOut {
            slot: g.outputs.len() - 1,
            dim: self.dim.clone(),
        }
    }
}

macro_rules! binops {
    ($($(#[$m:meta])* $name:ident => $op:ident),*) => {$(
        impl<'s, D: Dimension> GpuArray<'s, D> {
            $(#[$m])*
            pub fn $name<E: Dimension>(
                &self,
                rhs: &GpuArray<'s, E>,
            ) -> Result<GpuArray<'s, <D as DimMax<E>>::Output>, GpuError>
            where
                D: DimMax<E>,
            {
                self.binary(Bin::$op, rhs)
            }
        }
    )*};
}

binops! {
    /// `self + rhs` with ndarray broadcasting (bit-exact); `Err(Shape)` when the shapes
    /// do not broadcast.
    ///
    /// ```
    /// # use trueno::gpu::{GpuContext, GpuError};
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let a = s.upload(&ndarray::Array2::<f32>::zeros((2, 3)))?;
    /// let b = s.upload(&ndarray::Array1::<f32>::zeros(4))?;
    /// assert!(matches!(a.add(&b), Err(GpuError::Shape(_))));
    /// # Ok::<(), GpuError>(())
    /// ```
    add => Add,
    /// `self - rhs` with ndarray broadcasting (bit-exact).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let a = s.upload(&ndarray::array![3.0f32, 2.0])?;
    /// let o = a.sub(&a)?.read();
    /// assert_eq!(s.run()?.get(&o), ndarray::array![0.0f32, 0.0]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    sub => Sub,
    /// `self * rhs` with ndarray broadcasting (bit-exact; never contracted into an FMA).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let a = s.upload(&ndarray::array![3.0f32, 2.0])?;
    /// let o = a.mul(&a)?.read();
    /// assert_eq!(s.run()?.get(&o), ndarray::array![9.0f32, 4.0]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    mul => Mul,
    /// `self / rhs` with ndarray broadcasting: the hardware quotient refined by one
    /// residual step (see the module docs for its accuracy).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let a = s.upload(&ndarray::array![3.0f32, 2.0])?;
    /// let o = a.div(&a)?.read();
    /// assert_eq!(s.run()?.get(&o), ndarray::array![1.0f32, 1.0]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    div => Div
}

macro_rules! unops {
    ($($(#[$m:meta])* $name:ident => $op:ident),*) => {$(
        impl<'s, D: Dimension> GpuArray<'s, D> {
            $(#[$m])*
            pub fn $name(&self) -> GpuArray<'s, D> {
                self.unary(Un::$op)
            }
        }
    )*};
}

unops! {
    /// `|x|` (clears the sign bit: bit-exact, NaN payloads kept).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&ndarray::array![-1.5f32])?.abs().read();
    /// assert_eq!(s.run()?.get(&o), ndarray::array![1.5f32]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    abs => Abs,
    /// `x > 0 ? x : +0.0`, NaN stays NaN.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&ndarray::array![-1.5f32, 2.0])?.relu().read();
    /// assert_eq!(s.run()?.get(&o), ndarray::array![0.0f32, 2.0]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    relu => Relu,
    /// `e^x`: the CPU kernel's range reduction and polynomial (not the WGSL built-in).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&ndarray::array![0.0f32, 1.0])?.exp().read();
    /// let r = s.run()?.get(&o);
    /// assert_eq!(r[0], 1.0);
    /// assert!((r[1] - std::f32::consts::E).abs() <= f32::EPSILON * 4.0);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    exp => Exp,
    /// `1 / (1 + e^-x)`.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&ndarray::array![0.0f32])?.sigmoid().read();
    /// assert_eq!(s.run()?.get(&o), ndarray::array![0.5f32]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    sigmoid => Sigmoid,
    /// The exact (erf) GELU, `x/2 · (1 + erf(x/√2))`.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&ndarray::array![0.0f32, f32::NEG_INFINITY])?.gelu().read();
    /// let r = s.run()?.get(&o);
    /// assert_eq!((r[0], r[1].to_bits()), (0.0, (-0.0f32).to_bits()));
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    gelu => Gelu,
    /// The tanh approximation of GELU.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&ndarray::array![0.0f32])?.gelu_tanh().read();
    /// assert_eq!(s.run()?.get(&o), ndarray::array![0.0f32]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    gelu_tanh => GeluTanh,
    /// `x · sigmoid(x)` (SiLU).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&ndarray::array![0.0f32])?.swish().read();
    /// assert_eq!(s.run()?.get(&o), ndarray::array![0.0f32]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    swish => Swish,
    /// `tanh(x)`.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&ndarray::array![0.0f32, 100.0])?.tanh().read();
    /// assert_eq!(s.run()?.get(&o), ndarray::array![0.0f32, 1.0]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    tanh => Tanh
}

impl<'s, D: Dimension> GpuArray<'s, D> {
    /// `x · s` (bit-exact).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&ndarray::array![1.5f32])?.scale(2.0).read();
    /// assert_eq!(s.run()?.get(&o), ndarray::array![3.0f32]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn scale(&self, s: f32) -> GpuArray<'s, D> {
        self.unary(Un::Scale(s))
    }

    /// `f32::clamp(x, lo, hi)` (bit-exact, NaN stays NaN); `Err(InvalidArgument)` where
    /// `f32::clamp` would panic (`lo > hi` or a NaN bound).
    ///
    /// ```
    /// # use trueno::gpu::{GpuContext, GpuError};
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let a = s.upload(&ndarray::array![-5.0f32, 0.5, 5.0])?;
    /// assert!(matches!(a.clamp(1.0, 0.0), Err(GpuError::InvalidArgument(_))));
    /// let o = a.clamp(0.0, 1.0)?.read();
    /// assert_eq!(s.run()?.get(&o), ndarray::array![0.0f32, 0.5, 1.0]);
    /// # Ok::<(), GpuError>(())
    /// ```
    pub fn clamp(&self, lo: f32, hi: f32) -> Result<GpuArray<'s, D>, GpuError> {
        if lo.is_nan() || hi.is_nan() || lo > hi {
            return Err(GpuError::InvalidArgument(format!(
                "clamp needs lo <= hi and no NaN bound, got {lo} and {hi}"
            )));
        }
        Ok(self.unary(Un::Clamp(lo, hi)))
    }

    /// `a + t·(b − a)`, in that order, bit-exact; `b` must have the same shape.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let a = s.upload(&ndarray::array![0.0f32, 10.0])?;
    /// let b = s.upload(&ndarray::array![1.0f32, 20.0])?;
    /// let o = a.lerp(&b, 0.5)?.read();
    /// assert_eq!(s.run()?.get(&o), ndarray::array![0.5f32, 15.0]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn lerp(&self, b: &GpuArray<'s, D>, t: f32) -> Result<GpuArray<'s, D>, GpuError> {
        self.same_shape("lerp", b)?;
        self.new_node(Op::Lerp(self.id, b.id, t), self.dim.clone())
    }

    /// `a·b + c` with one rounding (`f32::mul_add`); same shapes.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let a = s.upload(&ndarray::array![2.0f32])?;
    /// let o = a.fma(&a, &a)?.read();
    /// assert_eq!(s.run()?.get(&o), ndarray::array![6.0f32]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn fma(
        &self,
        b: &GpuArray<'s, D>,
        c: &GpuArray<'s, D>,
    ) -> Result<GpuArray<'s, D>, GpuError> {
        self.same_shape("fma", b)?;
        self.same_shape("fma", c)?;
        self.new_node(Op::Fma(self.id, b.id, c.id), self.dim.clone())
    }

    /// Sum of all elements (tree-ordered, see the module docs for the bound).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&ndarray::array![[1.0f32, 2.0], [3.0, 4.0]])?.sum().read();
    /// assert_eq!(s.run()?.get(&o), 10.0);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn sum(&self) -> GpuScalar<'s, f32> {
        self.reduce(Red::Sum, None)
    }

    /// Sum of `|x|`.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&ndarray::array![1.0f32, -2.0])?.norm_l1().read();
    /// assert_eq!(s.run()?.get(&o), 3.0);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn norm_l1(&self) -> GpuScalar<'s, f32> {
        self.reduce(Red::L1, None)
    }

    /// `√Σx²` without spurious overflow or underflow (Blue's scaling, as in BLAS nrm2).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&ndarray::array![3e30f32, 4e30])?.norm_l2().read();
    /// assert!((s.run()?.get(&o) - 5e30).abs() <= 5e30 * 1e-6);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn norm_l2(&self) -> GpuScalar<'s, f32> {
        self.reduce(Red::L2, None)
    }

    /// `max |x|`, NaN propagates, 0 when empty.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&ndarray::array![1.0f32, -7.0])?.norm_linf().read();
    /// assert_eq!(s.run()?.get(&o), 7.0);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn norm_linf(&self) -> GpuScalar<'s, f32> {
        self.reduce(Red::Linf, None)
    }

    /// Sum of products with `b` (same shape).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let a = s.upload(&ndarray::array![1.0f32, 2.0])?;
    /// let o = a.dot(&a)?.read();
    /// assert_eq!(s.run()?.get(&o), 5.0);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn dot(&self, b: &GpuArray<'s, D>) -> Result<GpuScalar<'s, f32>, GpuError> {
        self.same_shape("dot", b)?;
        Ok(self.reduce(Red::Dot, Some(b.id)))
    }

    /// The maximum (the value at [`argmax`](Self::argmax)); NaN → `UndefinedOrder`,
    /// empty → `EmptyInput`.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&ndarray::array![1.0f32, 5.0])?.max().read();
    /// assert_eq!(s.run()?.get(&o), Ok(5.0));
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn max(&self) -> GpuScalar<'s, Result<f32, MinMaxError>> {
        self.reduce(Red::Max, None)
    }

    /// The minimum, like [`max`](Self::max).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&ndarray::Array1::<f32>::zeros(0))?.min().read();
    /// assert_eq!(s.run()?.get(&o), Err(trueno::MinMaxError::EmptyInput));
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn min(&self) -> GpuScalar<'s, Result<f32, MinMaxError>> {
        self.reduce(Red::Min, None)
    }

    fn arg(&self, r: Red) -> GpuIndex<'s, D> {
        let id = self
            .g
            .borrow_mut()
            .push(Op::Reduce(r, self.id, None), vec![])
            .expect("a scalar");
        GpuIndex {
            g: self.g,
            id,
            dim: self.dim.clone(),
        }
    }

    /// Index of the first maximum in logical order, like ndarray-stats.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&ndarray::array![[1.0f32, 5.0], [5.0, 0.0]])?.argmax().read();
    /// assert_eq!(s.run()?.get(&o), Ok((0, 1)));
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn argmax(&self) -> GpuIndex<'s, D> {
        self.arg(Red::ArgMax)
    }

    /// Index of the first minimum in logical order, like ndarray-stats.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&ndarray::array![3.0f32, 1.0, 1.0])?.argmin().read();
    /// assert_eq!(s.run()?.get(&o), Ok(1));
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn argmin(&self) -> GpuIndex<'s, D> {
        self.arg(Red::ArgMin)
    }

    fn axis_red(&self, is_max: bool, axis: Axis) -> Result<GpuArray<'s, D::Smaller>, GpuError>
    where
        D: RemoveAxis,
    {
        if axis.index() >= self.dim.ndim() {
            return Err(GpuError::Shape(format!(
                "axis {} out of range for shape {:?}",
                axis.index(),
                self.dim.slice()
            )));
        }
        if is_max && self.dim[axis.index()] == 0 {
            return Err(GpuError::Shape("max_axis over an empty axis".into()));
        }
        let dim = self.dim.remove_axis(axis);
        self.new_node(Op::ReduceAxis(is_max, self.id, axis.index()), dim)
    }

    /// Sums along `axis` (for softmax and layer norm).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # use ndarray::{array, Axis};
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&array![[1.0f32, 2.0], [3.0, 4.0]])?.sum_axis(Axis(1))?.read();
    /// assert_eq!(s.run()?.get(&o), array![3.0f32, 7.0]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn sum_axis(&self, axis: Axis) -> Result<GpuArray<'s, D::Smaller>, GpuError>
    where
        D: RemoveAxis,
    {
        self.axis_red(false, axis)
    }

    /// Maxima along `axis`, NaN propagating.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # use ndarray::{array, Axis};
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&array![[1.0f32, 2.0], [3.0, 4.0]])?.max_axis(Axis(0))?.read();
    /// assert_eq!(s.run()?.get(&o), array![3.0f32, 4.0]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn max_axis(&self, axis: Axis) -> Result<GpuArray<'s, D::Smaller>, GpuError>
    where
        D: RemoveAxis,
    {
        self.axis_red(true, axis)
    }

    /// Inserts a length-1 axis (free: no data moves), e.g. to broadcast a row
    /// statistic back over the rows.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # use ndarray::{array, Axis};
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let x = s.upload(&array![[1.0f32, 3.0], [2.0, 6.0]])?;
    /// let o = x.sub(&x.max_axis(Axis(1))?.insert_axis(Axis(1))?)?.read();
    /// assert_eq!(s.run()?.get(&o), array![[-2.0f32, 0.0], [-4.0, 0.0]]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn insert_axis(&self, axis: Axis) -> Result<GpuArray<'s, D::Larger>, GpuError> {
        if axis.index() > self.dim.ndim() {
            return Err(GpuError::Shape(format!(
                "cannot insert axis {} into shape {:?}",
                axis.index(),
                self.dim.slice()
            )));
        }
        let dim = self.dim.insert_axis(axis);
        self.new_node(Op::Reshape(self.id), dim)
    }

    /// The same elements (in row-major order) with another shape of equal size.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # use ndarray::array;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&array![1.0f32, 2.0, 3.0, 4.0])?.into_shape((2, 2))?.read();
    /// assert_eq!(s.run()?.get(&o), array![[1.0f32, 2.0], [3.0, 4.0]]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn into_shape<Sh: ndarray::IntoDimension>(
        &self,
        shape: Sh,
    ) -> Result<GpuArray<'s, Sh::Dim>, GpuError> {
        let dim = shape.into_dimension();
        if dim.size() != self.dim.size() {
            return Err(GpuError::Shape(format!(
                "cannot reshape {:?} into {:?}",
                self.dim.slice(),
                dim.slice()
            )));
        }
        self.new_node(Op::Reshape(self.id), dim)
    }

    /// This handle with a dynamic dimension.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let d = s.upload(&ndarray::array![1.0f32])?.into_dyn();
    /// assert_eq!(d.shape(), &[1]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn into_dyn(&self) -> GpuArray<'s, IxDyn> {
        GpuArray {
            g: self.g,
            id: self.id,
            dim: IxDyn(self.dim.slice()),
        }
    }
}

impl<'s> GpuArray<'s, Ix2> {
    /// Matrix product `self · rhs` of an m×k and a k×n array; `Err(Shape)` when the
    /// inner dimensions differ. Sums run in k order with fused multiply-adds.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # use ndarray::array;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let a = s.upload(&array![[1.0f32, 2.0], [3.0, 4.0]])?;
    /// let o = a.matmul(&a)?.read();
    /// assert_eq!(s.run()?.get(&o), array![[7.0f32, 10.0], [15.0, 22.0]]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn matmul(&self, rhs: &GpuArray<'s, Ix2>) -> Result<GpuArray<'s, Ix2>, GpuError> {
        self.same_scope(rhs)?;
        let (m, k) = self.dim.into_pattern();
        let (k2, n) = rhs.dim.into_pattern();
        if k != k2 {
            return Err(GpuError::Shape(format!(
                "matmul of {m}x{k} and {k2}x{n}: inner dimensions differ"
            )));
        }
        if m.div_ceil(128) > 65535 || n.div_ceil(128) > 65535 {
            return Err(GpuError::Unsupported(format!("a {m}x{n} matmul result")));
        }
        self.new_node(Op::Matmul(self.id, rhs.id), Ix2(m, n))
    }
}

impl<'s, T> GpuScalar<'s, T> {
    /// Marks this scalar as an output of the next `run()`.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&ndarray::array![2.0f32])?.sum().read();
    /// assert_eq!(s.run()?.get(&o), 2.0);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn read(&self) -> ScalarOut<T> {
        let mut g = self.g.borrow_mut();
        g.outputs.push((self.id, false));
        ScalarOut {
            slot: g.outputs.len() - 1,
            _t: PhantomData,
        }
    }

    /// The scalar as a 0-d array that broadcasts against any array (for max/min on
    /// NaN or empty input its value is unspecified).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let a = s.upload(&ndarray::array![1.0f32, 3.0])?;
    /// let o = a.sub(&a.sum().as_array())?.read();
    /// assert_eq!(s.run()?.get(&o), ndarray::array![-3.0f32, -1.0]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn as_array(&self) -> GpuArray<'s, Ix0> {
        GpuArray {
            g: self.g,
            id: self.id,
            dim: Ix0(),
        }
    }
}

impl<'s, D: Dimension> GpuIndex<'s, D> {
    /// Marks this index as an output of the next `run()`.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// # let s = ctx.scope();
    /// let o = s.upload(&ndarray::array![2.0f32, 3.0])?.argmax().read();
    /// assert_eq!(s.run()?.get(&o), Ok(1));
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn read(&self) -> IndexOut<D> {
        let mut g = self.g.borrow_mut();
        g.outputs.push((self.id, false));
        IndexOut {
            slot: g.outputs.len() - 1,
            dim: self.dim.clone(),
        }
    }
}

/// The storage of one node during a run: its chunks.
struct Store {
    chunks: Vec<wgpu::Buffer>,
}

const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);
const READBACK: wgpu::BufferUsages =
    wgpu::BufferUsages::MAP_READ.union(wgpu::BufferUsages::COPY_DST);
const UPLOAD: wgpu::BufferUsages =
    wgpu::BufferUsages::MAP_WRITE.union(wgpu::BufferUsages::COPY_SRC);
const PARAMS: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE.union(wgpu::BufferUsages::COPY_DST);

impl<'a> GpuScope<'a> {
    /// An empty scope on `ctx` (same as [`GpuContext::scope`]).
    ///
    /// ```
    /// # use trueno::gpu::{GpuContext, GpuScope};
    /// # let Ok(ctx) = GpuContext::new() else { return };
    /// let scope = GpuScope::new(&ctx);
    /// # drop(scope);
    /// ```
    pub fn new(ctx: &'a GpuContext) -> Self {
        GpuScope {
            ctx,
            g: RefCell::new(Graph::default()),
            inputs: RefCell::new(Vec::new()),
        }
    }

    /// Records an array (any dimension, any layout) to upload at `run()`; its elements
    /// are copied once, in row-major order, when this is called. See
    /// [`upload_ref`](Self::upload_ref) to borrow a large array instead.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// let scope = ctx.scope();
    /// let t = scope.upload(&ndarray::Array2::<f32>::eye(3).t())?; // any layout
    /// assert_eq!(t.shape(), &[3, 3]);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn upload<S: Data<Elem = f32>, D: Dimension>(
        &self,
        a: &ArrayBase<S, D>,
    ) -> Result<GpuArray<'_, D>, GpuError> {
        let data: Vec<f32> = match a.as_slice() {
            Some(s) => s.to_vec(),
            None => a.iter().copied().collect(),
        };
        self.push_input(Cow::Owned(data), a.raw_dim())
    }

    /// Like [`upload`](Self::upload), but borrows a row-major contiguous array for
    /// the life of the scope instead of copying it (other layouts are copied).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// let big = ndarray::Array1::<f32>::ones(1 << 20);
    /// let scope = ctx.scope();
    /// let s = scope.upload_ref(&big)?.sum().read();
    /// assert_eq!(scope.run()?.get(&s), (1 << 20) as f32);
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn upload_ref<S: Data<Elem = f32>, D: Dimension>(
        &self,
        a: &'a ArrayBase<S, D>,
    ) -> Result<GpuArray<'_, D>, GpuError> {
        let data: Cow<'a, [f32]> = match a.as_slice() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(a.iter().copied().collect()),
        };
        self.push_input(data, a.raw_dim())
    }

    fn push_input<D: Dimension>(
        &self,
        data: Cow<'a, [f32]>,
        dim: D,
    ) -> Result<GpuArray<'_, D>, GpuError> {
        let mut inputs = self.inputs.borrow_mut();
        let id = self
            .g
            .borrow_mut()
            .push(Op::Input(inputs.len()), dim.slice().to_vec())?;
        inputs.push(data);
        Ok(GpuArray {
            g: &self.g,
            id,
            dim,
        })
    }

    /// Executes everything recorded that a marked output needs, as one
    /// `queue.submit`, and reads the marked outputs back. A scope can be run again
    /// (inputs are re-uploaded; pipelines and buffers are reused).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// # let Ok(ctx) = GpuContext::new() else { return Ok(()) };
    /// let a = ndarray::Array1::<f32>::ones(1 << 16);
    /// let scope = ctx.scope();
    /// let s = scope.upload(&a)?.sum().read();
    /// let first = scope.run()?;
    /// let again = scope.run()?;
    /// assert_eq!(again.get(&s), 65536.0);
    /// assert_eq!(again.stats().pipelines_compiled, 0);
    /// assert_eq!(again.stats().buffers_allocated, 0);
    /// # let _ = first;
    /// # Ok::<(), trueno::gpu::GpuError>(())
    /// ```
    pub fn run(&self) -> Result<GpuResults, GpuError> {
        let t0 = Instant::now();
        self.ctx.check_alive()?;
        let dev = &self.ctx.device;
        let oom = dev.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let val = dev.push_error_scope(wgpu::ErrorFilter::Validation);
        let internal = dev.push_error_scope(wgpu::ErrorFilter::Internal);
        let mut stats = RunStats::default();
        let mut counts = PoolCounts::default();
        let mut held: Vec<wgpu::Buffer> = Vec::new();
        let outcome = self.execute(&mut stats, &mut counts, &mut held);
        let e_int = pollster::block_on(internal.pop());
        let e_val = pollster::block_on(val.pop());
        let e_oom = pollster::block_on(oom.pop());
        if let Ok(mut pool) = self.ctx.pool.lock() {
            for b in held {
                pool.give(b);
            }
        }
        self.ctx.check_alive()?;
        if let Some(e) = [e_oom, e_val, e_int].into_iter().flatten().next() {
            return Err(GpuError::from(e));
        }
        if let Some(e) = self.ctx.uncaptured.lock().ok().and_then(|mut u| u.pop()) {
            return Err(e);
        }
        let slots = outcome?;
        stats.buffers_allocated = counts.allocated;
        stats.buffers_reused = counts.reused;
        stats.wall_time = t0.elapsed();
        Ok(GpuResults { slots, stats })
    }

    fn execute(
        &self,
        stats: &mut RunStats,
        counts: &mut PoolCounts,
        held: &mut Vec<wgpu::Buffer>,
    ) -> Result<Vec<Slot>, GpuError> {
        let ctx = self.ctx;
        let dev = &ctx.device;
        let g = self.g.borrow();
        let nodes = &g.nodes;
        let inputs = self.inputs.borrow();
        if g.outputs.is_empty() {
            return Ok(Vec::new());
        }
        let mut pool = ctx
            .pool
            .lock()
            .map_err(|_| GpuError::Internal("buffer pool poisoned".into()))?;

        // 1. Which nodes are needed, their levels, and which get their own storage.
        let nn = nodes.len();
        let mut needed = vec![false; nn];
        for &(o, _) in &g.outputs {
            needed[o] = true;
        }
        for id in (0..nn).rev() {
            if needed[id] {
                for x in nodes[id].op.operands() {
                    needed[x] = true;
                }
            }
        }
        let mut level = vec![0usize; nn];
        for id in 0..nn {
            let ops = nodes[id].op.operands();
            let m = ops.iter().map(|&x| level[x]).max().unwrap_or(0);
            level[id] = if nodes[id].op.is_elementwise_like() || ops.is_empty() {
                m
            } else {
                m + 1
            };
        }
        // Follows reshapes down to the node whose storage a reshape aliases.
        let base = |mut id: NodeId| {
            while let Op::Reshape(x) = nodes[id].op {
                id = x;
            }
            id
        };
        let mut own = vec![false; nn];
        for id in 0..nn {
            if needed[id] && !nodes[id].op.is_elementwise_like() {
                own[id] = true;
            }
        }
        let materialize = |id: NodeId, own: &mut Vec<bool>| {
            if nodes[base(id)].op.is_elementwise_like() {
                own[id] = true;
            }
        };
        for &(o, _) in &g.outputs {
            materialize(o, &mut own);
        }
        for id in 0..nn {
            if needed[id] {
                if let Op::Matmul(a, b) = nodes[id].op {
                    materialize(a, &mut own);
                    materialize(b, &mut own);
                }
            }
        }
        // node -> owner of its storage
        let owner_of = |id: NodeId| -> Option<NodeId> {
            let mut id = id;
            loop {
                if own[id] {
                    return Some(id);
                }
                match nodes[id].op {
                    Op::Reshape(x) => id = x,
                    _ => return None,
                }
            }
        };

        // 2. Storage.
        let chunk = ctx.chunk_elems;
        let cfg = Cfg {
            chunk,
            hw_fma: ctx.hw_fma.load(std::sync::atomic::Ordering::Relaxed),
        };
        let mut stores: HashMap<NodeId, Store> = HashMap::new();
        for id in 0..nn {
            if !own[id] {
                continue;
            }
            let n = if matches!(nodes[id].op, Op::Reduce(..)) {
                4
            } else {
                numel(&nodes[id].shape) as u64
            };
            let nch = n.div_ceil(chunk).max(1);
            let mut chunks = Vec::new();
            for c in 0..nch {
                let elems = (n - c * chunk).min(chunk).max(1);
                chunks.push(pool.take(dev, elems * 4, STORAGE, counts));
            }
            stores.insert(id, Store { chunks });
        }
        let storage_fn = |id: NodeId| -> Option<(NodeId, usize)> {
            owner_of(id).map(|o| (o, stores[&o].chunks.len()))
        };
        let limit = dev.limits().max_storage_buffers_per_shader_stage as usize;

        // 3. Uploads: into pooled, mapped staging buffers (no allocation after the first
        //    run), copied to the device at the start of the one command buffer.
        let mut uploads: Vec<(wgpu::Buffer, NodeId, usize, u64)> = Vec::new();
        for id in 0..nn {
            if let (true, Op::Input(_)) = (own[id], &nodes[id].op) {
                for c in 0..stores[&id].chunks.len() {
                    let lo = c as u64 * chunk;
                    let hi = (lo + chunk).min(numel(&nodes[id].shape) as u64);
                    if lo < hi {
                        let bytes = (hi - lo) * 4;
                        let st = pool.take(dev, bytes, UPLOAD, counts);
                        uploads.push((st, id, c, bytes));
                    }
                }
            }
        }
        if !uploads.is_empty() {
            let status: Arc<Mutex<Vec<Result<(), String>>>> = Arc::new(Mutex::new(Vec::new()));
            for (st, ..) in &uploads {
                let s2 = status.clone();
                st.map_async(wgpu::MapMode::Write, .., move |r| {
                    if let Ok(mut s) = s2.lock() {
                        s.push(r.map_err(|e| e.to_string()));
                    }
                });
            }
            dev.poll(wgpu::PollType::wait_indefinitely())
                .map_err(|e| GpuError::DeviceLost(e.to_string()))?;
            let st = status
                .lock()
                .map_err(|_| GpuError::Map("poisoned".into()))?;
            if st.len() != uploads.len() || st.iter().any(|r| r.is_err()) {
                return Err(GpuError::Map(format!("staging buffers not mapped: {st:?}")));
            }
            drop(st);
            for (stage, id, c, bytes) in &uploads {
                let Op::Input(k) = nodes[*id].op else {
                    unreachable!()
                };
                let lo = (*c as u64 * chunk) as usize;
                let data: &[f32] = &inputs[k][lo..lo + (*bytes / 4) as usize];
                {
                    let mut view = stage
                        .get_mapped_range_mut(0..*bytes)
                        .map_err(|e| GpuError::Map(e.to_string()))?;
                    view.copy_from_slice(bytemuck::cast_slice(data));
                }
                stage.unmap();
                stats.bytes_uploaded += bytes;
            }
        }

        // 4. Kernels, level by level: reductions and matmuls first, then the fused
        //    element-wise groups (one kernel per shape) of that level.
        struct Job {
            kernel: Kernel,
            groups: (u32, u32),
        }
        let mut jobs: Vec<Job> = Vec::new();
        let mut partials: HashMap<NodeId, wgpu::Buffer> = HashMap::new();
        let max_level = level.iter().copied().max().unwrap_or(0);
        for lv in 0..=max_level {
            for id in 0..nn {
                if !needed[id] || level[id] != lv || !own[id] {
                    continue;
                }
                match nodes[id].op {
                    Op::Reduce(r, x, y) => {
                        let n = numel(&nodes[x].shape) as u32;
                        if n == 0 {
                            continue; // handled on the host; the buffer is cleared below
                        }
                        let p = n.div_ceil(WG).clamp(1, RED_GROUPS);
                        partials.insert(id, pool.take(dev, p as u64 * 16, STORAGE, counts));
                        let k1 = codegen::reduce_pass1(nodes, &storage_fn, cfg, id, r, x, y);
                        let k2 = codegen::reduce_pass2(nodes, &storage_fn, cfg, id, r, p);
                        jobs.push(Job {
                            kernel: k1,
                            groups: (p, 1),
                        });
                        jobs.push(Job {
                            kernel: k2,
                            groups: (1, 1),
                        });
                    }
                    Op::ReduceAxis(is_max, x, axis) => {
                        let n = numel(&nodes[id].shape) as u32;
                        if n == 0 {
                            continue;
                        }
                        let k = codegen::reduce_axis(nodes, &storage_fn, cfg, id, is_max, x, axis);
                        jobs.push(Job {
                            kernel: k,
                            groups: (n.div_ceil(WG).min(65535), 1),
                        });
                    }
                    Op::Matmul(a, b) => {
                        let (m, n) = (nodes[id].shape[0] as u32, nodes[id].shape[1] as u32);
                        if m == 0 || n == 0 {
                            continue;
                        }
                        let k = codegen::matmul(nodes, &storage_fn, cfg, id, a, b);
                        jobs.push(Job {
                            kernel: k,
                            groups: (n.div_ceil(128), m.div_ceil(128)),
                        });
                    }
                    _ => {}
                }
            }
            let mut groups: Vec<(Vec<usize>, Vec<NodeId>)> = Vec::new();
            for id in 0..nn {
                if needed[id]
                    && own[id]
                    && level[id] == lv
                    && nodes[id].op.is_elementwise_like()
                    && numel(&nodes[id].shape) > 0
                {
                    match groups.iter_mut().find(|(s, _)| *s == nodes[id].shape) {
                        Some((_, v)) => v.push(id),
                        None => groups.push((nodes[id].shape.clone(), vec![id])),
                    }
                }
            }
            for (shape, roots) in groups {
                let n = numel(&shape) as u32;
                let k = codegen::elementwise(nodes, &storage_fn, cfg, &roots);
                jobs.push(Job {
                    kernel: k,
                    groups: (n.div_ceil(WG).min(65535), 1),
                });
            }
        }

        // 5. Pipelines, parameter blocks, bind groups.
        let mut prepared = Vec::new();
        for job in &jobs {
            if job.kernel.binds.len() + 1 > limit {
                return Err(GpuError::Unsupported(format!(
                    "a fused kernel needs {} storage bindings, the device allows {limit}; \
                     split the chain (fewer distinct inputs) or raise the binding size",
                    job.kernel.binds.len() + 1
                )));
            }
            let pipe = ctx.pipeline(&job.kernel.wgsl, &mut stats.pipelines_compiled)?;
            let mut meta = job.kernel.meta.clone();
            meta.resize(meta.len().div_ceil(4).max(1) * 4, 0);
            let pbuf = pool.take(dev, meta.len() as u64 * 4, PARAMS, counts);
            ctx.queue
                .write_buffer(&pbuf, 0, bytemuck::cast_slice(&meta));
            stats.param_bytes += meta.len() as u64 * 4;
            let mut entries = vec![wgpu::BindGroupEntry {
                binding: 0,
                resource: pbuf.as_entire_binding(),
            }];
            for (i, (b, _)) in job.kernel.binds.iter().enumerate() {
                let buf = match b {
                    Bind::Tensor { owner, chunk } => &stores[owner].chunks[*chunk],
                    Bind::Partials(o) => &partials[o],
                };
                entries.push(wgpu::BindGroupEntry {
                    binding: i as u32 + 1,
                    resource: buf.as_entire_binding(),
                });
            }
            let bg = dev.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("trueno"),
                layout: &pipe.layout,
                entries: &entries,
            });
            held.push(pbuf);
            prepared.push((pipe, bg, job.groups));
        }

        // 6. One command buffer: the compute pass, then copies to readback buffers.
        let mut enc = dev.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("trueno run"),
        });
        for (stage, id, c, bytes) in &uploads {
            enc.copy_buffer_to_buffer(stage, 0, &stores[id].chunks[*c], 0, *bytes);
        }
        for id in 0..nn {
            if own[id] {
                if let Op::Reduce(_, x, _) = nodes[id].op {
                    if numel(&nodes[x].shape) == 0 {
                        enc.clear_buffer(&stores[&id].chunks[0], 0, None);
                    }
                }
            }
        }
        let query = if ctx.timestamps {
            Some(dev.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("trueno"),
                ty: wgpu::QueryType::Timestamp,
                count: 2,
            }))
        } else {
            None
        };
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("trueno"),
                timestamp_writes: query.as_ref().map(|q| wgpu::ComputePassTimestampWrites {
                    query_set: q,
                    beginning_of_pass_write_index: Some(0),
                    end_of_pass_write_index: Some(1),
                }),
            });
            for (pipe, bg, (x, y)) in &prepared {
                pass.set_pipeline(&pipe.pipeline);
                pass.set_bind_group(0, bg, &[]);
                pass.dispatch_workgroups(*x, *y, 1);
                stats.dispatches += 1;
            }
        }
        let ts_read = query.as_ref().map(|q| {
            let resolve = dev.create_buffer(&wgpu::BufferDescriptor {
                label: Some("trueno ts"),
                size: 16,
                usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            });
            enc.resolve_query_set(q, 0..2, &resolve, 0);
            let rb = pool.take(dev, 16, READBACK, counts);
            enc.copy_buffer_to_buffer(&resolve, 0, &rb, 0, 16);
            rb
        });
        let mut reads: Vec<(wgpu::Buffer, u64)> = Vec::new();
        for &(o, _) in &g.outputs {
            let src = owner_of(o).expect("outputs have storage");
            let bytes = if matches!(nodes[src].op, Op::Reduce(..)) {
                16
            } else {
                numel(&nodes[o].shape) as u64 * 4
            };
            let rb = pool.take(dev, bytes.max(4), READBACK, counts);
            let mut off = 0u64;
            for buf in &stores[&src].chunks {
                let len = (bytes - off).min(buf.size());
                if len == 0 {
                    break;
                }
                enc.copy_buffer_to_buffer(buf, 0, &rb, off, len);
                off += len;
            }
            stats.bytes_downloaded += bytes;
            reads.push((rb, bytes));
        }
        ctx.queue.submit([enc.finish()]);
        stats.submissions += 1;

        // 7. Map and read.
        let status: Arc<Mutex<Vec<Result<(), String>>>> = Arc::new(Mutex::new(Vec::new()));
        let mut maps: Vec<&wgpu::Buffer> = reads.iter().map(|(b, _)| b).collect();
        if let Some(t) = &ts_read {
            maps.push(t);
        }
        for b in &maps {
            let st = status.clone();
            b.map_async(wgpu::MapMode::Read, .., move |r| {
                if let Ok(mut s) = st.lock() {
                    s.push(r.map_err(|e| e.to_string()));
                }
            });
        }
        dev.poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::DeviceLost(e.to_string()))?;
        ctx.check_alive()?;
        let st = status
            .lock()
            .map_err(|_| GpuError::Map("poisoned".into()))?;
        if st.len() != maps.len() {
            return Err(GpuError::Map("not every readback buffer was mapped".into()));
        }
        if let Some(Err(e)) = st.iter().find(|r| r.is_err()) {
            return Err(GpuError::Map(e.clone()));
        }
        drop(st);
        let mut slots = Vec::new();
        for (k, (rb, bytes)) in reads.iter().enumerate() {
            let (o, is_array) = g.outputs[k];
            {
                let view = rb
                    .get_mapped_range(..)
                    .map_err(|e| GpuError::Map(e.to_string()))?;
                let words: &[u32] = bytemuck::cast_slice(&view[..*bytes as usize]);
                let src = owner_of(o).expect("outputs have storage");
                if matches!(nodes[src].op, Op::Reduce(..)) && !is_array {
                    let n = match nodes[src].op {
                        Op::Reduce(_, x, _) => numel(&nodes[x].shape),
                        _ => 0,
                    };
                    slots.push(Slot::Words([words[0], words[1], words[2], words[3]], n));
                } else {
                    // (a reduction read as a 0-d array holds 4 words: keep the value)
                    let n = numel(&nodes[o].shape);
                    let v: Vec<f32> = bytemuck::cast_slice(&words[..n]).to_vec();
                    slots.push(Slot::Array(v));
                }
            }
            rb.unmap();
        }
        if let Some(t) = &ts_read {
            {
                let view = t
                    .get_mapped_range(..)
                    .map_err(|e| GpuError::Map(e.to_string()))?;
                let ts: &[u64] = bytemuck::cast_slice(&view[..16]);
                let ns =
                    ts[1].saturating_sub(ts[0]) as f64 * ctx.queue.get_timestamp_period() as f64;
                stats.device_time = Some(Duration::from_nanos(ns as u64));
            }
            t.unmap();
        }
        held.extend(reads.into_iter().map(|(b, _)| b));
        held.extend(uploads.into_iter().map(|(b, ..)| b));
        held.extend(ts_read);
        held.extend(partials.into_values());
        held.extend(stores.into_values().flat_map(|s| s.chunks));
        Ok(slots)
    }
}

fn numel(s: &[usize]) -> usize {
    s.iter().product()
}
