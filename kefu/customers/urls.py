from django.urls import path

from kefu.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.search, name="search"),
    path("export.csv", views.export, name="export"),
    path("<int:subscriber_id>/", views.customer_360, name="360"),
    path("<int:subscriber_id>/update/", views.update_info, name="update"),
]
