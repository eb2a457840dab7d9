"""Test doubles for what lies outside the project: a chat-completions model server."""
