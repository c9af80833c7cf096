"""Pieces shared by the ShelfLife environments (encoding, actions, rendering)."""
