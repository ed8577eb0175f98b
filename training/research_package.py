"""The evaluators' download: one zip holding the CSVs, a Frictionless data
package descriptor (datapackage.json, a Table Schema per file) and a README
codebook. Question wording comes from the live forms, so the schema says
exactly what trainees were asked."""

import io
import json
import tomllib
import zipfile
from pathlib import Path

from django.utils import timezone

from members.models import Council, Member
from network_portal import csv_export

from .forms import FeedbackForm, FollowUpForm
from .models import Commitment, Confidence, Course, FollowUp, Rating, Usefulness
from .research import (
    ANY,
    BREAKDOWN_COLUMNS,
    FEEDBACK_FIELDS,
    FOLLOWUP_FIELDS,
    LEVELS,
    NO_COUNCIL,
    PAN_LONDON,
    PARTICIPANT_COLUMNS,
    QUASI_IDENTIFIERS,
    Release,
)

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
COMMITMENT_COLUMNS = ["council", "gss_code", "entry_type", "service_area", "summary", "date", "evidence_url",
                      "verified_on"]  # fmt: skip


def portal_version() -> str:
    with PYPROJECT.open("rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def _scale(choices) -> str:
    return "; ".join(f"{value} = {label}" for value, label in choices)


def _question(form_class, name: str) -> str:
    return str(form_class().fields[name].label)


def _allowed_places(level: str, none_label: str) -> list[str]:
    if level == "any":
        return [ANY]
    councils = Council.objects.order_by("name")
    if level == "council":
        return [none_label, *councils.values_list("name", flat=True)]
    subregions = sorted({f"{s} London" if s else "London" for s in councils.values_list("subregion", flat=True)})
    return [none_label, *subregions]


def _quasi_identifier_fields(release: Release) -> list[dict]:
    levels = release.levels
    roles = [ANY] if levels["role"] == "any" else list(Member.Role.values)
    courses = [ANY] if levels["course"] == "any" else list(Course.objects.values_list("title", flat=True))
    patterns = {"month": r"\d{4}-\d{2}", "quarter": r"\d{4}-Q[1-4]", "year": r"\d{4}"}
    return [
        _field("council", "string", f"The trainee's council when they booked, released at the level of: "
               f"{levels['council']}.", enum=_allowed_places(levels["council"], NO_COUNCIL)),
        _field("role", "string", f"The trainee's role when they booked ({_scale(Member.Role.choices)}), released "
               f"at the level of: {levels['role']}.", enum=roles),
        _field("session_for", "string", f"The council the session was delivered for ({PAN_LONDON} if open to all), "
               f"released at the level of: {levels['session_for']}.", enum=_allowed_places(levels["session_for"],
                                                                                            PAN_LONDON)),
        _field("course", "string", f"The course title, released at the level of: {levels['course']}.", enum=courses),
        _field("session_period", "string", f"When the session started, released as a {levels['session_period']}.",
               pattern=patterns[levels["session_period"]]),
    ]  # fmt: skip


def _answer_fields() -> list[dict]:
    rating_scale = _scale(Rating.choices)
    fields = [
        _field("rating", "string", f'Feedback: "{_question(FeedbackForm, "rating")}" Scale: {rating_scale}.',
               enum=list(Rating.values)),
        _field("usefulness", "integer", f'Feedback: "{_question(FeedbackForm, "usefulness")}" '
               f"Scale: {_scale(Usefulness.choices)}.", enum=list(Usefulness.values)),
    ]  # fmt: skip
    for name in FEEDBACK_FIELDS[2:]:
        fields.append(
            _field(name, "integer", f'Feedback: "{_question(FeedbackForm, name)}" Scale: {_scale(Confidence.choices)}.',
                   enum=list(Confidence.values))
        )  # fmt: skip
    fields.append(
        _field("will_do_differently", "string", f'Feedback: "{_question(FeedbackForm, "will_do_differently")}" '
               "Free text, given only where the trainee agreed the evaluators may read it; empty otherwise.")
    )  # fmt: skip
    for wave, wave_label in FollowUp.Wave.choices:
        for name in FOLLOWUP_FIELDS:
            fields.append(_followup_field(wave, wave_label, name))
    return fields


def _followup_field(wave: str, wave_label: str, name: str) -> dict:
    question = f'{wave_label} follow-up: "{_question(FollowUpForm, name)}"'
    column = f"{wave}_{name}"
    if name == "policy_area":
        return _field(column, "string", f"{question} Empty if no policy was influenced. Values: "
                      f"{_scale(FollowUp.PolicyArea.choices)}.", enum=list(FollowUp.PolicyArea.values))  # fmt: skip
    if name == "would_recommend":
        return _field(column, "string", f"{question} Values: {_scale(FollowUp.Recommend.choices)}.",
                      enum=list(FollowUp.Recommend.values))  # fmt: skip
    if name in ("policy_description", "evidence_url"):
        return _field(column, "string", f"{question} Free text, given only where the trainee agreed the evaluators "
                      "may read it; empty otherwise.")  # fmt: skip
    return _field(column, "boolean", f"{question} True = yes, False = no; empty if this follow-up was not answered.")


def _field(name: str, kind: str, description: str, *, enum=None, pattern=None, required=False) -> dict:
    spec = {"name": name, "type": kind, "description": description}
    constraints = {}
    if enum is not None:
        constraints["enum"] = enum
    if pattern is not None:
        constraints["pattern"] = pattern
    if required:
        constraints["required"] = True
    if constraints:
        spec["constraints"] = constraints
    return spec


def _participants_schema(release: Release) -> dict:
    participant = _field("participant", "string", "Pseudonym of the trainee: stable within this research project, "
                         "different in every other project.", pattern=r"P-[0-9a-f]{16}", required=True)  # fmt: skip
    fields = [participant, *_quasi_identifier_fields(release), *_answer_fields()]
    if [f["name"] for f in fields] != PARTICIPANT_COLUMNS:
        raise RuntimeError("The participants schema no longer matches the participants file's columns.")
    return {"fields": fields, "missingValues": [""]}


def _breakdown_schema(release: Release) -> dict:
    council, role = _quasi_identifier_fields(release)[:2]
    people = _field("people", "integer", "Distinct trainees in the released participants file with this council and "
                    "role. Never fewer than the project's k.", required=True)  # fmt: skip
    people["constraints"]["minimum"] = release.project.k
    return {"fields": [council, role, people], "missingValues": [""]}


def _resource(name: str, description: str, schema: dict) -> dict:
    return {
        "name": name,
        "path": f"{name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "encoding": "utf-8",
        "description": description,
        "schema": schema,
    }


def commitment_rows() -> list[dict]:
    """Every verified entry of the register, at council level (no reporter)."""
    entries = Commitment.objects.verified().select_related("council").order_by("council__name", "happened_on", "pk")
    return [
        {
            "council": entry.council.name,
            "gss_code": entry.council.gss_code,
            "entry_type": entry.kind,
            "service_area": entry.service_area,
            "summary": entry.summary,
            "date": entry.happened_on.isoformat(),
            # A link is published evidence; an uploaded document is kept by the portal, shown on the council page.
            "evidence_url": entry.evidence_url,
            "verified_on": timezone.localtime(entry.verified_at).date().isoformat(),
        }
        for entry in entries
    ]


def _commitment_fields() -> list[dict]:
    return [
        _field("council", "string", "The council.", required=True),
        _field("gss_code", "string", "The council's ONS GSS code.", pattern=r"[A-Z]\d{8}", required=True),
        _field("entry_type", "string", f"What the council did. Values: {_scale(Commitment.Kind.choices)}.",
               enum=list(Commitment.Kind.values), required=True),
        _field("service_area", "string", "For a policy or service change, its service area. Values: "
               f"{_scale(FollowUp.PolicyArea.choices)}.", enum=list(FollowUp.PolicyArea.values)),
        _field("summary", "string", "What the council did, as reported and checked."),
        _field("date", "date", "When it happened.", required=True),
        _field("evidence_url", "string", "A link to the evidence. Empty where the evidence is a document uploaded to "
               "the portal (linked from the council's page)."),
        _field("verified_on", "date", "When Thrive LDN staff verified the entry against its evidence.",
               required=True),
    ]  # fmt: skip


def package_bytes(release: Release) -> bytes:
    """The zip an evaluator downloads."""
    files = {
        "participants.csv": _csv(PARTICIPANT_COLUMNS, release.rows),
        "breakdown.csv": _csv(BREAKDOWN_COLUMNS, release.breakdown()),
    }
    resources = [
        _resource("participants", "One row per attended session of a trainee who consented to research.",
                  _participants_schema(release)),
        _resource("breakdown", "Trainees in the participants file by council and role.", _breakdown_schema(release)),
    ]  # fmt: skip
    files["council_commitments.csv"] = _csv(COMMITMENT_COLUMNS, commitment_rows())
    resources.append(
        _resource("council_commitments", "Councils' commitments and policy changes, verified by Thrive LDN staff "
                  "against their evidence. Councils are public bodies; who reported an entry is left out.",
                  {"fields": _commitment_fields(), "missingValues": [""]})
    )  # fmt: skip
    descriptor = {
        "name": "mhcn-training-evaluation",
        "title": "Mentally Healthier Councils Network: training evaluation release",
        "description": release.project.purpose,
        "created": release.released_at.isoformat(),
        "version": portal_version(),
        "resources": resources,
    }
    files["datapackage.json"] = json.dumps(descriptor, indent=2, ensure_ascii=False)
    files["README.md"] = codebook(release, resources)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _csv(columns: list[str], rows: list[dict]) -> str:
    return csv_export.csv_text(header=columns, rows=([row.get(c, "") for c in columns] for row in rows))


def codebook(release: Release, resources: list[dict]) -> str:
    project = release.project
    levels = "\n".join(f"- `{name}`: released as {release.levels[name]} (ladder: {' → '.join(LEVELS[name])})"
                       for name in QUASI_IDENTIFIERS)  # fmt: skip
    filters = ", ".join(f"{k} = {v}" for k, v in release.filters.items()) or "none (the whole release)"
    not_applied = "".join(f"\n- Not applied: {text}" for text in release.filters_not_applied)
    tables = "\n\n".join(
        f"## {r['path']}\n\n{r['description']}\n\n"
        + "\n".join(f"- `{f['name']}` ({f['type']}): {f['description']}" for f in r["schema"]["fields"])
        for r in resources
    )
    released = timezone.localtime(release.released_at)
    return f"""# Training evaluation release

- Project: {project.name}, for {project.evaluator_organisation}
- Purpose: {project.purpose}
- Data-sharing agreement signed {project.agreement_signed_on:%-d %B %Y}
- Downloads allowed until {project.expires_on:%-d %B %Y}
- Released: {released:%-d %B %Y %H:%M %Z}, by portal version {portal_version()}
- Minimum cell size k: {project.k}
- Filters: {filters}{not_applied}

## How the release protects trainees

Only trainees who consented to research are included, under pseudonyms that are stable within this project and
different in every other project. Names and email addresses never appear.

The quasi-identifiers are council, role, the session's council (`session_for`), course and session date. One
generalisation, chosen over everyone who consented (whatever the filters), applies to every row:

{levels}

Generalisation comes before suppression. After it, {release.withheld_rows} of {release.population_rows} rows were
withheld (suppressed) because their combination of quasi-identifiers, or the set of combinations their
pseudonym links, was shared by fewer than {project.k} people. Withheld rows appear in no file, so no total can
reveal them. Every combination in `participants.csv`, and every cell of `breakdown.csv`, covers at least
{project.k} people. Filters select whole combinations, so files downloaded with different filters cannot be
combined to single anyone out.

Free-text answers appear only where the trainee agreed that the evaluators may read them. Missing values are
empty cells.

{tables}
"""
