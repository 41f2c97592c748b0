"""Gallery math: per-deer prototypes, similarity of many detections to all deer, top-k.

Pure functions over numpy arrays. Embeddings are rows of an ``(n, dim)`` float32 matrix; every
function re-normalises what it is given, so callers may pass raw sums or means. Cosine similarity
of unit vectors is a dot product, so a batch of detections is scored against every deer with one
matrix product.

Two prototype kinds:

* ``"mean"`` (default): the deer's exemplars averaged and re-normalised. Kept as a *sum* vector and
  a count, so adding a detection is an addition and leaving one out is a subtraction.
* ``"max"``: no prototype; a detection's score for a deer is its best cosine over that deer's
  exemplars (robust when a deer was seen from very different sides).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PROTOTYPE_KINDS = ("mean", "max")
_EPS = 1e-12


def normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (all-zero rows stay zero), as float32."""
    m = np.asarray(matrix, dtype=np.float32)
    if m.ndim == 1:
        return normalise(m[None, :])[0]
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.maximum(norms, _EPS)


def group_sums(
    embeddings: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-label sums of normalised embeddings.

    Returns ``(ids, sums, counts)``: the sorted unique labels, their ``(k, dim)`` sum vectors and
    how many exemplars each has.
    """
    labels = np.asarray(labels)
    ids, inverse = np.unique(labels, return_inverse=True)
    unit = normalise(embeddings)
    counts = np.bincount(inverse, minlength=len(ids))
    if len(ids) == 0:
        return ids, np.zeros((0, unit.shape[1]), dtype=np.float32), counts
    # Sort once and add contiguous runs: far faster than np.add.at on large galleries.
    order = np.argsort(inverse, kind="stable")
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    sums = np.add.reduceat(unit[order].astype(np.float64), starts, axis=0)
    return ids, sums.astype(np.float32), counts


def prototypes(embeddings: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean prototypes: ``(ids, (k, dim) unit vectors)`` for the sorted unique labels."""
    ids, sums, _ = group_sums(embeddings, labels)
    return ids, normalise(sums)


def similarity(queries: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """Cosine similarity of every query row to every gallery row: one ``(q, k)`` matrix product."""
    return normalise(queries) @ normalise(gallery).T


def max_similarity(
    queries: np.ndarray,
    exemplars: np.ndarray,
    exemplar_labels: np.ndarray,
    *,
    exclude: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Max-over-exemplars scores: ``(ids, (q, k))`` with each query's best cosine per label.

    ``exclude`` (optional, one per query) is an exemplar index to leave out for that query (its own
    row, for leave-one-out); ``-1`` leaves nothing out. A label whose only exemplar was left out
    scores ``nan`` for that query.
    """
    labels = np.asarray(exemplar_labels)
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    ids, starts = np.unique(sorted_labels, return_index=True)
    sims = similarity(queries, np.asarray(exemplars)[order])
    if exclude is not None:
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order))
        rows = np.flatnonzero(np.asarray(exclude) >= 0)
        sims[rows, position[np.asarray(exclude)[rows]]] = -np.inf
    if sims.shape[1] == 0:
        return ids, np.zeros((sims.shape[0], 0), dtype=np.float32)
    best = np.maximum.reduceat(sims, starts, axis=1)
    best[np.isneginf(best)] = np.nan
    return ids, best


def leave_one_out_own_scores(
    embeddings: np.ndarray, own_sums: np.ndarray, own_counts: np.ndarray
) -> np.ndarray:
    """Each detection's score against its own deer's mean prototype *without itself*.

    Closed form from the deer's sum vector ``S`` (which includes the unit embedding ``e``):
    ``e·(S - e) / |S - e|`` with ``|S - e|² = |S|² - 2 e·S + 1``. A deer with a single exemplar
    has no prototype once that one is left out: ``nan``.
    """
    unit = normalise(embeddings).astype(np.float64)
    sums = np.asarray(own_sums, dtype=np.float64)
    dot = np.einsum("ij,ij->i", unit, sums)
    norm_sq = np.einsum("ij,ij->i", sums, sums) - 2.0 * dot + 1.0
    out = np.full(len(unit), np.nan)
    ok = (np.asarray(own_counts) > 1) & (norm_sq > _EPS)
    out[ok] = (dot[ok] - 1.0) / np.sqrt(norm_sq[ok])
    return out.astype(np.float32)


def leave_one_out_scores(
    embeddings: np.ndarray, labels: np.ndarray, *, kind: str = "mean"
) -> tuple[np.ndarray, np.ndarray]:
    """Every detection against every deer, each detection left out of its own deer.

    ``embeddings`` and ``labels`` are the gallery itself (one row per labelled detection). Returns
    ``(ids, (n, k) scores)``; a detection's own-deer score is ``nan`` when its deer has no other
    exemplar.
    """
    _check_kind(kind)
    labels = np.asarray(labels)
    if kind == "max":
        return max_similarity(
            embeddings, embeddings, labels, exclude=np.arange(len(labels), dtype=np.int64)
        )
    ids, sums, counts = group_sums(embeddings, labels)
    scores = normalise(embeddings) @ normalise(sums).T
    own = np.searchsorted(ids, labels)
    scores[np.arange(len(labels)), own] = leave_one_out_own_scores(
        embeddings, sums[own], counts[own]
    )
    return ids, scores


@dataclass(frozen=True)
class TopK:
    """The best ``k`` gallery columns of each query, best first."""

    indices: np.ndarray  # (q, k) column indices
    scores: np.ndarray  # (q, k)


def top_k(scores: np.ndarray, k: int = 5) -> TopK:
    """Best ``k`` columns per row (``nan`` counts as the worst), best first, ties by column."""
    scores = np.asarray(scores, dtype=np.float32)
    q, n = scores.shape
    k = min(k, n)
    if k == 0:
        return TopK(np.zeros((q, 0), dtype=np.int64), np.zeros((q, 0), dtype=np.float32))
    filled = np.where(np.isnan(scores), -np.inf, scores)
    part = (
        np.argpartition(-filled, k - 1, axis=1)[:, :k] if k < n else np.tile(np.arange(n), (q, 1))
    )
    part_scores = np.take_along_axis(filled, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)
    idx = np.take_along_axis(part, order, axis=1)
    return TopK(idx.astype(np.int64), np.take_along_axis(scores, idx, axis=1))


def _check_kind(kind: str) -> None:
    if kind not in PROTOTYPE_KINDS:
        raise ValueError(f"prototype kind must be one of {PROTOTYPE_KINDS}, not {kind!r}")


class Gallery:
    """The deer known to a matching run, growing as the run decides.

    Mean prototypes are kept as sum vectors (adding exemplars is an addition); max-over-exemplars
    keeps every exemplar. Column ``i`` of :meth:`scores` is ``deer_ids[i]``. The full prototype
    matrix is cached between additions; scoring only the newest columns (``first``) never rebuilds
    it, so deer created during a chunk cost little.
    """

    def __init__(self, kind: str = "mean") -> None:
        _check_kind(kind)
        self.kind = kind
        self.deer_ids: list[int] = []
        self._column: dict[int, int] = {}
        self._sums: list[np.ndarray] = []
        self._blocks: list[list[np.ndarray]] = []  # max: exemplar blocks per column
        self._cache: dict[str, np.ndarray] = {}

    @classmethod
    def from_exemplars(
        cls, embeddings: np.ndarray, labels: np.ndarray, kind: str = "mean"
    ) -> Gallery:
        gallery = cls(kind)
        labels = np.asarray(labels)
        if len(labels):
            order = np.argsort(labels, kind="stable")
            ids, starts = np.unique(labels[order], return_index=True)
            for deer_id, block in zip(
                ids.tolist(), np.split(np.asarray(embeddings)[order], starts[1:]), strict=True
            ):
                gallery.add(int(deer_id), block)
        return gallery

    def __len__(self) -> int:
        return len(self.deer_ids)

    def add(self, deer_id: int, vectors: np.ndarray) -> None:
        """Add exemplars (rows) to a deer, creating it when new."""
        unit = normalise(np.atleast_2d(vectors))
        col = self._column.get(deer_id)
        if col is None:
            col = self._column[deer_id] = len(self.deer_ids)
            self.deer_ids.append(deer_id)
            self._sums.append(np.zeros(unit.shape[1], dtype=np.float64))
            self._blocks.append([])
        self._sums[col] = self._sums[col] + unit.sum(axis=0, dtype=np.float64)
        if self.kind == "max":
            self._blocks[col].append(unit)
        self._cache.clear()

    def prototypes(self) -> np.ndarray:
        """``(k, dim)`` unit mean prototypes."""
        if "protos" not in self._cache:
            self._cache["protos"] = normalise(np.stack(self._sums))
        return self._cache["protos"]

    def scores(self, queries: np.ndarray, first: int = 0) -> np.ndarray:
        """Scores of each query against deer columns ``first..`` (all by default): ``(q, k)``."""
        queries = normalise(np.atleast_2d(queries))
        if len(self) <= first:
            return np.zeros((len(queries), 0), dtype=np.float32)
        if self.kind == "mean":
            protos = self.prototypes() if first == 0 else normalise(np.stack(self._sums[first:]))
            return queries @ protos.T
        if first == 0:
            if "ex" not in self._cache:
                self._cache["ex"], self._cache["starts"] = self._exemplars(0)
            ex, starts = self._cache["ex"], self._cache["starts"]
        else:
            ex, starts = self._exemplars(first)
        return np.maximum.reduceat(queries @ ex.T, starts, axis=1)

    def _exemplars(self, first: int) -> tuple[np.ndarray, np.ndarray]:
        """Exemplars of columns ``first..`` stacked in column order, and where each column starts."""
        blocks = [np.concatenate(b) for b in self._blocks[first:]]
        sizes = np.array([len(b) for b in blocks])
        return np.concatenate(blocks), np.r_[0, np.cumsum(sizes)[:-1]]
