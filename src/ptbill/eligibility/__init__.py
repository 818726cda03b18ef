"""Eligibility: the 270 inquiry and the 271 answer (``x12_270_271``), read into
``ptbill.domain.eligibility`` values; the 270 is also written."""
