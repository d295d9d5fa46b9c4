import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager as DjangoUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import MFA_ROLES, Role

region_code_validator = RegexValidator(
    r"^\d{6}$", _("行政区划代码应为 6 位数字，如 320500（苏州市）"), code="invalid_region"
)


def region_prefix(code: str) -> str:
    """The prefix that every enterprise in a region shares: 320000 → "32",
    320500 → "3205", 320505 → "320505" (GB/T 2260 codes nest by pairs)."""
    prefix = code
    while prefix.endswith("00") and len(prefix) > 2:
        prefix = prefix[:-2]
    return prefix


class UserManager(DjangoUserManager):
    def _normalize(self, extra_fields):
        if not extra_fields.get("email"):
            extra_fields["email"] = None
        if not extra_fields.get("phone"):
            extra_fields["phone"] = None
        return extra_fields

    def create_user(self, username, email=None, password=None, **extra_fields):
        extra_fields["email"] = email
        self._normalize(extra_fields)
        email = extra_fields.pop("email")
        return super().create_user(username, email, password, **extra_fields)

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields["email"] = email
        self._normalize(extra_fields)
        email = extra_fields.pop("email")
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person who logs in. Log in by email or mainland mobile number.

    ``username`` stays as the internal handle (Wagtail's user admin needs one);
    people never type it.
    """

    email = models.EmailField(_("邮箱"), blank=True, null=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True, null=True, help_text=_("以 +86 开头保存"))
    full_name = models.CharField(_("姓名"), max_length=100, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.UniqueConstraint(fields=["email"], condition=Q(email__isnull=False), name="user_email_unique"),
            models.UniqueConstraint(fields=["phone"], condition=Q(phone__isnull=False), name="user_phone_unique"),
        ]

    def __str__(self):
        return self.full_name or self.email or self.phone or self.username

    def get_full_name(self):
        return self.full_name or super().get_full_name() or self.username

    def save(self, *args, **kwargs):
        # Empty strings would collide in the unique constraints.
        self.email = (self.email or "").strip().lower() or None
        self.phone = self.phone or None
        super().save(*args, **kwargs)

    # --- roles -----------------------------------------------------------
    # Every request asks for the user's roles (the MFA middleware, scoping):
    # they are kept in the cache between requests, and forgotten whenever a
    # membership of the user is saved or deleted (lms.accounts.signals, after
    # commit as well) and after ROLE_CACHE_SECONDS in any case.
    ROLE_CACHE_SECONDS = 60

    @staticmethod
    def role_cache_key(user_id) -> str:
        return f"anxun:roles:{user_id}"

    def _load_roles(self, cached=None) -> None:
        from django.core.cache import cache

        key = self.role_cache_key(self.pk)
        if cached is None and self.pk:
            cached = cache.get(key)
        if cached is None:
            cached = (
                frozenset(Membership.objects.filter(user=self, is_active=True).values_list("enterprise_id", "role")),
                frozenset(
                    RegulatorMembership.objects.filter(user=self, is_active=True).values_list("region_code", flat=True)
                ),
            )
            if self.pk:
                cache.set(key, cached, self.ROLE_CACHE_SECONDS)
        self._role_pairs = cached[0]
        self._region_prefixes = frozenset(region_prefix(c) for c in cached[1])

    def use_cached_roles(self, cached) -> None:
        """Take the roles from a cache entry read along with the user
        (lms.speed.usercache fetches both in one round trip)."""
        if cached is not None:
            self._load_roles(cached)

    def role_pairs(self) -> frozenset[tuple[int, str]]:
        """(enterprise_id, role) for every active membership; cached per request and briefly across requests."""
        if not hasattr(self, "_role_pairs"):
            self._load_roles()
        return self._role_pairs

    def region_prefixes(self) -> frozenset[str]:
        if not hasattr(self, "_region_prefixes"):
            self._load_roles()
        return self._region_prefixes

    def clear_role_cache(self):
        from django.core.cache import cache

        for attr in ("_role_pairs", "_region_prefixes", "_anxun_perm_cache"):
            self.__dict__.pop(attr, None)
        if self.pk:
            cache.delete(self.role_cache_key(self.pk))

    def requires_mfa(self) -> bool:
        """Enterprise admins, HR, regulators and platform superusers must use MFA."""
        if self.is_superuser:
            return True
        if any(role in MFA_ROLES for _ent, role in self.role_pairs()):
            return True
        return bool(self.region_prefixes())

    @classmethod
    def requires_mfa_sql(cls, connection, alias: str) -> tuple[str, list]:
        """:meth:`requires_mfa` as one SQL boolean expression over the user row
        ``alias`` — for the study heartbeat, which reads the login in its own
        SELECT (courses.session_rows). Keep the two in step."""
        qn = connection.ops.quote_name

        def col(model, name):
            return qn(model._meta.get_field(name).column)

        roles = sorted(MFA_ROLES)
        sql = (
            f"({alias}.{col(cls, 'is_superuser')}"
            f" OR EXISTS (SELECT 1 FROM {qn(Membership._meta.db_table)} mfa_m"
            f" WHERE mfa_m.{col(Membership, 'user')} = {alias}.{col(cls, 'id')}"
            f" AND mfa_m.{col(Membership, 'is_active')}"
            f" AND mfa_m.{col(Membership, 'role')} IN ({', '.join(['%s'] * len(roles))}))"
            f" OR EXISTS (SELECT 1 FROM {qn(RegulatorMembership._meta.db_table)} mfa_r"
            f" WHERE mfa_r.{col(RegulatorMembership, 'user')} = {alias}.{col(cls, 'id')}"
            f" AND mfa_r.{col(RegulatorMembership, 'is_active')}))"
        )
        return sql, [str(role) for role in roles]


class Membership(models.Model):
    """A user's role in one enterprise. A user may hold several."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    enterprise = models.ForeignKey("workforce.Enterprise", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    tenant_path = "enterprise"

    class Meta:
        verbose_name = _("企业角色")
        verbose_name_plural = _("企业角色")
        constraints = [
            models.UniqueConstraint(fields=["user", "enterprise", "role"], name="membership_unique_role"),
        ]

    def __str__(self):
        return f"{self.user} · {self.enterprise} · {self.get_role_display()}"


class RegulatorMembership(models.Model):
    """A regulator's read-only view over every enterprise in a region."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="regulator_memberships"
    )
    region_code = models.CharField(_("行政区划代码"), max_length=6, validators=[region_code_validator])
    authority = models.CharField(_("监管部门"), max_length=100, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("监管人员")
        verbose_name_plural = _("监管人员")
        constraints = [
            models.UniqueConstraint(fields=["user", "region_code"], name="regulator_unique_region"),
        ]

    def __str__(self):
        return f"{self.user} · {self.region_code}"


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A credential for an integration client (HR system, access control),
    bound to exactly one enterprise. Only a hash of the key is stored."""

    enterprise = models.ForeignKey("workforce.Enterprise", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12, editable=False, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    can_write = models.BooleanField(_("允许写入"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    tenant_path = "enterprise"

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate_key() -> str:
        return "ax_" + secrets.token_urlsafe(32)

    def set_key(self, key: str) -> None:
        self.prefix = key[:10]
        self.key_hash = _hash_key(key)

    @classmethod
    def find_active(cls, key: str):
        return cls.objects.active().select_related("enterprise").filter(key_hash=_hash_key(key)).first()
