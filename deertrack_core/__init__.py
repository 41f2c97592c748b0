"""DeerTrack core library: usable from a notebook or script, no UI."""
