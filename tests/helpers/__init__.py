"""Helpers the tests share: none of these modules holds tests of its own."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The checkout: where ``charlie.py`` is, and the working directory of every child."""
