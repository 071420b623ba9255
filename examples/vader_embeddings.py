"""Turn a VADER sentiment set into tables of frozen MiniLM embeddings for the CLI.

Writes ``train.parquet``, ``test.parquet`` (70/30 stratified split) and
``train_<k>shot.parquet`` (k labelled rows per class drawn from train) with columns
``id``, ``text``, ``label`` ("negative"/"positive"), ``emb_0`` ... ``emb_383`` (the
teacher-side MiniLM embeddings) and ``lsa_0`` ... (cheap student-side features: TF-IDF
word and bigram counts reduced by truncated SVD, both fitted on the training split).

    python examples/vader_embeddings.py --sdist data/vendor/vaderSentiment-3.3.2.tar.gz --out-dir data/demo
"""

import argparse
import time
from pathlib import Path

import pandas as pd
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from distilkit import encode_texts, load_vader
from distilkit.io import write_table


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sdist", required=True, help="vaderSentiment-3.3.2.tar.gz")
    parser.add_argument("--dataset", default="amazonReviewSnippets")
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--shots", type=int, default=16, help="labelled rows per class in the few-shot table")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lsa", type=int, default=100, help="dimensions of the TF-IDF/SVD student features")
    args = parser.parse_args()

    frame = load_vader(args.dataset, args.sdist)
    start = time.perf_counter()
    embeddings = encode_texts(frame["text"], "minilm", progress=True)
    print(f"embedded {len(frame):,} {args.dataset} sentences in {time.perf_counter() - start:.1f} s")
    table = pd.concat(
        [
            frame[["id", "text"]],
            frame["label"].map({0: "negative", 1: "positive"}).rename("label"),
            pd.DataFrame(embeddings, columns=[f"emb_{j}" for j in range(embeddings.shape[1])]),
        ],
        axis=1,
    )
    train, test = train_test_split(table, test_size=0.3, stratify=table["label"], random_state=args.seed)
    lsa = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                        TruncatedSVD(args.lsa, random_state=args.seed)).fit(train["text"])
    columns = [f"lsa_{j}" for j in range(args.lsa)]
    train, test = (pd.concat([part.reset_index(drop=True),
                              pd.DataFrame(lsa.transform(part["text"]), columns=columns)], axis=1)
                   for part in (train, test))
    few = train.groupby("label").sample(n=args.shots, random_state=args.seed)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name, part in [("train", train), ("test", test), (f"train_{args.shots}shot", few)]:
        write_table(part.reset_index(drop=True), args.out_dir / f"{name}.parquet")
        print(f"wrote {args.out_dir / name}.parquet: {len(part):,} rows")


if __name__ == "__main__":
    main()
