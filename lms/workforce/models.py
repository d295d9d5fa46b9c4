from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lms.accounts.models import region_code_validator
from lms.imports.jobs import job_kind
from lms.kernel.jobs import BackgroundJob
from lms.pii import BlindIndexField, EncryptedTextField, blind_index

from .validators import mask_id_number, validate_credit_code, validate_id_number

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$", _("编码只能包含字母、数字、下划线、点和短横线，最长 32 位")
)


class Industry(models.TextChoices):
    COAL_MINE = "coal_mine", _("煤矿")
    NON_COAL_MINE = "non_coal_mine", _("非煤矿山")
    HAZARDOUS_CHEMICALS = "hazardous_chemicals", _("危险化学品")
    FIREWORKS = "fireworks", _("烟花爆竹")
    METAL_SMELTING = "metal_smelting", _("金属冶炼")
    CONSTRUCTION = "construction", _("建筑施工")
    MANUFACTURING = "manufacturing", _("一般制造业")
    TRANSPORT = "transport", _("交通运输")
    OTHER = "other", _("其他行业")


# 令3 §9, §13: the high-risk industries (高危行业).
HIGH_RISK_INDUSTRIES = frozenset(
    {Industry.COAL_MINE, Industry.NON_COAL_MINE, Industry.HAZARDOUS_CHEMICALS, Industry.FIREWORKS, Industry.METAL_SMELTING}
)


# 令3 §19, 办法 §23: mines (underground work) and enterprises that make or
# handle dangerous goods (hazardous processes) run apprenticeships.
APPRENTICESHIP_INDUSTRIES = frozenset(
    {Industry.COAL_MINE, Industry.NON_COAL_MINE, Industry.HAZARDOUS_CHEMICALS, Industry.FIREWORKS, Industry.METAL_SMELTING}
)


class RiskClass(models.TextChoices):
    """Which column of the hours table in RULES.md applies."""

    GENERAL = "general", _("一般行业")
    HIGH_RISK = "high_risk", _("高危行业")
    CONSTRUCTION = "construction", _("建筑施工")


def risk_class_for(industry: str) -> str:
    if industry in HIGH_RISK_INDUSTRIES:
        return RiskClass.HIGH_RISK
    if industry == Industry.CONSTRUCTION:
        return RiskClass.CONSTRUCTION
    return RiskClass.GENERAL


class Enterprise(models.Model):
    code = models.CharField(
        _("企业编码"), max_length=32, unique=True, validators=[code_validator], help_text=_("系统内简称，用于导入命令和接口")
    )
    name = models.CharField(_("企业名称"), max_length=200)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    industry = models.CharField(_("行业"), max_length=32, choices=Industry.choices)
    risk_class = models.CharField(_("风险类别"), max_length=16, choices=RiskClass.choices, blank=True)
    region_code = models.CharField(_("行政区划代码"), max_length=6, validators=[region_code_validator], db_index=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    tenant_path = "pk"

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.credit_code:
            self.credit_code = self.credit_code.strip().upper()
        floor = risk_class_for(self.industry)
        if not self.risk_class:
            self.risk_class = floor
        elif floor == RiskClass.HIGH_RISK and self.risk_class != RiskClass.HIGH_RISK:
            # An enterprise may be stricter than its industry, never looser.
            raise ValidationError({"risk_class": _("该行业属于高危行业，风险类别不能低于“高危行业”")})

    def save(self, *args, **kwargs):
        # Saved without clean() (a script, a fixture): the rules still see
        # the industry's risk class, never "all industries" by omission.
        if not self.risk_class:
            self.risk_class = risk_class_for(self.industry)
        super().save(*args, **kwargs)

    @property
    def is_high_risk(self) -> bool:
        return self.risk_class == RiskClass.HIGH_RISK


class OrgUnit(models.Model):
    class Kind(models.TextChoices):
        COMPANY = "company", _("公司/厂级")
        WORKSHOP = "workshop", _("车间/部门")
        TEAM = "team", _("班组")

    # The level a child must be: company → workshop → team (三级).
    CHILD_KIND = {Kind.COMPANY: Kind.WORKSHOP, Kind.WORKSHOP: Kind.TEAM}

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="org_units", verbose_name=_("企业"))
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("上级单位")
    )
    kind = models.CharField(_("层级"), max_length=16, choices=Kind.choices)
    code = models.CharField(_("单位编码"), max_length=32, validators=[code_validator])
    name = models.CharField(_("单位名称"), max_length=100)
    is_active = models.BooleanField(_("启用"), default=True)

    tenant_path = "enterprise"

    class Meta:
        verbose_name = _("组织单位")
        verbose_name_plural = _("组织单位")
        ordering = ["enterprise", "code"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "code"], name="orgunit_code_unique_per_enterprise"),
        ]

    def __str__(self):
        return f"{self.name}（{self.get_kind_display()}）"

    def clean(self):
        super().clean()
        if self.parent_id is None:
            if self.kind != self.Kind.COMPANY:
                raise ValidationError({"parent": _("车间和班组必须有上级单位")})
            return
        parent = self.parent
        if parent.enterprise_id != self.enterprise_id:
            raise ValidationError({"parent": _("上级单位必须属于同一企业")})
        if self.CHILD_KIND.get(parent.kind) != self.kind:
            raise ValidationError(
                {"parent": _("层级不正确：公司下设车间，车间下设班组")}
            )

    def ancestors(self):
        """Company → … → self, without a query per level once loaded."""
        chain, node = [], self
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class HazardLevel(models.TextChoices):
    # 安全风险分级管控: red 重大, orange 较大, yellow 一般, blue 低.
    RED = "red", _("重大风险（红）")
    ORANGE = "orange", _("较大风险（橙）")
    YELLOW = "yellow", _("一般风险（黄）")
    BLUE = "blue", _("低风险（蓝）")


class SpecialOperation(models.TextChoices):
    """令30 annex: special-operation categories (特种作业目录)."""

    NONE = "", _("无")
    ELECTRICIAN = "electrician", _("电工作业")
    WELDING = "welding", _("焊接与热切割作业")
    WORK_AT_HEIGHT = "height", _("高处作业")
    REFRIGERATION = "refrigeration", _("制冷与空调作业")
    COAL_MINE = "coal_mine", _("煤矿安全作业")
    METAL_MINE = "metal_mine", _("金属非金属矿山安全作业")
    OIL_GAS = "oil_gas", _("石油天然气安全作业")
    METALLURGY = "metallurgy", _("冶金（有色）生产安全作业")
    HAZARDOUS_CHEMICALS = "hazardous_chemicals", _("危险化学品安全作业")
    FIREWORKS = "fireworks", _("烟花爆竹安全作业")
    OTHER = "other", _("其他特种作业")


class Post(models.Model):
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="posts", verbose_name=_("企业"))
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="posts", verbose_name=_("所属单位"))
    code = models.CharField(_("岗位编码"), max_length=32, validators=[code_validator])
    name = models.CharField(_("岗位名称"), max_length=100)
    hazard_level = models.CharField(_("风险等级"), max_length=8, choices=HazardLevel.choices, default=HazardLevel.BLUE)
    special_operation = models.CharField(
        _("特种作业类别"), max_length=32, choices=SpecialOperation.choices, blank=True, default=SpecialOperation.NONE
    )
    apprenticeship_months = models.PositiveSmallIntegerField(
        _("师带徒期限（月）"), default=0, validators=[MaxValueValidator(36)], help_text=_("0 表示该岗位不要求师带徒")
    )
    hazards = models.CharField(_("主要危险因素"), max_length=300, blank=True, help_text=_("以顿号或逗号分隔，如：触电、高处坠落"))
    hazardous_process = models.BooleanField(
        _("危险工艺/井下作业岗位"), default=False,
        help_text=_("矿山井下作业、危险物品生产经营单位的危险工艺操作岗位：新上岗人员须师带徒实习期满方可独立上岗"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    tenant_path = "enterprise"

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        ordering = ["enterprise", "code"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "code"], name="post_code_unique_per_enterprise"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.org_unit_id and self.enterprise_id and self.org_unit.enterprise_id != self.enterprise_id:
            raise ValidationError({"org_unit": _("所属单位必须属于同一企业")})
        floor = self.apprenticeship_floor_months
        if self.apprenticeship_months is not None and self.apprenticeship_months < floor:
            raise ValidationError({"apprenticeship_months": _(
                "高危行业的危险工艺/井下作业岗位，新上岗人员须在师傅带领下实习不少于 %(n)s 个月（令3 §19、办法 §23）"
            ) % {"n": floor}})

    @property
    def apprenticeship_floor_months(self) -> int:
        """The months of apprenticeship the law sets for this post (0: none).
        令3 §19 and 办法 §23: new underground workers of mines and new
        operators of hazardous processes in enterprises that make or handle
        dangerous goods work ≥ 2 months under an experienced worker before
        working alone; 煤矿安全培训规定: ≥ 4 months underground in coal mines.
        HR marks such posts (``hazardous_process``); see
        docs/decisions/012-apprenticeship-floor.md."""
        if not self.hazardous_process or not self.enterprise_id:
            return 0
        industry = self.enterprise.industry
        if industry == Industry.COAL_MINE:
            return 4
        return 2 if industry in APPRENTICESHIP_INDUSTRIES else 0

    @property
    def required_apprenticeship_months(self) -> int:
        """What a new person on this post serves: the post's own setting, never less than the law's floor."""
        return max(self.apprenticeship_months or 0, self.apprenticeship_floor_months)

    @property
    def is_special_operation(self) -> bool:
        return bool(self.special_operation)


class EmploymentType(models.TextChoices):
    REGULAR = "regular", _("正式员工")
    DISPATCHED = "dispatched", _("劳务派遣")
    CONTRACTOR = "contractor", _("外包/承包商")
    INTERN = "intern", _("实习学生")


class EmployeeQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Employee.Status.ACTIVE)

    def with_id_number(self, number: str):
        """The employees whose 身份证号 is ``number`` (matched by its keyed
        hash: the stored number is encrypted and cannot be compared)."""
        return self.filter(id_number_hash=blind_index(number))


class Employee(models.Model):
    """A person working (or who worked) for an enterprise: one file per person
    (一人一档). History lives in EmploymentEvent, never edited in place."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("在岗")
        ON_LEAVE = "on_leave", _("离岗")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="employees", verbose_name=_("企业"))
    employee_no = models.CharField(_("工号"), max_length=32, validators=[code_validator])
    name = models.CharField(_("姓名"), max_length=50)
    # 个保法 §28: a 身份证号 is sensitive personal information. Stored encrypted
    # (lms.pii); looked up and kept unique by its keyed hash; shown masked
    # (id_number_masked) except through the logged reveal (workforce.services.id_number_reveal).
    id_number = EncryptedTextField(_("身份证号"), validators=[validate_id_number])
    id_number_hash = BlindIndexField(_("身份证号索引"), source="id_number")
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    employment_type = models.CharField(
        _("用工形式"), max_length=16, choices=EmploymentType.choices, default=EmploymentType.REGULAR
    )
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="employees", verbose_name=_("所在单位")
    )
    is_principal = models.BooleanField(_("主要负责人"), default=False)
    is_safety_manager = models.BooleanField(_("安全管理人员"), default=False)
    hire_date = models.DateField(_("入职日期"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="employee_profiles",
        verbose_name=_("登录账号"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = EmployeeQuerySet.as_manager()

    tenant_path = "enterprise"
    owner_path = "user"

    class Meta:
        verbose_name = _("员工")
        verbose_name_plural = _("员工")
        ordering = ["enterprise", "employee_no"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "employee_no"], name="employee_no_unique_per_enterprise"),
            models.UniqueConstraint(
                fields=["enterprise", "id_number_hash"],
                name="employee_id_number_unique_per_enterprise",
                violation_error_message=_("该企业已有相同身份证号的员工"),
            ),
            models.UniqueConstraint(
                fields=["enterprise", "user"], condition=Q(user__isnull=False), name="employee_user_unique_per_enterprise"
            ),
        ]
        indexes = [models.Index(fields=["enterprise", "name"])]

    def __str__(self):
        return f"{self.name}（{self.employee_no}）"

    def clean(self):
        super().clean()
        if self.id_number:
            self.id_number = self.id_number.strip().upper()
        self._meta.get_field("id_number_hash").refresh(self)  # the unique constraint is checked on the hash
        if self.org_unit_id and self.enterprise_id and self.org_unit.enterprise_id != self.enterprise_id:
            raise ValidationError({"org_unit": _("所在单位必须属于同一企业")})

    def save(self, *args, update_fields=None, **kwargs):
        if update_fields is not None and "id_number" in update_fields:
            update_fields = {*update_fields, "id_number_hash"}
        super().save(*args, update_fields=update_fields, **kwargs)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        digits = self.phone[3:] if self.phone.startswith("+86") else self.phone
        return digits[:3] + "****" + digits[-4:] if len(digits) == 11 else digits

    def current_assignments(self, on_date=None):
        on_date = on_date or timezone.localdate()
        return self.assignments.filter(start_date__lte=on_date).filter(Q(end_date__isnull=True) | Q(end_date__gte=on_date))


class PostAssignment(models.Model):
    """Who works which post, from when to when. Created only through
    ``services.assignment_create`` (the single door to a post)."""

    class Kind(models.TextChoices):
        REGULAR = "regular", _("正式上岗")
        APPRENTICE = "apprentice", _("师带徒（跟岗）")

    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("员工"))
    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("岗位"))
    kind = models.CharField(_("上岗方式"), max_length=16, choices=Kind.choices, default=Kind.REGULAR)
    mentor = models.ForeignKey(
        Employee, on_delete=models.PROTECT, null=True, blank=True, related_name="mentees", verbose_name=_("师傅")
    )
    start_date = models.DateField(_("上岗日期"))
    end_date = models.DateField(_("离岗日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    tenant_path = "employee__enterprise"
    owner_path = "employee__user"

    class Meta:
        verbose_name = _("岗位分配")
        verbose_name_plural = _("岗位分配")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="assignment_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["employee", "post"], condition=Q(end_date__isnull=True), name="assignment_one_open_per_post"
            ),
            models.CheckConstraint(
                condition=Q(kind="regular") | Q(mentor__isnull=False), name="assignment_apprentice_has_mentor"
            ),
        ]

    def __str__(self):
        return f"{self.employee} → {self.post}"

    def is_current(self, on_date=None) -> bool:
        on_date = on_date or timezone.localdate()
        return self.start_date <= on_date and (self.end_date is None or self.end_date >= on_date)


class EmploymentEvent(models.Model):
    """A fact about someone's employment. Append-only: recorded through
    ``services.event_record``; a mistake is answered by a correcting event."""

    class Type(models.TextChoices):
        HIRE = "hire", _("入职")
        TRANSFER = "transfer", _("转岗")
        LEAVE = "leave", _("离岗")
        RETURN = "return", _("复岗")
        NEW_PROCESS = "new_process", _("四新（新工艺/新技术/新材料/新设备）")
        VIOLATION = "violation", _("违规违章")
        # 办法 §22: recorded once per accident on any file of the enterprise;
        # its principal and safety managers owe retraining.
        FATAL_ACCIDENT = "fatal_accident", _("发生生产安全死亡事故")

    class Source(models.TextChoices):
        ADMIN = "admin", _("后台")
        API = "api", _("接口")
        IMPORT = "import", _("导入")
        SYSTEM = "system", _("系统")

    # Which types must name a post.
    POST_REQUIRED = frozenset({Type.TRANSFER})

    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="events", verbose_name=_("员工"))
    type = models.CharField(_("事件类型"), max_length=16, choices=Type.choices)
    date = models.DateField(_("日期"))
    post = models.ForeignKey(
        Post, on_delete=models.PROTECT, null=True, blank=True, related_name="events", verbose_name=_("岗位")
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.ADMIN)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections", verbose_name=_("更正的事件")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now, editable=False)

    tenant_path = "employee__enterprise"
    owner_path = "employee__user"

    class Meta:
        verbose_name = _("任职事件")
        verbose_name_plural = _("任职事件")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["employee", "date"])]

    def __str__(self):
        return f"{self.employee} · {self.get_type_display()} · {self.date}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValidationError(_("任职事件一经记录不可修改，请记录一条更正事件"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("任职事件不可删除"))


def import_upload_to(instance, filename):
    return f"imports/{instance.enterprise_id or 'platform'}/{timezone.now():%Y/%m}/{filename}"


class ImportJob(BackgroundJob):
    """One upload of an import file and what became of it: employees,
    historical training records or questions (``kind``, the name of its
    ImportSpec; lms.imports.jobs runs it)."""

    STATUS_LABELS = {BackgroundJob.Status.SUCCEEDED: _("已导入"), BackgroundJob.Status.FAILED: _("有错误，未导入")}
    # The imports (lms.imports.jobs) write their progress in rows.
    progress_fields = ("processed_rows", "total_rows")
    processed = None
    total = None

    # The spec's name: "employees", "records", "questions".
    kind = models.CharField(_("导入类型"), max_length=32, default="employees")
    # Whose data: the enterprise imported into (employees, records) or that
    # owns the question bank; none for a platform-wide bank.
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, null=True, blank=True, related_name="import_jobs", verbose_name=_("企业")
    )
    # What the rows go into: the enterprise's id, or the question bank's.
    target_id = models.PositiveBigIntegerField(_("导入目标"), null=True, blank=True)
    # The spec's run options chosen on the upload form (dry run, format…).
    options = models.JSONField(_("选项"), default=dict, blank=True)
    # Emptied once the import has finished and ANXUN_IMPORT_RETENTION_HOURS
    # passed (the file holds full ID numbers); name, size and hash stay.
    file = models.FileField(_("文件"), upload_to=import_upload_to, blank=True)
    original_name = models.CharField(_("文件名"), max_length=200)
    file_size = models.PositiveBigIntegerField(_("文件大小（字节）"), default=0)
    file_sha256 = models.CharField(_("文件 SHA-256"), max_length=64, blank=True)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    created_count = models.PositiveIntegerField(_("新增"), default=0)
    updated_count = models.PositiveIntegerField(_("更新"), default=0)
    unchanged_count = models.PositiveIntegerField(_("未变化"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    # The spec's own counts and notices of a finished import (its result page).
    result = models.JSONField(_("结果"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now, editable=False)

    tenant_path = "enterprise"

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at"]
        constraints = [
            # The same file with the same options sent twice (a double click,
            # two tabs) while the first is still queued or running is that
            # one job, not a second run.
            models.UniqueConstraint(
                fields=["kind", "target_id", "file_sha256", "options"],
                condition=Q(status__in=("pending", "running")),
                name="importjob_one_unfinished_per_file",
            ),
        ]

    def abandoned_notice(self) -> dict | None:
        """The uploader is told when the import failed after its last attempt."""
        if self.created_by_id is None:
            return None
        try:
            link = reverse(f"{job_kind(self.kind).namespace}:job", args=[self.pk])
        except (LookupError, NoReverseMatch):
            link = ""
        return {
            "users": [self.created_by_id],
            "key": f"import-job:{self.pk}:abandoned",
            "title": gettext("导入未能完成：%(name)s") % {"name": self.original_name},
            "body": gettext("文件“%(name)s”的导入在后台 %(n)s 次执行均中断，已停止重试，未导入任何数据。请重新上传该文件。")
            % {"name": self.original_name, "n": self.attempts},
            "link": link,
            "enterprise_id": self.enterprise_id,
        }

    def __str__(self):
        return f"{self.original_name} · {self.status_label}"
