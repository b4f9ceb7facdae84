#!/usr/bin/env python3
"""Builds the training corpus (pl.jsonl, de.jsonl, uk.jsonl) from the hand-written
sentences in pl.py, de.py and uk.py. Training data only, never evaluation data.

Each hand-written sentence is filled in with brands of its domain (inflected forms from
the language's brand table), with light variation: lower-cased brand, stripped
diacritics, an added emoji that agrees with the label. Contrast posts are composed from
short aspect judgements ("tanio, ale obsługa dramat" is negative, the reverse order
positive). Every example made from one sentence shares a `group`, so cross-validation
folds never split near-copies. Deterministic (fixed seed).

    python3 crates/sentiment/train/make_corpus.py
"""

import importlib.util
import json
import os
import random
import re
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
SLOT = re.compile(r"\{([BO])([ngdail]?)\}|\{([pnc])\}")


def load(lang):
    spec = importlib.util.spec_from_file_location(lang, os.path.join(HERE, f"{lang}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def strip_diacritics(s):
    s = s.replace("ł", "l").replace("Ł", "L")
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def fill(template, forms_b, forms_o, parts, rng, lower_brand):
    """The text, and the byte spans of B and O. A form may mark its span with [..]."""
    out = ""
    spans = {"B": [], "O": []}
    pos = 0
    for m in SLOT.finditer(template):
        out += template[pos : m.start()]
        pos = m.end()
        if m.group(3):
            out += parts[m.group(3)]
            continue
        who, case = m.group(1), m.group(2) or "n"
        forms = forms_b if who == "B" else forms_o
        form = forms[case]
        if lower_brand and who == "B":
            form = form.lower()
        if "[" in form:
            before, rest = form.split("[", 1)
            inside, after = rest.split("]", 1)
        else:
            before, inside, after = "", form, ""
        out += before
        start = len(out.encode())
        out += inside
        spans[who].append([start, len(out.encode())])
        out += after
    out += template[pos:]
    return out, spans


def examples_of(lang, mod, rng):
    domains = mod.BRANDS
    rows = []

    def emit(group, template, domain, labels, parts=None, variants=2):
        brands = list(domains[domain].items())
        chosen = rng.sample(brands, min(variants, len(brands)))
        for name, forms in chosen:
            others = [b for d in domains.values() for b in d.items() if b[0] != name]
            same = [b for b in brands if b[0] != name]
            oname, oforms = rng.choice(same or others)
            lower = rng.random() < 0.15
            tmpl, f_b, f_o, prts = template, forms, oforms, parts or {}
            if lang == "pl" and rng.random() < 0.1:
                tmpl = strip_diacritics(tmpl)
                f_b = {k: strip_diacritics(v) for k, v in f_b.items()}
                f_o = {k: strip_diacritics(v) for k, v in f_o.items()}
                prts = {k: strip_diacritics(v) for k, v in prts.items()}
            text, spans = fill(tmpl, f_b, f_o, prts, rng, lower)
            label = labels[0]
            if label != "neutral" and rng.random() < 0.2:
                text += " " + rng.choice(mod.POSITIVE_EMOJI if label == "positive" else mod.NEGATIVE_EMOJI)
            rows.append(dict(text=text, language=lang, brand=name, spans=spans["B"], sentiment=label, group=group))
            if len(labels) > 1 and spans["O"]:
                rows.append(dict(text=text, language=lang, brand=oname, spans=spans["O"], sentiment=labels[1], group=group))

    for k, entry in enumerate(mod.SENTENCES):
        domain, template, *labels = entry
        emit(f"{lang}-s{k}", template, domain, labels)
    # Contrast posts: the clause after the contrast word decides.
    k = 0
    for domain in domains:
        frames = mod.FRAMES if domain == "shop" else mod.FRAMES_PARCEL
        for _ in range(60 if domain == "shop" else 30):
            frame = rng.choice(frames)
            p = rng.choice(mod.POSITIVE_ASPECTS)
            n = rng.choice(mod.NEGATIVE_ASPECTS)
            if rng.random() < 0.3:
                n = rng.choice(mod.INTENSIFIERS) + " " + n if not n[0].isupper() else n
            c = rng.choice(mod.CONTRASTS)
            if rng.random() < 0.5:
                emit(f"{lang}-c{k}", frame, domain, ["negative"], dict(p=p, n=n, c=c), variants=1)
            else:
                emit(f"{lang}-c{k}", frame, domain, ["positive"], dict(p=n, n=p, c=c), variants=1)
            k += 1
    return rows


def main():
    for lang in ["pl", "de", "uk"]:
        path = os.path.join(HERE, f"{lang}.py")
        if not os.path.exists(path):
            continue
        mod = load(lang)
        rng = random.Random(15)
        rows = examples_of(lang, mod, rng)
        with open(os.path.join(HERE, f"{lang}.jsonl"), "w", encoding="utf-8") as f:
            for r in rows:
                for s, e in r["spans"]:
                    assert r["text"].encode()[s:e], (r, s, e)
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        counts = {c: sum(r["sentiment"] == c for r in rows) for c in ["negative", "neutral", "positive"]}
        print(lang, len(rows), counts)


if __name__ == "__main__":
    main()
