"""PyTorch eager reference for examples/gpu_bench.rs: the same chain and matmul."""
import sys, time
import torch

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 24
mm = int(sys.argv[2]) if len(sys.argv) > 2 else 4096
reps = 10
dev = "cuda"
print("torch", torch.__version__, torch.cuda.get_device_name(0))
i = torch.arange(n, dtype=torch.int64)
x_h = (((i * 7919) % 1000).float() / 500.0 - 1.0)
y_h = (((i * 104729) % 997).float() / 498.5 - 1.0)
x_h = x_h.pin_memory(); y_h = y_h.pin_memory()

def chain(x, y):
    return ((x * y + x) * 0.5).relu().clamp(0.0, 1.0).sum()

def timed(f, r=reps):
    ts = []
    for _ in range(r):
        torch.cuda.synchronize(); t = time.perf_counter(); out = f(); torch.cuda.synchronize()
        ts.append(time.perf_counter() - t)
    ts.sort()
    return ts[len(ts) // 2], out

x = x_h.to(dev); y = y_h.to(dev); z = torch.empty_like(x)
chain(x, y); z.copy_(x)
t_copy, _ = timed(lambda: z.copy_(x))
t_dev, s = timed(lambda: chain(x, y))
t_all, s2 = timed(lambda: chain(x_h.to(dev, non_blocking=True), y_h.to(dev, non_blocking=True)).item())
rows = [("torch copy_ (device)", t_copy, 2 * n * 4 / t_copy / 1e9),
        ("torch eager chain, device tensors", t_dev, 2 * n * 4 / t_dev / 1e9),
        ("torch eager chain, with H2D copies", t_all, 2 * n * 4 / t_all / 1e9)]
print("chain sum", float(s), s2)
torch.backends.cuda.matmul.allow_tf32 = False
a = torch.randn(mm, mm, device=dev); b = torch.randn(mm, mm, device=dev)
a @ b
t_mm, _ = timed(lambda: a @ b)
rows.append((f"torch matmul {mm} fp32 (no TF32), device", t_mm, 2 * mm ** 3 / t_mm / 1e12))
ah = a.cpu().pin_memory(); bh = b.cpu().pin_memory()
t_mm2, _ = timed(lambda: (ah.to(dev) @ bh.to(dev)).cpu(), 5)
rows.append((f"torch matmul {mm} fp32, with transfers", t_mm2, 2 * mm ** 3 / t_mm2 / 1e12))
print("| what | ms (median) | GB/s or TFLOP/s |")
print("|---|---|---|")
for w, t, r in rows:
    print(f"| {w} | {t*1e3:.3f} | {r:.2f} |")
