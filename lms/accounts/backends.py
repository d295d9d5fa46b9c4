"""Django permissions that follow from a user's roles (lms.accounts.roles).

Permissions say *what kind* of thing a user may do; lms.accounts.scoping
says *on which rows*. Wagtail's permission checks go through here."""

from .roles import ROLE_PERMISSIONS


class RolePermissionBackend:
    def authenticate(self, request, **credentials):
        return None

    def get_user(self, user_id):
        return None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        cache = getattr(user_obj, "_anxun_perm_cache", None)
        if cache is None:
            cache = set()
            for _ent, role in user_obj.role_pairs():
                cache |= ROLE_PERMISSIONS.get(role, set())
            user_obj._anxun_perm_cache = cache
        return cache

    def has_perm(self, user_obj, perm, obj=None):
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label):
        return any(p.startswith(app_label + ".") for p in self.get_all_permissions(user_obj))
