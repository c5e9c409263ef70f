"""The ``tb-dash`` command line: a thin layer that parses, calls the
library, prints and exits with a documented code.

Exit codes: 0 success; 1 something failed (or, for diff/check/validate, the
answer is "no"); 2 usage, settings or input error; 3 push refused to
overwrite a dashboard edited by hand.
"""

from .common import app
from .main import main, run

__all__ = ["app", "main", "run"]
