from django.shortcuts import render
from django.views.generic import DetailView, ListView

from .models import Case


def home(request):
    return render(request, "home.html", {"latest": Case.objects.published().for_listing()[:6]})


class CaseListView(ListView):
    queryset = Case.objects.published().for_listing()
    paginate_by = 20


class CaseDetailView(DetailView):
    queryset = Case.objects.published().for_detail()
