//! Backend selection: CPU feature detection, the `TRUENO_BACKEND` override, the
//! per-thread override of [`with_backend`], and the kernel table in use.

use crate::kernels::{self, Kernels};
use crate::UnsupportedBackend;
use std::cell::Cell;
use std::fmt;
use std::ptr;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::OnceLock;

/// An instruction set trueno has kernels for.
///
/// ```
/// use trueno::Backend;
/// assert!(Backend::Scalar.is_available());
/// assert_eq!("avx2".parse::<Backend>(), Ok(Backend::Avx2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Backend {
    /// Portable one-lane code; the reference.
    Scalar,
    /// x86-64 SSE2 (4 lanes; fused multiply-add emulated exactly).
    Sse2,
    /// x86-64 AVX2 + FMA (8 lanes).
    Avx2,
    /// x86-64 AVX-512 F/BW/DQ/VL (16 lanes; the memory-bound element-wise ops run the
    /// 8-lane AVX2 kernels, measured as fast or faster).
    Avx512,
    /// aarch64 NEON (4 lanes; always present on aarch64).
    Neon,
    /// wasm32 SIMD128 (4 lanes; in builds with `-C target-feature=+simd128`, fused
    /// multiply-add emulated exactly).
    Wasm128,
}

impl Backend {
    /// Every backend, from the most portable to the widest.
    ///
    /// ```
    /// assert_eq!(trueno::Backend::ALL[0], trueno::Backend::Scalar);
    /// ```
    pub const ALL: [Backend; 6] = [
        Backend::Scalar,
        Backend::Sse2,
        Backend::Avx2,
        Backend::Avx512,
        Backend::Neon,
        Backend::Wasm128,
    ];

    /// Whether this CPU and build can run the backend.
    ///
    /// ```
    /// assert!(trueno::Backend::Scalar.is_available());
    /// ```
    pub fn is_available(self) -> bool {
        self.kernels().is_some()
    }

    /// The lower-case name used by `TRUENO_BACKEND` (`"scalar"`, `"avx2"`, …).
    ///
    /// ```
    /// assert_eq!(trueno::Backend::Avx512.name(), "avx512");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Backend::Scalar => "scalar",
            Backend::Sse2 => "sse2",
            Backend::Avx2 => "avx2",
            Backend::Avx512 => "avx512",
            Backend::Neon => "neon",
            Backend::Wasm128 => "wasm128",
        }
    }

    /// The kernel table, only for a backend this CPU supports.
    pub(crate) fn kernels(self) -> Option<&'static Kernels> {
        match self {
            Backend::Scalar => Some(&kernels::scalar_table::KERNELS),
            #[cfg(target_arch = "x86_64")]
            Backend::Sse2 => Some(&kernels::sse2_table::KERNELS),
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => (std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma"))
            .then_some(&kernels::avx2_table::KERNELS),
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => (std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512dq")
                && std::arch::is_x86_feature_detected!("avx512vl")
                && std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma"))
            .then_some(&kernels::avx512_table::KERNELS),
            #[cfg(target_arch = "aarch64")]
            Backend::Neon => std::arch::is_aarch64_feature_detected!("neon")
                .then_some(&kernels::neon_table::KERNELS),
            // WebAssembly has no runtime detection: SIMD128 is there when the build
            // enabled it (`-C target-feature=+simd128`), else the module has no such code.
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Backend::Wasm128 => Some(&kernels::wasm_table::KERNELS),
            _ => None,
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Backend {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Backend::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let names: Vec<_> = Backend::ALL.iter().map(|b| b.name()).collect();
                format!(
                    "unknown backend {s:?} (expected one of {})",
                    names.join(", ")
                )
            })
    }
}

/// The backends this CPU and build can run, `Scalar` first, widest last.
///
/// ```
/// let all = trueno::available_backends();
/// assert_eq!(all[0], trueno::Backend::Scalar);
/// ```
pub fn available_backends() -> Vec<Backend> {
    Backend::ALL
        .into_iter()
        .filter(|b| b.is_available())
        .collect()
}

fn best_available() -> Backend {
    *available_backends()
        .iter()
        .max()
        .expect("the scalar backend is always available")
}

/// The process-wide default: `TRUENO_BACKEND` if set and usable, else the best one.
fn process_default() -> (Backend, &'static Kernels) {
    static DEFAULT: OnceLock<(Backend, &'static Kernels)> = OnceLock::new();
    *DEFAULT.get_or_init(|| {
        let backend = match std::env::var("TRUENO_BACKEND") {
            Err(_) => best_available(),
            Ok(value) => match value.parse::<Backend>() {
                Ok(b) if b.is_available() => b,
                Ok(b) => {
                    let best = best_available();
                    eprintln!(
                        "trueno: TRUENO_BACKEND={b} is not available on this CPU; using {best}"
                    );
                    best
                }
                Err(msg) => {
                    let best = best_available();
                    eprintln!("trueno: TRUENO_BACKEND: {msg}; using {best}");
                    best
                }
            },
        };
        let table = backend.kernels().expect("the default backend is available");
        (backend, table)
    })
}

thread_local! {
    static OVERRIDE: Cell<Option<(Backend, &'static Kernels)>> = const { Cell::new(None) };
}

/// The process default's table once [`process_default`] has run (null before): the
/// fast path of [`kernels`] reads it without the thread-local and the `OnceLock`.
static DEFAULT_TABLE: AtomicPtr<Kernels> = AtomicPtr::new(ptr::null_mut());
/// Set (for good) before any thread installs an override: while it is clear, no thread
/// has one, and the process default is every thread's table.
static OVERRIDES_USED: AtomicBool = AtomicBool::new(false);

fn active() -> (Backend, &'static Kernels) {
    OVERRIDE.with(Cell::get).unwrap_or_else(|| {
        let (backend, table) = process_default();
        DEFAULT_TABLE.store(ptr::from_ref(table).cast_mut(), Ordering::Release);
        (backend, table)
    })
}

/// The kernel table every `simd_*` call on this thread uses.
#[inline]
pub(crate) fn kernels() -> &'static Kernels {
    // A thread sets `OVERRIDES_USED` before its own override, so it reads it set then.
    if !OVERRIDES_USED.load(Ordering::Relaxed) {
        let table = DEFAULT_TABLE.load(Ordering::Acquire);
        if !table.is_null() {
            // SAFETY: only ever set from a `&'static Kernels` (never written through).
            return unsafe { &*table };
        }
    }
    active().1
}

/// The backend `simd_*` calls on this thread use right now.
///
/// ```
/// println!("trueno runs on {}", trueno::backend());
/// ```
pub fn backend() -> Backend {
    active().0
}

/// Runs `f` with `backend` forced on this thread (then restores the previous choice,
/// also if `f` panics). An unavailable backend is an `Err`, never an illegal instruction.
///
/// ```
/// use ndarray::array;
/// use trueno::{with_backend, Backend, TruenoExt};
/// let a = array![1.0f32, 2.0, 3.0];
/// let s = with_backend(Backend::Scalar, || a.simd_sum()).unwrap();
/// assert_eq!(s, 6.0);
/// ```
pub fn with_backend<R>(backend: Backend, f: impl FnOnce() -> R) -> Result<R, UnsupportedBackend> {
    let table = backend.kernels().ok_or(UnsupportedBackend(backend))?;
    struct Restore(Option<(Backend, &'static Kernels)>);
    impl Drop for Restore {
        fn drop(&mut self) {
            OVERRIDE.with(|o| o.set(self.0));
        }
    }
    OVERRIDES_USED.store(true, Ordering::Relaxed);
    let _restore = Restore(OVERRIDE.with(|o| o.replace(Some((backend, table)))));
    Ok(f())
}
