"""What the UI and the CLI use: services built from one shared Backend (backend/shared.py)
and handed out by the root object (backend/root.py). Every public method of a service
translates Redis errors into a BrokerError a user can read (services/friendly.py)."""
