from django.urls import path

from kefu.keyaccounts import views

app_name = "keyaccounts"
urlpatterns = [
    path("rules/", views.rules_page, name="rules"),
    path("rules/<int:version_id>/", views.version_page, name="version"),
    path("rules/<int:version_id>/<slug:action>/", views.version_action, name="act"),
    path("grading/", views.grade, name="grade"),
    path("manager/", views.manager_home, name="manager"),
    path("standards/", views.standards_page, name="standards"),
]
