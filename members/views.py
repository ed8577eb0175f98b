from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def account(request):
    member = getattr(request.user, "member", None)
    return render(request, "members/account.html", {"member": member})
