"""graphs: the LangGraph graphs, one package each, and each package is its own public surface.

- `graphs.intent`: the scribe's turn (propose, check, review, commit) and the session runner.
- `graphs.build`: one committed spec revision in, an isolated, verified, reproducible build out.
- `graphs.audit`: the audit of a spec (contradictions, gaps, intent drift) and its findings.

Nothing is re-exported here, so importing one graph never pays for the others.
"""
