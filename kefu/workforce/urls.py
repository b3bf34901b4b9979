from django.urls import path

from kefu.workforce import views

app_name = "workforce"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:centre>/", views.staffing, name="staffing"),
    path("<slug:centre>/roster/", views.roster, name="roster"),
]
