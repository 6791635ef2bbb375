"""The ``demo`` workspace: Northwind, a company that sets its goals together.

Two stories share one workspace, so that every screen, warning and report has
something real to show: the launch of the Pulse 2 energy monitor, planned jointly
by product development and marketing, and the Aldergrove plant aligning its
operations with a vision of sustainable manufacturing. The story is data in this
module; :func:`build_demo` loads it through the public ``Workspace`` API only.
Dates are fixed around 2026-11-27 (one task is overdue, one blocked).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, NamedTuple

from goaltui.errors import WorkspaceExists
from goaltui.model.schema import SMART_CRITERIA, FieldType, collection
from goaltui.workspace import Workspace

__all__ = ["ME", "build_demo"]

ME = "person.alice"
"""The demo's user: Alice Moreno, who leads the Product team."""


class Table(NamedTuple):
    """Records of one kind: ``columns`` name each row's values; a row may end with a dict of
    further fields. ``key`` builds the demo key of rows without a ``key`` column (from the
    row's values, None written as ``all``)."""

    kind: str
    columns: str  # a field that refers to records holds demo keys, "goal.launch" or "launch"
    rows: list[tuple[Any, ...]]
    key: str = ""


def _smart(*statements: str) -> dict[str, str]:
    """The SMART map from its statements in S-M-A-R-T order (later ones may be left out)."""
    return dict(zip(SMART_CRITERIA, statements, strict=False))


# The story as data, one record a line where it fits (kept out of the formatter).
# fmt: off
VISION = (
    "By 2030 every Northwind device helps a home use less energy, and is built in a plant "
    "that runs on renewable power and sends almost nothing to landfill."
)
MISSION = (
    "We design, make and support connected energy devices for homes. Product, marketing and "
    "our Aldergrove plant plan together, measure honestly and improve every quarter."
)
VALUES = Table("value", "key name description", [
    ("value.together", "Decide together",
     "Goals that touch two teams are set in a joint session and signed off by both leads."),
    ("value.measure", "Measure what matters",
     "Every goal has a baseline, a target and a weekly number."),
    ("value.better", "Leave it better",
     "We count energy, scrap and renewables per unit the way we count revenue."),
    ("value.early", "Say it early",
     "Raise a risk or an objection as soon as you see it; bad news does not improve with age."),
])
TEAMS = Table("team", "key name parent", [
    ("team.leadership", "Leadership", None),
    ("team.product", "Product", "team.leadership"),
    ("team.marketing", "Marketing", "team.leadership"),
    ("team.operations", "Operations", "team.leadership"),
])
PEOPLE = Table("person", "key name handle email team", [
    ("person.dana", "Dana Whitfield", "dana", "dana@northwind.example", "leadership"),
    ("person.rosa", "Rosa Jiménez", "rosa", "rosa@northwind.example", "leadership"),
    ("person.alice", "Alice Moreno", "alice", "alice@northwind.example", "product"),
    ("person.chen", "Chen Wei", "chen", "chen@northwind.example", "product"),
    ("person.sofia", "Sofia Lindqvist", "sofia", "sofia@northwind.example", "product"),
    ("person.ben", "Ben Okafor", "ben", "ben@northwind.example", "marketing"),
    ("person.marcus", "Marcus Hale", "marcus", "marcus@northwind.example", "marketing"),
    ("person.priya", "Priya Raman", "priya", "priya@northwind.example", "operations"),
    ("person.lena", "Lena Fischer", "lena", "lena@northwind.example", "operations"),
    ("person.tom", "Tom Brennan", "tom", "tom@northwind.example", "operations"),
])
LEADS = {"team.leadership": "dana", "team.product": "alice", "team.marketing": "ben",
         "team.operations": "priya"}
CYCLES = Table("cycle", "key name start end cadence", [
    ("cycle.q3", "2026 Q3", "2026-07-01", "2026-09-30", "biweekly"),
    ("cycle.q4", "2026 Q4", "2026-10-01", "2026-12-31", "weekly"),
])
GOALS = Table("goal", "key title level team owner parent cycle status due", [
    ("goal.launch", "Launch Pulse 2 and reach 20,000 units sold by 31 Dec 2026",
     "strategic", "leadership", "dana", None, "q4", "active", "2026-12-31", {
        "start": "2026-10-01",
        "description": "Pulse 2 is our second-generation smart energy monitor. Product "
        "development and marketing own this launch together: one plan, one date, one set of "
        "numbers.",
        "smart": _smart("On sale in NL, DE and UK through our shop and 12 partners",
                        "Units sold incl. pre-orders, from the order system, weekly",
                        "Pulse 1 sold 11,400 units in its launch quarter with half the channels",
                        "Pulse 2 carries 60% of planned 2027 revenue",
                        "On sale 10 Nov; 20,000 units by 31 Dec 2026")}),
    ("goal.sustainable", "Make Aldergrove a sustainable plant: less energy, scrap and grid power",
     "strategic", "leadership", "priya", None, "q4", "active", "2026-12-31", {
        "start": "2026-10-01",
        "description": "Manufacturing's part of the vision. Q3 baselines: 4.8 kWh per unit on "
        "Line 2, 4.2% scrap, 35% renewable electricity.",
        "smart": _smart("Line 2 energy per unit, plant scrap rate, renewable share at Aldergrove",
                        "kWh/unit from sub-meters, scrap % from the MES, renewables from bills",
                        "Audit found 1.1 kWh/unit of avoidable load; hall B roof fits 1.2 MWp",
                        "Vision 2030: built on renewable power with almost no waste",
                        "Targets met by 31 Dec 2026, reviewed monthly")}),
    ("goal.beta", "Run the Pulse 2 home beta with 500 households",
     "team", "product", "alice", "goal.launch", "q3", "achieved", "2026-09-30", {
        "smart": _smart("500 homes in NL and DE on beta firmware daily",
                        "Active beta households from device telemetry",
                        "1,900 sign-ups on the waiting list",
                        "Real-home data for launch firmware")}),
    ("goal.firmware", "Ship Pulse 2 firmware at 99.5% crash-free sessions",
     "team", "product", "alice", "goal.launch", "q4", "active", "2026-12-18", {
        "smart": _smart("Firmware 1.0 at launch, 1.1 by mid-December",
                        "Crash-free sessions from telemetry, 7-day window",
                        "Beta ended at 97%; top 5 crash signatures cover 80% of crashes",
                        "Reviews and returns decide the launch quarter")}),
    ("goal.preorders", "Win 8,000 qualified pre-orders before launch day",
     "team", "marketing", "ben", "goal.launch", "q4", "missed", "2026-11-09", {
        "smart": _smart("Paid pre-orders in shop and retail, NL/DE/UK",
                        "Qualified (paid, not cancelled) pre-orders in the order system",
                        "Pulse 1 waiting list converted 14%; 48k owners to email",
                        "Pre-orders fund the first production run", "By 9 Nov, launch eve")}),
    ("goal.joint_plan", "Keep product and marketing on one launch plan through joint workshops",
     "team", "product", "alice", "goal.launch", "q4", "active", "2026-12-18", {
        "description": "The Q3 review's first lesson: plan the launch in joint workshops, sign "
        "one plan off, and keep meeting every two weeks until firmware 1.1 ships.",
        "smart": _smart("Four joint workshops; one signed launch plan",
                        "Plan signed by both leads; workshops held on their dates",
                        "Facilitator booked; both teams' leads committed",
                        "Fixes the Q3 planning gap")}),
    # Deliberately not SMART: two words, no description, a KPI without baseline or target.
    ("goal.buzz", "Brand buzz",
     "team", "marketing", "marcus", "goal.launch", "q4", "active", None, {}),
    ("goal.energy", "Cut Line 2 energy use from 4.8 to 3.8 kWh per unit",
     "team", "operations", "priya", "goal.sustainable", "q4", "active", "2026-12-31", {
        "smart": _smart("Line 2 (injection moulding and assembly), per finished unit",
                        "kWh per unit from the Line 2 sub-meters, weekly",
                        "Audit: dryer standby, air leaks and compressor heat are 1.1 kWh/unit",
                        "Largest energy user in the plant", "3.8 kWh/unit by 31 Dec")}),
    ("goal.scrap", "Bring the plant scrap rate below 2.0%",
     "team", "operations", "priya", "goal.sustainable", "q4", "active", "2026-12-31", {
        "smart": _smart("Scrap incl. rework bay, all moulding cells",
                        "Scrap % of parts produced, from the MES",
                        "Cells 1-2 fell to 1.8% once on SPC charts",
                        "Scrap is energy and material thrown away", "Below 2.0% by 31 Dec")}),
    # The orphan: a sound team goal nobody has aligned under a strategic one.
    ("goal.warehouse", "Cut finished-goods picking time to 9 minutes per order",
     "team", "operations", "tom", None, "q4", "active", "2026-12-31", {
        "smart": _smart("Finished-goods warehouse, all orders",
                        "Average pick time per order from the WMS", "Pick-to-light pilot",
                        "Faster dispatch when launch volume arrives")}),
    ("goal.boot", "Cut Pulse 2 cold-boot time from 9 s to 4 s",
     "individual", "product", "chen", "goal.firmware", "q4", "achieved", "2026-10-23", {
        "smart": _smart("Power-on to app pairing screen", "Median of 50 boots on RC hardware")}),
    ("goal.partners", "Sign 12 launch partners (retailers and installers)",
     "individual", "marketing", "marcus", "goal.preorders", "q4", "achieved", "2026-11-06", {
        "smart": _smart("4 retailers and 8 installer networks", "Signed partner agreements")}),
    ("goal.heat", "Commission heat recovery on the Line 2 compressors",
     "individual", "operations", "lena", "goal.energy", "q4", "active", "2026-12-11", {
        "smart": _smart("Compressors C1-C3 heat the moulding dryers",
                        "Compressor kWh per shift from sub-meters")}),
    ("goal.spc", "Put all 4 moulding cells on SPC charts",
     "individual", "operations", "tom", "goal.scrap", "q4", "active", "2026-12-11", {
        "smart": _smart("Cells 1-4, all three shifts", "Cells with live SPC charts")}),
])
KPIS = Table("kpi", "key goal name unit baseline target direction owner", [
    ("kpi.units", "launch", "Units sold (incl. pre-orders)", "units", 0, 20000, "increase", "ben"),
    ("kpi.renewable", "sustainable", "Renewable share of electricity", "%", 35, 60, "increase",
     "priya"),
    ("kpi.beta", "beta", "Active beta households", "households", 0, 500, "increase", "sofia"),
    ("kpi.crashfree", "firmware", "Crash-free sessions", "%", 97.0, 99.5, "increase", "chen"),
    ("kpi.preorders", "preorders", "Qualified pre-orders", "orders", 0, 8000, "increase",
     "marcus"),
    ("kpi.cpa", "preorders", "Cost per pre-order", "EUR", 38, 25, "decrease", "ben"),
    ("kpi.mentions", "buzz", "Social mentions per week", "mentions", None, None, None, "marcus"),
    ("kpi.energy", "energy", "Energy per unit (Line 2)", "kWh/unit", 4.8, 3.8, "decrease", "lena"),
    ("kpi.scrap", "scrap", "Scrap rate", "%", 4.2, 2.0, "decrease", "tom"),
    ("kpi.picktime", "warehouse", "Average pick time per order", "min", 14, 9, "decrease", "tom"),
    ("kpi.boot", "boot", "Cold-boot time", "s", 9, 4, "decrease", "chen"),
    ("kpi.partners", "partners", "Launch partners signed", "partners", 0, 12, "increase",
     "marcus"),
    ("kpi.compressor", "heat", "Compressor energy per shift", "kWh", 620, 450, "decrease", "lena"),
    ("kpi.spc", "spc", "Moulding cells on SPC", "cells", 0, 4, "increase", "tom"),
])
# KPI → (first check-in date, days between, [(value, confidence 0-10, note), ...]); the
# author is the KPI's owner and the status follows the confidence.
CHECKINS: dict[str, tuple[str, int, list[tuple[float, int, str]]]] = {
    "kpi.beta": ("2026-07-06", 14, [
        (120, 6, "First beta kits delivered"), (210, 6, "DE cohort onboarding slower than NL"),
        (290, 4, "Pairing bug on older routers; 40 drop-outs"), (360, 6, "Fixed in 0.9.3"),
        (430, 7, "Installer cohort added 60 homes"), (505, 8, "Target reached two weeks early"),
        (540, 9, "Closing the beta at 540 active homes")]),
    "kpi.units": ("2026-10-05", 7, [
        (620, 6, "Pre-orders opened Friday; shop only"), (1540, 6, "Press embargo lifted"),
        (2610, 7, "MediaMarkt listing live in NL"), (3950, 7, "First reviews positive"),
        (5700, 7, "Installer channel adds ~300 a week"), (7480, 8, "Launch eve, all pre-orders in"),
        (10900, 7, "Launch week: 3,420 units"),
        (13200, 5, "Slower week; need ~2,300 a week to reach 20k")]),
    "kpi.renewable": ("2026-10-12", 7, [
        (36, 5, "Grid mix only"), (36, 5, "PPA with legal"), (38, 6, "Solar PPA signed 23 Oct"),
        (41, 6, "Scaffolding up on hall B roof"), (44, 7, "First 400 kWp producing"),
        (52, 7, "Array connected 13 Nov; cloudy week"),
        (53, 5, "Winter sun: 60% needs certificates for the gap")]),
    "kpi.crashfree": ("2026-10-12", 7, [
        (97.2, 5, "Top crash: Wi-Fi reconnect after router reboot"), (97.8, 6, "Reconnect fix"),
        (98.4, 6, "RC1; energy report crash remains"), (98.3, 5, "1.0.1 regression on 2.4 GHz"),
        (99.0, 7, "1.0.2 hotfix at 100%"), (99.3, 7, "Launch traffic did not move the rate"),
        (99.4, 8, "Two crash signatures left, both fixed in 1.1")]),
    "kpi.preorders": ("2026-10-05", 7, [
        (600, 6, "Shop only; retail from 12 Oct"), (1500, 6, "Mailed 48k Pulse 1 owners"),
        (2600, 7, "Retail pre-orders counted from this week"),
        (3900, 6, "Paid social too expensive; moving budget to search"),
        (5600, 5, "Need 2,400 in the last week"), (7400, 4, "Closed at 7,400 (93%)")]),
    "kpi.cpa": ("2026-10-05", 7, [
        (41, 4, "Paid social at 52 EUR, search at 29"), (36, 5, "Budget moved to search"),
        (33, 6, "Installer referral codes live"), (30, 6, "Retail co-op ads not attributed yet"),
        (28, 5, "25 is out of reach before launch")]),
    "kpi.mentions": ("2026-10-26", 7, [
        (420, 5, "Teaser video"), (880, 6, "Tech press reviews"), (1400, 6, "Launch countdown"),
        (2100, 7, "Launch week"), (1300, 5, "Back to normal; gift guides not out yet")]),
    "kpi.energy": ("2026-10-05", 7, [
        (4.78, 5, "Sub-meters on 12 of 38 machines"), (4.71, 6, "Dryers idle at full load"),
        (4.62, 6, "Dryer standby schedule live"), (4.55, 6, "Air-leak hunt fixed 14 leaks"),
        (4.49, 6, "Launch volume spreads the fixed load"), (4.31, 7, "Second shift at full load"),
        (4.22, 5, "Heat recovery slips; 3.8 needs it"),
        (4.18, 4, "Without heat recovery we land near 4.0")]),
    "kpi.scrap": ("2026-10-05", 7, [
        (4.3, 5, "Cell 3 short shots"), (4.0, 6, "Cell 3 mould temperature fixed"),
        (3.9, 6, "SPC live on cell 1"), (3.5, 7, "Best week yet"),
        (3.6, 6, "Recounted with the rework bay"),
        (3.9, 3, "Launch ramp: new operators on shift B"), (3.1, 5, "Shift B coached"),
        (2.9, 6, "Cell 4 still on manual checks")]),
    "kpi.picktime": ("2026-11-02", 7, [
        (14.2, 6, "Baseline from WMS logs"), (13.5, 6, "Fast movers moved to aisle A"),
        (12.8, 7, "Pick-to-light pilot in aisle A"), (12.1, 7, "Launch volume, same headcount")]),
    "kpi.boot": ("2026-10-05", 7, [
        (9.1, 6, "Profiled: 3.2 s in the TLS handshake"), (7.4, 7, "Session resumption on"),
        (5.2, 7, "Energy report loads lazily"), (3.9, 9, "3.9 s on the RC1 branch")]),
    "kpi.partners": ("2026-10-05", 7, [
        (2, 6, "MediaMarkt NL and Coolblue signed"), (4, 6, "Two DE installer networks"),
        (5, 5, "Currys legal review is slow"), (8, 7, "Installer networks 3-5 signed"),
        (11, 7, "Currys signed"), (12, 9, "Energiewacht signed: 12 of 12")]),
    "kpi.compressor": ("2026-10-26", 7, [
        (620, 6, "Baseline from the new meters"), (618, 5, "Valves confirmed for 13 Nov"),
        (615, 4, "Supplier moves the valves to 4 Dec"), (612, 3, "Blocked; second quote asked"),
        (610, 3, "No change until the valves arrive")]),
    "kpi.spc": ("2026-10-12", 7, [
        (0, 6, "Charts designed with quality"), (1, 6, "Cell 1 live"), (2, 7, "Cell 2 live"),
        (2, 5, "Cell 3 needs a new sensor"), (2, 4, "Shift B training slipped"),
        (3, 5, "Cell 3 live"), (3, 5, "Cell 4 waits on shift B training")]),
}
MILESTONE = {"milestone": True}
TASKS = Table("task", "key title goal assignee status due depends_on", [
    ("task.ws1", "Joint workshop 1: positioning and personas", "joint_plan", "sofia", "done",
     "2026-10-02", []),
    ("task.ws2", "Joint workshop 2: pricing, bundles and channels", "joint_plan", "marcus", "done",
     "2026-10-09", ["task.ws1"]),
    ("task.ws3", "Joint workshop 3: launch-day runbook and support handoff", "joint_plan",
     "alice", "done", "2026-10-14", ["task.ws2"]),
    ("ms.plan", "Launch plan signed off by Product and Marketing", "joint_plan", "ben", "done",
     "2026-10-16", ["task.ws3"], MILESTONE),
    ("ms.rc", "Firmware 1.0 release candidate frozen", "firmware", "chen", "done", "2026-10-30",
     ["ms.plan"], MILESTONE),
    ("task.presskit", "Press kit and 60 reviewer units shipped", "preorders", "marcus", "done",
     "2026-10-27", ["ms.plan"]),
    ("ms.launch", "Launch day: Pulse 2 on sale in NL, DE and UK", "launch", "ben", "done",
     "2026-11-10", ["ms.rc", "task.presskit"], MILESTONE),
    ("task.ws4", "Joint workshop 4: launch retro and firmware 1.1 scope", "joint_plan", "sofia",
     "todo", "2026-12-03", ["ms.launch"]),
    ("task.ota", "Firmware 1.1 OTA with energy report fixes, staged rollout", "firmware", "chen",
     "doing", "2026-12-11", ["ms.launch"]),
    ("task.audit", "Energy audit of Line 2 with per-machine sub-meters", "energy", "lena", "done",
     "2026-10-16", []),
    ("task.valves", "Install heat-recovery valves on compressors C1-C3", "heat", "lena",
     "blocked", "2026-12-04", ["task.audit"]),
    ("ms.heat", "Heat recovery commissioned on Line 2", "heat", "lena", "todo", "2026-12-11",
     ["task.valves"], MILESTONE),
    ("task.spc12", "SPC charts live on moulding cells 1-2", "spc", "tom", "done", "2026-10-23",
     []),
    ("task.shiftb", "SPC training for shift B operators", "spc", "tom", "doing", "2026-11-20",
     ["task.spc12"]),
    ("task.ppa", "Sign the solar PPA for the hall B roof array", "sustainable", "priya", "done",
     "2026-10-23", []),
    ("ms.solar", "Rooftop solar array connected (1.2 MWp)", "sustainable", "priya", "done",
     "2026-11-13", ["task.ppa"], MILESTONE),
])
RESOURCES = Table("resource", "goal kind description amount unit person", [
    ("preorders", "budget", "Launch media: search, paid social, retail co-op", 180000, "EUR",
     "ben"),
    ("joint_plan", "budget", "Facilitator and venue for four joint workshops", 6500, "EUR",
     "sofia"),
    ("firmware", "personnel", "Firmware engineers on release hardening until 1.1", 4, "FTE",
     "chen"),
    ("energy", "technology", "Sub-meters and MES connector for 38 machines on Line 2", 24000,
     "EUR", "lena"),
    ("heat", "budget", "Heat-recovery retrofit of compressors C1-C3 (payback 2.6 years)", 86000,
     "EUR", "lena"),
    ("sustainable", "technology", "Hall B rooftop solar array under a 12-year PPA", 1.2, "MWp",
     "priya"),
    ("spc", "personnel", "Quality engineer for the SPC rollout", 1, "FTE", "tom"),
    ("scrap", "technology", "SPC software licences for moulding cells 1-4", 4, "licences", "tom"),
], key="resource.{goal}.{kind}")
STAKEHOLDERS = Table("stakeholder", "person goal role needs", [  # goal None: the workspace
    ("dana", "launch", "accountable", "One launch date the board can announce; units weekly."),
    ("alice", "launch", "responsible", "Marketing promises frozen two weeks before launch."),
    ("ben", "launch", "responsible", "Final feature list and price by 16 Oct for the agency."),
    ("rosa", "launch", "consulted", "Campaign spend against the 180k EUR budget, monthly."),
    ("priya", "preorders", "consulted", "Pre-order volumes three weeks ahead to plan shifts."),
    ("priya", "sustainable", "accountable", "Energy and scrap from the MES, not spreadsheets."),
    ("rosa", "sustainable", "approver", "Capex over 50k EUR needs a payback case."),
    ("lena", "energy", "responsible", "Two maintenance windows on Line 2 for the valves."),
    ("sofia", "joint_plan", "consulted", "Customer research in the workshop pack, not after."),
    ("dana", None, "informed", "A one-page summary every Friday; no tool logins."),
], key="stakeholder.{person}.{goal}")
AGREEMENTS = Table("agreement", "goal person decision note at", [
    ("launch", "dana", "agree", None, "2026-10-01T14:00:00Z"),
    ("launch", "alice", "agree", None, "2026-10-01T14:05:00Z"),
    ("launch", "ben", "agree", None, "2026-10-01T14:06:00Z"),
    ("launch", "rosa", "agree", "Agreed with the campaign capped at 180k EUR.",
     "2026-10-02T08:30:00Z"),
    ("preorders", "ben", "agree", None, "2026-10-02T10:00:00Z"),
    ("preorders", "alice", "agree", None, "2026-10-02T10:20:00Z"),
    ("preorders", "priya", "object", "Line 2 can build about 6,000 units before 10 Nov at "
     "today's yield. 8,000 pre-orders means customers waiting in launch week unless the second "
     "shift starts on 19 Oct: cap pre-orders at 6,000 or fund the shift.", "2026-10-02T16:45:00Z"),
    ("sustainable", "priya", "agree", None, "2026-10-01T15:00:00Z"),
    ("sustainable", "dana", "agree", None, "2026-10-01T15:10:00Z"),
    ("sustainable", "rosa", "agree", "Provided heat-recovery payback stays under 3 years.",
     "2026-10-05T09:15:00Z"),
    ("joint_plan", "alice", "agree", None, "2026-10-02T11:00:00Z"),
    ("joint_plan", "ben", "agree", None, "2026-10-02T11:02:00Z"),
    ("buzz", "rosa", "abstain", "I can't judge a goal without a number.", "2026-10-07T12:00:00Z"),
], key="agreement.{goal}.{person}")
PRIORITIES = {  # person → their ranking of the current cycle's goals
    "dana": ["launch", "sustainable", "firmware", "preorders", "energy", "scrap", "joint_plan"],
    "ben": ["preorders", "launch", "buzz", "joint_plan", "firmware", "sustainable"],
    "priya": ["sustainable", "energy", "scrap", "launch", "firmware", "preorders"],
}
RISKS = Table("risk", "key goal title likelihood impact mitigation contingency owner status", [
    ("risk.valves", "heat", "Valve supplier delay stalls heat recovery", 4, 3,
     "Second quote from a regional supplier; weekly call with the vendor.",
     "Run C3 without recovery until Q1 and move the 3.8 kWh target to February.", "lena",
     "mitigating"),
    ("risk.capacity", "preorders", "Pre-orders outrun Line 2 capacity in launch week", 3, 4,
     "Second shift from 19 Oct; daily build-versus-orders check.",
     "Ship in order-date batches, email delivery dates, 10% accessory voucher for late orders.",
     "priya", "closed"),
    ("risk.ota", "firmware", "A bad OTA update bricks devices in the field", 2, 5,
     "Staged rollout 1% / 10% / 100% with automatic rollback.",
     "Pause the rollout; send USB recovery kits to installers.", "chen", "open"),
    ("risk.winter", "sustainable", "Short winter days keep renewable share under 60%", 4, 2,
     "Buy certificates for the gap (12k EUR budgeted).",
     "Report renewable share with and without certificates.", "priya", "open"),
])
FEEDBACK = Table("feedback", "key target author kind text at", [
    ("feedback.rework", "goal.scrap", "tom", "concern", "Scrap for week 43 leaves out the rework "
     "bay, so 3.5% flatters us. Can we count the rework bay in the MES?", "2026-10-28T16:20:00Z"),
    ("feedback.launchday", "ms.launch", "ben", "comment", "Launch-day runbook held: the support "
     "queue peaked at 240 tickets and was clear by 18:00.", "2026-11-10T19:05:00Z"),
    ("feedback.boot", "goal.boot", "alice", "praise", "Chen's boot-time work took five seconds "
     "off setup; two reviewers mentioned it.", "2026-11-11T09:40:00Z"),
    ("feedback.workshops", "goal.joint_plan", "sofia", "suggestion", "Keep the joint workshop "
     "format for 1.1: half a day every two weeks, same room, research first.",
     "2026-11-12T13:00:00Z"),
    ("feedback.capacity", "goal.preorders", "priya", "concern", "Launch week shipped on time only "
     "because shift B started early. Share pre-order forecasts three weeks ahead next time.",
     "2026-11-13T07:55:00Z"),
    ("feedback.board", "goal.launch", "dana", "comment", "The board wants December units split "
     "by channel: shop, retail, installers.", "2026-11-17T08:10:00Z"),
])
RESOLVED = ["feedback.rework"]  # fixed in week 44: the rework bay now reports to the MES
REVIEWS = Table("review", "key", [
    ("review.q3", {
        "cycle": "q3", "author": "dana", "at": "2026-10-02T15:00:00Z", "score": 0.7,
        "outcome": "Beta reached 540 active households (target 500). Firmware crash-free rate "
        "stuck at 97%. Energy and scrap baselines measured for the first time.",
        "lessons": "Product and marketing planned separately and met only at the go/no-go: "
        "three weeks lost on pricing. We set the energy target before we had per-machine meters. "
        "Biweekly check-ins hid the beta drop-outs for two weeks.",
        "next_steps": "Joint product-marketing workshops before anything is committed. Sub-meter "
        "Line 2 in the first two weeks of Q4. Weekly check-ins. A baseline before every target."}),
    ("review.beta", {
        "goal": "beta", "author": "alice", "at": "2026-10-01T10:00:00Z", "score": 0.95,
        "outcome": "540 households, 12 weeks of real-home data; pairing bug fixed before launch.",
        "lessons": "Recruit installers into a beta from the start: they found the router bugs.",
        "next_steps": "Keep 200 beta homes as the firmware 1.1 early-access ring."}),
])
# fmt: on


def _ref(ids: dict[str, str], kind: str, name: str, value: Any) -> Any:
    """The record id(s) for the demo key(s) in a field that refers to records.

    A key without a dot is completed with the referred kind: ``launch`` → ``goal.launch``.
    """
    spec = collection(kind).get(name)
    if spec is None or spec.type not in (FieldType.REF, FieldType.REFS) or value is None:
        return value
    if isinstance(value, list):
        return [_ref(ids, kind, name, v) for v in value] or None
    return ids[value if "." in value else f"{collection(str(spec.ref)).kind}.{value}"]


def _load(ws: Workspace, ids: dict[str, str], table: Table) -> None:
    """Add every row of ``table`` and remember its id under its demo key."""
    names = table.columns.split()
    for row in table.rows:
        extra = row[len(names)] if len(row) > len(names) else {}
        raw = {**dict(zip(names, row[: len(names)], strict=True)), **extra}
        key = raw.pop("key", None) or table.key.format(
            **{k: "all" if v is None else v for k, v in raw.items()}
        )
        ids[key] = ws.add(table.kind, {k: _ref(ids, table.kind, k, v) for k, v in raw.items()})


def _status(confidence: int) -> str:
    """The status a KPI's owner picks along with their confidence (0-10)."""
    return "on_track" if confidence >= 6 else "at_risk" if confidence >= 4 else "off_track"


def _check_in(ws: Workspace, ids: dict[str, str]) -> None:
    """Each KPI's weekly (biweekly in Q3) check-ins, by the KPI's owner, in the morning."""
    owners = {row[0]: row[-1] for row in KPIS.rows}
    for kpi, (first, step, series) in CHECKINS.items():
        for n, (value, confidence, note) in enumerate(series):
            day = date.fromisoformat(first) + timedelta(days=step * n)
            fields = {
                "kpi": kpi,
                "author": owners[kpi],
                "at": f"{day.isoformat()}T{8 + n % 3:02d}:{15 * (n % 4):02d}:00Z",
                "value": value,
                "confidence": confidence,
                "status": _status(confidence),
                "note": note,
            }
            ws.add("checkin", {k: _ref(ids, "checkin", k, v) for k, v in fields.items()})


def build_demo(ws: Workspace) -> dict[str, str]:
    """Fill an empty workspace with the Northwind story; return demo keys → record ids.

    Keys name what a test or a tour needs to find: ``goal.launch``, ``person.alice``,
    ``kpi.energy``, ``task.valves``, ``agreement.preorders.priya`` (the objection)...
    The workspace's user becomes Alice Moreno, the Product team's lead. A workspace that
    already has people or goals is refused (WorkspaceExists), so nothing is duplicated.
    """
    if ws.records("people", include_archived=True) or ws.records("goals", include_archived=True):
        raise WorkspaceExists(
            f"workspace {ws.name!r} already has people or goals; the demo only fills a new, "
            "empty workspace: choose another name or remove this one first"
        )
    ids: dict[str, str] = {}
    ws.set_strategy({"vision": VISION, "mission": MISSION})
    for table in (VALUES, TEAMS, PEOPLE, CYCLES):
        _load(ws, ids, table)
    for team, lead in LEADS.items():
        ws.edit(ids[team], {"lead": ids["person." + lead]})
    for table in (GOALS, KPIS):
        _load(ws, ids, table)
    _check_in(ws, ids)
    for table in (TASKS, RESOURCES, STAKEHOLDERS, RISKS, AGREEMENTS):
        _load(ws, ids, table)
    for person, ranking in PRIORITIES.items():
        ids["priority." + person] = ws.rank_priorities(
            [ids["goal." + g] for g in ranking],
            person=ids["person." + person],
            cycle=ids["cycle.q4"],
        )
    _load(ws, ids, FEEDBACK)
    for key in RESOLVED:
        ws.resolve_feedback(ids[key])
    _load(ws, ids, REVIEWS)
    ws.set_me(ids[ME])
    return ids
