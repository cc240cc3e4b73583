"""HTML pages of the members app. Each area adds its paths in its own block below (small edits)."""

from django.urls import path

from .views import assessments, dashboards, fees, handbook, records, status, transfer

app_name = "members"

urlpatterns: list = [
    # --- files in and out: Excel import/export, profile PDF (member registry area D) ---
    path("import/", transfer.member_import, name="import"),
    path("import/template.xlsx", transfer.import_template, name="import_template"),
    path("import/done/", transfer.member_import_done, name="import_done"),
    path("export.xlsx", transfer.member_export, name="export"),
    path("<int:pk>/profile.pdf", transfer.profile_pdf, name="profile_pdf"),
    # --- the registry: list, record, forms, corrections (member registry area C) ---
    path("", records.member_list, name="list"),
    path("", records.member_list, name="index"),
    path("new/", records.member_create, name="create"),
    path("<int:pk>/", records.member_detail, name="detail"),
    path("<int:pk>/edit/", records.member_edit, name="edit"),
    path("corrections/", records.correction_list, name="correction_list"),
    path("corrections/<int:pk>/answer/", records.correction_resolve, name="correction_resolve"),
    # --- the member handbook ---
    path("handbook/", handbook.handbook, name="handbook"),
    path("handbook/correction/", handbook.handbook_correction, name="handbook_correction"),
    # --- dashboards (member registry area E) ---
    path("dashboard/", dashboards.committee_dashboard, name="dashboard_committee"),
    path("dashboard/cell/<int:pk>/", dashboards.cell_dashboard, name="dashboard_cell"),
    # --- status history (member registry area A) ---
    path("<int:pk>/status/", status.status_change, name="status_change"),
    path("status/<int:pk>/void/", status.status_void, name="status_void"),
    # --- party fees and annual assessments (member registry area B) ---
    path("cells/<int:organization_id>/fees/", fees.fee_sheet, name="fees"),
    path("<int:pk>/fees/", fees.fee_member, name="fee_member"),
    path("cells/<int:organization_id>/assessments/<int:year>/", assessments.assessment_sheet, name="assessments"),
    path("<int:pk>/assessments/<int:year>/edit/", assessments.assessment_edit, name="assessment_edit"),
]
