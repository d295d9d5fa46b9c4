from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .phone import CNMobileField, normalize_cn_mobile


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are made by HR, not by sign-up; people log in with their
    email or their mainland mobile number."""

    def is_open_for_signup(self, request):
        return False

    def phone_form_field(self, **kwargs):
        return CNMobileField(**kwargs)

    def get_user_by_phone(self, phone):
        try:
            phone = normalize_cn_mobile(phone)
        except ValidationError:
            return None
        return get_user_model().objects.filter(phone=phone, is_active=True).first()

    def get_phone(self, user):
        return (user.phone, True) if user.phone else None

    def set_phone(self, user, phone, verified):
        user.phone = normalize_cn_mobile(phone)
        user.save(update_fields=["phone"])

    def set_phone_verified(self, user, phone):
        # Numbers are entered by HR from the employment record; nothing to do.
        return None

    def send_verification_code_sms(self, user, phone, code, **kwargs):
        # No SMS gateway is configured: phone verification is switched off
        # (ACCOUNT_PHONE_VERIFICATION_ENABLED = False), so this is never sent.
        raise ValidationError(_("未配置短信网关，无法发送验证码"))

    def get_login_redirect_url(self, request):
        user = request.user
        if user.is_superuser or user.has_perm("wagtailadmin.access_admin"):
            return "/admin/"
        return super().get_login_redirect_url(request)


class MFAAdapter(DefaultMFAAdapter):
    def get_totp_label(self, user):
        return user.email or user.phone or user.username

    def can_delete_authenticator(self, authenticator):
        # MFA is required for these roles, and their sessions are let through
        # on the strength of it (lms.accounts.sessions): they cannot switch it off.
        return not authenticator.user.requires_mfa()
