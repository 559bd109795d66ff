//! WGSL generation: fused element-wise kernels, two-pass reductions, axis reductions
//! and a tiled matmul. Kernel text depends only on the structure of the work (ops,
//! ranks, broadcast patterns, chunk counts), never on sizes or scalar arguments, which
//! travel in a small uniform buffer; so the pipeline cache keyed by text is reused
//! across sizes and runs.

use super::scope::{Bin, Node, NodeId, Op, Red, Un};
use std::collections::HashMap;
use std::fmt::Write;

/// Threads per workgroup of the 1-D kernels.
pub(crate) const WG: u32 = 256;
/// Most workgroups of the first pass of a reduction.
pub(crate) const RED_GROUPS: u32 = 1024;

/// Device-dependent code generation choices.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cfg {
    /// Elements per storage binding (larger arrays are split).
    pub chunk: u64,
    /// Whether the device's `fma` rounds once.
    pub hw_fma: bool,
}

/// One storage binding of a kernel: chunk `chunk` of the storage of node `owner`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Bind {
    Tensor {
        owner: NodeId,
        chunk: usize,
    },
    /// The partials buffer of reduction `owner`.
    Partials(NodeId),
}

/// A generated kernel: WGSL text, its storage bindings (in binding order, from 1;
/// binding 0 is the uniform parameter block), which of them are written, and the
/// parameter words.
pub(crate) struct Kernel {
    pub wgsl: String,
    pub binds: Vec<(Bind, bool)>,
    pub meta: Vec<u32>,
}

/// The math library shared by every kernel. The transcendental functions are written
/// out (range reduction + polynomials), never WGSL built-ins, so that every device
/// computes the same formulas.
const PRELUDE: &str = r#"
fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isfinite_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }
// An opaque identity (XOR with a zero read from a storage buffer, which no driver can
// constant-fold; lavapipe inlines uniform values): stops the driver from contracting a
// product into a later add, or from "simplifying" the error-free transformations below.
fn opq(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) ^ M.v[0][1]); }
// Dekker's split and exact product error: a*b - p for p = fl(a*b), without relying on
// a fused multiply-add (lavapipe's `fma` rounds twice).
fn split_(a: f32) -> vec2<f32> {
  let c = opq(4097.0 * a);
  let hi = opq(c - opq(c - a));
  return vec2<f32>(hi, opq(a - hi));
}
fn tp_err(a: f32, b: f32, p: f32) -> f32 {
  let x = split_(a); let y = split_(b);
  return opq(opq(opq(opq(x.x * y.x) - p) + opq(x.x * y.y)) + opq(x.y * y.x)) + opq(x.y * y.y);
}
// a*b + c rounded once, through error-free transformations and a round-to-odd step
// (Boldo & Melquiond's FMA emulation); used where the device's `fma` is not fused.
fn two_sum_(a: f32, b: f32) -> vec2<f32> {
  let s = opq(a + b);
  let bb = opq(s - a);
  return vec2<f32>(s, opq(opq(a - opq(s - bb)) + opq(b - bb)));
}
fn fma_emu(a: f32, b: f32, c: f32) -> f32 {
  let uh = opq(a * b);
  let ul = tp_err(a, b, uh);
  let t = two_sum_(c, ul);
  let v = two_sum_(uh, t.x);
  let w = two_sum_(v.y, t.y);
  // round to odd: an inexact result with an even last bit moves one ulp towards the tail
  let bits = bitcast<u32>(w.x);
  let inexact = w.y != 0.0 && (bits & 1u) == 0u;
  let up = (bitcast<u32>(w.y) >> 31u) == (bits >> 31u);
  let z = select(w.x, bitcast<f32>(select(bits - 1u, bits + 1u, up)), inexact);
  let r = v.x + z;
  return select(uh + c, r, isfinite_(r) && isfinite_(ul) && isfinite_(t.x));
}
// a / b, refined by one step on the exact residual (correctly rounded in practice
// where the hardware quotient is not, for normal operands).
fn rdiv(a: f32, b: f32) -> f32 {
  // opaque, so that no compiler rewrites (a / b) * b into a
  let q = opq(a / b);
  let p = opq(q * b);
  let e = opq(opq(a - p) - tp_err(q, b, p));
  let q2 = q + e / b;
  return select(q, q2, isfinite_(e) && isfinite_(q2) && q != 0.0);
}
// ---- The transcendental functions: a port of the CPU kernels (src/kernels/math.rs and
// activation.rs, branch `activations`): the same range reductions, polynomials and
// constants, with the same (hi, lo) pair arithmetic. Every product whose rounding the
// pair arithmetic depends on goes through `mul_`, so no driver contracts or
// re-associates it; `fma` is `mul_add_fast` (fused or not: the CPU bounds were checked
// for both).
fn mul_(a: f32, b: f32) -> f32 { return opq(a * b); }
// NaN in, NaN out, decided on the bits: drivers may assume there are no NaNs and turn
// the selects of min_/max_ into NaN-dropping min/max (NVIDIA does).
fn keep_nan(y: f32, x: f32) -> f32 { return select(y, x, isnan_(x)); }
fn min_(a: f32, b: f32) -> f32 { return select(b, a, a < b); }
fn max_(a: f32, b: f32) -> f32 { return select(b, a, a > b); }
fn clamp_keep_nan(x: f32, lo: f32, hi: f32) -> f32 { return max_(lo, min_(hi, x)); }
fn mul_err(a: f32, b: f32) -> f32 { return tp_err(a, b, mul_(a, b)); }
// c - a*b where that is (nearly) representable
fn residual(a: f32, b: f32, c: f32) -> f32 {
  let p = mul_(a, b);
  return opq(opq(c - p) - tp_err(a, b, p));
}
fn fast_two_sum(a: f32, b: f32) -> vec2<f32> {
  let h = opq(a + b);
  return vec2<f32>(h, opq(opq(a - h) + b));
}
fn pow2f(n: f32) -> f32 { return bitcast<f32>(u32(i32(n) + 127) << 23u); }
fn pow2_floor126(n: f32) -> f32 { return pow2f(max_(n, -126.0)); }
fn ldexp_(a: f32, n: f32) -> f32 {
  let n1 = round(n * 0.5);
  return mul_(mul_(a, pow2f(n1)), pow2f(n - n1));
}
fn recip_(d: f32) -> f32 {
  let r = 1.0 / d;
  let e = fma(-d, r, 1.0);
  return fma(r, e, r);
}
fn div_pairs(nh: f32, nl: f32, dh: f32, dl: f32, inf: bool) -> f32 {
  let inv = recip_(dh);
  let q = mul_(nh, inv);
  var rem = residual(q, dh, nh);
  rem = fma(-q, dl, opq(rem + nl));
  let corr = mul_(rem, inv);
  return select(opq(q + corr), q, inf && isnan_(corr));
}
// e^(zh + zl) as (a + t) * 2^n, unrounded: vec3(a, t, n).
fn exp_parts(zh0: f32, zl: f32) -> vec3<f32> {
  let zh = clamp_keep_nan(zh0, -150.0, 89.0);
  let n = round(zh * 1.44269502162933349609375);
  let r_hi = fma(n, -0.693359375, zh);
  let m = fma(n, 2.12194440e-4, zl);
  let rr = fast_two_sum(r_hi, m);
  let r = rr.x; let rl = rr.y;
  var h = 0.0013942213;
  h = fma(h, r, 0.008368845);
  h = fma(h, r, 0.041666385);
  h = fma(h, r, 0.1666652);
  h = fma(h, r, 0.5);
  let r2 = mul_(r, r);
  let a = opq(1.0 + r);
  let e1 = opq(opq(1.0 - a) + r);
  let t = opq(e1 + fma(r2, h, fma(rl, r, rl)));
  return vec3<f32>(a, t, n);
}
fn exp_(x: f32) -> f32 {
  let p = exp_parts(x, 0.0);
  return keep_nan(ldexp_(opq(p.x + p.y), p.z), x);
}
// x * sigma(vh + vl) (mul) or sigma(vh + vl) alone.
fn x_logistic(x: f32, vh: f32, vl: f32, mul: bool) -> f32 {
  let vsign = bitcast<u32>(vh) & 0x80000000u;
  let zh = bitcast<f32>(bitcast<u32>(vh) | 0x80000000u);
  let zl = bitcast<f32>(bitcast<u32>(vl) ^ (vsign ^ 0x80000000u));
  let e = exp_parts(zh, zl);
  let p = fast_two_sum(e.x, e.y);
  let sc = pow2_floor126(e.z);
  let eh = mul_(p.x, sc);
  let el = mul_(p.y, sc);
  let d = fast_two_sum(1.0, eh);
  let dl = opq(d.y + el);
  let neg = vh < 0.0;
  let ma = select(1.0, e.x, neg);
  let mt = select(0.0, e.y, neg);
  let ns = select(0.0, e.z, neg);
  var nh = ma; var nl = mt;
  if (mul) {
    nh = mul_(x, ma);
    nl = fma(x, mt, mul_err(x, ma));
  }
  let q = ldexp_(div_pairs(nh, nl, d.x, dl, mul), ns);
  return select(q, bitcast<f32>(bitcast<u32>(q) | (bitcast<u32>(x) & 0x80000000u)), mul);
}
fn sigmoid_(x: f32) -> f32 { return keep_nan(x_logistic(x, x, 0.0, false), x); }
// For |x| < 2^-60, swish, gelu and gelu_tanh are x/2 + O(x^2) and round to x/2 —
// except at x = 2^-125·(1 - 2^-24) (bits 0x00ffffff), where x/2 lies half an ulp below
// the smallest normal and the positive x^2 term rounds the result up to it. Devices
// that flush before rounding (NVIDIA) return 0 there, so that result is formed directly.
fn tiny_half(y: f32, x: f32) -> f32 {
  let h = select(y, x * 0.5, abs(x) < 8.673617e-19);
  return select(h, bitcast<f32>(0x00800000u), bitcast<u32>(x) == 0x00ffffffu);
}
fn swish_(x: f32) -> f32 { return tiny_half(keep_nan(x_logistic(max_(-150.0, x), x, 0.0, true), x), x); }
fn tanh_(x: f32) -> f32 {
  let z = max_(-20.0, mul_(bitcast<f32>(bitcast<u32>(x) | 0x80000000u), 2.0));
  let e = exp_parts(z, 0.0);
  let p = fast_two_sum(e.x, e.y);
  let sc = pow2f(e.z);
  let eh = mul_(p.x, sc);
  let el = mul_(p.y, sc);
  let u0 = fast_two_sum(1.0, -eh);
  let u = fast_two_sum(u0.x, opq(u0.y - el));
  let d = fast_two_sum(1.0, eh);
  let dl = opq(d.y + el);
  let q = div_pairs(u.x, u.y, d.x, dl, false);
  return keep_nan(bitcast<f32>(bitcast<u32>(q) | (bitcast<u32>(x) & 0x80000000u)), x);
}
fn gelu_(x: f32) -> f32 {
  let y = clamp_keep_nan(abs(x), 0.0, 20.0);
  let wh = mul_(y, y);
  let wl = mul_err(y, y);
  let e = exp_parts(mul_(wh, -0.5), mul_(wl, -0.5));
  let hy = mul_(y, 0.5);
  let d = opq(1.0 + hy);
  let dl = opq(opq(max_(1.0, hy) - d) + min_(1.0, hy));
  let th = rdiv(1.0, d);
  let rho = fma(-th, dl, residual(th, d, 1.0));
  let tl = mul_(th, rho);
  let u = opq(th - 0.5001657);
  var sp = -0.03423661;
  sp = fma(sp, u, 0.091244526);
  sp = fma(sp, u, -0.06382508);
  sp = fma(sp, u, -0.04446532);
  sp = fma(sp, u, 0.10544178);
  sp = fma(sp, u, -0.05094229);
  sp = fma(sp, u, -0.062426295);
  sp = fma(sp, u, 0.1075755);
  sp = fma(sp, u, -0.003670552);
  sp = fma(sp, u, -0.14687668);
  sp = fma(sp, u, 0.05752174);
  sp = fma(sp, u, 0.33142352);
  sp = fma(sp, u, 0.33625892);
  let rh = mul_(th, sp);
  let rl = fma(tl, sp, mul_err(th, sp));
  let eh = mul_(rh, e.x);
  let el = opq(mul_err(rh, e.x) + fma(rl, e.x, mul_(rh, e.y)));
  let sc = pow2_floor126(e.z);
  let e1 = mul_(eh, sc);
  let f = fast_two_sum(1.0, -e1);
  let fl0 = fma(-el, sc, f.y);
  let neg = x < 0.0;
  let fh = select(f.x, eh, neg);
  let fl = select(fl0, el, neg);
  let ns = select(0.0, e.z, neg);
  let xn = max_(-20.0, x);
  let g = ldexp_(fma(xn, fh, mul_(xn, fl)), ns);
  return tiny_half(keep_nan(select(g, x, bitcast<u32>(x) == 0x7f800000u), x), x);
}
fn gelu_tanh_(x: f32) -> f32 {
  let xc = clamp_keep_nan(x, -20.0, 20.0);
  let wh = mul_(xc, xc);
  let wl = mul_err(xc, xc);
  let ph = mul_(0.071354814, wh);
  let pl = opq(mul_err(0.071354814, wh) + fma(0.071354814, wl, mul_(2.3988325e-9, wh)));
  let g = two_sum_(1.5957692, ph);
  let gl = opq(g.y + opq(-4.534068e-8 + pl));
  let vh = mul_(xc, g.x);
  let vl = fma(xc, gl, mul_err(xc, g.x));
  return tiny_half(keep_nan(x_logistic(max_(-20.0, x), vh, vl, true), x), x);
}
"#;

fn numel(s: &[usize]) -> usize {
    s.iter().product()
}

/// C-order strides of `shape`, right-aligned to `rank`, 0 where the dim is 1 or absent.
fn bcast_strides(child: &[usize], rank: usize) -> Vec<u32> {
    let mut out = vec![0u32; rank];
    let mut st = 1usize;
    for (k, &d) in child.iter().enumerate().rev() {
        let pos = rank - child.len() + k;
        out[pos] = if d == 1 { 0 } else { st as u32 };
        st *= d;
    }
    out
}

/// Builds one kernel: bindings, parameter words, helper functions and body.
pub(crate) struct Emitter<'g> {
    g: &'g [Node],
    /// node -> (storage owner, number of chunks); for nodes that are read from memory.
    storage: &'g dyn Fn(NodeId) -> Option<(NodeId, usize)>,
    chunk: u64,
    pub binds: Vec<(Bind, bool)>,
    bind_idx: HashMap<Bind, usize>,
    fns: String,
    fn_done: HashMap<(NodeId, bool), String>,
    pub meta: Vec<u32>,
    body: String,
    memo: HashMap<(NodeId, String), String>,
    idx_memo: HashMap<(Vec<usize>, Vec<usize>, String), String>,
    tmp: usize,
    /// Whether the device's `fma` is a fused (single-rounding) multiply-add.
    pub hw_fma: bool,
}

impl<'g> Emitter<'g> {
    pub fn new(
        g: &'g [Node],
        storage: &'g dyn Fn(NodeId) -> Option<(NodeId, usize)>,
        cfg: Cfg,
    ) -> Self {
        Emitter {
            g,
            storage,
            chunk: cfg.chunk,
            binds: Vec::new(),
            bind_idx: HashMap::new(),
            fns: String::new(),
            fn_done: HashMap::new(),
            // word 0: the kernel's element count, word 1: zero (for `opq`).
            meta: vec![0, 0],
            body: String::new(),
            memo: HashMap::new(),
            idx_memo: HashMap::new(),
            tmp: 0,
            hw_fma: cfg.hw_fma,
        }
    }

    /// A parameter word; returns its WGSL expression.
    pub fn param(&mut self, w: u32) -> String {
        let k = self.meta.len();
        self.meta.push(w);
        format!("M.v[{}][{}]", k / 4, k % 4)
    }

    fn fresh(&mut self, p: &str) -> String {
        self.tmp += 1;
        format!("{p}{}", self.tmp)
    }

    fn binding(&mut self, b: Bind, write: bool) -> usize {
        if let Some(&i) = self.bind_idx.get(&b) {
            return i;
        }
        self.binds.push((b, write));
        let i = self.binds.len();
        self.bind_idx.insert(b, i);
        i
    }

    /// The binding variable of a partials buffer.
    pub fn partials(&mut self, owner: NodeId, write: bool) -> String {
        let i = self.binding(Bind::Partials(owner), write);
        format!("b{i}")
    }

    /// A binding variable of chunk 0 of `owner`'s storage (for single-chunk buffers).
    pub fn raw(&mut self, owner: NodeId, write: bool) -> String {
        let i = self.binding(Bind::Tensor { owner, chunk: 0 }, write);
        format!("b{i}")
    }

    /// Name of the load (`write == false`, `fn(i: u32) -> f32`) or store
    /// (`fn(i: u32, v: f32)`) function of node `id`'s storage.
    pub fn access(&mut self, id: NodeId, write: bool) -> String {
        let (owner, chunks) = (self.storage)(id).expect("node has storage");
        if let Some(n) = self.fn_done.get(&(owner, write)) {
            return n.clone();
        }
        let vars: Vec<String> = (0..chunks)
            .map(|c| format!("b{}", self.binding(Bind::Tensor { owner, chunk: c }, write)))
            .collect();
        let name = format!("{}{owner}", if write { "st" } else { "ld" });
        let mut f = String::new();
        if write {
            let _ = writeln!(f, "fn {name}(i: u32, v: f32) {{");
        } else {
            let _ = writeln!(f, "fn {name}(i: u32) -> f32 {{");
        }
        let acc = |var: &str, idx: &str| {
            if write {
                format!("{var}[{idx}] = bitcast<u32>(v); return;")
            } else {
                format!("return bitcast<f32>({var}[{idx}]);")
            }
        };
        if chunks == 1 {
            let _ = writeln!(f, "  {}", acc(&vars[0], "i"));
        } else {
            let _ = writeln!(
                f,
                "  let c = i / {}u; let o = i - c * {}u;",
                self.chunk, self.chunk
            );
            let _ = writeln!(f, "  switch c {{");
            for (c, v) in vars.iter().enumerate() {
                if c + 1 == chunks {
                    let _ = writeln!(f, "    default: {{ {} }}", acc(v, "o"));
                } else {
                    let _ = writeln!(f, "    case {c}u: {{ {} }}", acc(v, "o"));
                }
            }
            let _ = writeln!(f, "  }}");
        }
        let _ = writeln!(f, "}}");
        self.fns.push_str(&f);
        self.fn_done.insert((owner, write), name.clone());
        name
    }

    /// Appends a line to the body.
    pub fn line(&mut self, s: &str) {
        self.body.push_str("    ");
        self.body.push_str(s);
        self.body.push('\n');
    }

    /// Index of `child` for the flat index `idx` of a parent of shape `parent`.
    fn child_index(&mut self, child: NodeId, parent: &[usize], idx: &str) -> String {
        let cs = self.g[child].shape.clone();
        if cs == parent {
            return idx.to_string();
        }
        if numel(&cs) == 1 {
            return "0u".to_string();
        }
        let key = (cs.clone(), parent.to_vec(), idx.to_string());
        if let Some(v) = self.idx_memo.get(&key) {
            return v.clone();
        }
        let r = parent.len();
        let strides = bcast_strides(&cs, r);
        let t = self.fresh("t");
        let c = self.fresh("c");
        self.line(&format!("var {t} = {idx}; var {c} = 0u;"));
        for d in (0..r).rev() {
            if d == 0 {
                if strides[0] != 0 {
                    let s = self.param(strides[0]);
                    self.line(&format!("{c} = {c} + {t} * {s};"));
                }
                break;
            }
            let dim = self.param(parent[d] as u32);
            if strides[d] != 0 {
                let s = self.param(strides[d]);
                self.line(&format!("{c} = {c} + ({t} % {dim}) * {s};"));
            }
            self.line(&format!("{t} = {t} / {dim};"));
        }
        self.idx_memo.insert(key, c.clone());
        c
    }

    /// Emits the value of node `id` at its flat index `idx`; returns the variable.
    pub fn value(&mut self, id: NodeId, idx: &str) -> String {
        let key = (id, idx.to_string());
        if let Some(v) = self.memo.get(&key) {
            return v.clone();
        }
        let shape = self.g[id].shape.clone();
        let out = self.fresh("v");
        let expr = match self.g[id].op.clone() {
            Op::Input(_) | Op::Reduce(..) | Op::ReduceAxis(..) | Op::Matmul(..) => {
                let f = self.access(id, false);
                format!("{f}({idx})")
            }
            Op::Reshape(x) => {
                if (self.storage)(id).is_some() && !self.g[x].op.is_elementwise_like() {
                    let f = self.access(id, false);
                    format!("{f}({idx})")
                } else {
                    let v = self.value(x, idx);
                    v.to_string()
                }
            }
            Op::Un(op, x) => {
                let xi = self.child_index(x, &shape, idx);
                let a = self.value(x, &xi);
                match op {
                    Un::Abs => format!("bitcast<f32>(bitcast<u32>({a}) & 0x7fffffffu)"),
                    Un::Scale(s) => {
                        let p = self.param(s.to_bits());
                        format!("opq({a} * bitcast<f32>({p}))")
                    }
                    Un::Clamp(lo, hi) => {
                        let l = self.param(lo.to_bits());
                        let h = self.param(hi.to_bits());
                        format!(
                            "select(select(select({a}, bitcast<f32>({h}), {a} > bitcast<f32>({h})), bitcast<f32>({l}), {a} < bitcast<f32>({l})), {a}, isnan_({a}))"
                        )
                    }
                    Un::Relu => format!("select(0.0, {a}, {a} > 0.0 || isnan_({a}))"),
                    Un::Exp => format!("exp_({a})"),
                    Un::Sigmoid => format!("sigmoid_({a})"),
                    Un::Gelu => format!("gelu_({a})"),
                    Un::GeluTanh => format!("gelu_tanh_({a})"),
                    Un::Swish => format!("swish_({a})"),
                    Un::Tanh => format!("tanh_({a})"),
                }
            }
            Op::Bin(op, x, y) => {
                let xi = self.child_index(x, &shape, idx);
                let yi = self.child_index(y, &shape, idx);
                let a = self.value(x, &xi);
                let b = self.value(y, &yi);
                match op {
                    Bin::Add => format!("{a} + {b}"),
                    Bin::Sub => format!("{a} - {b}"),
                    Bin::Mul => format!("opq({a} * {b})"),
                    Bin::Div => format!("rdiv({a}, {b})"),
                }
            }
            Op::Lerp(x, y, t) => {
                let a = self.value(x, idx);
                let b = self.value(y, idx);
                let p = self.param(t.to_bits());
                format!("{a} + opq(bitcast<f32>({p}) * ({b} - {a}))")
            }
            Op::Fma(x, y, z) => {
                let a = self.value(x, idx);
                let b = self.value(y, idx);
                let c = self.value(z, idx);
                format!("fmx({a}, {b}, {c})")
            }
        };
        self.line(&format!("let {out} = {expr};"));
        self.memo.insert(key, out.clone());
        out
    }

    /// The whole WGSL module around `main_body` (which may use the body lines emitted
    /// so far through the `{BODY}` marker).
    pub fn finish(self, header: &str, main: &str) -> Kernel {
        let mut s = String::new();
        let nvec = self.meta.len().div_ceil(4).max(1);
        let _ = writeln!(s, "struct Meta {{ v: array<vec4<u32>, {nvec}> }}");
        let _ = writeln!(s, "@group(0) @binding(0) var<storage, read> M: Meta;");
        for (i, (_, w)) in self.binds.iter().enumerate() {
            let acc = if *w { "read_write" } else { "read" };
            let _ = writeln!(
                s,
                "@group(0) @binding({}) var<storage, {acc}> b{}: array<u32>;",
                i + 1,
                i + 1
            );
        }
        s.push_str(PRELUDE);
        s.push_str(if self.hw_fma {
            "fn fmx(a: f32, b: f32, c: f32) -> f32 { return fma(a, b, c); }\n"
        } else {
            "fn fmx(a: f32, b: f32, c: f32) -> f32 { return fma_emu(a, b, c); }\n"
        });
        s.push_str(&self.fns);
        s.push_str(header);
        s.push_str(&main.replace("{BODY}", &self.body));
        Kernel {
            wgsl: s,
            binds: self.binds,
            meta: self.meta,
        }
    }
}

/// A fused element-wise kernel computing `roots` (all of shape `shape`) into their
/// own storage, reading only leaves (inputs, reduction and matmul results).
pub(crate) fn elementwise(
    g: &[Node],
    storage: &dyn Fn(NodeId) -> Option<(NodeId, usize)>,
    cfg: Cfg,
    roots: &[NodeId],
) -> Kernel {
    let mut e = Emitter::new(g, storage, cfg);
    let n = numel(&g[roots[0]].shape) as u32;
    e.meta[0] = n;
    let mut stores = Vec::new();
    for &r in roots {
        let v = match g[r].op {
            // A reshape root computes its source at the same flat index.
            Op::Reshape(x) => e.value(x, "i"),
            _ => e.value(r, "i"),
        };
        let st = e.access(r, true);
        stores.push(format!("{st}(i, {v});"));
    }
    for s in stores {
        e.line(&s);
    }
    e.finish(
        "",
        "@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = M.v[0][0];
  let stride = nwg.x * 256u;
  for (var i = gid.x; i < n; i = i + stride) {
{BODY}  }
}
",
    )
}

/// The accumulator code of one reduction kind: (declarations, accumulate `v` at index
/// `i`, combine slot `j` into slot `t` of the shared arrays, final words).
fn red_parts(op: Red) -> (&'static str, &'static str, &'static str, &'static str) {
    match op {
        Red::Sum | Red::Dot | Red::L1 => (
            "var a0 = 0.0; var a1 = 0.0; var a2 = 0.0; var fl = 0u;",
            "a0 = a0 + v;",
            "s0[t] = s0[t] + s0[j];",
            "w0 = bitcast<u32>(s0[0]);",
        ),
        Red::Linf => (
            "var a0 = 0.0; var a1 = 0.0; var a2 = 0.0; var fl = 0u;",
            "let av = abs(v); if (isnan_(v)) { fl = 1u; } else if (av > a0) { a0 = av; }",
            "s0[t] = max(s0[t], s0[j]); sf[t] = sf[t] | sf[j];",
            "w0 = select(bitcast<u32>(s0[0]), 0x7fc00000u, sf[0] != 0u);",
        ),
        // Blue's scaled sum of squares (as in LAPACK's nrm2): three accumulators for
        // tiny, medium and huge magnitudes, so that nothing overflows or underflows.
        Red::L2 => (
            "var a0 = 0.0; var a1 = 0.0; var a2 = 0.0; var fl = 0u;",
            "let av = abs(v);
      if (isnan_(v)) { fl = 1u; }
      else if (av > 4.50359963e15) { let y = av * 1.32348898e-23; a2 = a2 + y * y; }
      else if (av < 1.08420217e-19) { let y = av * 3.77789319e22; a0 = a0 + y * y; }
      else { a1 = a1 + av * av; }",
            "s0[t] = s0[t] + s0[j]; s1[t] = s1[t] + s1[j]; s2[t] = s2[t] + s2[j]; sf[t] = sf[t] | sf[j];",
            "let asml = s0[0]; let amed = s1[0]; let abig = s2[0];
    var r = 0.0;
    if (abig > 0.0) {
      r = sqrt(abig + (amed * 1.32348898e-23) * 1.32348898e-23) / 1.32348898e-23;
    } else if (asml > 0.0) {
      if (amed > 0.0) {
        let ym = sqrt(amed); let ys = sqrt(asml) / 3.77789319e22;
        let hi = max(ym, ys); let lo = min(ym, ys);
        r = hi * sqrt(1.0 + (lo / hi) * (lo / hi));
      } else { r = sqrt(asml) / 3.77789319e22; }
    } else { r = sqrt(amed); }
    w0 = select(bitcast<u32>(r), 0x7fc00000u, sf[0] != 0u);",
        ),
        Red::Max | Red::ArgMax | Red::Min | Red::ArgMin => {
            unreachable!("extremum reductions use their own kernel")
        }
    }
}

/// Pass 1 of a whole-array reduction of the expression `x` (and `y` for dot) into
/// per-workgroup partials (4 words each).
pub(crate) fn reduce_pass1(
    g: &[Node],
    storage: &dyn Fn(NodeId) -> Option<(NodeId, usize)>,
    cfg: Cfg,
    owner: NodeId,
    op: Red,
    x: NodeId,
    y: Option<NodeId>,
) -> Kernel {
    let mut e = Emitter::new(g, storage, cfg);
    e.meta[0] = numel(&g[x].shape) as u32;
    let vx = e.value(x, "i");
    let v = match (op, y) {
        (Red::Dot, Some(y)) => {
            let vy = e.value(y, "i");
            format!("{vx} * {vy}")
        }
        (Red::L1, _) => format!("abs({vx})"),
        _ => vx,
    };
    e.line(&format!("let v = {v};"));
    let part = e.partials(owner, true);
    let extremum = matches!(op, Red::Max | Red::Min | Red::ArgMax | Red::ArgMin);
    let better = if matches!(op, Red::Max | Red::ArgMax) {
        ">"
    } else {
        "<"
    };
    let main = if extremum {
        format!(
            "var<workgroup> s0: array<f32, 256>;
var<workgroup> si: array<u32, 256>;
var<workgroup> sh: array<u32, 256>;
var<workgroup> sf: array<u32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {{
  let n = M.v[0][0];
  let t = lid.x;
  let stride = nwg.x * 256u;
  var best = 0.0; var bi = 0u; var has = 0u; var fl = 0u;
  for (var i = wid.x * 256u + t; i < n; i = i + stride) {{
{{BODY}}    if (isnan_(v)) {{ fl = 1u; }} else if (has == 0u || v {better} best) {{ best = v; bi = i; has = 1u; }}
  }}
  s0[t] = best; si[t] = bi; sh[t] = has; sf[t] = fl;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {{
    if (t < s) {{
      let j = t + s;
      if (sh[j] != 0u && (sh[t] == 0u || s0[j] {better} s0[t] || (s0[j] == s0[t] && si[j] < si[t]))) {{
        s0[t] = s0[j]; si[t] = si[j]; sh[t] = 1u;
      }}
      sf[t] = sf[t] | sf[j];
    }}
    workgroupBarrier();
  }}
  if (t == 0u) {{
    {part}[wid.x * 4u] = bitcast<u32>(s0[0]); {part}[wid.x * 4u + 1u] = si[0];
    {part}[wid.x * 4u + 2u] = sh[0]; {part}[wid.x * 4u + 3u] = sf[0];
  }}
}}
"
        )
    } else {
        let (decl, acc, comb, _) = red_parts(op);
        format!(
            "var<workgroup> s0: array<f32, 256>;
var<workgroup> s1: array<f32, 256>;
var<workgroup> s2: array<f32, 256>;
var<workgroup> sf: array<u32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {{
  let n = M.v[0][0];
  let t = lid.x;
  let stride = nwg.x * 256u;
  {decl}
  for (var i = wid.x * 256u + t; i < n; i = i + stride) {{
{{BODY}}      {acc}
  }}
  s0[t] = a0; s1[t] = a1; s2[t] = a2; sf[t] = fl;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {{
    if (t < s) {{ let j = t + s; {comb} }}
    workgroupBarrier();
  }}
  if (t == 0u) {{
    {part}[wid.x * 4u] = bitcast<u32>(s0[0]); {part}[wid.x * 4u + 1u] = bitcast<u32>(s1[0]);
    {part}[wid.x * 4u + 2u] = bitcast<u32>(s2[0]); {part}[wid.x * 4u + 3u] = sf[0];
  }}
}}
"
        )
    };
    e.finish("", &main)
}

/// Pass 2: one workgroup folds the `groups` partials of reduction `owner` into its
/// result words (word 0: the value; for extrema word 1 the index, word 2 "has a
/// value", word 3 "saw a NaN").
pub(crate) fn reduce_pass2(
    g: &[Node],
    storage: &dyn Fn(NodeId) -> Option<(NodeId, usize)>,
    cfg: Cfg,
    owner: NodeId,
    op: Red,
    groups: u32,
) -> Kernel {
    let mut e = Emitter::new(g, storage, cfg);
    e.meta[0] = groups;
    let part = e.partials(owner, false);
    let out = e.raw(owner, true);
    let extremum = matches!(op, Red::Max | Red::Min | Red::ArgMax | Red::ArgMin);
    let better = if matches!(op, Red::Max | Red::ArgMax) {
        ">"
    } else {
        "<"
    };
    let main = if extremum {
        format!(
            "var<workgroup> s0: array<f32, 256>;
var<workgroup> si: array<u32, 256>;
var<workgroup> sh: array<u32, 256>;
var<workgroup> sf: array<u32, 256>;
fn better(v: f32, i: u32, h: u32, bv: f32, bi: u32, bh: u32) -> bool {{
  return h != 0u && (bh == 0u || v {better} bv || (v == bv && i < bi));
}}
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {{
  let n = M.v[0][0];
  let t = lid.x;
  var best = 0.0; var bi = 0u; var has = 0u; var fl = 0u;
  for (var k = t; k < n; k = k + 256u) {{
    let v = bitcast<f32>({part}[k * 4u]); let i = {part}[k * 4u + 1u]; let h = {part}[k * 4u + 2u];
    if (better(v, i, h, best, bi, has)) {{ best = v; bi = i; has = 1u; }}
    fl = fl | {part}[k * 4u + 3u];
  }}
  s0[t] = best; si[t] = bi; sh[t] = has; sf[t] = fl;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {{
    if (t < s) {{
      let j = t + s;
      if (better(s0[j], si[j], sh[j], s0[t], si[t], sh[t])) {{ s0[t] = s0[j]; si[t] = si[j]; sh[t] = 1u; }}
      sf[t] = sf[t] | sf[j];
    }}
    workgroupBarrier();
  }}
  if (t == 0u) {{
    {out}[0] = bitcast<u32>(s0[0]); {out}[1] = si[0]; {out}[2] = sh[0]; {out}[3] = sf[0];
  }}
}}
"
        )
    } else {
        let (decl, _, comb, fin) = red_parts(op);
        format!(
            "var<workgroup> s0: array<f32, 256>;
var<workgroup> s1: array<f32, 256>;
var<workgroup> s2: array<f32, 256>;
var<workgroup> sf: array<u32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {{
  let n = M.v[0][0];
  let t = lid.x;
  {decl}
  for (var k = t; k < n; k = k + 256u) {{
    a0 = a0 + bitcast<f32>({part}[k * 4u]);
    a1 = a1 + bitcast<f32>({part}[k * 4u + 1u]);
    a2 = a2 + bitcast<f32>({part}[k * 4u + 2u]);
    fl = fl | {part}[k * 4u + 3u];
  }}
  {fix}
  s0[t] = a0; s1[t] = a1; s2[t] = a2; sf[t] = fl;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {{
    if (t < s) {{ let j = t + s; {comb} }}
    workgroupBarrier();
  }}
  if (t == 0u) {{
    var w0 = 0u;
    {fin}
    {out}[0] = w0; {out}[1] = 0u; {out}[2] = 0u; {out}[3] = sf[0];
  }}
}}
",
            // For max|x| the partials combine by max, not by sum.
            fix = if op == Red::Linf {
                "a0 = 0.0; for (var k = t; k < n; k = k + 256u) { a0 = max(a0, bitcast<f32>("
                    .to_string()
                    + &part
                    + "[k * 4u])); }"
            } else {
                String::new()
            }
        )
    };
    e.finish("", &main)
}

/// Reduction of the expression `x` along `axis` (sum or max, NaN propagating), one
/// thread per output element.
pub(crate) fn reduce_axis(
    g: &[Node],
    storage: &dyn Fn(NodeId) -> Option<(NodeId, usize)>,
    cfg: Cfg,
    owner: NodeId,
    is_max: bool,
    x: NodeId,
    axis: usize,
) -> Kernel {
    let mut e = Emitter::new(g, storage, cfg);
    let shape = &g[x].shape;
    let len = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    e.meta[0] = numel(&g[owner].shape) as u32;
    let lenp = e.param(len as u32);
    let innerp = e.param(inner as u32);
    let v = e.value(x, "i");
    let st = e.access(owner, true);
    let acc = if is_max {
        format!("if (k == 0u || isnan_({v}) || {v} > acc) {{ acc = {v}; }}")
    } else {
        format!("acc = acc + {v};")
    };
    let main = format!(
        "@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {{
  let n = M.v[0][0];
  let len = {lenp};
  let inner = {innerp};
  let stride = nwg.x * 256u;
  for (var j = gid.x; j < n; j = j + stride) {{
    let base = (j / inner) * len * inner + j % inner;
    var acc = 0.0;
    for (var k = 0u; k < len; k = k + 1u) {{
      let i = base + k * inner;
{{BODY}}      {acc}
    }}
    {st}(j, acc);
  }}
}}
",
    );
    e.finish("", &main)
}

/// C = A·B for row-major A (m×k) and B (k×n): 128×128 output tiles, 16-deep k slabs
/// in workgroup memory, 8×8 outputs per thread held in registers, sums in k order
/// with fused multiply-adds.
pub(crate) fn matmul(
    g: &[Node],
    storage: &dyn Fn(NodeId) -> Option<(NodeId, usize)>,
    cfg: Cfg,
    owner: NodeId,
    a: NodeId,
    b: NodeId,
) -> Kernel {
    let mut e = Emitter::new(g, storage, cfg);
    let (m, k) = (g[a].shape[0], g[a].shape[1]);
    let n = g[b].shape[1];
    e.meta[0] = m as u32;
    let np = e.param(n as u32);
    let kp = e.param(k as u32);
    let la = e.access(a, false);
    let lb = e.access(b, false);
    let st = e.access(owner, true);
    let mut decl = String::new();
    let mut inner = String::new();
    let mut store = String::new();
    for p in 0..8 {
        for q in 0..8 {
            let _ = write!(decl, "var c{p}{q} = 0.0; ");
        }
        let _ = writeln!(
            inner,
            "      let a{p} = As[kk * 128u + ty + {}u]; let b{p} = Bs[kk * 128u + tx + {}u];",
            16 * p,
            16 * p
        );
    }
    for p in 0..8 {
        for q in 0..8 {
            let _ = writeln!(inner, "      c{p}{q} = fma(a{p}, b{q}, c{p}{q});");
            let _ = writeln!(
                store,
                "  {{ let r = row0 + ty + {}u; let c = col0 + tx + {}u; if (r < M_ && c < N_) {{ {st}(r * N_ + c, c{p}{q}); }} }}",
                16 * p,
                16 * q
            );
        }
    }
    let main = format!(
        "var<workgroup> As: array<f32, 2048>;
var<workgroup> Bs: array<f32, 2048>;
@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {{
  let M_ = M.v[0][0];
  let N_ = {np};
  let K_ = {kp};
  let tx = lid.x; let ty = lid.y; let tid = ty * 16u + tx;
  let row0 = wid.y * 128u; let col0 = wid.x * 128u;
  {decl}
  for (var kt = 0u; kt < K_; kt = kt + 16u) {{
    for (var l = 0u; l < 8u; l = l + 1u) {{
      let e = tid + l * 256u;
      let r = e / 16u; let c = e % 16u;
      let gr = row0 + r; let gc = kt + c;
      var va = 0.0;
      if (gr < M_ && gc < K_) {{ va = {la}(gr * K_ + gc); }}
      As[c * 128u + r] = va;
      let br = e / 128u; let bc = e % 128u;
      let gbr = kt + br; let gbc = col0 + bc;
      var vb = 0.0;
      if (gbr < K_ && gbc < N_) {{ vb = {lb}(gbr * N_ + gbc); }}
      Bs[br * 128u + bc] = vb;
    }}
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) {{
{inner}    }}
    workgroupBarrier();
  }}
{store}}}
"
    );
    e.finish("", &main)
}
