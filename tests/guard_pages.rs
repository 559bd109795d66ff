//! No kernel reads or writes outside its arrays: every op on every backend, on arrays
//! that end exactly where an inaccessible page begins or begin exactly where one ends, for
//! every length to 300 and a few long ones: contiguous and reversed at both fences, every
//! other value (forwards, backwards, mixed) at both, in place at both; C blocks plus
//! transposed ones and axis reductions of rows of 1 to 9 values at the end. A stray
//! access past a fenced end faults and kills the test (tried: plain loads in a former
//! AVX2 stride-2 gather, a four-value load for SSE2's one-value tail, a block gather
//! reading one lane too many, an interleaved kernel's tail without its length mask). What it cannot see: an access past the end that has no fence in a
//! case (fresh outputs and accumulators live on the heap), and a read that stays inside
//! the aligned vector holding an array's first or last value, which never crosses a page;
//! the masks and the primitives test rule those out.
#![cfg(unix)]

use ndarray::{
    arr0, s, ArrayView, ArrayView1, ArrayView2, ArrayViewMut, ArrayViewMut1, ArrayViewMut2, Axis,
    Dimension,
};
use trueno::{available_backends, with_backend, TruenoExt};

/// `pages` readable and writable pages between two inaccessible ones.
struct Fenced {
    base: *mut u8,
    page: usize,
    pages: usize,
}

impl Fenced {
    fn new(pages: usize) -> Fenced {
        // SAFETY: plain POSIX calls; the mapping is checked, and only its first and last
        // page are made inaccessible.
        unsafe {
            let page = libc::sysconf(libc::_SC_PAGESIZE) as usize;
            let len = (pages + 2) * page;
            let base = libc::mmap(
                core::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(base, libc::MAP_FAILED, "mmap");
            let base = base as *mut u8;
            assert_eq!(libc::mprotect(base.cast(), page, libc::PROT_NONE), 0);
            let last = base.add((pages + 1) * page);
            assert_eq!(libc::mprotect(last.cast(), page, libc::PROT_NONE), 0);
            Fenced { base, page, pages }
        }
    }

    /// The readable values, between the fences.
    fn values(&mut self) -> &mut [f32] {
        // SAFETY: the pages between the fences are mapped readable and writable, and
        // `self` is borrowed mutably for as long as the slice lives.
        unsafe {
            core::slice::from_raw_parts_mut(
                self.base.add(self.page).cast::<f32>(),
                self.pages * self.page / 4,
            )
        }
    }
}

impl Drop for Fenced {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `new`.
        unsafe { libc::munmap(self.base.cast(), (self.pages + 2) * self.page) };
    }
}

/// Every op with `x`, `y`, `z` as operands (same length).
fn every_op(x: ArrayView1<'_, f32>, y: ArrayView1<'_, f32>, z: ArrayView1<'_, f32>) {
    std::hint::black_box((
        x.simd_add(&y),
        x.simd_sub(&y),
        x.simd_mul(&y),
        x.simd_div(&y),
        x.simd_add(&arr0(2.0f32)),
        x.simd_abs(),
        x.simd_relu(),
        x.simd_scale(1.5),
        x.simd_clamp(-1.0, 1.0),
        x.simd_lerp(&y, 0.3),
        x.simd_fma(&y, &z),
    ));
    std::hint::black_box((
        x.simd_exp(),
        x.simd_sigmoid(),
        x.simd_tanh(),
        x.simd_swish(),
        x.simd_gelu(),
        x.simd_gelu_tanh(),
    ));
    let _ = std::hint::black_box((
        x.simd_sum(),
        x.simd_dot(&y),
        x.simd_norm_l1(),
        x.simd_norm_l2(),
        x.simd_norm_linf(),
        x.simd_max(),
        x.simd_min(),
        x.simd_argmax(),
        x.simd_argmin(),
    ));
}

/// Every in-place op on `t`, with `y`, `z` as operands.
fn every_op_in_place<D: Dimension>(
    mut t: ArrayViewMut<'_, f32, D>,
    y: ArrayView<'_, f32, D>,
    z: ArrayView<'_, f32, D>,
) {
    t.simd_add_assign(&y);
    t.simd_sub_assign(&y);
    t.simd_mul_assign(&z);
    t.simd_div_assign(&z);
    t.simd_abs_inplace();
    t.simd_scale_inplace(0.5);
    t.simd_clamp_inplace(-2.0, 2.0);
    t.simd_relu_inplace();
    t.simd_lerp_inplace(&y, 0.5);
    t.simd_fma_inplace(&y, &z);
    t.simd_exp_inplace();
    t.simd_sigmoid_inplace();
    t.simd_tanh_inplace();
    t.simd_swish_inplace();
    t.simd_gelu_inplace();
    t.simd_gelu_tanh_inplace();
}

/// Sums and maxima along both axes of `v`.
fn axis_reductions(v: ArrayView2<'_, f32>) {
    for axis in [Axis(0), Axis(1)] {
        std::hint::black_box((v.simd_sum_axis(axis), v.simd_max_axis(axis)));
    }
}

/// `v[from..to]` taken every `step` values (backwards for a negative step).
fn part(v: &[f32], from: usize, to: usize, step: isize) -> ArrayView1<'_, f32> {
    ArrayView1::from(&v[from..to]).slice_move(s![..;step])
}

fn fill(values: &mut [f32]) {
    for (i, v) in values.iter_mut().enumerate() {
        *v = (i % 13) as f32 * 0.25 - 1.5;
    }
}

#[test]
fn no_access_outside_the_arrays() {
    let mut fences = [Fenced::new(4), Fenced::new(4), Fenced::new(4)];
    for backend in available_backends() {
        with_backend(backend, || {
            for n in (0..=300).chain([1000, 1500]) {
                let [a, b, c] = &mut fences;
                let (a, b, c) = (a.values(), b.values(), c.values());
                fill(a);
                fill(b);
                fill(c);
                let len = a.len();
                // Contiguous, at the end and at the start; reversed; every other value
                // ending at the last one (2n - 1 values spanned).
                let spans = [(len - n, len, 1), (0, n, 1), (len - n, len, -1), (0, n, -1)];
                for &(from, to, step) in &spans {
                    every_op(
                        part(a, from, to, step),
                        part(b, from, to, step),
                        part(c, from, to, step),
                    );
                    let y = part(b, from, to, step);
                    let z = part(c, from, to, step);
                    every_op_in_place(
                        ArrayViewMut1::from(&mut a[from..to]).slice_move(s![..;step]),
                        y,
                        z,
                    );
                    fill(a);
                }
                // Every other value from the first (2n - 1 values spanned), and backwards.
                let span = (2 * n).saturating_sub(1);
                every_op(
                    part(a, 0, span, 2),
                    part(b, 0, span, 2),
                    part(c, 0, span, -2),
                );
                let from = len - span;
                every_op(
                    part(a, from, len, -2),
                    part(b, from, len, 2),
                    part(c, from, len, -2),
                );
                every_op(
                    part(a, from, len, 2),
                    part(b, from, len, 2),
                    part(c, from, len, 2),
                );
                // In place every other value (one run over every other value), at both
                // fences.
                let (y, z) = (part(b, from, len, 2), part(c, from, len, 2));
                every_op_in_place(
                    ArrayViewMut1::from(&mut a[from..]).slice_move(s![..;2]),
                    y,
                    z,
                );
                fill(a);
                let (y, z) = (part(b, 0, span, 2), part(c, 0, span, 2));
                every_op_in_place(
                    ArrayViewMut1::from(&mut a[..span]).slice_move(s![..;2]),
                    y,
                    z,
                );
                fill(a);
                // Every other column of blocks of rows (one run for the whole block), the
                // operands every other column or C, at both fences.
                for w in [3, 8] {
                    let rows = n / (2 * w);
                    let (block, half) = (rows * 2 * w, rows * w);
                    let y = ArrayView2::from_shape((rows, 2 * w), &b[len - block..]).unwrap();
                    let z = ArrayView2::from_shape((rows, w), &c[len - half..]).unwrap();
                    let t =
                        ArrayViewMut2::from_shape((rows, 2 * w), &mut a[len - block..]).unwrap();
                    every_op_in_place(t.slice_move(s![.., 1..;2]), y.slice_move(s![.., 1..;2]), z);
                    fill(a);
                    let y = ArrayView2::from_shape((rows, 2 * w), &b[..block]).unwrap();
                    let z = ArrayView2::from_shape((rows, w), &c[..half]).unwrap();
                    let t = ArrayViewMut2::from_shape((rows, 2 * w), &mut a[..block]).unwrap();
                    every_op_in_place(t.slice_move(s![.., ..;2]), y.slice_move(s![.., ..;2]), z);
                    fill(a);
                }
                // With contiguous operands (spread over every other value), at both.
                for (from, to) in [(0, n), (len - n, len)] {
                    let (y, z) = (part(b, from, to, 1), part(c, from, to, 1));
                    let t = if from == 0 {
                        &mut a[len - span..]
                    } else {
                        &mut a[..span]
                    };
                    every_op_in_place(ArrayViewMut1::from(t).slice_move(s![..;2]), y, z);
                    fill(a);
                }
                // A C block plus a transposed one (gathered eight lanes at a time once a
                // lane's step reaches 16), both ending at the fence, fresh and in place.
                for cols in [3, 16, 17] {
                    let rows = n / cols;
                    let start = len - rows * cols;
                    let y = ArrayView2::from_shape((cols, rows), &b[start..]).unwrap();
                    let x = ArrayView2::from_shape((rows, cols), &a[start..]).unwrap();
                    std::hint::black_box(x.simd_add(&y.t()));
                    let _ = std::hint::black_box((
                        x.simd_dot(&y.t()),
                        y.t().simd_norm_l2(),
                        y.t().simd_argmax(),
                    ));
                    let mut t =
                        ndarray::ArrayViewMut2::from_shape((rows, cols), &mut a[start..]).unwrap();
                    t.simd_mul_assign(&y.t());
                }
                fill(a);
                // Rows of 1..=9 values (and one row), ending at the fence.
                for cols in 1..=9 {
                    let rows = n / cols;
                    let start = len - rows * cols;
                    let v = ArrayView2::from_shape((rows, cols), &a[start..]).unwrap();
                    axis_reductions(v);
                    axis_reductions(v.t());
                }
            }
        })
        .unwrap();
    }
}
