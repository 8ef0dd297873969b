from django.urls import path

from . import views
from .feeds import NewCasesFeed, RegionCasesFeed, TypeCasesFeed

app_name = "cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.CaseListView.as_view(), name="list"),
    path("cases/<slug:slug>/", views.CaseDetailView.as_view(), name="detail"),
    path("feeds/cases/", NewCasesFeed(), name="feed"),
    path("feeds/regions/<slug:slug>/", RegionCasesFeed(), name="region_feed"),
    path("feeds/types/<slug:slug>/", TypeCasesFeed(), name="type_feed"),
]
