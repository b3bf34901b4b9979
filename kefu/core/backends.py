from django.contrib.auth.backends import ModelBackend

from kefu.core.cache import TTLCache

# Every API call checks a permission; a staff member's roles change rarely, so each process keeps a
# user's permission set for PERMISSION_CACHE_SECONDS instead of two queries per request.
PERMISSION_CACHE_SECONDS = 10.0
_permissions = TTLCache(PERMISSION_CACHE_SECONDS)


class StaffBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = _permissions.get_or_compute(
                (user_obj.pk, user_obj.is_superuser),
                lambda: frozenset(super(StaffBackend, self).get_all_permissions(user_obj)),
            )
        return user_obj._perm_cache
