"""The adversarial corpus: bad input of every kind a hostile or careless user has tried.

Each case runs one CLI command and must end with exit code 2 and exactly one line
``error: ...`` naming the problem -- no traceback, no file left behind (outputs go to a
fresh folder that must stay empty; the shared inputs must stay as they were), nothing
written to the home, working or temporary folder, no connection beyond this machine, and a
peak resident memory within ``PEAK_RSS_MB`` of what the process held before the command.
Add a case here whenever a new way to break distilkit is found.
"""

import io
import json
import re
import zipfile
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import tiny_models
from typer.testing import CliRunner

from adversarial import hostile_files as hostile
from distilkit import AnyLossClassifier, save_model
from distilkit.cli import app

PEAK_RSS_MB = 200


@dataclass(frozen=True)
class Case:
    """A command line with ``{input}`` names from the workspace and ``{out}``, and the error it must give."""

    args: str
    fragment: str
    stdin: str = None


def markup_cases():
    """1. User text (paths, columns, run names) is never read as rich markup."""
    return {
        "path with a closing tag": Case("fit nbhead x[/].csv -t label -o {out}/m.dkm", "x[/].csv: no such file"),
        "target with a tag": Case("fit nbhead {ok} -t [bold]nope -o {out}/m.dkm", "'[bold]nope' not found"),
        "feature pattern with brackets": Case("fit nbhead {ok} -t label -f a,[red]z -o {out}/m.dkm", "[red]z"),
    }


def silent_wrong_answer_cases():
    """2. Inputs that once gave NaN or wrong outputs with exit 0."""
    return {
        "near-overflow features": Case("fit nbhead {huge} -t label -o {out}/m.dkm", "its square overflows"),
        "amplifier 1e308": Case("fit anyloss {ok} -t label -p amplifier=1e308 -o {out}/m.dkm",
                                "training diverged"),
        "NaN coefficients in a model file": Case("predict {nan_coef} {ok} -o {out}/p.csv",
                                                  "non-finite probabilities"),
        "id column named like an output": Case("predict {tiny} {with_prediction} --id-column prediction "
                                               "-o {out}/p.csv", "has the name of an output column"),
        "NaN label": Case("fit nbhead {nan_label} -t label -o {out}/m.dkm", "label"),
        "one class only": Case("fit nbhead {one_class} -t label -o {out}/m.dkm", "only one class"),
        "unseen labels at evaluate": Case("evaluate {tiny} {other}", "were not seen when the model was fitted"),
    }


def hyperparameter_cases():
    """3. Every element and range of a hyperparameter is checked, as MLPClassifier does."""
    fit = "fit anyloss {ok} -t label -o {out}/m.dkm -p "
    return {
        "negative layer": Case(fit + "hidden_layer_sizes=[-5]", "hidden_layer_sizes"),
        "a network size it sets itself": Case(fit + "module__n_features=3", "sets 'module__n_features' itself"),
        "a network parameter it lacks": Case(fit + "module__n_outputs=3", "has no parameter 'n_outputs' to route"),
        "a distiller's network size": Case("distill {ok} -t label --teacher embeddings:a,b --method kd "
                                           "-p module__n_outputs=9 -o {out}/m.dkm", "sets 'module__n_outputs' itself"),
        "empty layer": Case(fit + "hidden_layer_sizes=[0]", "hidden_layer_sizes"),
        "text layer": Case(fit + 'hidden_layer_sizes=["x"]', "hidden_layer_sizes"),
        "lr 1e308": Case(fit + "lr=1e308", "AnyLossClassifier training"),
        "boolean epochs": Case(fit + "max_epochs=true", "max_epochs"),
        "zero batch": Case(fit + "batch_size=0", "batch_size"),
        "unknown routed parameter": Case(fit + "iterator_valid__num_workers=2", "iterator_valid__num_workers"),
        "negative smoothing": Case("fit nbhead {ok} -t label -p var_smoothing=-1 -o {out}/m.dkm",
                                   "'var_smoothing' parameter of NaiveBayesHead"),
        "unknown option value": Case("fit nbhead {ok} -t label -p scaler=zscore -o {out}/m.dkm", "'scaler' parameter"),
        "unknown parameter": Case("fit nbhead {ok} -t label -p bogus=1 -o {out}/m.dkm", "unknown parameter 'bogus'"),
        "not key=value": Case("fit nbhead {ok} -t label -p novalue -o {out}/m.dkm", "not of the form key=value"),
        "ordinal ratio out of range": Case("fit presto {ratings} -t rating -p order=low,mid,high "
                                           "-p lambda_min_ratio=2 -o {out}/m.dkm",
                                           "'lambda_min_ratio' parameter of PrestoOrdinalCV"),
        "ordinal crossing policy": Case("fit presto {ratings} -t rating -p order=low,mid,high -p crossing=ignore "
                                        "-o {out}/m.dkm", "'crossing' parameter"),
        "ordinal order missing a label": Case("fit presto {ratings} -t rating -p order=low,high -o {out}/m.dkm",
                                              "label 'mid' is not one of classes"),
        "ordinal order naming a stranger": Case("fit presto {ratings} -t rating -p order=low,mid,top "
                                                "-o {out}/m.dkm", "class order names 'top', which is not a label"),
        "ordinal strings without order": Case("fit presto {ratings} -t rating -o {out}/m.dkm",
                                              "string labels need an order: give the classes parameter"),
        "anyloss metric": Case("fit anyloss {ok} -t label -p metric=auc -o {out}/m.dkm",
                               "'metric' parameter of AnyLossClassifier"),
    }


def model_file_cases():
    """4. Malformed, foreign, damaged and hostile model files: each read error is one line."""
    cases = {
        "missing": Case("predict {out}/absent.dkm {ok}", "no such model file"),
        "pickle": Case("evaluate {pickle} {ok}", "not a zip archive"),
        "truncated": Case("predict {truncated} {ok} -o {out}/p.csv", "model file"),
        "foreign zip": Case("inspect {foreign}", "not a distilkit model file"),
        "format 1": Case("evaluate {format1} {ok}", "format 1 (distilkit 0.1) is no longer read; re-fit the model"),
        "wrong JSON types": Case("inspect {wrong_types}", "'params' is not a dict"),
        "corrupted deflate data": Case("predict {flipped} {ok}", "corrupt model file"),
        "unknown skorch setting": Case("predict {unknown_setting} {ok}", "has no parameter 'compile'"),
        "a regressor": Case("predict {regressor} {ok}", "(LinearRegression) is not a fitted classifier"),
        "a clusterer": Case("evaluate {clusterer} {ok}", "(KMeans) is not a fitted classifier: it has no classes_"),
        "SVC without probabilities": Case("predict {svc} {ok}", "(SVC) has no predict_proba"),
        "a regressor as a teacher": Case("distill {ok} -t label --teacher {regressor} --method kd -f c "
                                         "-o {out}/s.dkm", "is not a fitted classifier"),
    }
    for name, (_, fragment) in HOSTILE.items():
        cases[f"hostile: {name}"] = Case("predict {hostile: " + name + "} {ok}", fragment)
    for name, fragment in hostile.STATIC_CASES.items():
        cases[f"static: {name}"] = Case("predict {static: " + name + "} {reviews} -o {out}/p.csv", fragment)
    for name, fragment in hostile.STATE_CASES.items():
        cases[f"state: {name}"] = Case("predict {state: " + name + "} {ok} -o {out}/p.csv", fragment)
    # inspect describes the model that predicts: it loads and checks the whole file too.
    for name in ("distilkit.json: other classes", "distilkit.json: another estimator", "an attribute its class lacks"):
        cases[f"inspect, state: {name}"] = Case("inspect {state: " + name + "} -q", hostile.STATE_CASES[name])
    for name, (_, fragment) in HOSTILE_ENCODERS.items():
        cases[f"encoder: {name}"] = Case("predict {encoder: " + name + "} {reviews} -o {out}/p.csv", fragment)
    return cases


HOSTILE = {"inflates past the limit": (None, "inflates past the"), "lying size": (None, "corrupt array 'liar.npy'"),
           "absurd shape": (None, "declares shape (1000000000000,)"),
           "huge network": (None, "do not fit the network"), "deep nesting": (None, "corrupt model file")}

#: A model file names its encoder: no name may reach a model hub, run an exporter or read another folder.
_NOT_AN_ENCODER = "neither a packaged encoder nor an absolute model folder path"
HOSTILE_ENCODERS = {
    "a model hub id": ({"model": "sentence-transformers/all-MiniLM-L6-v2"}, _NOT_AN_ENCODER),
    "a local folder run by onnx": ({"model": "/tmp/x+onnx"}, _NOT_AN_ENCODER),
    "a traversal path": ({"model": "../../tmp/x+onnx"}, _NOT_AN_ENCODER),
    "an unknown backend": ({"model": "minilm+tensorrt"}, _NOT_AN_ENCODER),
    "a relative folder": ({"model": "encoder-folder"}, _NOT_AN_ENCODER),
    "normalize as text": ({"normalize": "yes"}, "'normalize' parameter of SentenceEncoder"),
    "batch size zero": ({"batch_size": 0}, "'batch_size' parameter of SentenceEncoder"),
    "a packaged encoder pinned by a digest": ({"folder_digest_": "0" * 64}, "is pinned by a folder digest"),
    "a folder pinned by a malformed digest": ({"model": "/tmp", "folder_digest_": "abc"},
                                              "no valid digest pins its files"),
    "a folder that is no model": ({"model": "/tmp", "folder_digest_": "0" * 64}, "/tmp: neither a"),
}


def metrics_json_cases():
    """5. Malformed metrics files for ``report``."""
    return {
        "not JSON": Case("report {not_json}", "not a JSON file"),
        "not a metrics file": Case("report {hello_json}", "not a distilkit metrics file"),
        "missing metrics file": Case("report {out}/z.json", "no such file"),
        "metrics not a table": Case("report {metrics_no_table}", "'metrics' is not a table"),
        "metric is text": Case("report {metric_text}", "metric 'accuracy' is str"),
        "metric is a list": Case("report {metric_list}", "metric 'accuracy' is list"),
        "name is a list": Case("report {name_list}", "'name' is list, not a string"),
        "roc without fpr": Case("report {roc_no_fpr}", "curve 'roc' has no column 'fpr'"),
        "reliability without confidence": Case("report {reliability_no_confidence}",
                                               "curve 'reliability' has no column 'confidence'"),
        "target is a list": Case("report {target_list}", "'target' is list, not a string"),
        "row count is a dict": Case("report {n_samples_dict}", "'n_samples' is not a count of rows"),
        "fingerprint is a list": Case("report {fingerprint_list}", "'labels_fingerprint' is list, not a string"),
        "deep nesting": Case("report {deep_json}", "not a JSON file"),
        "metric is NaN": Case("report {metric_nan}", "metric 'accuracy' is nan, not a finite number"),
        "metric is infinite": Case("report {metric_inf}", "metric 'log_loss' is inf"),
        "curve columns of two lengths": Case("report {ragged_curve}", "curve 'roc' is not columns"),
        "curve of text": Case("report {text_curve}", "curve 'reliability' is not columns of finite numbers"),
        "confusion matrix not square": Case("report {ragged_confusion}", "'confusion_matrix' is not labels"),
        "negative confusion count": Case("report {negative_confusion}", "'confusion_matrix'"),
        "per-class value is text": Case("report {text_per_class}", "'per_class' is not a table"),
    }


def decision_and_search_cases():
    """9. Thresholds, positive labels, cross-validation grids, the estimator catalogue."""
    cv = "cv logreg {ok} -t label "
    return {
        "threshold above 1": Case("predict {tiny} {ok} --threshold 1.5", "Invalid value for '--threshold'"),
        "threshold not a number": Case("evaluate {tiny} {ok} --threshold high", "Invalid value for '--threshold'"),
        "positive label without threshold": Case("predict {tiny} {ok} --pos-label pos -o {out}/p.csv",
                                                 "needs a threshold"),
        "positive label not a class": Case("predict {tiny} {ok} --threshold 0.3 --pos-label yes -o {out}/p.csv",
                                           "positive label 'yes' is not one of the model's classes (neg, pos)"),
        "threshold on three classes": Case("predict {three_class} {ratings} --threshold 0.3 -o {out}/p.csv",
                                           "needs a binary model; this one has 3 classes"),
        "evaluate positive label on three classes": Case("evaluate {three_class} {ratings} --pos-label low",
                                                         "needs a binary model"),
        "threshold on dask": Case("predict {tiny} {ok} --dask local --threshold 0.3 --pos-label nope -o {out}/d",
                                  "positive label 'nope'"),
        "fit a distiller": Case("fit lelp {ok} -t label -o {out}/m.dkm", "train it by distillation (method 'lelp')"),
        "cv a distiller": Case("cv kd {ok} -t label", "kd learns from a teacher: train it by distillation (method 'kd')"),
        "params of an unknown estimator": Case("params xgboost", "unknown estimator 'xgboost'"),
        "cv unknown parameter": Case(cv + "-p bogus=1,2", "unknown parameter 'bogus'"),
        "cv invalid value in a grid": Case(cv + "-p C=1,-1", "'C' parameter of LogisticRegression"),
        "cv text value in a grid": Case(cv + "-p C=1,high", "'C' parameter of LogisticRegression"),
        "cv empty value": Case(cv + "-p C=1,,2", "has an empty value"),
        "cv parameter twice": Case(cv + "-p C=1 -p C=2", "given twice"),
        "cv one fold": Case(cv + "--folds 1", "Invalid value for '--folds'"),
        "cv more folds than rows of a class": Case(cv + "--folds 40", "fewer than the 40 folds"),
        "cv unknown scoring": Case(cv + "--scoring accuracy_plus", "scoring: unknown metric 'accuracy_plus'"),
        "cv binary f1 on three classes": Case("cv logreg {ratings} -t rating --scoring f1",
                                              "average='binary'"),
        "cv tune threshold list": Case(cv + "-p tune_threshold=f1,recall", "tune_threshold takes one metric"),
        "cv tune threshold unknown metric": Case(cv + "-p tune_threshold=speed", "unknown metric 'speed'"),
        "cv tune threshold on three classes": Case("cv logreg {ratings} -t rating -p tune_threshold=f1",
                                                   "threshold tuning needs two classes; the target has 3"),
        "fit tune threshold on three classes": Case("fit logreg {ratings} -t rating -p tune_threshold=f1 "
                                                    "-o {out}/m.dkm", "threshold tuning needs two classes"),
        "fit positive label without tuning": Case("fit logreg {ok} -t label --pos-label pos -o {out}/m.dkm",
                                                  "without it fit has no use for it"),
        "fit positive label not a class": Case("fit logreg {ok} -t label --pos-label yes -p tune_threshold=f1 "
                                               "-o {out}/m.dkm", "positive label 'yes' is not one of"),
        "cv positive label not a class": Case(cv + "--pos-label yes --scoring f1", "positive label 'yes'"),
        "cv one class": Case(cv.replace("{ok}", "{one_class}"), "only one class"),
        "cv json folder missing": Case(cv + "--json {out}/no/cv.json", "does not exist"),
        "cv output folder missing": Case(cv + "-o {out}/no/best.dkm", "does not exist"),
    }


def output_path_cases():
    """6. Every output path is checked before anything is written."""
    return {
        "report html folder missing": Case("report {metrics_ok} --json {out}/b.json --html {out}/nodir/r.html",
                                           "does not exist"),
        "output is a folder": Case("fit nbhead {ok} -t label -o {out}", "is a directory"),
        "output folder missing": Case("fit nbhead {ok} -t label -o {out}/no/dir/m.dkm", "does not exist"),
        "evaluate json folder missing": Case("evaluate {tiny} {ok} --json {out}/no/m.json", "does not exist"),
        "student and teacher in one file": Case("distill {ok} -t label --teacher embeddings:a,b --method kd "
                                                "--save-teacher {out}/m.dkm -o {out}/m.dkm",
                                                "this file is named as two outputs"),
        "cv json over its model": Case("cv logreg {ok} -t label -o {out}/m.dkm --json {out}/./m.dkm",
                                       "named as two outputs"),
        "evaluate json over the model": Case("evaluate {tiny} {ok} --json {tiny}", "would overwrite an input"),
        "report html over an input": Case("report {metrics_ok} --html {metrics_ok}", "would overwrite an input"),
        "predict over its input": Case("predict {tiny} {ok} -o {ok}", "would overwrite an input"),
        "fit over its data": Case("fit nbhead {ok} -t label -o {ok}", "would overwrite an input"),
        "dask output is a file": Case("predict {tiny} {ok} --dask local -o {out}/p.csv",
                                      "on Dask the output is a folder of Parquet files"),
        "dask output is stdout": Case("predict {tiny} {ok} --dask local", "on Dask the output is a folder"),
    }


def usage_cases():
    """7. Click usage errors are one line too."""
    return {
        "unknown option": Case("evaluate m.dkm t.csv -f a", "No such option: -f (distilkit evaluate)"),
        "missing argument": Case("fit", "Missing argument 'estimator'. (distilkit fit)"),
        "unknown command": Case("bogus", "No such command 'bogus'."),
        "zero batch size": Case("predict m.dkm t.csv --batch-size 0", "Invalid value for '--batch-size'"),
        "unknown estimator": Case("fit xgboost {ok} -t label -o {out}/m.dkm", "unknown estimator 'xgboost'"),
    }


def table_cases():
    """8. Files, columns and values: missing, unreadable, empty, mistyped."""
    fit = "fit nbhead {table} -t label -o {out}/m.dkm"
    return {
        "missing table": Case(fit.format(table="{out}/missing.csv", out="{out}"), "no such file"),
        "unsupported type": Case(fit.format(table="{data_json}", out="{out}"), "unsupported file type"),
        "corrupt parquet": Case(fit.format(table="{corrupt}", out="{out}"), "cannot read as parquet"),
        "no rows": Case(fit.format(table="{empty}", out="{out}"), "has no rows"),
        "missing target": Case("fit nbhead {ok} -t nope -o {out}/m.dkm", "target column 'nope' not found"),
        "missing feature": Case("fit nbhead {ok} -t label -f a,zz -o {out}/m.dkm", "feature column 'zz' not found"),
        "missing excluded": Case("fit nbhead {ok} -t label -x a,zz -o {out}/m.dkm", "excluded column 'zz' not found"),
        "missing text": Case("fit nbhead {ok} -t label --text words -o {out}/m.dkm", "text column 'words' not found"),
        "nothing left": Case("fit nbhead {ok} -t label -x a -x b,c -o {out}/m.dkm", "no feature columns left"),
        "target is text": Case("fit nbhead {ok} -t label --text label -o {out}/m.dkm",
                               "both the target and a text column"),
        "text in a numeric column": Case("predict {tiny} {text} -o {out}/p.parquet",
                                         "numeric column 'c' holds 'word' (row 1)"),
        "text in a late batch": Case("predict {tiny} {late} --batch-size 10 -o {out}/p.parquet",
                                     "numeric column 'a' holds 'oops' (row 56)"),
        "model column missing": Case("evaluate {tiny} {two}", "column 'c'"),
        "stdin that is not a table": Case("predict {tiny} - -o {out}/p.csv", "column", stdin="\0\0\0"),
        "distill unknown teacher": Case("distill {ok} -t label --teacher bert -o {out}/s.dkm", "unknown teacher 'bert'"),
        "distill teacher needs text": Case("distill {ok} -t label --teacher minilm -o {out}/s.dkm",
                                           "embeds a text column, and none is named"),
        "distill empty embedding pattern": Case("distill {ok} -t label --teacher embeddings:nothing_* "
                                                "-o {out}/s.dkm", "nothing_*"),
        "distill unknown method": Case("distill {ok} -t label --teacher embeddings:a,b --method magic "
                                       "-o {out}/s.dkm", "unknown method 'magic'"),
        "distill unknown student": Case("distill {ok} -t label --teacher embeddings:a,b --student cnn "
                                        "-o {out}/s.dkm", "unknown student 'cnn'"),
        "distill zero subclasses": Case("distill {ok} -t label --teacher embeddings:a,b -p n_subclasses=0 "
                                        "-o {out}/s.dkm", "n_subclasses"),
        "distill more subclasses than dimensions": Case("distill {ok} -t label --teacher embeddings:a,b "
                                                        "-p n_subclasses=40 -o {out}/s.dkm", "n_subclasses=40"),
        "distill tfidf student without text": Case("distill {ok} -t label --teacher embeddings:a,b "
                                                   "--student tfidf-mlp -o {out}/s.dkm",
                                                   "reads a text column, and none is named"),
        "distill auto with too few labels": Case("distill {few_labels} -t label --teacher embeddings:a,b "
                                                 "--method auto -o {out}/s.dkm", "at least 3 labelled rows"),
        "distill NaN teacher embeddings": Case("distill {nan_embedding} -t label --teacher embeddings:a,b "
                                               "-o {out}/s.dkm", "feature column 'a' contains NaN or infinite values"),
        "distill unknown teacher backend": Case("distill {ok} -t label --teacher minilm --text c "
                                                "--teacher-backend tensorrt -o {out}/s.dkm",
                                                "unknown teacher backend 'tensorrt'"),
        "distill int8 MPNet teacher": Case("distill {ok} -t label --teacher mpnet --text c --teacher-backend "
                                           "onnx-int8 -o {out}/s.dkm", "the int8 mpnet teacher is not offered"),
        "distill save teacher without one": Case("distill {ok} -t label --teacher embeddings:a,b --method labels "
                                                 "--save-teacher {out}/t.dkm -o {out}/s.dkm",
                                                 "needs one: method 'labels' trains without a teacher"),
        "distill probs not summing to 1": Case("distill {probs_bad_sum} -t label --teacher probs:p_* --method kd "
                                               "-o {out}/s.dkm", "do not sum to 1 (within 0.001) in 1 row(s), first "
                                               "at row 7"),
        "distill probs with a class missing": Case("distill {probs} -t label --teacher probs:neg=p_neg --method kd "
                                                   "-o {out}/s.dkm", "label(s) 'pos' have no teacher class"),
        "distill NaN probs": Case("distill {probs_nan} -t label --teacher probs:p_* --method kd -o {out}/s.dkm",
                                  "hold NaN or infinite values in 1 row(s), first at row 3"),
        "distill text probs": Case("distill {probs_text} -t label --teacher probs:p_* --method kd -o {out}/s.dkm",
                                   "teacher probs column 'p_pos' is not numeric"),
        "distill probs without a class marker": Case("distill {probs} -t label --teacher probs:p_neg,p_pos "
                                                     "--method kd -o {out}/s.dkm", "which class each column is"),
        "distill LELP on probs without embeddings": Case("distill {probs} -t label --teacher probs:p_* "
                                                         "-o {out}/s.dkm", "needs the teacher's embeddings"),
        "distill save a probs teacher": Case("distill {probs} -t label --teacher probs:p_* --method kd "
                                             "--save-teacher {out}/t.dkm -o {out}/s.dkm", "cannot be saved"),
        "distill teacher folder of no known kind": Case("distill {text} -t label --text c --teacher {plain_folder} "
                                                        "--method kd -o {out}/s.dkm", "no modules.json"),
        "distill HF classifier folder without id2label": Case(
            "distill {text} -t label --text c --teacher {hf_folder} --method kd -o {out}/s.dkm",
            "config.json has no id2label naming the classifier's classes"),
        "distill classifier of other classes": Case(
            "distill {reviews} -t label --text review --teacher {other_classifier} --method kd -o {out}/s.dkm",
            "label(s) 'neg', 'pos' have no teacher class (teacher classes: bad, good)"),
        "distill classifier of three classes": Case(
            "distill {reviews} -t label --text review --teacher {three_classifier} --method kd -o {out}/s.dkm",
            "the teacher scores class(es) 'meh' that no labelled row has"),
        "distill classifier folder on onnx": Case(
            "distill {reviews} -t label --text review --teacher {other_classifier} --teacher-backend onnx "
            "--method kd -o {out}/s.dkm", "a model folder runs on torch only"),
        "distill unlabelled rows without a student column": Case(
            "distill {ok} -t label --teacher embeddings:a,b --method kd --unlabeled {two} -o {out}/s.dkm",
            "the unlabelled table has no column 'c', which the student or the teacher reads"),
        "distill teacher of other classes": Case("distill {ok} -t label --teacher {xy_model} --method kd -f c "
                                                 "-o {out}/s.dkm", "label(s) 'neg', 'pos' have no teacher class"),
        "distill teacher head with swapped classes": Case(
            "distill {ok} -t label --teacher {state: classes swapped against the coefficients} --method kd -f c "
            "-o {out}/s.dkm", "are not in the sorted order fitting gives them"),
        "distill teacher listing a column twice": Case(
            "distill {ok} -t label --teacher {state: distilkit.json: a column listed twice} --method kd -f c "
            "-o {out}/s.dkm", "the roles name column 'a' twice"),
        "nested column as text": Case("fit nbhead {nested} -t label --text vector -o {out}/m.dkm",
                                      "text column 'vector' holds lists (nested values), not texts"),
        "only a nested column": Case("fit nbhead {nested} -t label -f vector -o {out}/m.dkm",
                                     "no feature columns left"),
        "distill missing teacher file": Case("distill {ok} -t label --teacher {out}/missing.dkm -o {out}/s.dkm",
                                             "no such model file"),
    }


CASES = {f"{group.__name__.removesuffix('_cases')}: {name}": case
         for group in (markup_cases, silent_wrong_answer_cases, hyperparameter_cases, model_file_cases,
                       metrics_json_cases, output_path_cases, usage_cases, table_cases, decision_and_search_cases)
         for name, case in group().items()}


def _frame():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    frame["label"] = np.where(frame.a + 0.3 * rng.normal(size=60) > 0, "pos", "neg")
    return frame


def _ratings():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 2))
    frame = pd.DataFrame(X, columns=["x1", "x2"])
    frame["rating"] = np.array(["low", "mid", "high"])[np.digitize(X @ [1.5, -1.0] + rng.logistic(size=300),
                                                                   [0.0, 2.0])]
    return frame


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """Every input the corpus names, built once; the cases must leave it unchanged."""
    root = tmp_path_factory.mktemp("inputs")
    frame = _frame()
    files = {name: root / name for name in ("ok.csv", "text.parquet", "one.csv", "corrupt.parquet", "empty.csv",
                                             "data.json", "huge.csv", "nan_label.csv", "other.csv", "late.csv",
                                             "two.csv", "with_prediction.csv", "ratings.csv", "few_labels.csv",
                                             "nan_embedding.csv", "probs.csv", "probs_bad_sum.csv",
                                             "probs_nan.csv", "probs_text.csv")}
    frame.to_csv(files["ok.csv"], index=False)
    frame.assign(c="word").to_parquet(files["text.parquet"])
    frame.assign(label="pos").to_csv(files["one.csv"], index=False)
    files["corrupt.parquet"].write_bytes(b"PAR1 this is not parquet")
    files["empty.csv"].write_text("a,b,c,label\n")
    files["data.json"].write_text("{}")
    frame.assign(a=frame.a * 1e307).to_csv(files["huge.csv"], index=False)
    frame.assign(label=frame.label.where(frame.index != 4)).to_csv(files["nan_label.csv"], index=False)
    frame.assign(label="other").to_csv(files["other.csv"], index=False)
    late = frame.astype({"a": object})
    late.loc[55, "a"] = "oops"
    late.to_csv(files["late.csv"], index=False)
    frame.drop(columns="c").to_csv(files["two.csv"], index=False)
    frame.assign(prediction=1).to_csv(files["with_prediction.csv"], index=False)
    _ratings().to_csv(files["ratings.csv"], index=False)
    frame.iloc[:5].assign(label=["pos", "neg", "pos", "neg", "neg"]).to_csv(files["few_labels.csv"], index=False)
    frame.assign(a=frame.a.where(frame.index != 9)).to_csv(files["nan_embedding.csv"], index=False)
    probs = frame.assign(p_pos=1 / (1 + np.exp(-frame.a)))
    probs["p_neg"] = 1 - probs.p_pos
    probs.to_csv(files["probs.csv"], index=False)
    probs.assign(p_neg=probs.p_neg.where(probs.index != 7, 0.9)).to_csv(files["probs_bad_sum.csv"], index=False)
    probs.assign(p_pos=probs.p_pos.where(probs.index != 3)).to_csv(files["probs_nan.csv"], index=False)
    probs.assign(p_pos="high").to_csv(files["probs_text.csv"], index=False)
    frame.assign(vector=[[float(i), 1.0] for i in range(len(frame))]).to_parquet(root / "nested.parquet")

    runner = CliRunner()
    tiny = root / "tiny.dkm"
    assert runner.invoke(app, ["fit", "nbhead", str(files["ok.csv"]), "-t", "label", "-o", str(tiny)]).exit_code == 0
    metrics = root / "metrics.json"
    assert runner.invoke(app, ["evaluate", str(tiny), str(files["ok.csv"]), "--json", str(metrics)]).exit_code == 0
    neural = root / "neural.dkm"
    save_model(AnyLossClassifier(hidden_layer_sizes=(8,), max_epochs=2, loss="bce", random_state=0)
               .fit(frame[["a", "b", "c"]].to_numpy(), (frame.label == "pos").astype(int)), neural)

    names = {key.split(".")[0]: path for key, path in files.items()}
    names.update(nested=root / "nested.parquet", tiny=tiny, metrics_ok=metrics, data_json=files["data.json"], one_class=files["one.csv"])
    names["plain_folder"] = root / "plain-folder"
    names["plain_folder"].mkdir()
    names["hf_folder"] = root / "hf-classifier"
    names["hf_folder"].mkdir()
    (names["hf_folder"] / "config.json").write_text(json.dumps({"architectures": ["BertForSequenceClassification"]}))
    from sklearn.cluster import KMeans
    from sklearn.linear_model import LinearRegression
    from sklearn.svm import SVC

    numbers, codes = frame[["a", "b", "c"]], (frame.label == "pos").astype(int)
    for name, foreign in [("regressor", LinearRegression().fit(numbers, codes)),
                          ("clusterer", KMeans(2, n_init=1, random_state=0).fit(numbers)),
                          ("svc", SVC().fit(numbers, codes))]:
        names[name] = root / f"{name}.dkm"
        save_model(foreign, names[name])
    names["pickle"] = root / "pickle.dkm"
    names["pickle"].write_bytes(b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s.")
    data = tiny.read_bytes()
    names["truncated"] = root / "truncated.dkm"
    names["truncated"].write_bytes(data[:200])
    names["foreign"] = hostile.write(root / "foreign.dkm", {"other.txt": "hello"})
    names["format1"] = hostile.write(root / "old.dkm", {
        "meta.json": json.dumps({"format": "distilkit-model", "format_version": 1}), "arrays.npz": b""})
    names["wrong_types"] = hostile.edit_json(tiny, root / "types.dkm", lambda m: m.update(params=[1, 2]),
                                               member="distilkit.json")
    flipped = bytearray(neural.read_bytes())
    with zipfile.ZipFile(neural) as archive:
        info = archive.getinfo("schema.json")
    body = info.header_offset + 30 + len(info.filename) + 40
    flipped[body: body + 64] = bytes(64)
    names["flipped"] = root / "flipped.dkm"
    names["flipped"].write_bytes(bytes(flipped))

    network = root / "network.dkm"
    assert runner.invoke(app, ["fit", "anyloss", str(files["ok.csv"]), "-t", "label", "-p", "max_epochs=2",
                               "-p", "loss=bce", "-o", str(network), "-q"]).exit_code == 0

    def unknown_setting(schema):
        (node,) = [node for node in hostile.schema_dicts(schema) if node.get("__class__") == "AnyLossClassifier"]
        node["content"]["content"]["compile"] = hostile.json_node(True)
        # skops pairs each key with a type entry: without one the key would be dropped.
        node["content"]["key_types"]["content"].append(
            {"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode", "__id__": 2})

    names["unknown_setting"] = hostile.edit_json(network, root / "setting.dkm", unknown_setting)
    names["nan_coef"] = _nan_coefficients(tiny, root / "nan_coef.dkm")
    for name, (path, _) in hostile.hostile_files(root, neural).items():
        names[f"hostile: {name}"] = path
    frame.assign(label=frame.label.map({"neg": "x", "pos": "y"})).to_csv(root / "xy.csv", index=False)
    names["xy_model"] = root / "xy.dkm"
    assert runner.invoke(app, ["fit", "logreg", str(root / "xy.csv"), "-t", "label", "-o",
                               str(names["xy_model"])]).exit_code == 0
    logreg = root / "logreg.dkm"
    assert runner.invoke(app, ["fit", "logreg", str(files["ok.csv"]), "-t", "label", "-o", str(logreg)]).exit_code == 0
    for name, path in hostile.hostile_state_files(root, logreg, network).items():
        names[f"state: {name}"] = path
    names["reviews"], encoder_model = _encoder_model(root)
    for name, path in hostile.hostile_static_files(root, _static_student(root, names["reviews"])).items():
        names[f"static: {name}"] = path
    names["other_classifier"] = tiny_models.classifier_folder(root / "other-classifier", ("bad", "good"), steps=0)
    names["three_classifier"] = tiny_models.classifier_folder(root / "three-classifier", ("neg", "meh", "pos"),
                                                              steps=0)
    for number, (name, (edits, _)) in enumerate(HOSTILE_ENCODERS.items()):
        names[f"encoder: {name}"] = hostile.edit_json(encoder_model, root / f"encoder{number}.dkm",
                                                      lambda schema, edits=edits: hostile.edit_objects(
                                                          schema, "SentenceEncoder", edits))

    documents = {"not_json": "not json", "hello_json": '{"hello": 1}',
                 "metrics_no_table": {"format": "distilkit-metrics", "name": "x"},
                 "metric_text": {"format": "distilkit-metrics", "metrics": {"accuracy": "high"}},
                 "metric_list": {"format": "distilkit-metrics", "metrics": {"accuracy": [0.5]}},
                 "name_list": {"format": "distilkit-metrics", "name": ["x"], "metrics": {"accuracy": 0.5}},
                 "deep_json": "[" * 100_000 + "]" * 100_000,
                 "metric_nan": '{"format": "distilkit-metrics", "metrics": {"accuracy": NaN}}',
                 "metric_inf": '{"format": "distilkit-metrics", "metrics": {"log_loss": Infinity}}'}
    record = json.loads(metrics.read_text())

    def damaged(change):
        copy = json.loads(json.dumps(record))
        change(copy)
        return copy

    documents.update(
        ragged_curve=damaged(lambda r: r["curves"].update(roc={"fpr": [0, 1], "tpr": [0]})),
        text_curve=damaged(lambda r: r["curves"]["reliability"].update(accuracy=["x"])),
        ragged_confusion=damaged(lambda r: r["confusion_matrix"]["counts"].pop()),
        negative_confusion=damaged(lambda r: r["confusion_matrix"]["counts"][0].__setitem__(0, -3)),
        text_per_class=damaged(lambda r: r["per_class"]["pos"].update(recall="all")),
        roc_no_fpr=damaged(lambda r: r["curves"]["roc"].pop("fpr")),
        reliability_no_confidence=damaged(lambda r: r["curves"]["reliability"].pop("confidence")),
        target_list=damaged(lambda r: r.update(target=["label"])),
        n_samples_dict=damaged(lambda r: r.update(n_samples={"rows": 60})),
        fingerprint_list=damaged(lambda r: r.update(labels_fingerprint=[1, 2])))
    three_class = root / "three.dkm"
    assert runner.invoke(app, ["fit", "logreg", str(files["ratings.csv"]), "-t", "rating", "-o",
                               str(three_class)]).exit_code == 0
    names["three_class"] = three_class
    for name, document in documents.items():
        names[name] = root / f"{name}.json"
        names[name].write_text(document if isinstance(document, str) else json.dumps(document))
    return names


def _encoder_model(root):
    """A table of short reviews and a model on them that embeds them with the packaged MiniLM."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from distilkit.encoders import SentenceEncoder
    from distilkit.features import ColumnRole, TableColumns

    frame = pd.DataFrame({"review": ["a good film", "a bad film", "great", "awful"] * 5,
                          "label": ["pos", "neg"] * 10})
    frame.to_csv(root / "reviews.csv", index=False)
    model = Pipeline([("table", TableColumns((ColumnRole("review", "text", "str", "MiniLM"),))),
                      ("features", ColumnTransformer([("text", SentenceEncoder(), "review")])),
                      ("estimator", LogisticRegression())]).fit(frame[["review"]], frame.label)
    save_model(model, root / "encoder.dkm")
    return root / "reviews.csv", root / "encoder.dkm"


def _static_student(root, reviews):
    """A static student on the reviews, its token vectors from a 1-layer BERT of 18 tokens."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertModel

    from distilkit.workflows import distill_table

    with torch.random.fork_rng():
        torch.manual_seed(0)
        BertModel(tiny_models.bert_config()).save_pretrained(root / "bert")
    tiny_models.tokenizer().save_pretrained(root / "bert")
    SentenceTransformer(modules=[Transformer(str(root / "bert")), Pooling(16)], device="cpu").save(str(root / "st"))
    result = distill_table(pd.read_csv(reviews), target="label", text="review", teacher=str(root / "st"),
                           method="kd", student="static", params={"max_epochs": 2}, cache_dir=root / "cache")
    result.save(root / "static.dkm")
    return root / "static.dkm"


def _nan_coefficients(source, target):
    """A model file whose NaiveBayesHead weights are NaN: it loads, and every probability would be NaN."""
    content = hostile.members(source)
    (member,) = [node["coef_"]["file"] for node in hostile.schema_dicts(json.loads(content["schema.json"]))
                 if isinstance(node.get("coef_"), dict) and "file" in node["coef_"]]
    buffer = io.BytesIO()
    np.save(buffer, np.full_like(np.load(io.BytesIO(content[member])), np.nan))
    content[member] = buffer.getvalue()
    return hostile.write(target, content)


def _peak_rss_mb():
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    return int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024


def _reset_peak_rss():
    # Linux: writing 5 to clear_refs resets the peak resident set size (VmHWM) to the current one.
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")


def _listing(folder):
    return sorted((p.relative_to(folder), p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*"))


_LOOPBACK = ("127.0.0.1", "localhost", "::1", "0.0.0.0", "")


@pytest.fixture()
def no_network(monkeypatch):
    """Connections the command tried beyond this machine (a Dask cluster on loopback is local); each is refused."""
    import socket

    attempts = []
    connect, getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(sock, address):
        if sock.family != socket.AF_UNIX and address[0] not in _LOOPBACK:
            attempts.append(address)
            raise OSError(f"the adversarial corpus has no network ({address})")
        return connect(sock, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        if host not in _LOOPBACK and host is not None:
            attempts.append(host)
            raise socket.gaierror(f"the adversarial corpus has no network ({host})")
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    return attempts


@pytest.fixture()
def elsewhere(tmp_path, monkeypatch):
    """A fresh home, working and temporary folder for the command: it may write to none of them."""
    import tempfile

    folders = {name: tmp_path / name for name in ("home", "cwd", "tmp")}
    for folder in folders.values():
        folder.mkdir()
    monkeypatch.setenv("HOME", str(folders["home"]))
    monkeypatch.setenv("TMPDIR", str(folders["tmp"]))
    monkeypatch.setattr(tempfile, "tempdir", str(folders["tmp"]))
    monkeypatch.chdir(folders["cwd"])
    return folders


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_error_line_and_exit_2(name, workspace, tmp_path, no_network, elsewhere):
    case = CASES[name]
    out = tmp_path / "out"
    out.mkdir()
    inputs = workspace["ok"].parent
    before = _listing(inputs)
    fields = {**{key: str(path) for key, path in workspace.items()}, "out": str(out)}
    args = [re.sub(r"\{([^{}]+)\}", lambda m: fields[m.group(1)], token)
            for token in re.findall(r"\{(?:hostile|encoder|state|static): [^}]+\}|\S+", case.args)]
    _reset_peak_rss()
    _, rss_before = _peak_rss_mb()
    result = CliRunner().invoke(app, args, input=case.stdin)
    peak, _ = _peak_rss_mb()
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    assert case.fragment in errors[0], errors[0]
    assert "Traceback" not in result.output
    assert list(out.iterdir()) == [], "a file was left behind"
    assert _listing(inputs) == before, "an input was changed"
    assert peak - rss_before < PEAK_RSS_MB, f"peak RSS grew by {peak - rss_before:.0f} MB"
    assert no_network == [], f"the command reached for the network: {no_network}"
    written = {name: sorted(folder.rglob("*")) for name, folder in elsewhere.items()}
    assert not any(written.values()), f"the command wrote outside its outputs: {written}"


@pytest.fixture(scope="module", autouse=True)
def _warm_up(workspace):
    """Import what the commands import once, so a case's peak RSS is its own allocation."""
    import skorch  # noqa: F401
    import torch  # noqa: F401

    CliRunner().invoke(app, ["predict", str(workspace["tiny"]), str(workspace["ok"]), "-o", "-"])
    CliRunner().invoke(app, ["inspect", str(workspace["tiny"])])
