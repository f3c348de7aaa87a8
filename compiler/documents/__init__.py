"""Documents derived from a policy: rebuilt text, coverage, guides, and the Word/HTML/Markdown writers."""
