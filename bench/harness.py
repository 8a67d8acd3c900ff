"""What every benchmark shares: a throwaway platform, timing, and the report format.

Each benchmark prints its numbers beside a baseline measured in the same run (the machine is shared
and noisy), so the ratio is what to compare across machines, not the absolute milliseconds.

    from bench import harness
    harness.setup()                      # a database + Redis of its own (tests/environment.py)
    samples = harness.time_calls(fn, 100)
    harness.report("dispatch", samples, baseline=("python -c", baseline_samples), target_ms=100)
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tests import environment


def setup(prefix: str = "etlfabric_bench") -> None:
    """A database and Redis of this process's own; call before anything reads the settings."""
    environment.configure(prefix)
    environment.create_database()


def teardown() -> None:
    environment.drop_database()


@contextmanager
def platform(prefix: str = "etlfabric_bench") -> Iterator[None]:
    setup(prefix)
    try:
        yield
    finally:
        teardown()


def time_calls(call: Callable[[], object], times: int, *, warmup: int = 3) -> list[float]:
    """Milliseconds per call, after `warmup` calls that are not counted."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(samples: list[float]) -> str:
    return (
        f"p50 {percentile(samples, 0.5):7.1f} ms  p95 {percentile(samples, 0.95):7.1f} ms  "
        f"mean {statistics.fmean(samples):7.1f} ms  (n={len(samples)})"
    )


def report(
    name: str,
    samples: list[float],
    *,
    baselines: dict[str, list[float]] | None = None,
    targets: dict[str, float] | None = None,
) -> dict:
    """Print one result with its baselines and targets (p50/p95 in ms); return it as a dict."""
    p50, p95 = percentile(samples, 0.5), percentile(samples, 0.95)
    print(f"{name:<44} {summary(samples)}")
    for label, base in (baselines or {}).items():
        base_p50 = percentile(base, 0.5)
        ratio = p50 / base_p50 if base_p50 else float("inf")
        print(f"  baseline {label:<35} {summary(base)}  → ×{ratio:.1f} of its p50")
    verdicts = []
    for key, limit in (targets or {}).items():
        value = {"p50": p50, "p95": p95}[key]
        verdicts.append(f"{key} ≤ {limit:g} ms: {'met' if value <= limit else 'MISSED'}")
    if verdicts:
        print("  target " + "; ".join(verdicts))
    return {"name": name, "p50_ms": p50, "p95_ms": p95, "n": len(samples)}
