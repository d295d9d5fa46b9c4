"""Every rule of RULES.md (the regulatory defaults Anxun ships), one id each.

A scenario test proves a rule by carrying its marker::

    @pytest.mark.rule("retrain.transfer")
    def test_transfer_requires_workshop_and_team_level_again(...): ...

``tests/rules/test_coverage.py`` fails when a rule here has no test, when a
marker names a rule that is not here, or when ``docs/rules-coverage.md`` (made
by ``python -m tests.rules.coverage --write``) is out of date. The ids follow
the sections of RULES.md; the text is RULES.md's, shortened.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: str
    section: str
    text: str
    source: str


_S = {
    "who": "谁必须培训 Who must be trained",
    "hours": "学时 Hours",
    "levels": "三级安全教育 Three-level induction",
    "retrain": "再培训 Retraining",
    "cert": "证书 Certificates",
    "exam": "考试 Exams",
    "appr": "师带徒 Apprenticeship",
    "warning": "警示教育 Warning education",
    "archive": "档案 Archive",
    "penalty": "处罚 Penalties",
    "words": "法条用语 Reading the statute's words",
    "placement": "上岗即变岗 Placement is a change of post",
}

RULES: tuple[Rule, ...] = (
    # --- who must be trained
    Rule("who.everyone", "who", "Everyone in scope (principals, safety managers, special operators, all other staff) is trained before working a post", "令3 §4, 法 §28"),
    Rule("who.dispatched", "who", "Dispatched workers (被派遣劳动者): the host trains them like its own staff", "令3 §4, 法 §28"),
    Rule("who.interns", "who", "Interns (实习学生): the host trains them", "令3 §4, 法 §28"),
    Rule("who.contractors", "who", "Contractors and visitors (外来人员): induction before entering; their own 三级 card", "GB/T 33000; local rules"),
    Rule("who.no_untrained_on_post", "who", "未经安全生产教育和培训合格的从业人员，不得上岗作业", "法 §28"),
    # --- hours
    Rule("hours.principal_general", "hours", "Principal / safety manager, general: ≥ 32 initial, ≥ 12 every year", "令3 §9"),
    Rule("hours.principal_high_risk", "hours", "Principal / safety manager, high-risk: ≥ 48 initial, ≥ 16 every year", "令3 §9"),
    Rule("hours.new_general", "hours", "New employee, pre-post, general: ≥ 24 initial, ≥ 8 every year", "令3 §13; 决定"),
    Rule("hours.new_high_risk", "hours", "New employee, pre-post, high-risk: ≥ 72 initial, ≥ 20 every year", "令3 §13"),
    Rule("hours.new_construction", "hours", "New employee, construction: ≥ 32 initial, ≥ 20 every year", "决定"),
    Rule("hours.special_op_review", "hours", "Special operator: ≥ 8 h refresher before each certificate review", "令30 §23"),
    Rule("hours.length", "hours", "The length of one 学时 is a setting (45 minutes common practice)", "policy default"),
    # --- three-level induction
    Rule("levels.company", "levels", "Company level (厂级), by the safety department, ends in an assessment", "令3 §14"),
    Rule("levels.workshop", "levels", "Workshop level (车间级), by the workshop head or safety officer, ends in an assessment", "令3 §15"),
    Rule("levels.team", "levels", "Team level (班组级), by the team leader or safety officer, ends in an assessment", "令3 §16"),
    Rule("levels.card", "levels", "The three-level card records per level content, date, hours, score, trainer and trainee signature; kept permanently", "令3 §14–§16"),
    # --- retraining
    Rule("retrain.transfer", "retrain", "Transfer to another post: workshop + team level again (not company level)", "令3 §17"),
    Rule("retrain.return", "retrain", "Return after leaving the post ≥ 6 months (default; 12 nationally, configurable): workshop + team level again", "令3 §17; local rules"),
    Rule("retrain.new_process", "retrain", "New process, technology, material or equipment (四新): targeted training before working with it", "令3 §17, 法 §29"),
    Rule("retrain.violation", "retrain", "Repeated violation (2nd in 12 months): off-post retraining before returning", "local action plans"),
    Rule("retrain.fatal_accident", "retrain", "Fatal accident in the enterprise: principal and safety managers retrained", "办法 §22"),
    # --- certificates
    Rule("cert.special_op_validity", "cert", "Special-operation certificate valid 6 years", "令30 §19"),
    Rule("cert.special_op_review", "cert", "Special-operation review every 3 years, applied within 60 days before due, after ≥ 8 h refresher", "令30 §21–§23"),
    Rule("cert.special_op_extension", "cert", "Review extended to every 6 years after ≥ 10 years in the trade with a clean record", "令30 §22"),
    Rule("cert.special_op_refusal", "cert", "Review refused after a penalty or ≥ 3 verified violations", "令30 §24"),
    Rule("cert.special_op_practical", "cert", "Special operator away from the post ≥ 6 months: practical exam again before returning", "令30"),
    Rule("cert.special_op_categories", "cert", "Special-operation categories per 令30's annex", "令30 annex"),
    Rule("cert.special_op_gate", "cert", "A special-operation post needs the certificate in force and reviewed", "令30, 法 §30"),
    Rule("cert.competence", "cert", "Principal / safety manager competence certificate: 3 years; renew ≥ 30 days before expiry; high-risk within 6 months of taking the post", "办法 §25; 令3 §24"),
    Rule("cert.special_equipment", "cert", "Special-equipment operator certificate (4 years) is a separate system, not 特种作业", "TSG Z6001"),
    # --- exams
    Rule("exam.authority", "exam", "Authority exams: 100 points, pass ≥ 80, one retake", "资格考试与证书管理暂行办法"),
    Rule("exam.in_house_pass", "exam", "In-house exams: pass mark a setting, default 80 of 100", "policy default"),
    Rule("exam.multiple_choice", "exam", "Multiple choice all-or-nothing by default; optional 0.5 per correct option if no wrong option", "policy default"),
    # --- apprenticeship
    Rule("appr.high_risk_required", "appr", "High-risk enterprises must run mentor–apprentice schemes", "令3 §19"),
    Rule("appr.two_months", "appr", "New underground mine workers, new operators of hazardous processes: ≥ 2 months under a mentor before working alone", "办法 §23"),
    Rule("appr.coal_four_months", "appr", "New underground coal workers: ≥ 4 months, completion signed by the mentor", "煤矿安全培训规定"),
    Rule("appr.mentor_eligibility", "appr", "Mentor cleared for the post, ≥ 3 years on it, ≤ 2 apprentices at once", "policy defaults"),
    # --- warning education
    Rule("warning.quarterly", "warning", "At least one warning education activity per quarter per employee", "policy default"),
    Rule("warning.coverage", "warning", "Monthly activity per enterprise, 100 % coverage as the target; nothing owed is no rate", "local action plans"),
    # --- archive
    Rule("archive.contents", "archive", "Each record holds time, place, content, participants, assessment result, hours, trainer", "法 §28"),
    Rule("archive.truthful", "archive", "Records are truthful: any rewrite is detected (falsified records are an offence)", "法 §97"),
    Rule("archive.retention", "archive", "Keep everything by default, never delete", "policy default; coal rules"),
    # --- penalties
    Rule("penalty.named", "penalty", "法 §97 penalties named in reports and regulator findings", "法 §97"),
    # --- the statute's words
    Rule("words.inclusive", "words", "以上、以下、以内、届满 include the number itself", "民法典 §1259"),
    Rule("words.exclusive", "words", "超过、不满、以外 exclude it", "民法典 §1259"),
    Rule("words.month_period", "words", "A period in months ends on the corresponding day; where the month has none, on its last day", "民法典 §202"),
    Rule("words.day_period", "words", "A period in days: the first day is not counted", "民法典 §201"),
    Rule("words.holiday", "words", "A deadline on a legal holiday ends on the first working day after it", "民法典 §203"),
    # --- placement is a change of post
    Rule("placement.transfer", "placement", "Placing a person on a post in another workshop or team is a transfer, whatever path does it", "令3 §17"),
    Rule("placement.apprenticeship", "placement", "A post with apprenticeship months needs the apprenticeship, whatever path places the person", "办法 §23"),
    Rule("placement.order", "placement", "Training on file counts toward any obligation whose window it falls in, whenever the obligation was created", "RULES.md"),
)

BY_ID = {rule.id: rule for rule in RULES}
SECTIONS = _S
assert len(BY_ID) == len(RULES), "duplicate rule id"
