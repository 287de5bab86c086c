"""Charlie's Textual user interface. It reaches the backend only through the root object
(backend/root.py) and the services it hands out; import-linter checks (pyproject.toml)."""
