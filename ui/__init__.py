"""Streamlit-only glue for the dashboard: cached resources, session keys, errors, images."""
