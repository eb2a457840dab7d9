"""The /v1 JSON views for files and vector stores."""
