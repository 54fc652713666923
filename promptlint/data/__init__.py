"""Data files shipped with promptlint: model facts, calibration, the legacy tokenizer."""
