"""A service's refusal on the form that sent its input (welfare/forms.py)."""

from django import forms

from welfare.errors import ApplicationError
from welfare.forms import form_add_service_errors


class PersonForm(forms.Form):
    name = forms.CharField()
    phone = forms.CharField(required=False)


def bound(**data):
    form = PersonForm({"name": "张", "phone": "", **data})
    assert form.is_valid() or data
    return form


def test_it_puts_each_message_beside_its_field():
    form = bound()
    form_add_service_errors(form, ApplicationError("bad name", field_errors={"name": "bad name", "phone": "bad phone"}))
    assert form.errors == {"name": ["bad name"], "phone": ["bad phone"]}


def test_it_puts_the_services_message_above_a_form_without_the_fields():
    form = bound()
    form_add_service_errors(form, ApplicationError("Only a draft run can be approved."))
    assert form.non_field_errors() == ["Only a draft run can be approved."]
    form = bound()
    form_add_service_errors(form, ApplicationError("Unknown category: x", field_errors={"categories": "Unknown category."}))
    assert form.non_field_errors() == ["Unknown category: x"] and "categories" not in form.errors


def test_it_loses_no_message_of_a_field_the_form_lacks():
    form = bound()
    form_add_service_errors(form, ApplicationError("bad name", field_errors={"name": "bad name", "county": "bad county"}))
    assert form.errors["name"] == ["bad name"] and form.non_field_errors() == ["bad county"]


def test_a_field_that_shows_an_error_already_keeps_it():
    form = bound(name="")
    form_add_service_errors(form, ApplicationError("Enter the name.", field_errors={"name": "Enter the name.", "phone": "bad phone"}))
    assert len(form.errors["name"]) == 1 and form.errors["phone"] == ["bad phone"]


def test_it_puts_a_formsets_message_on_the_form_of_its_row():
    people = forms.formset_factory(PersonForm, extra=0)(
        {"people-TOTAL_FORMS": "2", "people-INITIAL_FORMS": "0", "people-0-name": "甲", "people-1-name": "乙"}, prefix="people"
    )
    assert people.is_valid()
    form = bound()
    form_add_service_errors(
        form, ApplicationError("bad phone", field_errors={"people-1-phone": "bad phone", "people-0-age": "too old"}), formset=people
    )
    assert people.forms[1].errors == {"phone": ["bad phone"]}
    assert people.forms[0].non_field_errors() == ["too old"]
    assert form.errors == {}
