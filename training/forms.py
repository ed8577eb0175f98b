from datetime import date, datetime

from django import forms
from django.utils import timezone
from django.utils.formats import date_format

from members.models import Council
from network_portal import uploads

from .models import FEEDBACK_ANSWERS, FOLLOWUP_ANSWERS, Commitment, Course, Feedback, FollowUp

YES_NO = [(True, "Yes"), (False, "No")]


def _yes_no(label: str) -> forms.TypedChoiceField:
    """A required Yes/No question, answered with radio buttons, cleaned to a bool."""
    return forms.TypedChoiceField(label=label, choices=YES_NO, coerce=lambda v: v == "True", widget=forms.RadioSelect)


class SessionFilterForm(forms.Form):
    council = forms.ModelChoiceField(
        queryset=Council.objects.all(),
        required=False,
        empty_label="All councils",
        to_field_name="slug",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    month = forms.ChoiceField(required=False, widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [("", "Any month"), *_months_ahead(timezone.localdate(now), 12)]

    def filter(self, sessions):
        if not self.is_valid():
            return sessions
        council = self.cleaned_data.get("council")
        month = self.cleaned_data.get("month")
        if council:
            sessions = sessions.filter(council=council)
        if month:
            year, number = (int(part) for part in month.split("-"))
            start = timezone.make_aware(datetime(year, number, 1))
            end = timezone.make_aware(datetime(year + number // 12, number % 12 + 1, 1))
            sessions = sessions.filter(starts_at__gte=start, starts_at__lt=end)
        return sessions


def _months_ahead(today: date, count: int) -> list[tuple[str, str]]:
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append((f"{year}-{month:02d}", date_format(date(year, month, 1), "F Y")))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


class FeedbackForm(forms.ModelForm):
    class Meta:
        model = Feedback
        fields = FEEDBACK_ANSWERS
        labels = {
            "rating": "Overall, how would you rate the training?",
            "usefulness": "How useful was it for your role?",
            "confidence_residents_before": "Before the training: supporting residents' mental health",
            "confidence_residents_after": "After the training: supporting residents' mental health",
            "confidence_self_before": "Before the training: looking after your own wellbeing",
            "confidence_self_after": "After the training: looking after your own wellbeing",
            "will_do_differently": "What will you do differently as a result? (optional)",
            "testimonial": "Would you like to say something about the training that we can share? (optional)",
            "testimonial_consent": "May we publish what you wrote above on this website?",
            "research_consent": "The independent evaluators may read my written answers (never my name or email)",
        }
        help_texts = {
            "testimonial_consent": "Staff read every testimonial before it appears. "
            "You can withdraw it at any time from your account page.",
        }
        widgets = {
            "rating": forms.RadioSelect,
            "usefulness": forms.RadioSelect,
            "confidence_residents_before": forms.RadioSelect,
            "confidence_residents_after": forms.RadioSelect,
            "confidence_self_before": forms.RadioSelect,
            "confidence_self_after": forms.RadioSelect,
            "testimonial_consent": forms.RadioSelect,
            "will_do_differently": forms.Textarea(attrs={"rows": 3}),
            "testimonial": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # RadioSelect on a model field with a default adds a "---------" choice; drop it.
        for name in self.Meta.widgets:
            field = self.fields[name]
            if isinstance(field.widget, forms.RadioSelect):
                field.choices = [c for c in field.choices if c[0] != ""]


class FollowUpForm(forms.ModelForm):
    evidence_url = forms.URLField(
        label="A link to evidence, such as a committee paper or motion (optional)",
        required=False,
        max_length=500,
        assume_scheme="https",
    )
    raised_in_meeting = _yes_no("Have you raised mental health in a council meeting?")
    influenced_policy = _yes_no(
        "Have you proposed or influenced a council policy or decision with mental health in mind?"
    )
    became_champion = _yes_no("Have you become a mental health champion?")
    changed_own_wellbeing = _yes_no("Have you changed how you look after your own wellbeing?")

    class Meta:
        model = FollowUp
        fields = FOLLOWUP_ANSWERS
        labels = {
            "policy_area": "If so, in which service area?",
            "policy_description": "Tell us about it (optional)",
            "would_recommend": "Would you recommend the training to another councillor?",
            "research_consent": "The independent evaluators may read my written answers (never my name or email)",
        }
        widgets = {
            "would_recommend": forms.RadioSelect,
            "policy_description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["would_recommend"].choices = [c for c in self.fields["would_recommend"].choices if c[0] != ""]
        self.fields["policy_area"].choices = [("", "Choose a service area")] + list(FollowUp.PolicyArea.choices)

    def clean(self):
        data = super().clean()
        if data.get("influenced_policy") and not data.get("policy_area"):
            self.add_error("policy_area", "Choose the service area of the policy or decision.")
        return data


class ResearchFilterForm(forms.Form):
    """Narrow a research download. Both match released (generalised) values, so
    they select whole combinations of the release, never a finer one."""

    course = forms.ChoiceField(label="Course", required=False)
    year = forms.RegexField(
        label="Year the session started", regex=r"^\d{4}$", required=False, max_length=4,
        error_messages={"invalid": "Enter a year as four digits, for example 2026."},
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        titles = Course.objects.order_by("title").values_list("title", flat=True)
        self.fields["course"].choices = [("", "All courses"), *((title, title) for title in titles)]


class EvidenceFileField(forms.FileField):
    """An optional evidence document, through the portal's upload checks."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Or upload a document")
        kwargs.setdefault(
            "help_text", f"{uploads.allowed_types_text()}, up to {uploads.max_upload_bytes() // (1024 * 1024)} MB."
        )
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", uploads.ACCEPT_ATTRIBUTE)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload and upload is not initial:
            uploads.validate_upload(upload)
        return upload


class CommitmentForm(forms.ModelForm):
    evidence_url = forms.URLField(
        label="A link to the evidence, such as a committee paper, motion or strategy",
        required=False,
        max_length=500,
        assume_scheme="https",
    )
    evidence_file = EvidenceFileField()

    class Meta:
        model = Commitment
        fields = ["kind", "service_area", "summary", "happened_on", "evidence_url"]
        labels = {
            "kind": "What kind of commitment or change is it?",
            "service_area": "Service area (for a policy or service change)",
            "summary": "What did the council do?",
            "happened_on": "Date it happened",
        }
        widgets = {"happened_on": forms.DateInput(attrs={"type": "date"}), "kind": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [c for c in self.fields["kind"].choices if c[0] != ""]
        self.fields["service_area"].choices = [("", "Choose a service area"), *FollowUp.PolicyArea.choices]

    def clean_happened_on(self):
        day = self.cleaned_data["happened_on"]
        if day and day > timezone.localdate():
            raise forms.ValidationError("The date cannot be in the future: report a commitment once it has happened.")
        return day

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Commitment.Kind.POLICY_CHANGE and not cleaned.get("service_area"):
            self.add_error("service_area", "Choose the service area the policy or service change is in.")
        if not cleaned.get("evidence_url") and not cleaned.get("evidence_file") and "evidence_file" not in self.errors:
            self.add_error("evidence_url", "Give a link to the evidence or upload a document.")
        return cleaned


class OutcomeFilterForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))
    course = forms.ModelChoiceField(
        Course.objects.all(),
        required=False,
        empty_label="All courses",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            self.add_error("end", "The end of the period must be on or after its start.")
        return cleaned
