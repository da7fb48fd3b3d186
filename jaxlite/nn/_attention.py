"""``jax.nn.dot_product_attention``: softmax(q k^T * scale + bias, masked) v.

Plain jnp code (two einsums around a float32 softmax), so it differentiates,
batches and compiles as any user code. Masked logits are set to a large
negative number rather than -inf, as JAX does, so a fully masked row averages
the values instead of producing NaN.
"""
import numpy as np

from jaxlite import numpy as jnp
from jaxlite import numpy_util as util
from jaxlite.nn import softmax


def dot_product_attention(query, key, value, bias=None, mask=None, *, scale=None,
                          is_causal=False, query_seq_lengths=None,
                          key_value_seq_lengths=None, local_window_size=None,
                          implementation=None, return_residual=False):
    """query (B, T, N, H), key and value (B, S, K, H) with N a multiple of K
    (grouped-query attention), or the same without B; bias and mask broadcast
    to (B, N, T, S). Returns (B, T, N, H)."""
    if implementation not in (None, "xla"):
        raise NotImplementedError(f"dot_product_attention: implementation={implementation!r} "
                                  f"is not available on CPU (use None or 'xla')")
    if return_residual:
        raise NotImplementedError("dot_product_attention: return_residual is not supported")
    q, k, v = (util.strong(x) for x in util.promote_inexact(query, key, value))
    unbatched = util.ndim(q) == 3
    if unbatched:
        q, k, v = q[None], k[None], v[None]
    if util.ndim(q) != 4 or util.ndim(k) != 4 or util.shape(k) != util.shape(v):
        raise ValueError(f"dot_product_attention: expected query (B, T, N, H) and key, value "
                         f"(B, S, K, H), got {util.shape(query)}, {util.shape(key)}, "
                         f"{util.shape(value)}")
    B, T, N, H = util.shape(q)
    S, K = util.shape(k)[1], util.shape(k)[2]
    if N % K:
        raise ValueError(f"dot_product_attention: {N} query heads are not a multiple of "
                         f"{K} key/value heads")
    if N != K:      # query head n attends with key/value head n // (N // K)
        k, v = jnp.repeat(k, N // K, axis=2), jnp.repeat(v, N // K, axis=2)
    scale = 1.0 / np.sqrt(H) if scale is None else scale
    logits = jnp.einsum("btnh,bsnh->bnts", q, k) * jnp.asarray(scale, q.dtype)
    if bias is not None:
        logits = (logits + _batched(bias, unbatched)).astype(logits.dtype)
    keep = _mask(mask, unbatched, is_causal, query_seq_lengths, key_value_seq_lengths,
                 local_window_size, T, S)
    if keep is not None:
        large_negative = -0.7 * float(jnp.finfo(logits.dtype).max)
        logits = jnp.where(keep, logits, large_negative)
    probs = softmax(logits.astype(jnp.float32), axis=-1).astype(k.dtype)
    out = jnp.einsum("bnts,bsnh->btnh", probs, v)
    if query_seq_lengths is not None:       # as JAX: padding queries give zeros
        valid = np.arange(T)[None, :] < jnp.asarray(query_seq_lengths).reshape(-1, 1)
        out = jnp.where(valid[:, :, None, None], out, 0)
    return out[0] if unbatched else out


def _batched(x, unbatched):
    x = jnp.asarray(x)
    return x[None] if unbatched and x.ndim == 3 else x


def _mask(mask, unbatched, is_causal, q_lengths, kv_lengths, window, T, S):
    """The boolean (B|1, N|1, T, S) mask of logits to keep, or None for all."""
    keep = None if mask is None else _batched(mask, unbatched).astype(bool)

    def both(m):
        return m if keep is None else keep & m
    t, s = np.arange(T)[:, None], np.arange(S)[None, :]
    if is_causal:
        keep = both(jnp.asarray(s <= t))
    if window is not None:
        left, right = (window, window) if np.ndim(window) == 0 else window
        keep = both(jnp.asarray((s >= t - left) & (s <= t + right)))
    if q_lengths is not None:
        rows = jnp.asarray(t)[None] < jnp.asarray(q_lengths).reshape(-1, 1, 1)
        keep = both(rows[:, None])
    if kv_lengths is not None:
        cols = jnp.asarray(s)[None] < jnp.asarray(kv_lengths).reshape(-1, 1, 1)
        keep = both(cols[:, None])
    return keep
