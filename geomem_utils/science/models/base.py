"""What every sequence model of the book shares: the `TokenEmbedded` interface and its
tie-and-freeze step, and the dropout rule of the configs. Value checks come from
`geomem_utils.validate`, so a bad field reads the same in every model."""

from __future__ import annotations

import torch
from torch import nn

from geomem_utils.validate import check_number


class TokenEmbedded(nn.Module):
    """The interface every sequence model shares: its input embedding lives in `self.wte`,
    its output head in `self.lm_head`."""

    wte: nn.Embedding
    lm_head: nn.Linear

    @property
    def token_embedding(self) -> nn.Embedding:
        """The input embedding E: (|V|, m); tied to the output head when the model is tied."""
        return self.wte

    def embedding_matrix(self) -> torch.Tensor:
        """A detached copy of E: (vocab_size, width)."""
        return self.wte.weight.detach().clone()

    def tie_and_freeze(self, tied: bool, freeze_embeddings: bool) -> None:
        """`tied`: the head *is* E (one tensor); `freeze_embeddings`: E does not train (with
        `tied`, neither does the head). Draws nothing from the RNG."""
        if tied:
            self.lm_head.weight = self.wte.weight  # one tensor: E is both input and output embedding
        if freeze_embeddings:
            self.wte.weight.requires_grad_(False)


def check_dropout(owner: str, value: object) -> None:
    """A dropout probability: a finite number in [0, 1), named with its owner."""
    check_number("dropout", value, 0.0, 1.0, hi_open=True, owner=owner, numpy=False)
