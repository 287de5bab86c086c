"""Full screens, one per module."""
