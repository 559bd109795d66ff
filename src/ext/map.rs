//! Element-wise plumbing: new arrays and in-place updates computed run by run by the
//! kernel table, for any shape, layout and broadcast.

use super::shape::{broadcast_to, co_broadcast};
use crate::backend::kernels;
use crate::kernels::every_other::EveryOtherKernels;
use crate::kernels::{Kernels, UnaryFn};
use crate::layout::{for_each_run, shared_memory_order, EvenRun, EveryOtherOp, Run, Strided};
use crate::parallel;
use ndarray::{Array, ArrayBase, ArrayRef, ArrayView, Data, DimMax, Dimension, ShapeBuilder};

/// A new array of `dim` whose elements are computed run by run by `f` from `inputs`
/// (already broadcast to `dim`). Written once, into uninitialised memory.
#[inline]
pub(super) fn map_new<D: Dimension, const K: usize>(
    dim: D,
    splat_ok: bool,
    inputs: [ArrayView<'_, f32, D>; K],
    f: impl Fn([Run; K], *mut f32, usize) + Sync,
) -> Array<f32, D> {
    let all_c = inputs.iter().all(|v| v.is_standard_layout());
    let all_f = !all_c && dim.ndim() > 1 && inputs.iter().all(|v| v.t().is_standard_layout());
    if !all_c && !all_f {
        if let Some(out) = map_new_in_memory_order(&dim, &inputs, &f) {
            return out;
        }
    }
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
            parallel::map_runs(runs, out_ptr, len, &f);
        }
    } else {
        let strides = out.strides().to_vec();
        let shape = out.shape().to_vec();
        let operands: [Strided<'_>; K] = core::array::from_fn(|k| Strided::of(&inputs[k]));
        // SAFETY: `out` and the broadcast inputs all have shape `shape`, and their
        // strides address valid elements for every index of it.
        unsafe {
            for_each_run(
                &shape, out_ptr, &strides, false, splat_ok, operands, f, None,
            )
        };
    }
    // SAFETY: every element was written exactly once above (the runs cover the shape).
    unsafe { out.assume_init() }
}

/// [`map_new`] for inputs that share one set of strides and each fill their memory
/// without gaps in some order (reversed axes, permuted axes): a new array with those
/// same strides, computed in one pass over memory, as ndarray's `mapv` does; `None` for
/// other layouts. (A reversed 512 x 512 `simd_abs` went through gathered lanes before:
/// 4.3x slower than `mapv`.)
fn map_new_in_memory_order<D: Dimension, const K: usize>(
    dim: &D,
    inputs: &[ArrayView<'_, f32, D>; K],
    f: &(impl Fn([Run; K], *mut f32, usize) + Sync),
) -> Option<Array<f32, D>> {
    let memory = shared_memory_order(inputs)?;
    let len = memory[0].len();
    let mut strides = dim.clone();
    for (s, &x) in strides.slice_mut().iter_mut().zip(inputs[0].strides()) {
        // Negative strides travel as their two's complement, as ndarray takes them.
        *s = x as usize;
    }
    let mut values: Vec<f32> = Vec::with_capacity(len);
    if len > 0 {
        // Element `i` of every input's memory is the same logical element, and so is
        // element `i` of the new array's memory, which has the same strides.
        parallel::map_runs(
            memory.map(|m| Run::Mem(m.as_ptr())),
            values.as_mut_ptr(),
            len,
            f,
        );
    }
    // SAFETY: the kernel wrote all `len` values above.
    unsafe { values.set_len(len) };
    Some(
        Array::from_shape_vec(dim.clone().strides(strides), values)
            .expect("the strides of an array of this shape over as many values"),
    )
}

/// An in-place op over every other value (see [`crate::kernels::every_other`]):
/// `f(target, inputs, out, n)` on runs of `n` values of which those at even distances
/// from `out` are the target's (see [`EveryOtherOp`]).
pub(super) struct EveryOther<'a, const K: usize> {
    pub(super) f: &'a dyn Fn(*const f32, [EvenRun; K], *mut f32, usize),
    /// Whether `f` takes contiguous operands ([`EvenRun::Spread`]).
    pub(super) spread: bool,
}

/// The pointer of a stride-2 run (ops that take no spread operands are handed no other:
/// their operands are never splats, being requested with `splat_ok = false`).
#[inline]
pub(super) fn every(run: EvenRun) -> *const f32 {
    match run {
        EvenRun::Every(p) => p,
        _ => unreachable!("only stride-2 runs were requested"),
    }
}

/// Overwrites `target` run by run with `f(target, others…)`; `others` are broadcast to
/// `target`'s shape already. `every_other`, where given, is the same op over every other
/// value, for lanes of stride 2.
pub(super) fn map_inplace<D: Dimension, const K: usize>(
    target: &mut ArrayRef<f32, D>,
    splat_ok: bool,
    others: [ArrayView<'_, f32, D>; K],
    f: impl Fn(*const f32, [Run; K], *mut f32, usize) + Sync,
    every_other: Option<EveryOther<'_, K>>,
) {
    let same_layout = others.iter().all(|v| v.strides() == target.strides());
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
        parallel::map_runs(runs, p, len, &|runs, out, n| f(out, runs, out, n));
        return;
    }
    let shape = target.shape().to_vec();
    let strides = target.strides().to_vec();
    let out_ptr = target.as_mut_ptr();
    let operands: [Strided<'_>; K] = core::array::from_fn(|k| Strided::of(&others[k]));
    let mut interleaved = every_other.map(|op| {
        (
            move |runs, out: *mut f32, n| (op.f)(out, runs, out, n),
            op.spread,
        )
    });
    // SAFETY: `target` and the broadcast operands have shape `shape`; `f` reads the
    // target's current values through `out`, which `for_each_run` stages when strided;
    // `every_other` touches every other value only (its contract).
    unsafe {
        for_each_run(
            &shape,
            out_ptr,
            &strides,
            true,
            splat_ok,
            operands,
            |runs, out, n| f(out, runs, out, n),
            interleaved
                .as_mut()
                .map(|(f, spread)| EveryOtherOp { f, spread: *spread }),
        )
    };
}

/// Runs one binary operator with whatever operand kinds the run has.
///
/// # Safety
/// Memory runs must be readable and `out` writable for `n` values.
#[inline]
pub(super) unsafe fn binary_run(k: &Kernels, op: u8, a: Run, b: Run, out: *mut f32, n: usize) {
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
#[inline]
pub(super) fn mem(run: Run) -> *const f32 {
    match run {
        Run::Mem(p) => p,
        Run::Splat(_) => unreachable!("splat runs were not requested"),
    }
}

pub(super) fn binary_new<D, E, S2>(
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

pub(super) fn binary_assign<D, E, S2>(a: &mut ArrayRef<f32, D>, b: &ArrayBase<S2, E>, op: u8)
where
    D: Dimension,
    E: Dimension,
    S2: Data<Elem = f32>,
{
    let dim = a.raw_dim();
    let bv = broadcast_to(b, &dim);
    let k = kernels();
    let every_other = |x: *const f32, [y]: [EvenRun; 1], out: *mut f32, n: usize| {
        let fns = &k.every_other.binary[op as usize];
        // SAFETY: `map_inplace` hands out runs of every other value valid for `n` values
        // (see `EveryOther`).
        unsafe {
            match y {
                EvenRun::Every(y) => (fns.vv)(x, y, out, n),
                EvenRun::Spread(y) => (fns.v_spread)(x, y, out, n),
                EvenRun::Splat(y) => (fns.vs)(x, y, out, n),
            }
        }
    };
    map_inplace(
        a,
        true,
        [bv],
        |x, [y], out, n| {
            // SAFETY: `map_inplace` hands out runs valid for `n` values.
            unsafe { binary_run(k, op, Run::Mem(x), y, out, n) }
        },
        Some(EveryOther {
            f: &every_other,
            spread: true,
        }),
    )
}

/// A unary kernel over a new array.
#[inline]
pub(super) fn unary_new<D: Dimension>(
    a: &ArrayRef<f32, D>,
    kernel: impl Fn(*const f32, *mut f32, usize) + Sync,
) -> Array<f32, D> {
    map_new(a.raw_dim(), false, [a.view()], |[x], out, n| {
        kernel(mem(x), out, n)
    })
}

/// `a` overwritten by `kernel`, and by `every_other` (the same op over every other
/// value) on lanes of stride 2 where given.
pub(super) fn unary_inplace<D: Dimension>(
    a: &mut ArrayRef<f32, D>,
    kernel: impl Fn(*const f32, *mut f32, usize) + Sync,
    every_other: Option<&dyn Fn(*const f32, *mut f32, usize)>,
) {
    let interleaved = every_other.map(|g| move |x, []: [EvenRun; 0], out, n| g(x, out, n));
    map_inplace(
        a,
        false,
        [],
        |x, [], out, n| kernel(x, out, n),
        interleaved
            .as_ref()
            .map(|f| EveryOther { f, spread: false }),
    )
}

/// A new array: the table's unary kernel `pick(table)` applied to `a`.
#[inline]
pub(super) fn unary_kernel_new<D: Dimension>(
    a: &ArrayRef<f32, D>,
    pick: fn(&Kernels) -> UnaryFn,
) -> Array<f32, D> {
    let kernel = pick(kernels());
    // SAFETY: `map_new` hands out runs valid for `n` values.
    unary_new(a, |x, out, n| unsafe { kernel(x, out, n) })
}

/// `a` overwritten by the table's unary kernel `pick(table)`, or on lanes of stride 2 by
/// `pick_every_other` of its kernels over every other value, where given.
pub(super) fn unary_kernel_inplace<D: Dimension>(
    a: &mut ArrayRef<f32, D>,
    pick: fn(&Kernels) -> UnaryFn,
    pick_every_other: Option<fn(&EveryOtherKernels) -> UnaryFn>,
) {
    let k = kernels();
    let kernel = pick(k);
    let every_other = pick_every_other.map(|pick| pick(k.every_other));
    // SAFETY (both closures): `map_inplace` hands out runs valid for `n` values (of
    // every other value for the second, see `EveryOther`).
    let interleaved = every_other.map(|g| move |x, out, n| unsafe { g(x, out, n) });
    unary_inplace(
        a,
        |x, out, n| unsafe { kernel(x, out, n) },
        interleaved
            .as_ref()
            .map(|g| g as &dyn Fn(*const f32, *mut f32, usize)),
    )
}

pub(super) fn check_clamp(lo: f32, hi: f32) {
    assert!(
        lo <= hi,
        "min > max, or either was NaN. min = {lo:?}, max = {hi:?}"
    );
}
