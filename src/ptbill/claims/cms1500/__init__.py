"""Paper claims on the 1500 claim form (02/12): the red form drawn from one layout table, the data on top.

Source: NUCC 1500 Reference Instruction Manual and the form's 10 cpi x 6 lpi print grid.
"""

from __future__ import annotations

from ptbill.claims.cms1500.form import (
    Cms1500Error,
    FormPage,
    MultiPageTotals,
    page_values,
    paginate,
    render_cms1500,
    write_cms1500,
)
from ptbill.claims.cms1500.layout import LAYOUT, Box, Field, Layout, Rect

__all__ = [
    "LAYOUT",
    "Box",
    "Cms1500Error",
    "Field",
    "FormPage",
    "Layout",
    "MultiPageTotals",
    "Rect",
    "page_values",
    "paginate",
    "render_cms1500",
    "write_cms1500",
]
