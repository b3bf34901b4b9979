from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from kefu.core.errors import DomainError, ErrorCode
from kefu.core.masking import Masker
from kefu.core.validators import is_msisdn
from kefu.customers import exports, presenters, services
from kefu.customers.forms import SearchForm

PAGE_SIZE = 20


@login_required
@permission_required("customers.view_subscriber", raise_exception=True)
def search(request):
    form = SearchForm(request.GET or None)
    page = None
    if form.is_bound and form.is_valid() and (form.cleaned_data["q"] or form.cleaned_data["city"]):
        try:
            qs = services.search(request.user, form.cleaned_data["q"], form.cleaned_data["city"])
        except DomainError as exc:
            form.add_error(exc.field, exc.message)
        else:
            page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
            services.log_search(request.user, form.cleaned_data["q"], page.paginator.count)
            if page.paginator.count == 1 and is_msisdn(form.cleaned_data["q"]):
                # An agent typing the caller's number wants the 360 view, not a list of one.
                return redirect("customers:360", subscriber_id=page.object_list[0].pk)
            masker = Masker(request.user)
            page.rows = [presenters.summary(s, masker) for s in page.object_list]
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "customers/search.html", {"form": form, "page": page}, status=status)


@login_required
@permission_required("customers.view_subscriber", raise_exception=True)
def customer_360(request, subscriber_id: int):
    try:
        view = services.customer_360(request.user, services.get_by_id(request.user, subscriber_id))
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND or exc.code == ErrorCode.INVALID:
            raise Http404(exc.message) from exc
        raise
    data = presenters.view_360(view, Masker(request.user))
    return render(request, "customers/360.html", {"c": data, "p": data["profile"]})


@login_required
@permission_required("customers.export_subscriber", raise_exception=True)
def export(request):
    form = SearchForm(request.GET or None)
    if not form.is_valid():
        return render(request, "customers/search.html", {"form": form, "page": None}, status=400)
    try:
        body = exports.subscribers_csv(
            request.user, form.cleaned_data["q"], form.cleaned_data["city"], "on_net"
        )
    except DomainError as exc:
        form.add_error(exc.field, exc.message)
        return render(request, "customers/search.html", {"form": form, "page": None}, status=400)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="customers.csv"'
    return response
