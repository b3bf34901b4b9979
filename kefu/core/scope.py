"""The data scope (PLT-1): the one place that decides which regions' records a staff member may read.

Every list, search, export, page and API goes through `ScopedQuerySet.restrict(user)`.
"""

from __future__ import annotations

from django.db import models

from kefu.core.cache import TTLCache
from kefu.core.models import DataScope, Region, RegionLevel

_SCOPE_ROOT_LEVEL = {
    DataScope.COUNTY: RegionLevel.COUNTY,
    DataScope.CITY: RegionLevel.CITY,
    DataScope.PROVINCE: RegionLevel.PROVINCE,
}


def scope_region_ids(user) -> frozenset[int] | None:
    """The ids of the regions `user` may see, or None when the user is not restricted."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_kefu_scope_ids", False)
    if cached is not False:
        return cached
    ids: frozenset[int] | None
    if user.is_superuser or user.data_scope == DataScope.ALL:
        ids = None
    elif user.region_id is None:
        ids = frozenset()
    else:
        root = user.region.ancestor_at(_SCOPE_ROOT_LEVEL[user.data_scope])
        # A staff member placed above their scope level (a city clerk with county scope) sees their own node.
        root = root or user.region
        ids = _subtree_cache.get_or_compute(root.path, lambda: _subtree_ids(root.path))
    user._kefu_scope_ids = ids
    return ids


# The region tree changes a few times a year; a new county reaches every process within a minute.
_subtree_cache = TTLCache(ttl=60.0)


def _subtree_ids(path: str) -> frozenset[int]:
    return frozenset(Region.objects.filter(path__startswith=path).values_list("id", flat=True))


def may_see_region(user, region_id: int | None) -> bool:
    ids = scope_region_ids(user)
    return ids is None or region_id in ids


class ScopedQuerySet(models.QuerySet):
    """A queryset whose rows belong to a region; the model names the field in `scope_field`."""

    def restrict(self, user) -> ScopedQuerySet:
        ids = scope_region_ids(user)
        if ids is None:
            return self
        return self.filter(**{f"{self.model.scope_field}__in": ids})
