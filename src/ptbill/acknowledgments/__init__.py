"""Acknowledgments of what we sent: the 999 (``x12_999``). The 277CA claim acknowledgment lives with
claim status (``ptbill.claim_status.x12_277ca``), as it shares the 277's shape."""
