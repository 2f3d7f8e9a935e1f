"""Errors raised while loading user-supplied or on-disk data."""

from __future__ import annotations


class DataError(ValueError):
    """A data file is missing, unreadable or malformed; the message names the file."""
