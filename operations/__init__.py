"""Operator tools that act on a deployed (or local) platform through the AWS APIs."""
