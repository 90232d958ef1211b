"""The GEMM against torch.matmul: on CPU always, with CUTLASS on CUDA when a GPU is present."""

import pytest
import torch

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")

# (m, k, n): empty, tiny, odd (float32 only on CUDA), tile-sized and several tiles.
SHAPES_ANY = [(0, 8, 8), (8, 0, 8), (1, 1, 1), (3, 5, 7), (33, 17, 65), (128, 64, 128), (257, 96, 136)]
# float16 on the tensor cores: k and n multiples of 8.
SHAPES_F16 = [(1, 8, 8), (37, 24, 40), (128, 128, 128), (300, 256, 264), (1024, 512, 512)]


def reference(a, b):
    """a @ b with float32 accumulation, rounded to the inputs' dtype."""
    return (a.double() @ b.double()).to(a.dtype)


def tolerance(dtype, k):
    if dtype == torch.float16:
        return dict(rtol=2e-3, atol=2e-3 * max(1, k) ** 0.5)
    return dict(rtol=1e-5, atol=1e-5 * max(1, k) ** 0.5)


def check(kernel, device, dtype, shapes):
    gen = torch.Generator().manual_seed(0)
    for m, k, n in shapes:
        a = torch.randn(m, k, generator=gen).to(device=device, dtype=dtype)
        b = torch.randn(k, n, generator=gen).to(device=device, dtype=dtype)
        got = kernel.gemm(a, b)
        assert got.shape == (m, n) and got.dtype == dtype and got.device == a.device
        torch.testing.assert_close(got, reference(a, b), **tolerance(dtype, k))
        torch.testing.assert_close(got, torch.matmul(a, b), **tolerance(dtype, k))


def check_out_and_errors(kernel, device):
    a = torch.randn(16, 8, device=device)
    b = torch.randn(8, 24, device=device)
    out = torch.full((16, 24), float("nan"), device=device)
    assert kernel.gemm(a, b, out=out) is out
    torch.testing.assert_close(out, a @ b, **tolerance(torch.float32, 8))
    with pytest.raises(RuntimeError, match="a is 16x8 but b is 9x24"):
        kernel.gemm(a, torch.randn(9, 24, device=device))
    with pytest.raises(RuntimeError, match="one dtype"):
        kernel.gemm(a, b.half())
    with pytest.raises(RuntimeError, match="unsupported dtype"):
        kernel.gemm(a.double(), b.double())
    with pytest.raises(RuntimeError, match="contiguous"):
        kernel.gemm(a, torch.randn(24, 8, device=device).t())
    with pytest.raises(RuntimeError, match="2-D"):
        kernel.gemm(a[0], b)


def test_cpu_float32(cpu_kernel):
    check(cpu_kernel, "cpu", torch.float32, SHAPES_ANY)


def test_cpu_float16(cpu_kernel):
    check(cpu_kernel, "cpu", torch.float16, SHAPES_ANY + SHAPES_F16[:3])


def test_cpu_out_and_errors(cpu_kernel):
    check_out_and_errors(cpu_kernel, "cpu")


def test_cpu_float16_rounding(cpu_kernel):
    # Products that land on float16's edges: the smallest subnormal, overflow to inf, zero.
    a = torch.tensor([[2.0**-20], [3.0], [60000.0], [0.0], [1.0]], dtype=torch.float16)
    b = torch.tensor([[2.0**-4, 1.0, 2.0]], dtype=torch.float16)
    torch.testing.assert_close(cpu_kernel.gemm(a, b), (a.float() @ b.float()).half(), rtol=0, atol=0)
    # Sums exactly halfway between two float16 values round to the even one.
    a = torch.tensor([[1.0, 2.0**-11], [1.0, 3 * 2.0**-11], [2.0**-14, 2.0**-25]], dtype=torch.float16)
    b = torch.ones(2, 1, dtype=torch.float16)
    want = torch.tensor([[1.0], [1.0 + 2.0**-9], [2.0**-14]], dtype=torch.float16)
    torch.testing.assert_close(cpu_kernel.gemm(a, b), want, rtol=0, atol=0)


@needs_cuda
def test_cuda_float32(cuda_kernel):
    check(cuda_kernel, "cuda", torch.float32, SHAPES_ANY)


@needs_cuda
def test_cuda_float16_tensor_cores(cuda_kernel):
    check(cuda_kernel, "cuda", torch.float16, SHAPES_F16)


@needs_cuda
def test_cuda_out_and_errors(cuda_kernel):
    check_out_and_errors(cuda_kernel, "cuda")
    a = torch.randn(16, 12, device="cuda", dtype=torch.float16)
    b = torch.randn(12, 16, device="cuda", dtype=torch.float16)
    with pytest.raises(RuntimeError, match="multiples of 8"):
        cuda_kernel.gemm(a, b)


@needs_cuda
def test_cuda_uses_the_current_stream(cuda_kernel):
    a = torch.randn(512, 512, device="cuda", dtype=torch.float16)
    b = torch.randn(512, 512, device="cuda", dtype=torch.float16)
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        got = cuda_kernel.gemm(a, b)
    stream.synchronize()
    torch.testing.assert_close(got, reference(a, b), **tolerance(torch.float16, 512))
