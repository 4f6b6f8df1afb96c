"""Renderers: a run's result → text for people, JSON for scripts."""
