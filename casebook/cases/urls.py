from django.urls import path

from . import views, views_entities, views_stats
from .feeds import NewCasesFeed, RegionCasesFeed, TypeCasesFeed

app_name = "cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.CaseListView.as_view(), name="list"),
    path("cases/<slug:slug>/", views.CaseDetailView.as_view(), name="detail"),
    path("regions/", views_entities.region_index, name="region_index"),
    path("regions/<slug:slug>/", views_entities.RegionDetailView.as_view(), name="region"),
    path("organizations/", views_entities.OrganizationListView.as_view(), name="organization_index"),
    path("organizations/<slug:slug>/", views_entities.OrganizationDetailView.as_view(), name="organization"),
    path("commissioners/<slug:slug>/", views_entities.CommissionerDetailView.as_view(), name="commissioner"),
    path("collections/", views_entities.collection_index, name="collection_index"),
    path("collections/<slug:slug>/", views_entities.CollectionDetailView.as_view(), name="collection"),
    path("outcomes/", views_stats.outcomes, name="outcomes"),
    path("feeds/cases/", NewCasesFeed(), name="feed"),
    path("feeds/regions/<slug:slug>/", RegionCasesFeed(), name="region_feed"),
    path("feeds/types/<slug:slug>/", TypeCasesFeed(), name="type_feed"),
]
