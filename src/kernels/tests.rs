//! Every backend's [`Simd`] primitives against the scalar token, lane by lane, on special
//! values (NaN, ±0, ±∞, subnormals, extremes). The public ops cannot see some of these
//! corners (e.g. `min`/`max` on NaN and ±0 inside `extreme`, which reports NaN apart), but
//! kernels written later may, so the trait's documented semantics are tested here. To
//! cover a new primitive, add it to [`check`].

use super::scalar::Scalar;
use super::simd::Simd;

const SPECIAL: [f32; 22] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -2.5,
    3.0,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
    -f32::NAN,
    f32::MIN_POSITIVE,
    -f32::MIN_POSITIVE,
    1.0e-45,
    -1.5e-40,
    f32::MAX,
    f32::MIN,
    f32::EPSILON,
    1.0 + f32::EPSILON,
    8_388_609.0,
    -4_194_303.5,
    0.1,
];

/// Bits, with every NaN made the same (NaN payloads are not part of the contract).
fn key(x: f32) -> u32 {
    if x.is_nan() {
        0x7fc0_0000
    } else {
        x.to_bits()
    }
}

fn vector<S: Simd>(s: S, xs: &[f32]) -> S::V {
    assert_eq!(xs.len(), S::LANES);
    // SAFETY: `xs` holds LANES readable values.
    unsafe { s.load(xs.as_ptr()) }
}

fn lanes<S: Simd>(s: S, v: S::V) -> Vec<f32> {
    let mut buf = [0.0f32; 16];
    // SAFETY: `buf` has room for 16 >= LANES values.
    unsafe { s.store(buf.as_mut_ptr(), v) };
    buf[..S::LANES].to_vec()
}

/// Compares `S`'s result of a lane-wise op with the scalar token's, lane by lane.
fn same<S: Simd>(
    what: &str,
    s: S,
    inputs: &[&[f32]],
    vector_op: impl Fn(&[S::V]) -> S::V,
    scalar_op: impl Fn(&[f32]) -> f32,
    exact_bits: bool,
) {
    let vs: Vec<S::V> = inputs.iter().map(|xs| vector(s, xs)).collect();
    let got = lanes(s, vector_op(&vs));
    for i in 0..S::LANES {
        let args: Vec<f32> = inputs.iter().map(|xs| xs[i]).collect();
        let want = scalar_op(&args);
        let (g, w) = if exact_bits {
            (got[i].to_bits(), want.to_bits())
        } else {
            (key(got[i]), key(want))
        };
        assert_eq!(g, w, "{what}{args:?}: {} vs scalar {}", got[i], want);
    }
}

/// All primitives of one backend on every (x, y, z) drawn from `SPECIAL`.
fn check<S: Simd>(s: S) {
    let c = Scalar;
    let l = S::LANES;
    let mut triples = Vec::new();
    for (i, &x) in SPECIAL.iter().enumerate() {
        for (j, &y) in SPECIAL.iter().enumerate() {
            triples.push((x, y, SPECIAL[(i * 7 + j * 3) % SPECIAL.len()]));
        }
    }
    while triples.len() % l != 0 {
        triples.push((1.0, 2.0, 3.0));
    }
    for chunk in triples.chunks(l) {
        let x: Vec<f32> = chunk.iter().map(|t| t.0).collect();
        let y: Vec<f32> = chunk.iter().map(|t| t.1).collect();
        let z: Vec<f32> = chunk.iter().map(|t| t.2).collect();
        let xy: [&[f32]; 2] = [&x, &y];
        macro_rules! binary {
            ($($op:ident: $exact:expr),*) => {$(
                same(stringify!($op), s, &xy, |v| s.$op(v[0], v[1]), |a| c.$op(a[0], a[1]), $exact);
            )*};
        }
        binary!(add: false, sub: false, mul: false, div: false, min: true, max: true,
                and: true, or: true, xor: true);
        macro_rules! unary {
            ($($op:ident: $exact:expr),*) => {$(
                same(stringify!($op), s, &xy[..1], |v| s.$op(v[0]), |a| c.$op(a[0]), $exact);
            )*};
        }
        unary!(sqrt: false, abs: true, neg: true);
        same(
            "mul_add",
            s,
            &[&x, &y, &z],
            |v| s.mul_add(v[0], v[1], v[2]),
            |a| c.mul_add(a[0], a[1], a[2]),
            false,
        );
        same(
            "mul_err",
            s,
            &xy,
            |v| s.mul_err(v[0], v[1]),
            |a| c.mul_err(a[0], a[1]),
            false,
        );
        // ldexp: specified for integer exponents in -252..=254.
        let n: Vec<f32> = y
            .iter()
            .map(|&v| {
                if v.is_finite() {
                    (v as i64).clamp(-252, 254) as f32
                } else {
                    3.0
                }
            })
            .collect();
        same(
            "ldexp",
            s,
            &[&x, &n],
            |v| s.ldexp(v[0], v[1]),
            |a| c.ldexp(a[0], a[1]),
            false,
        );
        // Masks, seen through select and mask_bits.
        macro_rules! mask {
            ($($op:ident),*) => {$(
                same(
                    stringify!($op),
                    s,
                    &xy,
                    |v| s.select(s.$op(v[0], v[1]), v[0], v[1]),
                    |a| c.select(c.$op(a[0], a[1]), a[0], a[1]),
                    true,
                );
                let want = (0..l).fold(0u64, |m, i| m | ((c.$op(x[i], y[i]) as u64) << i));
                assert_eq!(
                    s.mask_bits(s.$op(vector(s, &x), vector(s, &y))),
                    want,
                    "mask_bits({}) on {x:?}, {y:?}",
                    stringify!($op)
                );
            )*};
        }
        mask!(lt, le, eq);
        let (vx, vy) = (vector(s, &x), vector(s, &y));
        let want = (0..l).fold(0u64, |m, i| m | ((x[i].is_nan() as u64) << i));
        assert_eq!(s.mask_bits(s.is_nan(vx)), want, "is_nan on {x:?}");
        let or = s.mask_or(s.lt(vx, vy), s.is_nan(vy));
        let and = s.mask_and(s.le(vx, vy), s.eq(vy, vy));
        let want_or = (0..l).fold(0u64, |m, i| {
            m | (((x[i] < y[i]) | y[i].is_nan()) as u64) << i
        });
        let want_and = (0..l).fold(0u64, |m, i| {
            m | (((x[i] <= y[i]) & !y[i].is_nan()) as u64) << i
        });
        assert_eq!(s.mask_bits(or), want_or, "mask_or on {x:?}, {y:?}");
        assert_eq!(s.mask_bits(and), want_and, "mask_and on {x:?}, {y:?}");
        // round: specified for |x| < 2^22 only.
        let r: Vec<f32> = x
            .iter()
            .map(|&v| if v.abs() < 4_194_304.0 { v } else { 0.25 })
            .collect();
        same(
            "round",
            s,
            &[&r],
            |v| s.round(v[0]),
            |a| c.round(a[0]),
            true,
        );
        same(
            "splat",
            s,
            &[&x],
            |v| s.add(v[0], s.splat(-0.0)),
            |a| a[0] + -0.0,
            false,
        );
    }
    // pow2i: specified for integers in -126..=127.
    let ns: Vec<f32> = (-126..=127).map(|n| n as f32).collect();
    for chunk in ns.chunks_exact(l) {
        same(
            "pow2i",
            s,
            &[chunk],
            |v| s.pow2i(v[0]),
            |a| c.pow2i(a[0]),
            true,
        );
    }
    // ldexp_magic: `k = n + ROUND_MAGIC`, normal `a`, normal exact result.
    let magic = super::scalar::ROUND_MAGIC;
    let ks: Vec<f32> = (-125..=126).map(|n| n as f32 + magic).collect();
    let ms: Vec<f32> = [
        0.5,
        0.707_106_77,
        1.0,
        core::f32::consts::SQRT_2,
        1.999_999_9,
        -1.25,
        -0.75,
    ]
    .iter()
    .copied()
    .cycle()
    .take(ks.len())
    .collect();
    for (m, k) in ms.chunks_exact(l).zip(ks.chunks_exact(l)) {
        same(
            "ldexp_magic",
            s,
            &[m, k],
            |v| s.ldexp_magic(v[0], v[1]),
            |a| a[0] * 2f32.powi((a[1] - magic) as i32),
            true,
        );
    }
    // lookup8: `k = i + ROUND_MAGIC` for i in 0..=7, each index in every lane.
    let table = [
        1.5f32,
        -2.0,
        0.0,
        -0.0,
        f32::MIN_POSITIVE,
        3e38,
        -7.25,
        1e-45,
    ];
    let is: Vec<f32> = (0..8 * l)
        .map(|j| ((j % l + j / l * (2 * l + 1)) % 8) as f32 + magic)
        .collect();
    for chunk in is.chunks_exact(l) {
        same(
            "lookup8",
            s,
            &[chunk],
            |v| s.lookup8(&table, v[0]),
            |a| table[(a[0] - magic) as usize],
            true,
        );
    }
    // store_stream: to an aligned place, then the fence; the neighbours untouched.
    #[repr(align(64))]
    struct Line([f32; 48]);
    let mut line = Line([9.0; 48]);
    let values: Vec<f32> = SPECIAL[..l].to_vec();
    // SAFETY: `16..16 + l` lies inside the 48 values, at 64 bytes: aligned for any width.
    unsafe { s.store_stream(line.0.as_mut_ptr().add(16), vector(s, &values)) };
    s.stream_fence();
    for (i, &v) in line.0.iter().enumerate() {
        let want = if (16..16 + l).contains(&i) {
            values[i - 16]
        } else {
            9.0
        };
        assert_eq!(key(v), key(want), "store_stream, value {i}");
    }
    // Partial loads and stores at every length, from and to every f32 position of a
    // 64-byte line: exactly the values asked for, the other lanes filled (with each
    // fill), nothing else written.
    let mut source_line = Line([0.0; 48]);
    for (i, v) in source_line.0.iter_mut().enumerate() {
        *v = SPECIAL[(i * 5) % SPECIAL.len()];
    }
    let source = &source_line.0;
    for len in 0..=l {
        for offset in 0..16 {
            for fill in [7.5, f32::NAN, -0.0] {
                // SAFETY: `offset + len <= 32` of the 48 values of `source`.
                let v = unsafe { s.load_partial(source.as_ptr().add(offset), len, fill) };
                for (i, &g) in lanes(s, v).iter().enumerate() {
                    let want = if i < len { source[offset + i] } else { fill };
                    assert_eq!(
                        key(g),
                        key(want),
                        "load_partial({len}, {fill}) at {offset}, lane {i}"
                    );
                }
            }
            if 0 < len && len < l {
                // SAFETY: as above.
                let v = unsafe { s.load_partial_high(source.as_ptr().add(offset), len) };
                for (i, &g) in lanes(s, v).iter().enumerate() {
                    let want = match i.checked_sub(l - len) {
                        Some(k) => source[offset + k],
                        None => 0.0,
                    };
                    assert_eq!(
                        key(g),
                        key(want),
                        "load_partial_high({len}) at {offset}, lane {i}"
                    );
                }
            }
            let mut out = Line([9.0; 48]);
            // SAFETY: `offset + len <= 32` of the 48 values of `out`.
            unsafe {
                s.store_partial(out.0.as_mut_ptr().add(offset), len, vector(s, &source[..l]))
            };
            for (i, &o) in out.0.iter().enumerate() {
                let want = match i.checked_sub(offset) {
                    Some(k) if k < len => source[k],
                    _ => 9.0,
                };
                assert_eq!(
                    key(o),
                    key(want),
                    "store_partial({len}) at {offset}, value {i}"
                );
            }
        }
    }
    // Contiguous values spread over the even lanes: lane 2 j holds p[j] for 2 j < len.
    for len in 0..=l {
        for offset in [0, 3] {
            // SAFETY: reads `p[j]` for `2 j < len <= LANES`: within the 48 values.
            let v = unsafe { s.load_spread(source.as_ptr().add(offset), len) };
            for (i, &g) in lanes(s, v).iter().enumerate() {
                if i % 2 == 0 && i < len {
                    let want = source[offset + i / 2];
                    assert_eq!(
                        key(g),
                        key(want),
                        "load_spread({len}) at {offset}, lane {i}"
                    );
                }
            }
        }
    }
    // Every other value, from every f32 position of a line: lane i to p[2 i], nothing
    // else written.
    for offset in 0..16 {
        let mut out = Line([9.0; 48]);
        // SAFETY: as above, in the 48 values of `out`.
        unsafe { s.store_even(out.0.as_mut_ptr().add(offset), vector(s, &source[..l])) };
        for (i, &o) in out.0.iter().enumerate() {
            let want = match i.checked_sub(offset) {
                Some(k) if k % 2 == 0 && k / 2 < l => source[k / 2],
                _ => 9.0,
            };
            assert_eq!(key(o), key(want), "store_even at {offset}, value {i}");
        }
    }
    // all_abs_le: each edge value in each lane, the other lanes inside the limit, and
    // runs of the special values.
    for limit in [16.0f32, 9.5, 3.749_999_8, 1.0e-30, f32::MAX] {
        let above = f32::from_bits(limit.to_bits() + 1);
        let edges = [
            limit,
            -limit,
            above,
            -above,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            -f32::NAN,
            -0.0,
            1.0e-45,
        ];
        let check_all = |xs: &[f32]| {
            let want = xs.iter().all(|v| v.abs() <= limit);
            let got = s.all_abs_le(vector(s, xs), limit);
            assert_eq!(got, want, "all_abs_le({xs:?}, {limit})");
        };
        for edge in edges {
            for lane in 0..l {
                let mut xs = vec![limit * 0.5; l];
                xs[lane] = edge;
                check_all(&xs);
            }
        }
        for start in 0..SPECIAL.len() {
            let xs: Vec<f32> = (0..l)
                .map(|i| SPECIAL[(start + i) % SPECIAL.len()])
                .collect();
            check_all(&xs);
        }
    }
    assert_eq!(
        lanes(s, s.zero()).iter().map(|z| z.to_bits()).max(),
        Some(0)
    );
}

#[test]
fn scalar_primitives_are_the_reference() {
    check(Scalar);
}

/// Calls the generic test function `$f` with every x86 token this CPU runs: SSE2, and
/// AVX2 and AVX-512 where detected.
#[cfg(target_arch = "x86_64")]
macro_rules! for_each_x86_token {
    ($f:ident) => {{
        // SAFETY: SSE2 is part of the x86-64 baseline.
        $f(unsafe { $crate::kernels::sse2::Sse2::new_unchecked() });
        if $crate::Backend::Avx2.is_available() {
            // SAFETY: AVX2 and FMA were detected.
            $f(unsafe { $crate::kernels::avx2::Avx2::new_unchecked() });
        }
        if $crate::Backend::Avx512.is_available() {
            // SAFETY: AVX-512 F/BW/DQ/VL (and AVX2, FMA) were detected.
            $f(unsafe { $crate::kernels::avx512::Avx512::new_unchecked() });
        }
    }};
}
#[cfg(target_arch = "x86_64")]
pub(super) use for_each_x86_token;

#[test]
#[cfg(target_arch = "x86_64")]
fn x86_primitives_match_scalar() {
    for_each_x86_token!(check);
}

#[test]
#[cfg(target_arch = "aarch64")]
fn neon_primitives_match_scalar() {
    assert!(crate::Backend::Neon.is_available());
    // SAFETY: NEON was detected (it is part of the aarch64 baseline).
    check(unsafe { super::neon::Neon::new_unchecked() });
}

#[test]
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn wasm128_primitives_match_scalar() {
    // SAFETY: the build enables SIMD128.
    check(unsafe { super::wasm::Wasm128::new_unchecked() });
}
