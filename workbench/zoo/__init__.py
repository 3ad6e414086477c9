"""CTR model zoo: field embeddings, CTR data sets and gate/mask models (registry below)."""
