"""Back office for certificates (证书), in the "培训合规" menu group
(lms.compliance.wagtail_hooks), and the audit-log actions of the services."""

from wagtail import hooks


@hooks.register("register_admin_viewset")
def register_certificate_viewset():
    from .admin_views import CertificateViewSet

    return CertificateViewSet("certificate")


@hooks.register("register_admin_viewset")
def register_certificate_issue_viewset():
    from .admin_issue import CertificateIssueViewSet

    return CertificateIssueViewSet()


@hooks.register("register_admin_viewset")
def register_certificate_type_viewset():
    from .admin_views import CertificateTypeViewSet

    return CertificateTypeViewSet("certificatetype")


@hooks.register("register_admin_viewset")
def register_issuer_profile_viewset():
    from .admin_views import IssuerProfileViewSet

    return IssuerProfileViewSet("issuerprofile")


@hooks.register("register_log_actions")
def register_certificate_log_actions(actions):
    actions.register_action("anxun.certificate_register", "登记证书", "登记证书")
    actions.register_action("anxun.certificate_suspend", "暂停证书", "暂停证书")
    actions.register_action("anxun.certificate_revoke", "吊销/注销证书", "吊销/注销证书")
    actions.register_action("anxun.certificate_reinstate", "恢复证书", "恢复证书")
    actions.register_action("anxun.certificate_review", "登记证书复审", "登记证书复审")
    actions.register_action("anxun.certificate_issue", "签发证书", "签发证书")
    actions.register_action("anxun.certificate_supersede", "换发（旧证作废）", "换发（旧证作废）")
    actions.register_action("anxun.certificate_batch", "批量发证", "批量发证")
