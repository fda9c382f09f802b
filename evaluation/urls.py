from django.urls import path

from evaluation import views

urlpatterns = [
    path("evaluations/", views.evaluation_list_page, name="evaluation-list"),
    path("evaluations/<id:pk>/", views.evaluation_page, name="evaluation-detail"),
    path("evaluations/<id:pk>/units/<id:unit_id>/", views.unit_breakdown_page, name="evaluation-unit"),
]
