"""State shared across pages (who is signed in); page-only state lives with its page."""
