"""Helpers for testing code that uses crmcore: fakes of the ports and Hypothesis strategies.

``crmcore.testing.fakes`` needs nothing extra; ``crmcore.testing.strategies`` needs the
``testing`` extra (``pip install crmcore[testing]``).
"""

__all__: list[str] = []
