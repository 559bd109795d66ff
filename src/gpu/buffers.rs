//! The buffer pool: GPU buffers are kept across runs, keyed by (size, usage), so a
//! scope run again with the same shapes allocates nothing.

use std::collections::HashMap;

/// Rounds a byte size up to the pool's granularity (256 bytes, at least 16).
pub(crate) fn pool_size(bytes: u64) -> u64 {
    bytes.max(16).div_ceil(256) * 256
}

/// Free buffers by (size, usage bits).
#[derive(Default)]
pub(crate) struct BufferPool {
    free: HashMap<(u64, u32), Vec<wgpu::Buffer>>,
}

/// Allocation counters of one run.
#[derive(Default, Clone, Copy)]
pub(crate) struct PoolCounts {
    pub allocated: u32,
    pub reused: u32,
}

impl BufferPool {
    /// A buffer of at least `bytes` with exactly `usage`, reused when one is free.
    pub fn take(
        &mut self,
        device: &wgpu::Device,
        bytes: u64,
        usage: wgpu::BufferUsages,
        counts: &mut PoolCounts,
    ) -> wgpu::Buffer {
        let size = pool_size(bytes);
        if let Some(b) = self
            .free
            .get_mut(&(size, usage.bits()))
            .and_then(|v| v.pop())
        {
            counts.reused += 1;
            return b;
        }
        counts.allocated += 1;
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("trueno"),
            size,
            usage,
            mapped_at_creation: false,
        })
    }

    /// Returns a buffer to the pool.
    pub fn give(&mut self, b: wgpu::Buffer) {
        self.free
            .entry((b.size(), b.usage().bits()))
            .or_default()
            .push(b);
    }

    /// Drops every pooled buffer.
    pub fn clear(&mut self) {
        self.free.clear();
    }
}
