from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import DomainError
from kefu.core.forms import apply_domain_error
from kefu.core.masking import Masker
from kefu.core.validators import is_msisdn
from kefu.customers import exports, presenters, services
from kefu.customers.forms import InfoUpdateForm, SearchForm

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


def _scoped_or_404(user, subscriber_id: int):
    try:
        return services.get_by_id(user, subscriber_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc


@login_required
@permission_required("customers.view_subscriber", raise_exception=True)
def customer_360(request, subscriber_id: int, update_form: InfoUpdateForm | None = None, order_form=None):
    view = services.customer_360(request.user, _scoped_or_404(request.user, subscriber_id))
    data = presenters.view_360(view, Masker(request.user), request.user)
    context = {"c": data, "p": data["profile"], "update_form": update_form or InfoUpdateForm()}
    if order_form is None and request.user.has_perm("workorders.add_workorder"):
        from kefu.workorders.forms import CreateOrderForm  # the "create work order" form (issue 3)

        order_form = CreateOrderForm(initial={"customer_id": subscriber_id})
    context["order_form"] = order_form
    return render(request, "customers/360.html", context, status=400 if update_form else 200)


@login_required
@permission_required("customers.change_subscriber", raise_exception=True)
@require_POST
def update_info(request, subscriber_id: int):
    subscriber = _scoped_or_404(request.user, subscriber_id)
    form = InfoUpdateForm(request.POST)
    if form.is_valid():
        if not form.changes():
            form.add_error(None, _("Fill in at least one field to change."))
        else:
            try:
                services.update_info(request.user, subscriber, form.changes(), form.cleaned_data["channel"])
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Customer information updated."))
                return redirect("customers:360", subscriber_id=subscriber.pk)
    return customer_360(request, subscriber_id, update_form=form)


@login_required
@permission_required("customers.export_subscriber", raise_exception=True)
def export(request):
    form = SearchForm(request.GET or None)
    if not form.is_valid():
        return render(request, "customers/search.html", {"form": form, "page": None}, status=400)
    try:
        body = exports.subscribers_csv(request.user, form.cleaned_data["q"], form.cleaned_data["city"], "on_net")
    except DomainError as exc:
        form.add_error(exc.field, exc.message)
        return render(request, "customers/search.html", {"form": form, "page": None}, status=400)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="customers.csv"'
    return response
