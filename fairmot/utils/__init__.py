"""Small helpers every part of the package shares: atomic file writes and value parsing."""
