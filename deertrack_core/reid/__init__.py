"""Re-identification: crops, embedders, the embedding cache, burst tracks, matching, calibration.

Modules are imported directly (``from deertrack_core.reid.embedders import get_embedder``) so that
torch and open_clip load only where they are needed.
"""
