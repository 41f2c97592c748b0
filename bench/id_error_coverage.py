"""Coverage of the population intervals on simulated seasons with known N.

For each scenario (a closed population, a capture model and a score model for the machine's
re-identification, see ``deertrack_core.analysis.simulate``) this simulates many seasons and
counts how often each 95 % interval contains the true N:

* ``truth``: the model fitted to the *true* identities (what the estimator can do at best);
* ``naive``: the model fitted to the machine's identities, sampling error only;
* ``ID-aware``: machine identities resampled from the calibrated score evidence, sampling and
  identification error together (``deertrack_core.analysis.iderror``).

The baseline in the same run is ``truth``: the ID-aware interval should come close to it while
the naive one falls away as the false-match and false-new-individual rates grow.

    python bench/id_error_coverage.py                 # all scenarios, 200 seasons each
    python bench/id_error_coverage.py --seasons 50 --scenario errors
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deertrack_core.analysis import closed, iderror, simulate  # noqa: E402
from deertrack_core.reid.same_probability import SameProbability  # noqa: E402

BASE = dict(n=60, occasions=6, p=0.25, diff_mean=0.45, diff_sd=0.08)
SCENARIOS = {
    # a cautious threshold: almost no false matches, many false new individuals
    "splits": dict(BASE, threshold=0.76),
    # the CI test's scenario: a few percent of each
    "errors": dict(BASE, threshold=0.70),
    # a low threshold: more false matches than splits
    "merges": dict(BASE, threshold=0.62),
    # well separated scores: next to no identification error (ID-aware ≈ naive)
    "clean": dict(BASE, diff_mean=0.35, diff_sd=0.06, threshold=0.62),
    # heterogeneous catchability (40 % of the deer caught a third as often), fitted with Mh2
    "heterogeneity": dict(BASE, occasions=10, threshold=0.70, p=0.35, p_low=0.12, p_low_share=0.4),
}


def run(name: str, seasons: int, replicates: int, model: str, seed: int) -> None:
    scenario = simulate.Scenario(**SCENARIOS[name])
    rng = np.random.default_rng(seed)
    hits = {"truth": 0, "naive": 0, "ID-aware": 0}
    width = {"naive": [], "ID-aware": []}
    bias = {"naive": [], "ID-aware": []}
    rates = np.zeros(2)
    t0 = time.perf_counter()
    for s in range(seasons):
        season = simulate.simulate(scenario, rng)
        rates += (season.false_match_rate, season.false_new_rate)
        truth = closed.fit(model, closed.CaptureData.from_matrix(season.history(truth=True)))
        naive = closed.fit(model, closed.CaptureData.from_matrix(season.history()))
        cal = SameProbability().fit(season.evidence_scores, season.evidence_same)
        units = iderror.build_units(season.detections, cal.likelihood_ratio,
                                    n_occasions=scenario.occasions)  # fmt: skip
        aware = iderror.id_error_intervals(units, (model,), replicates=replicates, draws=10,
                                           seed=seed + s).intervals[model]  # fmt: skip
        for key, est, lo, hi in (("truth", truth.n_hat, truth.lower, truth.upper),
                                 ("naive", naive.n_hat, naive.lower, naive.upper),
                                 ("ID-aware", aware.estimate, aware.lower, aware.upper)):  # fmt: skip
            hits[key] += lo is not None and hi is not None and lo <= scenario.n <= hi
            if key in width and lo is not None and hi is not None:
                width[key].append(hi - lo)
                bias[key].append(est - scenario.n)
    took = time.perf_counter() - t0
    fm, fn = rates / seasons
    print(f"{name:14s} {model:4s} false match {fm:5.1%}  false new {fn:5.1%}  |  coverage: "
          + "  ".join(f"{k} {v / seasons:5.1%}" for k, v in hits.items())
          + f"  |  width naive {np.mean(width['naive']):5.1f} ID-aware "
          f"{np.mean(width['ID-aware']):5.1f}  |  bias naive {np.mean(bias['naive']):+5.1f} "
          f"ID-aware {np.mean(bias['ID-aware']):+5.1f}  ({took:.0f} s)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seasons", type=int, default=200)
    parser.add_argument("--replicates", type=int, default=100, help="identity draws per season")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), action="append")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    print(f"true N = {SCENARIOS['errors']['n']}; {args.seasons} seasons per scenario, "
          f"{args.replicates} identity draws each; nominal coverage 95 %")  # fmt: skip
    for name in args.scenario or list(SCENARIOS):
        model = "Mh2" if name == "heterogeneity" else "M0"
        run(name, args.seasons, args.replicates, model, args.seed)


if __name__ == "__main__":
    main()
