"""The fused ops against plain Torch, on CPU always and on CUDA when present."""

import pytest
import torch
import torch.nn.functional as F

DTYPES = [torch.float32, torch.float16, torch.bfloat16]
TOL = {torch.float32: (1e-5, 1e-5), torch.float16: (2e-3, 2e-3), torch.bfloat16: (1.6e-2, 1.6e-2)}
# (rows..., last dim); odd sizes take the unvectorised paths
GATED_SHAPES = [(1, 2), (3, 14), (4, 256), (2, 3, 1024), (7, 8192), (0, 64)]
NORM_SHAPES = [(1, 1), (5, 13), (4, 4096), (2, 3, 768), (0, 32)]
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


def close(got, want):
    rtol, atol = TOL[got.dtype]
    torch.testing.assert_close(got, want, rtol=rtol, atol=atol)


def check_gated(kernel, device):
    for dtype in DTYPES:
        for shape in GATED_SHAPES:
            x = torch.randn(shape, dtype=dtype, device=device) * 3
            d = shape[-1] // 2
            a, b = x.float()[..., :d], x.float()[..., d:]
            close(kernel.silu_and_mul(x), (F.silu(a) * b).to(dtype))
            close(kernel.gelu_tanh_and_mul(x), (F.gelu(a, approximate="tanh") * b).to(dtype))


def reference_rms_norm(x, w, eps):
    xf = x.float()
    return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps) * w.float()).to(x.dtype)


def check_rms_norm(kernel, device):
    for dtype in DTYPES:
        for shape in NORM_SHAPES:
            x = torch.randn(shape, dtype=dtype, device=device) * 2 + 0.5
            w = torch.rand(shape[-1], dtype=dtype, device=device) + 0.5
            for eps in (1e-6, 1e-2):
                close(kernel.rms_norm(x, w, eps), reference_rms_norm(x, w, eps))


def check_misaligned(kernel, device):
    # a view starting one element in: contiguous, but not 16-byte aligned
    base = torch.randn(4 * 512 + 1, device=device, dtype=torch.float16)
    x = base[1:].view(4, 512)
    close(kernel.silu_and_mul(x), (F.silu(x.float()[:, :256]) * x.float()[:, 256:]).half())
    w = torch.ones(512, device=device, dtype=torch.float16)
    close(kernel.rms_norm(x, w), reference_rms_norm(x, w, 1e-6))


def check_layers(kernel, device):
    x = torch.randn(3, 64, device=device)
    close(kernel.layers.SiluAndMul()(x), F.silu(x[:, :32]) * x[:, 32:])
    norm = kernel.layers.RMSNorm(64).to(device)
    close(norm(x), reference_rms_norm(x, norm.weight.detach(), 1e-6))


def check_errors(kernel, device):
    x = torch.randn(4, 6, device=device)
    with pytest.raises(RuntimeError, match="even"):
        kernel.silu_and_mul(torch.randn(4, 5, device=device))
    with pytest.raises(RuntimeError, match="wrong shape"):
        kernel.ops.silu_and_mul(torch.empty(4, 4, device=device), x)
    with pytest.raises(RuntimeError, match="same dtype"):
        kernel.rms_norm(x, torch.ones(6, device=device, dtype=torch.float16))
    with pytest.raises(RuntimeError, match="unsupported dtype"):
        kernel.rms_norm(x.double(), torch.ones(6, device=device, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="contiguous"):
        kernel.rms_norm(x.t(), torch.ones(4, device=device))


def test_cpu_ops_registered(cpu_kernel):
    assert cpu_kernel.__name__.startswith("_fused_ops_cpu_")
    namespace = getattr(torch.ops, cpu_kernel.__name__)
    for op in ("silu_and_mul", "gelu_tanh_and_mul", "rms_norm"):
        assert hasattr(namespace, op)


def test_cpu_gated(cpu_kernel):
    check_gated(cpu_kernel, "cpu")


def test_cpu_rms_norm(cpu_kernel):
    check_rms_norm(cpu_kernel, "cpu")


def test_cpu_misaligned(cpu_kernel):
    check_misaligned(cpu_kernel, "cpu")


def test_cpu_layers(cpu_kernel):
    check_layers(cpu_kernel, "cpu")


def test_cpu_errors(cpu_kernel):
    check_errors(cpu_kernel, "cpu")


@needs_cuda
def test_cuda_ops_registered(cuda_kernel):
    assert cuda_kernel.__name__.startswith("_fused_ops_cuda_")
    assert hasattr(getattr(torch.ops, cuda_kernel.__name__), "rms_norm")


@needs_cuda
def test_cuda_gated(cuda_kernel):
    check_gated(cuda_kernel, "cuda")


@needs_cuda
def test_cuda_rms_norm(cuda_kernel):
    if torch.cuda.get_device_capability()[0] not in (8, 9):
        pytest.skip("rms_norm is built for the 8.x and 9.x families only")
    check_rms_norm(cuda_kernel, "cuda")


@needs_cuda
def test_cuda_misaligned(cuda_kernel):
    if torch.cuda.get_device_capability()[0] not in (8, 9):
        pytest.skip("rms_norm is built for the 8.x and 9.x families only")
    check_misaligned(cuda_kernel, "cuda")


@needs_cuda
def test_cuda_layers(cuda_kernel):
    x = torch.randn(3, 64, device="cuda")
    close(cuda_kernel.layers.SiluAndMul()(x), F.silu(x[:, :32]) * x[:, 32:])


@needs_cuda
def test_cuda_errors(cuda_kernel):
    check_errors(cuda_kernel, "cuda")
    with pytest.raises(RuntimeError, match="CUDA tensors"):
        cuda_kernel.ops.silu_and_mul(torch.empty(4, 3), torch.randn(4, 6, device="cuda"))
