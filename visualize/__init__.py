"""Seeing the workflows: Mermaid diagrams generated from the ASL files (`diagrams`), and an
execution's history as a readable trace (`trace`)."""
