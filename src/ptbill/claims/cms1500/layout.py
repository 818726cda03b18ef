"""Where everything sits on the 1500 claim form (02/12): the one table the red form and the data share.

Source: the form's print grid (8.5 x 11 in, 10 characters and 6 lines an inch, NUCC's 10-point type);
items sit at the print line and column billing software fills them at (as in OpenEMR's 02/12 print file).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

POINTS_PER_INCH = 72.0
PAGE_WIDTH = 8.5 * POINTS_PER_INCH
PAGE_HEIGHT = 11.0 * POINTS_PER_INCH

CHARS_PER_INCH = 10
LINES_PER_INCH = 6
COLUMN_WIDTH = POINTS_PER_INCH / CHARS_PER_INCH  # 7.2 pt
LINE_HEIGHT = POINTS_PER_INCH / LINES_PER_INCH  # 12 pt

# Print line 1 is the top 1/6 in of the sheet; print column 1 starts 0.3 in from the left edge.
GRID_LEFT = 0.3 * POINTS_PER_INCH
GRID_TOP = 0.0
LAST_COLUMN = 78
SERVICE_LINES_PER_FORM = 6
FIRST_SERVICE_LINE = 43  # the shaded half of service line 1; its unshaded half is print line 44


def column_x(col: float) -> float:
    """Left edge of print column ``col`` (1-based), in points from the sheet's left edge.

    Fractional columns name positions inside a column: ``column_x(49.5)`` is the middle of column 49.
    """
    return GRID_LEFT + (col - 1) * COLUMN_WIDTH


def line_top(line: float) -> float:
    """Top edge of print line ``line`` (1-based), in points from the sheet's top edge."""
    return GRID_TOP + (line - 1) * LINE_HEIGHT


# The outer frame runs through the middle of the blank margins either side of columns 1-78
# (0.25 in to 8.05 in from the left edge); the body starts at print line 7 (1 in from the top).
FRAME_LEFT = column_x(0.5)
FRAME_RIGHT = column_x(LAST_COLUMN + 0.5)


@dataclass(frozen=True, slots=True)
class Rect:
    """A rectangle in points with the origin at the sheet's top left, as pdfplumber reports positions."""

    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(x0, top, x1, bottom): what pdfplumber's ``within_bbox`` and ``crop`` take."""
        return (self.x0, self.top, self.x1, self.bottom)

    def contains(self, other: Rect, tolerance: float = 0.01) -> bool:
        return (
            other.x0 >= self.x0 - tolerance
            and other.x1 <= self.x1 + tolerance
            and other.top >= self.top - tolerance
            and other.bottom <= self.bottom + tolerance
        )


class Align(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    CENTER = "center"  # labels only: centred on their grid position


@dataclass(frozen=True, slots=True)
class Field:
    """One place the claim's data is printed: ``width`` print columns from (``line``, ``col``).

    A check field is a one-character box the red form draws and the data marks with an X.
    """

    name: str
    line: int
    col: int
    width: int = 1
    align: Align = Align.LEFT
    check: bool = False

    @property
    def rect(self) -> Rect:
        return Rect(column_x(self.col), line_top(self.line), column_x(self.col + self.width), line_top(self.line + 1))


@dataclass(frozen=True, slots=True)
class Label:
    """Red pre-printed text at a grid position; its baseline sits ``rise`` points above the foot of ``line``."""

    text: str
    line: float
    col: float
    size: float = 5.0
    bold: bool = False
    align: Align = Align.LEFT
    rise: float = 3.0


@dataclass(frozen=True, slots=True)
class Box:
    """One ruled box: item id, caption, print lines ``lines`` (first, last) and vertical rules at grid
    positions ``edges`` (left, right), the data fields inside it and the small marks it needs.

    Rules run through blank columns (x.5) wherever the print grid leaves one, so no data touches them.
    """

    item: str
    caption: str
    lines: tuple[int, int]
    edges: tuple[float, float]
    fields: tuple[Field, ...] = ()
    labels: tuple[Label, ...] = ()
    dividers: tuple[float, ...] = ()  # short dotted ticks in the data line (between MM, DD and YY)
    full_dividers: tuple[float, ...] = ()  # solid, over the box's whole height
    lower_dividers: tuple[float, ...] = ()  # solid, over the box's last line only
    shaded_lines: tuple[int, ...] = ()
    ruled: bool = True
    caption_size: float = 5.5

    @property
    def rect(self) -> Rect:
        first, last = self.lines
        left, right = self.edges
        return Rect(column_x(left), line_top(first), column_x(right), line_top(last + 1))


# Rows of the upper half share these rules: patient column | middle column | insured column.
LEFT_COLUMN = (0.5, 29.5)
MIDDLE_COLUMN = (29.5, 49.5)
RIGHT_COLUMN = (49.5, 78.5)
WIDE_LEFT = (0.5, 49.5)


def _check(name: str, line: int, col: int) -> Field:
    return Field(name, line, col, 1, check=True)


def _date_hints(line: int, col: int, year_digits: int = 2) -> tuple[Label, ...]:
    """'MM DD YY' at the foot of caption line ``line``, over a date printed as 'MM DD YY(YY)' from ``col``."""
    year = "YY" if year_digits == 2 else "YYYY"
    return (
        Label("MM", line, col + 0.35, 4.2, rise=0.5),
        Label("DD", line, col + 3.35, 4.2, rise=0.5),
        Label(year, line, col + 6.35 + (0.5 if year_digits == 4 else 0), 4.2, rise=0.5),
    )


def _date_ticks(col: int) -> tuple[float, ...]:
    """Dotted ticks in the blank columns between month, day and year of a date printed from ``col``."""
    return (col + 2.5, col + 5.5)


def _simple(item: str, caption: str, line: int, edges: tuple[float, float], col: int, width: int) -> Box:
    """A two-line box: caption on top, one field of ``width`` columns on the second line."""
    return Box(item, caption, (line, line + 1), edges, fields=(Field(item, line + 1, col, width),))


def _header_boxes() -> list[Box]:
    return [
        Box(
            "carrier",
            "",
            (2, 5),
            (40.5, 72.5),
            fields=tuple(Field(f"carrier.{n}", 1 + n, 41, 31) for n in range(1, 5)),
            ruled=False,
        ),
        Box("page", "", (1, 1), (40.5, 78.5), fields=(Field("page", 1, 41, 37, Align.RIGHT),), ruled=False),
    ]


def _yes_no_box(item: str, caption: str, line: int, *, state: bool = False) -> Box:
    fields = [_check(f"{item}.yes", line + 1, 35), _check(f"{item}.no", line + 1, 41)]
    labels = [Label("YES", line + 1, 36.3, 5.0), Label("NO", line + 1, 42.3, 5.0)]
    if state:
        fields.append(Field(f"{item}.state", line + 1, 46, 2))
        labels.append(Label("PLACE (State)", line, 43.5, 4.5))
    return Box(item, caption, (line, line + 1), MIDDLE_COLUMN, fields=tuple(fields), labels=tuple(labels))


def _patient_insured_boxes() -> list[Box]:
    programs = (
        ("medicare", 1, "MEDICARE", "(Medicare ID)"),
        ("medicaid", 8, "MEDICAID", "(Medicaid ID)"),
        ("tricare", 15, "TRICARE", "(ID/DoD ID)"),
        ("champva", 24, "CHAMPVA", "(Member ID)"),
        ("group", 31, "GROUP HEALTH PLAN", "(ID)"),
        ("feca", 39, "FECA BLK LUNG", "(ID)"),
        ("other", 45, "OTHER", "(ID)"),
    )
    program_names = tuple(
        Label(name, 7, col + (1.4 if col == 1 else 0), 5.0, bold=True) for _, col, name, _ in programs
    )
    program_hints = tuple(Label(hint, 8, col + 1.3, 4.3) for _, col, _, hint in programs)
    return [
        Box(
            "1",
            "1.",
            (7, 8),
            WIDE_LEFT,
            fields=tuple(_check(f"1.{key}", 8, col) for key, col, _, _ in programs),
            labels=program_names + program_hints,
        ),
        _simple("1a", "1a. INSURED'S ID NUMBER (for the program in item 1)", 7, RIGHT_COLUMN, 50, 28),
        _simple("2", "2. PATIENT'S NAME (Last, First, Middle Initial)", 9, LEFT_COLUMN, 1, 28),
        Box(
            "3",
            "3. PATIENT'S BIRTH DATE",
            (9, 10),
            MIDDLE_COLUMN,
            fields=(Field("3.dob", 10, 31, 10), _check("3.sex_m", 10, 42), _check("3.sex_f", 10, 47)),
            labels=(
                *_date_hints(9, 31, 4),
                Label("SEX", 9, 44, 5.0),
                Label("M", 10, 41.7, 5.0, align=Align.RIGHT),
                Label("F", 10, 46.7, 5.0, align=Align.RIGHT),
            ),
            dividers=_date_ticks(31),
        ),
        _simple("4", "4. INSURED'S NAME (Last, First, Middle Initial)", 9, RIGHT_COLUMN, 50, 28),
        Box("5", "5. PATIENT'S ADDRESS (No., Street)", (11, 12), LEFT_COLUMN, fields=(Field("5.street", 12, 1, 28),)),
        Box(
            "6",
            "6. PATIENT RELATIONSHIP TO INSURED",
            (11, 12),
            MIDDLE_COLUMN,
            fields=(
                _check("6.self", 12, 33),
                _check("6.spouse", 12, 38),
                _check("6.child", 12, 42),
                _check("6.other", 12, 47),
            ),
            labels=(
                Label("Self", 12, 32.7, 5.0, align=Align.RIGHT),
                Label("Spouse", 12, 37.7, 5.0, align=Align.RIGHT),
                Label("Child", 12, 41.7, 5.0, align=Align.RIGHT),
                Label("Other", 12, 46.7, 5.0, align=Align.RIGHT),
            ),
        ),
        Box("7", "7. INSURED'S ADDRESS (No., Street)", (11, 12), RIGHT_COLUMN, fields=(Field("7.street", 12, 50, 28),)),
        Box("5.city", "CITY", (13, 14), (0.5, 24.5), fields=(Field("5.city", 14, 1, 23),)),
        Box("5.state", "STATE", (13, 14), (24.5, 29.5), fields=(Field("5.state", 14, 26, 2),)),
        Box("8", "8. RESERVED FOR NUCC USE", (13, 16), MIDDLE_COLUMN),
        Box("7.city", "CITY", (13, 14), (49.5, 72.5), fields=(Field("7.city", 14, 50, 22),)),
        Box("7.state", "STATE", (13, 14), (72.5, 78.5), fields=(Field("7.state", 14, 74, 2),)),
        Box("5.zip", "ZIP CODE", (15, 16), (0.5, 13.5), fields=(Field("5.zip", 16, 1, 10),)),
        Box(
            "5.phone",
            "TELEPHONE (with area code)",
            (15, 16),
            (13.5, 29.5),
            fields=(Field("5.phone_area", 16, 15, 3), Field("5.phone", 16, 19, 8)),
            labels=(Label("(", 16, 14.3, 8.0), Label(")", 16, 18.1, 8.0)),
        ),
        Box("7.zip", "ZIP CODE", (15, 16), (49.5, 63.5), fields=(Field("7.zip", 16, 50, 10),)),
        Box(
            "7.phone",
            "TELEPHONE (with area code)",
            (15, 16),
            (63.5, 78.5),
            fields=(Field("7.phone_area", 16, 65, 3), Field("7.phone", 16, 69, 8)),
            labels=(Label("(", 16, 64.3, 8.0), Label(")", 16, 68.1, 8.0)),
        ),
        _simple("9", "9. OTHER INSURED'S NAME (Last, First, Middle Initial)", 17, LEFT_COLUMN, 1, 28),
        Box("10", "10. IS THE PATIENT'S CONDITION RELATED TO:", (17, 18), MIDDLE_COLUMN),
        _simple("11", "11. INSURED'S POLICY GROUP OR FECA NUMBER", 17, RIGHT_COLUMN, 50, 28),
        _simple("9a", "a. OTHER INSURED'S POLICY OR GROUP NUMBER", 19, LEFT_COLUMN, 1, 28),
        _yes_no_box("10a", "a. EMPLOYMENT? (Current or Previous)", 19),
        Box(
            "11a",
            "a. INSURED'S DATE OF BIRTH",
            (19, 20),
            RIGHT_COLUMN,
            fields=(Field("11a.dob", 20, 53, 10), _check("11a.sex_m", 20, 68), _check("11a.sex_f", 20, 75)),
            labels=(
                *_date_hints(19, 53, 4),
                Label("SEX", 19, 70.5, 5.0),
                Label("M", 20, 67.7, 5.0, align=Align.RIGHT),
                Label("F", 20, 74.7, 5.0, align=Align.RIGHT),
            ),
            dividers=_date_ticks(53),
        ),
        Box("9b", "b. RESERVED FOR NUCC USE", (21, 22), LEFT_COLUMN),
        _yes_no_box("10b", "b. AUTO ACCIDENT?", 21, state=True),
        _simple("11b", "b. OTHER CLAIM ID (Designated by NUCC)", 21, RIGHT_COLUMN, 50, 28),
        Box("9c", "c. RESERVED FOR NUCC USE", (23, 24), LEFT_COLUMN),
        _yes_no_box("10c", "c. OTHER ACCIDENT?", 23),
        _simple("11c", "c. INSURANCE PLAN NAME OR PROGRAM NAME", 23, RIGHT_COLUMN, 50, 28),
        _simple("9d", "d. INSURANCE PLAN NAME OR PROGRAM NAME", 25, LEFT_COLUMN, 1, 28),
        _simple("10d", "10d. CLAIM CODES (Designated by NUCC)", 25, MIDDLE_COLUMN, 31, 18),
        Box(
            "11d",
            "d. IS THERE ANOTHER HEALTH BENEFIT PLAN?",
            (25, 26),
            RIGHT_COLUMN,
            fields=(_check("11d.yes", 26, 52), _check("11d.no", 26, 57)),
            labels=(
                Label("YES", 26, 53.3, 5.0),
                Label("NO", 26, 58.3, 5.0),
                Label("If yes, complete items 9, 9a and 9d.", 26, 61, 5.0, bold=True),
            ),
        ),
        Box(
            "12",
            "READ THE BACK OF THE FORM BEFORE COMPLETING AND SIGNING IT.\n"
            "12. PATIENT'S OR AUTHORIZED PERSON'S SIGNATURE  I allow release of the medical or other "
            "information needed\nto process this claim, and ask that government benefits be paid to me "
            "or to the party accepting assignment.",
            (27, 30),
            WIDE_LEFT,
            fields=(Field("12.signed", 30, 8, 24), Field("12.date", 30, 38, 11)),
            labels=(Label("SIGNED", 30, 1.5, 5.5, bold=True), Label("DATE", 30, 34.5, 5.5, bold=True)),
        ),
        Box(
            "13",
            "\n13. INSURED'S OR AUTHORIZED PERSON'S SIGNATURE  I allow\npayment of medical benefits to the "
            "physician or supplier\nnamed below for the services described below.",
            (27, 30),
            RIGHT_COLUMN,
            fields=(Field("13.signed", 30, 57, 21),),
            labels=(Label("SIGNED", 30, 50.5, 5.5, bold=True),),
        ),
    ]


def _from_to_box(item: str, caption: str, line: int) -> Box:
    return Box(
        item,
        caption,
        (line, line + 1),
        RIGHT_COLUMN,
        fields=(Field(f"{item}.from", line + 1, 54, 8), Field(f"{item}.to", line + 1, 68, 8)),
        labels=(
            *_date_hints(line, 54),
            *_date_hints(line, 68),
            Label("FROM", line + 1, 50.5, 5.0),
            Label("TO", line + 1, 65.5, 5.0),
        ),
        dividers=(*_date_ticks(54), *_date_ticks(68)),
    )


def _physician_boxes() -> list[Box]:
    diagnosis_fields: list[Field] = []
    diagnosis_labels: list[Label] = []
    for index, letter in enumerate("ABCDEFGHIJKL"):
        row, position = divmod(index, 4)
        col = 2 + 13 * position
        diagnosis_fields.append(Field(f"21.{letter}", 38 + row, col, 8))
        diagnosis_labels.append(Label(f"{letter}.", 38 + row, col - 1.15, 5.0, bold=True))
    return [
        Box(
            "14",
            "14. DATE OF CURRENT ILLNESS, INJURY OR PREGNANCY (LMP)",
            (31, 32),
            LEFT_COLUMN,
            fields=(Field("14.date", 32, 2, 8), Field("14.qual", 32, 17, 3)),
            labels=(*_date_hints(31, 2), Label("QUAL.", 32, 12.5, 5.0)),
            dividers=_date_ticks(2),
        ),
        Box(
            "15",
            "15. OTHER DATE",
            (31, 32),
            MIDDLE_COLUMN,
            fields=(Field("15.qual", 32, 33, 3), Field("15.date", 32, 39, 8)),
            labels=(Label("QUAL.", 32, 30.5, 5.0), *_date_hints(31, 39)),
            dividers=(37.5, *_date_ticks(39)),
        ),
        _from_to_box("16", "16. DATES PATIENT UNABLE TO WORK IN CURRENT OCCUPATION", 31),
        Box(
            "17",
            "17. NAME OF REFERRING PROVIDER OR OTHER SOURCE",
            (33, 34),
            LEFT_COLUMN,
            fields=(Field("17.qual", 34, 1, 2), Field("17.name", 34, 4, 25)),
            dividers=(3.5,),
        ),
        Box(
            "17a",
            "",
            (33, 33),
            MIDDLE_COLUMN,
            fields=(Field("17a.qual", 33, 32, 2), Field("17a.id", 33, 35, 14)),
            labels=(Label("17a.", 33, 30.2, 5.0, bold=True),),
            full_dividers=(34.5,),
            shaded_lines=(33,),
        ),
        Box(
            "17b",
            "",
            (34, 34),
            MIDDLE_COLUMN,
            fields=(Field("17b", 34, 35, 10),),
            labels=(Label("17b.", 34, 30.2, 5.0, bold=True), Label("NPI", 34, 32.2, 5.0)),
            full_dividers=(34.5,),
        ),
        _from_to_box("18", "18. HOSPITALIZATION DATES RELATED TO CURRENT SERVICES", 33),
        _simple("19", "19. ADDITIONAL CLAIM INFORMATION (Designated by NUCC)", 35, WIDE_LEFT, 1, 48),
        Box(
            "20",
            "20. OUTSIDE LAB?",
            (35, 36),
            RIGHT_COLUMN,
            fields=(
                _check("20.yes", 36, 52),
                _check("20.no", 36, 57),
                Field("20.dollars", 36, 63, 6, Align.RIGHT),
                Field("20.cents", 36, 70, 2),
            ),
            labels=(Label("YES", 36, 53.3, 5.0), Label("NO", 36, 58.3, 5.0), Label("$ CHARGES", 35, 63, 5.5)),
            dividers=(69.5,),
            full_dividers=(61.5,),
        ),
        Box(
            "21",
            "21. DIAGNOSIS OR NATURE OF ILLNESS OR INJURY   Relate A-L to the service lines below (24E)",
            (37, 40),
            WIDE_LEFT,
            fields=(Field("21.ind", 37, 45, 1), *diagnosis_fields),
            labels=(Label("ICD Ind.", 37, 44.6, 5.0, align=Align.RIGHT), *diagnosis_labels),
        ),
        Box(
            "22",
            "22. RESUBMISSION\n      CODE",
            (37, 38),
            RIGHT_COLUMN,
            fields=(Field("22.code", 38, 51, 1), Field("22.original_ref", 38, 62, 16)),
            labels=(Label("ORIGINAL REF. NO.", 37, 62, 5.5),),
            full_dividers=(61.5,),
        ),
        _simple("23", "23. PRIOR AUTHORIZATION NUMBER", 39, RIGHT_COLUMN, 50, 28),
    ]


# Rules of 24A-24J on each service line, at grid positions (x.5 = the middle of a blank column,
# x.0 = between two columns that both carry data).
SERVICE_COLUMNS: Mapping[str, tuple[float, float]] = {
    "24A.from": (0.5, 9.5),
    "24A.to": (9.5, 18.5),
    "24B": (18.5, 21.5),
    "24C": (21.5, 23.5),
    "24D": (23.5, 44.5),
    "24E": (44.5, 49.5),
    "24F": (49.5, 58.5),
    "24G": (58.5, 62.5),
    "24H": (62.5, 65.0),
    "24I": (65.0, 67.5),
    "24J": (67.5, 78.5),
}


def service_line(number: int) -> tuple[int, int]:
    """(shaded print line, unshaded print line) of service line ``number`` (1-6)."""
    if not 1 <= number <= SERVICE_LINES_PER_FORM:
        raise ValueError(f"the form has service lines 1-{SERVICE_LINES_PER_FORM}, not {number}")
    shaded = FIRST_SERVICE_LINE + 2 * (number - 1)
    return shaded, shaded + 1


def _middle(edges: tuple[float, float]) -> float:
    return (edges[0] + edges[1]) / 2


def _service_header_box() -> Box:
    """The two caption lines over 24A-24J: letters on top, column names under them."""
    cols = SERVICE_COLUMNS
    labels: list[Label] = [
        Label("24.  A.", 41, 1.2, 5.5, bold=True, rise=5.0),
        Label("DATE(S) OF SERVICE", 41, 5.0, 5.5, rise=5.0),
        Label("From", 41, _middle(cols["24A.from"]), 4.8, align=Align.CENTER, rise=0.6),
        Label("To", 41, _middle(cols["24A.to"]), 4.8, align=Align.CENTER, rise=0.6),
    ]
    for first in (1, 10):
        for offset, text in ((0, "MM"), (3, "DD"), (6, "YY")):
            labels.append(Label(text, 42, first + offset + 1, 4.2, align=Align.CENTER, rise=1.0))
    captions = {
        "24B": ("B.", ("PLACE", "OF", "SERVICE")),
        "24C": ("C.", ("", "EMG")),
        "24E": ("E.", ("DIAGNOSIS", "POINTER")),
        "24F": ("F.", ("", "$ CHARGES")),
        "24G": ("G.", ("DAYS", "OR", "UNITS")),
        "24H": ("H.", ("EPSDT", "Family", "Plan")),
        "24I": ("I.", ("ID.", "QUAL.")),
        "24J": ("J.", ("RENDERING", "PROVIDER ID. #")),
    }
    rows = ((41, 0.6), (42, 5.6), (42, 1.0))
    for item, (letter, words) in captions.items():
        middle = _middle(cols[item])
        labels.append(Label(letter, 41, middle, 5.5, bold=True, align=Align.CENTER, rise=5.0))
        for (line, rise), text in zip(rows, words, strict=False):
            if text:
                labels.append(Label(text, line, middle, 4.3, align=Align.CENTER, rise=rise))
    labels += [
        Label("D.", 41, 24.2, 5.5, bold=True, rise=5.0),
        Label("PROCEDURES, SERVICES, OR SUPPLIES", 41, 25.6, 5.5, rise=5.0),
        Label("(Explain Unusual Circumstances)", 41, _middle(cols["24D"]), 4.3, align=Align.CENTER, rise=0.6),
        Label("CPT/HCPCS", 42, _middle((23.5, 32.5)), 4.8, align=Align.CENTER, rise=1.0),
        Label("MODIFIER", 42, _middle((32.5, 44.5)), 4.8, align=Align.CENTER, rise=1.0),
    ]
    return Box(
        "24",
        "",
        (41, 42),
        (0.5, 78.5),
        labels=tuple(labels),
        full_dividers=tuple(left for name, (left, _) in cols.items() if name not in ("24A.from", "24A.to")),
        lower_dividers=(cols["24A.to"][0], 32.5),
    )


def _line_box(
    item: str, n: int, *fields: Field, dividers: tuple[float, ...] = (), labels: tuple[Label, ...] = ()
) -> Box:
    """Column ``item`` (24A-24J) of service line ``n``: its shaded and unshaded print lines."""
    shaded, plain = service_line(n)
    return Box(
        f"{item}.{n}",
        "",
        (shaded, plain),
        SERVICE_COLUMNS[item],
        fields=fields,
        dividers=dividers,
        labels=labels,
        shaded_lines=(shaded,),
    )


def _service_line_boxes() -> list[Box]:
    boxes: list[Box] = []
    for n in range(1, SERVICE_LINES_PER_FORM + 1):
        shaded, plain = service_line(n)
        boxes += [
            _line_box("24A.from", n, Field(f"24A.from.{n}", plain, 1, 8), dividers=_date_ticks(1)),
            _line_box("24A.to", n, Field(f"24A.to.{n}", plain, 10, 8), dividers=_date_ticks(10)),
            _line_box("24B", n, Field(f"24B.{n}", plain, 19, 2)),
            _line_box("24C", n, Field(f"24C.{n}", plain, 22, 1)),
            _line_box(
                "24D",
                n,
                Field(f"24D.code.{n}", plain, 25, 6),
                Field(f"24D.modifiers.{n}", plain, 33, 11),  # four 2-character modifiers, a space apart
                dividers=(32.5, 35.5, 38.5, 41.5),
            ),
            _line_box("24E", n, Field(f"24E.{n}", plain, 45, 4)),
            _line_box(
                "24F",
                n,
                Field(f"24F.dollars.{n}", plain, 50, 5, Align.RIGHT),
                Field(f"24F.cents.{n}", plain, 56, 2),
                dividers=(55.5,),
            ),
            _line_box("24G", n, Field(f"24G.{n}", plain, 59, 3, Align.RIGHT)),
            _line_box("24H", n, Field(f"24H.{n}", plain, 63, 2)),
            _line_box("24I", n, Field(f"24I.{n}", shaded, 65, 2), labels=(Label("NPI", plain, 65.4, 5.5, bold=True),)),
            _line_box("24J", n, Field(f"24J.other.{n}", shaded, 68, 10), Field(f"24J.{n}", plain, 68, 10)),
            # The shaded half of 24A-24G carries supplemental information (NDC and the like).
            Box(
                f"24.supplemental.{n}",
                "",
                (shaded, shaded),
                (0.5, 62.5),
                fields=(Field(f"24.supplemental.{n}", shaded, 1, 61),),
                ruled=False,
            ),
        ]
    return boxes


def _footer_boxes() -> list[Box]:
    return [
        Box(
            "25",
            "25. FEDERAL TAX I.D. NUMBER",
            (55, 56),
            (0.5, 21.5),
            fields=(Field("25", 56, 1, 15), _check("25.ssn", 56, 17), _check("25.ein", 56, 19)),
            labels=(Label("SSN", 55, 16.6, 5.0), Label("EIN", 55, 18.7, 5.0)),
        ),
        _simple("26", "26. PATIENT'S ACCOUNT NO.", 55, (21.5, 37.0), 23, 14),
        Box(
            "27",
            "27. ACCEPT ASSIGNMENT?\n(government claims: see back)",
            (55, 56),
            (37.0, 49.5),
            fields=(_check("27.yes", 56, 38), _check("27.no", 56, 43)),
            labels=(Label("YES", 56, 39.3, 5.0), Label("NO", 56, 44.3, 5.0)),
        ),
        Box(
            "28",
            "28. TOTAL CHARGE",
            (55, 56),
            (49.5, 60.5),
            fields=(
                Field("28.dollars", 56, 51, 6, Align.RIGHT),
                Field("28.cents", 56, 58, 2),
                Field("28.continued", 56, 51, 9),  # "CONTINUED", for payers who total on the last form only
            ),
            labels=(Label("$", 56, 50.0, 7.0),),
            dividers=(57.5,),
        ),
        Box(
            "29",
            "29. AMOUNT PAID",
            (55, 56),
            (60.5, 70.5),
            fields=(Field("29.dollars", 56, 62, 5, Align.RIGHT), Field("29.cents", 56, 68, 2)),
            labels=(Label("$", 56, 61.0, 7.0),),
            dividers=(67.5,),
        ),
        Box("30", "30. Rsvd for NUCC Use", (55, 56), (70.5, 78.5)),
        Box(
            "31",
            "31. SIGNATURE OF PHYSICIAN OR SUPPLIER\nINCLUDING DEGREES OR CREDENTIALS\n"
            "(I certify that the statements on the back\napply to this bill and are made part of it.)",
            (57, 61),
            (0.5, 21.5),
            fields=(Field("31.name", 60, 1, 20), Field("31.date", 61, 13, 8)),
            labels=(Label("SIGNED", 61, 1.3, 5.5, bold=True), Label("DATE", 61, 10.3, 5.5, bold=True)),
        ),
        Box(
            "32",
            "32. SERVICE FACILITY LOCATION INFORMATION",
            (57, 60),
            (21.5, 49.5),
            fields=(Field("32.name", 58, 23, 26), Field("32.street", 59, 23, 26), Field("32.city", 60, 23, 26)),
        ),
        Box(
            "32a",
            "",
            (61, 61),
            (21.5, 34.5),
            fields=(Field("32a", 61, 24, 10),),
            labels=(Label("a.", 61, 22.0, 5.5, bold=True, rise=5.0), Label("NPI", 61, 21.95, 3.8, rise=0.8)),
        ),
        Box(
            "32b",
            "",
            (61, 61),
            (34.5, 49.5),
            fields=(Field("32b", 61, 37, 12),),
            labels=(Label("b.", 61, 35.0, 5.5, bold=True, rise=5.0),),
            shaded_lines=(61,),
        ),
        Box(
            "33",
            "33. BILLING PROVIDER INFO & PH #",
            (57, 60),
            RIGHT_COLUMN,
            fields=(
                Field("33.phone_area", 57, 67, 3),
                Field("33.phone", 57, 71, 7),
                Field("33.name", 58, 51, 27),
                Field("33.street", 59, 51, 27),
                Field("33.city", 60, 51, 27),
            ),
            labels=(Label("(", 57, 66.3, 7.0, rise=2.0), Label(")", 57, 70.1, 7.0, rise=2.0)),
        ),
        Box(
            "33a",
            "",
            (61, 61),
            (49.5, 62.5),
            fields=(Field("33a", 61, 52, 10),),
            labels=(Label("a.", 61, 50.0, 5.5, bold=True, rise=5.0), Label("NPI", 61, 49.95, 3.8, rise=0.8)),
        ),
        Box(
            "33b",
            "",
            (61, 61),
            (62.5, 78.5),
            fields=(Field("33b", 61, 65, 13),),
            labels=(Label("b.", 61, 63.0, 5.5, bold=True, rise=5.0),),
            shaded_lines=(61,),
        ),
    ]


@dataclass(frozen=True, slots=True)
class Layout:
    """Every box of the form with its fields, looked up by item (``"24D.1"``) or field (``"33a"``)."""

    boxes: tuple[Box, ...]
    by_item: Mapping[str, Box] = field(init=False)
    fields: Mapping[str, Field] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_item", {b.item: b for b in self.boxes})
        object.__setattr__(self, "fields", {f.name: f for b in self.boxes for f in b.fields})
        problems = list(self._problems())
        if problems:
            raise ValueError("inconsistent 1500 layout: " + "; ".join(problems))

    def _problems(self) -> Iterator[str]:
        if len(self.by_item) != len(self.boxes):
            yield "two boxes share an item id"
        if len(self.fields) != sum(len(b.fields) for b in self.boxes):
            yield "two fields share a name"
        for b in self.boxes:
            for f in b.fields:
                if not b.rect.contains(f.rect) or f.col < 1 or f.col + f.width - 1 > LAST_COLUMN:
                    yield f"field {f.name} (columns {f.col}-{f.col + f.width - 1}) leaves box {b.item}"

    def box(self, item: str) -> Box:
        return self.by_item[item]

    def field(self, name: str) -> Field:
        return self.fields[name]


LAYOUT = Layout(
    (
        *_header_boxes(),
        *_patient_insured_boxes(),
        *_physician_boxes(),
        _service_header_box(),
        *_service_line_boxes(),
        *_footer_boxes(),
    )
)
"""The whole form: ``LAYOUT.box("24D.1").rect``, ``LAYOUT.field("33a").rect``."""
