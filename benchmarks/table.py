"""Percentiles and a plain-text table."""

from __future__ import annotations

import os
import platform
import statistics


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def latency_row(name: str, seconds: list[float]) -> list[str]:
    ms = [s * 1000 for s in seconds]
    return [
        name,
        str(len(ms)),
        f"{statistics.mean(ms):.1f}",
        f"{percentile(ms, 50):.1f}",
        f"{percentile(ms, 95):.1f}",
        f"{percentile(ms, 99):.1f}",
    ]


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-|-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
