//! Turning arrays of any shape and layout into contiguous runs for the slice kernels.
//!
//! Arrays that share one contiguous memory order are handed to a kernel in a single call.
//! Everything else is walked lane by lane along the output's smallest-stride axis: a
//! lane with stride 1 is passed as memory, a broadcast lane (stride 0) as one scalar, and
//! any other stride is gathered into (or scattered from) a small stack buffer. Short
//! lanes that follow each other in memory go several at a time, a broadcast row among
//! them tiled into a buffer; an operand whose lanes are far apart inside but next to each
//! other (a transposed operand) is gathered eight lanes at a time.

use crate::backend::kernels;
use crate::kernels::reduce::BLOCK;
use core::mem::MaybeUninit;
use ndarray::{ArrayView, ArrayView1, Axis, Dimension};

/// Values per gathered chunk of a strided lane.
pub(crate) const CHUNK: usize = 1024;

/// One operand of a run handed to a kernel.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Run {
    /// `len` readable values starting here.
    Mem(*const f32),
    /// The same value for every element of the run.
    Splat(f32),
}

/// One operand of a run handed to an op over every other value (see [`EveryOtherOp`]).
#[derive(Clone, Copy, Debug)]
pub(crate) enum EvenRun {
    /// The run's values at even distances from here (a lane of stride 2).
    Every(*const f32),
    /// Contiguous values: value `j` stands for the run's value `2 j`.
    Spread(*const f32),
    /// The same value for every element of the run.
    Splat(f32),
}

/// An element-wise op over every other value (see [`crate::kernels::every_other`]):
/// `f(inputs, out, n)` must write the values at even distances from `out` among its `n`,
/// value `2 j` computed from each input's value `2 j` (`j` for a spread one), and write
/// no other.
pub(crate) struct EveryOtherOp<'a, const K: usize> {
    pub(crate) f: &'a mut dyn FnMut([EvenRun; K], *mut f32, usize),
    /// Whether `f` takes [`EvenRun::Spread`] operands.
    pub(crate) spread: bool,
}

/// A strided operand: the address of its first logical element and its strides, in
/// elements, over the iteration shape.
#[derive(Clone, Copy)]
pub(crate) struct Strided<'a> {
    pub(crate) ptr: *const f32,
    pub(crate) strides: &'a [isize],
}

impl<'a> Strided<'a> {
    pub(crate) fn of<D: Dimension>(view: &'a ArrayView<'_, f32, D>) -> Self {
        Strided {
            ptr: view.as_ptr(),
            strides: view.strides(),
        }
    }
}

/// Calls `f(inputs, out, len)` on runs that together visit every index of `shape` once.
/// `f` must write `len` values to `out` computed element-wise from the inputs.
///
/// Broadcast (stride-0) lanes are passed as [`Run::Splat`] only with `splat_ok`; else
/// they are expanded into a buffer like any other strided lane, so `f` sees only memory.
/// With `out_is_input`, `out` already holds values that `f` reads (an in-place op): a
/// strided output lane is then gathered into the staging buffer before `f` runs.
///
/// `every_other`, where given, is `f` over every other value: an output lane of stride 2
/// whose memory inputs all have stride 2 (or 1, where it takes spread operands; the
/// others splats) goes to it whole, as `2 len - 1` values from the lane's start, instead
/// of through buffers; so does every other value of a contiguous block.
///
/// # Safety
/// `out` with `out_strides` and every input with its strides must address valid
/// elements for every index of `shape`; no input may overlap `out`. `every_other` must
/// keep its contract (see [`EveryOtherOp`]).
#[allow(clippy::too_many_arguments)] // the shape, the output and its kind, the inputs, two ops
pub(crate) unsafe fn for_each_run<const K: usize>(
    shape: &[usize],
    out: *mut f32,
    out_strides: &[isize],
    out_is_input: bool,
    splat_ok: bool,
    inputs: [Strided<'_>; K],
    mut f: impl FnMut([Run; K], *mut f32, usize),
    mut every_other: Option<EveryOtherOp<'_, K>>,
) {
    if shape.contains(&0) {
        return;
    }
    let ndim = shape.len();
    if ndim == 0 {
        f(inputs.map(|s| Run::Mem(s.ptr)), out, 1);
        return;
    }
    let axis = (0..ndim)
        .rev()
        .filter(|&d| shape[d] > 1)
        .min_by_key(|&d| out_strides[d].unsigned_abs())
        .unwrap_or(ndim - 1);
    let len = shape[axis];
    let lane_stride = |strides: &[isize]| if len == 1 { 1 } else { strides[axis] };
    let out_step = lane_stride(out_strides);
    // A stride-0 lane that may not be a splat is treated as strided (gathered).
    let in_steps = inputs.map(|s| match lane_stride(s.strides) {
        0 if !splat_ok => isize::MIN,
        step => step,
    });

    // Lanes that follow each other in the output, with every input's lanes following
    // each other too or repeating one lane (a broadcast row), go to `f` several at a
    // time: the repeated lane tiled once into a buffer. (A 2048 x 128 array plus a
    // broadcast row: 2048 calls of 128 values otherwise.)
    let rows = (0..ndim)
        .rev()
        .filter(|&d| d != axis && shape[d] > 1)
        .min_by_key(|&d| out_strides[d].unsigned_abs())
        .filter(|&d| {
            let next = len as isize;
            len <= CHUNK / 2
                && out_step == 1
                && out_strides[d] == next
                && (0..K).all(|k| match (in_steps[k], inputs[k].strides[d]) {
                    (1, step) => step == next || step == 0,
                    (0, step) => step == 0,
                    _ => false,
                })
        });
    // An input that walks its lanes with a wide stride but holds the next lanes at the
    // next addresses (the transposed operand of `C + transposed`) is gathered for
    // [`BLOCK_LANES`] lanes at once, each cache line read once for all of them instead
    // of once per lane: `a + b.t()` of 512 x 512 took 511 us lane by lane, 3.3x as long.
    let wide = |k: usize, d: usize| {
        in_steps[k] != isize::MIN
            && in_steps[k].unsigned_abs() >= WIDE_STRIDE
            && inputs[k].strides[d] == 1
    };
    let blocked = match rows {
        Some(_) => None,
        None => (0..ndim)
            .rev()
            .filter(|&d| d != axis && shape[d] > 1)
            .find(|&d| (0..K).any(|k| wide(k, d))),
    };
    // An output lane of stride 2 whose memory inputs have stride 2 too (or 1, spread),
    // the other inputs splats, goes to `every_other` whole.
    let interleaved = every_other.as_ref().is_some_and(|op| {
        out_step == 2
            && in_steps
                .iter()
                .all(|&step| step == 0 || step == 2 || (step == 1 && op.spread))
    });
    // And lanes `2 len` apart in the output and its stride-2 inputs (every other value of
    // a contiguous block), `len` apart in its spread ones, splats the same for all, go
    // together: one run for the block.
    let interleaved_rows = (0..ndim)
        .rev()
        .filter(|&d| interleaved && d != axis && shape[d] > 1)
        .min_by_key(|&d| out_strides[d].unsigned_abs())
        .filter(|&d| {
            let next = 2 * len as isize;
            out_strides[d] == next && (0..K).all(|k| inputs[k].strides[d] == next * in_steps[k] / 2)
        });
    let even_runs = |offsets: [isize; K]| -> [EvenRun; K] {
        core::array::from_fn(|k| {
            // SAFETY: the offset addresses an element of input `k` (the caller's
            // guarantee for every index of `shape`).
            let lane = unsafe { inputs[k].ptr.offset(offsets[k]) };
            match in_steps[k] {
                // SAFETY: as above.
                0 => EvenRun::Splat(unsafe { *lane }),
                1 => EvenRun::Spread(lane),
                _ => EvenRun::Every(lane),
            }
        })
    };
    let skip = |d: usize| {
        d == axis || Some(d) == rows || Some(d) == blocked || Some(d) == interleaved_rows
    };

    let mut stack_index = [0usize; 16];
    let mut heap_index = Vec::new();
    let index: &mut [usize] = if ndim <= 16 {
        &mut stack_index[..ndim]
    } else {
        heap_index.resize(ndim, 0);
        &mut heap_index
    };
    let mut out_off = 0isize;
    let mut in_off = [0isize; K];
    // Scratch: never read before written (zeroing them took ~70 ns a call).
    let mut gathered = [[MaybeUninit::<f32>::uninit(); CHUNK]; K];
    let mut staged = [MaybeUninit::<f32>::uninit(); CHUNK];
    let mut tiles = [[MaybeUninit::<f32>::uninit(); BLOCK_LANES * BLOCK_CHUNK]; K];
    let gathered: [*mut f32; K] = gathered.each_mut().map(|g| g.as_mut_ptr().cast());
    let staged: *mut f32 = staged.as_mut_ptr().cast();
    let tiles: [*mut f32; K] = tiles.each_mut().map(|t| t.as_mut_ptr().cast());
    let scratch = Scratch { gathered, staged };
    let out_lanes = OutLanes {
        step: out_step,
        is_input: out_is_input,
    };
    loop {
        if let (Some(d), Some(op)) = (interleaved_rows, every_other.as_mut()) {
            // SAFETY: as for one lane below, over the `shape[d]` lanes along `d`, which
            // follow each other `2 len` values apart in `out` and in every stride-2
            // input, `len` apart in every spread one.
            let out_block = unsafe { out.offset(out_off) };
            (op.f)(even_runs(in_off), out_block, 2 * len * shape[d] - 1);
        } else if let Some(d) = rows {
            // SAFETY: as for one lane below, over the `shape[d]` lanes along `d`, which
            // follow each other in `out` and in every input that does not repeat its lane;
            // a tile holds `group * len <= CHUNK` values (`len <= CHUNK / 2`).
            unsafe {
                let tiled = |k: usize| in_steps[k] == 1 && inputs[k].strides[d] == 0;
                let group = if (0..K).any(tiled) {
                    (CHUNK / len).min(shape[d])
                } else {
                    shape[d]
                };
                let lanes: [*const f32; K] =
                    core::array::from_fn(|k| inputs[k].ptr.offset(in_off[k]));
                for k in 0..K {
                    if tiled(k) {
                        for copy in 0..group {
                            let to = gathered[k].add(copy * len);
                            core::ptr::copy_nonoverlapping(lanes[k], to, len);
                        }
                    }
                }
                let mut row = 0;
                while row < shape[d] {
                    let g = group.min(shape[d] - row);
                    let runs = core::array::from_fn(|k| match in_steps[k] {
                        0 => Run::Splat(*lanes[k]),
                        _ if tiled(k) => Run::Mem(gathered[k]),
                        _ => Run::Mem(lanes[k].add(row * len)),
                    });
                    f(runs, out.offset(out_off).add(row * len), g * len);
                    row += g;
                }
            }
        } else if let Some(d) = blocked {
            // SAFETY: as for one lane below, for the lanes `first..first + g` along `d`;
            // a wide input's lane `first + b` starts `b` values after lane `first` (stride 1
            // along `d`), so `p.add(b)` is its value `start + j`; a tile holds
            // `BLOCK_LANES * BLOCK_CHUNK` values.
            unsafe {
                let mut first = 0;
                while first < shape[d] {
                    let g = BLOCK_LANES.min(shape[d] - first);
                    let mut start = 0;
                    while start < len {
                        let m = BLOCK_CHUNK.min(len - start);
                        for k in (0..K).filter(|&k| wide(k, d)) {
                            let step = in_steps[k];
                            let lane = inputs[k].ptr.offset(in_off[k] + first as isize);
                            let from = lane.offset(start as isize * step);
                            gather_adjacent_lanes(tiles[k], BLOCK_CHUNK, from, step, g, m);
                        }
                        for b in 0..g {
                            let at = (first + b) as isize;
                            let lanes: [*const f32; K] = core::array::from_fn(|k| {
                                inputs[k].ptr.offset(in_off[k] + at * inputs[k].strides[d])
                            });
                            let pre = core::array::from_fn(|k| {
                                wide(k, d).then(|| tiles[k].add(b * BLOCK_CHUNK).cast_const())
                            });
                            let out_lane = out.offset(out_off + at * out_strides[d]);
                            let chunk = Chunk { start, len: m };
                            lane_chunk(
                                &mut f, lanes, in_steps, pre, out_lane, out_lanes, chunk, scratch,
                            );
                        }
                        start += m;
                    }
                    first += g;
                }
            }
        } else {
            // SAFETY: the offsets address the current lane's first element of each operand
            // (the caller guarantees every index of `shape` is valid), and each lane access
            // below stays inside `0..len` along `axis`.
            unsafe {
                let out_lane = out.offset(out_off);
                let lanes: [*const f32; K] =
                    core::array::from_fn(|k| inputs[k].ptr.offset(in_off[k]));
                let runs = || {
                    core::array::from_fn(|k| {
                        if in_steps[k] == 0 {
                            Run::Splat(*lanes[k])
                        } else {
                            Run::Mem(lanes[k])
                        }
                    })
                };
                if out_step == 1 && in_steps.iter().all(|&s| s == 0 || s == 1) {
                    f(runs(), out_lane, len);
                } else if let Some(op) = every_other.as_mut().filter(|_| interleaved) {
                    // The lane's `len` values and the `len - 1` between them, which `f`
                    // leaves alone (its contract), as are every stride-2 input's.
                    (op.f)(even_runs(in_off), out_lane, 2 * len - 1);
                } else {
                    let mut start = 0;
                    while start < len {
                        let m = CHUNK.min(len - start);
                        let chunk = Chunk { start, len: m };
                        let pre = [None; K];
                        lane_chunk(
                            &mut f, lanes, in_steps, pre, out_lane, out_lanes, chunk, scratch,
                        );
                        start += m;
                    }
                }
            }
        }
        // Advance the odometer over every axis but `axis` (and `rows` or `blocked`).
        let mut d = ndim;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            if skip(d) {
                continue;
            }
            index[d] += 1;
            out_off += out_strides[d];
            for k in 0..K {
                in_off[k] += inputs[k].strides[d];
            }
            if index[d] < shape[d] {
                break;
            }
            index[d] = 0;
            out_off -= out_strides[d] * shape[d] as isize;
            for k in 0..K {
                in_off[k] -= inputs[k].strides[d] * shape[d] as isize;
            }
        }
    }
}

/// The stride from which a lane's values no longer share cache lines: a wider lane is
/// gathered by a loop that is not unrolled (see [`gather_strided`]), or, when the next
/// lanes sit at the next addresses, [`BLOCK_LANES`] lanes at a time.
const WIDE_STRIDE: usize = 16;

/// Copies `lanes` lanes of `n` values each, lane `b` starting at `src + b` and its values
/// `step` apart (a transposed operand's rows), to `dst + b * dst_stride`: each cache line
/// of the source read once for all of them, not once per lane.
///
/// # Safety
/// `src.offset(j * step + b)` readable for `j < n`, `b < lanes`; `dst + b * dst_stride`
/// writable for `n` values for `b < lanes`.
#[inline(always)]
unsafe fn gather_adjacent_lanes(
    dst: *mut f32,
    dst_stride: usize,
    src: *const f32,
    step: isize,
    lanes: usize,
    n: usize,
) {
    // SAFETY: value `j` of lanes `0..lanes`, as the caller guarantees.
    let copy = |j: usize, b: usize| unsafe {
        *dst.add(b * dst_stride + j) = *src.offset(j as isize * step).add(b);
    };
    if lanes == BLOCK_LANES {
        // A whole block: the inner loop of a known length, unrolled.
        for j in 0..n {
            for b in 0..BLOCK_LANES {
                copy(j, b);
            }
        }
    } else {
        for j in 0..n {
            for b in 0..lanes {
                copy(j, b);
            }
        }
    }
}

/// Lanes per block of a wide input's gather in [`for_each_run`] (eight values: a 32-byte
/// piece of each cache line).
const BLOCK_LANES: usize = 8;
/// Values per lane and block of that gather.
const BLOCK_CHUNK: usize = 256;
// A block's chunk goes through `lane_chunk`, which takes at most `CHUNK` values.
const _: () = assert!(BLOCK_CHUNK <= CHUNK);

/// The scratch buffers of [`for_each_run`]: one gathered chunk per input, and the staged
/// chunk of a strided output.
#[derive(Clone, Copy)]
struct Scratch<const K: usize> {
    gathered: [*mut f32; K],
    staged: *mut f32,
}

/// How [`for_each_run`]'s output lanes are laid out.
#[derive(Clone, Copy)]
struct OutLanes {
    /// Stride between a lane's values.
    step: isize,
    /// Whether `f` reads the output's current values (an in-place op).
    is_input: bool,
}

/// Values `start..start + len` of one lane.
#[derive(Clone, Copy)]
struct Chunk {
    start: usize,
    len: usize,
}

/// `f` on values `chunk` of one lane: each input from its lane (`lanes[k]`, `steps[k]`
/// apart; a splat for step 0; isize::MIN for a stride-0 lane to gather) or, where `pre`
/// has it, from values gathered already; a strided output staged (read first for an
/// in-place op) and scattered back.
///
/// # Safety
/// As [`for_each_run`], for the lanes starting at `lanes` and `out`; `chunk.len <= CHUNK`;
/// each `pre[k]` readable for `chunk.len` values; the scratch buffers hold `CHUNK` values.
#[allow(clippy::too_many_arguments)] // one lane's inputs, output, chunk and scratch
unsafe fn lane_chunk<const K: usize>(
    f: &mut impl FnMut([Run; K], *mut f32, usize),
    lanes: [*const f32; K],
    steps: [isize; K],
    pre: [Option<*const f32>; K],
    out: *mut f32,
    out_lanes: OutLanes,
    chunk: Chunk,
    scratch: Scratch<K>,
) {
    let (start, m) = (chunk.start, chunk.len);
    // SAFETY: every access is to values `start..start + m` of the lanes, which the
    // caller guarantees, to the first `m` values of a `pre` run, or to the first
    // `m <= CHUNK` values of a scratch buffer.
    unsafe {
        let runs = core::array::from_fn(|k| match (pre[k], steps[k]) {
            (Some(values), _) => Run::Mem(values),
            (None, 0) => Run::Splat(*lanes[k]),
            (None, 1) => Run::Mem(lanes[k].add(start)),
            (None, step) => {
                let step = if step == isize::MIN { 0 } else { step };
                let from = lanes[k].offset(start as isize * step);
                gather_strided(scratch.gathered[k], from, step, m);
                Run::Mem(scratch.gathered[k])
            }
        });
        let step = out_lanes.step;
        if step == 1 {
            f(runs, out.add(start), m);
            return;
        }
        let lane = out.offset(start as isize * step);
        let staged = scratch.staged;
        if out_lanes.is_input {
            gather_strided(staged, lane, step, m);
        }
        f(runs, staged, m);
        if step == 2 {
            (kernels().scatter_even)(staged, lane, m);
        } else {
            for j in 0..m {
                *lane.offset(j as isize * step) = *staged.add(j);
            }
        }
    }
}

/// Each view's elements as one slice in memory order, when the views share one set of
/// strides and each fills its memory without gaps (C, F, reversed or permuted axes):
/// element `i` of every slice is then the same logical element. `None` otherwise.
pub(crate) fn shared_memory_order<'a, D: Dimension, const K: usize>(
    views: &'a [ArrayView<'_, f32, D>; K],
) -> Option<[&'a [f32]; K]> {
    let first = views.first()?;
    if !views.iter().all(|v| v.strides() == first.strides()) {
        return None;
    }
    let found = views.each_ref().map(|v| v.as_slice_memory_order());
    found
        .iter()
        .all(Option::is_some)
        .then(|| found.map(|s| s.unwrap_or_default()))
}

/// Calls `f(lanes)` on every lane of the views along their last axis, in logical
/// (row-major) order, all views in step (they share one shape). A 0-d view is one lane of
/// one value.
fn for_each_lane<D: Dimension, const K: usize>(
    views: &[ArrayView<'_, f32, D>; K],
    mut f: impl FnMut(&[ArrayView1<'_, f32>; K]),
) {
    if views.iter().any(|v| v.is_empty()) {
        return;
    }
    let ndim = views[0].ndim();
    if ndim == 0 {
        f(&views.each_ref().map(|v| {
            v.view()
                .into_shape_with_order(1)
                .expect("one value as a lane of one")
        }));
        return;
    }
    let mut lanes = views
        .each_ref()
        .map(|v| v.lanes(Axis(ndim - 1)).into_iter());
    loop {
        let next = lanes.each_mut().map(|l| l.next());
        if next.iter().any(Option::is_none) {
            return;
        }
        f(&next.map(|l| l.expect("checked above")));
    }
}

/// Copies `n` values `stride` apart from `src` to `dst`. Every other value (stride 2)
/// goes through the kernels' vector gather; other strides below 16 (values sharing cache
/// lines) through a plain loop, which LLVM unrolls; wider strides through a loop it does
/// not unroll, each load walking the stride, which the stride prefetcher follows.
/// Measured on a 512 x 512 array (`examples/layouts.rs`): every other column summed in
/// 30 us (AVX-512 table; 35 us AVX2, 48 us through the plain loop, 123 us through
/// ndarray's lane iterator); one column in 1.03 us (1.3 us through the unrolled loop,
/// 1.17 through ndarray's lane iterator, the idiom 1.15).
///
/// # Safety
/// `src.offset(i * stride)` must be readable for `i < n` and `dst` writable for `n`.
#[inline]
unsafe fn gather_strided(dst: *mut f32, src: *const f32, stride: isize, n: usize) {
    // SAFETY (every branch): reads `src.offset(i * stride)` and writes `dst.add(i)` for
    // `i < n` only.
    unsafe {
        match stride {
            1 => core::ptr::copy_nonoverlapping(src, dst, n),
            2 => (kernels().gather_even)(src, dst, n),
            _ if stride.unsigned_abs() < WIDE_STRIDE => {
                for i in 0..n {
                    *dst.add(i) = *src.offset(i as isize * stride);
                }
            }
            _ => {
                let mut p = src;
                for i in 0..n {
                    *dst.add(i) = *p;
                    p = p.wrapping_offset(core::hint::black_box(stride));
                }
            }
        }
    }
}

/// Copies `lane`'s values `from..from + dst_len` to `dst` (see [`gather_strided`]).
///
/// # Safety
/// `dst` must be writable for `dst_len` values, and `from + dst_len <= lane.len()`.
unsafe fn gather(dst: *mut f32, dst_len: usize, lane: &ArrayView1<'_, f32>, from: usize) {
    let part = lane.slice(ndarray::s![from..from + dst_len]);
    // SAFETY: `part` holds `dst_len` values, `stride` apart from its first.
    unsafe { gather_strided(dst, part.as_ptr(), part.strides()[0], dst_len) }
}

/// Whether `view` is 2-D with its rows' values far apart (stride 16 or more) but each
/// row's next to the one before (stride 1 between rows): a transposed operand, which
/// [`logical_copy`] copies eight rows per pass.
pub(crate) fn is_transposed_like<D: Dimension>(view: &ArrayView<'_, f32, D>) -> bool {
    let (shape, strides) = (view.shape(), view.strides());
    view.ndim() == 2 && shape[1] > 1 && strides[0] == 1 && strides[1].unsigned_abs() >= WIDE_STRIDE
}

/// The elements of `view` in logical (row-major) order, copied lane by lane (ndarray's
/// element iterator over a strided 2-D view took about 1.7 ns a value here), or eight
/// rows per pass over the columns for a transposed operand (each cache line read once
/// for the eight; see [`for_each_run`]'s blocked gather).
pub(crate) fn logical_copy<D: Dimension>(view: &ArrayView<'_, f32, D>) -> Vec<f32> {
    if is_transposed_like(view) {
        return transposed_copy(view);
    }
    let mut out: Vec<f32> = Vec::with_capacity(view.len());
    let mut filled = 0;
    for_each_lane(core::array::from_ref(view), |[lane]| {
        // SAFETY: the lanes hold `view.len()` values together, the capacity.
        unsafe { gather(out.as_mut_ptr().add(filled), lane.len(), lane, 0) };
        filled += lane.len();
    });
    // SAFETY: the lanes wrote all `view.len()` values.
    unsafe { out.set_len(filled) };
    out
}

/// [`logical_copy`] of a transposed operand (see [`is_transposed_like`]).
fn transposed_copy<D: Dimension>(view: &ArrayView<'_, f32, D>) -> Vec<f32> {
    let (rows, cols) = (view.shape()[0], view.shape()[1]);
    let step = view.strides()[1];
    let first = view.as_ptr();
    let mut out: Vec<f32> = Vec::with_capacity(rows * cols);
    let to = out.as_mut_ptr();
    let mut r = 0;
    while r < rows {
        let g = BLOCK_LANES.min(rows - r);
        // SAFETY: rows `r..r + g` of the view start at `first + r` one value apart (row
        // stride 1), their values `step` apart; `out` has room for `rows * cols` values,
        // rows `r..r + g` of them `cols` apart from `to + r * cols`.
        unsafe {
            gather_adjacent_lanes(to.add(r * cols), cols, first.add(r), step, g, cols);
        }
        r += g;
    }
    // SAFETY: every `(row, col)` position was written above.
    unsafe { out.set_len(rows * cols) };
    out
}

/// Calls `f` on consecutive chunks of the views' elements in logical (row-major) order,
/// all views in step; every chunk but the last holds a multiple of [`BLOCK`] values, so a
/// reduction fed this way sees the canonical order of the logical sequence.
pub(crate) fn for_each_logical_chunk<D: Dimension, const K: usize>(
    views: [ArrayView<'_, f32, D>; K],
    mut f: impl FnMut([&[f32]; K]),
) {
    const GATHER: usize = BLOCK * 8;
    // Never read before written (zeroing them took ~10 % of a 512-value column's sum).
    let mut bufs = [[MaybeUninit::<f32>::uninit(); GATHER]; K];
    let bufs: [*mut f32; K] = bufs.each_mut().map(|b| b.as_mut_ptr().cast());
    // SAFETY: the first `filled` values of every buffer were written.
    let chunk =
        |filled| bufs.map(|b| unsafe { core::slice::from_raw_parts(b.cast_const(), filled) });
    let mut filled = 0;
    for_each_lane(&views, |lanes| {
        let len = lanes[0].len();
        let mut done = 0;
        while done < len {
            let take = (GATHER - filled).min(len - done);
            for (buf, lane) in bufs.iter().zip(lanes) {
                // SAFETY: `filled + take <= GATHER`, and `done + take <= len`.
                unsafe { gather(buf.add(filled), take, lane, done) };
            }
            filled += take;
            done += take;
            if filled == GATHER {
                f(chunk(GATHER));
                filled = 0;
            }
        }
    });
    if filled > 0 {
        f(chunk(filled));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{s, Array2, ArrayView2, ArrayViewMut2};

    /// The runs [`for_each_run`] hands an in-place op on `target` with operand `input`:
    /// how many go to `f`, and the lengths of those that go to `every_other`.
    fn runs(
        mut target: ArrayViewMut2<'_, f32>,
        input: ArrayView2<'_, f32>,
        spread: bool,
    ) -> (usize, Vec<usize>) {
        let (mut plain, mut interleaved) = (0, Vec::new());
        let shape = target.shape().to_vec();
        let strides = target.strides().to_vec();
        let mut every_other = |_: [EvenRun; 1], _: *mut f32, n: usize| interleaved.push(n);
        let op = EveryOtherOp {
            f: &mut every_other,
            spread,
        };
        // SAFETY: the closures count the runs and touch no memory.
        unsafe {
            for_each_run(
                &shape,
                target.as_mut_ptr(),
                &strides,
                true,
                true,
                [Strided::of(&input)],
                |_, _, _| plain += 1,
                Some(op),
            )
        };
        (plain, interleaved)
    }

    /// Which layouts reach the kernels over every other value, and in runs of what length
    /// (the idiom tests check the values; this checks that the one-pass path is taken).
    #[test]
    fn stride_two_lanes_go_to_the_every_other_op() {
        let mut even = Array2::<f32>::zeros((8, 16));
        let mut odd = Array2::<f32>::zeros((8, 15));
        let other = Array2::<f32>::zeros((8, 16));
        let c = Array2::<f32>::zeros((8, 8));
        let every = other.slice(s![.., ..;2]);
        // A block of rows 16 values apart: one run of 8 rows x 16 values less one.
        assert_eq!(
            runs(even.slice_mut(s![.., ..;2]), every, false),
            (0, vec![127])
        );
        assert_eq!(
            runs(even.slice_mut(s![.., ..;2]), c.view(), true),
            (0, vec![127])
        );
        // Rows 15 values apart: one run per row.
        let lanes = runs(odd.slice_mut(s![.., ..;2]), every, false);
        assert_eq!(lanes, (0, vec![15; 8]));
        // A contiguous operand, for an op that takes no spread ones; reversed lanes, of
        // the target or an operand: the general path.
        let general =
            |(plain, interleaved): (usize, Vec<usize>)| plain > 0 && interleaved.is_empty();
        assert!(general(runs(even.slice_mut(s![.., ..;2]), c.view(), false)));
        assert!(general(runs(even.slice_mut(s![.., ..;-2]), every, false)));
        assert!(general(runs(
            even.slice_mut(s![.., ..;2]),
            c.slice(s![.., ..;-1]),
            true
        )));
    }
}
