"""transcripts package."""
