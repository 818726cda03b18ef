"""Background jobs: declared once (``declared.py``), run by procrastinate on PostgreSQL and in-process on
SQLite (``runner.py``). See docs/architecture.md, "Background jobs"."""
