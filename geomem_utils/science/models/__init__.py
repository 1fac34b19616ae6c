"""The models of the book: `GPT`, `Mamba`, `OneLayerNet` (and its associative twin), `Node2Vec`.

Every sequence model maps token ids (B, T) to logits (B, T, vocab_size) and exposes
`token_embedding` (nn.Embedding) and `embedding_matrix()` (a detached (vocab, width) copy).
"""

from __future__ import annotations

import dataclasses
import inspect

from torch import nn

from geomem_utils.science.models.gpt import GPT, GPTConfig, sinusoidal_positions
from geomem_utils.science.models.mamba import Mamba, MambaConfig, mamba_ssm_available
from geomem_utils.science.models.shallow import (
    Node2Vec, Node2VecRun, OneLayerNet, UntiedRun, associative_net, node2vec_C, node2vec_loss,
    train_node2vec, train_node2vec_untied, transition_matrix,
)

__all__ = [
    "ARCHS",
    "GPT",
    "GPTConfig",
    "Mamba",
    "MambaConfig",
    "Node2Vec",
    "Node2VecRun",
    "OneLayerNet",
    "UntiedRun",
    "associative_net",
    "build_model",
    "mamba_ssm_available",
    "node2vec_C",
    "node2vec_loss",
    "sinusoidal_positions",
    "train_node2vec",
    "train_node2vec_untied",
    "transition_matrix",
]

ARCHS = ("gpt", "mamba", "net", "assoc")


def _allowed(arch: str) -> set[str]:
    if arch == "gpt":
        names = {f.name for f in dataclasses.fields(GPTConfig)}
    elif arch == "mamba":
        names = {f.name for f in dataclasses.fields(MambaConfig)}
    else:
        names = set(inspect.signature(OneLayerNet.__init__).parameters) - {"self"}
        if arch == "assoc":
            names.discard("freeze_embeddings")
    return names - {"vocab_size", "block_size"}


def build_model(arch: str, vocab_size: int, block_size: int, **kwargs: object) -> nn.Module:
    """Build a sequence model by name: "gpt", "mamba", "net" (OneLayerNet) or "assoc" (frozen E).

    `kwargs` are fields of the model's config (`GPTConfig`, `MambaConfig`, or the
    `OneLayerNet` arguments); `block_size` is used by "gpt" only (the others are not
    limited in length). An unknown keyword raises TypeError naming it.
    """
    if arch not in ARCHS:
        raise ValueError(f"build_model: arch must be one of {ARCHS} (got arch={arch!r})")
    unknown = sorted(set(kwargs) - _allowed(arch))
    if unknown:
        raise TypeError(
            f"build_model(arch={arch!r}): unknown keyword argument(s) {unknown}; "
            f"allowed: {sorted(_allowed(arch))}"
        )
    if arch == "gpt":
        return GPT(GPTConfig(vocab_size=vocab_size, block_size=block_size, **kwargs))  # type: ignore[arg-type]
    if arch == "mamba":
        return Mamba(MambaConfig(vocab_size=vocab_size, **kwargs))  # type: ignore[arg-type]
    if arch == "net":
        return OneLayerNet(vocab_size, **kwargs)  # type: ignore[arg-type]
    return associative_net(vocab_size, **kwargs)
