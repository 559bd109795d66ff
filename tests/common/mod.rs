//! Shared test data: awkward f32 values and deterministic pseudo-random vectors.
#![allow(dead_code)]

pub mod activation;

/// Values that break naive kernels: signed zeros, infinities, NaN, subnormals, huge and
/// tiny normals, and values around 1.
pub const SPECIALS: [f32; 20] = [
    0.0,
    -0.0,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
    f32::MIN_POSITIVE,
    -f32::MIN_POSITIVE,
    1.0e-40,
    -1.0e-45,
    f32::MAX,
    f32::MIN,
    3.0e38,
    -2.5e38,
    1.0,
    -1.0,
    0.5,
    1.0e-30,
    -7.25,
    1.0e20,
    f32::EPSILON,
];

/// A xorshift generator, so tests need no seed files and fail reproducibly.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// Uniform in [-1, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
    /// Mostly ordinary values, sometimes any bit pattern, sometimes a special value.
    pub fn wild(&mut self) -> f32 {
        match self.next_u64() % 16 {
            0 => SPECIALS[(self.next_u64() % SPECIALS.len() as u64) as usize],
            1 => f32::from_bits(self.next_u64() as u32),
            _ => self.unit() * 100.0,
        }
    }
    /// Finite values only (for reductions where NaN/∞ would hide the comparison).
    pub fn finite(&mut self) -> f32 {
        match self.next_u64() % 16 {
            0 => [0.0, -0.0, 1.0e-40, -1.0e-45, f32::MIN_POSITIVE][(self.next_u64() % 5) as usize],
            1 => self.unit() * 1.0e6,
            _ => self.unit(),
        }
    }
    pub fn vec(&mut self, n: usize, f: impl Fn(&mut Self) -> f32) -> Vec<f32> {
        (0..n).map(|_| f(self)).collect()
    }
}

/// Bit equality, treating every NaN as equal to every NaN (payloads are unspecified).
pub fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

pub fn assert_same_slices(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            same(g, w),
            "{what}: element {i}: got {g:e} ({:#x}), want {w:e} ({:#x})",
            g.to_bits(),
            w.to_bits()
        );
    }
}

/// Exact-ish f64 reference sum and the pairwise-summation error bound for it.
pub fn sum_bound(terms: impl Iterator<Item = f64>) -> (f64, f64) {
    let mut s = 0.0f64;
    let mut abs = 0.0f64;
    let mut n = 0usize;
    for t in terms {
        s += t;
        abs += t.abs();
        n += 1;
    }
    let levels = 16.0 + 5.0 + (n.max(1) as f64 / 512.0).log2().max(0.0) + 2.0;
    (
        s,
        levels * f32::EPSILON as f64 / 2.0 * abs + f32::MIN_POSITIVE as f64,
    )
}

/// The canonical summation order of DESIGN.md, written plainly as an independent model:
/// blocks of 512, element `i` of a block into lane `i % 32` (left to right from +0.0),
/// block lane sums combined by a binary counter, remaining groups from the latest to the
/// earliest, then the 32 lanes folded by halves.
#[allow(dead_code)] // not every test binary uses it
pub fn canonical_sum(terms: &[f32]) -> f32 {
    let mut levels: Vec<Option<[f32; 32]>> = Vec::new();
    for block in terms.chunks(512) {
        let mut carry = [0.0f32; 32];
        for (i, &x) in block.iter().enumerate() {
            carry[i % 32] += x;
        }
        let mut level = 0;
        loop {
            if level == levels.len() {
                levels.push(None);
            }
            match levels[level].take() {
                Some(earlier) => {
                    carry = std::array::from_fn(|j| earlier[j] + carry[j]);
                    level += 1;
                }
                None => {
                    levels[level] = Some(carry);
                    break;
                }
            }
        }
    }
    let mut total: Option<[f32; 32]> = None;
    for group in levels.iter().flatten() {
        total = Some(match total {
            None => *group,
            Some(later) => std::array::from_fn(|j| group[j] + later[j]),
        });
    }
    let mut lanes = total.unwrap_or([0.0; 32]);
    for half in [16, 8, 4, 2, 1] {
        for j in 0..half {
            lanes[j] += lanes[j + half];
        }
    }
    lanes[0]
}
