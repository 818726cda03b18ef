"""Claim status: the 276/277 inquiry and answer (``x12_276_277``) and the 277CA claim acknowledgment
(``x12_277ca``), read into ``ptbill.domain.claim_status`` values and written for tests."""
