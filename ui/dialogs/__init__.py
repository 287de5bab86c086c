"""Modal screens: confirmations, errors, help and the journal switcher."""
