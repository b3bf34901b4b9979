from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from kefu.api import api

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="customers:search", permanent=False)),
    path("", include("kefu.core.urls")),
    path("customers/", include("kefu.customers.urls")),
    path("workorders/", include("kefu.workorders.urls")),
    path("contact/", include("kefu.contact.urls")),
    path("workforce/", include("kefu.workforce.urls")),
    path("keyaccounts/", include("kefu.keyaccounts.urls")),
    path("groups/", include("kefu.groups.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", api.urls),
]
