"""Where the project lives. Kept free of imports so that building the CLI parser stays fast."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
