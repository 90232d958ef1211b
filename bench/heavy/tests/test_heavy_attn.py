"""The heavy attention kernel against torch's scaled_dot_product_attention."""

import pytest
import torch

DTYPES = {torch.float32: 1e-4, torch.float16: 2e-3, torch.bfloat16: 2e-2}


@pytest.mark.parametrize("head_dim", [32, 64, 96, 128, 160, 192])
@pytest.mark.parametrize("seq", [1, 37, 300, 1100])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_matches_sdpa(cuda_kernel, head_dim, seq, causal, dtype):
    torch.manual_seed(seq + head_dim)
    q, k, v = (torch.randn(2, 3, seq, head_dim, device="cuda", dtype=dtype) for _ in range(3))
    want = torch.nn.functional.scaled_dot_product_attention(q.float(), k.float(), v.float(), is_causal=causal)
    got = cuda_kernel.attention(q, k, v, causal=causal)
    tol = DTYPES[dtype]
    torch.testing.assert_close(got.float(), want, rtol=tol, atol=tol)


def test_rejects_other_head_dims(cuda_kernel):
    q = torch.randn(1, 1, 8, 48, device="cuda")
    with pytest.raises(RuntimeError, match="head_dim 48"):
        cuda_kernel.attention(q, q, q)
