"""The `deertrack` command line: one module per sub-command in deertrack_cli/commands/."""
