//! [`TruenoExt`]: the `simd_*` methods on every `f32` array. The trait and its impl live
//! here; `shape` (broadcasting), `map` (element-wise runs), `reduce` (reductions) and
//! `axis` (reductions along one axis) turn arrays of any layout into calls on the kernel
//! table in use.

mod axis;
mod map;
mod reduce;
mod shape;

use map::{
    binary_assign, binary_new, check_clamp, every, map_inplace, map_new, mem, unary_inplace,
    unary_kernel_inplace, unary_kernel_new, unary_new, EveryOther,
};
use reduce::{arg_extreme, contiguous, extreme_of, norm_l2_of, reduce, value_extreme, Which};
use shape::assert_same_shape;

use crate::backend::kernels;
use crate::kernels::elementwise::binop;
use crate::layout::EvenRun;
use crate::MinMaxError;
use ndarray::{Array, ArrayBase, ArrayRef, Axis, Data, DimMax, Dimension, RemoveAxis};

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
        unary_kernel_new(self, |k| k.abs)
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
        unary_kernel_new(self, |k| k.relu)
    }

    fn simd_sum(&self) -> f32 {
        let k = kernels();
        // SAFETY (closure): the slices are valid and of equal length.
        reduce(
            [self.view()],
            |[x], acc| unsafe { (k.sum)(x.as_ptr(), x.len(), acc) },
            |[x]| unsafe { (k.sum_block)(x.as_ptr(), x.len()) },
        )
    }

    fn simd_dot<S2: Data<Elem = f32>>(&self, b: &ArrayBase<S2, D>) -> f32 {
        assert_same_shape("simd_dot", self.shape(), b.shape());
        let k = kernels();
        // SAFETY (closure): the slices are valid and of equal length.
        reduce(
            [self.view(), b.view()],
            |[x, y], acc| unsafe { (k.dot)(x.as_ptr(), y.as_ptr(), x.len(), acc) },
            |[x, y]| unsafe { (k.dot_block)(x.as_ptr(), y.as_ptr(), x.len()) },
        )
    }

    fn simd_norm_l1(&self) -> f32 {
        let k = kernels();
        // SAFETY (closure): the slices are valid and of equal length.
        reduce(
            [self.view()],
            |[x], acc| unsafe { (k.norm_l1)(x.as_ptr(), x.len(), acc) },
            |[x]| unsafe { (k.norm_l1_block)(x.as_ptr(), x.len()) },
        )
    }

    fn simd_norm_l2(&self) -> f32 {
        norm_l2_of(&contiguous(self))
    }

    fn simd_norm_linf(&self) -> f32 {
        let data = contiguous(self);
        let e = extreme_of(&data, kernels().max_abs, true);
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
        axis::sum_axis(self, axis)
    }

    fn simd_max_axis(&self, axis: Axis) -> Array<f32, D::Smaller>
    where
        D: RemoveAxis,
    {
        axis::max_axis(self, axis)
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
        unary_kernel_inplace(self, |k| k.abs, Some(|e| e.abs))
    }

    fn simd_scale_inplace(&mut self, s: f32) {
        let k = kernels();
        let (scale, every_other) = (
            k.binary[binop::MUL as usize].vs,
            k.every_other.binary[binop::MUL as usize].vs,
        );
        // SAFETY (closures): runs are valid for `n` values (of every other value for the
        // second, see `map::EveryOther`).
        unary_inplace(
            self,
            |x, out, n| unsafe { scale(x, s, out, n) },
            Some(&|x, out, n| unsafe { every_other(x, s, out, n) }),
        )
    }

    fn simd_clamp_inplace(&mut self, lo: f32, hi: f32) {
        check_clamp(lo, hi);
        let k = kernels();
        let e = k.every_other;
        // SAFETY (closures): as in `simd_scale_inplace`.
        unary_inplace(
            self,
            |x, out, n| unsafe { (k.clamp)(x, lo, hi, out, n) },
            Some(&|x, out, n| unsafe { (e.clamp)(x, lo, hi, out, n) }),
        )
    }

    fn simd_lerp_inplace<S2: Data<Elem = f32>>(&mut self, b: &ArrayBase<S2, D>, t: f32) {
        assert_same_shape("simd_lerp_inplace", self.shape(), b.shape());
        let k = kernels();
        let e = k.every_other;
        // SAFETY (closures): as in `simd_scale_inplace`.
        map_inplace(
            self,
            false,
            [b.view()],
            |x, [y], out, n| unsafe { (k.lerp)(x, mem(y), t, out, n) },
            Some(EveryOther {
                f: &|x, [y]: [EvenRun; 1], out, n| unsafe { (e.lerp)(x, every(y), t, out, n) },
                spread: false,
            }),
        )
    }

    fn simd_fma_inplace<S2: Data<Elem = f32>, S3: Data<Elem = f32>>(
        &mut self,
        b: &ArrayBase<S2, D>,
        c: &ArrayBase<S3, D>,
    ) {
        assert_same_shape("simd_fma_inplace", self.shape(), b.shape());
        assert_same_shape("simd_fma_inplace", self.shape(), c.shape());
        let k = kernels();
        let e = k.every_other;
        // SAFETY (closures): as in `simd_scale_inplace`.
        map_inplace(
            self,
            false,
            [b.view(), c.view()],
            |x, [y, z], out, n| unsafe { (k.fma)(x, mem(y), mem(z), out, n) },
            Some(EveryOther {
                f: &|x, [y, z]: [EvenRun; 2], out, n| unsafe {
                    (e.fma)(x, every(y), every(z), out, n)
                },
                spread: false,
            }),
        )
    }

    fn simd_relu_inplace(&mut self) {
        unary_kernel_inplace(self, |k| k.relu, Some(|e| e.relu))
    }

    fn simd_exp(&self) -> Array<f32, D> {
        unary_kernel_new(self, |k| k.exp)
    }

    fn simd_exp_inplace(&mut self) {
        unary_kernel_inplace(self, |k| k.exp, None)
    }

    fn simd_sigmoid(&self) -> Array<f32, D> {
        unary_kernel_new(self, |k| k.sigmoid)
    }

    fn simd_sigmoid_inplace(&mut self) {
        unary_kernel_inplace(self, |k| k.sigmoid, None)
    }

    fn simd_tanh(&self) -> Array<f32, D> {
        unary_kernel_new(self, |k| k.tanh)
    }

    fn simd_tanh_inplace(&mut self) {
        unary_kernel_inplace(self, |k| k.tanh, None)
    }

    fn simd_swish(&self) -> Array<f32, D> {
        unary_kernel_new(self, |k| k.swish)
    }

    fn simd_swish_inplace(&mut self) {
        unary_kernel_inplace(self, |k| k.swish, None)
    }

    fn simd_gelu(&self) -> Array<f32, D> {
        unary_kernel_new(self, |k| k.gelu)
    }

    fn simd_gelu_inplace(&mut self) {
        unary_kernel_inplace(self, |k| k.gelu, None)
    }

    fn simd_gelu_tanh(&self) -> Array<f32, D> {
        unary_kernel_new(self, |k| k.gelu_tanh)
    }

    fn simd_gelu_tanh_inplace(&mut self) {
        unary_kernel_inplace(self, |k| k.gelu_tanh, None)
    }
}
