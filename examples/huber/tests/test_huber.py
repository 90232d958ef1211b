"""huber against torch.nn.functional.huber_loss, on CPU always and on CUDA when present."""

import pytest
import torch
import torch.nn.functional as F

DTYPES = [torch.float32, torch.float16, torch.bfloat16]
SHAPES = [(0,), (1,), (7,), (3, 129), (4, 64, 33)]
DELTAS = [0.5, 1.0, 2.5]
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


def reference(x, y, delta):
    """Plain Torch, in float32, rounded once to the result dtype (what the kernel does)."""
    dtype = torch.result_type(x, y)  # 0-dim operands do not widen the dtype
    if not dtype.is_floating_point:
        dtype = torch.get_default_dtype()
    want = F.huber_loss(*torch.broadcast_tensors(x.float(), y.float()), reduction="none", delta=delta)
    return want.to(dtype)


def sample(shape, dtype, device):
    x = torch.randn(shape, dtype=torch.float32, device=device) * 3
    if x.numel() >= 5:  # special values
        x.view(-1)[:5] = torch.tensor([float("nan"), float("inf"), float("-inf"), -0.0, 1.0], device=device)
    return x.to(dtype)


def check_matches_torch(kernel, device):
    for dtype in DTYPES:
        for shape in SHAPES:
            x, y = sample(shape, dtype, device), sample(shape, dtype, device).flip(0)
            for delta in DELTAS:
                got = kernel.huber(x, y, delta)
                assert got.dtype == dtype and got.shape == x.shape and got.device == x.device
                torch.testing.assert_close(got, reference(x, y, delta), equal_nan=True)


def check_every_16bit_value(kernel, device, dtype):
    x = torch.arange(-(2**15), 2**15, dtype=torch.int32, device=device).to(torch.int16).view(dtype)
    y = torch.full_like(x, 0.75)
    torch.testing.assert_close(kernel.huber(x, y, 1.5), reference(x, y, 1.5), equal_nan=True)


def check_iterator_cases(kernel, device):
    """What TensorIterator gives the kernel: broadcasting, strides, dtype promotion."""
    x = torch.randn(3, 1, 5, device=device)
    y = torch.randn(4, 1, device=device)
    got = kernel.huber(x, y, 0.8)
    assert got.shape == (3, 4, 5)
    torch.testing.assert_close(got, reference(x, y, 0.8))

    base = torch.randn(40, 64, device=device, dtype=torch.float16)
    x, y = base.t(), base[::2].repeat(2, 1).t()  # transposed, and a strided slice
    assert not x.is_contiguous()
    torch.testing.assert_close(kernel.huber(x, y, 1.0), reference(x, y, 1.0))

    scalar = torch.tensor(0.25, device=device)  # 0-dim operand
    torch.testing.assert_close(kernel.huber(base, scalar, 2.0), reference(base, scalar, 2.0))

    half, single = torch.randn(9, device=device).half(), torch.randn(9, device=device)
    got = kernel.huber(half, single, 1.0)  # mixed float dtypes: the common dtype
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, reference(half, single, 1.0))

    ints = torch.arange(-6, 6, device=device)
    got = kernel.huber(ints, ints.flip(0), 3.0)  # integers: promoted to the default float
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, reference(ints, ints.flip(0), 3.0))


def check_errors(kernel, device):
    x = torch.randn(8, device=device)
    with pytest.raises(RuntimeError, match="delta must be positive"):
        kernel.huber(x, x, 0.0)
    with pytest.raises(RuntimeError, match="delta must be positive"):
        kernel.huber(x, x, float("inf"))
    with pytest.raises(RuntimeError, match="unsupported dtype"):
        kernel.huber(x.double(), x.double(), 1.0)
    with pytest.raises(RuntimeError):  # shapes that do not broadcast
        kernel.huber(x, torch.randn(3, device=device), 1.0)


def test_cpu_ops_registered(cpu_kernel):
    assert cpu_kernel.__name__.startswith("_huber_cpu_")
    assert hasattr(getattr(torch.ops, cpu_kernel.__name__), "huber")
    assert cpu_kernel.add_op_namespace_prefix("huber") == f"{cpu_kernel.__name__}::huber"


def test_cpu_matches_torch(cpu_kernel):
    check_matches_torch(cpu_kernel, "cpu")


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_cpu_every_16bit_value(cpu_kernel, dtype):
    check_every_16bit_value(cpu_kernel, "cpu", dtype)


def test_cpu_iterator_cases(cpu_kernel):
    check_iterator_cases(cpu_kernel, "cpu")


def test_cpu_errors(cpu_kernel):
    check_errors(cpu_kernel, "cpu")


@needs_cuda
def test_cuda_ops_registered(cuda_kernel):
    assert cuda_kernel.__name__.startswith("_huber_cuda_")
    assert hasattr(getattr(torch.ops, cuda_kernel.__name__), "huber")


@needs_cuda
def test_cuda_matches_torch(cuda_kernel):
    check_matches_torch(cuda_kernel, "cuda")


@needs_cuda
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_cuda_every_16bit_value(cuda_kernel, dtype):
    check_every_16bit_value(cuda_kernel, "cuda", dtype)


@needs_cuda
def test_cuda_iterator_cases(cuda_kernel):
    check_iterator_cases(cuda_kernel, "cuda")


@needs_cuda
def test_cuda_errors(cuda_kernel):
    check_errors(cuda_kernel, "cuda")
    with pytest.raises(RuntimeError, match="device"):
        cuda_kernel.huber(torch.randn(4, device="cuda"), torch.randn(4), 1.0)


@needs_cuda
def test_cuda_large_and_other_stream(cuda_kernel):
    x = torch.randn(3 * 65535 * 256 + 11, device="cuda")
    y = torch.randn_like(x)
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        got = cuda_kernel.huber(x, y, 1.0)
    stream.synchronize()
    torch.testing.assert_close(got, reference(x, y, 1.0))
