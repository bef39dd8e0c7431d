"""Operator tooling: deploy, verify, hand over admin roles, network presets."""
