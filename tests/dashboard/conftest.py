"""The dashboard's view tests use the shared fixtures of tests/conftest.py: the built-in engine
on the live server with its worker (`engine`), the dashboard's client for it (`api`), an
assistant with a function tool (`weather_assistant`) and threads owned by someone
(`make_thread`)."""
