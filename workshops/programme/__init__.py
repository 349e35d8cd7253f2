"""Clusters and domains: the structure of the programme."""
