"""A URLconf with a view that fails, to see the 500 page as a visitor would."""

from django.urls import path

from casebook.urls import urlpatterns as site_urlpatterns


def broken(request):
    raise RuntimeError("A deliberate failure")


urlpatterns = [path("broken/", broken), *site_urlpatterns]
