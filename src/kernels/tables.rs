//! The coefficient tables of the activations' piecewise polynomials
//! ([`super::math::piecewise`]): for each of eight intervals a center and the
//! coefficients of a polynomial in `t = y - center`, one row per power of `t` so that a
//! row is one register for [`super::simd::Simd::lookup8`]. Each center lies within a few
//! thousandths of where the table wants it, where the function is within about `2^-34` of
//! an f32, so the f32 constant terms are nearly exact. Fitted (relative weighted least
//! squares, coefficients rounded to f32 one by one) and printed by
//! `python3 scripts/fit_tables.py`; edit that script, not these numbers.

/// tanh as a [`super::math::piecewise`] polynomial, `tanh y = Σ_j TANH_TABLE[j][c] t^j`
/// with `c = min(round(y), 7)` and `t = y - TANH_CENTERS[c]`, on `[c - 1/2, c + 1/2]`
/// (`[0, 1/2]` for `c = 0`, where the center, the constant term and the linear one are 0,
/// 0 and 1, so tiny `y` come out exact; `[6.5, 9.1]` for `c = 7`, beyond which tanh has
/// long rounded to 1): degree 8, to `2^-25` relative or better with the f32
/// coefficients. The other centers sit about 0.32 below their intervals' middles, where
/// Horner's rule cancels less at the near end (1.61 -> 1.54 ulp without FMA, 1.49 ->
/// 1.30 with it, over all inputs).
pub(super) const TANH_CENTERS: [f32; 8] = [
    0.0, 0.6816022, 1.6793524, 2.6809871, 3.6798055, 4.6804833, 5.6812606, 6.679193,
];
/// The coefficients: row `j` holds those of `t^j`.
#[rustfmt::skip]
pub(super) const TANH_TABLE: [[f32; 8]; 9] = [
    [0.0, 0.59256, 0.93277746, 0.99066055, 0.9987279, 0.999828, 0.99997675, 0.99999684],
    [
        1.0, 0.6488723, 0.12992623, 0.018591678,
        0.0025425463, 0.0003440084, 4.6491077e-05, 6.3184434e-06,
    ],
    [
        1.1164858e-07, -0.384495, -0.121192284, -0.018418046,
        -0.0025393113, -0.0003439504, -4.6489957e-05, -6.318818e-06,
    ],
    [
        -0.33333948, 0.011577105, 0.06973394, 0.012048814,
        0.0016885798, 0.00022922641, 3.099212e-05, 4.202579e-06,
    ],
    [
        0.00011721858, 0.121205166, -0.024641681, -0.00579679,
        -0.00084004045, -0.000114522256, -1.5496229e-05, -2.0621935e-06,
    ],
    [
        0.132245, -0.061776157, 0.0026720045, 0.002139337,
        0.00033242104, 4.5613197e-05, 6.1959167e-06, 7.622939e-07,
    ],
    [
        0.005600257, -0.0095989285, 0.0028037021, -0.00059841515,
        -0.00010734166, -1.4778365e-05, -2.0415607e-06, -2.0168201e-07,
    ],
    [
        -0.07063945, 0.021590814, -0.0018972823, 0.00011472645,
        2.694243e-05, 3.6543538e-06, 5.294831e-07, 3.3469146e-08,
    ],
    [
        0.027890861, -0.006885673, 0.00044890115, -1.0921887e-05,
        -3.970541e-06, -5.1463024e-07, -8.115408e-08, -2.5616422e-09,
    ],
];

/// `g(y) = y Φ(-y)` as a [`super::math::piecewise`] polynomial,
/// `Σ_j GELU_TABLE[j][c] t^j` with `c = round(2y)` and `t = y - GELU_CENTERS[c]`, on
/// `[c/2 - 1/4, c/2 + 1/4]` (`[0, 1/4]` for `c = 0`, where the center and `g(0)` are 0):
/// degree 7, to `2^-26` relative or better with the f32 coefficients.
pub(super) const GELU_CENTERS: [f32; 8] = [
    0.0, 0.5003979, 0.9996836, 1.5003664, 2.0003417, 2.499563, 2.999708, 3.5003734,
];
/// The coefficients: row `j` holds those of `t^j`.
#[rustfmt::skip]
pub(super) const GELU_TABLE: [[f32; 8]; 8] = [
    [0.0, 0.15432145, 0.1586816, 0.10016409, 0.04547115, 0.015540607, 0.0040531843, 0.00081314886],
    [
        0.5, 0.13225976, -0.08323888, -0.1274573,
        -0.08519491, -0.037643652, -0.011954711, -0.0028184222,
    ],
    [
        -0.3989423, -0.3079258, -0.12110025, 0.01625195,
        0.053990968, 0.03726919, 0.015521178, 0.0044677947,
    ],
    [
        5.863122e-07, 0.11007495, 0.12101067, 0.056611225,
        -2.4607327e-05, -0.016431782, -0.011084364, -0.004196103,
    ],
    [
        0.06647929, 0.0338779, -0.020134844, -0.0360832,
        -0.01798303, -0.0005122342, 0.004062688, 0.0024826033,
    ],
    [
        0.000101972706, -0.022483652, -0.01613706, 0.0027374793,
        0.008997548, 0.0042699114, 1.5078007e-06, -0.00084699143,
    ],
    [
        -0.010465642, -0.0030244289, 0.0059403707, 0.004842565,
        -0.0004120977, -0.0019279204, -0.00078135147, 4.7131558e-05,
    ],
    [
        0.0012032371, 0.0033152944, 0.0011975552, -0.00143458,
        -0.0011065048, 0.00016454334, 0.00035986616, 9.909145e-05,
    ],
];

/// `h(y) = y Φ(-y) e^(y²/2)` as a [`super::math::piecewise`] polynomial,
/// `Σ_j GELU_FAR_TABLE[j][c - 4] t^j` with `c = round(y)` and
/// `t = y - GELU_FAR_CENTERS[c - 4]`, on `[c - 1/2, c + 1/2]` for `c` in `4..=11`: degree
/// 5, to `2^-25.9` relative or better with the f32 coefficients.
pub(super) const GELU_FAR_CENTERS: [f32; 8] = [
    4.00025, 5.0001783, 6.001419, 6.9986467, 7.9996014, 9.001071, 9.999928, 10.999277,
];
/// The coefficients: row `j` holds those of `t^j`.
#[rustfmt::skip]
pub(super) const GELU_FAR_TABLE: [[f32; 8]; 6] = [
    [0.37764487, 0.38459745, 0.3886804, 0.39125156, 0.3929798, 0.3941902, 0.3950669, 0.39572337],
    [
        0.009210347, 0.00519004, 0.0031788952, 0.002079281,
        0.0014274622, 0.0010198159, 0.0007533158, 0.00057155854,
    ],
    [
        -0.0028753222, -0.0013692036, -0.0007229212, -0.00041463244,
        -0.00025291252, -0.0001623692, -0.000108840795, -7.554186e-05,
    ],
    [
        0.00077071507, 0.00031279336, 0.00014321382, 7.2334566e-05,
        3.9323557e-05, 2.2738825e-05, 1.3856179e-05, 8.809766e-06,
    ],
    [
        -0.00019088411, -6.622705e-05, -2.635603e-05, -1.1742433e-05,
        -5.6972003e-06, -2.9703135e-06, -1.6463819e-06, -9.597918e-07,
    ],
    [
        4.3451986e-05, 1.3024943e-05, 4.5417246e-06, 1.7867917e-06,
        7.774454e-07, 3.6651605e-07, 1.8590629e-07, 9.8441824e-08,
    ],
];
