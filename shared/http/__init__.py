"""HTTP plumbing shared by the services: problem+json, API keys, ops routes, app factory."""
