"""Jinja rendering of cfg pieces (templates live in the top-level ``templates/`` folder)."""
from cfggen.render.env import environment, render, templates_dir

__all__ = ["environment", "render", "templates_dir"]
