"""The training archive: one immutable record per completed piece of
training, chained per person (一人一档).

A record holds what 法 §28 and the local action plans ask an archive to hold:
time, place, content, hours, trainer/organiser, participants, assessment
method and result, evidence. Records are append-only (the model refuses
update and delete; database triggers refuse them too) and each person's
records form a SHA-256 hash chain over a canonical serialisation. Each
record also carries a keyed MAC whose key lives outside the database, and a
signed daily checkpoint per enterprise (:class:`ArchiveCheckpoint`, kept in
its own table and as a file) fixes every person's record count and chain
head; ``manage.py verify_archive`` checks all three (docs/security.md §2).
A correction is a new record pointing at the record it corrects."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import integrity


class TrainingKind(models.TextChoices):
    INDUCTION = "induction", _("三级安全教育")
    RETRAINING = "retraining", _("转岗/复岗再培训")
    REFRESHER = "refresher", _("年度再培训")
    PRINCIPAL = "principal", _("主要负责人/安全管理人员培训")
    SPECIAL_OPERATION = "special_operation", _("特种作业培训")
    # 令30: back on a special-operation post after ≥ 6 months away only after
    # passing the practical exam again (the record's post names the category).
    SPECIAL_OP_PRACTICAL = "special_op_practical", _("特种作业实际操作考试")
    NEW_PROCESS = "new_process", _("四新培训")
    OFF_POST = "off_post", _("离岗再培训（违规违章）")
    WARNING = "warning", _("警示教育")
    APPRENTICESHIP = "apprenticeship", _("师带徒")
    OTHER = "other", _("其他培训")


class TrainingLevel(models.TextChoices):
    NONE = "", _("—")
    COMPANY = "company", _("厂级（公司级）")
    WORKSHOP = "workshop", _("车间级")
    TEAM = "team", _("班组级")


class AssessmentResult(models.TextChoices):
    PASSED = "passed", _("合格")
    FAILED = "failed", _("不合格")
    NOT_ASSESSED = "none", _("未考核")


class RecordSource(models.TextChoices):
    ONLINE = "online", _("在线学习")
    OFFLINE = "offline", _("线下培训")
    EXAM = "exam", _("考试")
    APPRENTICESHIP = "apprenticeship", _("师带徒")
    EXTERNAL = "external", _("外部培训")
    HISTORICAL = "historical", _("历史档案导入")


def evidence_upload_to(instance, filename):
    return f"archive/{instance.employee.enterprise_id}/{instance.employee_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class TrainingRecordQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(_("培训档案只能追加，不能修改"))

    def delete(self):
        raise ValidationError(_("培训档案只能追加，不能删除"))


class TrainingRecord(models.Model):
    employee = models.ForeignKey(
        "workforce.Employee", on_delete=models.PROTECT, related_name="training_records", verbose_name=_("员工")
    )
    seq = models.PositiveIntegerField(_("档案序号"), editable=False)
    kind = models.CharField(_("培训类别"), max_length=32, choices=TrainingKind.choices)
    level = models.CharField(_("教育层级"), max_length=16, choices=TrainingLevel.choices, blank=True, default="")
    post = models.ForeignKey(
        "workforce.Post", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("针对岗位")
    )
    title = models.CharField(_("培训名称"), max_length=200)
    content = models.TextField(_("培训内容"))
    start_at = models.DateTimeField(_("开始时间"))
    end_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("地点"), max_length=200)
    hours = models.DecimalField(
        _("学时"), max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal("0"))]
    )
    trainer = models.CharField(_("授课人/组织者"), max_length=100)
    participants = models.CharField(_("参加人员"), max_length=500, blank=True, help_text=_("集体培训时填写人数或名单"))
    assessment_method = models.CharField(_("考核方式"), max_length=50, blank=True)
    assessment_result = models.CharField(
        _("考核结果"), max_length=8, choices=AssessmentResult.choices, default=AssessmentResult.NOT_ASSESSED
    )
    score = models.DecimalField(_("成绩"), max_digits=5, decimal_places=1, null=True, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=RecordSource.choices)
    source_ref = models.CharField(_("来源引用"), max_length=200, blank=True, help_text=_("课程页面版本、考试场次等"))
    evidence = models.FileField(_("佐证材料"), upload_to=evidence_upload_to, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections", verbose_name=_("更正的记录")
    )
    # PROTECT: a database-level SET NULL would be an UPDATE, which the
    # append-only triggers refuse; deactivate users instead of deleting them.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by_name = models.CharField(_("录入人"), max_length=100, blank=True, editable=False)
    recorded_at = models.DateTimeField(_("录入时间"), default=timezone.now, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False, unique=True)
    # HMAC-SHA256 of the canonical bytes under the key ``mac_key_id`` of
    # ANXUN_ARCHIVE_MAC_KEYS: a record forged or re-hashed without that key
    # does not carry a valid MAC.
    mac = models.CharField(max_length=64, editable=False, blank=True, default="")
    mac_key_id = models.CharField(max_length=16, editable=False, blank=True, default="")

    objects = TrainingRecordQuerySet.as_manager()

    tenant_path = "employee__enterprise"
    owner_path = "employee__user"

    class Meta:
        verbose_name = _("培训记录")
        verbose_name_plural = _("培训记录")
        ordering = ["employee", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["employee", "seq"], name="record_seq_unique_per_employee"),
            models.CheckConstraint(condition=models.Q(end_at__gte=models.F("start_at")), name="record_end_after_start"),
            models.CheckConstraint(condition=~models.Q(mac="") & ~models.Q(mac_key_id=""), name="record_has_mac"),
        ]
        indexes = [models.Index(fields=["employee", "kind", "level"])]

    def __str__(self):
        return f"{self.employee} · {self.title} · {self.hours} 学时"

    GENESIS = integrity.GENESIS

    def canonical_fields(self) -> dict:
        """Every field the archive vouches for, as JSON values (what an
        export carries so that anyone can recompute the hash)."""
        return {
            "employee": self.employee_id,
            "seq": self.seq,
            "kind": self.kind,
            "level": self.level,
            "post": self.post_id,
            "title": self.title,
            "content": self.content,
            "start_at": self.start_at.astimezone(dt.timezone.utc).isoformat() if self.start_at else None,
            "end_at": self.end_at.astimezone(dt.timezone.utc).isoformat() if self.end_at else None,
            "place": self.place,
            "hours": f"{Decimal(self.hours):.1f}",
            "trainer": self.trainer,
            "participants": self.participants,
            "assessment_method": self.assessment_method,
            "assessment_result": self.assessment_result,
            "score": None if self.score is None else f"{Decimal(self.score):.1f}",
            "source": self.source,
            "source_ref": self.source_ref,
            "evidence_sha256": self.evidence_sha256,
            "corrects": self.corrects_id,
            "recorded_by_name": self.recorded_by_name,
            "recorded_at": self.recorded_at.astimezone(dt.timezone.utc).isoformat(),
            "prev_hash": self.prev_hash,
        }

    def canonical(self) -> bytes:
        """The bytes the hash and the MAC cover."""
        return integrity.canonical_json(self.canonical_fields())

    def compute_hash(self) -> str:
        return integrity.sha256_hex(self.canonical())

    def compute_mac(self, key: bytes) -> str:
        return integrity.record_mac(key, self.canonical())

    def save(self, *args, **kwargs):
        if self.pk is not None or not kwargs.pop("_append", False):
            raise ValidationError(_("培训档案只能通过档案服务追加，不能修改"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("培训档案只能追加，不能删除"))

    @property
    def passed(self) -> bool:
        return self.assessment_result == AssessmentResult.PASSED


def checkpoint_path(enterprise_id: int, day: dt.date) -> str:
    """Where the file copy of a checkpoint lives in the default storage."""
    return f"{settings.ANXUN_ARCHIVE_CHECKPOINT_DIR}/{enterprise_id}/{day.isoformat()}.json"


class ArchiveCheckpoint(models.Model):
    """One enterprise's archive as it stood at ``created_at``, signed: for
    every person with records, their record count and chain head, and the
    total. One per enterprise per day, append-only (the database refuses
    UPDATE and DELETE), and written as a file too (:func:`checkpoint_path`)
    so that someone who can rewrite the database still leaves evidence.

    No foreign key to the records: ``TRUNCATE … CASCADE`` of the records
    must not take the checkpoints with it."""

    enterprise = models.ForeignKey(
        "workforce.Enterprise", on_delete=models.PROTECT, related_name="+", verbose_name=_("企业")
    )
    day = models.DateField(_("日期"))
    created_at = models.DateTimeField(_("签署时间"), default=timezone.now, editable=False)
    total = models.PositiveIntegerField(_("记录总数"))
    key_id = models.CharField(_("签名密钥编号"), max_length=16)
    # The canonical JSON the signature covers, kept byte for byte.
    payload = models.TextField(_("签名内容"))
    sha256 = models.CharField(max_length=64, unique=True)
    signature = models.CharField(_("签名"), max_length=128)

    class Meta:
        verbose_name = _("档案检查点")
        verbose_name_plural = _("档案检查点")
        ordering = ["enterprise", "-day"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "day"], name="checkpoint_one_per_enterprise_day")]

    def __str__(self):
        return f"{self.enterprise_id} · {self.day} · {self.total}"

    @property
    def payload_data(self) -> dict:
        import json

        return json.loads(self.payload)

    def document(self) -> dict:
        """The signed checkpoint as exported and as stored in its file."""
        return {"payload": self.payload_data, "sha256": self.sha256, "key_id": self.key_id,
                "signature": self.signature}

    @property
    def signature_fingerprint(self) -> str:
        return integrity.signature_fingerprint({"signature": self.signature})

    @property
    def path(self) -> str:
        return checkpoint_path(self.enterprise_id, self.day)
