from django.contrib import admin
from django.urls import path

from . import admin as interchange_admin

app_name = "interchange"

urlpatterns = [
    path("import/", admin.site.admin_view(interchange_admin.import_cases), name="import"),
]
