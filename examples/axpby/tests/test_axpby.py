"""axpby against plain Torch on CPU always and on CUDA when present, and, on a GPU, which
compiled code ran: the launcher that two sections share must hold code for both."""

import pytest
import torch

DTYPES = [torch.float32, torch.float64]
SHAPES = [(0,), (1,), (7,), (3, 129), (4, 256, 33)]
COEFFS = [(1.0, 1.0), (2.5, -0.75), (0.0, 3.0), (-1.0, 0.0)]
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


def check_matches_torch(kernel, device):
    for dtype in DTYPES:
        for shape in SHAPES:
            x = torch.randn(shape, dtype=dtype, device=device)
            y = torch.randn(shape, dtype=dtype, device=device) * 10
            for a, b in COEFFS:
                got = kernel.axpby(x, y, a, b)
                assert got.dtype == dtype and got.shape == x.shape
                torch.testing.assert_close(got, a * x + b * y)


def check_out_argument(kernel, device):
    x = torch.randn(5, 17, device=device)
    y = torch.randn(5, 17, device=device)
    want = 2 * x - y
    out = torch.empty_like(x)
    assert kernel.axpby(x, y, 2, -1, out=out) is out
    torch.testing.assert_close(out, want)
    kernel.axpby(x, y, 2, -1, out=x)  # in place: out aliases x
    torch.testing.assert_close(x, want)


def check_errors(kernel, device):
    x = torch.randn(8, device=device)
    with pytest.raises(RuntimeError, match="same shape"):
        kernel.axpby(x, torch.randn(9, device=device), 1, 1)
    with pytest.raises(RuntimeError, match="same dtype"):
        kernel.axpby(x, x.double(), 1, 1)
    with pytest.raises(RuntimeError, match="unsupported dtype"):
        kernel.axpby(x.half(), x.half(), 1, 1)
    with pytest.raises(RuntimeError, match="contiguous"):
        m = torch.randn(4, 6, device=device)
        kernel.axpby(m.t(), m.t(), 1, 1)


def test_cpu_ops_registered(cpu_kernel):
    assert cpu_kernel.__name__.startswith("_axpby_cpu_")
    assert hasattr(getattr(torch.ops, cpu_kernel.__name__), "axpby")


def test_cpu_matches_torch(cpu_kernel):
    check_matches_torch(cpu_kernel, "cpu")


def test_cpu_large(cpu_kernel):  # spans several intra-op chunks
    x, y = torch.randn(1_000_003), torch.randn(1_000_003)
    torch.testing.assert_close(cpu_kernel.axpby(x, y, 0.5, 4.0), 0.5 * x + 4.0 * y)


def test_cpu_out_argument(cpu_kernel):
    check_out_argument(cpu_kernel, "cpu")


def test_cpu_errors(cpu_kernel):
    check_errors(cpu_kernel, "cpu")


def built_for_this_gpu():
    major, minor = torch.cuda.get_device_capability()
    return major == 8 or (major, minor) == (9, 0)


def needs_built_gpu(test):
    """Skips unless the GPU is one the sections build for (8.x: 8.0 SASS; 9.0: 9.0a SASS)."""
    return pytest.mark.skipif(
        not torch.cuda.is_available() or not built_for_this_gpu(),
        reason="needs an 8.x or 9.0 GPU (the archs this kernel is built for)",
    )(test)


@needs_cuda
def test_cuda_ops_registered(cuda_kernel):
    assert cuda_kernel.__name__.startswith("_axpby_cuda_")
    namespace = getattr(torch.ops, cuda_kernel.__name__)
    assert hasattr(namespace, "axpby") and hasattr(namespace, "arch_probe")


@needs_built_gpu
def test_cuda_shared_launcher_holds_both_sections(cuda_kernel):
    """gpu/launch.cu, listed by [kernel.ampere] (8.0) and [kernel.hopper] (9.0a), must run
    on this GPU as the code its own section built: sm_80 on 8.x, sm_90a on 9.0."""
    probe = cuda_kernel.arch_probe()
    if torch.cuda.get_device_capability()[0] == 9:
        assert probe == (900, True, 900, True), probe
    else:
        assert probe == (800, False, 800, False), probe


@needs_built_gpu
def test_cuda_matches_torch(cuda_kernel):
    check_matches_torch(cuda_kernel, "cuda")


@needs_built_gpu
def test_cuda_out_argument(cuda_kernel):
    check_out_argument(cuda_kernel, "cuda")


@needs_built_gpu
def test_cuda_errors(cuda_kernel):
    check_errors(cuda_kernel, "cuda")
    with pytest.raises(RuntimeError, match="CUDA tensors"):
        cuda_kernel.axpby(torch.randn(4, device="cuda"), torch.randn(4), 1, 1)


@needs_built_gpu
def test_cuda_large_and_other_stream(cuda_kernel):
    x = torch.randn(3 * 65535 * 256 + 11, device="cuda")  # more elements than one grid covers
    y = torch.randn_like(x)
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        got = cuda_kernel.axpby(x, y, -2.0, 0.5)
    stream.synchronize()
    torch.testing.assert_close(got, -2.0 * x + 0.5 * y)
