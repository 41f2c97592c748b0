"""One module per ``deertrack`` sub-command (see deertrack_cli/main.py)."""
