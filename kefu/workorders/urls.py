from django.urls import path

from kefu.workorders import views

app_name = "workorders"
urlpatterns = [
    path("", views.queue, {"which": "mine"}, name="mine"),
    path("group/", views.queue, {"which": "group"}, name="group"),
    path("new/", views.create, name="create"),
    path("monitor/", views.monitor, name="monitor"),
    path("monitor/bulk/", views.bulk, name="bulk"),
    path("workflows/", views.workflows, name="workflows"),
    path("workflows/<slug:code>/", views.workflow, name="workflow"),
    path("workflows/<slug:code>/edit/", views.workflow_edit, name="workflow_edit"),
    path("workflows/<slug:code>/versions/<int:number>/publish/", views.publish, name="publish"),
    path("<str:number>/", views.order_page, name="order"),
    path("<str:number>/act/<slug:action>/", views.act, name="act"),
    path("<str:number>/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
