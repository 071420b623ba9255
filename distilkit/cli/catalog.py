"""``distilkit list``, ``params`` and ``inspect``: what the estimators are, and what a model file holds."""

import json
from typing import Annotated

import typer
from rich.markup import escape

from distilkit.cli.errors import command_errors
from distilkit.cli.options import ModelFile, Quiet
from distilkit.cli.render import console, key_value_table, roles_table, text_table

JsonFlag = Annotated[bool, typer.Option("--json", help="Print it as JSON on stdout.")]


@command_errors
def list_estimators(json_out: JsonFlag = False, quiet: Quiet = False):
    """List the estimators: name, the command that trains them, and what they are."""
    from distilkit.estimators.catalog import estimator_catalog

    rows = estimator_catalog()
    if json_out:
        typer.echo(json.dumps(rows, indent=2))
    if json_out or quiet:
        return
    console.print(text_table("estimators ('distilkit params NAME' for parameters)",
                             ["name", "trained by", "description"],
                             [(r["name"], f"distilkit {r['command']}", r["description"]
                               + (" (ordinal: the last class is the rare one)" if r["ordinal"] else ""))
                              for r in rows]))


@command_errors
def params(
    estimator: Annotated[str, typer.Argument(help="An estimator name from 'distilkit list'.")],
    json_out: JsonFlag = False,
    quiet: Quiet = False,
):
    """Every parameter of an estimator (set with -p key=value): default, accepted values, meaning."""
    from distilkit.cli.params import PARAM_ALIASES
    from distilkit.estimators.catalog import estimator_parameters, estimator_summary
    from distilkit.estimators.registry import estimator_class

    rows = estimator_parameters(estimator)
    if json_out:
        typer.echo(json.dumps(rows, indent=2))
    if json_out or quiet:
        return
    aliases = {value: key for key, value in PARAM_ALIASES.items()}
    console.print(text_table(f"{estimator}: {estimator_summary(estimator)}", ["parameter", "default", "accepts",
                                                                             "description"],
                             [(r["name"] + (f" (-p {aliases[r['name']]}=...)" if r["name"] in aliases else ""),
                               r["default"], r["accepts"], r["description"]) for r in rows]))
    routed = getattr(estimator_class(estimator), "persisted_prefixes", ())
    if routed:
        console.print(f"also: skorch parameters routed by prefix ({', '.join(p + '…' for p in routed)}), "
                      "e.g. -p optimizer__weight_decay=1e-4", highlight=False, markup=False)


def _short(value, limit=80):
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@command_errors
def inspect(model: ModelFile, json_out: JsonFlag = False, quiet: Quiet = False):
    """Show what a model file holds: column roles, estimator and parameters, classes, versions, fit metadata.

    The whole file is loaded and checked first, so what is shown is the model that predicts (with -q: only
    the check, as the exit code).
    """
    from distilkit.features import summarize_roles
    from distilkit.persistence import model_roles, read_model

    meta = read_model(model)[1]
    if json_out:
        typer.echo(json.dumps(meta, indent=2))
    if json_out or quiet:
        return
    if meta.get("roles") or meta.get("columns"):
        console.print(roles_table(f"columns of {model}", summarize_roles(model_roles(meta))))
    else:
        console.print(f"{escape(str(model))}: fitted on an array without column names (usable from Python only)")
    classes = meta["classes"]
    rule = meta.get("decision_threshold")
    console.print(key_value_table(f"{meta['estimator']} ({str(meta.get('class')).rsplit('.', 1)[-1]})", [
        ("classes", ", ".join(map(str, classes[:10])) + (" ..." if len(classes) > 10 else "")),
        *([("decision", f"{_short(rule.get('pos_label'))} at probability ≥ {_short(rule.get('threshold'))}")]
          if isinstance(rule, dict) else []),
        *[(key, _short(value)) for key, value in meta["params"].items()],
    ]))
    console.print(key_value_table("fit", [
        *[(key, _short(value)) for key, value in meta["metadata"].items()],
        ("created", _short(meta.get("created"))),
        *[(f"{package} version", _short(version)) for package, version in (meta.get("versions") or {}).items()],
    ]))


def register(app):
    app.command(name="list", epilog="Example: distilkit list  |  distilkit list --json | jq")(list_estimators)
    app.command(epilog="Example: distilkit params presto  |  distilkit fit presto data.csv -t y -p n_lambdas=50 ..."
                )(params)
    app.command(epilog="Example: distilkit inspect model.dkm")(inspect)
