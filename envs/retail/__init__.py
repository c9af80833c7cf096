"""Multi-SKU retail environments over shipped scenarios."""
