from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.CaseListView.as_view(), name="list"),
    path("cases/<slug:slug>/", views.CaseDetailView.as_view(), name="detail"),
]
