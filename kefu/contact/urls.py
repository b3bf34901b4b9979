from django.urls import path

from kefu.contact import views

app_name = "contact"
urlpatterns = [
    path("desktop/", views.desktop, name="desktop"),
    path("desktop/pop/<int:contact_id>/", views.pop, name="pop"),
    path("wallboard/", views.wallboards, name="wallboards"),
    path("wallboard/<slug:centre>/", views.wallboard, name="wallboard"),
    path("recordings/<int:contact_id>/", views.recording, name="recording"),
    path("outbound/<int:task_id>/", views.task, name="task"),
]
