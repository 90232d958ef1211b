"""relu and scaled_relu against plain Torch, on CPU always and on CUDA when present."""

import pytest
import torch

DTYPES = [torch.float32, torch.float16, torch.bfloat16]
SHAPES = [(0,), (1,), (7,), (3, 129), (4, 256, 33)]
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


def sample(shape, dtype, device):
    x = torch.randn(shape, dtype=torch.float32, device=device) * 4
    if x.numel() >= 4:  # special values
        flat = x.view(-1)
        flat[:4] = torch.tensor([float("nan"), float("inf"), float("-inf"), -0.0], device=device)
    return x.to(dtype)


def check_ops(kernel, device):
    for dtype in DTYPES:
        for shape in SHAPES:
            x = sample(shape, dtype, device)
            torch.testing.assert_close(kernel.relu(x), torch.relu(x), rtol=0, atol=0, equal_nan=True)
            for alpha in (0.5, -1.25, 3.0):
                want = (torch.relu(x.float()) * alpha).to(dtype)
                got = kernel.scaled_relu(x, alpha)
                torch.testing.assert_close(got, want, rtol=0, atol=0, equal_nan=True)


def check_all_16bit_values(kernel, device, dtype):
    x = torch.arange(-(2**15), 2**15, dtype=torch.int32, device=device).to(torch.int16).view(dtype)
    want = (torch.relu(x.float()) * 0.37).to(dtype)
    torch.testing.assert_close(kernel.scaled_relu(x, 0.37), want, rtol=0, atol=0, equal_nan=True)


def check_out_argument(kernel, device):
    x = sample((5, 17), torch.float32, device)
    want = torch.relu(x)
    out = torch.empty_like(x)
    assert kernel.relu(x, out=out) is out
    torch.testing.assert_close(out, want, equal_nan=True)
    kernel.relu(x, out=x)  # in place: out aliases x
    torch.testing.assert_close(x, want, equal_nan=True)


def check_errors(kernel, device):
    x = torch.randn(8, device=device)
    with pytest.raises(RuntimeError, match="shape"):
        kernel.ops.relu(torch.empty(9, device=device), x)
    with pytest.raises(RuntimeError, match="dtype"):
        kernel.ops.relu(torch.empty(8, dtype=torch.float16, device=device), x)
    with pytest.raises(RuntimeError, match="unsupported dtype"):
        kernel.relu(torch.ones(8, dtype=torch.float64, device=device))


def test_cpu_ops_registered(cpu_kernel):
    assert cpu_kernel.__name__.startswith("_relu_cpu_")
    namespace = getattr(torch.ops, cpu_kernel.__name__)
    assert hasattr(namespace, "relu") and hasattr(namespace, "scaled_relu")
    assert cpu_kernel.add_op_namespace_prefix("relu") == f"{cpu_kernel.__name__}::relu"


def test_cpu_matches_torch(cpu_kernel):
    check_ops(cpu_kernel, "cpu")


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_cpu_every_16bit_value(cpu_kernel, dtype):
    check_all_16bit_values(cpu_kernel, "cpu", dtype)


def test_cpu_out_argument(cpu_kernel):
    check_out_argument(cpu_kernel, "cpu")


def test_cpu_errors(cpu_kernel):
    check_errors(cpu_kernel, "cpu")


@needs_cuda
def test_cuda_ops_registered(cuda_kernel):
    assert cuda_kernel.__name__.startswith("_relu_cuda_")
    assert hasattr(getattr(torch.ops, cuda_kernel.__name__), "scaled_relu")


@needs_cuda
def test_cuda_matches_torch(cuda_kernel):
    check_ops(cuda_kernel, "cuda")


@needs_cuda
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_cuda_every_16bit_value(cuda_kernel, dtype):
    check_all_16bit_values(cuda_kernel, "cuda", dtype)


@needs_cuda
def test_cuda_out_argument(cuda_kernel):
    check_out_argument(cuda_kernel, "cuda")


@needs_cuda
def test_cuda_errors(cuda_kernel):
    check_errors(cuda_kernel, "cuda")


@needs_cuda
def test_cuda_large_and_other_stream(cuda_kernel):
    x = torch.randn(3 * 65535 * 256 + 11, device="cuda")  # more elements than one grid covers
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        got = cuda_kernel.scaled_relu(x, 2.0)
    stream.synchronize()
    torch.testing.assert_close(got, torch.relu(x) * 2.0)
