"""Docstring sections shared by several estimators, written once (as imbalanced-learn's ``Substitution``)."""

__all__ = ["Substitution"]


class Substitution:
    """Decorator filling ``%(name)s`` placeholders of a docstring with shared text.

    The text of each section goes in as written, so it carries its own indentation;
    a docstring that uses it must double any other ``%``. A placeholder without a
    section raises at import, so a docstring never ships with a hole in it.

    Parameters
    ----------
    **sections : str
        Placeholder name -> the text that replaces it.

    Examples
    --------
    >>> @Substitution(shared="    alpha : float\\n        The weight.")
    ... def fit(alpha):
    ...     '''Fit.
    ...
    ...     Parameters
    ...     ----------
    ... %(shared)s
    ...     '''
    >>> print(fit.__doc__.strip())
    Fit.
    <BLANKLINE>
        Parameters
        ----------
        alpha : float
            The weight.
    """

    def __init__(self, **sections):
        self.sections = sections

    def __call__(self, documented):
        documented.__doc__ = documented.__doc__ % self.sections
        return documented
