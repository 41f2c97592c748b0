"""The dashboard's pages, grouped as the menu shows them, each with the role it needs."""

from __future__ import annotations

from ui import login

# section -> (script, title, icon, the role it needs)
PAGES = {
    "Archive": [
        ("screens/overview.py", "Overview", ":material/home:", "viewer"),
        ("screens/import_data.py", "Import", ":material/upload:", "admin"),
    ],
    "Identify": [
        ("screens/review.py", "Review", ":material/fact_check:", "reviewer"),
        ("screens/individuals.py", "Individuals", ":material/pets:", "viewer"),
        ("screens/audit.py", "Audit trail", ":material/history:", "viewer"),
    ],
    "Tune": [
        ("screens/similarity.py", "Similarity", ":material/bar_chart:", "viewer"),
        ("screens/threshold.py", "Threshold", ":material/tune:", "viewer"),
        ("screens/models.py", "Models", ":material/model_training:", "admin"),
    ],
    "Results": [
        ("screens/population.py", "Population", ":material/groups:", "viewer"),
        ("screens/exports.py", "Exports", ":material/download:", "viewer"),
        ("screens/jobs.py", "Jobs", ":material/schedule:", "viewer"),
    ],
    "Admin": [
        ("screens/users.py", "Users", ":material/group:", "admin"),
    ],
}


def visible_titles() -> set[str]:
    """Titles of the pages the signed-in actor's menu shows."""
    return {title for pages in PAGES.values() for _, title, _, role in pages if login.may(role)}
