"""Moved: the wiring of an opened workspace lives in `app/workspace.py`."""

# moved: remove when app/tui imports charter.app.services
from charter.app.workspace import intent_session, model_factory, open_intent_session

__all__ = ["intent_session", "model_factory", "open_intent_session"]
