"""The per-store-SKU features live with the serving module (their production contract).

The environments and the serving module must compute identical features, so
there is one implementation, importable without the training stack.
"""

from policies.serving.features import CLIP, FEATURES, N_FEATURES, FeatureInputs, compute_features

__all__ = ["CLIP", "FEATURES", "N_FEATURES", "FeatureInputs", "compute_features"]
