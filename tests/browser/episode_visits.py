"""What the therapist types in the episode journey (``test_episode_journey.py``): one synthetic Medicare patient's
episode of care for L5 radiculopathy, treated Monday, Wednesday and Friday under a plan of 2-3 visits a week for
6 weeks, from the initial evaluation on Monday 2026-10-05 to the discharge on Wednesday 2026-10-28.

Form inputs are named by document path, as on the note page (``tests.browser.live_app.T`` is the traction's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from tests.browser.live_app import T

EVALUATION_DAY = date(2026, 10, 5)
PLAN = {
    "plan_of_care.start_date": "2026-10-05",
    "plan_of_care.end_date": "2026-11-15",  # 6 weeks
    "plan_of_care.order_signed_date": "2026-10-01",  # the physician's signed referral
    "plan_of_care.sent_to_referrer_date": "2026-10-05",
    "plan_of_care.frequency_per_week": "2",
    "plan_of_care.frequency_max_per_week": "3",
    "plan_of_care.duration_weeks": "6",
}
CERTIFIED_ON = "2026-10-08"  # the physician signs the plan; entered at the next visit after it comes back
GOALS = [
    {
        "id": "STG1",
        "term": "short",
        "description": "Sit 30 minutes without leg pain",
        "baseline": "10 minutes",
        "target": "30 minutes",
        "target_date": "2026-10-23",
    },
    {
        "id": "LTG1",
        "term": "long",
        "description": "Full 8-hour shifts as a cashier",
        "baseline": "2 hours",
        "target": "8 hours",
        "target_date": "2026-11-13",
    },
]
FLOWSHEET = [  # the evaluation's exercises; each daily note edits them in the grid
    {"exercise": "Bridges", "sets": "2", "reps": "10", "cues": "neutral spine"},
    {"exercise": "Recumbent bike", "minutes": "8"},
    {"exercise": "Prone press-ups", "sets": "1", "reps": "10", "cues": "stop if leg pain spreads"},
]
EVALUATION = {
    **PLAN,
    "plan_of_care.certified_date": "",
    "plan_of_care.visit_number": "1",
    "plan_of_care.visits_since_progress_report": "0",
    T + "force_lbs": "60",
    "services[0].start_time": "09:40",
    "services[0].end_time": "09:58",
    T + "monitoring_checks": "09:45, 09:52",
    "services[0].patient_response": "Leg pain 6/10 before, 4/10 after; no adverse response.",
    "services[0].goal_ids": "STG1, LTG1",
    "services[1].minutes": "15",
    "services[2].minutes": "35",  # the evaluation itself
    "services[2].modifiers": "GP",
    "services[2].diagnosis_pointers": "1, 2",
    "total_treatment_minutes": "68",
    "subjective.text": "Low back and left leg pain for 6 weeks after lifting boxes at work; sitting over 10 minutes "
    "brings on the leg pain. Works 2-hour shifts as a cashier.",
    "subjective.pain_now": "6",
    "subjective.pain_best": "3",
    "subjective.pain_worst": "8",
    "objective.range_of_motion[0].joint": "Lumbar spine",
    "objective.range_of_motion[0].motion": "Flexion",
    "objective.range_of_motion[0].degrees": "40",
    "objective.range_of_motion[1].joint": "Lumbar spine",
    "objective.range_of_motion[1].motion": "Extension",
    "objective.range_of_motion[1].degrees": "10",
    "objective.strength[0].muscle_group": "Hip abductors",
    "objective.strength[0].grade": "4-",
    "objective.strength[1].muscle_group": "Ankle dorsiflexors",
    "objective.strength[1].grade": "4",
    "objective.special_tests[0].name": "Straight leg raise",
    "objective.outcome_measures[0].name": "Oswestry",
    "objective.outcome_measures[0].score": "42",
    "objective.outcome_measures[0].scale_max": "100",
    "assessment": "L5 radiculopathy from an L4-5 disc herniation limiting sitting and work; a candidate for "
    "mechanical traction with exercise.",
    "plan": "Mechanical traction, therapeutic exercise and a home program, 2-3 times a week for 6 weeks.",
    **{f"flowsheet[{row}].{key}": value for row, entry in enumerate(FLOWSHEET) for key, value in entry.items()},
    **{f"goals[{row}].{key}": value for row, goal in enumerate(GOALS) for key, value in goal.items() if key != "term"},
}
EVALUATION_CHOICES = {
    "objective.strength[0].side": "left",
    "objective.strength[1].side": "left",
    "objective.special_tests[0].result": "positive",
    "objective.special_tests[0].side": "left",
    "goals[0].term": "short",
    "goals[1].term": "long",
    "services[2].code": "97162",  # PT evaluation, moderate complexity
}


@dataclass(frozen=True)
class Visit:
    """One daily treatment note: today's own entries and the flowsheet edits typed into the grid."""

    day: date
    force: str
    start: str
    end: str
    checks: str
    exercise_minutes: str
    pain_before: int
    subjective: str
    flowsheet: dict[tuple[int, str], str]  # (row, column) -> the new value; a row past the last one is added
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def traction_minutes(self) -> int:
        (h1, m1), (h2, m2) = (map(int, self.start.split(":")), map(int, self.end.split(":")))
        return (h2 * 60 + m2) - (h1 * 60 + m1)

    def typed(self) -> dict[str, str]:
        pain_after = self.pain_before - 2
        return {
            T + "force_lbs": self.force,
            "services[0].start_time": self.start,
            "services[0].end_time": self.end,
            T + "monitoring_checks": self.checks,
            "services[0].patient_response": f"Leg pain {self.pain_before}/10 before, {pain_after}/10 after at "
            f"{self.force} lb; no adverse response.",
            "services[0].clinical_justification": "L5 radiculopathy from an L4-5 disc herniation: traction unloads "
            f"the nerve root so the exercise can progress; leg pain still {self.pain_before}/10 on sitting.",
            "services[1].minutes": self.exercise_minutes,
            "total_treatment_minutes": str(self.traction_minutes + int(self.exercise_minutes)),
            "subjective.text": self.subjective,
            "subjective.pain_now": str(self.pain_before),
            **self.extra,
        }


# Six daily notes written on the note page, each started from the last visit (copy-forward).
DAILY = [
    Visit(
        date(2026, 10, 7),
        "65",
        "09:02",
        "09:20",
        "09:08, 09:15",
        "23",
        6,
        "Sat 15 minutes at dinner before the leg pain came on.",
        {(0, "sets"): "3", (1, "load"): "level 2"},
    ),
    Visit(
        date(2026, 10, 9),
        "70",
        "09:05",
        "09:23",
        "09:10, 09:18",
        "23",
        5,
        "Less leg pain in the morning; sitting still the problem.",
        {(2, "sets"): "2", (1, "load"): "level 3", (3, "exercise"): "Bird dog", (3, "sets"): "2", (3, "reps"): "8"},
        extra={"plan_of_care.certified_date": CERTIFIED_ON},
    ),
    Visit(
        date(2026, 10, 12),
        "70",
        "09:01",
        "09:19",
        "09:07, 09:14",
        "25",
        5,
        "Worked a 3-hour shift on Saturday.",
        {(3, "sets"): "3", (0, "load"): "red band at knees"},
    ),
    Visit(
        date(2026, 10, 14),
        "75",
        "09:03",
        "09:21",
        "09:09, 09:16",
        "25",
        4,
        "Sat through a 25-minute drive.",
        {(2, "sets"): "3", (1, "load"): "level 4"},
    ),
    Visit(
        date(2026, 10, 16),
        "75",
        "09:00",
        "09:18",
        "09:06, 09:13",
        "25",
        4,
        "Leg pain only after long sitting now.",
        {
            (0, "sets"): "4",
            (4, "exercise"): "Sit to stand",
            (4, "sets"): "2",
            (4, "reps"): "10",
            (4, "load"): "18 in chair",
        },
    ),
    Visit(
        date(2026, 10, 19),
        "80",
        "09:02",
        "09:20",
        "09:08, 09:15",
        "25",
        3,
        "Worked two 4-hour shifts.",
        {(4, "sets"): "3", (4, "load"): "16 in chair"},
    ),
]
# Treatment days 8 and 9, sent by the clinic's EMR through the JSON API (each from the last stored note).
EMR_DAYS = [
    (date(2026, 10, 21), 80, {0: ("reps", "12")}),
    (date(2026, 10, 23), 85, {3: ("load", "1 lb ankle weights")}),
]
REPORT_DAY = date(2026, 10, 26)  # treatment day 10: the progress report is due
DISCHARGE_DAY = date(2026, 10, 28)
LATE_ENTRY = "Patient phoned on 2026-10-13: leg pain rose to 5/10 the evening after the session and settled by morning."

REPORT_VISIT = Visit(
    REPORT_DAY,
    "85",
    "09:04",
    "09:22",
    "09:10, 09:17",
    "25",
    3,
    "Sits 35 minutes; worked a 5-hour shift on Saturday.",
    {},
)
REPORT = {
    "objective.range_of_motion[0].joint": "Lumbar spine",
    "objective.range_of_motion[0].motion": "Flexion",
    "objective.range_of_motion[0].degrees": "55",
    "objective.strength[0].muscle_group": "Hip abductors",
    "objective.strength[0].grade": "4+",
    "objective.outcome_measures[0].name": "Oswestry",
    "objective.outcome_measures[0].score": "24",
    "objective.outcome_measures[0].scale_max": "100",
    "goals[0].progress": "Sits 35 minutes without leg pain",
    "goals[1].progress": "Works 5-hour shifts",
    "assessment": "Oswestry 42 to 24 and lumbar flexion 40 to 55 degrees in 10 treatment days; sitting goal met. "
    "Still limited for full shifts: skilled progression of traction and loading is needed.",
    "plan": "Continue traction and exercise 2 times a week; progress standing tolerance toward full shifts.",
}
REPORT_STATUSES = {"goals[0].status": "met", "goals[1].status": "progressing"}

DISCHARGE_VISIT = Visit(
    DISCHARGE_DAY,
    "85",
    "09:03",
    "09:21",
    "09:09, 09:16",
    "23",
    2,
    "Worked a 6-hour shift without leg pain; wants to carry on at home.",
    {},
)
DISCHARGE = {
    "objective.range_of_motion[0].joint": "Lumbar spine",
    "objective.range_of_motion[0].motion": "Flexion",
    "objective.range_of_motion[0].degrees": "60",
    "objective.outcome_measures[0].name": "Oswestry",
    "objective.outcome_measures[0].score": "16",
    "objective.outcome_measures[0].scale_max": "100",
    "goals[0].progress": "Sits 45 minutes",
    "goals[1].progress": "Works 6-hour shifts; full shifts expected with the home program",
    "assessment": "Oswestry 42 to 16; independent with the home program. Sitting goal met, work goal nearly met.",
    "plan": "Discharged to the home exercise program; to return on a new referral if the leg pain recurs.",
}
DISCHARGE_STATUSES = {"goals[0].status": "met", "goals[1].status": "partially_met"}
RE_EVALUATION = {  # typed on a re-evaluation form for its screenshot only; not saved
    "objective.range_of_motion[0].joint": "Lumbar spine",
    "objective.range_of_motion[0].motion": "Flexion",
    "objective.range_of_motion[0].degrees": "60",
    "objective.outcome_measures[0].name": "Oswestry",
    "objective.outcome_measures[0].score": "16",
    "objective.outcome_measures[0].scale_max": "100",
    "goals[0].progress": "Sits 45 minutes",
    "goals[1].progress": "Works 6-hour shifts",
    "services[2].minutes": "20",
    "services[2].modifiers": "GP",
    "services[2].diagnosis_pointers": "1, 2",
    "total_treatment_minutes": "61",
    "assessment": "Re-measured: Oswestry 16, lumbar flexion 60 degrees. Goals to be revised for return to full shifts.",
    "plan": "Continue 2 times a week for 4 weeks toward full shifts; revised plan sent for certification.",
}
RE_EVALUATION_CHOICES = {"services[2].code": "97164", "goals[0].status": "met", "goals[1].status": "progressing"}
