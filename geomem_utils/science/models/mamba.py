"""A small Mamba language model (the paper's Mamba): LayerNorm -> Mamba mixer blocks, tied head.

The mixer is the pure-PyTorch block of `mambapy` on CPU (the reference, default) and
`mamba_ssm.Mamba` (CUDA kernels) where that package imports and CUDA is present. The two
have the same parameter names and shapes, so a state dict moves between them 1:1.

Block form: `x = x + mixer(LN(x))` with `residual=True`; `x = mixer(LN(x))` with
`residual=False`, which is the authors' release. The mixers keep their own default init
(dt, A_log, D as in the Mamba paper); only the token embedding uses `emb_init_std`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
from torch import nn

from geomem_utils.validate import check_bool, check_choice, check_int, check_number
from geomem_utils.science.models.base import TokenEmbedded

_BACKENDS = ("auto", "mambapy", "mamba_ssm")


def mamba_ssm_available() -> bool:
    """True when `mamba_ssm` imports (it needs its CUDA build) and CUDA is present."""
    if not torch.cuda.is_available():
        return False
    try:
        import mamba_ssm  # noqa: F401
    except Exception:  # ImportError, or an OSError from a broken CUDA build
        return False
    return True


@dataclass(frozen=True)
class MambaConfig:
    """Hyper-parameters of `Mamba`; every bad value raises an error naming the field.

    `width` is the paper's m (d_model); `d_state` is N, `expand` is E (d_inner = E m).
    `pscan` picks mambapy's parallel scan (True) or its sequential reference loop (False);
    it is ignored by the `mamba_ssm` backend. `backend="auto"` resolves at construction
    (mamba_ssm on a machine with CUDA and the package, whatever device the model later
    moves to): pass `backend="mambapy"` to run on CPU on such a machine.
    """

    vocab_size: int
    n_layers: int = 2
    width: int = 128
    d_state: int = 16
    d_conv: int = 4
    expand: int = 2
    tied: bool = True
    freeze_embeddings: bool = False
    residual: bool = True
    emb_init_std: float = 0.02
    backend: str = "auto"  # "auto" | "mambapy" | "mamba_ssm"
    pscan: bool = False

    def __post_init__(self) -> None:
        o = "MambaConfig"
        for name, lo in (("vocab_size", 1), ("n_layers", 0), ("width", 1), ("d_state", 1), ("d_conv", 1),
                         ("expand", 1)):
            check_int(name, getattr(self, name), lo, owner=o, numpy=False)
        for name in ("tied", "freeze_embeddings", "residual", "pscan"):
            check_bool(name, getattr(self, name), owner=o, numpy=False)
        check_number("emb_init_std", self.emb_init_std, 0.0, owner=o, numpy=False)
        check_choice("backend", self.backend, _BACKENDS, owner=o)

def resolve_backend(backend: str) -> str:
    """"auto" -> "mamba_ssm" when `mamba_ssm_available()`, else "mambapy"."""
    if backend == "auto":
        return "mamba_ssm" if mamba_ssm_available() else "mambapy"
    if backend == "mamba_ssm" and not mamba_ssm_available():
        raise RuntimeError(
            "MambaConfig.backend='mamba_ssm' needs CUDA and the mamba-ssm package "
            "(from the checkout: pip install --no-build-isolation -e \".[cuda]\", with a CUDA toolkit "
            "matching torch's; see the README); use backend='mambapy' on CPU"
        )
    return backend


def selective_scan_seq(block: nn.Module, x: torch.Tensor, delta: torch.Tensor, A: torch.Tensor,
                       B: torch.Tensor, C: torch.Tensor, D: torch.Tensor) -> torch.Tensor:
    """mambapy's sequential scan, h_t = exp(delta_t A) h_{t-1} + delta_t B_t x_t, y_t = C_t h_t + D x_t,
    with less work on a CPU (the same numbers up to float rounding; tests/unit/test_fast_paths.py):

    - every (B, ED, N) quantity is formed one step at a time and never stacked into a
      (B, L, ED, N) tensor (whose forward and backward copies dominate on short sequences);
    - ``delta_t x_t`` is formed on (B, ED) before the outer product with ``B_t``, one
      (B, ED, N) product instead of two;
    - h_0 = delta_0 B_0 x_0 (h_{-1} = 0), so ``exp(delta_t A)`` is needed for t >= 1 only;
    - steps are taken with ``unbind``: the backward of an index per step would write each
      step's gradient into a fresh zero tensor of the whole shape, L times.
    """
    # x, delta: (B, L, ED); A: (ED, N); B, C: (B, L, N); D: (ED)
    dxs = (delta * x).unsqueeze(-1).unbind(1)  # L of (B, ED, 1)
    deltas, Bs, Cs = delta.unsqueeze(-1).unbind(1), B.unsqueeze(2).unbind(1), C.unsqueeze(-1).unbind(1)
    ys, h = [], None
    for t, (dx_t, b_t, c_t) in enumerate(zip(dxs, Bs, Cs)):  # dx_t: (B, ED, 1); b_t: (B, 1, N); c_t: (B, N, 1)
        bx_t = dx_t * b_t  # delta_t B_t x_t: (B, ED, N)
        h = bx_t if h is None else torch.exp(deltas[t] * A) * h + bx_t  # (B, ED, N)
        ys.append((h @ c_t).squeeze(-1))  # (B, ED, N) @ (B, N, 1) -> (B, ED)
    return torch.stack(ys, dim=1) + D * x  # (B, L, ED)


class CausalDepthwiseConv(nn.Conv1d):
    """mambapy's depthwise ``Conv1d`` (padding K-1 on both sides, output cut to the first L
    steps by the caller) as K shifted products: the same parameters and numbers up to
    rounding, without oneDNN's depthwise backward, which dominates a step on short
    sequences. Taps that would only see the left padding are skipped."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (B, ED, L) -> (B, ED, L)
        k, length = self.kernel_size[0], x.shape[-1]
        xp = torch.nn.functional.pad(x, (k - 1, 0))  # (B, ED, L + K - 1), zeros on the left
        w = self.weight[:, 0]  # (ED, K)
        y = None
        for j in range(max(0, k - length), k):  # tap j sees x[t - (K-1) + j]
            term = w[:, j, None] * xp[:, :, j:j + length]  # (B, ED, L)
            y = term if y is None else y + term
        return y if self.bias is None else y + self.bias[:, None]


@functools.cache
def _mambapy_block() -> type:
    """mambapy's MambaBlock with :func:`selective_scan_seq` and :class:`CausalDepthwiseConv`
    (same parameters, same state dict)."""
    from mambapy.mamba import MambaBlock

    class MambaPyBlock(MambaBlock):
        selective_scan_seq = selective_scan_seq

        def __init__(self, config) -> None:  # noqa: ANN001 - mambapy's MambaConfig
            super().__init__(config)
            conv = self.conv1d  # initialised by mambapy; skip_init draws nothing from the RNG
            self.conv1d = nn.utils.skip_init(CausalDepthwiseConv, conv.in_channels, conv.out_channels,
                                             conv.kernel_size[0], groups=conv.groups, padding=conv.padding[0],
                                             bias=conv.bias is not None)
            self.conv1d.load_state_dict(conv.state_dict())

    return MambaPyBlock


def make_mixer(cfg: MambaConfig, backend: str) -> nn.Module:
    """One Mamba mixer (B, T, width) -> (B, T, width), without norm or residual."""
    if backend == "mamba_ssm":
        from mamba_ssm import Mamba as _SSMMamba

        return _SSMMamba(d_model=cfg.width, d_state=cfg.d_state, d_conv=cfg.d_conv, expand=cfg.expand)
    from mambapy.mamba import MambaConfig as _MPConfig

    mp_cfg = _MPConfig(
        d_model=cfg.width,
        n_layers=1,
        d_state=cfg.d_state,
        d_conv=cfg.d_conv,
        expand_factor=cfg.expand,
        pscan=cfg.pscan,
        bias=False,  # mamba_ssm.Mamba: in_proj/out_proj without bias, conv1d with bias
        conv_bias=True,
    )
    return _mambapy_block()(mp_cfg)


class MambaLayer(nn.Module):
    """x + mixer(LN(x)) (residual=True) or mixer(LN(x)) (residual=False, the release)."""

    def __init__(self, cfg: MambaConfig, backend: str) -> None:
        super().__init__()
        self.residual = cfg.residual
        self.norm = nn.LayerNorm(cfg.width)
        self.mixer = make_mixer(cfg, backend)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.mixer(self.norm(x))  # x, y: (B, T, width)
        return x + y if self.residual else y


class Mamba(TokenEmbedded):
    """Mamba language model; logits (B, T, |V|) from token ids (B, T). Causal by construction.

    With `tied=True` the head is the token embedding E (one tensor), so
    `freeze_embeddings=True` freezes both; with `tied=False` only the input embedding.
    `self.backend` records the resolved mixer ("mambapy" or "mamba_ssm").
    """

    def __init__(self, cfg: MambaConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.backend = resolve_backend(cfg.backend)
        self.wte = nn.Embedding(cfg.vocab_size, cfg.width)
        self.layers = nn.ModuleList([MambaLayer(cfg, self.backend) for _ in range(cfg.n_layers)])
        self.norm_f = nn.LayerNorm(cfg.width)
        self.lm_head = nn.Linear(cfg.width, cfg.vocab_size, bias=False)
        nn.init.normal_(self.wte.weight, mean=0.0, std=cfg.emb_init_std)
        if not cfg.tied:  # an untied head gets the embedding's init
            nn.init.normal_(self.lm_head.weight, mean=0.0, std=cfg.emb_init_std)
        self.tie_and_freeze(cfg.tied, cfg.freeze_embeddings)

    def features(self, idx: torch.Tensor) -> torch.Tensor:
        """The last hidden states, after the final norm: (B, T) -> (B, T, width); `forward`
        is `lm_head(features(idx))`."""
        x = self.wte(idx)  # idx: (B, T) -> x: (B, T, width)
        for layer in self.layers:
            x = layer(x)  # x: (B, T, width)
        return self.norm_f(x)  # (B, T, width)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.lm_head(self.features(idx))  # logits: (B, T, vocab_size)
