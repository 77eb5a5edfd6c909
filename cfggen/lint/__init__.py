"""Findings: the rule catalogue, the engine that runs it, suppressions and fixes."""
