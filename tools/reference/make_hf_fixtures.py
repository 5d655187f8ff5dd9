"""Reference fixtures from Hugging Face transformers, for parity tests of our TorchSharp models.

Run where transformers and torch are installed (the GPU machine has both; this script needs no GPU):

    python3 tools/reference/make_hf_fixtures.py OUT_DIR [SPM_TRAINING_CSV]

For each family it builds a tiny random-initialised *ForSequenceClassification model with HF's own
modelling code, saves it the way users receive checkpoints (config.json, model.safetensors,
pytorch_model.bin as torch.save writes it, and a legacy non-zip pytorch_model.bin), and records the
logits and last hidden states for fixed inputs with padding. Weights are drawn wider than HF's
initializer (and LayerNorm parameters moved off 1/0) so that a wrong wiring changes the logits by far
more than the 1e-4 tolerance. With a CSV it also trains a small SentencePiece Unigram model laid out
like DeBERTa-v3's spm.model and records DebertaV2Tokenizer's ids for sample sentences.
"""

import csv
import json
import os
import sys

import torch
import transformers

OUT = sys.argv[1]
SPM_CSV = sys.argv[2] if len(sys.argv) > 2 else None

COMMON = dict(vocab_size=300, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
              intermediate_size=64, max_position_embeddings=64, hidden_dropout_prob=0.1,
              attention_probs_dropout_prob=0.1, num_labels=2)


def families():
    t = transformers
    yield "bert", t.BertForSequenceClassification(t.BertConfig(**COMMON, hidden_act="gelu"))
    yield "distilbert", t.DistilBertForSequenceClassification(t.DistilBertConfig(
        vocab_size=300, dim=32, n_layers=2, n_heads=4, hidden_dim=64, max_position_embeddings=64,
        activation="gelu", num_labels=2, sinusoidal_pos_embds=False))
    yield "roberta", t.RobertaForSequenceClassification(t.RobertaConfig(
        **COMMON, type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5))
    yield "electra", t.ElectraForSequenceClassification(t.ElectraConfig(**{**COMMON, "num_labels": 6}, embedding_size=16,
                                                                         problem_type="multi_label_classification"))
    # DeBERTa-v3 layout: relative attention with log buckets, shared keys, LayerNorm on relative embeddings,
    # no absolute positions and no token types.
    yield "deberta-v3", t.DebertaV2ForSequenceClassification(t.DebertaV2Config(
        **COMMON, relative_attention=True, position_buckets=16, max_relative_positions=-1,
        pos_att_type=["p2c", "c2p"], norm_rel_ebd="layer_norm", share_att_key=True,
        position_biased_input=False, type_vocab_size=0, hidden_act="gelu", layer_norm_eps=1e-7, pad_token_id=0))
    # DeBERTa-v2 layout: absolute positions as well, no buckets, separate positional projections, a conv layer.
    yield "deberta-v2", t.DebertaV2ForSequenceClassification(t.DebertaV2Config(
        **COMMON, relative_attention=True, position_buckets=-1, max_relative_positions=24,
        pos_att_type=["p2c", "c2p"], norm_rel_ebd="none", share_att_key=False,
        position_biased_input=True, type_vocab_size=0, hidden_act="gelu", layer_norm_eps=1e-7,
        conv_kernel_size=3, conv_act="gelu", pad_token_id=0))


def widen(model, generator):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                p.normal_(0.0, 1.0 / max(1, p.shape[-1]) ** 0.5, generator=generator)
            elif "LayerNorm" in name or "layer_norm" in name or "layernorm" in name.lower():
                if name.endswith("weight"):
                    p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=generator))
                else:
                    p.copy_(0.2 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=generator))


def inputs(pad_id, generator):
    lengths = [24, 17, 5]
    seq = max(lengths)
    ids = torch.full((len(lengths), seq), pad_id, dtype=torch.long)
    mask = torch.zeros((len(lengths), seq), dtype=torch.long)
    for row, n in enumerate(lengths):
        body = torch.randint(3, 300, (n,), generator=generator)
        body[body == pad_id] = 5
        ids[row, :n] = body
        mask[row, :n] = 1
    return ids, mask


def main():
    os.makedirs(OUT, exist_ok=True)
    print("torch", torch.__version__, "transformers", transformers.__version__, flush=True)
    manifest = {"torch": torch.__version__, "transformers": transformers.__version__, "models": []}
    for name, model in families():
        try:
            build(name, model, manifest)
        except Exception as error:  # one family's failure must not cost the others' fixtures
            print(f"{name}: FAILED {type(error).__name__}: {error}", flush=True)
    if SPM_CSV:
        try:
            sentencepiece_fixture(os.path.join(OUT, "deberta-v3-spm"))
            manifest["models"].append("deberta-v3-spm")
        except Exception as error:
            print(f"spm: FAILED {type(error).__name__}: {error}", flush=True)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


def build(name, model, manifest):
    if True:
        generator = torch.Generator().manual_seed(1234)
        widen(model, generator)
        model.eval()
        folder = os.path.join(OUT, name)
        try:
            model.save_pretrained(folder, safe_serialization=True)
        except TypeError:  # transformers 5 always writes safetensors
            model.save_pretrained(folder)
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        torch.save(state, os.path.join(folder, "pytorch_model.bin"))
        torch.save(state, os.path.join(folder, "pytorch_model.legacy.bin"), _use_new_zipfile_serialization=False)
        ids, mask = inputs(model.config.pad_token_id or 0, generator)
        with torch.no_grad():
            out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        logits = out.logits
        hidden = out.hidden_states[-1]
        reference = {
            "family": name,
            "model_class": type(model).__name__,
            "input_ids": ids.tolist(),
            "attention_mask": mask.tolist(),
            "logits": logits.tolist(),
            "embedding_output": out.hidden_states[0].tolist(),
            "last_hidden_state": hidden.tolist(),
            "parameters": sum(p.numel() for p in model.parameters()),
        }
        with open(os.path.join(folder, "reference.json"), "w") as f:
            json.dump(reference, f)
        print(f"{name}: {type(model).__name__} logits std {logits.std().item():.3f} "
              f"keys {len(state)} first {list(state)[:3]}", flush=True)
        manifest["models"].append(name)


def sentencepiece_fixture(folder):
    import sentencepiece as spm
    os.makedirs(folder, exist_ok=True)
    with open(SPM_CSV, newline="", encoding="utf-8") as f:
        texts = [row[1] for row in csv.reader(f)][1:]
    corpus = os.path.join(folder, "corpus.txt")
    with open(corpus, "w", encoding="utf-8") as f:
        f.write("\n".join(texts))
    # DeBERTa-v3's spm.model: Unigram, [PAD]=0 [CLS]=1 [SEP]=2 [UNK]=3, byte fallback off.
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=os.path.join(folder, "spm"), vocab_size=1200, model_type="unigram",
        pad_id=0, pad_piece="[PAD]", bos_id=1, bos_piece="[CLS]", eos_id=2, eos_piece="[SEP]",
        unk_id=3, unk_piece="[UNK]", character_coverage=1.0, split_digits=True)
    os.remove(corpus)
    samples = texts[:40] + [
        "Hello world! This is DeBERTa-v3's tokenizer.",
        "  leading and  double  spaces ",
        "numbers 12345 and punctuation ?!... ok",
        "Ünïcödé àccents and emoji 🙂 here",
        "UPPER case Words",
        "",
    ]
    tokenizer = transformers.DebertaV2Tokenizer(vocab_file=os.path.join(folder, "spm.model"), do_lower_case=False)
    tokenizer.save_pretrained(folder)
    cases = []
    for text in samples:
        ids = tokenizer(text, truncation=True, max_length=32)["input_ids"]
        cases.append({"text": text, "ids": ids, "tokens": tokenizer.convert_ids_to_tokens(ids)})
    with open(os.path.join(folder, "reference.json"), "w", encoding="utf-8") as f:
        json.dump({"tokenizer": type(tokenizer).__name__, "max_length": 32, "cases": cases}, f, ensure_ascii=False)
    print("spm:", len(cases), "cases; vocab", tokenizer.vocab_size, "mask id", tokenizer.mask_token_id, flush=True)


if __name__ == "__main__":
    main()
