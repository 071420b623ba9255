"""Write the few-labels distillation demo's tables from a VADER sentiment set.

A fixed stratified 20% test split; from the rest, ``--labels`` snippets keep their label
(stratified) and every other one is an unlabelled transfer row:

- ``labelled.csv``: ``id``, ``text``, ``label`` ("negative" / "positive");
- ``unlabeled.csv``: ``id``, ``text``;
- ``test.csv``: ``id``, ``text``, ``label``.

    python examples/vader_few_labels.py --sdist data/vendor/vaderSentiment-3.3.2.tar.gz --out-dir data/demo
"""

import argparse
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from distilkit import load_vader


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sdist", required=True, help="vaderSentiment-3.3.2.tar.gz")
    parser.add_argument("--dataset", default="movieReviewSnippets")
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--labels", type=int, default=300, help="labelled snippets")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    frame = load_vader(args.dataset, args.sdist)
    frame["label"] = np.where(frame["label"] == 1, "positive", "negative")
    frame = frame[["id", "text", "label"]]
    pool, test = train_test_split(frame, test_size=0.2, stratify=frame["label"], random_state=args.seed)
    labelled, unlabeled = train_test_split(pool, train_size=args.labels, stratify=pool["label"],
                                           random_state=args.seed)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    labelled.to_csv(args.out_dir / "labelled.csv", index=False)
    unlabeled.drop(columns="label").to_csv(args.out_dir / "unlabeled.csv", index=False)
    test.to_csv(args.out_dir / "test.csv", index=False)
    print(f"{args.dataset}: {len(labelled):,} labelled, {len(unlabeled):,} unlabelled, {len(test):,} test snippets "
          f"in {args.out_dir}")


if __name__ == "__main__":
    main()
