"""A small decoder-only Transformer ("GPT-mid" in the paper).

Pre-LayerNorm blocks, causal self-attention, a 4x GELU MLP, tied input/output embeddings,
init N(0, 0.02) with zero biases. Every ablation switch of the authors' release is a field
of `GPTConfig`: attention off, residual off, LayerNorm off, an MLP that is one linear layer
(or none), frozen or untied embeddings, the "non-geometric" init (`emb_init_std=1.0`).

Positions default to a *learned* table initialised N(0, 0.02), not PyTorch's N(0, 1): the
release leaves them at N(0, 1), and at CPU scale that alone stops held-out generalisation
(measured on the authors' release; chapter 06). `pos_init_std` exposes it; `positions="sinusoidal"` is the paper's text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from geomem_utils.validate import ConfigError, check_bool, check_choice, check_int, check_number
from geomem_utils.science.models.base import TokenEmbedded, check_dropout

_MLPS = ("gelu", "linear", "none")
_POSITIONS = ("learned", "sinusoidal", "none")


@dataclass(frozen=True)
class GPTConfig:
    """Hyper-parameters of `GPT`; every bad value raises an error naming the field.

    `width` is the paper's embedding dimension m; `vocab_size` is |V|.
    """

    vocab_size: int
    block_size: int
    n_layers: int = 2
    width: int = 128
    n_heads: int = 4
    dropout: float = 0.0
    tied: bool = True
    freeze_embeddings: bool = False
    attention: bool = True
    residual: bool = True
    layernorm: bool = True
    mlp: str = "gelu"  # "gelu": 4x GELU MLP; "linear": one linear layer; "none"
    positions: str = "learned"  # "learned" | "sinusoidal" | "none"
    pos_init_std: float = 0.02
    emb_init_std: float = 0.02  # the paper's "non-geometric" init is 1.0
    bias: bool = True

    def __post_init__(self) -> None:
        o = "GPTConfig"
        for name, lo in (("vocab_size", 1), ("block_size", 1), ("n_layers", 0), ("width", 1), ("n_heads", 1)):
            check_int(name, getattr(self, name), lo, owner=o, numpy=False)
        check_dropout(o, self.dropout)
        for name in ("tied", "freeze_embeddings", "attention", "residual", "layernorm", "bias"):
            check_bool(name, getattr(self, name), owner=o, numpy=False)
        check_choice("mlp", self.mlp, _MLPS, owner=o)
        check_choice("positions", self.positions, _POSITIONS, owner=o)
        for name in ("pos_init_std", "emb_init_std"):
            check_number(name, getattr(self, name), 0.0, owner=o, numpy=False)
        if self.attention and self.width % self.n_heads != 0:
            raise ConfigError(
                f"{o}.width must be divisible by n_heads "
                f"(got width={self.width}, n_heads={self.n_heads})"
            )
        if self.positions == "sinusoidal" and self.width % 2 != 0:
            raise ConfigError(f"{o}.width must be even for positions='sinusoidal' (got width={self.width})")
        if not self.attention and self.mlp == "none" and self.n_layers > 0:
            raise ConfigError(
                f"{o}.attention=False with mlp='none' leaves every block empty; "
                "set n_layers=0 for an embedding-only model"
            )


def sinusoidal_positions(block_size: int, width: int) -> torch.Tensor:
    """The fixed sin/cos table of Vaswani et al.: (block_size, width)."""
    pos = torch.arange(block_size, dtype=torch.float32)[:, None]  # (T, 1)
    freq = torch.exp(torch.arange(0, width, 2, dtype=torch.float32) * (-math.log(10000.0) / width))
    table = torch.zeros(block_size, width)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq)
    return table  # (T, width)


def _norm(cfg: GPTConfig) -> nn.Module:
    return nn.LayerNorm(cfg.width, bias=cfg.bias) if cfg.layernorm else nn.Identity()


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention (scaled_dot_product_attention, is_causal=True)."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.n_heads = cfg.n_heads
        self.dropout = cfg.dropout
        self.qkv = nn.Linear(cfg.width, 3 * cfg.width, bias=cfg.bias)
        self.proj = nn.Linear(cfg.width, cfg.width, bias=cfg.bias)
        self.resid_drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, W = x.shape  # x: (B, T, width)
        q, k, v = self.qkv(x).split(W, dim=2)  # each (B, T, width)
        # -> (B, heads, T, width / heads)
        q, k, v = (t.view(B, T, self.n_heads, W // self.n_heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(
            q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0
        )  # y: (B, heads, T, width / heads)
        y = y.transpose(1, 2).reshape(B, T, W)  # y: (B, T, width)
        return self.resid_drop(self.proj(y))


class MLP(nn.Module):
    """`gelu`: Linear(m, 4m) -> GELU -> Linear(4m, m); `linear`: one Linear(m, m), no nonlinearity."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        if cfg.mlp == "gelu":
            self.net = nn.Sequential(
                nn.Linear(cfg.width, 4 * cfg.width, bias=cfg.bias),
                nn.GELU(),
                nn.Linear(4 * cfg.width, cfg.width, bias=cfg.bias),
            )
        else:
            self.net = nn.Linear(cfg.width, cfg.width, bias=cfg.bias)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.net(x))  # (B, T, width)


class Block(nn.Module):
    """Pre-LN block: x + attn(LN(x)), then x + mlp(LN(x)); without residual, x = f(LN(x))."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.residual = cfg.residual
        self.ln_attn = _norm(cfg) if cfg.attention else None
        self.attn = CausalSelfAttention(cfg) if cfg.attention else None
        self.ln_mlp = _norm(cfg) if cfg.mlp != "none" else None
        self.mlp = MLP(cfg) if cfg.mlp != "none" else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, T, width)
        for ln, f in ((self.ln_attn, self.attn), (self.ln_mlp, self.mlp)):
            if f is not None:
                y = f(ln(x))
                x = x + y if self.residual else y
        return x


class GPT(TokenEmbedded):
    """Decoder-only Transformer; logits (B, T, |V|) from token ids (B, T).

    With `tied=True` the output head *is* the token embedding E (one tensor), so
    `freeze_embeddings=True` freezes both the input embedding and the head; with
    `tied=False` only the input embedding is frozen and the head still trains.
    """

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.width)
        if cfg.positions == "learned":
            self.wpe: nn.Embedding | None = nn.Embedding(cfg.block_size, cfg.width)
        else:
            self.wpe = None
        if cfg.positions == "sinusoidal":
            self.register_buffer("pos_table", sinusoidal_positions(cfg.block_size, cfg.width), persistent=False)
        else:
            self.pos_table = None
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layers)])
        self.ln_f = _norm(cfg)
        self.lm_head = nn.Linear(cfg.width, cfg.vocab_size, bias=False)
        self._init_weights()
        self.tie_and_freeze(cfg.tied, cfg.freeze_embeddings)

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        nn.init.normal_(self.wte.weight, mean=0.0, std=self.cfg.emb_init_std)
        if not self.cfg.tied:  # the untied output embedding gets the same init as the input one
            nn.init.normal_(self.lm_head.weight, mean=0.0, std=self.cfg.emb_init_std)
        if self.wpe is not None:
            nn.init.normal_(self.wpe.weight, mean=0.0, std=self.cfg.pos_init_std)

    def features(self, idx: torch.Tensor) -> torch.Tensor:
        """The last hidden states, after the final norm: (B, T) -> (B, T, width).

        `forward(idx)` is `lm_head(features(idx))`; the training loop can apply the head
        at the target positions only (`TrainConfig.head_at_targets_only`).
        """
        B, T = idx.shape  # idx: (B, T) token ids
        if T > self.cfg.block_size:
            raise ValueError(f"GPT: sequence length {T} exceeds block_size={self.cfg.block_size}")
        x = self.wte(idx)  # x: (B, T, width)
        if self.wpe is not None:
            x = x + self.wpe(torch.arange(T, device=idx.device))  # + (T, width)
        elif self.pos_table is not None:
            x = x + self.pos_table[:T]  # + (T, width)
        x = self.drop(x)
        for block in self.blocks:
            x = block(x)  # x: (B, T, width)
        return self.ln_f(x)  # (B, T, width)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.lm_head(self.features(idx))  # logits: (B, T, vocab_size)
