from django.urls import path

from selfservice import views

app_name = "selfservice"
urlpatterns = [
    path("", views.statement, name="statement"),
    path("sent/", views.link_sent, name="sent"),
    path("link/<str:token>/", views.open_link, name="link"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("request/", views.request_credits, name="request"),
    path("low-balance-mails/", views.low_balance_mails, name="low_balance_mails"),
]
