"""The rulebook: categories and rules from YAML, conditions compiled for the engine."""
