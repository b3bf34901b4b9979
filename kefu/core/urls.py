from django.urls import path

from kefu.core import views

app_name = "core"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("health/", views.health, name="health"),
    path("notifications/", views.notifications_page, name="notifications"),
]
