"""A small Mamba language model (spec section 5): LayerNorm -> Mamba mixer blocks, tied head.

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

from .gpt import TokenEmbedded, _check_bool, _check_choice, _check_float, _check_int

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
        _check_int(o, "vocab_size", self.vocab_size, 1)
        _check_int(o, "n_layers", self.n_layers, 0)
        _check_int(o, "width", self.width, 1)
        _check_int(o, "d_state", self.d_state, 1)
        _check_int(o, "d_conv", self.d_conv, 1)
        _check_int(o, "expand", self.expand, 1)
        for name in ("tied", "freeze_embeddings", "residual", "pscan"):
            _check_bool(o, name, getattr(self, name))
        _check_float(o, "emb_init_std", self.emb_init_std, 0.0, open_=False)
        _check_choice(o, "backend", self.backend, _BACKENDS)


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
    """mambapy's sequential scan, h_t = exp(delta_t A) h_{t-1} + delta_t B_t x_t, y_t = C_t h_t + D x_t.

    The same operations in the same order as ``mambapy.mamba.MambaBlock.selective_scan_seq``
    (so the same numbers, bit for bit), except that time steps are taken with one
    ``unbind`` instead of an index per step: the backward of ``deltaA[:, t]`` writes each
    step's gradient into a fresh zero tensor of the *whole* (B, L, ED, N) shape, L times
    over, which at L = 70 costs seconds per step in page faults alone.
    """
    # x, delta: (B, L, ED); A: (ED, N); B, C: (B, L, N); D: (ED)
    deltaA = torch.exp(delta.unsqueeze(-1) * A)  # (B, L, ED, N)
    deltaB = delta.unsqueeze(-1) * B.unsqueeze(2)  # (B, L, ED, N)
    BX = deltaB * (x.unsqueeze(-1))  # (B, L, ED, N)
    h = torch.zeros(x.size(0), block.config.d_inner, block.config.d_state, device=deltaA.device)  # (B, ED, N)
    hs = []
    for dA_t, bx_t in zip(deltaA.unbind(1), BX.unbind(1)):  # each (B, ED, N)
        h = dA_t * h + bx_t
        hs.append(h)
    hs = torch.stack(hs, dim=1)  # (B, L, ED, N)
    y = (hs @ C.unsqueeze(-1)).squeeze(3)  # (B, L, ED, N) @ (B, L, N, 1) -> (B, L, ED)
    return y + D * x  # (B, L, ED)


@functools.cache
def _mambapy_block() -> type:
    """mambapy's MambaBlock with :func:`selective_scan_seq` (same parameters, same state dict)."""
    from mambapy.mamba import MambaBlock

    class MambaPyBlock(MambaBlock):
        selective_scan_seq = selective_scan_seq

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
        if cfg.tied:
            self.lm_head.weight = self.wte.weight  # one tensor
        else:
            nn.init.normal_(self.lm_head.weight, mean=0.0, std=cfg.emb_init_std)
        if cfg.freeze_embeddings:
            self.wte.weight.requires_grad_(False)

    def features(self, idx: torch.Tensor) -> torch.Tensor:
        """The last hidden states, after the final norm: (B, T) -> (B, T, width); `forward`
        is `lm_head(features(idx))`."""
        x = self.wte(idx)  # idx: (B, T) -> x: (B, T, width)
        for layer in self.layers:
            x = layer(x)  # x: (B, T, width)
        return self.norm_f(x)  # (B, T, width)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.lm_head(self.features(idx))  # logits: (B, T, vocab_size)
