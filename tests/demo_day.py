"""The day the tests seed the demo clinic on: its first visits fall on Monday 2026-01-12, as the
assertions about February 2026 expect. The demo itself seeds relative to the clock's today."""

from datetime import date

DEMO_TODAY = date(2026, 4, 6)
