from kefu.groups import care_views, views, vpmn_views

app_name = "groups"

urlpatterns = [*views.urlpatterns, *vpmn_views.urlpatterns, *care_views.urlpatterns]
