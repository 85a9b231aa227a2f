"""One JSON sanitiser for every document the project writes."""

from __future__ import annotations

import math
from typing import Any


def jsonable(obj: Any) -> Any:
    """JSON-safe: NaN and infinities become null, numpy scalars Python numbers, tuples lists."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
