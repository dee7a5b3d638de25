"""Blocking facades the screens await: the workspace (spec, git, ledger), the scribe, builds and
the audit; each returns the view models of `views.py`."""
