from django.urls import path, re_path

from . import views

app_name = "api"

urlpatterns = [
    path("cases/", views.case_list, name="cases"),
    path("cases/<slug:slug>/", views.case_detail, name="case"),
    path("regions/", views.region_list, name="regions"),
    # A region by its administrative code (610222) or its slug (yijun).
    path("regions/<slug:key>/", views.region_detail, name="region"),
    path("organizations/", views.organization_list, name="organizations"),
    path("organizations/<slug:slug>/", views.organization_detail, name="organization"),
    path("collections/", views.collection_list, name="collections"),
    path("collections/<slug:slug>/", views.collection_detail, name="collection"),
    path("openapi.json", views.openapi, name="openapi"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
