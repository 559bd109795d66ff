//! One-input activation loops (and, on AMD, every element-wise loop of at least four
//! vectors, memory-bound ones of at least 4096 values) run from the end down when the
//! output starts a little after an input modulo 4096 bytes
//! (`elementwise::run_descending`).
//! Placing the pointers that way, every backend's kernels must give the bits of the
//! ordinary ascending run, for every length to 300 and from 4096 to 4160.

use crate::Backend;

/// A buffer holding an input at `0..n` and an output starting `ahead` bytes after it
/// modulo 4096 (and after its end).
fn placed(n: usize, ahead: usize) -> (Vec<f32>, usize) {
    let period = 4096 / 4;
    let want = ahead / 4;
    let out_at = n.next_multiple_of(period) + want;
    (vec![0.0; out_at + n + 16], out_at)
}

fn input(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| match i % 11 {
            0 => f32::NAN,
            1 => -0.0,
            2 => f32::INFINITY,
            _ => (i as f32 * 0.37).sin() * 12.0,
        })
        .collect()
}

fn same_bits(what: &str, got: &[f32], want: &[f32]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            g.to_bits() == w.to_bits() || g.is_nan() && w.is_nan(),
            "{what}: element {i}: got {g:e}, want {w:e}"
        );
    }
}

#[test]
fn loops_give_the_same_bits_in_either_order() {
    for backend in Backend::ALL {
        let Some(k) = backend.kernels() else { continue };
        for n in (0..=300).chain([1000]).chain(4096..=4160) {
            for ahead in [48, 112, 1000] {
                let x = input(n);
                let (mut buf, out_at) = placed(n, ahead);
                buf[..n].copy_from_slice(&x);
                let unary: [(&str, crate::kernels::UnaryFn); 5] = [
                    ("abs", k.abs),
                    ("relu", k.relu),
                    ("exp", k.exp),
                    ("tanh", k.tanh),
                    ("gelu", k.gelu),
                ];
                for (name, f) in unary {
                    let mut want = vec![0.0f32; n];
                    // SAFETY: `x` and `want` hold `n` values each.
                    unsafe { f(x.as_ptr(), want.as_mut_ptr(), n) };
                    let p = buf.as_mut_ptr();
                    // SAFETY: input at `0..n`, output at `out_at..out_at + n`, disjoint
                    // and inside `buf`.
                    unsafe { f(p, p.add(out_at), n) };
                    let ctx = format!("{backend} {name} n={n} ahead={ahead}");
                    same_bits(&ctx, &buf[out_at..out_at + n], &want);
                }
                // Two inputs (descending on AMD only).
                let y: Vec<f32> = x.iter().map(|v| v * 0.5 + 1.0).collect();
                let mut want = vec![0.0f32; n];
                // SAFETY: all three hold `n` values.
                unsafe { (k.binary[0].vv)(x.as_ptr(), y.as_ptr(), want.as_mut_ptr(), n) };
                let p = buf.as_mut_ptr();
                // SAFETY: input at `0..n`, output at `out_at..out_at + n`, disjoint and
                // inside `buf`; `y` holds `n` values.
                unsafe { (k.binary[0].vv)(p, y.as_ptr(), p.add(out_at), n) };
                same_bits(
                    &format!("{backend} add of two n={n} ahead={ahead}"),
                    &buf[out_at..out_at + n],
                    &want,
                );
                // A binary operator with a scalar operand: one input.
                let mut want = vec![0.0f32; n];
                // SAFETY: `x` and `want` hold `n` values each.
                unsafe { (k.binary[0].vs)(x.as_ptr(), 0.75, want.as_mut_ptr(), n) };
                let p = buf.as_mut_ptr();
                // SAFETY: as above.
                unsafe { (k.binary[0].vs)(p, 0.75, p.add(out_at), n) };
                same_bits(
                    &format!("{backend} add n={n} ahead={ahead}"),
                    &buf[out_at..out_at + n],
                    &want,
                );
            }
        }
    }
}

#[test]
fn which_loops_run_descending() {
    use crate::kernels::elementwise::{amd_descends_everything, run_descending};
    let buf = vec![0.0f32; 4096];
    let p = buf.as_ptr();
    let out = p.wrapping_add(12) as *mut f32; // 48 bytes after the input
    assert!(run_descending(out, [Some(p), None, None], false));
    assert_eq!(
        run_descending(out, [Some(p), None, None], true),
        amd_descends_everything()
    );
    assert_eq!(
        run_descending(out, [Some(p), Some(p.wrapping_add(1024)), None], true),
        amd_descends_everything()
    );
    assert!(!run_descending(p as *mut f32, [Some(p), None, None], false));
    assert!(!run_descending(
        p.wrapping_add(512) as *mut f32,
        [Some(p), None, None],
        false
    ));
    assert!(!run_descending(out, [None, None, None], false));
}
