from django.urls import path

from kefu.keyaccounts import care_views, privilege_views, views

app_name = "keyaccounts"
urlpatterns = [
    path("rules/", views.rules_page, name="rules"),
    path("rules/<int:version_id>/", views.version_page, name="version"),
    path("rules/<int:version_id>/<slug:action>/", views.version_action, name="act"),
    path("grading/", views.grade, name="grade"),
    path("manager/", views.manager_home, name="manager"),
    path("standards/", views.standards_page, name="standards"),
    # privileges
    path("green-channel/", privilege_views.green_channel, name="green_channel"),
    path("green-channel/<int:request_id>/", privilege_views.green_request, name="green"),
    path("green-channel/<int:request_id>/<slug:action>/", privilege_views.green_action, name="green_act"),
    path("partners/", privilege_views.partners, name="partners"),
    path("partners/<slug:code>/", privilege_views.partner_visits, name="partner"),
    path("settlements/", privilege_views.settlements, name="settlements"),
    path("settlements/<slug:code>.csv", privilege_views.settlement_csv, name="settlement_csv"),
    # appointments
    path("appointments/", care_views.appointment_list, name="appointments"),
    path("appointments/<int:appointment_id>/", care_views.appointment_page, name="appointment"),
    path("appointments/<int:appointment_id>/<slug:action>/", care_views.appointment_action, name="appointment_act"),
    path("slots/", care_views.slot_list, name="slots"),
    path("slots/<int:slot_id>/", care_views.slot_page, name="slot"),
    path("slots/<int:slot_id>/withdraw/", care_views.slot_withdraw, name="slot_withdraw"),
    # customer managers
    path("manager/plans/", care_views.plan_list, name="plans"),
    path("manager/plans/<int:plan_id>/", care_views.plan_page, name="plan"),
    path("manager/log/", care_views.work_log, name="worklog"),
    path("manager/tasks/", care_views.task_list, name="tasks"),
    path("manager/tasks/<int:task_id>/", care_views.task_page, name="task"),
    path("manager/tasks/<int:task_id>/<slug:action>/", care_views.task_action, name="task_act"),
]
