"""django-import-export resources of the admin's child export: every cell spreadsheet-safe,
identity numbers masked. The roster import resource is in cases/roster/resources.py."""

from import_export import fields, resources

from cases.children.models import Child
from welfare.exports import spreadsheet_safe
from welfare.idnumber import mask_id_number


class SpreadsheetSafeResource(resources.ModelResource):
    """Every cell of an admin export goes through welfare.exports.spreadsheet_safe, as every other
    export does: a name typed as `=HYPERLINK(...)` arrives as text, not as a live formula."""

    def export_field(self, field, instance, **kwargs):
        return spreadsheet_safe(super().export_field(field, instance, **kwargs))


class ChildExportResource(SpreadsheetSafeResource):
    """Children for an admin export: identity numbers masked, regions by code."""

    id_number = fields.Field(attribute="id_number", column_name="身份证号")
    region = fields.Field(attribute="region__code", column_name="居住村(社区)代码")
    household_region = fields.Field(attribute="household_region__code", column_name="户籍地代码")

    class Meta:
        model = Child
        fields = ("id", "name", "id_number", "sex", "birth_date", "region", "household_region", "check_state", "next_check_due")
        export_order = fields

    def dehydrate_id_number(self, child: Child) -> str:
        return mask_id_number(child.id_number)
