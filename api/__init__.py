"""The HTTP API (FastAPI): a thin layer over the job queue and the job-status store."""
