"""Export-request validation latency: p50/p99 over N mixed valid/invalid requests.

    .venv/bin/python bench/validation.py            # 10,000 requests
    .venv/bin/python bench/validation.py --n 1000   # quick

Target: p99 under 5 ms (the system we replace answered in 15-72 ms).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from deertrack_core.errors import ValidationError
from deertrack_core.reports.request import GROUP_BY, REPORT_TYPES, validate_export_request


def make_request(rng: random.Random) -> dict:
    start = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    end = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    start, end = sorted((start, end))
    data = {
        "report_type": rng.choice(REPORT_TYPES),
        "start_date": start,
        "end_date": end,
        "group_by": rng.choice(GROUP_BY),
        "independence_minutes": rng.choice([0, 5, 30, 60.5]),
        "deployments": rng.sample(range(1, 50), rng.randint(0, 5)),
    }
    if rng.random() < 0.5:  # break one to three fields
        for _ in range(rng.randint(1, 3)):
            field = rng.choice(["report_type", "start_date", "group_by", "minutes", "extra"])
            if field == "report_type":
                data["report_type"] = "pie_chart"
            elif field == "start_date":
                data["start_date"] = rng.choice(["31/12/2024", "2025-01-01"])  # bad, or after end
            elif field == "group_by":
                data["group_by"] = "year"
            elif field == "minutes":
                data["independence_minutes"] = -rng.random()
            else:
                data[f"extra_{rng.randint(0, 9)}"] = 1
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    requests = [make_request(rng) for _ in range(args.n)]
    for data in requests[:200]:  # warm up
        try:
            validate_export_request(data)
        except ValidationError:
            pass
    times_us: list[float] = []
    invalid = 0
    for data in requests:
        t0 = time.perf_counter_ns()
        try:
            validate_export_request(data)
        except ValidationError:
            invalid += 1
        times_us.append((time.perf_counter_ns() - t0) / 1000)
    q = statistics.quantiles(times_us, n=100)
    print(f"validation of {args.n:,} requests ({invalid:,} invalid, {args.n - invalid:,} valid)")
    print(f"  p50 {q[49]:.1f} us   p99 {q[98]:.1f} us   max {max(times_us):.1f} us")
    print(f"  target p99 < 5 ms: {'met' if q[98] < 5000 else 'NOT met'}")


if __name__ == "__main__":
    main()
