"""Page URLs of the unit directory (mounted at the site root)."""

from django.urls import path

from units import views

urlpatterns = [
    path("units/", views.unit_directory, name="unit-list"),
]
