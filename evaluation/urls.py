from django.urls import path

from evaluation import views

urlpatterns = [
    path("evaluations/", views.evaluation_list_page, name="evaluation-list"),
    path("evaluations/<id:pk>/", views.evaluation_page, name="evaluation-detail"),
    path("evaluations/<id:pk>/units/<id:unit_id>/", views.unit_breakdown_page, name="evaluation-unit"),
]
urlpatterns += [
    path("evaluations/start/", views.evaluation_start_page, name="evaluation-start"),
    path("evaluations/<id:pk>/step/<slug:step>/", views.evaluation_step_page, name="evaluation-step"),
    path("evaluations/<id:pk>/units/<id:unit_id>/<slug:act>/", views.evaluation_unit_act_page,
         name="evaluation-unit-act"),
    path("evaluations/<id:pk>/appeals/<id:appeal_id>/resolve/", views.appeal_resolve_page,
         name="evaluation-appeal-resolve"),
]
urlpatterns += [
    path("lights/", views.light_board_page, name="light-board"),
    path("lights.xlsx", views.light_board_xlsx, name="light-board-xlsx"),
]
urlpatterns += [
    path("evaluations/<id:pk>/agenda/", views.stocktake_agenda_page, name="evaluation-agenda"),
]
urlpatterns += [
    path("map/", views.map_view, name="map"),
    path("map/screen/", views.screen_view, name="map-screen"),
    path("landing/", views.landing, name="landing"),
    path("evaluations/<id:pk>/bulletin/", views.bulletin_page, name="evaluation-bulletin"),
    path("evaluations/<id:pk>/bulletin.pdf", views.bulletin_pdf, name="evaluation-bulletin-pdf"),
]
