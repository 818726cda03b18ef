"""The public documents the checks rest on, each named as a clinic finds it (manual, chapter and
section; regulation; CMS file) with the address where it can be opened.
"""

from __future__ import annotations

BPM_15_URL = "https://www.cms.gov/Regulations-and-Guidance/Guidance/Manuals/Downloads/bp102c15.pdf"
CPM_1_URL = "https://www.cms.gov/Regulations-and-Guidance/Guidance/Manuals/Downloads/clm104c01.pdf"
CPM_5_URL = "https://www.cms.gov/Regulations-and-Guidance/Guidance/Manuals/Downloads/clm104c05.pdf"
CPM_26_URL = "https://www.cms.gov/Regulations-and-Guidance/Guidance/Manuals/Downloads/clm104c26.pdf"
CPM_30_URL = "https://www.cms.gov/Regulations-and-Guidance/Guidance/Manuals/Downloads/clm104c30.pdf"
NCCI_URL = "https://www.cms.gov/medicare-medicaid-coordination/national-correct-coding-initiative-ncci/ncci-medicare"
MUE_URL = NCCI_URL + "/medicare-ncci-medically-unlikely-edits"
THERAPY_SERVICES_URL = "https://www.cms.gov/medicare/coding-billing/therapy-services"
ICD10_URL = "https://www.cms.gov/medicare/coding-billing/icd-10-codes"
NCD_160_16_URL = "https://www.cms.gov/medicare-coverage-database/view/ncd.aspx?NCDId=124"
CFR_410_60_URL = "https://www.ecfr.gov/current/title-42/chapter-IV/subchapter-B/part-410/subpart-B/section-410.60"
CFR_424_24_URL = "https://www.ecfr.gov/current/title-42/chapter-IV/subchapter-B/part-424/subpart-B/section-424.24"
CFR_410_61_URL = "https://www.ecfr.gov/current/title-42/chapter-IV/subchapter-B/part-410/subpart-B/section-410.61"
CFR_424_44_URL = "https://www.ecfr.gov/current/title-42/chapter-IV/subchapter-B/part-424/subpart-C/section-424.44"
NPI_RULE_URL = "https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-162/subpart-D"
NORIDIAN_GA_URL = "https://med.noridianmedicare.com/web/jadme/topics/modifiers/ga"
CY2025_PFS_URL = "https://www.federalregister.gov/citation/89-FR-97710"
HCPCS_URL = "https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update"
CARC_URL = "https://x12.org/codes/claim-adjustment-reason-codes"
CPT_URL = "https://www.ama-assn.org/practice-management/cpt"


def cite(title: str, url: str) -> str:
    """A source as findings and docs/rules.md show it: the document's name, then where to open it."""
    return f"{title} ({url})"


def bpm_15(section: str, what: str = "") -> str:
    """Medicare Benefit Policy Manual ch.15, the outpatient therapy chapter."""
    title = f"Medicare Benefit Policy Manual (Pub. 100-02) ch.15 §{section}"
    return cite(title + (f", {what}" if what else ""), BPM_15_URL)


def cpm(chapter: int, section: str, what: str = "") -> str:
    """Medicare Claims Processing Manual (chapters 1, 5, 26 and 30)."""
    url = {1: CPM_1_URL, 5: CPM_5_URL, 26: CPM_26_URL, 30: CPM_30_URL}[chapter]
    title = f"Medicare Claims Processing Manual (Pub. 100-04) ch.{chapter} §{section}"
    return cite(title + (f", {what}" if what else ""), url)
