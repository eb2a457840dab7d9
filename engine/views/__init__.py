"""The /v1 JSON views, one module per area of the Assistants API."""
