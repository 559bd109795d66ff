//! When the element-wise kernels write their output past the caches: the rule, and the
//! size of the last-level cache it compares against (read once from CPUID).
//!
//! An output written with ordinary stores is first read into the cache (each line is
//! fetched before it is overwritten) and later written back, evicting the inputs on the
//! way. Once the arrays of one call are too large to stay in the last-level cache
//! anyway, non-temporal stores skip the read. Measured on the development EPYC (32 MiB
//! L3), fresh outputs, ns per element with streaming against ordinary stores: `a + b` at
//! 2 M elements (24 MiB touched) 0.150 against 0.213, at 4 M 0.218 against 0.320;
//! `|a|` at 4 M (32 MiB) 0.144 against 0.177. Below that they lose: `|a|` at 2 M
//! (16 MiB) 0.141 against 0.106, and at 256 K 0.144 against 0.082.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes one call must touch (inputs and output together) before its output streams,
/// once known; `usize::MAX` where no cache size is known (never stream), `0` before the
/// first query.
static THRESHOLD: AtomicUsize = AtomicUsize::new(0);

/// Whether a kernel writing `n` values to `out` from the pointer operands `inputs`
/// should use streaming stores: the output is fresh (no operand starts at `out`), the
/// arrays together exceed three quarters of the last-level cache (where streaming
/// started to win in the measurements above), and `out` is aligned to an `f32`, so the
/// vector loop's stores are vector-aligned after its peeled head.
#[inline(always)]
pub(crate) fn streams_output<const K: usize>(
    out: *mut f32,
    inputs: [Option<*const f32>; K],
    n: usize,
) -> bool {
    // Cheap exits first: no short array pays for more than a comparison.
    if n < MIN_STREAMING || !(out as usize).is_multiple_of(4) {
        return false;
    }
    let mut arrays: usize = 1;
    for p in inputs.into_iter().flatten() {
        if p == out.cast_const() {
            return false;
        }
        arrays += 1;
    }
    let threshold = threshold();
    threshold != usize::MAX && arrays.saturating_mul(n).saturating_mul(4) >= threshold
}

/// No array shorter than this streams, whatever the cache (below it the check costs a
/// comparison, and the kernels' peeled heads always leave aligned vectors).
const MIN_STREAMING: usize = 256;

/// The streaming threshold in bytes (see [`THRESHOLD`]).
#[inline(always)]
fn threshold() -> usize {
    match THRESHOLD.load(Ordering::Relaxed) {
        0 => {
            let llc = last_level_cache_bytes();
            let t = if llc == 0 { usize::MAX } else { llc / 4 * 3 };
            // A value stored meanwhile (by another thread, or a test) stays.
            match THRESHOLD.compare_exchange(0, t, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => t,
                Err(current) => current,
            }
        }
        t => t,
    }
}

/// Sets the streaming threshold to `bytes` (tests: streaming on short arrays, whose
/// results must not change), returning the previous one.
#[cfg(test)]
pub(crate) fn set_threshold_for_tests(bytes: usize) -> usize {
    let old = threshold();
    THRESHOLD.store(bytes.max(1), Ordering::Relaxed);
    old
}

/// The size in bytes of the largest data or unified cache that CPUID describes (the
/// last-level cache one core sees), or 0 where it says nothing.
#[cfg(target_arch = "x86_64")]
fn last_level_cache_bytes() -> usize {
    use core::arch::x86_64::__cpuid_count;
    // Only leaves up to the highest one CPUID reports are read.
    let vendor = __cpuid_count(0, 0);
    let amd = [vendor.ebx, vendor.edx, vendor.ecx] == [0x6874_7541, 0x6974_6e65, 0x444d_4163];
    // AMD describes its caches in leaf 0x8000_001D (with TOPOEXT), Intel in leaf 4;
    // both in the same format.
    let leaf = if amd {
        let max_ext = __cpuid_count(0x8000_0000, 0).eax;
        let topoext = max_ext >= 0x8000_0001 && __cpuid_count(0x8000_0001, 0).ecx & (1 << 22) != 0;
        if max_ext < 0x8000_001D || !topoext {
            return 0;
        }
        0x8000_001D
    } else if vendor.eax >= 4 {
        4
    } else {
        return 0;
    };
    let mut largest = 0;
    for sub in 0..16 {
        let r = __cpuid_count(leaf, sub);
        match r.eax & 0x1f {
            0 => break,
            2 => continue, // instruction cache
            _ => {}
        }
        let ways = ((r.ebx >> 22) & 0x3ff) as usize + 1;
        let partitions = ((r.ebx >> 12) & 0x3ff) as usize + 1;
        let line = (r.ebx & 0xfff) as usize + 1;
        let sets = r.ecx as usize + 1;
        largest = largest.max(ways * partitions * line * sets);
    }
    largest
}

/// No streaming stores elsewhere (NEON and WASM store as usual): no size needed.
#[cfg(not(target_arch = "x86_64"))]
fn last_level_cache_bytes() -> usize {
    0
}

#[cfg(test)]
mod tests {
    use crate::kernels::Kernels;
    use crate::Backend;

    /// Values with every special case, `n` of them.
    fn input(n: usize, seed: f32) -> Vec<f32> {
        (0..n)
            .map(|i| match i % 13 {
                0 => f32::NAN,
                1 => -0.0,
                2 => f32::NEG_INFINITY,
                3 => 1.0e-42,
                _ => (i as f32 * seed).sin() * 9.0,
            })
            .collect()
    }

    /// The memory-bound ops the test runs, by name.
    const OPS: [&str; 9] = [
        "add", "sub vs", "div sv", "mul", "abs", "relu", "clamp", "lerp", "fma",
    ];

    /// Runs op `name` of table `k` on `a`, `b`, `c` into `out`.
    ///
    /// # Safety
    /// `a`, `b`, `c` readable and `out` writable for `n` values.
    unsafe fn run(name: &str, k: &Kernels, [a, b, c]: [*const f32; 3], out: *mut f32, n: usize) {
        // SAFETY: forwarded from the caller.
        unsafe {
            match name {
                "add" => (k.binary[0].vv)(a, b, out, n),
                "sub vs" => (k.binary[1].vs)(a, 0.5, out, n),
                "div sv" => (k.binary[3].sv)(3.0, b, out, n),
                "mul" => (k.binary[2].vv)(a, c, out, n),
                "abs" => (k.abs)(a, out, n),
                "relu" => (k.relu)(b, out, n),
                "clamp" => (k.clamp)(c, -2.0, 3.0, out, n),
                "lerp" => (k.lerp)(a, b, 0.3, out, n),
                _ => (k.fma)(a, b, c, out, n),
            }
        }
    }

    /// With the threshold at one byte, every memory-bound kernel of every backend writes
    /// fresh outputs of 256 values and more with streaming stores, at every alignment of
    /// the output, in its own buffer and 32–92 bytes after an input modulo 4096 (where
    /// AMD CPUs run the loops from the end down); the bits must be those of the scalar
    /// backend (which stores as usual), and nothing around the output may change.
    #[test]
    fn streamed_outputs_hold_the_same_bits() {
        let old = super::set_threshold_for_tests(1);
        let reference = Backend::Scalar.kernels().expect("scalar");
        for backend in Backend::ALL {
            let Some(k) = backend.kernels() else { continue };
            for n in [256, 257, 300, 511, 1000, 4099] {
                let (a, b, c) = (input(n, 0.37), input(n, 0.11), input(n, 0.73));
                let period = n.next_multiple_of(1024);
                for (placed, offset) in [false, true]
                    .into_iter()
                    .flat_map(|p| (0..16).map(move |o| (p, o)))
                {
                    // Placed: `a`'s values at the start of the buffer, the output
                    // `8 + offset` values after a multiple of 4096 bytes.
                    let mut buf = vec![7.0f32; period + n + 32];
                    let out_at = if placed {
                        buf[..n].copy_from_slice(&a);
                        period + 8 + offset
                    } else {
                        offset
                    };
                    let base = buf.as_mut_ptr();
                    let a_in = if placed {
                        base.cast_const()
                    } else {
                        a.as_ptr()
                    };
                    let inputs = [a_in, b.as_ptr(), c.as_ptr()];
                    // SAFETY: `out_at + n` lies inside `buf`.
                    let out = unsafe { base.add(out_at) };
                    assert!(super::streams_output(
                        out,
                        [Some(a_in), Some(b.as_ptr())],
                        n
                    ));
                    // In place: never.
                    assert!(!super::streams_output(a_in.cast_mut(), [Some(a_in)], n));
                    for name in OPS {
                        let mut want = vec![0.0f32; n];
                        // SAFETY: every input holds `n` values, `want` `n` writable ones,
                        // and `out` is `n` values inside `buf`, apart from `a_in`'s.
                        unsafe {
                            run(
                                name,
                                reference,
                                [a.as_ptr(), b.as_ptr(), c.as_ptr()],
                                want.as_mut_ptr(),
                                n,
                            );
                            run(name, k, inputs, out, n);
                        }
                        let got = &buf[out_at..out_at + n];
                        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                            assert!(
                                g.to_bits() == w.to_bits() || g.is_nan() && w.is_nan(),
                                "{backend:?} {name} n={n} placed {placed} offset {offset} [{i}]: {g:e} vs {w:e}"
                            );
                        }
                        let (before, after) = (&buf[..out_at], &buf[out_at + n..]);
                        let input_kept = !placed
                            || before[..n]
                                .iter()
                                .zip(&a)
                                .all(|(x, y)| x.to_bits() == y.to_bits());
                        let rest = if placed { &before[n..] } else { before };
                        assert!(
                            input_kept && rest.iter().chain(after).all(|&v| v == 7.0),
                            "{backend:?} {name} n={n} placed {placed} offset {offset}: wrote outside"
                        );
                    }
                }
            }
        }
        super::set_threshold_for_tests(old);
    }

    /// The largest data or unified cache Linux lists for CPU 0, in bytes.
    fn sysfs_largest_cache() -> Option<usize> {
        let dir = std::fs::read_dir("/sys/devices/system/cpu/cpu0/cache").ok()?;
        let mut largest = None;
        for entry in dir.flatten() {
            let read = |f: &str| std::fs::read_to_string(entry.path().join(f)).ok();
            let (Some(kind), Some(size)) = (read("type"), read("size")) else {
                continue;
            };
            if kind.trim() == "Instruction" {
                continue;
            }
            let kib: usize = size.trim().trim_end_matches('K').parse().ok()?;
            largest = largest.max(Some(kib << 10));
        }
        largest
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_last_level_cache_size_is_the_one_linux_reports() {
        let bytes = super::last_level_cache_bytes();
        match sysfs_largest_cache() {
            Some(linux) => assert_eq!(bytes, linux, "CPUID against sysfs"),
            // No sysfs: a plausible size, or none (then nothing streams).
            None => assert!(
                bytes == 0 || (256 << 10..=4 << 30).contains(&bytes),
                "{bytes} bytes"
            ),
        }
    }
}
