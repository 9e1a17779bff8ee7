"""facial-twitch-cds: the CDS Hooks 2.0 protocol layer (HTTP, prefetch, security, store). Knows nothing clinical."""
