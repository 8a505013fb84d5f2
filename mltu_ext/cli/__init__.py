"""Argument parsing and ``main()`` of every command; the top-level scripts are fronts to these."""
