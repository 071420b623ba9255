"""``distilkit distill``: a teacher distilled into a small student on a raw table."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from distilkit.cli.errors import command_errors
from distilkit.cli.options import (
    Dask,
    Exclude,
    Features,
    Quiet,
    Target,
    check_outputs,
    show_roles,
    shown_progress,
)
from distilkit.cli.render import candidates_table, console, key_value_table


@command_errors
def distill(
    data: Annotated[str, typer.Argument(help="Labelled training table: .csv, .parquet, or '-' for CSV on stdin.")],
    target: Target,
    teacher: Annotated[str, typer.Option(
        help="minilm, mpnet, a local sentence-transformers folder (embeds --text) or Hugging Face classifier "
        "folder (its logits teach, its id2label names the classes), embeddings:<columns> "
        "(e.g. 'embeddings:emb_*'), probs:<columns> or logits:<columns> (the teacher's outputs, one column "
        "per class: 'probs:p_*' takes the class from the part '*' matches, or 'probs:neg=colA,pos=colB'), or a "
        ".dkm model (linear: every method; any classifier: kd).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Student model file to write (.dkm).")],
    features: Features = None,
    exclude: Exclude = None,
    teacher_embeddings: Annotated[Optional[str], typer.Option(
        help="With a probs:/logits: teacher: its embedding columns (names or globs, comma-separated), which "
        "--method lelp needs.")] = None,
    method: Annotated[str, typer.Option(
        help="lelp, kd, labels (the student on labels only), kmeans or random (the LELP paper's "
        "pseudo-subclass baselines), or auto (the best of labels/KD/LELP by CV on the labelled rows).")] = "lelp",
    student: Annotated[str, typer.Option(
        help="mlp (one hidden layer of 128) or linear; tfidf-mlp / tfidf-linear name the same students "
        "reading the raw --text column, tfidf-sparse the same MLP on every TF-IDF column (no SVD); static reads --text "
        "only, as the mean of token vectors distilled from the "
        "teacher's encoder (MiniLM when it has none), fine-tuned with its head.")] = "mlp",
    text: Annotated[Optional[str], typer.Option(help="Text column the encoder teacher embeds.")] = None,
    unlabeled: Annotated[Optional[str], typer.Option(
        help="Extra unlabelled transfer rows (same feature/teacher columns, no target).")] = None,
    cache_dir: Annotated[Path, typer.Option(help="Where encoder embeddings are cached (Parquet).")] = Path(
        ".distilkit-cache"),
    param: Annotated[
        Optional[list[str]], typer.Option("--param", "-p", help="Student hyperparameter as key=value (repeatable).")
    ] = None,
    teacher_backend: Annotated[str, typer.Option(
        help="How a packaged encoder teacher runs: torch, onnx, or onnx-int8 (ONNX Runtime; exported once "
        "from the packaged weights and cached). int8 about doubles the teacher pass; it is offered for "
        "minilm only (MPNet lost 3.6 points of accuracy quantised).")] = "torch",
    save_teacher: Annotated[Optional[Path], typer.Option(
        help="Also save the teacher as a model file (a packaged encoder by name, a model folder by path and the "
        "digest of its files, with its head), so evaluate times it.")] = None,
    dask: Dask = None,
    quiet: Quiet = False,
):
    """Distil a teacher into a small student network and save the student as a model file.

    The student sees --features (default: every column that is neither the target, the
    text nor the teacher's embeddings); the teacher's logits and embeddings give the
    targets: Hinton KD (--method kd), LELP pseudo-subclasses (--method lelp), or none
    (--method labels trains the same student on the labels).
    """
    from distilkit.cli.params import parse_params
    from distilkit.workflows import distill_table

    check_outputs(output, save_teacher, inputs=(data, unlabeled, teacher))
    with shown_progress(quiet):
        result = distill_table(data, target=target, teacher=teacher, method=method, student=student, text=text,
                               unlabeled=unlabeled, params=parse_params(param or ()), features=features,
                               exclude=exclude or (), teacher_backend=teacher_backend, cache_dir=cache_dir,
                               keep_teacher=save_teacher is not None, dask=dask,
                               teacher_embeddings=teacher_embeddings)
    result.save(output)
    if save_teacher is not None:
        result.save_teacher(save_teacher)
    if quiet:
        return
    show_roles(result.roles, f"student columns of {data}")
    if result.candidates is not None:
        console.print(candidates_table("methods: accuracy on held-out labelled rows (3-fold CV)",
                                       [(row["name"], row["mean"], row["std"]) for row in result.candidates],
                                       result.chosen))
    console.print(key_value_table(f"distilled {teacher} -> {student} ({result.method})",
                                  [*result.summary, ("model file", str(output))]))


def register(app):
    app.command(epilog="Example: distilkit distill train.parquet --target label --features 'lsa_*' "
                "--teacher 'embeddings:emb_*' --method lelp -p n_subclasses=4 -o lelp.dkm")(distill)
