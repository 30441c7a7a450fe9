"""Forms of the recognition pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.children.categories import PAID_CATEGORIES, Category

PAID_CHOICES = [(c, Category(c).label) for c in PAID_CATEGORIES]


class ChildFilingForm(forms.Form):
    """What a form filed for a child shares (a recognition application here, an education grant in
    benefits/grants/forms.py): the child is known (filed from the child's page: no number to
    retype) or found by the full identity number; the receiving region is given by its code.
    Subclasses declare the fields `child`, `child_id_number` and `received_region` (their labels
    are theirs, and so is the order of the fields)."""

    def __init__(self, *args, child=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.child = child
        if child is not None:
            self.fields["child"].initial = child.id
            del self.fields["child_id_number"]

    def clean(self):
        data = super().clean()
        if self.child is None and not (data.get("child_id_number") or "").strip() and "child_id_number" not in self.errors:
            self.add_error("child_id_number", _("Enter the child's full 18-character identity number."))
        return data

    def clean_received_region(self):
        from welfare.models import Region

        code = self.cleaned_data["received_region"].strip()
        region = Region.objects.filter(code=code).first() if code.isdigit() else None
        if region is None:
            raise forms.ValidationError(_("There is no region with this code."))
        return region


class ApplicationForm(ChildFilingForm):
    child = forms.IntegerField(widget=forms.HiddenInput, required=False)
    child_id_number = forms.CharField(
        label=_("Child's identity number"),
        max_length=40,
        required=False,
        help_text=_("The full 18-character number: a child recorded anywhere in the country can be found."),
    )
    category = forms.ChoiceField(label=_("Category applied for"), choices=PAID_CHOICES)
    received_region = forms.CharField(label=_("Receiving township (code)"), max_length=12)
    reason = forms.CharField(label=_("Situation of the child"), widget=forms.Textarea, required=False, max_length=2000)


class ReviewForm(forms.Form):
    comment = forms.CharField(label=_("Review comment"), widget=forms.Textarea, required=False, max_length=2000)


class ApproveForm(forms.Form):
    start_month = forms.CharField(
        label=_("First month paid"), max_length=7, required=False, help_text=_("YYYY-MM; empty: the month after approval")
    )
    bank_account_holder = forms.CharField(label=_("Account holder"), max_length=50, required=False)
    bank_account = forms.CharField(label=_("Bank account"), max_length=40, required=False)

    def clean_start_month(self):
        from welfare.errors import ApplicationError
        from welfare.months import parse_month

        value = self.cleaned_data["start_month"].strip()
        if not value:
            return None
        try:
            return parse_month(value)
        except ApplicationError as exc:
            raise forms.ValidationError(str(exc.message)) from None


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the rejection"), widget=forms.Textarea, max_length=2000)
