from django import forms

from network_portal.uploads import UploadField

from .models import CaseStudy, Organisation, Resource, Topic, Update, Visibility

MAX_QUERY_LENGTH = 200


class LibraryFilterForm(forms.Form):
    SORT_CHOICES = [("relevance", "Relevance"), ("newest", "Newest first")]

    q = forms.CharField(label="Search", required=False, strip=True)
    topic = forms.ModelChoiceField(Topic.objects.all(), to_field_name="slug", required=False, empty_label="All topics")
    kind = forms.ChoiceField(label="Type", choices=[("", "All types"), *Resource.Kind.choices], required=False)
    source = forms.ModelChoiceField(
        Organisation.objects.filter(resources__isnull=False).distinct(),
        to_field_name="slug",
        required=False,
        empty_label="All sources",
    )
    visibility = forms.ChoiceField(label="Access", choices=[("", "Everything"), *Visibility.choices], required=False)
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("topic", "kind", "source", "visibility", "sort"):
            self.fields[name].widget.attrs["class"] = "form-select"

    @property
    def filtering(self) -> bool:
        """Whether a filter or sort order was chosen (or refused), so the filters show open."""
        chosen = any(self.data.get(name) for name in ("topic", "kind", "source", "visibility"))
        return chosen or bool(self.errors) or self.data.get("sort", "relevance") != "relevance"

    def clean_q(self):
        # Long pasted text is cut rather than refused: searching should never fail.
        return " ".join(self.cleaned_data["q"].split())[:MAX_QUERY_LENGTH]


class PartnerUpdateForm(forms.ModelForm):
    class Meta:
        model = Update
        fields = ["title", "body", "visibility"]
        labels = {"body": "Update", "visibility": "Who can read it"}
        help_texts = {"body": "Plain text or Markdown. Staff check every update before it is published."}
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}


class CaseStudyForm(forms.ModelForm):
    topics = forms.ModelMultipleChoiceField(
        Topic.objects.all(),
        label="Service areas",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    attachment = UploadField(label="Attachment (optional)", required=False)

    class Meta:
        model = CaseStudy
        fields = ["title", "council", "topics", "what_we_did", "outcome", "may_contact"]
        labels = {"what_we_did": "What did you do?", "outcome": "What was the outcome?"}
        widgets = {
            "what_we_did": forms.Textarea(attrs={"rows": 6}),
            "outcome": forms.Textarea(attrs={"rows": 6}),
        }
