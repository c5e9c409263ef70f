"""Grafana's v2 dashboard format (``dashboard.grafana.app`` v2beta1 and v2):
conversion from and to the classic model, and its validation.

- ``to_v2(classic, version)``: a classic dashboard (any wrapper) as a v2 resource;
- ``to_v1(v2)``: a v2 resource as the classic model, with one note per item
  that has no classic equivalent (Grafana 12's v2alpha1 is read as v2beta1);
- ``is_v2(doc)``; ``validate_v2(doc)``: schema problems and unresolved element
  references, one line each.
"""

from .common import VERSIONS
from .to_v1 import to_v1
from .to_v2 import NotADashboard, is_v2, to_v2, version_of
from .validate import validate_v2

__all__ = ["VERSIONS", "NotADashboard", "is_v2", "to_v1", "to_v2", "validate_v2", "version_of"]
