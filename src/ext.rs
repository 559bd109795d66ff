//! [`TruenoExt`]: the `simd_*` methods on every `f32` array. This file handles shapes,
//! broadcasting and layouts, and hands contiguous runs to the kernel table in use.

use crate::backend::kernels;
use crate::kernels::elementwise::binop;
use crate::kernels::{Kernels, Partials};
use crate::layout::{for_each_logical_chunk, for_each_run, Run, Strided};
use crate::MinMaxError;
use ndarray::{
    Array, ArrayBase, ArrayRef, ArrayView, Axis, Data, DimMax, Dimension, ErrorKind, RemoveAxis,
    ShapeBuilder, ShapeError,
};

/// The shape two operands broadcast to, by ndarray's (NumPy's) rules; panics with
/// ndarray's message when they are incompatible.
fn co_broadcast<D1: Dimension, D2: Dimension, Out: Dimension>(a: &D1, b: &D2) -> Out {
    let (long, short) = if a.ndim() >= b.ndim() {
        (a.slice(), b.slice())
    } else {
        (b.slice(), a.slice())
    };
    let mut out = Out::zeros(long.len());
    out.slice_mut().copy_from_slice(long);
    let k = long.len() - short.len();
    for (o, &s) in out.slice_mut()[k..].iter_mut().zip(short) {
        if *o != s {
            if *o == 1 {
                *o = s;
            } else if s != 1 {
                // Panics with exactly ndarray's message.
                #[allow(clippy::unnecessary_literal_unwrap)]
                Err::<(), _>(ShapeError::from_kind(ErrorKind::IncompatibleShape)).unwrap();
            }
        }
    }
    out
}

/// `view` broadcast to `dim`, panicking like ndarray's `+=` when it cannot be.
fn broadcast_to<'a, D: Dimension, E: Dimension>(
    view: &'a ArrayRef<f32, E>,
    dim: &D,
) -> ArrayView<'a, f32, D> {
    view.broadcast(dim.clone()).unwrap_or_else(|| {
        panic!(
            "ndarray: could not broadcast array from shape: {:?} to: {:?}",
            view.shape(),
            dim.slice()
        )
    })
}

/// Panics unless `b` has exactly the shape of `a` (for lerp, fma and dot).
fn assert_same_shape(op: &str, a: &[usize], b: &[usize]) {
    assert!(
        a == b,
        "trueno: {op} needs operands of the same shape, got {a:?} and {b:?}"
    );
}

/// A new array of `dim` whose elements are computed run by run by `f` from `inputs`
/// (already broadcast to `dim`). Written once, into uninitialised memory.
fn map_new<D: Dimension, const K: usize>(
    dim: D,
    splat_ok: bool,
    inputs: [ArrayView<'_, f32, D>; K],
    mut f: impl FnMut([Run; K], *mut f32, usize),
) -> Array<f32, D> {
    let all_c = inputs.iter().all(|v| v.is_standard_layout());
    let all_f = !all_c && dim.ndim() > 1 && inputs.iter().all(|v| v.t().is_standard_layout());
    let mut out = if all_f {
        Array::<f32, D>::uninit(dim.f())
    } else {
        Array::<f32, D>::uninit(dim)
    };
    let out_ptr = out.as_mut_ptr() as *mut f32;
    if all_c || all_f {
        let len = out.len();
        if len > 0 {
            let runs = inputs.map(|v| Run::Mem(v.as_ptr()));
            f(runs, out_ptr, len);
        }
    } else {
        let strides = out.strides().to_vec();
        let shape = out.shape().to_vec();
        let operands: [Strided<'_>; K] = core::array::from_fn(|k| Strided::of(&inputs[k]));
        // SAFETY: `out` and the broadcast inputs all have shape `shape`, and their
        // strides address valid elements for every index of it.
        unsafe { for_each_run(&shape, out_ptr, &strides, false, splat_ok, operands, f) };
    }
    // SAFETY: every element was written exactly once above (the runs cover the shape).
    unsafe { out.assume_init() }
}

/// Overwrites `target` run by run with `f(target, others…)`; `others` are broadcast to
/// `target`'s shape already.
fn map_inplace<D: Dimension, const K: usize>(
    target: &mut ArrayRef<f32, D>,
    splat_ok: bool,
    others: [ArrayView<'_, f32, D>; K],
    mut f: impl FnMut(*const f32, [Run; K], *mut f32, usize),
) {
    let strides = target.strides().to_vec();
    let same_layout = others.iter().all(|v| v.strides() == &strides[..]);
    if same_layout && target.as_slice_memory_order().is_some() {
        let len = target.len();
        if len == 0 {
            return;
        }
        // Every operand shares the strides of the contiguous target, so the element at
        // memory position i of each is the same logical element.
        let lowest = |v: &ArrayView<'_, f32, D>| {
            v.as_slice_memory_order()
                .expect("same strides as a contiguous array")
                .as_ptr()
        };
        let runs = others.map(|v| Run::Mem(lowest(&v)));
        let t = target.as_slice_memory_order_mut().expect("checked above");
        let p = t.as_mut_ptr();
        f(p, runs, p, len);
        return;
    }
    let shape = target.shape().to_vec();
    let out_ptr = target.as_mut_ptr();
    let operands: [Strided<'_>; K] = core::array::from_fn(|k| Strided::of(&others[k]));
    // SAFETY: `target` and the broadcast operands have shape `shape`; `f` reads the
    // target's current values through `out`, which `for_each_run` stages when strided.
    unsafe {
        for_each_run(
            &shape,
            out_ptr,
            &strides,
            true,
            splat_ok,
            operands,
            |runs, out, n| f(out, runs, out, n),
        )
    };
}

/// Runs one binary operator with whatever operand kinds the run has.
///
/// # Safety
/// Memory runs must be readable and `out` writable for `n` values.
unsafe fn binary_run(k: &Kernels, op: u8, a: Run, b: Run, out: *mut f32, n: usize) {
    let fns = &k.binary[op as usize];
    // SAFETY: forwarded from the caller.
    unsafe {
        match (a, b) {
            (Run::Mem(a), Run::Mem(b)) => (fns.vv)(a, b, out, n),
            (Run::Mem(a), Run::Splat(b)) => (fns.vs)(a, b, out, n),
            (Run::Splat(a), Run::Mem(b)) => (fns.sv)(a, b, out, n),
            (Run::Splat(a), Run::Splat(b)) => {
                (fns.vs)(&a, b, out, 1);
                let v = *out;
                for i in 1..n {
                    *out.add(i) = v;
                }
            }
        }
    }
}

/// The pointer of a memory run (runs of ops other than the binary operators are
/// never splats: they are requested with `splat_ok = false`).
fn mem(run: Run) -> *const f32 {
    match run {
        Run::Mem(p) => p,
        Run::Splat(_) => unreachable!("splat runs were not requested"),
    }
}

/// Sums a reduction over `views` in the canonical order: one kernel call over memory
/// order when they share a contiguous layout, else logical-order chunks.
fn reduce<D: Dimension, const K: usize>(
    views: [ArrayView<'_, f32, D>; K],
    mut feed: impl FnMut([*const f32; K], usize, &mut Partials),
) -> f32 {
    let mut acc = Partials::default();
    let strides = views[0].strides().to_vec();
    let slices: Option<Vec<&[f32]>> = if views.iter().all(|v| v.strides() == &strides[..]) {
        views.iter().map(|v| v.as_slice_memory_order()).collect()
    } else {
        None
    };
    match slices {
        Some(s) => feed(
            core::array::from_fn(|k| s[k].as_ptr()),
            s[0].len(),
            &mut acc,
        ),
        None => for_each_logical_chunk(views, |chunk| {
            feed(chunk.map(|c| c.as_ptr()), chunk[0].len(), &mut acc)
        }),
    }
    acc.total()
}

/// The elements of `view` as one slice: itself when contiguous, else a logical-order copy.
fn contiguous<'a, D: Dimension>(view: &'a ArrayRef<f32, D>) -> std::borrow::Cow<'a, [f32]> {
    match view.as_slice_memory_order() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(view.iter().copied().collect()),
    }
}

/// The multi-index (row-major) of flat logical position `i` in `shape`.
fn unravel<D: Dimension>(shape: &[usize], mut i: usize) -> D::Pattern {
    let mut index = D::zeros(shape.len());
    for (d, &len) in shape.iter().enumerate().rev() {
        index[d] = i % len;
        i /= len;
    }
    index.into_pattern()
}

/// `simd_*` methods for every `f32` array: owned arrays, views, mutable views, any
/// dimension and layout. Implemented on ndarray's [`ArrayRef`], which every
/// `ArrayBase<S, D>` with `S: Data<Elem = f32>` dereferences to.
///
/// ```
/// use ndarray::array;
/// use trueno::TruenoExt;
/// let a = array![[1.0f32, -2.0], [3.0, -4.0]];
/// let b = array![10.0f32, 20.0];
/// assert_eq!(a.simd_add(&b), &a + &b);
/// assert_eq!(a.simd_sum(), -2.0);
/// assert_eq!(a.simd_argmax(), Ok((1, 0)));
/// ```
pub trait TruenoExt {
    /// The array's dimension type.
    type Dim: Dimension;

    /// `&self + rhs` with ndarray's co-broadcasting; panics where ndarray panics.
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let a = array![[1.0f32], [2.0]];
    /// assert_eq!(a.simd_add(&array![10.0f32, 20.0]), array![[11.0, 21.0], [12.0, 22.0]]);
    /// ```
    fn simd_add<S2, E>(
        &self,
        rhs: &ArrayBase<S2, E>,
    ) -> Array<f32, <Self::Dim as DimMax<E>>::Output>
    where
        S2: Data<Elem = f32>,
        E: Dimension,
        Self::Dim: DimMax<E>;

    /// `&self - rhs` with ndarray's co-broadcasting.
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// assert_eq!(array![3.0f32, 4.0].simd_sub(&array![1.0f32]), array![2.0, 3.0]);
    /// ```
    fn simd_sub<S2, E>(
        &self,
        rhs: &ArrayBase<S2, E>,
    ) -> Array<f32, <Self::Dim as DimMax<E>>::Output>
    where
        S2: Data<Elem = f32>,
        E: Dimension,
        Self::Dim: DimMax<E>;

    /// `&self * rhs` with ndarray's co-broadcasting.
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// assert_eq!(array![3.0f32, 4.0].simd_mul(&array![2.0f32, 0.5]), array![6.0, 2.0]);
    /// ```
    fn simd_mul<S2, E>(
        &self,
        rhs: &ArrayBase<S2, E>,
    ) -> Array<f32, <Self::Dim as DimMax<E>>::Output>
    where
        S2: Data<Elem = f32>,
        E: Dimension,
        Self::Dim: DimMax<E>;

    /// `&self / rhs` with ndarray's co-broadcasting.
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// assert_eq!(array![3.0f32, 4.0].simd_div(&array![2.0f32]), array![1.5, 2.0]);
    /// ```
    fn simd_div<S2, E>(
        &self,
        rhs: &ArrayBase<S2, E>,
    ) -> Array<f32, <Self::Dim as DimMax<E>>::Output>
    where
        S2: Data<Elem = f32>,
        E: Dimension,
        Self::Dim: DimMax<E>;

    /// `self.mapv(f32::abs)`.
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// assert_eq!(array![-1.5f32, 2.0].simd_abs(), array![1.5, 2.0]);
    /// ```
    fn simd_abs(&self) -> Array<f32, Self::Dim>;

    /// `&self * s`.
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// assert_eq!(array![1.0f32, 2.0].simd_scale(3.0), array![3.0, 6.0]);
    /// ```
    fn simd_scale(&self, s: f32) -> Array<f32, Self::Dim>;

    /// `self.mapv(|x| x.clamp(lo, hi))`; panics like `f32::clamp` if `lo > hi` or either is NaN.
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// assert_eq!(array![-5.0f32, 0.5, 5.0].simd_clamp(-1.0, 1.0), array![-1.0, 0.5, 1.0]);
    /// ```
    fn simd_clamp(&self, lo: f32, hi: f32) -> Array<f32, Self::Dim>;

    /// `a + t * (b - a)` element-wise (same shape as `self`, else panics).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// assert_eq!(array![0.0f32, 10.0].simd_lerp(&array![10.0f32, 20.0], 0.5), array![5.0, 15.0]);
    /// ```
    fn simd_lerp<S2: Data<Elem = f32>>(
        &self,
        b: &ArrayBase<S2, Self::Dim>,
        t: f32,
    ) -> Array<f32, Self::Dim>;

    /// `a.mul_add(b, c)` element-wise, one rounding (same shapes as `self`, else panics).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let r = array![2.0f32].simd_fma(&array![3.0f32], &array![1.0f32]);
    /// assert_eq!(r, array![7.0]);
    /// ```
    fn simd_fma<S2: Data<Elem = f32>, S3: Data<Elem = f32>>(
        &self,
        b: &ArrayBase<S2, Self::Dim>,
        c: &ArrayBase<S3, Self::Dim>,
    ) -> Array<f32, Self::Dim>;

    /// `x > 0 ? x : +0.0` element-wise; NaN stays NaN.
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// assert_eq!(array![-1.0f32, 2.0].simd_relu(), array![0.0, 2.0]);
    /// ```
    fn simd_relu(&self) -> Array<f32, Self::Dim>;

    /// Sum of all elements (pairwise order; see the crate docs). `0.0` when empty.
    ///
    /// ```
    /// use ndarray::Array1;
    /// use trueno::TruenoExt;
    /// assert_eq!(Array1::from_elem(1000, 0.5f32).simd_sum(), 500.0);
    /// ```
    fn simd_sum(&self) -> f32;

    /// Sum of `self[i] * b[i]` over all elements (same shape, else panics).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// assert_eq!(array![1.0f32, 2.0, 3.0].simd_dot(&array![4.0f32, 5.0, 6.0]), 32.0);
    /// ```
    fn simd_dot<S2: Data<Elem = f32>>(&self, b: &ArrayBase<S2, Self::Dim>) -> f32;

    /// Sum of `|x|`.
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// assert_eq!(array![1.0f32, -2.0].simd_norm_l1(), 3.0);
    /// ```
    fn simd_norm_l1(&self) -> f32;

    /// `√Σx²` without overflow or underflow of the intermediate sum.
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// assert_eq!(array![3.0f32, -4.0].simd_norm_l2(), 5.0);
    /// assert_eq!(array![3e30f32, 4e30].simd_norm_l2(), 5e30);
    /// ```
    fn simd_norm_l2(&self) -> f32;

    /// `max |x|`; NaN if any element is NaN; `0.0` when empty.
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// assert_eq!(array![1.0f32, -7.0, 3.0].simd_norm_linf(), 7.0);
    /// ```
    fn simd_norm_linf(&self) -> f32;

    /// The largest element, like ndarray-stats' `QuantileExt::max` (by value).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::{MinMaxError, TruenoExt};
    /// assert_eq!(array![1.0f32, 7.0, 3.0].simd_max(), Ok(7.0));
    /// assert_eq!(array![1.0f32, f32::NAN].simd_max(), Err(MinMaxError::UndefinedOrder));
    /// ```
    fn simd_max(&self) -> Result<f32, MinMaxError>;

    /// The smallest element, like ndarray-stats' `QuantileExt::min` (by value).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// assert_eq!(array![1.0f32, -7.0, 3.0].simd_min(), Ok(-7.0));
    /// ```
    fn simd_min(&self) -> Result<f32, MinMaxError>;

    /// Index of the first largest element in logical order, like `QuantileExt::argmax`.
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// assert_eq!(array![[1.0f32, 9.0], [9.0, 2.0]].simd_argmax(), Ok((0, 1)));
    /// ```
    fn simd_argmax(&self) -> Result<<Self::Dim as Dimension>::Pattern, MinMaxError>;

    /// Index of the first smallest element in logical order, like `QuantileExt::argmin`.
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// assert_eq!(array![3.0f32, -1.0, -1.0].simd_argmin(), Ok(1));
    /// ```
    fn simd_argmin(&self) -> Result<<Self::Dim as Dimension>::Pattern, MinMaxError>;

    /// Sum along `axis`, like `sum_axis`.
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use trueno::TruenoExt;
    /// let a = array![[1.0f32, 2.0], [3.0, 4.0]];
    /// assert_eq!(a.simd_sum_axis(Axis(0)), array![4.0, 6.0]);
    /// assert_eq!(a.simd_sum_axis(Axis(1)), array![3.0, 7.0]);
    /// ```
    fn simd_sum_axis(&self, axis: Axis) -> Array<f32, <Self::Dim as Dimension>::Smaller>
    where
        Self::Dim: RemoveAxis;

    /// Maximum along `axis`; a lane containing NaN gives NaN, an empty lane `-∞`.
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use trueno::TruenoExt;
    /// let a = array![[1.0f32, 5.0], [3.0, 4.0]];
    /// assert_eq!(a.simd_max_axis(Axis(0)), array![3.0, 5.0]);
    /// assert_eq!(a.simd_max_axis(Axis(1)), array![5.0, 4.0]);
    /// ```
    fn simd_max_axis(&self, axis: Axis) -> Array<f32, <Self::Dim as Dimension>::Smaller>
    where
        Self::Dim: RemoveAxis;

    /// `self += rhs` (rhs broadcast to `self`'s shape; panics like `+=` otherwise).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let mut a = array![[1.0f32, 2.0], [3.0, 4.0]];
    /// a.simd_add_assign(&array![10.0f32, 20.0]);
    /// assert_eq!(a, array![[11.0, 22.0], [13.0, 24.0]]);
    /// ```
    fn simd_add_assign<S2: Data<Elem = f32>, E: Dimension>(&mut self, rhs: &ArrayBase<S2, E>);

    /// `self -= rhs` (rhs broadcast to `self`'s shape).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let mut a = array![1.0f32, 2.0];
    /// a.simd_sub_assign(&array![1.0f32]);
    /// assert_eq!(a, array![0.0, 1.0]);
    /// ```
    fn simd_sub_assign<S2: Data<Elem = f32>, E: Dimension>(&mut self, rhs: &ArrayBase<S2, E>);

    /// `self *= rhs` (rhs broadcast to `self`'s shape).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let mut a = array![1.0f32, 2.0];
    /// a.simd_mul_assign(&array![3.0f32, 4.0]);
    /// assert_eq!(a, array![3.0, 8.0]);
    /// ```
    fn simd_mul_assign<S2: Data<Elem = f32>, E: Dimension>(&mut self, rhs: &ArrayBase<S2, E>);

    /// `self /= rhs` (rhs broadcast to `self`'s shape).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let mut a = array![1.0f32, 2.0];
    /// a.simd_div_assign(&array![2.0f32]);
    /// assert_eq!(a, array![0.5, 1.0]);
    /// ```
    fn simd_div_assign<S2: Data<Elem = f32>, E: Dimension>(&mut self, rhs: &ArrayBase<S2, E>);

    /// In-place [`simd_abs`](TruenoExt::simd_abs).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let mut a = array![-1.0f32];
    /// a.simd_abs_inplace();
    /// assert_eq!(a, array![1.0]);
    /// ```
    fn simd_abs_inplace(&mut self);

    /// In-place [`simd_scale`](TruenoExt::simd_scale).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let mut a = array![2.0f32];
    /// a.simd_scale_inplace(4.0);
    /// assert_eq!(a, array![8.0]);
    /// ```
    fn simd_scale_inplace(&mut self, s: f32);

    /// In-place [`simd_clamp`](TruenoExt::simd_clamp).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let mut a = array![-3.0f32, 3.0];
    /// a.simd_clamp_inplace(-1.0, 1.0);
    /// assert_eq!(a, array![-1.0, 1.0]);
    /// ```
    fn simd_clamp_inplace(&mut self, lo: f32, hi: f32);

    /// In-place [`simd_lerp`](TruenoExt::simd_lerp).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let mut a = array![0.0f32];
    /// a.simd_lerp_inplace(&array![4.0f32], 0.25);
    /// assert_eq!(a, array![1.0]);
    /// ```
    fn simd_lerp_inplace<S2: Data<Elem = f32>>(&mut self, b: &ArrayBase<S2, Self::Dim>, t: f32);

    /// In-place [`simd_fma`](TruenoExt::simd_fma): `self = self * b + c`.
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let mut a = array![2.0f32];
    /// a.simd_fma_inplace(&array![3.0f32], &array![1.0f32]);
    /// assert_eq!(a, array![7.0]);
    /// ```
    fn simd_fma_inplace<S2: Data<Elem = f32>, S3: Data<Elem = f32>>(
        &mut self,
        b: &ArrayBase<S2, Self::Dim>,
        c: &ArrayBase<S3, Self::Dim>,
    );

    /// In-place [`simd_relu`](TruenoExt::simd_relu).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let mut a = array![-1.0f32, 1.0];
    /// a.simd_relu_inplace();
    /// assert_eq!(a, array![0.0, 1.0]);
    /// ```
    fn simd_relu_inplace(&mut self);

    /// `self.mapv(f32::exp)`: `e^x` element-wise, within 1 ulp of the correctly rounded result (overflow to `+∞` exactly where that result overflows, subnormal results rounded to within 1 ulp, `0` below them).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let e = array![0.0f32, 1.0, f32::NEG_INFINITY].simd_exp();
    /// assert_eq!(e[0], 1.0);
    /// assert!((e[1] - std::f32::consts::E).abs() <= f32::EPSILON * 4.0);
    /// assert_eq!(e[2], 0.0);
    /// ```
    fn simd_exp(&self) -> Array<f32, Self::Dim>;

    /// In-place [`simd_exp`](TruenoExt::simd_exp).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let mut a = array![[0.25f32, -1.5], [3.0, 0.0]];
    /// let expected = a.simd_exp();
    /// a.simd_exp_inplace();
    /// assert_eq!(a, expected);
    /// ```
    fn simd_exp_inplace(&mut self);

    /// The logistic function `1 / (1 + e^-x)` element-wise, within 2 ulps; `σ(-∞) = 0`, `σ(+∞) = 1`.
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let s = array![0.0f32, f32::INFINITY, f32::NEG_INFINITY].simd_sigmoid();
    /// assert_eq!(s, array![0.5, 1.0, 0.0]);
    /// ```
    fn simd_sigmoid(&self) -> Array<f32, Self::Dim>;

    /// In-place [`simd_sigmoid`](TruenoExt::simd_sigmoid).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let mut a = array![[0.25f32, -1.5], [3.0, 0.0]];
    /// let expected = a.simd_sigmoid();
    /// a.simd_sigmoid_inplace();
    /// assert_eq!(a, expected);
    /// ```
    fn simd_sigmoid_inplace(&mut self);

    /// `self.mapv(f32::tanh)` element-wise, within 2 ulps; `tanh(±0) = ±0`, `tanh(±∞) = ±1`.
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let t = array![-0.0f32, 0.5, f32::INFINITY].simd_tanh();
    /// assert!(t[0] == 0.0 && t[0].is_sign_negative());
    /// assert!((t[1] - 0.5f32.tanh()).abs() <= f32::EPSILON);
    /// assert_eq!(t[2], 1.0);
    /// ```
    fn simd_tanh(&self) -> Array<f32, Self::Dim>;

    /// In-place [`simd_tanh`](TruenoExt::simd_tanh).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let mut a = array![[0.25f32, -1.5], [3.0, 0.0]];
    /// let expected = a.simd_tanh();
    /// a.simd_tanh_inplace();
    /// assert_eq!(a, expected);
    /// ```
    fn simd_tanh_inplace(&mut self);

    /// Swish / SiLU `x * σ(x)` element-wise, within 2 ulps; `swish(-∞) = -0.0`, `swish(+∞) = +∞`.
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let y = array![0.0f32, 1.0, f32::NEG_INFINITY].simd_swish();
    /// assert_eq!(y[0], 0.0);
    /// assert!((y[1] - 1.0 / (1.0 + (-1.0f32).exp())).abs() <= f32::EPSILON);
    /// assert!(y[2] == 0.0 && y[2].is_sign_negative());
    /// ```
    fn simd_swish(&self) -> Array<f32, Self::Dim>;

    /// In-place [`simd_swish`](TruenoExt::simd_swish).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let mut a = array![[0.25f32, -1.5], [3.0, 0.0]];
    /// let expected = a.simd_swish();
    /// a.simd_swish_inplace();
    /// assert_eq!(a, expected);
    /// ```
    fn simd_swish_inplace(&mut self);

    /// The exact (erf) GELU `0.5 x (1 + erf(x / √2))`, PyTorch's default, element-wise, within 4 ulps wherever the result is a normal f32; `gelu(-∞) = -0.0`, `gelu(+∞) = +∞`.
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let g = array![0.0f32, 1.0, -10.0].simd_gelu();
    /// assert_eq!(g[0], 0.0);
    /// assert!((g[1] - 0.841_344_74).abs() <= 1e-6);
    /// assert!(g[2] < 0.0 && g[2] > -1e-21); // -7.6e-23
    /// ```
    fn simd_gelu(&self) -> Array<f32, Self::Dim>;

    /// In-place [`simd_gelu`](TruenoExt::simd_gelu).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let mut a = array![[0.25f32, -1.5], [3.0, 0.0]];
    /// let expected = a.simd_gelu();
    /// a.simd_gelu_inplace();
    /// assert_eq!(a, expected);
    /// ```
    fn simd_gelu_inplace(&mut self);

    /// The tanh approximation of GELU, `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`, element-wise, within 4 ulps wherever the result is a normal f32; `-∞ → -0.0`, `+∞ → +∞`.
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let g = array![0.0f32, 1.0, f32::INFINITY].simd_gelu_tanh();
    /// assert_eq!(g[0], 0.0);
    /// assert!((g[1] - 0.841_191_95).abs() <= 1e-6);
    /// assert_eq!(g[2], f32::INFINITY);
    /// ```
    fn simd_gelu_tanh(&self) -> Array<f32, Self::Dim>;

    /// In-place [`simd_gelu_tanh`](TruenoExt::simd_gelu_tanh).
    ///
    /// ```
    /// use ndarray::array;
    /// use trueno::TruenoExt;
    /// let mut a = array![[0.25f32, -1.5], [3.0, 0.0]];
    /// let expected = a.simd_gelu_tanh();
    /// a.simd_gelu_tanh_inplace();
    /// assert_eq!(a, expected);
    /// ```
    fn simd_gelu_tanh_inplace(&mut self);
}

fn binary_new<D, E, S2>(
    a: &ArrayRef<f32, D>,
    b: &ArrayBase<S2, E>,
    op: u8,
) -> Array<f32, <D as DimMax<E>>::Output>
where
    D: Dimension + DimMax<E>,
    E: Dimension,
    S2: Data<Elem = f32>,
{
    let dim: <D as DimMax<E>>::Output = co_broadcast(&a.raw_dim(), &b.raw_dim());
    let av = broadcast_to(a, &dim);
    let bv = broadcast_to(b, &dim);
    let k = kernels();
    map_new(dim, true, [av, bv], |[x, y], out, n| {
        // SAFETY: `map_new` hands out runs valid for `n` values.
        unsafe { binary_run(k, op, x, y, out, n) }
    })
}

fn binary_assign<D, E, S2>(a: &mut ArrayRef<f32, D>, b: &ArrayBase<S2, E>, op: u8)
where
    D: Dimension,
    E: Dimension,
    S2: Data<Elem = f32>,
{
    let dim = a.raw_dim();
    let bv = broadcast_to(b, &dim);
    let k = kernels();
    map_inplace(a, true, [bv], |x, [y], out, n| {
        // SAFETY: `map_inplace` hands out runs valid for `n` values.
        unsafe { binary_run(k, op, Run::Mem(x), y, out, n) }
    })
}

/// A unary kernel over a new array.
fn unary_new<D: Dimension>(
    a: &ArrayRef<f32, D>,
    kernel: impl Fn(*const f32, *mut f32, usize),
) -> Array<f32, D> {
    map_new(a.raw_dim(), false, [a.view()], |[x], out, n| {
        kernel(mem(x), out, n)
    })
}

fn unary_inplace<D: Dimension>(
    a: &mut ArrayRef<f32, D>,
    kernel: impl Fn(*const f32, *mut f32, usize),
) {
    map_inplace(a, false, [], |x, [], out, n| kernel(x, out, n))
}

fn check_clamp(lo: f32, hi: f32) {
    assert!(
        lo <= hi,
        "min > max, or either was NaN. min = {lo:?}, max = {hi:?}"
    );
}

/// Which extreme a min/max reduction looks for.
#[derive(Clone, Copy, PartialEq)]
enum Which {
    Max,
    Min,
}

/// The extreme value of `a`, or the ndarray-stats error; the value's sign of zero is
/// fixed up by the caller when needed.
fn extreme_value<D: Dimension>(a: &ArrayRef<f32, D>, which: Which) -> Result<f32, MinMaxError> {
    if a.is_empty() {
        return Err(MinMaxError::EmptyInput);
    }
    let k = kernels();
    let data = contiguous(a);
    let f = if which == Which::Max { k.max } else { k.min };
    // SAFETY: `data` is a valid slice.
    let e = unsafe { f(data.as_ptr(), data.len()) };
    if e.nan {
        Err(MinMaxError::UndefinedOrder)
    } else {
        Ok(e.value)
    }
}

/// Flat logical index of the first element equal to `v` (which must occur).
fn first_logical_index_of<D: Dimension>(a: &ArrayRef<f32, D>, v: f32) -> usize {
    let k = kernels();
    if let Some(s) = a.as_slice() {
        // SAFETY: `s` is a valid slice.
        let i = unsafe { (k.find_eq)(s.as_ptr(), s.len(), v) };
        debug_assert!(i < s.len());
        return i;
    }
    a.iter()
        .position(|&x| x == v)
        .expect("the extreme value occurs in the array")
}

fn arg_extreme<D: Dimension>(
    a: &ArrayRef<f32, D>,
    which: Which,
) -> Result<D::Pattern, MinMaxError> {
    let v = extreme_value(a, which)?;
    let i = first_logical_index_of(a, v);
    Ok(unravel::<D>(a.shape(), i))
}

fn value_extreme<D: Dimension>(a: &ArrayRef<f32, D>, which: Which) -> Result<f32, MinMaxError> {
    let v = extreme_value(a, which)?;
    if v != 0.0 {
        return Ok(v);
    }
    // ±0.0 compare equal: ndarray-stats returns the first of them, with its sign.
    let i = first_logical_index_of(a, v);
    Ok(*a.iter().nth(i).expect("index in bounds"))
}

fn norm_l2_of(data: &[f32]) -> f32 {
    let k = kernels();
    let sum_squares = |scale: f32| {
        let mut acc = Partials::default();
        // SAFETY: `data` is a valid slice.
        unsafe { (k.sum_squares)(data.as_ptr(), data.len(), scale, &mut acc) };
        acc.total()
    };
    let ss = sum_squares(1.0);
    // Fast path: no overflow, and small enough squares lost to underflow cannot matter
    // (each is below 2^-150 absolute against a total of at least 2^-100).
    if ss.is_nan()
        || (ss.is_finite() && ss >= f32::from_bits(0x0D80_0000))
        || ss == 0.0 && data.iter().all(|&x| x == 0.0)
    {
        return ss.sqrt();
    }
    // SAFETY: `data` is a valid slice.
    let m = unsafe { (k.max_abs)(data.as_ptr(), data.len()) };
    if m.nan {
        return f32::NAN;
    }
    if m.value.is_infinite() || m.value == 0.0 {
        return m.value;
    }
    // Scale by a power of two bringing the largest magnitude near 1: exact, and the
    // scaled sum of squares can neither overflow nor lose the large terms to underflow.
    let e = (m.value.to_bits() >> 23) as i32 - 127;
    let e = e.clamp(-126, 126);
    let scale = f32::from_bits(((127 - e) as u32) << 23);
    let unscale = f32::from_bits(((127 + e) as u32) << 23);
    sum_squares(scale).sqrt() * unscale
}

impl<D: Dimension> TruenoExt for ArrayRef<f32, D> {
    type Dim = D;

    fn simd_add<S2, E>(&self, rhs: &ArrayBase<S2, E>) -> Array<f32, <D as DimMax<E>>::Output>
    where
        S2: Data<Elem = f32>,
        E: Dimension,
        D: DimMax<E>,
    {
        binary_new(self, rhs, binop::ADD)
    }

    fn simd_sub<S2, E>(&self, rhs: &ArrayBase<S2, E>) -> Array<f32, <D as DimMax<E>>::Output>
    where
        S2: Data<Elem = f32>,
        E: Dimension,
        D: DimMax<E>,
    {
        binary_new(self, rhs, binop::SUB)
    }

    fn simd_mul<S2, E>(&self, rhs: &ArrayBase<S2, E>) -> Array<f32, <D as DimMax<E>>::Output>
    where
        S2: Data<Elem = f32>,
        E: Dimension,
        D: DimMax<E>,
    {
        binary_new(self, rhs, binop::MUL)
    }

    fn simd_div<S2, E>(&self, rhs: &ArrayBase<S2, E>) -> Array<f32, <D as DimMax<E>>::Output>
    where
        S2: Data<Elem = f32>,
        E: Dimension,
        D: DimMax<E>,
    {
        binary_new(self, rhs, binop::DIV)
    }

    fn simd_abs(&self) -> Array<f32, D> {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_new(self, |x, out, n| unsafe { (k.abs)(x, out, n) })
    }

    fn simd_scale(&self, s: f32) -> Array<f32, D> {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_new(self, |x, out, n| unsafe {
            (k.binary[binop::MUL as usize].vs)(x, s, out, n)
        })
    }

    fn simd_clamp(&self, lo: f32, hi: f32) -> Array<f32, D> {
        check_clamp(lo, hi);
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_new(self, |x, out, n| unsafe { (k.clamp)(x, lo, hi, out, n) })
    }

    fn simd_lerp<S2: Data<Elem = f32>>(&self, b: &ArrayBase<S2, D>, t: f32) -> Array<f32, D> {
        assert_same_shape("simd_lerp", self.shape(), b.shape());
        let k = kernels();
        map_new(
            self.raw_dim(),
            false,
            [self.view(), b.view()],
            |[x, y], out, n| {
                // SAFETY: runs are valid for `n` values.
                unsafe { (k.lerp)(mem(x), mem(y), t, out, n) }
            },
        )
    }

    fn simd_fma<S2: Data<Elem = f32>, S3: Data<Elem = f32>>(
        &self,
        b: &ArrayBase<S2, D>,
        c: &ArrayBase<S3, D>,
    ) -> Array<f32, D> {
        assert_same_shape("simd_fma", self.shape(), b.shape());
        assert_same_shape("simd_fma", self.shape(), c.shape());
        let k = kernels();
        map_new(
            self.raw_dim(),
            false,
            [self.view(), b.view(), c.view()],
            |[x, y, z], out, n| {
                // SAFETY: runs are valid for `n` values.
                unsafe { (k.fma)(mem(x), mem(y), mem(z), out, n) }
            },
        )
    }

    fn simd_relu(&self) -> Array<f32, D> {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_new(self, |x, out, n| unsafe { (k.relu)(x, out, n) })
    }

    fn simd_sum(&self) -> f32 {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        reduce([self.view()], |[x], n, acc| unsafe { (k.sum)(x, n, acc) })
    }

    fn simd_dot<S2: Data<Elem = f32>>(&self, b: &ArrayBase<S2, D>) -> f32 {
        assert_same_shape("simd_dot", self.shape(), b.shape());
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        reduce([self.view(), b.view()], |[x, y], n, acc| unsafe {
            (k.dot)(x, y, n, acc)
        })
    }

    fn simd_norm_l1(&self) -> f32 {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        reduce([self.view()], |[x], n, acc| unsafe {
            (k.norm_l1)(x, n, acc)
        })
    }

    fn simd_norm_l2(&self) -> f32 {
        norm_l2_of(&contiguous(self))
    }

    fn simd_norm_linf(&self) -> f32 {
        let data = contiguous(self);
        // SAFETY: `data` is a valid slice.
        let e = unsafe { (kernels().max_abs)(data.as_ptr(), data.len()) };
        if e.nan {
            f32::NAN
        } else if data.is_empty() {
            0.0
        } else {
            e.value
        }
    }

    fn simd_max(&self) -> Result<f32, MinMaxError> {
        value_extreme(self, Which::Max)
    }

    fn simd_min(&self) -> Result<f32, MinMaxError> {
        value_extreme(self, Which::Min)
    }

    fn simd_argmax(&self) -> Result<D::Pattern, MinMaxError> {
        arg_extreme(self, Which::Max)
    }

    fn simd_argmin(&self) -> Result<D::Pattern, MinMaxError> {
        arg_extreme(self, Which::Min)
    }

    fn simd_sum_axis(&self, axis: Axis) -> Array<f32, D::Smaller>
    where
        D: RemoveAxis,
    {
        let out_dim = self.raw_dim().remove_axis(axis);
        if self.len_of(axis) > 0 && is_min_stride_axis(self.shape(), self.strides(), axis) {
            // Contiguous-ish lanes: one pairwise sum per lane, like ndarray's `lane.sum()`.
            let lanes: Vec<f32> = self.lanes(axis).into_iter().map(|l| l.simd_sum()).collect();
            return Array::from_shape_vec(out_dim, lanes).expect("one sum per lane");
        }
        // Otherwise add the subviews in order, like ndarray does.
        let mut acc = Array::<f32, D::Smaller>::zeros(out_dim);
        for sub in self.axis_iter(axis) {
            acc.simd_add_assign(&sub);
        }
        acc
    }

    fn simd_max_axis(&self, axis: Axis) -> Array<f32, D::Smaller>
    where
        D: RemoveAxis,
    {
        let out_dim = self.raw_dim().remove_axis(axis);
        if self.len_of(axis) > 0 && is_min_stride_axis(self.shape(), self.strides(), axis) {
            let lanes: Vec<f32> = self
                .lanes(axis)
                .into_iter()
                .map(|l| l.simd_max().unwrap_or(f32::NAN))
                .collect();
            return Array::from_shape_vec(out_dim, lanes).expect("one max per lane");
        }
        let mut acc = Array::<f32, D::Smaller>::from_elem(out_dim, f32::NEG_INFINITY);
        let k = kernels();
        for sub in self.axis_iter(axis) {
            map_inplace(&mut acc, false, [sub], |_, [x], out, n| {
                // SAFETY: runs are valid for `n` values; `out` is the accumulator run.
                unsafe { (k.max_update)(out, mem(x), n) }
            });
        }
        acc
    }

    fn simd_add_assign<S2: Data<Elem = f32>, E: Dimension>(&mut self, rhs: &ArrayBase<S2, E>) {
        binary_assign(self, rhs, binop::ADD)
    }

    fn simd_sub_assign<S2: Data<Elem = f32>, E: Dimension>(&mut self, rhs: &ArrayBase<S2, E>) {
        binary_assign(self, rhs, binop::SUB)
    }

    fn simd_mul_assign<S2: Data<Elem = f32>, E: Dimension>(&mut self, rhs: &ArrayBase<S2, E>) {
        binary_assign(self, rhs, binop::MUL)
    }

    fn simd_div_assign<S2: Data<Elem = f32>, E: Dimension>(&mut self, rhs: &ArrayBase<S2, E>) {
        binary_assign(self, rhs, binop::DIV)
    }

    fn simd_abs_inplace(&mut self) {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_inplace(self, |x, out, n| unsafe { (k.abs)(x, out, n) })
    }

    fn simd_scale_inplace(&mut self, s: f32) {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_inplace(self, |x, out, n| unsafe {
            (k.binary[binop::MUL as usize].vs)(x, s, out, n)
        })
    }

    fn simd_clamp_inplace(&mut self, lo: f32, hi: f32) {
        check_clamp(lo, hi);
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_inplace(self, |x, out, n| unsafe { (k.clamp)(x, lo, hi, out, n) })
    }

    fn simd_lerp_inplace<S2: Data<Elem = f32>>(&mut self, b: &ArrayBase<S2, D>, t: f32) {
        assert_same_shape("simd_lerp_inplace", self.shape(), b.shape());
        let k = kernels();
        map_inplace(self, false, [b.view()], |x, [y], out, n| {
            // SAFETY: runs are valid for `n` values.
            unsafe { (k.lerp)(x, mem(y), t, out, n) }
        })
    }

    fn simd_fma_inplace<S2: Data<Elem = f32>, S3: Data<Elem = f32>>(
        &mut self,
        b: &ArrayBase<S2, D>,
        c: &ArrayBase<S3, D>,
    ) {
        assert_same_shape("simd_fma_inplace", self.shape(), b.shape());
        assert_same_shape("simd_fma_inplace", self.shape(), c.shape());
        let k = kernels();
        map_inplace(self, false, [b.view(), c.view()], |x, [y, z], out, n| {
            // SAFETY: runs are valid for `n` values.
            unsafe { (k.fma)(x, mem(y), mem(z), out, n) }
        })
    }

    fn simd_relu_inplace(&mut self) {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_inplace(self, |x, out, n| unsafe { (k.relu)(x, out, n) })
    }

    fn simd_exp(&self) -> Array<f32, D> {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_new(self, |x, out, n| unsafe { (k.exp)(x, out, n) })
    }

    fn simd_exp_inplace(&mut self) {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_inplace(self, |x, out, n| unsafe { (k.exp)(x, out, n) })
    }

    fn simd_sigmoid(&self) -> Array<f32, D> {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_new(self, |x, out, n| unsafe { (k.sigmoid)(x, out, n) })
    }

    fn simd_sigmoid_inplace(&mut self) {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_inplace(self, |x, out, n| unsafe { (k.sigmoid)(x, out, n) })
    }

    fn simd_tanh(&self) -> Array<f32, D> {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_new(self, |x, out, n| unsafe { (k.tanh)(x, out, n) })
    }

    fn simd_tanh_inplace(&mut self) {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_inplace(self, |x, out, n| unsafe { (k.tanh)(x, out, n) })
    }

    fn simd_swish(&self) -> Array<f32, D> {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_new(self, |x, out, n| unsafe { (k.swish)(x, out, n) })
    }

    fn simd_swish_inplace(&mut self) {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_inplace(self, |x, out, n| unsafe { (k.swish)(x, out, n) })
    }

    fn simd_gelu(&self) -> Array<f32, D> {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_new(self, |x, out, n| unsafe { (k.gelu)(x, out, n) })
    }

    fn simd_gelu_inplace(&mut self) {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_inplace(self, |x, out, n| unsafe { (k.gelu)(x, out, n) })
    }

    fn simd_gelu_tanh(&self) -> Array<f32, D> {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_new(self, |x, out, n| unsafe { (k.gelu_tanh)(x, out, n) })
    }

    fn simd_gelu_tanh_inplace(&mut self) {
        let k = kernels();
        // SAFETY (closure): runs are valid for `n` values.
        unary_inplace(self, |x, out, n| unsafe { (k.gelu_tanh)(x, out, n) })
    }
}

/// Whether `axis` is the one ndarray's `sum_axis` treats as the lane axis: the axis of
/// smallest absolute stride among those longer than one (the last one on ties).
fn is_min_stride_axis(shape: &[usize], strides: &[isize], axis: Axis) -> bool {
    let n = shape.len();
    let mut best = n - 1;
    for d in (0..n - 1).rev() {
        if shape[d] > 1
            && (shape[best] <= 1 || strides[d].unsigned_abs() < strides[best].unsigned_abs())
        {
            best = d;
        }
    }
    best == axis.index()
}
