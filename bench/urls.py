from django.urls import path

from casebook.urls import urlpatterns as project_urlpatterns

from .views import baseline

urlpatterns = [path("bench/baseline/", baseline, name="bench-baseline"), *project_urlpatterns]
