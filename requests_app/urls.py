from django.urls import path

from requests_app import views

app_name = "requests_app"
urlpatterns = [
    path("", views.request_credits, name="request"),
    path("sent/", views.request_sent, name="sent"),
    path("decide/<int:request_id>/<slug:action>/<str:token>/", views.decide, name="decide"),
]
