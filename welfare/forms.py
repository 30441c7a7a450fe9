"""What every page form (and admin form) of the system shares: putting a service's refusal on the
form that sent its input, and handing a page form's input to a service."""

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from welfare.errors import ApplicationError

T = TypeVar("T")


def form_add_service_errors(
    form: forms.BaseForm,
    exc: ApplicationError,
    *,
    formset: forms.BaseFormSet | None = None,
    also: tuple[forms.BaseForm | None, ...] = (),
) -> None:
    """Put a service's refusal on `form`. Each message of `exc.field_errors` goes beside its
    field; a key `<prefix>-<n>-<field>` of `formset` goes on that formset's n-th form (above it
    when it has no such field). A field that already shows an error (the form's own check found
    it first) keeps that one. When no message found a field, the service's own message goes above
    the form; otherwise the messages of fields the form lacks go there, so none is lost. A page
    with more than one form names the others in `also`: a field `form` lacks goes on the first of
    them that has it."""
    placed = False
    above = []
    for key, message in exc.field_errors.items():
        target, name = form, key
        if formset is not None and key.startswith(f"{formset.prefix}-"):
            _prefix, index, name = key.split("-", 2)
            target, placed = formset.forms[int(index)], True
            if name not in target.fields:
                target.add_error(None, message)
                continue
        elif key not in form.fields:
            other = next((f for f in also if f is not None and key in f.fields), None)
            if other is None:
                above.append(message)
                continue
            target = other
        placed = True
        if name not in target.errors:
            target.add_error(name, message)
    for message in above if placed else [exc.message]:
        form.add_error(None, message)


def form_service_run(
    request: HttpRequest,
    form: forms.BaseForm,
    call: Callable[[], T],
    *,
    done: str | Callable[[T], str] | None = None,
    formset: forms.BaseFormSet | None = None,
    also: tuple[forms.BaseForm | None, ...] = (),
) -> T | None:
    """Hand a page form's (valid) input to a service: `call()` runs it and answers what it saved.
    Then `done` is said to the user (a message, or a function of what `call()` answered, for a
    message that names it) and the answer is what `call()` answered; the page goes on (a
    redirect). A refusal (ApplicationError) goes on the form (form_add_service_errors, with
    `formset` and `also`), nothing is changed, and the answer is None: the page shows the form
    again."""
    try:
        result = call()
    except ApplicationError as exc:
        form_add_service_errors(form, exc, formset=formset, also=also)
        return None
    if done is not None:
        messages.success(request, done(result) if callable(done) else done)
    return result
