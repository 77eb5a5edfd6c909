"""Darknet's view of a network: the layer table (registry) and shape inference."""
