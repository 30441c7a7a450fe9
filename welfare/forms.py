"""What every page form (and admin form) of the system shares: putting a service's refusal on the
form that sent its input."""

from django import forms

from welfare.errors import ApplicationError


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
