"""The dealer league table: promises kept over promises due, ranked by a lower confidence bound.

A dealer's score counts the promises its own work decides — schedule, complete, arrival and
first visit — not `assign` (the brand's dispatch, before any dealer has the job) nor `contact`
(the platform's invitation SMS, sent on assignment). A promise is *due* once its outcome is
known: kept (met) or broken (kept late, or overdue). Open promises are not counted yet.

    kept share  p = kept / due
    rank by     Wilson lower bound (95 %, z = 1.96):
                (p + z²/2n − z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n),  n = due

so that 3 of 3 kept does not outrank 190 of 200. Dealers with fewer than `MIN_DUE` promises due
in the period are listed after the ranked ones, without a rank.
"""

from __future__ import annotations

import math
from typing import Any

DEALER_PROMISES = ("schedule", "complete", "arrival", "first_visit")
Z = 1.96
MIN_DUE = 20


def wilson_lower_bound(kept: int, due: int, z: float = Z) -> float | None:
    """The lower end of the Wilson score interval for kept / due (None when nothing is due)."""
    if due <= 0:
        return None
    p = kept / due
    spread = z * math.sqrt(p * (1 - p) / due + z * z / (4 * due * due))
    return max(0.0, (p + z * z / (2 * due) - spread) / (1 + z * z / due))


def score(row: dict[str, Any]) -> dict[str, Any]:
    """Promises due and kept, the kept share and its lower bound (percent), for one row."""
    kept = sum(int(row.get(f"{sla}_met") or 0) for sla in DEALER_PROMISES)
    broken = sum(int(row.get(f"{sla}_breached") or 0) for sla in DEALER_PROMISES)
    due = kept + broken
    bound = wilson_lower_bound(kept, due)
    return {
        "promises_due": due,
        "promises_kept": kept,
        "kept_pct": round(100.0 * kept / due, 1) if due else None,
        "kept_lower_bound_pct": round(100.0 * bound, 1) if bound is not None else None,
    }


def rank(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ranked dealers first (lower bound, then share, then volume, then name), each with its
    rank; then those with too few promises due, by volume; rank None."""
    ranked = [r for r in rows if r["promises_due"] >= MIN_DUE]
    unranked = [r for r in rows if r["promises_due"] < MIN_DUE]
    ranked.sort(
        key=lambda r: (
            -r["kept_lower_bound_pct"],
            -r["kept_pct"],
            -r["promises_due"],
            str(r["label"]),
        )
    )
    unranked.sort(key=lambda r: (-r["promises_due"], str(r["label"])))
    for n, row in enumerate(ranked, start=1):
        row["rank"] = n
    for row in unranked:
        row["rank"] = None
    return ranked + unranked
