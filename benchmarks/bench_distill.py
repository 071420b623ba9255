"""LELP vs Hinton KD vs label-only students, with the paper's ablations and controls.

Tasks
1. VADER Amazon review snippets (binary, |sentiment| >= 0.5, 2,985 rows), split 35% teacher /
   35% transfer / 15% validation / 15% test (stratified, fixed). Teacher: frozen MPNet
   (all-mpnet-base-v2, 768-d) + logistic head fitted on the teacher split. Students, trained on
   the transfer split with alpha = 0 (the teacher's targets only): (i) an MLP on frozen MiniLM
   embeddings (384-d), (ii) an MLP on TF-IDF word+bigram features (2,000 columns).
2. digits, odd vs even (binary with real subclasses): teacher = logistic regression on 300
   Nystroem RBF features of the standardised pixels (its embedding); student = an MLP on every
   other pixel (32).
   The oracle row splits each class by the true digit (S = 5).

Methods (same student, same transfer rows; the label-only student uses the transfer labels):
label-only; KD (tau in {1, 2, 4}); LELP (S in {2, 4, 8} x beta in {0.5, 1, 2}); LELP ablations
without the null-space projection, without the rotation; a control with the same C*S head and
random input-independent subclass splits; the oracle (digits); and KD / LELP with alpha = 0.5
(the transfer labels mixed in). tau and (S, beta) are chosen on
the validation split; every configuration is also reported. 5 training seeds, mean +- std of
test accuracy.

Speed: LELP targets for 100,000 x 768 float32 embeddings, 2 classes, S = 8; student vs teacher
inference throughput (rows/s, features included); seconds per training epoch of the skorch
student vs a plain torch loop over the same batches.

    python benchmarks/bench_distill.py --sdist data/vendor/vaderSentiment-3.3.2.tar.gz

Prints tables and writes benchmarks/results/distill.json.
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from common import machine, timed, write_results
from rich.console import Console
from rich.table import Table
from sklearn.datasets import load_digits
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from distilkit import KDDistiller, LELPDistiller, load_vader
from distilkit.distill import targets as lelp
from distilkit.distill.teachers import teacher_signal
from distilkit.scale.embedding import embed_texts

HERE = Path(__file__).resolve().parent
console = Console(width=170)
SEEDS = range(5)
STUDENT = {"hidden_layer_sizes": (128,), "max_epochs": 30, "lr": 1e-3, "batch_size": 64}


def splits(y, seed=0):
    """Stratified 35/35/15/15 index split: teacher, transfer, validation, test."""
    index = np.arange(len(y))
    teacher, rest = train_test_split(index, train_size=0.35, stratify=y, random_state=seed)
    transfer, rest = train_test_split(rest, train_size=35 / 65, stratify=y[rest], random_state=seed)
    validation, test = train_test_split(rest, train_size=0.5, stratify=y[rest], random_state=seed)
    return teacher, transfer, validation, test


def configurations(n_classes, oracle=None):
    """(name, estimator factory, extra fit parameters factory) for every method row."""
    rows = [("label-only", lambda s: KDDistiller(alpha=1.0, random_state=s, **STUDENT), None)]
    for tau in (1.0, 2.0, 4.0):
        rows.append((f"KD tau={tau:g}", lambda s, t=tau: KDDistiller(temperature=t, random_state=s, **STUDENT), None))
    for n_sub in (2, 4, 8):
        for beta in (0.5, 1.0, 2.0):
            rows.append((f"LELP S={n_sub} beta={beta:g}",
                         lambda s, k=n_sub, b=beta: LELPDistiller(k, subclass_temperature=b, random_state=s,
                                                                  **STUDENT), None))
    rows.append(("LELP S=4 beta=1, no null space",
                 lambda s: LELPDistiller(4, null_space=False, random_state=s, **STUDENT), None))
    rows.append(("LELP S=4 beta=1, no rotation",
                 lambda s: LELPDistiller(4, rotate=False, random_state=s, **STUDENT), None))
    rows.append(("KD tau=2, alpha=0.5 (with labels)",
                 lambda s: KDDistiller(temperature=2.0, alpha=0.5, random_state=s, **STUDENT), None))
    rows.append(("LELP S=4 beta=1, alpha=0.5 (with labels)",
                 lambda s: LELPDistiller(4, alpha=0.5, random_state=s, **STUDENT), None))
    rows.append(("control: random splits S=4",
                 lambda s: LELPDistiller(4, random_state=s, **STUDENT),
                 lambda n, s: {"subclass_coordinates": np.random.default_rng(1000 + s).normal(size=(n, n_classes, 4))}))
    if oracle is not None:
        rows.append(("oracle subclasses S=5", lambda s: LELPDistiller(5, random_state=s, **STUDENT),
                     lambda n, s: {"subclass_coordinates": oracle}))
    return rows


def run_task(name, X_student, y, signal, parts, oracle=None):
    """Fit every configuration for every seed; accuracy on validation and test."""
    _, transfer, validation, test = parts
    teacher_acc = float((signal.logits[test].argmax(axis=1) == np.searchsorted(signal.classes, y[test])).mean())
    results = {}
    for label, make, extra in configurations(len(signal.classes),
                                             None if oracle is None else oracle[transfer]):
        val, tst = [], []
        for seed in SEEDS:
            student = make(seed)
            fit_params = {} if label == "label-only" else {
                "teacher_logits": signal.logits[transfer], "teacher_embeddings": signal.embeddings[transfer],
                "teacher_head": (signal.head_weights, signal.head_bias)}
            if extra is not None:
                fit_params.update(extra(len(transfer), seed))
            labels = y[transfer] if student.alpha > 0 else None  # alpha = 0: the teacher only
            student.fit(X_student[transfer], labels, **fit_params)
            val.append(float((student.predict(X_student[validation]) == y[validation]).mean()))
            tst.append(float((student.predict(X_student[test]) == y[test]).mean()))
        results[label] = {"val_mean": float(np.mean(val)), "test_mean": float(np.mean(tst)),
                          "test_std": float(np.std(tst)), "test": tst}
        console.print(f"  {name}: {label}: test {np.mean(tst):.4f} ± {np.std(tst):.4f}")
    return {"teacher_test_accuracy": teacher_acc, "n_transfer": len(transfer), "n_test": len(test),
            "methods": results}


def summarise(results):
    """Choose KD's tau and LELP's (S, beta) on validation among the alpha = 0 grid rows."""
    per_task = {}
    for name, block in results.items():
        methods = block["methods"]

        def chosen(prefix):
            return max((k for k in methods if k.startswith(prefix) and "," not in k),
                       key=lambda k: methods[k]["val_mean"])

        block["selected"] = {"KD": chosen("KD tau="), "LELP": chosen("LELP S=")}
        kd, lelp_row = methods[block["selected"]["KD"]], methods[block["selected"]["LELP"]]
        per_task[name] = {"teacher": block["teacher_test_accuracy"], "label_only": methods["label-only"]["test_mean"],
                          "kd": kd["test_mean"], "lelp": lelp_row["test_mean"],
                          "lelp_minus_kd": lelp_row["test_mean"] - kd["test_mean"]}
    return {"per_task": per_task,
            "mean_lelp_minus_kd": float(np.mean([r["lelp_minus_kd"] for r in per_task.values()]))}


def vader_tasks(sdist, cache_dir):
    frame = load_vader("amazonReviewSnippets", sdist)
    texts, y = frame["text"].tolist(), frame["label"].to_numpy()
    parts = splits(y)
    teacher_rows = parts[0]
    start = time.perf_counter()
    mpnet = embed_texts(texts, "mpnet", cache_dir)
    minilm = embed_texts(texts, "minilm", cache_dir)
    console.print(f"embeddings ready in {time.perf_counter() - start:.1f} s")
    labelled = np.zeros(len(y), dtype=bool)
    labelled[teacher_rows] = True
    signal = teacher_signal(LogisticRegression(max_iter=5000), mpnet, y, labelled)
    tfidf = TfidfVectorizer(ngram_range=(1, 2), max_features=2000, sublinear_tf=True).fit(
        [texts[i] for i in parts[1]])
    bag = tfidf.transform(texts).toarray().astype(np.float32)
    return {
        "vader_amazon_mpnet_to_minilm_mlp": (minilm, y, signal, parts, None),
        "vader_amazon_mpnet_to_tfidf_mlp": (bag, y, signal, parts, None),
    }, {"texts": texts, "tfidf": tfidf, "signal": signal}


def digits_task():
    X, digit = load_digits(return_X_y=True)
    y = digit % 2
    parts = splits(y)
    labelled = np.zeros(len(y), dtype=bool)
    labelled[parts[0]] = True
    teacher = make_pipeline(StandardScaler(), Nystroem(gamma=0.01, n_components=300, random_state=0),
                            LogisticRegression(C=10.0, max_iter=5000))
    signal = teacher_signal(teacher, X, y, labelled)
    oracle = np.zeros((len(y), 2, 5))
    oracle[np.arange(len(y)), y, digit // 2] = 5.0
    return {"digits_odd_even_pixels_to_half_pixels_mlp": (X[:, ::2].astype(np.float32), y, signal, parts, oracle)}


def target_seconds():
    rng = np.random.default_rng(0)
    H = rng.normal(size=(100_000, 768)).astype(np.float32)
    W = rng.normal(size=(2, 768))
    logits = H @ W.T.astype(np.float32)
    groups = logits.argmax(axis=1)

    def build():
        means, directions = lelp.class_subspaces(H, groups, 2, 8, row_basis=lelp.head_row_space(W), rng=rng)
        z = lelp.subclass_coordinates(H, means, directions)
        lelp.pseudo_subclass_targets(logits, z)

    return timed(build)


def throughput(context, X_minilm):
    """Rows per second: teacher (MPNet encoding + head) vs students (features + MLP)."""
    from distilkit.encoders import encode_texts

    texts = context["texts"][:300]
    signal = context["signal"]
    teacher_s = timed(lambda: encode_texts(texts, "mpnet") @ signal.head_weights.T, repeats=1)
    minilm_s = timed(lambda: encode_texts(texts, "minilm"), repeats=1)
    student = KDDistiller(random_state=0, **STUDENT).fit(X_minilm[:500], teacher_logits=signal.logits[:500])
    mlp_s = timed(lambda: student.predict_proba(np.repeat(X_minilm[:300], 10, axis=0)))
    tfidf_student = KDDistiller(random_state=0, **STUDENT).fit(
        context["tfidf"].transform(context["texts"][:500]).toarray(), teacher_logits=signal.logits[:500])
    tfidf_s = timed(lambda: tfidf_student.predict_proba(context["tfidf"].transform(texts * 10).toarray()))
    return {
        "teacher_mpnet_head_rows_per_s": len(texts) / teacher_s,
        "student_minilm_mlp_rows_per_s": len(texts) / (minilm_s + mlp_s / 10),
        "student_tfidf_mlp_rows_per_s": len(texts) * 10 / tfidf_s,
    }


def epoch_seconds(X, logits, epochs=20):
    """The skorch student vs a plain torch loop: same net, loss, batches and optimizer."""
    import torch

    from distilkit.distill.loss import DistillationLoss, StudentMLP
    from distilkit.neural.batching import BatchIndexSampler
    from distilkit.neural.threads import torch_threads

    X = StandardScaler().fit_transform(X).astype(np.float32)
    soft = torch.softmax(torch.as_tensor(logits, dtype=torch.float32), dim=1)
    target = torch.cat([soft, -torch.ones(len(X), 1)], dim=1)
    params = {**STUDENT, "max_epochs": epochs}

    def skorch_fit():
        KDDistiller(random_state=0, standardize=False, **params).fit(X, teacher_logits=logits)

    def plain_fit():
        with torch_threads(1):
            torch.manual_seed(0)
            module = StudentMLP(X.shape[1], 2, STUDENT["hidden_layer_sizes"])
            optimizer = torch.optim.Adam(module.parameters(), lr=STUDENT["lr"])
            criterion = DistillationLoss(1, 1.0, 0.0)
            inputs = torch.from_numpy(X)
            sampler = BatchIndexSampler(len(X), STUDENT["batch_size"], seed=0)
            for _ in range(epochs):
                for batch in sampler:
                    optimizer.zero_grad()
                    loss = criterion(module(inputs[batch]), target[batch])
                    loss.backward()
                    optimizer.step()

    skorch_s, plain_s = timed(skorch_fit, 5) / epochs, timed(plain_fit, 5) / epochs
    return {"skorch_s_per_epoch": skorch_s, "plain_torch_s_per_epoch": plain_s, "ratio": skorch_s / plain_s,
            "rows": len(X), "epochs": epochs}


def print_tables(document):
    for task, block in document["tasks"].items():
        table = Table(title=f"{task}: test accuracy, mean ± std over {len(SEEDS)} seeds "
                            f"(teacher {block['teacher_test_accuracy']:.4f}; {block['n_transfer']} transfer rows, "
                            f"{block['n_test']} test rows; * = chosen on validation)")
        for column in ("method", "validation", "test"):
            table.add_column(column)
        chosen = set(block["selected"].values())
        for label, row in block["methods"].items():
            table.add_row(label + (" *" if label in chosen else ""), f"{row['val_mean']:.4f}",
                          f"{row['test_mean']:.4f} ± {row['test_std']:.4f}")
        console.print(table)
    summary = Table(title="Selected KD vs selected LELP (test accuracy)")
    for column in ("task", "teacher", "label-only", "KD", "LELP", "LELP − KD"):
        summary.add_column(column)
    for task, row in document["summary"]["per_task"].items():
        summary.add_row(task, f"{row['teacher']:.4f}", f"{row['label_only']:.4f}", f"{row['kd']:.4f}",
                        f"{row['lelp']:.4f}", f"{row['lelp_minus_kd']:+.4f}")
    console.print(summary)
    console.print(f"mean LELP − KD over tasks: {document['summary']['mean_lelp_minus_kd']:+.4f}")
    console.print(f"speed: {json.dumps(document['speed'], indent=1)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sdist", required=True, help="vaderSentiment-3.3.2.tar.gz")
    parser.add_argument("--cache-dir", type=Path, default=HERE / "cache")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "distill.json")
    parser.add_argument("--summarise-only", action="store_true",
                        help="re-derive the selection and summary of an existing --out file and print it")
    args = parser.parse_args()
    if args.summarise_only:
        document = json.loads(args.out.read_text())
        document["summary"] = summarise(document["tasks"])
        print_tables(document)
        write_results(document, args.out, console)
        return
    warnings.simplefilter("ignore", FutureWarning)
    vader, context = vader_tasks(args.sdist, args.cache_dir)
    tasks = {**vader, **digits_task()}
    results = {}
    for name, (X, y, signal, parts, oracle) in tasks.items():
        console.print(f"task {name}")
        results[name] = run_task(name, X, y, signal, parts, oracle)
    minilm = tasks["vader_amazon_mpnet_to_minilm_mlp"]
    speed = {"lelp_targets_100000x768_S8_s": target_seconds(),
             **throughput(context, minilm[0]),
             "epoch": epoch_seconds(minilm[0][minilm[3][1]], minilm[2].logits[minilm[3][1]])}
    document = {
        "benchmark": "distill",
        "machine": machine(),
        "student": {k: list(v) if isinstance(v, tuple) else v for k, v in STUDENT.items()},
        "tasks": results,
        "summary": summarise(results),
        "speed": speed,
    }
    print_tables(document)
    write_results(document, args.out, console)


if __name__ == "__main__":
    main()
