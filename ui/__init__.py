"""Charlie's Textual user interface. It reaches the backend only through CharlieAPI."""
