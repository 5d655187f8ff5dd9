"""Reference ids for a DeBERTa-v3-style spm.model: sentencepiece's own encoder (which DeBERTa's slow
tokenizer wraps) with [CLS] … [SEP], and transformers' DebertaV2Tokenizer loaded from the folder.

    python3 tools/reference/spm_reference.py FOLDER_WITH_spm.model SAMPLES.json
"""
import json, os, sys
import sentencepiece as spm
import transformers

folder, samples_path = sys.argv[1], sys.argv[2]
samples = json.load(open(samples_path, encoding="utf-8"))
processor = spm.SentencePieceProcessor(model_file=os.path.join(folder, "spm.model"))
cases = []
for text in samples:
    pieces = processor.encode(text, out_type=str)
    ids = [1] + processor.encode(text)[:30] + [2]
    cases.append({"text": text, "ids": ids, "pieces": pieces[:30]})
result = {"source": f"sentencepiece {spm.__version__}", "max_length": 32, "cases": cases}
try:
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "DebertaV2Tokenizer", "do_lower_case": False, "model_max_length": 32,
                   "bos_token": "[CLS]", "eos_token": "[SEP]", "unk_token": "[UNK]", "sep_token": "[SEP]",
                   "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}, f)
    for stale in ("tokenizer.json",):
        if os.path.exists(os.path.join(folder, stale)): os.remove(os.path.join(folder, stale))
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    hf = [tokenizer(c["text"], truncation=True, max_length=32)["input_ids"] for c in cases]
    result["transformers"] = {"class": type(tokenizer).__name__, "vocab": tokenizer.vocab_size, "ids": hf,
                              "agree": sum(h == c["ids"] for h, c in zip(hf, cases))}
    print("transformers", type(tokenizer).__name__, "agrees on", result["transformers"]["agree"], "of", len(cases))
except Exception as error:
    print("transformers tokenizer failed:", error)
json.dump(result, open(os.path.join(folder, "reference.json"), "w", encoding="utf-8"), ensure_ascii=False)
print(len(cases), "cases;", cases[0])
