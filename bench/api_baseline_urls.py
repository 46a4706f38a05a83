"""The project's URLs plus the least a Django view can do to answer get-balance: two pymongo reads."""

from django.http import JsonResponse
from django.urls import include, path

from librechat.mongo import librechat_db


def raw_balance(request):
    database = librechat_db()
    user = database.users.find_one({"email": request.GET["email"]}, {"_id": 1})
    balance = database.balances.find_one({"user": user["_id"]}, {"tokenCredits": 1}, sort=[("_id", 1)])
    return JsonResponse({"email": request.GET["email"], "balance": balance["tokenCredits"]})


urlpatterns = [path("raw-balance", raw_balance), path("", include("balancemgr.urls"))]
