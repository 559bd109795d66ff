//! [`GpuContext`]: the adapter, device and queue, plus the pipeline cache and buffer pool
//! shared by every scope made from it.

use super::buffers::BufferPool;
use super::GpuError;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Options for [`GpuContext::with_options`].
///
/// ```
/// use trueno::gpu::{GpuContext, GpuOptions};
///
/// // Split arrays into 1 MiB storage bindings (the device's limit is used otherwise).
/// let opts = GpuOptions { max_binding_bytes: Some(1 << 20), ..GpuOptions::default() };
/// match GpuContext::with_options(opts) {
///     Ok(ctx) => assert!(ctx.max_binding_elements() <= (1 << 18)),
///     Err(e) => println!("no GPU here: {e}"),
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct GpuOptions {
    /// Pick the first adapter whose name contains this (case-insensitive); also read
    /// from the environment variable `TRUENO_GPU_ADAPTER` when `None`.
    pub adapter_name: Option<String>,
    /// Cap on the bytes of one storage binding; arrays larger than this (or than the
    /// device's `max_storage_buffer_binding_size`) are split over several bindings.
    pub max_binding_bytes: Option<u64>,
}

pub(crate) struct Pipeline {
    pub pipeline: wgpu::ComputePipeline,
    pub layout: wgpu::BindGroupLayout,
}

/// A GPU device opened through wgpu, with its pipeline cache and buffer pool.
///
/// Create one per process (it is `Send + Sync`) and make [`GpuScope`](super::GpuScope)s
/// from it. Errors never panic: see [`GpuError`].
///
/// ```
/// use trueno::gpu::{GpuContext, GpuError};
///
/// match GpuContext::new() {
///     Ok(ctx) => {
///         let info = ctx.adapter_info();
///         println!("{} ({:?}, {:?})", info.name, info.device_type, info.backend);
///     }
///     Err(GpuError::NoAdapter(msg)) => println!("skipping: {msg}"),
///     Err(e) => panic!("{e}"),
/// }
/// ```
pub struct GpuContext {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    pub(crate) timestamps: bool,
    pub(crate) chunk_elems: u64,
    pub(crate) hw_fma: AtomicBool,
    pub(crate) lost: Arc<Mutex<Option<String>>>,
    pub(crate) uncaptured: Arc<Mutex<Vec<GpuError>>>,
    pub(crate) pipelines: Mutex<HashMap<String, Arc<Pipeline>>>,
    pub(crate) pool: Mutex<BufferPool>,
    // Kept so that the adapter and instance outlive the device on every backend.
    _adapter: wgpu::Adapter,
    _instance: wgpu::Instance,
}

impl std::fmt::Debug for GpuContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuContext")
            .field("adapter", &self.info.name)
            .field("backend", &self.info.backend)
            .finish()
    }
}

const INSTALL_HINT: &str = "install a Vulkan driver (Debian/Ubuntu: `apt-get install \
mesa-vulkan-drivers` for the lavapipe CPU rasterizer, or your GPU vendor's driver, e.g. \
the NVIDIA driver with its Vulkan ICD); macOS uses Metal and Windows DX12 or Vulkan";

fn rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

impl GpuContext {
    /// Opens the best adapter (discrete > integrated > virtual > CPU) with its real
    /// limits. `Err(GpuError::NoAdapter)` says what to install when there is none.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// if let Ok(ctx) = GpuContext::new() {
    ///     assert!(ctx.limits().max_storage_buffer_binding_size > 0);
    /// }
    /// ```
    pub fn new() -> Result<GpuContext, GpuError> {
        Self::with_options(GpuOptions::default())
    }

    /// [`GpuContext::new`] with [`GpuOptions`].
    ///
    /// ```
    /// # use trueno::gpu::{GpuContext, GpuOptions};
    /// let ctx = GpuContext::with_options(GpuOptions::default());
    /// # drop(ctx);
    /// ```
    pub fn with_options(opts: GpuOptions) -> Result<GpuContext, GpuError> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let mut adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
        let want = opts
            .adapter_name
            .clone()
            .or_else(|| std::env::var("TRUENO_GPU_ADAPTER").ok())
            .map(|s| s.to_lowercase());
        if let Some(w) = &want {
            adapters.retain(|a| a.get_info().name.to_lowercase().contains(w.as_str()));
        }
        adapters.sort_by_key(|a| {
            let i = a.get_info();
            (rank(i.device_type), i.backend != wgpu::Backend::Vulkan)
        });
        let adapter = match adapters.into_iter().next() {
            Some(a) => a,
            None if want.is_none() => {
                pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
                    power_preference: wgpu::PowerPreference::HighPerformance,
                    ..Default::default()
                }))
                .map_err(|e| GpuError::NoAdapter(format!("{e}; {INSTALL_HINT}")))?
            }
            None => {
                return Err(GpuError::NoAdapter(format!(
                    "no adapter named like {want:?}; {INSTALL_HINT}"
                )))
            }
        };
        let info = adapter.get_info();
        let limits = adapter.limits();
        let mut features = wgpu::Features::empty();
        let timestamps = adapter.features().contains(wgpu::Features::TIMESTAMP_QUERY);
        if timestamps {
            features |= wgpu::Features::TIMESTAMP_QUERY;
        }
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("trueno"),
            required_features: features,
            required_limits: limits.clone(),
            memory_hints: wgpu::MemoryHints::Performance,
            ..Default::default()
        }))
        .map_err(|e| GpuError::RequestDevice(e.to_string()))?;
        let lost = Arc::new(Mutex::new(None));
        let l2 = lost.clone();
        device.set_device_lost_callback(move |reason, msg| {
            if let Ok(mut g) = l2.lock() {
                *g = Some(format!("{reason:?}: {msg}"));
            }
        });
        let uncaptured = Arc::new(Mutex::new(Vec::new()));
        let u2 = uncaptured.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut g) = u2.lock() {
                g.push(GpuError::from(e));
            }
        }));
        let binding = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size)
            .min(opts.max_binding_bytes.unwrap_or(u64::MAX));
        // Whole 256-element blocks, so that chunk boundaries stay aligned.
        let chunk_elems = ((binding / 4) / 256 * 256).max(256);
        let ctx = GpuContext {
            device,
            queue,
            info,
            limits,
            timestamps,
            chunk_elems,
            hw_fma: AtomicBool::new(true),
            lost,
            uncaptured,
            pipelines: Mutex::new(HashMap::new()),
            pool: Mutex::new(BufferPool::default()),
            _adapter: adapter,
            _instance: instance,
        };
        // Probe whether the device's `fma` rounds once, on values where a multiply
        // then add differs from `f32::mul_add` (products that nearly cancel the
        // addend). If not, `fma` is emulated with error-free transformations.
        let fused = {
            let n = 4096;
            let mut state = 0x2545_f491_4f6c_dd1du64;
            let mut next = move || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                1.0 + (state >> 41) as f32 / (1u64 << 23) as f32
            };
            let a = ndarray::Array1::from_shape_simple_fn(n, &mut next);
            let b = ndarray::Array1::from_shape_simple_fn(n, &mut next);
            let c = ndarray::Zip::from(&a)
                .and(&b)
                .map_collect(|x, y| -(x * y) * next().min(1.0));
            let want = ndarray::Zip::from(&a)
                .and(&b)
                .and(&c)
                .map_collect(|x, y, z| x.mul_add(*y, *z));
            let scope = ctx.scope();
            let out = scope
                .upload(&a)?
                .fma(&scope.upload(&b)?, &scope.upload(&c)?)?
                .read();
            let got = scope.run()?.get(&out);
            got.iter()
                .zip(&want)
                .all(|(g, w)| g.to_bits() == w.to_bits())
        };
        ctx.hw_fma.store(fused, Ordering::Relaxed);
        ctx.release_buffers();
        if let Ok(mut p) = ctx.pipelines.lock() {
            p.clear();
        }
        Ok(ctx)
    }

    /// Whether the device's `fma` is a fused multiply-add (one rounding). Where it is
    /// not (lavapipe), `GpuArray::fma` and the division refinement use error-free
    /// transformations instead.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// if let Ok(ctx) = GpuContext::new() { println!("fused fma: {}", ctx.has_fused_fma()); }
    /// ```
    pub fn has_fused_fma(&self) -> bool {
        self.hw_fma.load(Ordering::Relaxed)
    }

    /// The adapter in use (name, vendor, device type, backend, driver).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// if let Ok(ctx) = GpuContext::new() { println!("{:?}", ctx.adapter_info()); }
    /// ```
    pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
        &self.info
    }

    /// The limits the device was opened with (the adapter's own, not the defaults).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// if let Ok(ctx) = GpuContext::new() { println!("{}", ctx.limits().max_buffer_size); }
    /// ```
    pub fn limits(&self) -> &wgpu::Limits {
        &self.limits
    }

    /// The most `f32` elements one storage binding holds; larger arrays are split.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// if let Ok(ctx) = GpuContext::new() { assert!(ctx.max_binding_elements() >= 256); }
    /// ```
    pub fn max_binding_elements(&self) -> u64 {
        self.chunk_elems
    }

    /// Whether runs report on-device time (the adapter has timestamp queries).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// if let Ok(ctx) = GpuContext::new() { println!("timestamps: {}", ctx.has_timestamps()); }
    /// ```
    pub fn has_timestamps(&self) -> bool {
        self.timestamps
    }

    /// Number of compiled pipelines in the cache.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// if let Ok(ctx) = GpuContext::new() { assert_eq!(ctx.cached_pipelines(), 0); }
    /// ```
    pub fn cached_pipelines(&self) -> usize {
        self.pipelines.lock().map(|p| p.len()).unwrap_or(0)
    }

    /// Frees the pooled buffers (they are otherwise kept for the next run).
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// if let Ok(ctx) = GpuContext::new() { ctx.release_buffers(); }
    /// ```
    pub fn release_buffers(&self) {
        if let Ok(mut p) = self.pool.lock() {
            p.clear();
        }
    }

    /// Makes a new, empty [`GpuScope`](super::GpuScope) on this device.
    ///
    /// ```
    /// # use trueno::gpu::GpuContext;
    /// if let Ok(ctx) = GpuContext::new() { let _scope = ctx.scope(); }
    /// ```
    pub fn scope<'a>(&'a self) -> super::GpuScope<'a> {
        super::GpuScope::new(self)
    }

    /// Destroys the device now (freeing its memory); every later `run()` on scopes of
    /// this context returns [`GpuError::DeviceLost`]. Dropping the context does the
    /// same implicitly.
    ///
    /// ```
    /// # use trueno::gpu::{GpuContext, GpuError};
    /// if let Ok(ctx) = GpuContext::new() {
    ///     let scope = ctx.scope();
    ///     let s = scope.upload(&ndarray::array![1.0f32])?.sum().read();
    ///     ctx.destroy();
    ///     assert!(matches!(scope.run(), Err(GpuError::DeviceLost(_))));
    /// #   let _ = s;
    /// }
    /// # Ok::<(), GpuError>(())
    /// ```
    pub fn destroy(&self) {
        self.device.destroy();
        let _ = self.device.poll(wgpu::PollType::Poll);
        if let Ok(mut g) = self.lost.lock() {
            g.get_or_insert_with(|| "destroyed by GpuContext::destroy".to_string());
        }
        self.release_buffers();
    }

    pub(crate) fn check_alive(&self) -> Result<(), GpuError> {
        if let Some(m) = self.lost.lock().ok().and_then(|g| g.clone()) {
            return Err(GpuError::DeviceLost(m));
        }
        Ok(())
    }

    /// The cached pipeline for `wgsl`, compiling it on first use.
    pub(crate) fn pipeline(
        &self,
        wgsl: &str,
        compiled: &mut u32,
    ) -> Result<Arc<Pipeline>, GpuError> {
        if let Some(p) = self
            .pipelines
            .lock()
            .ok()
            .and_then(|m| m.get(wgsl).cloned())
        {
            return Ok(p);
        }
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some("trueno kernel"),
                source: wgpu::ShaderSource::Wgsl(wgsl.into()),
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some("trueno kernel"),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Validation(format!("{e}\n--- kernel ---\n{wgsl}")));
        }
        let layout = pipeline.get_bind_group_layout(0);
        let p = Arc::new(Pipeline { pipeline, layout });
        *compiled += 1;
        if let Ok(mut m) = self.pipelines.lock() {
            m.insert(wgsl.to_string(), p.clone());
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Option<GpuContext> {
        match GpuContext::new() {
            Ok(c) => Some(c),
            Err(e) if std::env::var("TRUENO_REQUIRE_GPU").as_deref() == Ok("1") => {
                panic!("TRUENO_REQUIRE_GPU=1 but: {e}")
            }
            Err(GpuError::NoAdapter(m)) => {
                eprintln!("GPU test skipped: no adapter ({m})");
                None
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_bad_kernel_is_an_error_not_a_panic() {
        let Some(ctx) = ctx() else { return };
        let mut n = 0;
        match ctx.pipeline("this is not WGSL", &mut n) {
            Err(GpuError::Validation(m)) => assert!(m.contains("not WGSL"), "{m}"),
            other => panic!("expected a validation error, got {:?}", other.map(|_| ())),
        }
        // A kernel that parses but breaks validation (unknown identifier).
        let r = ctx.pipeline(
            "@compute @workgroup_size(1) fn main() { let x = y; }",
            &mut n,
        );
        assert!(matches!(r, Err(GpuError::Validation(_))));
        assert_eq!(n, 0);
    }

    #[test]
    fn device_loss_is_reported() {
        let Some(ctx) = ctx() else { return };
        let scope = ctx.scope();
        let a = ndarray::array![1.0f32, 2.0];
        let out = scope.upload(&a).unwrap().sum().read();
        assert_eq!(scope.run().unwrap().get(&out), 3.0);
        ctx.destroy();
        assert!(matches!(scope.run(), Err(GpuError::DeviceLost(_))));
        assert!(matches!(ctx.scope().run(), Err(GpuError::DeviceLost(_))));
    }
}
