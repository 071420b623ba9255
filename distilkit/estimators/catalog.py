"""What each registered estimator is and takes, read from its own code so it never drifts.

The one-line description is the class docstring's summary; each parameter's default is
the constructor's, what it accepts comes from scikit-learn's ``_parameter_constraints``
(the same objects that validate it at ``fit``), and its description is the first line
of its entry in the numpydoc ``Parameters`` section.
"""

import inspect
import re

from distilkit.estimators.registry import (
    ESTIMATORS,
    estimator_class,
    is_ordinal,
    learns_from_teacher,
)

_SECTION_RULE = re.compile(r"^\s*-{3,}\s*$")
_PARAMETER = re.compile(r"^(\w[\w, ]*?)\s*:(.*)$|^(\w+)\s*$")


def _first_sentence(text, limit=160):
    sentence = re.split(r"(?<=\.)\s", text, maxsplit=1)[0]
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def docstring_parameters(doc):
    """``{parameter: (type text, first sentence of its description)}`` from a numpydoc ``Parameters`` section.

    Entries documenting several names at once (``X, y : ...``) give each name.

    Examples
    --------
    >>> doc = '''Summary.
    ...
    ...     Parameters
    ...     ----------
    ...     alpha : float, default=1.0
    ...         Strength of the
    ...         penalty. More detail.
    ...     a, b : int
    ...         Two at once.
    ...
    ...     Attributes
    ...     ----------
    ...     coef_ : ndarray
    ... '''
    >>> docstring_parameters(doc)
    {'alpha': ('float, default=1.0', 'Strength of the penalty.'), 'a': ('int', 'Two at once.'), 'b': ('int', 'Two at once.')}
    """
    lines = inspect.cleandoc(doc or "").splitlines()
    types, paragraphs, names, section = {}, {}, [], None
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and _SECTION_RULE.match(lines[i + 1]) and line.strip():
            section, names = line.strip(), []
            continue
        if section != "Parameters" or _SECTION_RULE.match(line):
            continue
        if not line.strip():
            names = [n for n in names if not paragraphs[n]]  # the first paragraph only
            continue
        if not line.startswith(" "):
            match = _PARAMETER.match(line)
            names = [n.strip() for n in (match.group(1) or match.group(3)).split(",")] if match else []
            for name in names:
                types[name], paragraphs[name] = (match.group(2) or "").strip(), []
        else:
            for name in names:
                paragraphs[name].append(line.strip())
    return {name: (types[name], _first_sentence(" ".join(paragraphs[name]))) for name in types}


def estimator_summary(name):
    """The first line of the docstring of the estimator registered as ``name``."""
    doc = inspect.getdoc(estimator_class(name)) or ""
    return doc.splitlines()[0] if doc else ""


def _accepts(constraints):
    """Constraints in words, as scikit-learn's validation error says them (options sorted, booleans short)."""
    from distilkit.sklearn_compat import StrOptions, make_constraint

    words = []
    for constraint in map(make_constraint, constraints):
        if getattr(constraint, "hidden", False):
            continue
        if isinstance(constraint, StrOptions):
            words.append("one of " + ", ".join(repr(o) for o in sorted(constraint.options - constraint.deprecated)))
        else:
            words.append(str(constraint).replace("an instance of 'bool' or an instance of 'numpy.bool'", "a bool"))
    return " or ".join(words)


def _default(value):
    return "(required)" if value is inspect.Parameter.empty else repr(value)


def estimator_parameters(name):
    """Every constructor parameter of a registered estimator: name, default, accepted values, description.

    Returns
    -------
    rows : list of dict
        ``{"name", "default", "accepts", "description"}`` in constructor order;
        ``accepts`` is empty for parameters without a constraint, ``description``
        for parameters the docstring does not document.

    Examples
    --------
    >>> [row for row in estimator_parameters("nbhead") if row["name"] == "var_smoothing"][0]["accepts"]
    'a float in the range [0.0, inf)'
    """
    cls = estimator_class(name)
    documented = {}
    for klass in reversed(cls.__mro__):
        documented.update(docstring_parameters(klass.__doc__))
    constraints = getattr(cls, "_parameter_constraints", {})
    rows = []
    for parameter in inspect.signature(cls.__init__).parameters.values():
        if parameter.name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        rows.append({"name": parameter.name, "default": _default(parameter.default),
                     "accepts": _accepts(constraints.get(parameter.name, [])),
                     "description": documented.get(parameter.name, ("", ""))[1]})
    return rows


def estimator_catalog():
    """Every registered estimator: ``{"name", "command", "ordinal", "description"}``, in table order.

    ``command`` is ``"distill"`` for students that learn from a teacher, else ``"fit"``.
    """
    return [{"name": name, "command": "distill" if learns_from_teacher(name) else "fit", "ordinal": is_ordinal(name),
             "description": estimator_summary(name)} for name in ESTIMATORS]


__all__ = ["docstring_parameters", "estimator_catalog", "estimator_parameters", "estimator_summary"]
